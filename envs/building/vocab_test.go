package building

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/tokenizer"
)

// wordLevel builds the word-level tokenizer over a mini env's vocabulary, as maac does for a
// tiny agent (NewWordLevel rejects duplicate or empty pieces).
func wordLevel(t *testing.T, e envs.Env) *tokenizer.WordLevel {
	t.Helper()
	v, ok := e.(envs.Vocab)
	if !ok {
		t.Fatalf("%s does not implement envs.Vocab", e.Spec().Name)
	}
	tok, err := tokenizer.NewWordLevel(v.Vocab(), "<|endoftext|>")
	if err != nil {
		t.Fatalf("%s vocabulary: %v", e.Spec().Name, err)
	}
	return tok
}

// checkTokens fails when text has an unknown token, and checks that it decodes back to itself.
func checkTokens(t *testing.T, tok *tokenizer.WordLevel, what, text string) []int {
	t.Helper()
	ids := tok.Encode(text)
	unk, _ := tok.TokenID(tokenizer.UnkToken)
	for _, id := range ids {
		if id == unk {
			t.Errorf("%s has an unknown token: %q", what, text)
			break
		}
	}
	if got := tok.Decode(ids); got != text {
		t.Errorf("%s decodes to %q, want %q", what, got, text)
	}
	return ids
}

// spaced writes an answer the way an agent emits it: every command after one space.
func spaced(resp string) string {
	var sb strings.Builder
	for _, f := range strings.Fields(resp) {
		sb.WriteString(" " + f)
	}
	return sb.String()
}

// TestMiniVocab checks the vocabularies of the mini envs: their sizes, that every prompt of
// every task and turn (after a perfect answer, one of random pieces, as an agent may write, and
// an empty one) tokenizes with no unknown token, and that a correct answer is exactly one piece
// per command.
func TestMiniVocab(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name    string
		opts    map[string]string
		size    int // pieces: commands + coordinates + prompt characters
		oracle  func(e envs.Env, task int) []string
		command string // a piece every command piece has the shape of
	}{
		// 6 letters (I C L T H U), 2 palettes (" os" " wb"), 2 turns, 5 fixed pieces (\n= \n> " r" . -),
		// 7*3 cells * 5 codes, 10 digits and 12 more characters (space o s w b t / \n = > r a).
		{"strbuild-mini", nil, 6 + 2 + 2 + 5 + 7*3*5 + 10 + 12, func(e envs.Env, task int) []string {
			return oracleStr(e.(*miniStrEnv).game.(*strGame).targets[task], 2, true)
		}, " 000o"},
		// 4 agents: 4 palettes, 9 codes, 3 more characters (u g d).
		{"strbuild-mini", map[string]string{"agents": "4", "feedback": "score"}, 6 + 4 + 2 + 5 + 7*3*9 + 10 + 15, func(e envs.Env, task int) []string {
			return oracleStr(e.(*miniStrEnv).game.(*strGame).targets[task], 4, true)
		}, " 000o"},
		// 2 turns, 4 codes * counts 0..13, spider damage 0..9, 5 fixed pieces (\n \n> " r" . -),
		// 10 distinct blueprint rows, " k", 108 boxes * 5 codes, 10 digits and 12 more characters
		// (t / space c b o d s > r k a).
		{"housebuild-mini", nil, 2 + 4*14 + 10 + 5 + 10 + 1 + 108*5 + 10 + 12, func(e envs.Env, task int) []string {
			g := e.(*miniHouseEnv).game.(*houseGame)
			_, inv := g.start(task)
			return oracleHouse(&g.cfg.Blueprints[task], 2, inv, g.code)
		}, " 000000c"},
	} {
		e, err := envs.New(tc.name, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		tok := wordLevel(t, e)
		if n := len(e.(envs.Vocab).Vocab()); n != tc.size {
			t.Errorf("%s %v: %d pieces, want %d", tc.name, tc.opts, n, tc.size)
		}
		pieces := e.(envs.Vocab).Vocab()
		n := e.Spec().NumAgents
		for task := range e.NumTasks() {
			good := tc.oracle(e, task)
			for _, answer := range good {
				ids := checkTokens(t, tok, "oracle answer", spaced(answer))
				if len(ids) != len(strings.Fields(answer)) {
					t.Errorf("%s: answer %q is %d tokens, want one per command", tc.name, spaced(answer), len(ids))
				}
			}
			random := make([]string, n)
			for i := range random {
				for range 6 {
					random[i] += pieces[rng.IntN(len(pieces))]
				}
			}
			for _, answers := range [][]string{good, random, make([]string, n)} {
				s, err := e.Reset(task, int64(task))
				if err != nil {
					t.Fatal(err)
				}
				for s != nil {
					for i, p := range s.Prompts() {
						checkTokens(t, tok, tc.name+" prompt", p)
						if i == 0 && task == 0 && answers[0] == good[0] {
							t.Logf("%s turn %d prompt %q: %d tokens", tc.name, s.Turn()+1, p, len(tok.Encode(p)))
						}
					}
					tr, err := s.Step(answers)
					if err != nil {
						t.Fatal(err)
					}
					s = tr.Next
				}
			}
		}
	}
	// The full games have no vocabulary: their agents keep the byte tokenizer.
	for _, name := range []string{"strbuild", "housebuild"} {
		e, err := envs.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := e.(envs.Vocab); ok {
			t.Errorf("%s implements envs.Vocab; only the mini variants should", name)
		}
	}
}

// TestCompactBox checks that a compact env rejects targets the one-digit syntax cannot address.
func TestCompactBox(t *testing.T) {
	cfg := MiniStrConfig()
	cfg.Tasks, cfg.EvalIDs = []StrTask{{ID: "LIT", Text: "LIT"}}, nil // 3*3+2 = 11 columns
	if _, err := NewStrBuild(cfg); err == nil || !strings.Contains(err.Error(), "0..9") {
		t.Errorf("strbuild-mini with an 11-wide target: err %v, want one naming 0..9", err)
	}
	hc := MiniHouseConfig()
	hc.Blueprints, hc.EvalIDs = []Blueprint{{ID: "wide", Box: BoxOfSize(11, 1, 1), Legend: miniLegend,
		Layers: [][]string{{"ccccccccccc"}}}}, nil
	if _, err := NewHouseBuild(hc); err == nil || !strings.Contains(err.Error(), "0..9") {
		t.Errorf("housebuild-mini with an 11-wide box: err %v, want one naming 0..9", err)
	}
}

// TestMiniVocabLargeNumbers checks that spider damage and block counts beyond the numbered
// pieces still tokenize, and that the vocabulary stays small for large options.
func TestMiniVocabLargeNumbers(t *testing.T) {
	e, err := envs.New("housebuild-mini", map[string]string{"spiders": "500", "spider_min": "100", "spider_max": "1000", "agents": "1"})
	if err != nil {
		t.Fatal(err)
	}
	tok := wordLevel(t, e)
	if n := len(e.(envs.Vocab).Vocab()); n > 800 {
		t.Errorf("vocabulary of %d pieces with large spider options", n)
	}
	s, _ := e.Reset(0, 1)
	for s != nil {
		p := s.Prompts()[0]
		checkTokens(t, tok, "prompt", p)
		tr, err := s.Step([]string{"000202c k"})
		if err != nil {
			t.Fatal(err)
		}
		s = tr.Next
	}
}
