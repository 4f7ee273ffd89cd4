package lm

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// RunExec runs e on args after turning its host slices into tensors (tensorArgs): every graph of
// this package and of maac's critics runs through it.
func RunExec(e *model.Exec, args ...any) ([]*tensors.Tensor, error) {
	args, err := tensorArgs(args...)
	if err != nil {
		return nil, err
	}
	return e.Exec(args...)
}

// tensorArgs turns the flat and rectangular host slices among Exec arguments into tensors by
// one copy. GoMLX would convert them itself, but it infers a slice's shape by reflection over
// every element (cloning a shape per element), which cost an actor update a tenth of its time
// for a 460k-value gradient. Other arguments (scalars, tensors, buffers) pass unchanged; a
// ragged [][]T is an error naming the argument.
func tensorArgs(args ...any) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		var err error
		switch v := a.(type) {
		case []float32:
			out[i] = tensors.FromFlatDataAndDimensions(v, len(v))
		case []float64:
			out[i] = tensors.FromFlatDataAndDimensions(v, len(v))
		case []int32:
			out[i] = tensors.FromFlatDataAndDimensions(v, len(v))
		case [][]float32:
			out[i], err = matrixTensor(v)
		case [][]float64:
			out[i], err = matrixTensor(v)
		case [][]int32:
			out[i], err = matrixTensor(v)
		default:
			out[i] = a
		}
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i, err)
		}
	}
	return out, nil
}

// matrixTensor copies the rows of a rectangular [][]T into one [rows, cols] tensor.
func matrixTensor[T float32 | float64 | int32](rows [][]T) (*tensors.Tensor, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("empty matrix (%d rows)", len(rows))
	}
	cols := len(rows[0])
	flat := make([]T, 0, len(rows)*cols)
	for r, row := range rows {
		if len(row) != cols {
			return nil, fmt.Errorf("ragged matrix: row %d has %d values, row 0 has %d", r, len(row), cols)
		}
		flat = append(flat, row...)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(rows), cols), nil
}
