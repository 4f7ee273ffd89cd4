package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runEnvsCmd runs the command line and returns the exit code, stdout and stderr.
func runEnvsCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeEnvsFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnvsList(t *testing.T) {
	code, out, _ := runEnvsCmd("envs")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"tldr\n  TLDR", "arxiv\n", "writing-mini\n", "--env-opt agents=2\n", "--env-opt dense=true\n      true: reward every turn"} {
		if !strings.Contains(out, want) {
			t.Errorf("`collm envs` lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runEnvsCmd("envs", "--json")
	var list []struct {
		Name    string
		Options []struct{ Name, Default, Help string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) < 3 {
		t.Fatalf("--json: exit %d, output %s", code, out)
	}
	if code, _, errOut := runEnvsCmd("envs", "extra"); code != 2 || !strings.Contains(errOut, "unexpected arguments") {
		t.Errorf("extra argument: exit %d, %s", code, errOut)
	}
}

func TestEnvScore(t *testing.T) {
	good := writeEnvsFile(t, "good.json", `["hill dog", "so hill road sun"]`)
	code, out, errOut := runEnvsCmd("env", "score", "--env", "writing-mini", "--env-opt", "tasks=8", "--task", "mini-0", "--responses", good)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Reward   float64
		Parts    map[string]float64
		Done     bool
		Feedback []string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if res.Reward < 2.759 || res.Reward > 2.761 || res.Parts["unique_ratio"] != 0.5 || !res.Done || res.Feedback != nil {
		t.Errorf("result %+v", res)
	}

	// Multi-turn: a flat array plays turn 0 and shows the feedback; an array of arrays plays
	// several turns and sums the rewards.
	code, out, _ = runEnvsCmd("env", "score", "--env", "writing-mini", "--env-opt", "tasks=8", "--env-opt", "turns=2", "--responses", good)
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Done || len(res.Feedback) != 2 ||
		!strings.Contains(res.Feedback[0], "last: hill dog\nscore: 2.76\nshort:") {
		t.Errorf("multi-turn, one turn: exit %d, %s", code, out)
	}
	two := writeEnvsFile(t, "two.json", `[["hill dog", "so hill road sun"], ["hill dog", "so hill road sun"]]`)
	code, out, _ = runEnvsCmd("env", "score", "--env", "writing-mini", "--env-opt", "tasks=8", "--env-opt", "turns=2", "--responses", two)
	var multi struct {
		Reward float64
		Done   bool
		Turns  []struct{ Reward float64 }
	}
	if code != 0 || json.Unmarshal([]byte(out), &multi) != nil || !multi.Done || len(multi.Turns) != 2 || multi.Reward < 5.519 || multi.Reward > 5.521 {
		t.Errorf("multi-turn, two turns: exit %d, %s", code, out)
	}

	code, out, _ = runEnvsCmd("env", "prompts", "--env", "tldr", "--task", "post-02")
	var prompts []string
	if code != 0 || json.Unmarshal([]byte(out), &prompts) != nil || len(prompts) != 2 || !strings.Contains(prompts[0], "Got a 12% raise") {
		t.Errorf("prompts: exit %d, %s", code, out)
	}
}

func TestEnvScoreErrors(t *testing.T) {
	good := writeEnvsFile(t, "good.json", `["a", "b"]`)
	three := writeEnvsFile(t, "three.json", `["a", "b", "c"]`)
	badJSON := writeEnvsFile(t, "bad.json", `["a", `)
	numbers := writeEnvsFile(t, "numbers.json", `[1, 2]`)
	empty := writeEnvsFile(t, "empty.json", `[]`)
	tooMany := writeEnvsFile(t, "many.json", `[["a", "b"], ["a", "b"]]`)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"env"}, 2, "want `collm env score"},
		{[]string{"env", "score", "--responses", good}, 2, "--env is required"},
		{[]string{"env", "score", "--env", "tldr"}, 2, "--responses is required"},
		{[]string{"env", "score", "--env", "nope", "--responses", good}, 2, `unknown env "nope"; registered envs:`},
		{[]string{"env", "score", "--env", "tldr", "--env-opt", "turns=2", "--responses", good}, 2, `unknown option "turns"; accepted options: data,`},
		{[]string{"env", "score", "--env", "tldr", "--env-opt", "agents", "--responses", good}, 2, `env option "agents": want name=value`},
		{[]string{"env", "score", "--env", "writing-mini", "--env-opt", "agents=9", "--responses", good}, 2, `agents="9": want an integer in [1, 4]`},
		{[]string{"env", "score", "--env", "tldr", "--task", "post-99", "--responses", good}, 2, `--task: env tldr: unknown task id "post-99"`},
		{[]string{"env", "score", "--env", "tldr", "--task", "12", "--responses", good}, 2, "task index 12 out of range [0, 12)"},
		{[]string{"env", "score", "--env", "tldr", "--responses", three}, 2, "got 3 responses, want one per agent (2)"},
		{[]string{"env", "score", "--env", "tldr", "--responses", badJSON}, 2, "bad.json: want a JSON array of strings"},
		{[]string{"env", "score", "--env", "tldr", "--responses", numbers}, 2, "numbers.json: want a JSON array of strings"},
		{[]string{"env", "score", "--env", "tldr", "--responses", empty}, 2, "empty array"},
		{[]string{"env", "score", "--env", "tldr", "--responses", tooMany}, 2, "has 2 turns, env tldr has at most 1"},
		{[]string{"env", "score", "--env", "tldr", "--responses", filepath.Join(t.TempDir(), "missing.json")}, 2, "no such file"},
	} {
		code, _, errOut := runEnvsCmd(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
