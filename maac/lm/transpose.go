package lm

import (
	"fmt"

	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
)

// The go backend multiplies matrices in two layouts only, [batch, rows, contracted] times
// [batch, contracted, cols] or [batch, cols, contracted], and transposes any other operand into
// one of them first. Reverse-mode autodiff of y = a·b asks for db = aᵀ·dy, whose operands are
// never in either layout: the backend then transposes them through a per-element index iterator,
// and for batched products also transposes the result back. The
// helpers here compute that gradient with the transposes spelled out in the graph as steps the
// backend copies in blocks (its 2-D transpose, and permutations that keep the last axis whole).

// goBackend reports whether g runs on the go backend.
func goBackend(g *Graph) bool { return g.Backend().String() == gobackend.BackendName }

// differentiated reports whether g is a Trainer's graph (one that computes gradients).
func differentiated(g *Graph) bool {
	_, ok := trainedBy(g)
	return ok
}

// matmulBlockedGrad returns a·b for a [X, M, K] and b [X, N, K] (bTransposed) or [X, K, N],
// y [X, M, N], whose gradient for b is computed from blocked transposes (transposeLast2) rather
// than the backend's iterator. The gradient for a takes the usual path, whose operands are
// already in a layout the backend multiplies.
//
// GoMLX sets custom gradients on identities only, each for its one input: the identity after y
// keeps the gradient dy arriving at y (reverse mode reaches y before b, which precedes it in
// the graph) and the identity on b returns the gradient built from it. The usual gradient for
// b, which the identity discards, is never computed: the backends drop nodes no output needs.
func matmulBlockedGrad(a, b *Node, bTransposed bool) *Node {
	if a.Rank() != 3 || b.Rank() != 3 {
		panic(fmt.Sprintf("lm: matmulBlockedGrad takes [X,M,K] and [X,N,K] or [X,K,N] operands, got %s and %s", a.Shape(), b.Shape()))
	}
	var dy *Node
	b = IdentityWithCustomGradient(b, func(_, _ *Node) *Node {
		if dy == nil {
			panic("lm: matmulBlockedGrad: the gradient of b was asked before the gradient of a·b")
		}
		if bTransposed { // db [X,N,K] = dyᵀ [X,N,M] · a [X,M,K]
			return DotGeneral(transposeLast2(dy), []int{2}, []int{0}, a, []int{1}, []int{0})
		}
		// db [X,K,N] = aᵀ [X,K,M] · dy [X,M,N]
		return DotGeneral(transposeLast2(a), []int{2}, []int{0}, dy, []int{1}, []int{0})
	})
	contracted := 1
	if bTransposed {
		contracted = 2
	}
	y := DotGeneral(a, []int{2}, []int{0}, b, []int{contracted}, []int{0})
	return IdentityWithCustomGradient(y, func(_, v *Node) *Node {
		dy = v
		return v
	})
}

// transposeLast2 returns x [X, M, N] as [X, N, M]: the batch axis moves behind the rows (a
// permutation that keeps the last axis whole, copied in runs of N) and one 2-D transpose
// (transposeMatrix) of [M, X·N] finishes it.
func transposeLast2(x *Node) *Node {
	d := x.Shape().Dimensions
	xs, rows, cols := d[0], d[1], d[2]
	if xs == 1 {
		return Reshape(transposeMatrix(Reshape(x, rows, cols)), 1, cols, rows)
	}
	y := Reshape(TransposeAllAxes(x, 1, 0, 2), rows, xs*cols) // [M, X·N]
	return Reshape(transposeMatrix(y), xs, cols, rows)
}

// transposeMatrix returns x [R, C] as [C, R]. The backend's 2-D transpose writes with a stride
// of R values; when R is a multiple of 512 those writes fall into the same cache sets and run
// several times slower (docs/EXPERIMENTS.md), so such an R is split as R1 blocks of h rows: the
// blocks move behind the rows of a block (kept whole), the 2-D transpose writes with stride h,
// and the blocks move back in front of each column's values (kept whole, h at a time).
func transposeMatrix(x *Node) *Node {
	d := x.Shape().Dimensions
	rows, cols := d[0], d[1]
	const h = 64
	if rows%512 != 0 {
		return TransposeAllAxes(x, 1, 0)
	}
	blocks := rows / h
	y := Reshape(TransposeAllAxes(Reshape(x, blocks, h, cols), 1, 0, 2), h, blocks*cols) // [h, R1·C]
	y = Reshape(TransposeAllAxes(y, 1, 0), blocks, cols, h)                              // [R1, C, h]
	return Reshape(TransposeAllAxes(y, 1, 0, 2), cols, rows)                             // [C, R1, h]
}
