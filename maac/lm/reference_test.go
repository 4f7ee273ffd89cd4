package lm

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

// TestReferenceLogits compares the forward pass with fixtures written by testdata/reference.py,
// an independent plain-PyTorch implementation of the HF Llama/Qwen2/Qwen3 formulas.
func TestReferenceLogits(t *testing.T) {
	dirs, err := filepath.Glob("testdata/ref/*")
	if err != nil || len(dirs) < 4 {
		t.Fatalf("want 4 fixtures under testdata/ref, got %v (%v); regenerate with testdata/reference.py", dirs, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var want struct {
				IDs    [][]int32     `json:"ids"`
				Mask   [][]int32     `json:"mask"`
				Logits [][][]float64 `json:"logits"`
			}
			data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
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
