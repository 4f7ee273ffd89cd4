package lm

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

func benchModel(b *testing.B, preset string) *Model {
	cfg, err := Preset(preset)
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewRandom(testBackend(b), model.NewStore(), "bench", cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchBatch(b *testing.B, m *Model, preset string) *Batch {
	rows := make([][]int, 8)
	for i := range rows {
		rows[i] = make([]int, benchSeqLen(preset))
		for j := range rows[i] {
			rows[i][j] = (i*31 + j*7) % 256
		}
	}
	batch, err := m.PackBatch(rows, nil)
	if err != nil {
		b.Fatal(err)
	}
	return batch
}

// BenchmarkDecode reports ms per generated token (batch 8, prompt 16, 32 new tokens incl.
// prefill), greedy and at the reference's sampling settings (temperature 0.6, top-p 0.6).
func BenchmarkDecode(b *testing.B) {
	for _, preset := range PresetNames() {
		for _, c := range []struct {
			name string
			cfg  GenerateConfig
		}{{"greedy", GenerateConfig{}}, {"sampled", GenerateConfig{Temperature: 0.6, TopP: 0.6}}} {
			b.Run(preset+"/"+c.name, func(b *testing.B) {
				m := benchModel(b, preset)
				prompts := make([][]int, 8)
				for i := range prompts {
					prompts[i] = make([]int, 16)
				}
				cfg := c.cfg
				cfg.MaxNewTokens, cfg.IgnoreEOS = 32, true
				if _, err := m.Generate(prompts, cfg); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for b.Loop() {
					if _, err := m.Generate(prompts, cfg); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N)/32, "ms/token")
			})
		}
	}
}

func BenchmarkScore(b *testing.B) {
	for _, preset := range PresetNames() {
		b.Run(preset, func(b *testing.B) {
			m := benchModel(b, preset)
			batch := benchBatch(b, m, preset)
			e := model.MustNewExec(m.Backend, m.Store, func(_ *model.Scope, ids, mask *Node) *Node {
				lp, _ := m.TokenLogProbs(ids, mask)
				return lp
			})
			e.MustCall1(batch.IDs, batch.Mask)
			b.ResetTimer()
			for b.Loop() {
				e.MustCall1(batch.IDs, batch.Mask)
			}
			b.ReportMetric(float64(8*benchSeqLen(preset)*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkTrainStep(b *testing.B) {
	for _, preset := range PresetNames() {
		b.Run(preset, func(b *testing.B) {
			m := benchModel(b, preset)
			batch := benchBatch(b, m, preset)
			tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, TrainConfig{Name: "bench"},
				func(g *Graph, in []*Node) (*Node, []*Node) {
					lp, _ := m.TokenLogProbs(in[0], in[1])
					return Neg(ReduceAllMean(lp)), nil
				})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tr.Step(batch.IDs, batch.Mask); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := tr.Step(batch.IDs, batch.Mask); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBenchShapes: the shapes have the parameter counts of the released models (Qwen2.5-0.5B:
// 494,032,768; Llama-3.2-1B: 1,235,814,400), and unknown names list the known ones.
func TestBenchShapes(t *testing.T) {
	for name, want := range map[string]int{"qwen2.5-0.5b": 494_032_768, "llama-3.2-1b": 1_235_814_400} {
		c, err := BenchShape(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.NumParams(); got != want {
			t.Errorf("%s: %d parameters, want %d", name, got, want)
		}
	}
	if _, err := BenchShape("gpt2"); err == nil || !strings.Contains(err.Error(), "qwen2.5-0.5b, llama-3.2-1b") {
		t.Errorf("unknown shape: %v", err)
	}
}

// TestBenchmarkModel: one quick run of every measurement on a one-layer model built by
// NewRandomForBench; the LoRA adapters are merged away and the parameter counts agree.
func TestBenchmarkModel(t *testing.T) {
	cfg, err := Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.NumLayers = 1
	m, err := NewRandomForBench(testBackend(t), model.NewStore(), "bench", cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := m.WeightTensor("model.layers.0.self_attn.q_proj.weight")
	if err != nil {
		t.Fatal(err)
	}
	var sq float64
	for _, x := range w {
		sq += float64(x) * float64(x)
	}
	if std := math.Sqrt(sq / float64(len(w))); std < 0.018 || std > 0.022 {
		t.Errorf("NewRandomForBench: std %g, want about %g", std, initStd)
	}
	if n, _, _ := m.WeightTensor("model.norm.weight"); n[0] != 1 {
		t.Errorf("NewRandomForBench: norm weight %g, want 1", n[0])
	}
	// 32 new tokens and 3 pairs keep the decode time positive on a loaded machine (with 2 tokens
	// and 1 pair, one decode step against the noise, it went negative in CI).
	r, err := BenchmarkModel(m, BenchConfig{Batch: 2, SeqLen: 8, PromptLen: 4, NewTokens: 32, Reps: 3, LoRA: &LoRAConfig{}, FullTrain: "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if !(r.DecodeMsPerToken > 0 && r.ScoreTokensPerSec > 0 && r.TrainStepLoRAMs > 0 && r.TrainStepMs > 0) || r.TrainSkipped != "" {
		t.Errorf("a measurement is missing: %+v", r)
	}
	const wantLoRA = 2 * 8 * (128 + 128) // q_proj and v_proj, [8,128] A and [128,8] B, one layer
	if r.LoRA == nil || r.LoRA.Rank != 8 || r.LoRAParams != wantLoRA {
		t.Errorf("LoRA %+v with %d parameters, want rank 8 on q_proj and v_proj (%d)", r.LoRA, r.LoRAParams, wantLoRA)
	}
	if m.LoRA() != nil {
		t.Error("the adapters were not merged after the benchmark")
	}
	if r.PeakRSSMB <= 0 || r.PeakRSSMBAfter["train"] != r.PeakRSSMB || r.DeviceMemoryMB != nil {
		t.Errorf("memory: peak %g, after %v, device %v", r.PeakRSSMB, r.PeakRSSMBAfter, r.DeviceMemoryMB)
	}
	if _, err := BenchmarkModel(m, BenchConfig{NewTokens: 1}); err == nil {
		t.Error("NewTokens 1 accepted")
	}
	if _, err := BenchmarkModel(m, BenchConfig{SeqLen: 300}); err == nil || !strings.Contains(err.Error(), "context of 256") {
		t.Errorf("a sequence longer than the context: %v", err)
	}
}
