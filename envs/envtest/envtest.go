package envtest

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/collm/collm/envs"
)

// Option changes what Conformance checks.
type Option func(*config)

type config struct {
	tasks     []int
	seeds     []int64
	extra     [][]string
	hugeBytes int
}

// Tasks sets the task indices whose episodes are played. The default is the first and the last
// task (only the first under -short).
func Tasks(tasks ...int) Option { return func(c *config) { c.tasks = tasks } }

// Responses adds joint responses (one string per agent) that every episode also plays, e.g. a
// good answer that reaches the deepest reward level. Each is used at every turn.
func Responses(joint ...[]string) Option {
	return func(c *config) { c.extra = append(c.extra, joint...) }
}

// HugeBytes sets the size of the huge response (default 256 KiB). Envs whose scoring is
// expensive per byte (e.g. running code) may lower it.
func HugeBytes(n int) Option { return func(c *config) { c.hugeBytes = n } }

// Conformance runs the contract checks on env as subtests of t.
func Conformance(t *testing.T, env envs.Env, opts ...Option) {
	t.Helper()
	spec := env.Spec()
	n := env.NumTasks()
	cfg := config{hugeBytes: 256 << 10}
	cfg.tasks, cfg.seeds = []int{0}, []int64{1}
	if !testing.Short() {
		cfg.seeds = []int64{1, 2}
		if n > 1 {
			cfg.tasks = []int{0, n - 1}
		}
	}
	for _, o := range opts {
		o(&cfg)
	}
	if spec.Name == "" || spec.NumAgents < 1 || spec.MaxTurns < 1 || n < 1 {
		t.Fatalf("bad spec %+v with %d tasks: want a name, NumAgents >= 1, MaxTurns >= 1, NumTasks >= 1", spec, n)
	}
	for _, task := range cfg.tasks {
		if task < 0 || task >= n {
			t.Fatalf("envtest.Tasks: task %d out of range [0, %d)", task, n)
		}
	}
	for _, joint := range cfg.extra {
		if len(joint) != spec.NumAgents {
			t.Fatalf("envtest.Responses: joint response %q has %d entries, want %d", joint, len(joint), spec.NumAgents)
		}
	}
	sets := responseSets(spec.NumAgents, cfg)

	t.Run("ResetRange", func(t *testing.T) {
		for _, task := range []int{-1, n, n + 1000} {
			if _, err := safeReset(env, task, 1); err == nil || errors.As(err, new(panicError)) {
				t.Errorf("Reset(%d, 1) with %d tasks: want an error, got %v", task, n, err)
			}
		}
	})

	t.Run("WrongResponseCount", func(t *testing.T) {
		st := mustReset(t, env, cfg.tasks[0], cfg.seeds[0])
		before := append([]string(nil), st.Prompts()...)
		for _, k := range []int{0, spec.NumAgents - 1, spec.NumAgents + 1} {
			if k == spec.NumAgents {
				continue
			}
			tr, err := safeStep(st, make([]string, k))
			if err == nil || errors.As(err, new(panicError)) {
				t.Errorf("Step with %d responses (NumAgents %d): want an error, got %+v, %v", k, spec.NumAgents, tr, err)
			}
		}
		if _, err := safeStep(st, nil); err == nil || errors.As(err, new(panicError)) {
			t.Errorf("Step(nil): want an error, got %v", err)
		}
		if !reflect.DeepEqual(before, st.Prompts()) {
			t.Errorf("a rejected Step changed the state's prompts")
		}
	})

	t.Run("Episodes", func(t *testing.T) {
		for _, task := range cfg.tasks {
			for _, seed := range cfg.seeds {
				for _, set := range sets {
					name := fmt.Sprintf("task%d/seed%d/%s", task, seed, set.name)
					first := playEpisode(t, env, name, task, seed, set.joint)
					if first == nil {
						continue
					}
					again := playEpisode(t, env, name, task, seed, set.joint)
					if again != nil && !reflect.DeepEqual(first, again) {
						t.Errorf("%s: not deterministic: two episodes with the same task, seed and responses differ:\n%s", name, firstDiff(first, again))
					}
				}
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		results := make([][]step, 4)
		task, seed, joint := cfg.tasks[0], cfg.seeds[0], sets[len(sets)-1].joint
		for g := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[g] = playEpisode(t, env, fmt.Sprintf("goroutine %d", g), task, seed, joint)
			}()
		}
		wg.Wait()
		for g := 1; g < len(results); g++ {
			if results[0] != nil && results[g] != nil && !reflect.DeepEqual(results[0], results[g]) {
				t.Errorf("concurrent episodes differ:\n%s", firstDiff(results[0], results[g]))
			}
		}
	})

	if namer, ok := env.(envs.TaskNamer); ok {
		t.Run("TaskNamer", func(t *testing.T) {
			seen := map[string]int{}
			for i := range n {
				id := namer.TaskID(i)
				if prev, dup := seen[id]; dup {
					t.Errorf("tasks %d and %d share the id %q", prev, i, id)
				}
				seen[id] = i
				j, err := namer.TaskIndex(id)
				if err != nil || j != i {
					t.Errorf("TaskIndex(TaskID(%d) = %q) = %d, %v; want %d, nil", i, id, j, err, i)
				}
			}
			if _, err := namer.TaskIndex("envtest/no such task id"); err == nil {
				t.Errorf("TaskIndex of an unknown id: want an error")
			}
		})
	}
	if split, ok := env.(envs.EvalSplitter); ok {
		t.Run("EvalSplitter", func(t *testing.T) {
			for name, idx := range map[string][]int{"TrainTasks": split.TrainTasks(), "EvalTasks": split.EvalTasks()} {
				for _, i := range idx {
					if i < 0 || i >= n {
						t.Errorf("%s holds %d, out of range [0, %d)", name, i, n)
					}
				}
			}
		})
	}
}

