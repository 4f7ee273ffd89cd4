package envs_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/envtest"
	"github.com/collm/collm/envs/reward"
	_ "github.com/collm/collm/envs/toy"
	_ "github.com/collm/collm/envs/writing"
)

// brevity pays 1 for a short first response (a gate) and then the second response's length.
var brevity = reward.New(
	reward.Level("short", func(in reward.Input) (float64, bool) {
		ok := len(in.Responses[0]) <= 10
		if ok {
			return 1, true
		}
		return 0, false
	}),
	reward.Term("long", func(in reward.Input) float64 { return float64(len(in.Responses[1])) / 10 }),
).Done()

func stepOnce(t *testing.T, env envs.Env, responses ...string) envs.Transition {
	t.Helper()
	st, err := env.Reset(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := st.Step(responses)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestDeriveReplacesReward(t *testing.T) {
	if err := envs.Derive("writing-mini", "test-wm-brevity", envs.WithReward(brevity)); err != nil {
		t.Fatal(err)
	}
	base, err := envs.New("writing-mini", nil)
	if err != nil {
		t.Fatal(err)
	}
	env, err := envs.New("test-wm-brevity", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.Spec(); got.Name != "test-wm-brevity" || got.NumAgents != 2 || env.NumTasks() != base.NumTasks() {
		t.Errorf("spec %+v, %d tasks; want the base's under the new name", got, env.NumTasks())
	}
	reg, _ := envs.Lookup("test-wm-brevity")
	if reg.Base != "writing-mini" || !strings.Contains(reg.Summary, "writing-mini") {
		t.Errorf("registration base %q summary %q", reg.Base, reg.Summary)
	}
	tests := []struct {
		name        string
		responses   []string
		reward      float64
		stopped     string
		long, short float64
	}{
		{"both pass", []string{"cat dog", "the sun is red"}, 1 + 1.4, "", 1.4, 1},
		{"gate fails", []string{"a very long first answer", "sun"}, 0, "short", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := stepOnce(t, env, tc.responses...)
			own := stepOnce(t, base, tc.responses...)
			if tr.Reward != tc.reward || tr.Stopped != tc.stopped {
				t.Errorf("reward %v stopped %q, want %v %q", tr.Reward, tr.Stopped, tc.reward, tc.stopped)
			}
			if tr.Parts["short"] != tc.short || tr.Parts["long"] != tc.long || len(tr.Parts) != 2 {
				t.Errorf("parts %v, want short=%v long=%v only", tr.Parts, tc.short, tc.long)
			}
			if tr.Info["env_reward"] != own.Reward {
				t.Errorf("info env_reward %v, want the base's reward %v", tr.Info["env_reward"], own.Reward)
			}
			for k, v := range own.Info {
				if tr.Info[k] != v {
					t.Errorf("info %s = %v, want the base's %v", k, tr.Info[k], v)
				}
			}
		})
	}
	if names := env.(envs.PartNamer).RewardParts(); strings.Join(names, ",") != "short,long" {
		t.Errorf("RewardParts %v", names)
	}
}

func TestDeriveAddsReward(t *testing.T) {
	bonus := reward.New(reward.Term("bonus", func(reward.Input) float64 { return 0.5 })).Done()
	envs.MustDerive("writing-mini", "test-wm-bonus", envs.AddReward(bonus))
	base, _ := envs.New("writing-mini", nil)
	env, err := envs.New("test-wm-bonus", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := []string{"cat", "the cat is red and so the dog"}
	tr, own := stepOnce(t, env, resp...), stepOnce(t, base, resp...)
	if tr.Reward != own.Reward+0.5 || tr.Parts["bonus"] != 0.5 || len(tr.Parts) != len(own.Parts)+1 {
		t.Errorf("reward %v parts %v; base reward %v parts %v", tr.Reward, tr.Parts, own.Reward, own.Parts)
	}
	clash := reward.New(reward.Term("tokens", func(reward.Input) float64 { return 1 })).Done()
	envs.MustDerive("writing-mini", "test-wm-clash", envs.AddReward(clash))
	env, _ = envs.New("test-wm-clash", nil)
	st, _ := env.Reset(0, 0)
	if _, err := st.Step(resp); err == nil || !strings.Contains(err.Error(), `"tokens"`) {
		t.Errorf("a part named like one of the base's: %v, want an error naming it", err)
	}
}

func TestDeriveErrors(t *testing.T) {
	envs.MustDerive("toy-coord", "test-toy-dup", envs.WithReward(brevity))
	tests := []struct {
		name, base, derived string
		opts                []envs.DeriveOption
		want                string
	}{
		{"unknown base", "no-such-env", "test-x", []envs.DeriveOption{envs.WithReward(brevity)}, `unknown env "no-such-env"`},
		{"no reward", "toy-coord", "test-y", nil, "no reward"},
		{"nil scheme", "toy-coord", "test-y", []envs.DeriveOption{envs.WithReward(nil)}, "nil scheme"},
		{"taken by a derivation", "toy-coord", "test-toy-dup", []envs.DeriveOption{envs.WithReward(brevity)}, "already derived from toy-coord"},
		{"built-in name", "toy-coord", "writing-mini", []envs.DeriveOption{envs.WithReward(brevity)}, "built-in env"},
		{"empty name", "toy-coord", "", []envs.DeriveOption{envs.WithReward(brevity)}, "empty name"},
		{"unknown default", "toy-coord", "test-z", []envs.DeriveOption{envs.WithReward(brevity), envs.WithDefaults(map[string]string{"nope": "1"})}, `no option "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := envs.Derive(tc.base, tc.derived, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("MustDerive of a taken name did not panic")
		}
	}()
	envs.MustDerive("toy-coord", "test-toy-dup", envs.WithReward(brevity))
}

func TestDeriveCapabilities(t *testing.T) {
	envs.MustDerive("writing-mini", "test-wm-caps", envs.WithReward(brevity), envs.WithDefaults(map[string]string{"turns": "3"}))
	env, err := envs.New("test-wm-caps", nil)
	if err != nil {
		t.Fatal(err)
	}
	if env.Spec().MaxTurns != 3 {
		t.Errorf("WithDefaults turns=3: MaxTurns %d", env.Spec().MaxTurns)
	}
	if env, err := envs.New("test-wm-caps", map[string]string{"turns": "2"}); err != nil || env.Spec().MaxTurns != 2 {
		t.Errorf("an option given overrides WithDefaults: %v", err)
	}
	if _, ok := envs.As[envs.TaskNamer](env); !ok {
		t.Error("As[TaskNamer] does not look through the derived env")
	}
	if _, ok := envs.As[envs.Vocab](env); !ok {
		t.Error("As[Vocab] does not look through the derived env")
	}
	if _, ok := envs.As[envs.Stopper](env); ok {
		t.Error("As[Stopper] found a capability the base lacks")
	}
	term, _ := envs.As[envs.Terminator](env)
	if _, on := term.TerminationThreshold(); on {
		t.Error("a derived env ends early without WithTermination")
	}
	envs.MustDerive("toy-coord", "test-toy-term", envs.WithReward(brevity), envs.WithTermination(0.9))
	env2, _ := envs.New("test-toy-term", nil)
	if th, on := env2.(envs.Terminator).TerminationThreshold(); !on || th != 0.9 {
		t.Errorf("WithTermination(0.9): %v %v", th, on)
	}
}

// countingScheme records the batches it scores.
type countingScheme struct {
	calls atomic.Int64
	last  []reward.Input
	fail  error
}

func (c *countingScheme) ScoreBatch(ins []reward.Input) ([]reward.Result, error) {
	c.calls.Add(1)
	c.last = ins
	if c.fail != nil {
		return nil, c.fail
	}
	out := make([]reward.Result, len(ins))
	for i, in := range ins {
		out[i] = reward.Result{Total: float64(in.Turn), Parts: map[string]float64{"turn": float64(in.Turn)}}
	}
	return out, nil
}

func TestDerivedBatchesAndTurns(t *testing.T) {
	cs := &countingScheme{}
	base, _ := envs.New("writing-mini", map[string]string{"turns": "2"})
	env, err := envs.Wrap(base, envs.WithRewardFrom(func() (reward.BatchScheme, error) { return cs, nil }))
	if err != nil {
		t.Fatal(err)
	}
	if env.Spec().Name != "writing-mini" {
		t.Errorf("Wrap renamed the env: %q", env.Spec().Name)
	}
	var steps []envs.Step
	for task := range 3 {
		st, _ := env.Reset(task, 0)
		steps = append(steps, envs.Step{State: st, Responses: []string{"cat", "dog"}})
	}
	trs, err := envs.StepAll(env, steps)
	if err != nil {
		t.Fatal(err)
	}
	if cs.calls.Load() != 1 || len(cs.last) != 3 {
		t.Fatalf("%d calls, last batch %d inputs; want one call of 3", cs.calls.Load(), len(cs.last))
	}
	for i, in := range cs.last {
		if in.Task != i || in.TaskID != base.(envs.TaskNamer).TaskID(i) || in.Turn != 0 || in.Last || len(in.Prompts) != 2 {
			t.Errorf("input %d: %+v", i, in)
		}
	}
	next, err := trs[1].Next.Step([]string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if in := cs.last[0]; in.Turn != 1 || !in.Last || in.Task != 1 || next.Reward != 1 || !next.Done {
		t.Errorf("second turn: input %+v, transition %+v", in, next)
	}
	if !strings.Contains(trs[0].Next.Prompts()[0], "score:") {
		t.Errorf("the feedback should stay the base's: %q", trs[0].Next.Prompts()[0])
	}
	cs.fail = errors.New("boom")
	st, _ := env.Reset(0, 0)
	if _, err := st.Step([]string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "env writing-mini: boom") {
		t.Errorf("a failing scheme: %v", err)
	}
	other, _ := envs.New("writing-mini", nil)
	foreign, _ := other.Reset(0, 0)
	if _, err := env.StepBatch([]envs.Step{{State: foreign, Responses: []string{"a", "b"}}}); err == nil {
		t.Error("StepBatch accepted a state of another env")
	}
}

func TestDerivedConformance(t *testing.T) {
	envs.MustDerive("writing-mini", "test-wm-conformance", envs.WithReward(brevity), envs.WithDefaults(map[string]string{"turns": "2"}))
	env, err := envs.New("test-wm-conformance", nil)
	if err != nil {
		t.Fatal(err)
	}
	envtest.Conformance(t, env)
}

func TestScoreRows(t *testing.T) {
	env, _ := envs.New("writing-mini", nil)
	rows := []envs.Row{
		{Label: "good", Responses: []string{"cat dog sun", "the cat and the dog so the sun is red"}},
		{Label: "empty", Responses: []string{"", ""}},
	}
	scores, parts, err := envs.ScoreRows(env, 0, rows...)
	if err != nil {
		t.Fatal(err)
	}
	if want := env.(envs.PartNamer).RewardParts(); strings.Join(parts[:len(want)], ",") != strings.Join(want, ",") {
		t.Errorf("parts %v do not start with the scheme's order %v", parts, want)
	}
	if len(scores) != 2 || scores[0].Label != "good" || scores[1].Stopped == "" {
		t.Errorf("scores %+v: want the empty row stopped by a gate", scores)
	}
	for i, s := range scores {
		tr := stepOnce(t, env, rows[i].Responses...)
		if s.Reward != tr.Reward || s.Stopped != tr.Stopped {
			t.Errorf("row %d: %v %q, Step gives %v %q", i, s.Reward, s.Stopped, tr.Reward, tr.Stopped)
		}
	}
	if _, _, err := envs.ScoreRows(env, 0, envs.Row{Label: "one", Responses: []string{"x"}}); err == nil || !strings.Contains(err.Error(), `"one"`) {
		t.Errorf("a row with one response for two agents: %v", err)
	}
}

func TestMissingDerivedError(t *testing.T) {
	err := envs.MissingDerivedError("my-env", "writing-mini")
	for _, want := range []string{`"my-env"`, "writing-mini", "envs.Derive", "MustDerive", "%%"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}
