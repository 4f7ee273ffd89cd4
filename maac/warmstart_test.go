package maac

import (
	"math"
	"strings"
	"testing"

	_ "github.com/collm/collm/envs/coding"
)

// TestWarmStartSolvesCodingMini: supervised steps on coding-mini's canonical answers teach tiny
// agents from scratch to write aux and f that pass the held-out tasks' asserts.
func TestWarmStartSolvesCodingMini(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	cfg := RunConfig{Env: "coding-mini", EnvOptions: map[string]string{"turns": "1"}, Algorithm: "magrpo",
		MC: &MCConfig{Common: Common{TasksPerUpdate: 8, MaxNewTokens: 40, ActorLR: 3e-4, Seed: 1}}}
	tr := mustBuild(t, cfg)
	before, err := tr.Evaluate(EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	losses, err := tr.WarmStart(300)
	if err != nil {
		t.Fatal(err)
	}
	after, err := tr.Evaluate(EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.2f -> %.3f; held-out greedy return %.3f -> %.3f", losses[0], losses[len(losses)-1], before.MeanReturn, after.MeanReturn)
	if before.MeanReturn > -0.9 || after.MeanReturn < -0.1 {
		t.Errorf("warm start did not teach coding-mini: held-out return %.3f -> %.3f", before.MeanReturn, after.MeanReturn)
	}
	if tr.Updates() != 0 {
		t.Errorf("the warm start counted %d updates", tr.Updates())
	}
}

// TestWarmStartMovesTheKLReference: with kl_beta > 0 the KL reference is the policy that
// reinforcement learning starts from, so right after a warm start the actors' KL to it is 0
// (the k3 estimate is exactly 0 for identical policies); a reference left at the random
// initial weights would put the warmed-up actors far from it.
func TestWarmStartMovesTheKLReference(t *testing.T) {
	cfg := RunConfig{Env: "coding-mini", EnvOptions: map[string]string{"turns": "1"}, Algorithm: "magrpo",
		MC: &MCConfig{Common: Common{TasksPerUpdate: 4, NumGenerations: 2, MaxNewTokens: 6, ActorLR: 1e-3, KLBeta: 0.1, Seed: 1}}}
	tr := mustBuild(t, cfg)
	if _, err := tr.WarmStart(30); err != nil {
		t.Fatal(err)
	}
	m, err := tr.Step()
	if err != nil {
		t.Fatal(err)
	}
	for i := range tr.Agents {
		if kl, ok := m[agentMetric(i, "kl")]; !ok || math.Abs(kl) > 1e-6 {
			t.Errorf("agent %d: KL to the reference right after the warm start = %v (logged %v), want 0", i, kl, ok)
		}
	}
}

// TestWarmStartSteps: warm_start_steps runs the warm start at the start of the first update
// (its losses and time logged there only), a run resumed from a checkpoint does not repeat it
// (also one saved at update 0, after the warm start), nor does a trainer whose WarmStart was
// called already; RunBuilder.WarmStart sets it; bad settings are refused at build.
func TestWarmStartSteps(t *testing.T) {
	cfg := RunConfig{Env: "coding-mini", EnvOptions: map[string]string{"turns": "1", "demos": "varied"}, Algorithm: "magrpo",
		MC: &MCConfig{Common: Common{TasksPerUpdate: 2, NumGenerations: 2, MaxNewTokens: 6, ActorLR: 1e-3, WarmStartSteps: 20, Seed: 1}}}
	tr := mustBuild(t, cfg)
	first, err := tr.Step()
	if err != nil {
		t.Fatal(err)
	}
	if !(first[MetricWarmStartLossLast] < first[MetricWarmStartLossFirst]) || !(first[MetricTimeWarmStart] > 0) {
		t.Errorf("first update: warm-start loss %v -> %v, time %v; want a falling loss and a time",
			first[MetricWarmStartLossFirst], first[MetricWarmStartLossLast], first[MetricTimeWarmStart])
	}
	second := metricsOf(t, tr, 1)[0]
	dir := t.TempDir()
	if err := tr.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	resumed := mustBuild(t, cfg)
	if err := resumed.LoadCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	third := metricsOf(t, resumed, 1)[0]
	manual := mustBuild(t, cfg)
	if _, err := manual.WarmStart(5); err != nil {
		t.Fatal(err)
	}
	dir0 := t.TempDir()
	if err := manual.SaveCheckpoint(dir0); err != nil {
		t.Fatal(err)
	}
	afterManual := metricsOf(t, manual, 1)[0]
	resumed0 := mustBuild(t, cfg)
	if err := resumed0.LoadCheckpoint(dir0); err != nil {
		t.Fatal(err)
	}
	fromUpdate0 := metricsOf(t, resumed0, 1)[0]
	for name, m := range map[string]Metrics{"second update": second, "resumed run": third, "after WarmStart": afterManual,
		"run resumed at update 0 after its warm start": fromUpdate0} {
		if _, ok := m[MetricWarmStartLossFirst]; ok {
			t.Errorf("%s: %s logged: the warm start ran again", name, MetricWarmStartLossFirst)
		}
	}

	built, err := NewRun().Env("coding-mini", map[string]string{"turns": "1"}).Algorithm("magrpo").WarmStart(7).Done()
	if err != nil {
		t.Fatal(err)
	}
	if got := built.Config().MC.WarmStartSteps; got != 7 {
		t.Errorf("RunBuilder.WarmStart(7): warm_start_steps = %d", got)
	}

	bad := cfg
	mc := *cfg.MC
	mc.WarmStartSteps = -1
	bad.MC = &mc
	if _, err := Build(bad); err == nil || !strings.Contains(err.Error(), "warm_start_steps=-1") {
		t.Errorf("warm_start_steps=-1: err = %v", err)
	}
	toy := runConfig("cc", nil, 1)
	toy.CC.WarmStartSteps = 10
	if _, err := Build(toy); err == nil || !strings.Contains(err.Error(), "warm_start_steps=10: env toy-coord has no demonstrations") {
		t.Errorf("toy-coord with warm_start_steps: err = %v", err)
	}
}
