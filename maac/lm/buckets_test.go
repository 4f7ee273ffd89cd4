package lm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestShapeBuckets(t *testing.T) {
	goModel := tinyModel(t, model.NewStore(), "agent_0", 1) // context 256
	// The rule of a compiling backend (XLA), on the same model.
	xla := &Model{Config: goModel.Config, Backend: goModel.Backend, coarseBuckets: true}
	if goModel.compiling() || !xla.compiling() {
		t.Fatalf("compiling(): go %v, xla %v", goModel.compiling(), xla.compiling())
	}
	for _, tc := range []struct {
		n                          int
		goSeq, goRows, xSeq, xRows int
	}{
		{1, 16, 1, 16, 8},
		{3, 16, 4, 16, 8},
		{8, 16, 8, 16, 8},
		{9, 16, 16, 16, 16},
		{16, 16, 16, 16, 16},
		{17, 24, 24, 32, 32},
		{33, 40, 40, 64, 64},
		{64, 64, 64, 64, 64},
		{65, 80, 80, 128, 128},
		{129, 160, 160, 256, 256},
		{250, 256, 256, 256, 256},
		{257, 256 + 8, 320, 264, 512}, // lengths stop at the context (256), unless the input is longer
	} {
		got := []int{goModel.SeqBucket(tc.n), goModel.RowBucket(tc.n), xla.SeqBucket(tc.n), xla.RowBucket(tc.n)}
		want := []int{tc.goSeq, tc.goRows, tc.xSeq, tc.xRows}
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: go seq/rows, xla seq/rows = %v, want %v", tc.n, got, want)
		}
	}
	// A bounded set: every length up to the context lands in few buckets.
	for _, m := range []*Model{goModel, xla} {
		lengths, rows := map[int]bool{}, map[int]bool{}
		for n := 1; n <= 256; n++ {
			lengths[m.SeqBucket(n)], rows[m.RowBucket(n)] = true, true
		}
		if limit := map[bool]int{false: 20, true: 5}[m.compiling()]; len(lengths) > limit || len(rows) > limit+3 {
			t.Errorf("compiling=%v: %d length buckets and %d row buckets up to 256", m.compiling(), len(lengths), len(rows))
		}
	}
}

// paddingOutputs are a batch's per-token log-probs and entropies, values at the prompt's end, an
// actor-critic loss and its gradient with respect to every variable of the model.
type paddingOutputs struct {
	logp, entropy [][]float32
	values        []float32
	loss          float32
	grad          []float32
}

// runPaddingGraph evaluates paddingOutputs on b: rows past n are padding (weight 0).
func runPaddingGraph(t *testing.T, m *Model, b *Batch, n int, adv, targets []float32) paddingOutputs {
	t.Helper()
	rows := b.Rows()
	w, a, y := make([]float32, rows), make([]float32, rows), make([]float32, rows)
	for i := range n {
		w[i], a[i], y[i] = 1/float32(n), adv[i], targets[i]
	}
	e, err := model.NewExecCanonical(m.Backend, m.Store, func(_ *model.Scope, g *Graph, in []*Node) []*Node {
		ids, mask, respMask, index, adv, weights, targets := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
		hidden := m.Hidden(ids, mask)
		logp, entropy := m.TokenLogProbsFromLogits(m.Logits(hidden), ids, mask)
		values := m.Values(hidden, index)
		// The actor's policy loss, a mean entropy over response tokens and a value loss.
		seqLogp := ReduceSum(Mul(logp, respMask), 1)
		policy := Neg(ReduceAllSum(Mul(Mul(seqLogp, adv), weights)))
		meanEntropy := Div(ReduceAllSum(Mul(entropy, respMask)), ReduceAllSum(respMask))
		valueLoss := ReduceAllSum(Mul(Square(Sub(values, targets)), weights))
		loss := Add(Sub(policy, MulScalar(meanEntropy, 0.1)), valueLoss)
		var params []*Node
		for _, v := range m.Variables() {
			params = append(params, v.NodeValue(g))
		}
		var flat []*Node
		for _, gr := range Gradient(loss, params...) {
			flat = append(flat, Reshape(gr, gr.Shape().Size()))
		}
		return []*Node{logp, entropy, values, loss, Concatenate(flat, 0)}
	}, -1, -1, false, true, true)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	out, err := e.Exec(b.IDs, b.Mask, b.ResponseMask, b.PromptEnd, a, w, y)
	if err != nil {
		t.Fatal(err)
	}
	return paddingOutputs{
		logp: out[0].Value().([][]float32), entropy: out[1].Value().([][]float32), values: out[2].Value().([]float32),
		loss: tensors.ToScalar[float32](out[3]), grad: tensors.MustCopyFlatData[float32](out[4]),
	}
}

