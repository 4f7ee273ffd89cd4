package lm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// nllLoss is the mean negative log-likelihood of the response tokens (inputs: ids, mask, response mask).
func nllLoss(m *Model) LossFn {
	return func(g *Graph, in []*Node) (*Node, []*Node) {
		logp, _ := m.TokenLogProbs(in[0], in[1])
		rm := in[2]
		return Neg(Div(ReduceAllSum(Mul(logp, rm)), ReduceAllSum(rm))), nil
	}
}

func TestEvalAfterTrainStepSeesNewWeights(t *testing.T) {
	m := tinyModel(t, model.NewStore(), "agent_0", 1)
	prompts, responses := [][]int{{1, 2, 3}}, [][]int{{4, 5}}
	before, err := m.Score(prompts, responses) // compiles the scoring executor
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.PackBatch(prompts, responses)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, TrainConfig{Name: "a0", LearningRate: 1e-2}, nllLoss(m))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(b.IDs, b.Mask, b.ResponseMask); err != nil {
		t.Fatal(err)
	}
	after, err := m.Score(prompts, responses) // same executor, must see the new weights
	if err != nil {
		t.Fatal(err)
	}
	if after.LogProbs[0][0] <= before.LogProbs[0][0]+1e-3 {
		t.Fatalf("log-prob did not rise after a step on it: before %v after %v", before.LogProbs[0], after.LogProbs[0])
	}
	// A freshly compiled executor agrees with the cached one.
	fresh := logitsOf(t, m, b.IDs, b.Mask)
	start := int(b.ResponseStart[0])
	want := logSoftmax64(fresh[0][start-1], 1)[responses[0][0]]
	if math.Abs(want-after.LogProbs[0][0]) > 1e-4 {
		t.Fatalf("cached executor %g, fresh executor %g", after.LogProbs[0][0], want)
	}
	// Generation (its own cached executors) sees the new weights too.
	if _, err := m.Generate(prompts, GenerateConfig{MaxNewTokens: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(b.IDs, b.Mask, b.ResponseMask); err != nil {
		t.Fatal(err)
	}
	g, err := m.Generate(prompts, GenerateConfig{MaxNewTokens: 2})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := m.Score(prompts, [][]int{g[0].Tokens})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sc.LogProbs[0][0]-g[0].LogProbs[0]) > 1e-4 {
		t.Fatalf("after a second step Generate log-prob %g != Score %g: stale weights", g[0].LogProbs[0], sc.LogProbs[0][0])
	}
}

func TestTrainerGradientAndClipping(t *testing.T) {
	m := tinyModel(t, model.NewStore(), "agent_0", 2)
	b, err := m.PackBatch([][]int{{1, 2, 3}, {9}}, [][]int{{4, 5}, {6, 7, 8}})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope},
		TrainConfig{Name: "a0", LearningRate: 1e-3, MaxGradNorm: 1e-3}, nllLoss(m))
	if err != nil {
		t.Fatal(err)
	}
	w0, _, _ := m.WeightTensor("model.layers.0.mlp.up_proj.weight")
	r, err := tr.Gradient(b.IDs, b.Mask, b.ResponseMask)
	if err != nil {
		t.Fatal(err)
	}
	w1, _, _ := m.WeightTensor("model.layers.0.mlp.up_proj.weight")
	if !slices.Equal(w0, w1) {
		t.Fatal("Gradient changed the weights")
	}
	if len(r.Gradient) != m.Config.NumParams() {
		t.Fatalf("flattened gradient has %d entries, the model %d parameters", len(r.Gradient), m.Config.NumParams())
	}
	sq := 0.0
	for _, v := range r.Gradient {
		sq += float64(v) * float64(v)
	}
	if math.Abs(math.Sqrt(sq)-r.GradNorm) > 1e-3*r.GradNorm || r.GradNorm <= 1e-3 {
		t.Fatalf("grad norm %g, norm of the flattened gradient %g", r.GradNorm, math.Sqrt(sq))
	}
	if math.Abs(r.Loss-math.Log(260)) > 0.5 {
		t.Fatalf("initial loss %g, want about log(260)=%g", r.Loss, math.Log(260))
	}
	if _, err := tr.Step(b.IDs, b.Mask, b.ResponseMask); err != nil {
		t.Fatal(err)
	}
	w2, _, _ := m.WeightTensor("model.layers.0.mlp.up_proj.weight")
	// The first Adam step moves each weight by about lr (the clipping scale cancels in m/sqrt(v)).
	maxStep := 0.0
	for i := range w2 {
		maxStep = math.Max(maxStep, math.Abs(float64(w2[i]-w0[i])))
	}
	if maxStep == 0 || maxStep > 1.01e-3 {
		t.Fatalf("first AdamW step moved weights by up to %g, want (0, 1e-3]", maxStep)
	}
	if _, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, TrainConfig{}, nllLoss(m)); err == nil {
		t.Fatal("a trainer without Name must be rejected")
	}
}

