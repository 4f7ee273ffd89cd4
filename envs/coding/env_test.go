package coding

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/envtest"
)

func TestRegistryRequiresData(t *testing.T) {
	for _, name := range []string{"humaneval", "mbpp"} {
		_, err := envs.New(name, nil)
		if err == nil || !strings.Contains(err.Error(), "data=PATH is required") || !strings.Contains(err.Error(), "download") {
			t.Errorf("%s without data: got %v", name, err)
		}
	}
	if _, err := envs.New("coding-mini", map[string]string{"agents": "3"}); err == nil {
		t.Error("agents=3: want an error")
	}
	if _, err := envs.New("humaneval", map[string]string{"data": humanEvalPath, "feedback": "loud"}); err == nil {
		t.Error("feedback=loud: want an error")
	}
}

func TestHumanEvalConformance(t *testing.T) {
	loadHumanEvalForTest(t)
	env, err := envs.New("humaneval", map[string]string{"data": humanEvalPath, "test_timeout": "2"})
	if err != nil {
		t.Fatal(err)
	}
	p := env.(*Env).Problem(0)
	good := []string{"def aux(a, b):\n    return abs(a - b)\n",
		"def has_close_elements(numbers, threshold):\n    for i, a in enumerate(numbers):\n        for b in numbers[i + 1:]:\n" +
			"            d = aux(a, b)\n            if d < threshold:\n                return True\n    return False\n"}
	envtest.Conformance(t, env, envtest.Responses(good), envtest.HugeBytes(32<<10))
	if p.ID != "HumanEval/0" {
		t.Fatalf("task 0 is %s", p.ID)
	}
}

func TestMiniConformance(t *testing.T) {
	for _, opts := range []map[string]string{nil, {"agents": "1", "turns": "3", "dense": "false"}} {
		env, err := envs.New("coding-mini", opts)
		if err != nil {
			t.Fatal(err)
		}
		envtest.Conformance(t, env, envtest.HugeBytes(4<<10))
	}
}

