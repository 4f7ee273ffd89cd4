package maac

import (
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
