package writing

import (
	"slices"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/tokenizer"
)

func newMini(t *testing.T, c MiniConfig) *Mini {
	t.Helper()
	m, err := NewMini(c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// task0 returns a writing-mini env whose task 0 post is replaced by known words, so the golden
// answers below do not depend on the post generator.
func task0(t *testing.T, c MiniConfig, post ...string) *Mini {
	m := newMini(t, c)
	m.posts[0] = post
	voc := Vocabulary{}
	for _, w := range miniFunctionWords {
		voc[w] = false
	}
	for _, w := range post {
		voc[w] = true
	}
	m.vocab[0] = voc
	return m
}

func stepOnce(t *testing.T, st envs.State, responses ...string) envs.Transition {
	t.Helper()
	tr, err := st.Step(responses)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestMiniGolden(t *testing.T) {
	m := task0(t, MiniConfig{}, "cat", "sun", "boat", "red")
	st, _ := m.Reset(0, 0)
	if got := st.Prompts(); got[0] != "post: cat sun boat red\nshort:" || got[1] != "post: cat sun boat red\nlong:" {
		t.Fatalf("prompts %q", got)
	}
	for _, tc := range []struct {
		name   string
		c1, c2 string
		want   float64
	}{
		// c1 7 chars, c2 15: r 2.14 -> 1; unique 2 -> 4: 0.5; T: "so" (cause_effect) 0.4;
		// J: {cat,sun} vs {cat,red,boat} = 1/4 >= 0.2 -> 1.  0.5+1+0.5+0.16+0.6.
		{"best one-category answer", "cat sun", "so cat red boat", 2.76},
		// "then" counts cause_effect and sequence: T 0.45.
		{"then counts twice", "cat sun", "then cat red boat", 0.5 + 1 + 0.5 + 0.4*0.45 + 0.6},
		// no shared content word ("the", "so" are stopwords): J 0.
		{"no shared word", "cat sun", "so boat red the", 0.5 + 1 + 0.5 + 0.16},
		// Level 1 failures get the shaping credit 0.25 * (q(c1) + q(c2)) / 2, with
		// q = 0.2 * (a-z/space characters) + 0.2 * (mean token prefix match)
		//   + 0.3 * (best post match) + 0.3 * size.
		// "dog" is not in the post and matches no word: q1 = 1; q2 = 0.2 + 0.2*3/4 + 0.3 + 0.3.
		{"word not in the post", "cat sun", "so dog red boat", 0.25 * (1 + 0.95) / 2},
		// Function words only: allowed, but no post word: q1 = q2 = 0.7.
		{"no post word", "it", "a to", 0.25 * (0.7 + 0.7) / 2},
		// "cat!" matches "cat" on 3 of 4 characters: q1 = 0.2*3/4 + 0.2*3/4 + 0.3*3/4 + 0.3; q2 = 1.
		{"punctuation", "cat!", "so cat red", 0.25 * (0.825 + 1) / 2},
		// "CAT!" matches nothing (case counts): q1 = 0.3 (size only); "dog": q2 = 0.2 + 0 + 0 + 0.3.
		{"shaping by hand", "CAT!", "dog", 0.25 * (0.3 + 0.5) / 2},
		{"empty", "", "", 0},
		// 25 characters exceed max_chars = 24: size 24/25; "s" matches "so" on 1 of 2:
		// q2 = 0.2 + 0.2*6.5/7 + 0.3 + 0.3*24/25.
		{"too long", "cat", "so cat red boat sun sun s", 0.25 * (1 + 0.2 + 0.2*6.5/7 + 0.3 + 0.3*24.0/25) / 2},
		// 13 words of 1 character: size (24/25)*(12/13) for 25 characters.
		{"too many words", "cat", "a a a a a a a a a a a a a", 0.25 * (1 + 0.2 + 0.2 + 0 + 0.3*(24.0/25)*(12.0/13)) / 2},
		// equal lengths: r 1 < 1.1 stops after level 1.
		{"same length", "cat sun", "sun cat", 0.5},
	} {
		tr := stepOnce(t, st, tc.c1, tc.c2)
		if !near(tr.Reward, tc.want) {
			t.Errorf("%s: reward %v, want %v (parts %v)", tc.name, tr.Reward, tc.want, tr.Parts)
		}
	}
	// Without shaping a failed level 1 pays 0.
	m2 := task0(t, MiniConfig{NoShaping: true}, "cat", "sun", "boat", "red")
	st2, _ := m2.Reset(0, 0)
	if tr := stepOnce(t, st2, "cat sun", "so dog red boat"); tr.Reward != 0 {
		t.Errorf("unshaped failed level 1: %v", tr.Reward)
	}
}

func TestMiniAgents(t *testing.T) {
	two := task0(t, MiniConfig{}, "cat", "sun", "boat", "red")
	st, _ := two.Reset(0, 0)
	want := stepOnce(t, st, "cat sun", "so cat red boat").Reward

	one := task0(t, MiniConfig{Agents: 1}, "cat", "sun", "boat", "red")
	st, _ = one.Reset(0, 0)
	if p := st.Prompts(); len(p) != 1 || !strings.HasSuffix(p[0], "\nboth:") {
		t.Fatalf("one-agent prompt %q", p)
	}
	if tr := stepOnce(t, st, " cat sun | so cat red boat"); tr.Reward != want || tr.Info["split_found"] != 1 {
		t.Errorf("one agent: reward %v (want %v), info %v", tr.Reward, want, tr.Info)
	}
	if tr := stepOnce(t, st, "cat sun so cat red boat"); tr.Parts["tokens"] >= 0.5 || tr.Info["split_found"] != 0 {
		t.Errorf("one agent without marker passed level 1: %v", tr.Parts)
	}

	three := task0(t, MiniConfig{Agents: 3}, "cat", "sun", "boat", "red")
	st, _ = three.Reset(0, 0)
	if p := st.Prompts(); !strings.HasSuffix(p[1], "long1:") || !strings.HasSuffix(p[2], "long2:") {
		t.Fatalf("three-agent prompts %q", p)
	}
	if tr := stepOnce(t, st, "cat sun", "so cat", "red boat"); tr.Reward != want {
		t.Errorf("three agents splitting c2: reward %v, want %v", tr.Reward, want)
	}
	// Repeating each other loses the unique ratio: c2 "so cat so cat" has 2 distinct words.
	if tr := stepOnce(t, st, "cat sun", "so cat", "so cat"); tr.Parts["unique_ratio"] != 0 || tr.Reward >= want {
		t.Errorf("three agents repeating: %v %v", tr.Reward, tr.Parts)
	}
}

func TestMiniTurns(t *testing.T) {
	for _, sparse := range []bool{false, true} {
		m := task0(t, MiniConfig{Turns: 3, Sparse: sparse}, "cat", "sun", "boat", "red")
		st, _ := m.Reset(0, 0)
		var rewards []float64
		for turn := 0; ; turn++ {
			tr := stepOnce(t, st, "cat sun", "so cat red boat")
			rewards = append(rewards, tr.Reward)
			if tr.Parts["length_ratio"] != 1 {
				t.Errorf("sparse=%v turn %d: parts not reported: %v", sparse, turn, tr.Parts)
			}
			if tr.Done {
				if turn != 2 {
					t.Errorf("done at turn %d, want 2", turn)
				}
				break
			}
			st = tr.Next
			want := "post: cat sun boat red\nlast: cat sun\nscore: 2.76\nshort:"
			if p := st.Prompts(); p[0] != want || !strings.HasSuffix(p[1], "last: so cat red boat\nscore: 2.76\nlong:") {
				t.Errorf("sparse=%v turn %d feedback %q", sparse, turn+1, p)
			}
		}
		want := []float64{2.76, 2.76, 2.76}
		if sparse {
			want = []float64{0, 0, 2.76}
		}
		for i := range want {
			if !near(rewards[i], want[i]) {
				t.Errorf("sparse=%v rewards %v, want %v", sparse, rewards, want)
				break
			}
		}
	}
}

func TestMiniPosts(t *testing.T) {
	lex := DefaultLexicon()
	for _, w := range miniWords {
		if lex.Stopwords[w] || len(lex.TransitionCategories(w)) > 0 || len(lex.TransitionCategories(w+" "+w)) > 0 {
			t.Errorf("post word %q is a stopword or holds a transition phrase", w)
		}
	}
	m := newMini(t, MiniConfig{Tasks: 200})
	seen := map[string]bool{}
	for task := range m.NumTasks() {
		post := m.Post(task)
		if n := len(post); n < 4 || n > 6 {
			t.Fatalf("task %d: %d words", task, n)
		}
		for _, w := range post {
			if !m.vocab[task][w] {
				t.Fatalf("task %d: post word %q not marked in the vocabulary", task, w)
			}
		}
		seen[strings.Join(post, " ")] = true
	}
	if len(seen) < 190 {
		t.Errorf("only %d distinct posts out of 200", len(seen))
	}
	again := newMini(t, MiniConfig{Tasks: 200})
	if strings.Join(again.Post(117), " ") != strings.Join(m.Post(117), " ") {
		t.Errorf("posts are not deterministic")
	}
}

func TestMiniConfigErrors(t *testing.T) {
	for _, c := range []MiniConfig{{Agents: 5}, {Turns: 9}, {Tasks: -1}, {MaxChars: 4}, {Agents: -1}} {
		if _, err := NewMini(c); err == nil {
			t.Errorf("%+v: want an error", c)
		}
	}
	for opts, want := range map[string]string{
		"agents=0":    "agents=\"0\": want an integer in [1, 4]",
		"turns=9":     "turns=\"9\": want an integer in [1, 8]",
		"dense=maybe": "dense=\"maybe\": want true or false",
		"size=3":      `unknown option "size"`,
	} {
		k, v, _ := strings.Cut(opts, "=")
		if _, err := envs.New("writing-mini", map[string]string{k: v}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", opts, err, want)
		}
	}
}

// TestMiniVocab checks that the vocabulary covers writing-mini: every prompt, first turn and
// with feedback, and well-formed answers tokenize without an unknown token.
func TestMiniVocab(t *testing.T) {
	for agents := 1; agents <= 4; agents++ {
		m := newMini(t, MiniConfig{Agents: agents, Turns: 2})
		tok, err := tokenizer.NewWordLevel(m.Vocab())
		if err != nil {
			t.Fatal(err)
		}
		unk, _ := tok.TokenID(tokenizer.UnkToken)
		check := func(what, text string) {
			if ids := tok.Encode(text); slices.Contains(ids, unk) {
				t.Errorf("agents=%d: %s %q has an unknown token: %v", agents, what, text, ids)
			}
		}
		for task := range m.NumTasks() {
			st, err := m.Reset(task, 0)
			if err != nil {
				t.Fatal(err)
			}
			post := m.Post(task)
			answers := make([]string, agents)
			for i := range answers {
				answers[i] = " " + post[i%len(post)] + " so " + post[(i+1)%len(post)]
			}
			if agents == 1 {
				answers[0] = " " + post[0] + " " + MiniMarker + " then " + post[0] + " " + post[1]
			}
			for _, p := range st.Prompts() {
				check("prompt", p)
			}
			for _, a := range answers {
				check("answer", a)
			}
			tr, err := st.Step(answers)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tr.Next.Prompts() {
				check("feedback prompt", p)
			}
		}
	}
}
