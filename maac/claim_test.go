package maac

import (
	"os"
	"strconv"
	"testing"
)

// TestCadenceDecidesTheSparseToyOrdering is the paper's central comparison as an experiment on a
// long-horizon task whose only reward comes at the end (toy-coord, 4 turns, sparse, 2 tasks):
// the env steps CoLLM-CC, CoLLM-DC and MAGRPO need until the moving average (3 updates) of the
// episode return reaches 0.6, averaged over seeds 1-3, every method with the same K=2, 2 tasks
// per update, temperature 1 and learning rates 3e-3 (a run that never reaches it counts the
// whole budget of 2500). With one pooled step per update (minibatch update, collm's former
// cadence) CoLLM-CC needs the fewest, as the paper reports. With the reference's cadence (the
// default) MAGRPO, which then takes an optimizer step per expanded node, reaches 0.6 on every
// seed; the actor-critic runs are erratic at this learning rate and their ordering against
// MAGRPO changes with float-level changes of the computation (docs/EXPERIMENTS.md records two
// measurements), so the test pins only MAGRPO's reaching it.
func TestCadenceDecidesTheSparseToyOrdering(t *testing.T) {
	if testing.Short() {
		t.Skip("experiment skipped in -short mode")
	}
	const budget, threshold = 2500, 0.6
	env := map[string]string{"turns": "4", "sparse": "true", "tasks": "2"}
	for _, minibatch := range []Minibatch{MinibatchReference, MinibatchUpdate} {
		mean := map[string]float64{}
		for _, algo := range []string{"cc", "dc", "magrpo"} {
			for seed := uint64(1); seed <= 3; seed++ {
				cfg := runConfig(algo, env, seed)
				err := cfg.SetCommon(func(c *Common) {
					c.NumGenerations, c.TasksPerUpdate, c.Minibatch, c.GradVarMicroBatches = 2, 2, minibatch, -1
				})
				if err != nil {
					t.Fatal(err)
				}
				res, err := StepsToThresholds(cfg, []float64{threshold}, 3, budget)
				if err != nil {
					t.Fatal(err)
				}
				steps := res.EnvSteps[0]
				if steps < 0 {
					steps = budget
				}
				t.Logf("minibatch %s, %-6s seed %d: %4d env steps to return %.1f (final moving average %.3f)", minibatch, algo, seed, steps, threshold, res.FinalReturn)
				if minibatch == MinibatchReference && algo == "magrpo" && res.EnvSteps[0] < 0 {
					t.Errorf("minibatch reference: magrpo seed %d did not reach %.1f within %d env steps; re-measure docs/EXPERIMENTS.md", seed, threshold, budget)
				}
				mean[algo] += float64(steps) / 3
			}
		}
		t.Logf("minibatch %s: mean env steps to %.1f: cc %.0f, dc %.0f, magrpo %.0f", minibatch, threshold, mean["cc"], mean["dc"], mean["magrpo"])
		if minibatch != MinibatchUpdate {
			continue
		}
		const fastest = "cc"
		for algo, steps := range mean {
			if algo != fastest && steps <= mean[fastest] {
				t.Errorf("minibatch %s: %s needed %.0f env steps on average, %s %.0f: the recorded ordering (%s fastest) no longer holds; re-measure docs/EXPERIMENTS.md",
					minibatch, algo, steps, fastest, mean[fastest], fastest)
			}
		}
	}
}

// TestExperimentSparseToy runs the full experiment of docs/EXPERIMENTS.md behind the test above:
// env steps to the thresholds 0.5 0.6 0.7 0.8 within a budget of 6000, seeds 1-3, for CoLLM-CC,
// CoLLM-DC and MAGRPO. It runs only when asked, e.g.
//
//	COLLM_EXPERIMENT=sparse-toy COLLM_LR=3e-3 COLLM_MINIBATCH=reference go test -run TestExperimentSparseToy -v -timeout 2h ./maac
//
// (COLLM_LR sets the actor and critic learning rates, default 3e-3; COLLM_MINIBATCH the cadence,
// default reference). It fails only when a run fails.
func TestExperimentSparseToy(t *testing.T) {
	if os.Getenv("COLLM_EXPERIMENT") != "sparse-toy" {
		t.Skip("an experiment: set COLLM_EXPERIMENT=sparse-toy to run it")
	}
	lr, minibatch := 3e-3, MinibatchReference
	if v := os.Getenv("COLLM_LR"); v != "" {
		var err error
		if lr, err = strconv.ParseFloat(v, 64); err != nil {
			t.Fatalf("COLLM_LR=%q: %v", v, err)
		}
	}
	if v := os.Getenv("COLLM_MINIBATCH"); v != "" {
		minibatch = Minibatch(v)
	}
	thresholds := []float64{0.5, 0.6, 0.7, 0.8}
	env := map[string]string{"turns": "4", "sparse": "true", "tasks": "2"}
	for _, algo := range []string{"cc", "dc", "magrpo"} {
		for seed := uint64(1); seed <= 3; seed++ {
			cfg := runConfig(algo, env, seed)
			err := cfg.SetCommon(func(c *Common) {
				c.NumGenerations, c.TasksPerUpdate, c.Minibatch, c.ActorLR, c.GradVarMicroBatches = 2, 2, minibatch, lr, -1
			})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.CC != nil {
				cfg.CC.CriticLR = lr
			}
			if cfg.DC != nil {
				cfg.DC.CriticLR = lr
			}
			res, err := StepsToThresholds(cfg, thresholds, 3, 6000)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("lr %g, minibatch %s, %-6s seed %d: env steps to %v: %v (-1: not reached); final moving average %.3f",
				lr, minibatch, algo, seed, thresholds, res.EnvSteps, res.FinalReturn)
		}
	}
}
