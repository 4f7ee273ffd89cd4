package envtest_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/envtest"
)

// fakeEnv is a small correct env (2 agents, 3 turns, 5 tasks) that can be told to break one
// rule of the contract.
type fakeEnv struct{ bug string }

var calls int // only the "nondeterministic" bug reads it

func (e *fakeEnv) Spec() envs.Spec { return envs.Spec{Name: "fake", NumAgents: 2, MaxTurns: 3} }
func (e *fakeEnv) NumTasks() int   { return 5 }

func (e *fakeEnv) Reset(task int, seed int64) (envs.State, error) {
	if (task < 0 || task >= 5) && e.bug != "reset-range" {
		return nil, fmt.Errorf("task %d out of range", task)
	}
	return &fakeState{env: e, task: task, seed: seed, prompts: []string{"p0", "p1"}}, nil
}

func (e *fakeEnv) TaskID(task int) string { return "T" + strconv.Itoa(task) }
func (e *fakeEnv) TaskIndex(id string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "T"))
	if err != nil || !strings.HasPrefix(id, "T") || n < 0 || n >= 5 {
		return 0, fmt.Errorf("unknown task id %q", id)
	}
	if e.bug == "namer" {
		return 0, nil
	}
	return n, nil
}

type fakeState struct {
	env     *fakeEnv
	task    int
	seed    int64
	turn    int
	prompts []string
}

func (s *fakeState) Turn() int         { return s.turn }
func (s *fakeState) Prompts() []string { return s.prompts }

func (s *fakeState) Step(responses []string) (envs.Transition, error) {
	bug := s.env.bug
	if bug != "count" {
		if err := envs.CheckResponses(s.env.Spec(), responses); err != nil {
			return envs.Transition{}, err
		}
	}
	if bug == "panic" && !utf8.ValidString(responses[0]) {
		panic("invalid UTF-8")
	}
	r := float64(utf8.RuneCountInString(responses[0])%7 + s.task + int(s.seed%3))
	if bug == "nan" && responses[0] == "" {
		r = math.NaN()
	}
	if bug == "nondeterministic" {
		calls++
		r += float64(calls)
	}
	if bug == "mutate" {
		s.prompts[0] += "!"
	}
	done := s.turn == 2 && bug != "never-done"
	tr := envs.Transition{Reward: r, Parts: map[string]float64{"len": r}, Done: done}
	if !done || bug == "done-with-next" {
		tr.Next = &fakeState{env: s.env, task: s.task, seed: s.seed, turn: s.turn + 1,
			prompts: []string{fmt.Sprintf("score %v", r), "feedback"}}
	}
	return tr, nil
}

func TestConformanceAcceptsCorrectEnv(t *testing.T) {
	envtest.Conformance(t, &fakeEnv{}, envtest.Responses([]string{"good", "answer"}))
}

// TestConformanceRejectsBrokenEnvs runs Conformance on each broken env in a child test process
// and checks that it fails with the expected message.
func TestConformanceRejectsBrokenEnvs(t *testing.T) {
	if bug := os.Getenv("ENVTEST_BUG"); bug != "" {
		t.Skip("child process")
	}
	cases := map[string]string{
		"reset-range":      "Reset(-1, 1) with 5 tasks: want an error",
		"count":            "responses (NumAgents 2): want an error",
		"panic":            "Step panicked: invalid UTF-8",
		"nan":              "is not finite",
		"nondeterministic": "stepping the same state twice differs",
		"mutate":           "Step changed the state's prompts",
		"never-done":       "episode not done after MaxTurns = 3 turns",
		"done-with-next":   "want Next == nil exactly when Done",
		"namer":            "TaskIndex(TaskID(1) = \"T1\") = 0, <nil>; want 1, nil",
	}
	for bug, want := range cases {
		t.Run(bug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenChild$", "-test.short")
			cmd.Env = append(os.Environ(), "ENVTEST_BUG="+bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("Conformance passed an env with bug %q:\n%s", bug, out)
			}
			if !strings.Contains(string(out), want) {
				t.Errorf("bug %q: output lacks %q:\n%s", bug, want, out)
			}
		})
	}
}

// TestBrokenChild is the child side of TestConformanceRejectsBrokenEnvs.
func TestBrokenChild(t *testing.T) {
	bug := os.Getenv("ENVTEST_BUG")
	if bug == "" {
		t.Skip("runs only as a child of TestConformanceRejectsBrokenEnvs")
	}
	envtest.Conformance(t, &fakeEnv{bug: bug})
}
