package maac

import (
	"fmt"
	"math"
)

// GradStats is the measured gradient variance of one agent's policy-gradient update, the paper's
// central quantity: the batch is split into M micro-batches, each micro-batch gradient g_m is
// flattened, and
//
//	Variance         = 1/(M-1) sum_m ||g_m - mean_g||^2
//	RelativeVariance = Variance / ||mean_g||^2
//	Norm             = ||mean_g||
type GradStats struct {
	Variance, RelativeVariance, Norm float64
	MicroBatches                     int
}

// GradientStats computes GradStats from M >= 2 flattened micro-batch gradients of equal length.
func GradientStats(grads [][]float32) (GradStats, error) {
	M := len(grads)
	if M < 2 {
		return GradStats{}, fmt.Errorf("gradient variance needs at least 2 micro-batches, got %d", M)
	}
	D := len(grads[0])
	mean := make([]float64, D)
	for m, g := range grads {
		if len(g) != D {
			return GradStats{}, fmt.Errorf("micro-batch gradient %d has %d values, want %d", m, len(g), D)
		}
		for j, x := range g {
			mean[j] += float64(x)
		}
	}
	normSq := 0.0
	for j := range mean {
		mean[j] /= float64(M)
		normSq += mean[j] * mean[j]
	}
	variance := 0.0
	for _, g := range grads {
		for j, x := range g {
			d := float64(x) - mean[j]
			variance += d * d
		}
	}
	variance /= float64(M - 1)
	rel := math.Inf(1)
	if normSq > 0 {
		rel = variance / normSq
	}
	return GradStats{Variance: variance, RelativeVariance: rel, Norm: math.Sqrt(normSq), MicroBatches: M}, nil
}
