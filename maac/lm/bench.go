package lm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchResult holds the speed of one preset on one backend (medians over the repetitions).
type BenchResult struct {
	Model  string
	Params int
	// Batch and SeqLen of the scoring and training measurements.
	Batch, SeqLen int
	// DecodeMsPerToken is the KV-cache decoding time per generated token for the whole batch
	// (prompt 16 tokens, greedy; prefill excluded: (t(64 tokens) - t(1 token)) / 63).
	DecodeMsPerToken float64
	// ScoreTokensPerSec is TokenLogProbs throughput (Batch*SeqLen tokens per forward pass).
	ScoreTokensPerSec float64
	// TrainStepMs is one AdamW step on the mean token NLL of a Batch x SeqLen batch.
	TrainStepMs float64
}

// benchSeqLen is the sequence length Benchmark uses for a preset (64 tiny, 128 small), the
// shapes of the measurements in STACK.md.
func benchSeqLen(preset string) int {
	if preset == "small" {
		return 128
	}
	return 64
}

// Benchmark measures decoding, scoring and training speed of a preset with random weights at
// batch 8, taking the median of reps timed runs after one warm-up (compilation) run.
func Benchmark(backend compute.Backend, preset string, reps int) (BenchResult, error) {
	cfg, err := Preset(preset)
	if err != nil {
		return BenchResult{}, err
	}
	if reps < 1 {
		reps = 1
	}
	store := model.NewStore()
	m, err := NewRandom(backend, store, "bench", cfg, 1)
	if err != nil {
		return BenchResult{}, err
	}
	const batch = 8
	seq := benchSeqLen(preset)
	r := BenchResult{Model: preset, Params: cfg.NumParams(), Batch: batch, SeqLen: seq}
	rng := rand.New(rand.NewPCG(1, 2))
	randIDs := func(n int) []int {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = rng.IntN(256)
		}
		return ids
	}
	timeIt := func(f func() error) (float64, error) {
		if err := f(); err != nil { // warm-up: compilation
			return 0, err
		}
		var ts []float64
		for range reps {
			start := time.Now()
			if err := f(); err != nil {
				return 0, err
			}
			ts = append(ts, float64(time.Since(start).Microseconds())/1000)
		}
		slices.Sort(ts)
		return ts[len(ts)/2], nil
	}

	prompts := make([][]int, batch)
	for i := range prompts {
		prompts[i] = randIDs(16)
	}
	gen := func(n int) func() error {
		return func() error {
			_, err := m.Generate(prompts, GenerateConfig{MaxNewTokens: n, IgnoreEOS: true})
			return err
		}
	}
	t64, err := timeIt(gen(64))
	if err != nil {
		return r, fmt.Errorf("lm bench: decode: %w", err)
	}
	t1, err := timeIt(gen(1))
	if err != nil {
		return r, fmt.Errorf("lm bench: decode: %w", err)
	}
	r.DecodeMsPerToken = (t64 - t1) / 63

	rows := make([][]int, batch)
	for i := range rows {
		rows[i] = randIDs(seq)
	}
	b, err := m.PackBatch(rows, nil)
	if err != nil {
		return r, err
	}
	score, err := model.NewExec(backend, store, func(_ *model.Scope, ids, mask *Node) *Node {
		lp, _ := m.TokenLogProbs(ids, mask)
		return lp
	})
	if err != nil {
		return r, err
	}
	ts, err := timeIt(func() error { _, err := score.Call1(b.IDs, b.Mask); return err })
	if err != nil {
		return r, fmt.Errorf("lm bench: score: %w", err)
	}
	r.ScoreTokensPerSec = float64(batch*seq) / (ts / 1000)

	tr, err := NewTrainer(backend, store, []string{m.Scope}, TrainConfig{Name: "bench", LearningRate: 1e-4},
		func(g *Graph, in []*Node) (*Node, []*Node) {
			lp, _ := m.TokenLogProbs(in[0], in[1])
			return Neg(ReduceAllMean(lp)), nil
		})
	if err != nil {
		return r, err
	}
	r.TrainStepMs, err = timeIt(func() error { _, err := tr.Step(b.IDs, b.Mask); return err })
	if err != nil {
		return r, fmt.Errorf("lm bench: train: %w", err)
	}
	return r, nil
}