// TestPaddingBucketsKeepResults pads batches in length (left, masked) and in rows (PadRows) and
// checks that the real rows' log-probs, entropies and values, the loss and its gradient are
// those of the unpadded batch, and that padding positions and rows give zeros.
func TestPaddingBucketsKeepResults(t *testing.T) {
	m := tinyModel(t, model.NewStore(), "agent_0", 3)
	if err := m.AddValueHead(4); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	randomIDs := func(lo, hi int) []int {
		ids := make([]int, lo+rng.IntN(hi-lo+1))
		for k := range ids {
			ids[k] = 1 + rng.IntN(m.Config.VocabSize-1)
		}
		return ids
	}
	const bucket = -1 // pad to the model's own buckets (SeqBucket, RowBucket)
	for _, tc := range []struct {
		n, maxLen      int // real rows, longest prompt and response
		extraLen, rows int // padding: positions added to the exact length, rows in all
	}{
		{1, 4, 0, 1},
		{1, 4, 7, 8},
		{3, 6, 1, 4},
		{3, 6, bucket, bucket},
		{5, 9, 16, 8},
		{8, 12, bucket, bucket},
		{9, 10, 40, 16},
		{9, 10, bucket, bucket},
		{17, 20, 3, 32},
	} {
		t.Run(fmt.Sprintf("n%d_len%d_extra%d_rows%d", tc.n, tc.maxLen, tc.extraLen, tc.rows), func(t *testing.T) {
			prompts, responses := make([][]int, tc.n), make([][]int, tc.n)
			adv, targets := make([]float32, tc.n), make([]float32, tc.n)
			longest := 0
			for i := range tc.n {
				prompts[i], responses[i] = randomIDs(1, tc.maxLen), randomIDs(1, tc.maxLen)
				adv[i], targets[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				longest = max(longest, len(prompts[i])+len(responses[i]))
			}
			exact := packLeft(prompts, responses, longest)
			var padded *Batch
			if tc.extraLen == bucket {
				var err error
				if padded, err = m.PackBatch(prompts, responses); err != nil {
					t.Fatal(err)
				}
				padded.PadRows(m.RowBucket(tc.n))
				if padded.Rows() != m.RowBucket(tc.n) || len(padded.IDs[0]) != m.SeqBucket(longest) {
					t.Fatalf("PackBatch+PadRows: %d x %d, want %d x %d", padded.Rows(), len(padded.IDs[0]), m.RowBucket(tc.n), m.SeqBucket(longest))
				}
			} else {
				padded = packLeft(prompts, responses, longest+tc.extraLen)
				padded.PadRows(tc.rows)
			}
			want := runPaddingGraph(t, m, exact, tc.n, adv, targets)
			got := runPaddingGraph(t, m, padded, tc.n, adv, targets)
			shift := len(padded.IDs[0]) - longest
			close := func(what string, g, w float32) {
				t.Helper()
				if math.Abs(float64(g-w)) > 2e-5*max(1, math.Abs(float64(w))) {
					t.Errorf("%s: padded %g, unpadded %g", what, g, w)
				}
			}
			for i := range padded.Rows() {
				for k := range padded.IDs[i] {
					if i >= tc.n || k < shift {
						if got.logp[i][k] != 0 || got.entropy[i][k] != 0 {
							t.Fatalf("padding row %d position %d: logp %g entropy %g, want 0", i, k, got.logp[i][k], got.entropy[i][k])
						}
						continue
					}
					close(fmt.Sprintf("logp[%d][%d]", i, k), got.logp[i][k], want.logp[i][k-shift])
					close(fmt.Sprintf("entropy[%d][%d]", i, k), got.entropy[i][k], want.entropy[i][k-shift])
				}
				if i < tc.n {
					close(fmt.Sprintf("value[%d]", i), got.values[i], want.values[i])
				}
			}
			close("loss", got.loss, want.loss)
			scale := 0.0
			for _, g := range want.grad {
				scale = max(scale, math.Abs(float64(g)))
			}
			for j := range want.grad {
				if d := math.Abs(float64(got.grad[j] - want.grad[j])); d > 1e-4*scale {
					t.Fatalf("gradient %d: padded %g, unpadded %g (largest component %g)", j, got.grad[j], want.grad[j], scale)
				}
			}
		})
	}
}

// TestBucketedGenerateMatchesUnpadded generates with the go buckets and with a compiling
// backend's (XLA) coarser ones (more rows, longer prompt padding and KV cache): same tokens,
// same log-probs.
func TestBucketedGenerateMatchesUnpadded(t *testing.T) {
	cfg, err := Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	goModel, err := NewRandom(testBackend(t), model.NewStore(), "agent_0", cfg, 11)
	if err != nil {
		t.Fatal(err)
	}
	xla, err := NewRandom(testBackend(t), model.NewStore(), "agent_0", cfg, 11)
	if err != nil {
		t.Fatal(err)
	}
	xla.coarseBuckets = true
	prompts := [][]int{{5, 6, 7}, {8}, {9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}}
	gc := GenerateConfig{MaxNewTokens: 12, Temperature: 1, Seed: 3, IgnoreEOS: true}
	want, err := goModel.Generate(prompts, gc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := xla.Generate(prompts, gc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(prompts) {
		t.Fatalf("%d samples for %d prompts", len(got), len(prompts))
	}
	for i := range prompts {
		if !slices.Equal(got[i].Tokens, want[i].Tokens) {
			t.Fatalf("row %d: tokens %v with XLA buckets, %v with go buckets", i, got[i].Tokens, want[i].Tokens)
		}
		for k := range want[i].LogProbs {
			if math.Abs(got[i].LogProbs[k]-want[i].LogProbs[k]) > 2e-5*max(1, math.Abs(want[i].LogProbs[k])) {
				t.Errorf("row %d token %d: log-prob %g with XLA buckets, %g with go buckets", i, k, got[i].LogProbs[k], want[i].LogProbs[k])
			}
		}
		// And what Score recomputes with either rule.
		for _, m := range []*Model{goModel, xla} {
			s, err := m.Score(prompts[i:i+1], [][]int{got[i].Tokens})
			if err != nil {
				t.Fatal(err)
			}
			for k, lp := range s.LogProbs[0] {
				if math.Abs(lp-got[i].LogProbs[k]) > 1e-4 {
					t.Errorf("row %d token %d: Score (compiling=%v) %g, Generate %g", i, k, m.compiling(), lp, got[i].LogProbs[k])
				}
			}
		}
	}
	if c := Compiles(xla.Store); c < 3 {
		t.Errorf("Compiles = %d after prefill, decode and score graphs", c)
	}
}
