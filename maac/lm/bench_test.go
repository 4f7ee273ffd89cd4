package lm

import (
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

// BenchmarkDecode reports ns per generated token (batch 8, prompt 16, 32 new tokens incl. prefill).
func BenchmarkDecode(b *testing.B) {
	for _, preset := range PresetNames() {
		b.Run(preset, func(b *testing.B) {
			m := benchModel(b, preset)
			prompts := make([][]int, 8)
			for i := range prompts {
				prompts[i] = make([]int, 16)
			}
			cfg := GenerateConfig{MaxNewTokens: 32, IgnoreEOS: true}
			if _, err := m.Generate(prompts, cfg); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.Generate(prompts, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/32, "ms/token")
		})
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
