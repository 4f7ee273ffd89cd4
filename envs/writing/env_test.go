package writing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/envtest"
)

// goodTLDR is a joint answer that reaches level 4 of the TLDR reward.
var goodTLDR = []string{
	"Roommate keeps eating my food and calls it shared.",
	"My roommate repeatedly finishes my groceries, however she insists the fridge is shared; " +
		"consequently I spend about sixty dollars monthly replacing yogurt, bread and leftovers, so I want advice.",
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		opts      map[string]string
		good      [][]string
	}{
		{"tldr", "tldr", nil, [][]string{goodTLDR}},
		{"tldr-1agent", "tldr", map[string]string{"agents": "1"}, [][]string{{goodTLDR[0] + SplitMarker + goodTLDR[1]}}},
		{"arxiv", "arxiv", nil, nil},
		{"arxiv-1agent", "arxiv", map[string]string{"agents": "1"}, nil},
		{"mini", "writing-mini", nil, [][]string{{"cat sun", "so cat red boat"}}},
		{"mini-1agent-3turns-sparse", "writing-mini", map[string]string{"agents": "1", "turns": "3", "dense": "false"}, [][]string{{"cat|so cat red"}}},
		{"mini-3agents-2turns", "writing-mini", map[string]string{"agents": "3", "turns": "2"}, [][]string{{"cat", "so cat", "red boat"}}},
		{"mini-4agents-8turns-unshaped", "writing-mini", map[string]string{"agents": "4", "turns": "8", "shaping": "false"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := envs.New(tc.env, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			// Scoring is linear in the text; a 32 KiB answer is already 100 times the longest
			// real one and keeps the 8-turn episodes fast.
			envtest.Conformance(t, env, envtest.Responses(tc.good...), envtest.HugeBytes(32<<10))
		})
	}
}

