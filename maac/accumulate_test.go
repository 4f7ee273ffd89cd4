package maac

import (
	"context"
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/collm/collm/maac/lm"
)

// accumulationTrainer builds an MAGRPO trainer with one step per update and a batch of agent
// 0's samples of 10 rows (micro-batches of 3, 3, 2 and 2 samples at M = 4) whose responses have
// 1 to 3 tokens, with distinct advantages.
func accumulationTrainer(t *testing.T, lora bool, mutate func(c *Common)) (*Trainer, *actorBatch) {
	t.Helper()
	cfg := runConfig("magrpo", nil, 1)
	cfg.MC.Minibatch = MinibatchUpdate
	if mutate != nil {
		mutate(&cfg.MC.Common)
	}
	if lora {
		cfg.Agents = []AgentSpec{{Model: "tiny", LoRA: &lm.LoRAConfig{Rank: 4}}, {Model: "tiny", LoRA: &lm.LoRAConfig{Rank: 4}}}
	}
	tr := mustBuild(t, cfg)
	r, err := tr.rollout(context.Background(), tr.trainingPlay(0))
	if err != nil {
		t.Fatal(err)
	}
	var prompts [][]int
	var tokens []int
	for _, level := range r.levels {
		for _, nd := range level {
			prompts = append(prompts, nd.promptIDs[0])
			for _, s := range nd.samples[0] {
				tokens = append(tokens, s.Tokens...)
			}
		}
	}
	b := &actorBatch{}
	for k := range 10 {
		resp := make([]int, 1+k%3)
		for j := range resp {
			resp[j] = tokens[(k+j)%len(tokens)]
		}
		b.add(prompts[k%len(prompts)], lm.Sample{Tokens: resp, LogProbs: []float64{-1.5 - 0.1*float64(k)}}, math.Sin(float64(k)+0.5))
	}
	return tr, b
}