// TestHumanEvalEpisode plays a two-turn episode and checks the turn-2 prompts: they hold the
// agent's previous response and the level feedback with the first test's outcome.
func TestHumanEvalEpisode(t *testing.T) {
	loadHumanEvalForTest(t)
	for _, mode := range []string{FeedbackLevel, FeedbackPassed, FeedbackPlain} {
		env, err := envs.New("humaneval", map[string]string{"data": humanEvalPath, "test_timeout": "2", "feedback": mode})
		if err != nil {
			t.Fatal(err)
		}
		st, err := env.Reset(0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if ps := st.Prompts(); !strings.Contains(ps[0], "def aux(...)") || !strings.Contains(ps[1], "has_close_elements") || !strings.Contains(ps[0], "threshold") {
			t.Fatalf("turn-0 prompts: %q", ps)
		}
		resp := []string{"def aux(x):\n    return x\n", "def has_close_elements(numbers, threshold):\n    return False\n"}
		tr, err := st.Step(resp)
		if err != nil {
			t.Fatal(err)
		}
		// 0.4 + 0.6 + 0.5 + 3/7 tests (the False cases), no aux call.
		if want := 1.5 + 3.0/7 - 4; math.Abs(tr.Reward-want) > 1e-9 || tr.Done || tr.Next == nil {
			t.Fatalf("%s: reward %v (want %v), done %v, parts %v", mode, tr.Reward, want, tr.Done, tr.Parts)
		}
		next := tr.Next.Prompts()
		for a := range next {
			if !strings.Contains(next[a], strings.TrimSpace(resp[a])) {
				t.Errorf("%s: agent %d's turn-2 prompt lacks its previous response: %q", mode, a, next[a])
			}
		}
		wantFB := map[string]string{
			FeedbackLevel:  "first test: assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True -> failed (AssertionError",
			FeedbackPassed: "Not all tests passed.",
			FeedbackPlain:  "Revise your response.",
		}[mode]
		if !strings.Contains(next[1], wantFB) || (mode == FeedbackPlain && strings.Contains(next[1], "Feedback:")) {
			t.Errorf("%s: turn-2 prompt: %q", mode, next[1])
		}
		tr2, err := tr.Next.Step(resp)
		if err != nil || !tr2.Done || tr2.Next != nil {
			t.Fatalf("%s: turn 2: %v %+v", mode, err, tr2)
		}
	}
}

// testedMiniTasks returns the evaluation tasks, and under -short only those, else all tasks.
func testedMiniTasks(m *MiniEnv) []int {
	tasks := m.EvalTasks()
	if !testing.Short() {
		tasks = append(tasks, m.TrainTasks()...)
	}
	return tasks
}

// TestMiniCanonical: every coding-mini problem's canonical answer earns the maximum (reward 0)
// with one and two agents in both reward modes, fits 40 bytes, and an empty answer earns -1.
func TestMiniCanonical(t *testing.T) {
	for _, agents := range []int{2, 1} {
		for _, dense := range []bool{true, false} {
			env, err := envs.New("coding-mini", map[string]string{"dense": fmt.Sprint(dense), "turns": "1", "agents": fmt.Sprint(agents)})
			if err != nil {
				t.Fatal(err)
			}
			m := env.(*MiniEnv)
			for _, i := range testedMiniTasks(m) {
				joint := m.Canonical(i)
				for _, l := range joint {
					if len(l) > 40 {
						t.Errorf("%s: canonical response %q longer than 40 bytes", m.TaskID(i), l)
					}
				}
				st, _ := env.Reset(i, 0)
				tr, err := st.Step(joint)
				if err != nil {
					t.Fatal(err)
				}
				if tr.Reward != 0 || !tr.Done {
					t.Errorf("agents=%d dense=%v %s: canonical %q reward %v parts %v", agents, dense, m.TaskID(i), joint, tr.Reward, tr.Parts)
				}
				if tr, _ := st.Step(make([]string, agents)); tr.Reward != -1 {
					t.Errorf("agents=%d dense=%v %s: empty reward %v, want -1", agents, dense, m.TaskID(i), tr.Reward)
				}
			}
		}
	}
}

// TestMiniDemos: demos=canonical demonstrates Canonical alone; with demos=varied every
// demonstrated part passes all tests together with some partner's part, and of all the joint
// draws only the canonical pair earns the maximum (the others are a wrapper, a main that
// ignores aux, or parts that do not fit; with an outer step "*1 " aux may also return the whole
// formula). One agent gets the formula either way.
func TestMiniDemos(t *testing.T) {
	canon, err := envs.New("coding-mini", map[string]string{"turns": "1"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := envs.New("coding-mini", map[string]string{"turns": "1", "demos": "varied", "shaping": "false"})
	if err != nil {
		t.Fatal(err)
	}
	m := env.(*MiniEnv)
	for _, i := range testedMiniTasks(m) {
		c, err := canon.(envs.Demonstrator).Demonstrations(i)
		if err != nil {
			t.Fatal(err)
		}
		if want := m.Canonical(i); len(c) != 2 || !slices.Equal(c[0], want[:1]) || !slices.Equal(c[1], want[1:]) {
			t.Errorf("%s: canonical demonstrations %q, want %q", m.TaskID(i), c, want)
		}
		d, err := m.Demonstrations(i)
		if err != nil {
			t.Fatal(err)
		}
		wantSizes := [2]int{2, 3}
		if strings.HasPrefix(m.Problem(i).Prompt, "f(x,y)") {
			wantSizes = [2]int{1, 2}
		}
		if len(d) != 2 || len(d[0]) != wantSizes[0] || len(d[1]) != wantSizes[1] {
			t.Fatalf("%s: varied demonstrations %q, want %v alternatives", m.TaskID(i), d, wantSizes)
		}
		fits := [2][]bool{make([]bool, len(d[0])), make([]bool, len(d[1]))}
		var best [][2]string
		st, _ := env.Reset(i, 0)
		for a, aux := range d[0] {
			for f, main := range d[1] {
				tr, err := st.Step([]string{aux, main})
				if err != nil {
					t.Fatal(err)
				}
				if tr.Parts["tests_passed"] == PointsTests {
					fits[0][a], fits[1][f] = true, true
				}
				if tr.Reward == 0 {
					best = append(best, [2]string{aux, main})
				}
			}
		}
		for agent, fit := range fits {
			for k, ok := range fit {
				if !ok {
					t.Errorf("%s: agent %d's demonstration %q passes the tests with no partner", m.TaskID(i), agent, d[agent][k])
				}
			}
		}
		// An outer step "*1 " is the identity: aux may then also return the whole formula.
		want := [2]string(m.Canonical(i))
		if len(best) == 0 || best[0] != want || len(best) > 1 && !strings.HasSuffix(want[1], "*1 ") {
			t.Errorf("%s: joint demonstrations with the maximum reward %q, want only the canonical %q", m.TaskID(i), best, want)
		}
	}
	one, err := envs.New("coding-mini", map[string]string{"agents": "1", "demos": "varied"})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := one.(envs.Demonstrator).Demonstrations(0); len(d) != 1 || !slices.Equal(d[0], []string{"2 *x +1 "}) {
		t.Errorf("agents=1: demonstrations %q, want the formula alone", d)
	}
	if _, err := m.Demonstrations(m.NumTasks()); err == nil {
		t.Error("task out of range: want an error")
	}
	if _, err := envs.New("coding-mini", map[string]string{"demos": "all"}); err == nil || !strings.Contains(err.Error(), "demos") {
		t.Errorf("demos=all: got %v, want an error naming the option", err)
	}
}

// TestMiniSparseTurns: with dense=false only the last turn pays.
func TestMiniSparseTurns(t *testing.T) {
	env, err := envs.New("coding-mini", map[string]string{"dense": "false", "turns": "2"})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := env.Reset(3, 0)
	tr, err := st.Step([]string{"", ""})
	if err != nil || tr.Reward != 0 || tr.Done {
		t.Fatalf("turn 1: %v %+v", err, tr)
	}
	tr, err = tr.Next.Step(env.(*MiniEnv).Canonical(3))
	if err != nil || tr.Reward != 0 || !tr.Done || tr.Parts["success"] != 1 {
		t.Fatalf("turn 2: %v %+v", err, tr)
	}
}

func TestMiniPromptsAndFeedback(t *testing.T) {
	env, err := envs.New("coding-mini", map[string]string{"shaping": "false"})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := env.Reset(0, 0)
	if got := st.Prompts(); got[0] != "f(x)=2 *x +1 \ndef aux(x):return " || got[1] != "f(x)=2 *x +1 \ndef f(x):return " {
		t.Fatalf("prompts %q", got)
	}
	// Bodies; the env prepends the headers and cuts each response at its first newline.
	tr, err := st.Step([]string{"2 *x \naux:junk", "aux(x) "})
	if err != nil {
		t.Fatal(err)
	}
	// Points: 0.4+0.6+0.5 + 0/3 tests (f = 2x) -> 1.5; dense reward (1.5-4)/4.
	if want := (1.5 - 4) / 4; math.Abs(tr.Reward-want) > 1e-9 {
		t.Errorf("reward %v, want %v (parts %v)", tr.Reward, want, tr.Parts)
	}
	want := []string{
		"f(x)=2 *x +1 \nprev:def aux(x):return 2 *x \nfb:aux:ok,f:ok,syn:ok,t1:fail\ndef aux(x):return ",
		"f(x)=2 *x +1 \nprev:def f(x):return aux(x) \nfb:aux:ok,f:ok,syn:ok,t1:fail\ndef f(x):return ",
	}
	for a, got := range tr.Next.Prompts() {
		if got != want[a] {
			t.Errorf("agent %d: turn-2 prompt %q, want %q", a, got, want[a])
		}
	}
}

// TestMiniOptions: templates keeps the first n templates (16 tasks each) and rejects values
// outside 1..6; an empty stop sequence is a configuration error.
func TestMiniOptions(t *testing.T) {
	env, err := envs.New("coding-mini", map[string]string{"templates": "1"})
	if err != nil {
		t.Fatal(err)
	}
	m := env.(*MiniEnv)
	if m.NumTasks() != 16 || len(m.EvalTasks()) != 2 || m.TaskID(15) != "mini/0/5/4" {
		t.Errorf("templates=1: %d tasks, eval %v, task 15 %s", m.NumTasks(), m.EvalTasks(), m.TaskID(15))
	}
	for _, bad := range []string{"0", "7"} {
		if _, err := envs.New("coding-mini", map[string]string{"templates": bad}); err == nil {
			t.Errorf("templates=%s: want an error", bad)
		}
	}
	if _, err := NewEnv(Config{Problems: MiniProblems(), Stop: []string{"\n", ""}}); err == nil || !strings.Contains(err.Error(), "Stop[1]") {
		t.Errorf("empty stop sequence: got %v, want an error naming Stop[1]", err)
	}
}

// BenchmarkSandboxCanonical measures judge runs per second on HumanEval canonical solutions
// (b.N problems, cycling), one-shot sandboxes against persistent servers, 1 and 2 workers.
func BenchmarkSandboxCanonical(b *testing.B) {
	ps := loadHumanEvalForTest(b)
	for _, oneShot := range []bool{true, false} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("oneshot=%v/workers=%d", oneShot, workers), func(b *testing.B) {
				j, err := NewJudge(JudgeConfig{OneShot: oneShot, Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				defer j.Close()
				batch := make([]Problem, b.N)
				for i := range batch {
					batch[i] = ps[i%len(ps)]
				}
				b.ResetTimer()
				for _, r := range SelfTest(b.Context(), j, batch, workers) {
					if !r.OK() {
						b.Fatalf("%s failed: %v", r.ID, r.Failures)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
			})
		}
	}
}

// BenchmarkMiniStep measures coding-mini Steps per second (one sandbox run each).
func BenchmarkMiniStep(b *testing.B) {
	env, err := envs.New("coding-mini", map[string]string{"turns": "1"})
	if err != nil {
		b.Fatal(err)
	}
	st, _ := env.Reset(0, 0)
	resp := env.(*MiniEnv).Canonical(0)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.Step(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}
