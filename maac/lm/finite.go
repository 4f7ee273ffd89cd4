package lm

import (
	"fmt"
	"math"
)

// NonFiniteError reports NaN or infinite numbers in a model's logits, in a training loss or
// gradient, in weights after an optimizer step, or in a checkpoint's tensors: the model diverged
// (a learning rate too high, no gradient clipping) or its checkpoint is corrupt. Generation and
// training stop at it, so nothing is sampled from those numbers.
type NonFiniteError struct {
	// Scope is the model's scope ("/agent_0"), for a Trainer its first scope; empty for a
	// checkpoint read by Load.
	Scope string
	// What names the numbers and where they are, e.g. "logits (NaN at token id 3, row 0, new
	// token 2)".
	What string
}

func (e *NonFiniteError) Error() string {
	if e.Scope == "" {
		return "non-finite " + e.What
	}
	return fmt.Sprintf("%s: non-finite %s", e.Scope, e.What)
}

// firstNonFinite returns the index of the first NaN or infinite value of data, or -1.
func firstNonFinite(data []float32) int {
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}
