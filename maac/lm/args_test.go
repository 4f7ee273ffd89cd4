package lm

import (
	"slices"
	"testing"
)

// tensorArgs copies rectangular slices into tensors of their shape, passes scalars, and names a
// ragged argument.
func TestTensorArgs(t *testing.T) {
	args, err := tensorArgs([][]int32{{1, 2}, {3, 4}}, []float32{1}, int32(7))
	if err != nil {
		t.Fatal(err)
	}
	if got := args[0].(interface{ Value() any }).Value().([][]int32); !slices.Equal(got[1], []int32{3, 4}) {
		t.Fatalf("matrix became %v", got)
	}
	if args[2] != int32(7) {
		t.Fatalf("a scalar changed: %v", args[2])
	}
	if _, err := tensorArgs([]float32{}, [][]float64{{1, 2}, {3}}); err == nil || err.Error() != "argument 1: ragged matrix: row 1 has 1 values, row 0 has 2" {
		t.Fatalf("ragged matrix: got %v", err)
	}
}
