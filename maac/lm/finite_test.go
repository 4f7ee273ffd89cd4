package lm

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/maac/safetensors"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestSampleTokenNonFiniteLogits(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name   string
		logits []float32
		cfg    GenerateConfig
		want   string // error text; "" = a valid token
	}{
		{"NaN with top-p", []float32{nan, nan, nan}, GenerateConfig{Temperature: 1, TopP: 0.9}, "NaN at token id 0"},
		{"NaN with top-k", []float32{1, nan, 0}, GenerateConfig{Temperature: 1, TopK: 2}, "NaN at token id 1"},
		{"NaN greedy", []float32{1, 2, nan}, GenerateConfig{}, "NaN at token id 2"},
		{"+Inf", []float32{0, inf, 1}, GenerateConfig{Temperature: 0.7, TopP: 0.5}, "+Inf at token id 1"},
		{"-Inf", []float32{-inf, -inf, -inf}, GenerateConfig{Temperature: 1}, "-Inf at token id 0"},
		// Finite logits over a subnormal temperature overflowed to +Inf - +Inf = NaN before.
		{"tiny temperature", []float32{3, 2, 1, 0, -1}, GenerateConfig{Temperature: 1e-310, TopP: 0.9}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, lp, slp, err := sampleToken(c.logits, c.cfg, rand.New(rand.NewPCG(1, 2)))
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("got token %d, error %v; want an error with %q", id, err, c.want)
				}
				return
			}
			if err != nil || id != 0 || math.IsNaN(lp) || slp != 0 {
				t.Fatalf("got token %d (log-probs %g, %g), error %v; want token 0 with sample log-prob 0", id, lp, slp, err)
			}
		})
	}
}

// setWeight overwrites element 0 of the model's tensor name with v.
func setWeight(t *testing.T, m *Model, name string, v float32) {
	t.Helper()
	data, shape, err := m.WeightTensor(name)
	if err != nil {
		t.Fatal(err)
	}
	data[0] = v
	if err := m.variable(name).SetValue(tensors.FromFlatDataAndDimensions(data, shape...)); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateNonFiniteWeightsIsAnError(t *testing.T) {
	m := tinyModel(t, model.NewStore(), "agent_0", 1)
	setWeight(t, m, "model.norm.weight", float32(math.NaN()))
	_, err := m.Generate([][]int{{1, 2}, {3}}, GenerateConfig{MaxNewTokens: 4, Temperature: 1, TopP: 0.9})
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Scope != "/agent_0" || !strings.Contains(err.Error(), "non-finite logits (NaN at token id 0, row 0, new token 0)") {
		t.Fatalf("got %v, want a *NonFiniteError on /agent_0's logits", err)
	}
}

func TestGenerateMustFitTheContext(t *testing.T) {
	m := tinyModel(t, model.NewStore(), "agent_0", 1) // context 256
	long := make([]int, 250)
	cases := []struct {
		prompt []int
		maxNew int
		want   string
	}{
		{[]int{1}, 100_000_000, "exceeds the model's context of 256 tokens (max_position_embeddings): lower MaxNewTokens to at most 255"},
		{long, 7, "the longest prompt (250 tokens) plus MaxNewTokens (7) exceeds"},
		{long, 6, ""},
		{[]int{1}, math.MaxInt, "plus MaxNewTokens (9223372036854775807) exceeds"}, // no overflow
	}
	for _, c := range cases {
		_, err := m.Generate([][]int{c.prompt}, GenerateConfig{MaxNewTokens: c.maxNew, IgnoreEOS: true})
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("prompt %d + %d new tokens: got %v, want %q", len(c.prompt), c.maxNew, err, c.want)
		}
	}
}

func TestLoadNonFiniteWeightsIsAnError(t *testing.T) {
	m := tinyModel(t, model.NewStore(), "agent_0", 1)
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []*safetensors.Tensor
	for name, st := range f.Tensors {
		if name == "model.layers.1.mlp.down_proj.weight" {
			data, _ := st.Float32s()
			data[5] = float32(math.Inf(-1))
			st = safetensors.FromFloat32(name, st.Shape, data)
		}
		ts = append(ts, st)
	}
	if err := safetensors.WriteFile(path, ts, f.Metadata); err != nil {
		t.Fatal(err)
	}
	_, err = Load(testBackend(t), model.NewStore(), "a", dir)
	var nf *NonFiniteError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), `non-finite weights in tensor "model.layers.1.mlp.down_proj.weight" (-Inf at flat index 5)`) {
		t.Fatalf("got %v, want a *NonFiniteError naming the tensor", err)
	}
}

func TestTrainerStepNonFiniteIsAnError(t *testing.T) {
	cases := []struct {
		name string
		lr   float64
		nan  bool // a NaN weight before the step
		want string
	}{
		// float32(1e39) is +Inf: the loss and gradient are finite, the step's weights are not.
		{"huge learning rate", 1e39, false, `non-finite weights in /agent_0/`},
		{"NaN weights", 1e-3, true, `non-finite loss or gradient in optimizer "a0" (loss NaN`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tinyModel(t, model.NewStore(), "agent_0", 1)
			if c.nan {
				setWeight(t, m, "model.norm.weight", float32(math.NaN()))
			}
			b, err := m.PackBatch([][]int{{1, 2, 3}}, [][]int{{4, 5}})
			if err != nil {
				t.Fatal(err)
			}
			tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, TrainConfig{Name: "a0", LearningRate: c.lr}, nllLoss(m))
			if err != nil {
				t.Fatal(err)
			}
			_, err = tr.Step(b.IDs, b.Mask, b.ResponseMask)
			var nf *NonFiniteError
			if !errors.As(err, &nf) || nf.Scope != "/agent_0" || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a *NonFiniteError with %q", err, c.want)
			}
		})
	}
}
