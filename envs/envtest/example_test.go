package envtest_test

import (
	"fmt"
	"strings"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/envtest"
)

// shoutEnv is a one-agent env: each of 3 tasks asks for a word in capitals, twice.
type shoutEnv struct{}

var shoutWords = []string{"hello", "world", "again"}

func (shoutEnv) Spec() envs.Spec { return envs.Spec{Name: "shout", NumAgents: 1, MaxTurns: 2} }
func (shoutEnv) NumTasks() int   { return len(shoutWords) }

func (shoutEnv) Reset(task int, seed int64) (envs.State, error) {
	if task < 0 || task >= len(shoutWords) {
		return nil, fmt.Errorf("shout: task %d out of range [0, %d)", task, len(shoutWords))
	}
	return shoutState{word: shoutWords[task]}, nil
}

type shoutState struct {
	word string
	turn int
}

func (s shoutState) Turn() int { return s.turn }

func (s shoutState) Prompts() []string {
	return []string{fmt.Sprintf("Turn %d: write %q in capitals.", s.turn, s.word)}
}

func (s shoutState) Step(responses []string) (envs.Transition, error) {
	if err := envs.CheckResponses(shoutEnv{}.Spec(), responses); err != nil {
		return envs.Transition{}, err
	}
	reward := 0.0
	if strings.TrimSpace(responses[0]) == strings.ToUpper(s.word) {
		reward = 1
	}
	tr := envs.Transition{Reward: reward, Parts: map[string]float64{"exact": reward}, Done: s.turn == 1}
	if !tr.Done {
		tr.Next = shoutState{word: s.word, turn: s.turn + 1}
	}
	return tr, nil
}

// Check needs no *testing.T: a notebook cell prints the report of the env it just defined.
func ExampleCheck() {
	report := envtest.Check(shoutEnv{}, envtest.Responses([]string{"HELLO"}))
	fmt.Println(report)
	fmt.Println("error:", report.Err())
	// Output:
	// env "shout": ok, 4 checks passed
	// ok   ResetRange
	// ok   WrongResponseCount
	// ok   Episodes
	// ok   Concurrent
	// error: <nil>
}