// TestApplyGradientMatchesStep: Gradient then ApplyGradient with its result takes the step Step
// takes (twin models of the same seed, two steps each so that Adam's state and the clipping
// matter).
func TestApplyGradientMatchesStep(t *testing.T) {
	cfg := TrainConfig{Name: "a0", LearningRate: 1e-3, MaxGradNorm: 0.5, WeightDecay: 0.1}
	var models []*Model
	var trainers []*Trainer
	for range 2 {
		m := tinyModel(t, model.NewStore(), "agent_0", 7)
		tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, cfg, nllLoss(m))
		if err != nil {
			t.Fatal(err)
		}
		models, trainers = append(models, m), append(trainers, tr)
	}
	if _, err := trainers[0].ApplyGradient(make([]float32, 10)); err == nil {
		t.Fatal("ApplyGradient before any Gradient call must fail")
	}
	for k, rows := range [][][]int{{{1, 2, 3}, {9}}, {{4, 4}, {7, 8, 9, 10}}} {
		b, err := models[0].PackBatch(rows, [][]int{{4, 5}, {6, 7, 8}})
		if err != nil {
			t.Fatal(err)
		}
		g, err := trainers[0].Gradient(b.IDs, b.Mask, b.ResponseMask)
		if err != nil {
			t.Fatal(err)
		}
		applied, err := trainers[0].ApplyGradient(g.Gradient)
		if err != nil {
			t.Fatal(err)
		}
		stepped, err := trainers[1].Step(b.IDs, b.Mask, b.ResponseMask)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(applied.GradNorm-stepped.GradNorm) > 1e-5*stepped.GradNorm {
			t.Errorf("step %d: ApplyGradient's norm %g, Step's %g", k, applied.GradNorm, stepped.GradNorm)
		}
	}
	if _, err := trainers[0].ApplyGradient(make([]float32, 10)); err == nil {
		t.Error("a gradient of the wrong length must be rejected")
	}
	for _, name := range []string{"model.layers.0.mlp.up_proj.weight", "model.embed_tokens.weight"} {
		a, _, _ := models[0].WeightTensor(name)
		b, _, _ := models[1].WeightTensor(name)
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-6 {
				t.Fatalf("%s[%d]: %g after Gradient+ApplyGradient, %g after Step", name, i, a[i], b[i])
			}
		}
	}
	for _, tr := range trainers {
		if n, _ := tr.Steps(); n != 2 {
			t.Errorf("%d optimizer steps, want 2", n)
		}
	}
}

// reverseTask returns prompt "abc=" and response "cba<eos>" pairs over a small alphabet.
func reverseTask(rng *rand.Rand, n int) (prompts, responses [][]int) {
	for range n {
		l := 2 + rng.IntN(3)
		s := make([]int, l)
		for i := range s {
			s[i] = 'a' + rng.IntN(6)
		}
		p := append(slices.Clone(s), '=')
		r := slices.Clone(s)
		slices.Reverse(r)
		prompts, responses = append(prompts, p), append(responses, append(r, 256))
	}
	return
}

func TestTinyModelLearnsToReverse(t *testing.T) {
	if testing.Short() {
		t.Skip("400 AdamW steps: ~7 s on an idle 2-core machine, 25+ s on a shared one")
	}
	m := tinyModel(t, model.NewStore(), "agent_0", 3)
	tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope},
		TrainConfig{Name: "a0", LearningRate: 3e-3, WeightDecay: 0.01, MaxGradNorm: 1}, nllLoss(m))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var first, last float64
	for step := range 400 {
		p, r := reverseTask(rng, 32)
		b, err := m.PackBatch(p, r)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Step(b.IDs, b.Mask, b.ResponseMask)
		if err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = res.Loss
		}
		last = res.Loss
	}
	t.Logf("loss %.3f -> %.3f", first, last)
	if last > 0.2*first {
		t.Errorf("loss fell only from %.3f to %.3f", first, last)
	}
	p, r := reverseTask(rand.New(rand.NewPCG(99, 1)), 40)
	out, err := m.Generate(p, GenerateConfig{MaxNewTokens: 8})
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i := range out {
		if slices.Equal(out[i].Tokens, r[i]) {
			right++
		}
	}
	t.Logf("greedy reversals right: %d/%d", right, len(out))
	if right < len(out)*7/10 {
		t.Errorf("only %d/%d reversals right", right, len(out))
	}
}

// TestWeightDecayOnEveryParameter: with a zero gradient an AdamW step only decays, w -= lr*wd*w,
// and torch.optim.AdamW(model.parameters()) decays every parameter, norm weights included.
func TestWeightDecayOnEveryParameter(t *testing.T) {
	m := tinyModel(t, model.NewStore(), "agent_0", 4)
	zero := func(g *Graph, in []*Node) (*Node, []*Node) {
		return MulScalar(ReduceAllSum(m.Logits(m.Hidden(in[0], in[1]))), 0), nil
	}
	tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, TrainConfig{Name: "a0", LearningRate: 0.1, WeightDecay: 0.5}, zero)
	if err != nil {
		t.Fatal(err)
	}
	if steps, err := tr.Steps(); err != nil || steps != 0 {
		t.Fatalf("Steps before the first step = %d, %v", steps, err)
	}
	b, err := m.PackBatch([][]int{{1, 2, 3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"model.norm.weight", "model.layers.0.input_layernorm.weight", "model.layers.0.mlp.up_proj.weight"}
	before := map[string][]float32{}
	for _, name := range names {
		before[name], _, _ = m.WeightTensor(name)
	}
	for range 2 {
		if _, err := tr.Step(b.IDs, b.Mask); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		after, _, _ := m.WeightTensor(name)
		for i := range after {
			if want := before[name][i] * 0.95 * 0.95; math.Abs(float64(after[i]-want)) > 1e-6*math.Max(1, math.Abs(float64(want))) {
				t.Fatalf("%s[%d] = %v after two decay steps, want %v", name, i, after[i], want)
			}
		}
	}
	if steps, err := tr.Steps(); err != nil || steps != 2 {
		t.Errorf("Steps after two steps = %d, %v", steps, err)
	}
}