// snapshot copies every variable of the store (weights and optimizer state).
func snapshot(t *testing.T, tr *Trainer) map[string]*tensors.Tensor {
	t.Helper()
	out := map[string]*tensors.Tensor{}
	for v := range tr.Store.IterVariables() {
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if out[v.Path()], err = val.LocalClone(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func restore(t *testing.T, tr *Trainer, snap map[string]*tensors.Tensor) {
	t.Helper()
	n := 0
	for v := range tr.Store.IterVariables() {
		val, ok := snap[v.Path()]
		if !ok {
			t.Fatalf("variable %s was created after the snapshot", v.Path())
		}
		c, err := val.LocalClone()
		if err != nil {
			t.Fatal(err)
		}
		if err := v.SetValue(c); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(snap) {
		t.Fatalf("%d variables, the snapshot has %d", n, len(snap))
	}
}

// trainedValues returns agent 0's trainer's variables, flattened.
func trainedValues(t *testing.T, tr *Trainer) []float64 {
	t.Helper()
	var out []float64
	for _, v := range tr.actors[0].Variables() {
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range tensors.MustCopyFlatData[float32](val) {
			out = append(out, float64(x))
		}
	}
	return out
}

// ulp32 is the spacing of float32 values at x.
func ulp32(x float64) float64 {
	f := float32(math.Abs(x))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

func relDiff(a, b float64) float64 { return math.Abs(a-b) / max(math.Abs(a), math.Abs(b), 1e-12) }

// TestAccumulatedStepMatchesFullBatchStep: the step that applies the measured micro-batches'
// gradient moves the weights as the full-batch step on the same samples does, with unequal
// micro-batches and response lengths, an entropy bonus (weighted per token), clipping, weight
// decay and Adam state from earlier steps, with and without LoRA.
func TestAccumulatedStepMatchesFullBatchStep(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lora   bool
		mutate func(c *Common)
	}{
		{"full", false, nil},
		{"lora", true, nil},
		{"entropy, clipping, ppo", false, func(c *Common) { c.EntropyCoef, c.MaxGradNorm, c.PPOClip = 0.05, 0.02, 0.2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, b := accumulationTrainer(t, tc.lora, tc.mutate)
			m := Metrics{}
			// Two full-batch steps with other advantages give Adam moments that do not cancel the
			// gradient's scale.
			warm := b.subset([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
			for k := range warm.advantages {
				warm.advantages[k] = math.Cos(float64(3 * k))
			}
			for range 2 {
				if _, err := tr.stepActor(0, warm, nil, m); err != nil {
					t.Fatal(err)
				}
			}
			snap := snapshot(t, tr)
			w0 := trainedValues(t, tr)

			acc, err := tr.measureGradVariance(0, b, true, m)
			if err != nil || acc == nil {
				t.Fatalf("measured gradient %v, %v", acc, err)
			}
			if m[gradMetric(0, "variance")] <= 0 {
				t.Fatalf("variance %v", m[gradMetric(0, "variance")])
			}
			accStep, err := tr.stepActor(0, b, acc, m)
			if err != nil {
				t.Fatal(err)
			}
			wAcc := trainedValues(t, tr)

			restore(t, tr, snap)
			fullStep, err := tr.stepActor(0, b, nil, m)
			if err != nil {
				t.Fatal(err)
			}
			wFull := trainedValues(t, tr)
			if steps, _ := tr.actors[0].Steps(); steps != 3 {
				t.Fatalf("Adam step counter %d after the restore and one step, want 3", steps)
			}

			// Equal up to float32 rounding: the largest difference is below 1e-5 of the largest
			// weight, and each value's below 2 units in its last place plus 1e-4 of the largest
			// move (the gradient's own rounding, where its samples' terms cancel).
			moved, diff, scale := 0.0, 0.0, 0.0
			for j := range w0 {
				moved = max(moved, math.Abs(wFull[j]-w0[j]))
				diff, scale = max(diff, math.Abs(wAcc[j]-wFull[j])), max(scale, math.Abs(wFull[j]))
			}
			t.Logf("%d trained values: the step moved them by up to %.3g; accumulated vs full batch: max abs diff %.3g (%.3g of the largest weight)",
				len(w0), moved, diff, diff/scale)
			if moved == 0 {
				t.Fatal("the step did not move the weights")
			}
			if diff > 1e-5*scale {
				t.Errorf("accumulated step differs from the full-batch step by up to %g, %g of the largest weight", diff, diff/scale)
			}
			bad := 0
			for j := range w0 {
				if d := math.Abs(wAcc[j] - wFull[j]); d > 2*ulp32(wFull[j])+1e-4*moved {
					if bad++; bad <= 3 {
						t.Errorf("value %d: accumulated step gives %v, full-batch step %v (from %v)", j, wAcc[j], wFull[j], w0[j])
					}
				}
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"policy loss", accStep.policyLoss, fullStep.policyLoss},
				{"entropy", accStep.entropy, fullStep.entropy},
				{"grad norm", accStep.gradNorm, fullStep.gradNorm},
			} {
				if relDiff(c.got, c.want) > 1e-5 {
					t.Errorf("%s: accumulated %v, full batch %v", c.name, c.got, c.want)
				}
			}
		})
	}
}

// TestGradVarianceOfAccumulatedGradients: the statistics of the micro-batch shares are those of
// the micro-batches' own gradients (each micro-batch its own loss, as the measurement computed
// them before it fed the step).
func TestGradVarianceOfAccumulatedGradients(t *testing.T) {
	for _, lora := range []bool{false, true} {
		tr, b := accumulationTrainer(t, lora, nil)
		m := Metrics{}
		if _, err := tr.measureGradVariance(0, b, true, m); err != nil {
			t.Fatal(err)
		}
		// Before: M micro-batches, each packed and weighted as a batch of its own.
		M := tr.common.GradVarMicroBatches
		grads := make([][]float32, M)
		for mb := range M {
			var idx []int
			for r := mb; r < len(b.prompts); r += M {
				idx = append(idx, r)
			}
			in, err := b.subset(idx).inputs(tr.Agents[0].Model)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tr.actors[0].Gradient(in...)
			if err != nil {
				t.Fatal(err)
			}
			grads[mb] = res.Gradient
		}
		want, err := GradientStats(grads)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			want float64
		}{{"variance", want.Variance}, {"relative_variance", want.RelativeVariance}, {"norm", want.Norm}} {
			if got := m[gradMetric(0, c.name)]; relDiff(got, c.want) > 1e-5 {
				t.Errorf("lora %v: %s %v, micro-batches' own gradients give %v", lora, c.name, got, c.want)
			}
		}
	}
}

// TestAccumulationOnlyForOneStep: with several steps per update (the reference's cadence) or a
// value head on the actor, the measurement gives no gradient to reuse.
func TestAccumulationOnlyForOneStep(t *testing.T) {
	tr, b := accumulationTrainer(t, false, nil)
	m := Metrics{}
	if acc, err := tr.measureGradVariance(0, b, false, m); err != nil || acc != nil {
		t.Errorf("several steps: measured gradient %v, %v; want none", acc, err)
	}
	if _, ok := m[gradMetric(0, "variance")]; !ok {
		t.Error("several steps: variance not measured")
	}
	cfg := runConfig("dc-shared", nil, 1)
	cfg.DC.Minibatch = MinibatchUpdate
	dc := mustBuild(t, cfg)
	if dc.gradVar[0] == nil {
		t.Fatal("dc-shared: no policy-only twin for the measurement")
	}
	b.targets, b.oldValues = make([]float64, len(b.prompts)), make([]float64, len(b.prompts))
	if acc, err := dc.measureGradVariance(0, b, true, m); err != nil || acc != nil {
		t.Errorf("value head: measured gradient %v, %v; want none", acc, err)
	}
}
