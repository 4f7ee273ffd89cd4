package envtest_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/envtest"
)

// fakeEnv is a small correct env (2 agents, 3 turns, 5 tasks) that can be told to break one
// rule of the contract.
type fakeEnv struct{ bug string }

var calls atomic.Int64 // only the "nondeterministic" bug reads it

func (e *fakeEnv) Spec() envs.Spec {
	switch e.bug {
	case "spec":
		return envs.Spec{Name: "fake", NumAgents: 0, MaxTurns: 3}
	case "spec-panic":
		panic("no spec yet")
	}
	return envs.Spec{Name: "fake", NumAgents: 2, MaxTurns: 3}
}

func (e *fakeEnv) NumTasks() int { return 5 }

func (e *fakeEnv) Reset(task int, seed int64) (envs.State, error) {
	if (task < 0 || task >= 5) && e.bug != "reset-range" {
		return nil, fmt.Errorf("task %d out of range", task)
	}
	if e.bug == "reset-panic" && seed == 2 {
		var m map[int64]int
		m[seed] = task
	}
	prompts := []string{"p0", "p1"}
	if e.bug == "prompt-count" {
		prompts = prompts[:1]
	}
	return &fakeState{env: e, task: task, seed: seed, prompts: prompts}, nil
}

func (e *fakeEnv) TaskID(task int) string {
	if e.bug == "namer-panic" && task == 4 {
		panic("no id for task 4")
	}
	return "T" + strconv.Itoa(task)
}
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

func (s *fakeState) Turn() int { return s.turn }