type responseSet struct {
	name  string
	joint []string
}

// responseSets returns the joint responses every episode plays: hostile ones first, the
// caller's own last.
func responseSets(agents int, cfg config) []responseSet {
	same := func(s string) []string {
		out := make([]string, agents)
		for i := range out {
			out[i] = s
		}
		return out
	}
	rng := rand.New(rand.NewSource(42))
	garbage := make([]string, agents)
	for i := range garbage {
		b := make([]byte, 200+rng.Intn(200))
		for j := range b {
			b[j] = byte(rng.Intn(256))
		}
		garbage[i] = string(b)
	}
	huge := strings.Repeat("word ", cfg.hugeBytes/5+1)[:cfg.hugeBytes]
	sets := []responseSet{
		{"empty", same("")},
		{"whitespace", same(" \n\t\r\v\f\u00a0\u2028 ")},
		{"non-utf8", same("\xff\xfe\xc3\x28 valid? \xed\xa0\x80 \x00 end")},
		{"garbage", garbage},
		{"huge", same(huge)},
		{"unicode", same("Ünïcödé 文字 🙂 — ∑ also so if /setblock 0 0 0 stone\ndef f():\n    return 1")},
	}
	for i, joint := range cfg.extra {
		sets = append(sets, responseSet{fmt.Sprintf("responses%d", i), joint})
	}
	return sets
}

// step records one turn of an episode, everything that must be deterministic.
type step struct {
	Turn    int
	Prompts []string
	Reward  float64
	Parts   map[string]float64
	Info    map[string]float64
	Done    bool
}