func TestTLDRStep(t *testing.T) {
	env, err := NewTLDR(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if env.NumTasks() != 12 || env.TaskID(0) != "post-01" {
		t.Fatalf("built-in set: %d tasks, first id %q", env.NumTasks(), env.TaskID(0))
	}
	st, err := env.Reset(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := st.Prompts()
	if len(p) != 2 || !strings.Contains(p[0], "concise summary") || !strings.Contains(p[1], "detailed summary") ||
		!strings.Contains(p[0], env.Text(0)) {
		t.Fatalf("prompts: %q", p)
	}
	tr, err := st.Step(goodTLDR)
	if err != nil {
		t.Fatal(err)
	}
	// Hand check: c1 9 tokens 50 chars 9 unique; c2 32 tokens, 198 chars (r 3.96: 1-(0.76/1.8)),
	// 30 unique (u 3.33: 0.5); categories contrast+concession (however), cause_effect
	// (consequently, so), time ("as" in "leftovers"? no: in "sixty"? no) -> see Info.
	if !tr.Done || tr.Next != nil || tr.Info["levels_passed"] != 3 || tr.Parts["tokens"] != 0.5 {
		t.Errorf("transition %+v", tr)
	}
	want := 0.5 + tr.Parts["length_ratio"] + 0.5 + 0.4*tr.Parts["transition"] + 0.6*tr.Parts["jaccard"]
	if !near(tr.Reward, want) || tr.Parts["jaccard"] != 1 {
		t.Errorf("reward %v, parts %v; want %v with jaccard 1", tr.Reward, tr.Parts, want)
	}
	if r := tr.Info["length_ratio_raw"]; !near(tr.Parts["length_ratio"], 1-(r-3.2)/1.8) {
		t.Errorf("length ratio %v scored %v", r, tr.Parts["length_ratio"])
	}
}

func TestSingleAgentSplit(t *testing.T) {
	env, err := NewTLDR(Config{Agents: 1})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := env.Reset(3, 0)
	if p := st.Prompts(); len(p) != 1 || !strings.Contains(p[0], SplitMarker) {
		t.Fatalf("single-agent prompt: %q", p)
	}
	two, _ := NewTLDR(Config{})
	st2, _ := two.Reset(3, 0)
	want, _ := st2.Step(goodTLDR)
	got, err := st.Step([]string{"  " + goodTLDR[0] + " " + SplitMarker + "\n" + goodTLDR[1] + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Reward != want.Reward || got.Info["split_found"] != 1 {
		t.Errorf("split answer: reward %v (want %v as two agents), info %v", got.Reward, want.Reward, got.Info)
	}
	got, _ = st.Step([]string{goodTLDR[0] + " " + goodTLDR[1]})
	if got.Reward != 0 || got.Info["split_found"] != 0 {
		t.Errorf("answer without marker: reward %v, info %v; want 0", got.Reward, got.Info)
	}
}

func TestDataFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jsonl := write("posts.jsonl", `{"id": "a1", "prompt": "first post"}`+"\n\n"+`{"id": "a2", "prompt": "second post"}`+"\n")
	csvFile := write("abs.csv", "abstract,title\n\"An abstract, with a comma\",T1\nSecond abstract,T2\n")
	noID := write("noid.jsonl", `{"text": "x"}`+"\n"+`{"text": "y"}`+"\n")
	dup := write("dup.jsonl", `{"id": "same", "prompt": "x"}`+"\n"+`{"id": "same", "prompt": "y"}`+"\n")
	empty := write("empty.jsonl", `{"prompt": "ok"}`+"\n"+`{"prompt": "  "}`+"\n")
	badLex := write("lex.json", `{"stopwords": []}`)

	env, err := envs.New("tldr", map[string]string{"data": jsonl})
	if err != nil {
		t.Fatal(err)
	}
	if env.NumTasks() != 2 || env.(*Env).Text(1) != "second post" {
		t.Errorf("jsonl: %d tasks", env.NumTasks())
	}
	if i, err := env.(envs.TaskNamer).TaskIndex("a2"); err != nil || i != 1 {
		t.Errorf("TaskIndex(a2) = %d, %v", i, err)
	}
	env, err = envs.New("arxiv", map[string]string{"data": csvFile, "limit": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if env.NumTasks() != 1 || env.(*Env).Text(0) != "An abstract, with a comma" || env.(envs.TaskNamer).TaskID(0) != "line-2" {
		t.Errorf("csv: %d tasks, text %q id %q", env.NumTasks(), env.(*Env).Text(0), env.(envs.TaskNamer).TaskID(0))
	}
	if env, err := envs.New("tldr", map[string]string{"data": noID}); err != nil || env.(envs.TaskNamer).TaskID(1) != "line-2" {
		t.Errorf("records without ids: %v", err)
	}

	for name, tc := range map[string]struct {
		env  string
		opts map[string]string
		want string
	}{
		"missing field":   {"tldr", map[string]string{"data": csvFile}, "abs.csv:2: no field"},
		"named field":     {"tldr", map[string]string{"data": jsonl, "field": "body"}, `posts.jsonl:1: no field "body" (fields: id, prompt)`},
		"duplicate ids":   {"tldr", map[string]string{"data": dup}, `share the id "same"`},
		"empty text":      {"tldr", map[string]string{"data": empty}, `empty.jsonl:2: field "prompt" is empty`},
		"no file":         {"tldr", map[string]string{"data": filepath.Join(dir, "nope.jsonl")}, "no such file"},
		"bad format":      {"tldr", map[string]string{"data": filepath.Join(dir, "x.txt")}, "want a .jsonl or .csv"},
		"bad lexicon":     {"arxiv", map[string]string{"lexicon": badLex}, "transition_words"},
		"bad agents":      {"tldr", map[string]string{"agents": "3"}, "agents=\"3\": want an integer in [1, 2]"},
		"bad limit":       {"tldr", map[string]string{"limit": "x"}, "limit=\"x\": want an integer"},
		"field sans data": {"tldr", map[string]string{"field": "prompt"}, "Field (option field) is set but Data (option data) is empty"},
		"unknown option":  {"arxiv", map[string]string{"turns": "2"}, `unknown option "turns"`},
	} {
		_, err := envs.New(tc.env, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

func TestLexiconOption(t *testing.T) {
	// A lexicon with one category makes "however" worth nothing and "zebra" a transition.
	p := filepath.Join(t.TempDir(), "lex.json")
	os.WriteFile(p, []byte(`{"stopwords": ["the"], "transition_words": {"animals": ["zebra"]}}`), 0o644)
	env, err := NewTLDR(Config{Lexicon: p})
	if err != nil {
		t.Fatal(err)
	}
	if got := env.Lexicon().TransitionCategories("however zebra"); len(got) != 1 || got[0] != "animals" {
		t.Errorf("categories %q", got)
	}
	if _, err := LoadLexicon("../../../shared/data/writing/lexicon.json"); err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	shared, _ := os.ReadFile("../../../shared/data/writing/lexicon.json")
	if string(shared) != string(defaultLexicon) {
		t.Errorf("embedded lexicon.json differs from ../shared/data/writing/lexicon.json")
	}
}