func (s *fakeState) Prompts() []string {
	if s.env.bug == "prompts-panic" && s.turn == 1 {
		panic(fmt.Sprintf("no prompts at turn %d", s.turn))
	}
	return s.prompts
}

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
	if bug == "index" && responses[0] == "" {
		_ = s.prompts[len(responses[0])+3] // index out of range [3] with length 2
	}
	r := float64(utf8.RuneCountInString(responses[0])%7 + s.task + int(s.seed%3))
	if bug == "nan" && responses[0] == "" {
		r = math.NaN()
	}
	if bug == "nondeterministic" {
		r += float64(calls.Add(1))
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
		"index":            "Step panicked: runtime error: index out of range [3] with length 2",
		"prompts-panic":    "Prompts panicked: no prompts at turn 1",
		"spec":             "bad spec",
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

// TestMain lets TestCheckOutsideTests run Check in a child before the testing flags are parsed,
// as in a notebook cell, where testing.Short panics.
func TestMain(m *testing.M) {
	if os.Getenv("ENVTEST_OUTSIDE_TESTS") != "" {
		func() {
			defer func() { fmt.Println("testing.Short panicked:", recover()) }()
			testing.Short()
		}()
		fmt.Println(envtest.Check(&fakeEnv{bug: os.Getenv("ENVTEST_BUG")}))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCheckOutsideTests(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "ENVTEST_OUTSIDE_TESTS=1", "ENVTEST_BUG=nan")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{
		"testing.Short panicked: testing: Short called before Parse",
		`env "fake": FAIL, 1 of 5 checks failed`,
		// The reward and Parts["len"] of 4 episodes: tasks 0 and 4, seeds 1 and 2, as without -short.
		"FAIL Episodes: reward NaN is not finite (task 0, seed 1, responses \"empty\", turn 0) (+7 more)",
		"ok   Concurrent",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheck(t *testing.T) {
	all := []string{"ResetRange", "WrongResponseCount", "Episodes", "Concurrent", "TaskNamer"}
	cases := []struct {
		bug   string
		fails map[string]string // failing check -> a substring of one of its problems
	}{
		{"", nil},
		{"reset-range", map[string]string{"ResetRange": "Reset(-1, 1) with 5 tasks: want an error, got <nil>"}},
		{"count", map[string]string{"WrongResponseCount": "Step with 1 responses (NumAgents 2): want an error"}},
		{"prompt-count", map[string]string{
			"Episodes":   `1 prompts, want 2, one per agent (task 0, seed 1, responses "empty", turn 0)`,
			"Concurrent": `1 prompts, want 2, one per agent (goroutine `,
		}},
		{"nondeterministic", map[string]string{
			"Episodes":   `stepping the same state twice differs (task 0, seed 1, responses "empty", turn 0): {Reward:`,
			"Concurrent": "stepping the same state twice differs",
		}},
		{"nan", map[string]string{"Episodes": `reward NaN is not finite (task 0, seed 1, responses "empty", turn 0)`}},
		{"index", map[string]string{"Episodes": `Step panicked: runtime error: index out of range [3] with length 2 (task 0, seed 1, responses "empty", turn 0)`}},
		{"panic", map[string]string{"Episodes": `Step panicked: invalid UTF-8 (task 0, seed 1, responses "non-utf8", turn 0)`}},
		{"reset-panic", map[string]string{"Episodes": `Reset(0, 2) panicked: assignment to entry in nil map (task 0, seed 2, responses "empty")`}},
		{"prompts-panic", map[string]string{
			"Episodes":   `Prompts panicked: no prompts at turn 1 (task 0, seed 1, responses "empty", turn 1)`,
			"Concurrent": "Prompts panicked: no prompts at turn 1 (goroutine",
		}},
		{"mutate", map[string]string{"Episodes": "Step changed the state's prompts", "Concurrent": "Step changed the state's prompts"}},
		{"never-done", map[string]string{
			"Episodes":   `episode not done after MaxTurns = 3 turns (task 0, seed 1, responses "empty")`,
			"Concurrent": "episode not done after MaxTurns = 3 turns",
		}},
		{"done-with-next", map[string]string{
			"Episodes":   "Done = true but Next == nil is false; want Next == nil exactly when Done",
			"Concurrent": "want Next == nil exactly when Done",
		}},
		{"namer", map[string]string{"TaskNamer": `TaskIndex(TaskID(1) = "T1") = 0, <nil>; want 1, nil`}},
		{"namer-panic", map[string]string{"TaskNamer": "a call into the env panicked: no id for task 4"}},
		{"spec", map[string]string{"Setup": "bad spec {Name:fake NumAgents:0 MaxTurns:3} with 5 tasks"}},
		{"spec-panic", map[string]string{"Setup": "Spec panicked: no spec yet"}},
	}
	for _, tc := range cases {
		t.Run("bug="+tc.bug, func(t *testing.T) {
			var r envtest.Report
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("Check panicked: %v", v)
					}
				}()
				r = envtest.Check(&fakeEnv{bug: tc.bug})
			}()
			if r.Env != "fake" && !strings.HasPrefix(tc.bug, "spec-panic") {
				t.Errorf("Report.Env = %q, want fake", r.Env)
			}
			if r.OK() != (len(tc.fails) == 0) || (r.Err() == nil) != r.OK() {
				t.Errorf("OK() = %v, Err() = %v with %d failing checks expected", r.OK(), r.Err(), len(tc.fails))
			}
			var names []string
			for _, c := range r.Checks {
				names = append(names, c.Name)
				want, shouldFail := tc.fails[c.Name]
				switch {
				case !shouldFail && !c.OK():
					t.Errorf("check %s failed: %q", c.Name, c.Problems)
				case shouldFail && !slices.ContainsFunc(c.Problems, func(p string) bool { return strings.Contains(p, want) }):
					t.Errorf("check %s: no problem contains %q: %q", c.Name, want, c.Problems)
				}
			}
			wantNames := all
			if _, fatal := tc.fails["Setup"]; fatal {
				wantNames = []string{"Setup"}
			}
			if !slices.Equal(names, wantNames) {
				t.Errorf("checks %q, want %q", names, wantNames)
			}
			if !r.OK() {
				for name := range tc.fails {
					if !strings.Contains(r.String(), "FAIL "+name+": ") || !strings.Contains(r.Err().Error(), name+": ") {
						t.Errorf("String or Err does not name %s:\n%s\n%v", name, r, r.Err())
					}
				}
			}
		})
	}
}

func TestReportFormat(t *testing.T) {
	long := strings.Repeat("x", 300)
	r := envtest.Report{Env: "demo", Checks: []envtest.CheckResult{
		{Name: "ResetRange"},
		{Name: "Episodes", Problems: []string{"reward NaN is not finite (task 0)", "second", "third"}},
		{Name: "Concurrent", Problems: []string{"first line\nsecond line"}},
		{Name: "TaskNamer", Problems: []string{long}},
	}}
	wantString := `env "demo": FAIL, 3 of 4 checks failed
ok   ResetRange
FAIL Episodes: reward NaN is not finite (task 0) (+2 more)
FAIL Concurrent: first line
FAIL TaskNamer: ` + long[:200] + `… (300 bytes)`
	if got := r.String(); got != wantString {
		t.Errorf("String() =\n%s\nwant\n%s", got, wantString)
	}
	wantErr := `envtest: env "demo" breaks the envs.Env contract: Episodes: reward NaN is not finite (task 0) (+2 more); Concurrent: first line; TaskNamer: ` + long[:200] + `… (300 bytes)`
	if err := r.Err(); err == nil || err.Error() != wantErr {
		t.Errorf("Err() = %v\nwant %s", err, wantErr)
	}

	ok := envtest.Report{Env: "demo", Checks: []envtest.CheckResult{{Name: "ResetRange"}, {Name: "Episodes"}}}
	if !ok.OK() || ok.Err() != nil {
		t.Errorf("passing report: OK() = %v, Err() = %v", ok.OK(), ok.Err())
	}
	if got, want := ok.String(), "env \"demo\": ok, 2 checks passed\nok   ResetRange\nok   Episodes"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var empty envtest.Report
	if empty.OK() || empty.Err() == nil {
		t.Errorf("a report with no checks: OK() = %v, Err() = %v; want false and an error", empty.OK(), empty.Err())
	}
}
