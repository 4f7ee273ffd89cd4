package lm

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

// refFixture is an expected.json written by testdata/reference.py.
type refFixture struct {
	IDs      [][]int32     `json:"ids"`
	Mask     [][]int32     `json:"mask"`
	Logits   [][][]float64 `json:"logits"`
	LogProbs [][]float64   `json:"logprobs"`
}

// refDirs lists the fixtures under testdata/ref, failing when some are missing.
func refDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("testdata/ref/*")
	if err != nil || len(dirs) < 11 {
		t.Fatalf("want 11 fixtures under testdata/ref, got %v (%v); regenerate with testdata/reference.py", dirs, err)
	}
	return dirs
}

func readFixture(t *testing.T, dir string) refFixture {
	t.Helper()
	var f refFixture
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestReferenceLogits compares the forward pass with fixtures written by testdata/reference.py,
// an independent plain-PyTorch implementation of the HF Llama/Mistral/Qwen2/Qwen3 formulas, RoPE
// variants and sliding windows included.
func TestReferenceLogits(t *testing.T) {
	for _, dir := range refDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want := readFixture(t, dir)
			m, err := Load(testBackend(t), model.NewStore(), "ref", dir)
			if err != nil {
				t.Fatal(err)
			}
			got := logitsOf(t, m, want.IDs, want.Mask)
			maxDiff := 0.0
			for b := range want.Logits {
				for tt := range want.Logits[b] {
					if want.Mask[b][tt] == 0 {
						continue
					}
					for v, w := range want.Logits[b][tt] {
						maxDiff = math.Max(maxDiff, math.Abs(float64(got[b][tt][v])-w))
					}
				}
			}
			t.Logf("%s: max |logit diff| = %.2g", filepath.Base(dir), maxDiff)
			if maxDiff > 1e-4 {
				t.Errorf("logits differ from the PyTorch reference by %g > 1e-4", maxDiff)
			}
		})
	}
}

// TestReferenceLogProbs scores each fixture's rows through Model.Score (the path of collm
// logprobs and of training's log-probs: packed, left-padded, bucketed) and compares the
// per-token log-probs with the PyTorch reference. The long fixtures (40 tokens) go past their
// sliding window (8) and their original context (16).
func TestReferenceLogProbs(t *testing.T) {
	for _, dir := range refDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want := readFixture(t, dir)
			m, err := Load(testBackend(t), model.NewStore(), "ref", dir)
			if err != nil {
				t.Fatal(err)
			}
			var prompts, responses [][]int
			var starts []int
			for b, row := range want.IDs {
				var ids []int
				start := -1
				for tt, id := range row {
					if want.Mask[b][tt] == 1 {
						if start < 0 {
							start = tt
						}
						ids = append(ids, int(id))
					}
				}
				prompts, responses, starts = append(prompts, ids[:1]), append(responses, ids[1:]), append(starts, start)
			}
			sc, err := m.Score(prompts, responses)
			if err != nil {
				t.Fatal(err)
			}
			maxDiff := 0.0
			for b, lps := range sc.LogProbs {
				for k, lp := range lps {
					maxDiff = math.Max(maxDiff, math.Abs(lp-want.LogProbs[b][starts[b]+1+k]))
				}
			}
			t.Logf("%s: max |log-prob diff| = %.2g over %d tokens", filepath.Base(dir), maxDiff, len(sc.LogProbs[0])+len(sc.LogProbs[1]))
			if maxDiff > 2e-4 {
				t.Errorf("log-probs differ from the PyTorch reference by %g > 2e-4", maxDiff)
			}
		})
	}
}

// TestGenerateWithVariantsMatchesScore decodes with the KV cache on the RoPE-variant and
// sliding-window fixtures, past the window, and checks that the tokens are the greedy choices and
// their log-probs those of scoring the whole sequence (where each layer sees its window over the
// full sequence). Generation stays within max_position_embeddings, so dynamic NTK runs unscaled.
func TestGenerateWithVariantsMatchesScore(t *testing.T) {
	for _, name := range []string{"mistral_window", "qwen2_window_layers", "llama3_rope_tied", "qwen2_yarn", "llama_dynamic"} {
		t.Run(name, func(t *testing.T) {
			m, err := Load(testBackend(t), model.NewStore(), "ref", filepath.Join("testdata/ref", name))
			if err != nil {
				t.Fatal(err)
			}
			checkGenerateMatchesForward(t, m, min(30, m.Config.MaxPositionEmbeddings-11))
		})
	}
}

// TestGenerateMatchesScoreAtKernelHeadSizes decodes with head sizes 32, 64 and 128, for which
// the go backend's fused decoding attention has its own AVX-512 kernels (the fixtures' smaller
// heads take its generic loop), with and without grouped queries.
func TestGenerateMatchesScoreAtKernelHeadSizes(t *testing.T) {
	for _, c := range []struct{ headDim, heads, kvHeads int }{{32, 8, 4}, {64, 14, 2}, {128, 2, 2}} {
		t.Run(fmt.Sprintf("hd%d_%dq_%dkv", c.headDim, c.heads, c.kvHeads), func(t *testing.T) {
			cfg, err := Preset("tiny")
			if err != nil {
				t.Fatal(err)
			}
			cfg.HeadDim, cfg.NumHeads, cfg.NumKVHeads = c.headDim, c.heads, c.kvHeads
			m, err := NewRandom(testBackend(t), model.NewStore(), "hd", cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			checkGenerateMatchesForward(t, m, 30)
		})
	}
}

// checkGenerateMatchesForward decodes maxNew greedy tokens for two prompts of different lengths
// (one left-padded in the batch) and checks them against a full forward pass of each whole
// sequence: every token is its position's argmax, and Generate's log-probs are Score's.
func checkGenerateMatchesForward(t *testing.T, m *Model, maxNew int) {
	t.Helper()
	prompts := [][]int{{5, 17, 3}, {40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50}}
	out, err := m.Generate(prompts, GenerateConfig{MaxNewTokens: maxNew, IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	responses := [][]int{out[0].Tokens, out[1].Tokens}
	sc, err := m.Score(prompts, responses)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff := 0.0
	for b := range prompts {
		if len(out[b].Tokens) != maxNew {
			t.Fatalf("row %d: %d tokens, want %d", b, len(out[b].Tokens), maxNew)
		}
		seq := append(append([]int(nil), prompts[b]...), out[b].Tokens...)
		ids, mask := [][]int32{make([]int32, len(seq))}, [][]int32{make([]int32, len(seq))}
		for i, id := range seq {
			ids[0][i], mask[0][i] = int32(id), 1
		}
		logits := logitsOf(t, m, ids, mask)[0]
		for k, tok := range out[b].Tokens {
			if want := argmax(logits[len(prompts[b])+k-1]); want != tok {
				t.Fatalf("row %d token %d: KV-cache decoding gave %d, the full forward %d", b, k, tok, want)
			}
			maxDiff = math.Max(maxDiff, math.Abs(sc.LogProbs[b][k]-out[b].LogProbs[k]))
		}
	}
	t.Logf("%d new tokens per row, max |Generate - Score log-prob| = %.2g", maxNew, maxDiff)
	if maxDiff > 1e-4 {
		t.Errorf("Generate's log-probs differ from Score's by %g > 1e-4", maxDiff)
	}
}
