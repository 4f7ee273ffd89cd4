package coding

import (
	"slices"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/tokenizer"
)

// TestMiniVocab: every prompt coding-mini writes (turn 0, later turns after a canonical or a
// two-line previous response, every feedback line) and every canonical answer is a sequence of
// Vocab pieces: it encodes without the unknown token and decodes back to itself. Canonical
// answers (bodies: the prompt ends with the header) are at most 5 tokens with two agents
// ("max(" "x " "," "3 " ") ") and 7 with one ("(" "x " "+" "3 " ") " "*" "2 "), so
// max_new_tokens 6 leaves room for a stop with two agents.
func TestMiniVocab(t *testing.T) {
	feedbacks := []string{""}
	for _, j := range []Judgment{
		{},
		{AuxDefined: true, MainDefined: true},
		{AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true, Total: 3, Tests: []TestResult{{Index: 0, Timeout: true}}},
		{AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 3, Tests: []TestResult{{Index: 0}}},
		{AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 3,
			Tests: []TestResult{{Index: 0, Passed: true}, {Index: 1, Passed: true}, {Index: 2, Passed: true}}},
	} {
		for _, mode := range []string{FeedbackLevel, FeedbackPassed} {
			for _, agents := range []int{1, 2} {
				feedbacks = append(feedbacks, MiniPrompter{}.Feedback(nil, &j, mode, agents))
			}
		}
	}
	for _, agents := range []string{"1", "2"} {
		env, err := envs.New("coding-mini", map[string]string{"agents": agents, "turns": "2"})
		if err != nil {
			t.Fatal(err)
		}
		m := env.(*MiniEnv)
		tok, err := tokenizer.NewWordLevel(m.Vocab())
		if err != nil {
			t.Fatal(err)
		}
		unk, _ := tok.TokenID(tokenizer.UnkToken)
		check := func(what, s string) []int {
			ids := tok.Encode(s)
			if slices.Contains(ids, unk) || tok.Decode(ids) != s {
				t.Errorf("agents=%s: %s %q: ids %v decode to %q", agents, what, s, ids, tok.Decode(ids))
			}
			return ids
		}
		n := m.Spec().NumAgents
		maxTokens := map[int]int{1: 7, 2: 5}[n]
		for task := range m.NumTasks() {
			p := m.Problem(task)
			canon := m.Canonical(task)
			for a := range n {
				if ids := check("canonical answer", canon[a]); len(ids) > maxTokens {
					t.Errorf("agents=%s: canonical answer %q is %d tokens, want <= %d", agents, canon[a], len(ids), maxTokens)
				}
				check("turn-0 prompt", MiniPrompter{}.Initial(p, a, n))
				for _, fb := range feedbacks {
					check("later prompt", MiniPrompter{}.Next(p, a, n, MiniPrompter{}.Start(p, a, n)+canon[a], fb))
				}
			}
		}
	}
}