// playEpisode plays joint at every turn of an episode, checks every transition and returns the
// record, or nil after reporting an error.
func playEpisode(t *testing.T, env envs.Env, name string, task int, seed int64, joint []string) []step {
	t.Helper()
	spec := env.Spec()
	st, err := safeReset(env, task, seed)
	if err != nil {
		t.Errorf("%s: Reset: %v", name, err)
		return nil
	}
	var rec []step
	for turn := 0; ; turn++ {
		if st == nil {
			t.Errorf("%s: turn %d: nil State", name, turn)
			return nil
		}
		if st.Turn() != turn {
			t.Errorf("%s: State.Turn() = %d, want %d", name, st.Turn(), turn)
			return nil
		}
		prompts := append([]string(nil), st.Prompts()...)
		if len(prompts) != spec.NumAgents {
			t.Errorf("%s: turn %d: %d prompts, want %d (one per agent)", name, turn, len(prompts), spec.NumAgents)
			return nil
		}
		tr, err := safeStep(st, append([]string(nil), joint...))
		if err != nil {
			t.Errorf("%s: turn %d: Step: %v", name, turn, err)
			return nil
		}
		if !finite(tr.Reward) {
			t.Errorf("%s: turn %d: reward %v is not finite", name, turn, tr.Reward)
		}
		for kind, m := range map[string]map[string]float64{"Parts": tr.Parts, "Info": tr.Info} {
			for k, v := range m {
				if !finite(v) {
					t.Errorf("%s: turn %d: %s[%q] = %v is not finite", name, turn, kind, k, v)
				}
			}
		}
		// States are immutable: the same joint response gives the same transition again.
		tr2, err := safeStep(st, append([]string(nil), joint...))
		if err != nil || !sameTransition(tr, tr2) {
			t.Errorf("%s: turn %d: stepping the same state twice differs (err %v): %+v vs %+v", name, turn, err, tr, tr2)
			return nil
		}
		if !reflect.DeepEqual(prompts, st.Prompts()) {
			t.Errorf("%s: turn %d: Step changed the state's prompts", name, turn)
			return nil
		}
		rec = append(rec, step{Turn: turn, Prompts: prompts, Reward: tr.Reward, Parts: tr.Parts, Info: tr.Info, Done: tr.Done})
		if tr.Done != (tr.Next == nil) {
			t.Errorf("%s: turn %d: Done = %v but Next == nil is %v; want Next == nil exactly when Done", name, turn, tr.Done, tr.Next == nil)
			return nil
		}
		if tr.Done {
			return rec
		}
		if turn+1 >= spec.MaxTurns {
			t.Errorf("%s: episode not done after MaxTurns = %d turns", name, spec.MaxTurns)
			return nil
		}
		st = tr.Next
	}
}

func sameTransition(a, b envs.Transition) bool {
	if a.Reward != b.Reward || a.Done != b.Done || !reflect.DeepEqual(a.Parts, b.Parts) || !reflect.DeepEqual(a.Info, b.Info) {
		return false
	}
	if (a.Next == nil) != (b.Next == nil) {
		return false
	}
	return a.Next == nil || reflect.DeepEqual(a.Next.Prompts(), b.Next.Prompts())
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func firstDiff(a, b []step) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d turns vs %d turns", len(a), len(b))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("turn %d:\n  %+v\n  %+v", i, a[i], b[i])
		}
	}
	return "no difference found"
}

// panicError is a panic caught by safeReset or safeStep: always a failure, even where an error
// is expected.
type panicError struct{ msg string }

func (e panicError) Error() string { return e.msg }

// safeReset and safeStep turn a panic into a panicError, so one bad env reports every broken check.
func safeReset(env envs.Env, task int, seed int64) (st envs.State, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError{fmt.Sprintf("Reset(%d, %d) panicked: %v", task, seed, r)}
		}
	}()
	return env.Reset(task, seed)
}

func safeStep(st envs.State, responses []string) (tr envs.Transition, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError{fmt.Sprintf("Step panicked: %v", r)}
		}
	}()
	return st.Step(responses)
}

func mustReset(t *testing.T, env envs.Env, task int, seed int64) envs.State {
	t.Helper()
	st, err := safeReset(env, task, seed)
	if err != nil {
		t.Fatalf("Reset(%d, %d): %v", task, seed, err)
	}
	return st
}
