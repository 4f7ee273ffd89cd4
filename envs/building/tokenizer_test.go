package building_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/maac/tokenizer"
)

// TestMiniEnvTokenizer checks the mini envs with the tokenizer maac builds for tiny agents
// (maac.EnvTokenizer: the env's pieces plus maac's framing): every prompt of every task over two
// turns, and the centralized critic's joint history of them, have no unknown token, and the
// tokenizer has the env's pieces plus at most a few framing ones.
func TestMiniEnvTokenizer(t *testing.T) {
	for _, name := range []string{"strbuild-mini", "housebuild-mini"} {
		e, err := envs.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		v := e.(envs.Vocab)
		tok, err := maac.EnvTokenizer(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, want := len(tok.Pieces()), len(v.Vocab()); got < want || got > want+32 {
			t.Errorf("%s: tokenizer of %d pieces for a vocabulary of %d", name, got, want)
		}
		unk, _ := tok.TokenID(tokenizer.UnkToken)
		answers := []string{" 000o 020s 200o k", " 010w 100b"}
		if name == "housebuild-mini" {
			answers = []string{" 000202c k", " 010212c 111111a"}
		}
		for task := range e.NumTasks() {
			s, err := e.Reset(task, int64(task))
			if err != nil {
				t.Fatal(err)
			}
			for s != nil {
				prompts := s.Prompts()
				blocks := make([]string, len(prompts))
				for i, p := range prompts {
					blocks[i] = fmt.Sprintf("[Agent %d] %s", i+1, p)
				}
				for _, text := range append(prompts, strings.Join(blocks, "\n\n")) {
					for _, id := range tok.Encode(text) {
						if id == unk {
							t.Errorf("%s task %d: unknown token in %q", name, task, text)
							break
						}
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
