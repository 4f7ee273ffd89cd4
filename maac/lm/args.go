package lm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// RunExec runs e on args after turning its host slices into tensors (tensorArgs): every graph of
// this package and of maac's critics runs through it.
//
// Graphs may run from several goroutines at once (e.g. the agents' optimizer steps of one
// update), but building a graph must not overlap anything: it reads every variable of the
// model.Store (and a Trainer's first build adds its optimizer state), which the Store does not
// guard against a running graph's writes. So the first call of e for a set of input shapes
// builds and compiles it alone (graphs' write lock), and the calls run under the read lock.
func RunExec(e *model.Exec, args ...any) ([]*tensors.Tensor, error) {
	given := args
	args, err := tensorArgs(args...)
	if err != nil {
		return nil, err
	}
	inputs := make([]shapes.Shape, len(args))
	// donate marks the arguments whose buffers the graph may take: those passed as donated and
	// the tensors made here, which only this call reads.
	donate := make([]bool, len(args))
	key := ""
	for i, a := range args {
		var shape shapes.Shape
		switch v := a.(type) {
		case *tensors.Tensor:
			shape = v.Shape()
			_, isTensor := given[i].(*tensors.Tensor)
			donate[i] = !isTensor
		case donated:
			args[i], shape, donate[i] = v.t, v.t.Shape(), true
		default:
			t, err := tensors.FromAnyValue(a)
			if err != nil {
				return nil, fmt.Errorf("argument %d: %w", i, err)
			}
			args[i], shape, donate[i] = t, t.Shape(), true
		}
		inputs[i] = shape
		key += shape.String() + ";"
	}
	info := execInfoOf(e)
	if _, ok := info.shapes.Load(key); !ok {
		graphs.Lock()
		g, err := e.Compile(inputs...)
		graphs.Unlock()
		if err != nil {
			return nil, err
		}
		info.backend.CompareAndSwap(nil, backendOf{g.Backend()})
		info.shapes.Store(key, true)
	}
	// GoMLX moves a host-only tensor to the backend only after building an error with a stack
	// trace for it (tensors.Tensor.Device); donated, the tensors made here move directly
	// (docs/EXPERIMENTS.md has the cost).
	backend := info.backend.Load().(backendOf).Backend
	for i, d := range donate {
		if d {
			if args[i], err = DonateTensorBuffer(args[i].(*tensors.Tensor), backend, 0); err != nil {
				return nil, fmt.Errorf("argument %d: %w", i, err)
			}
		}
	}
	graphs.RLock()
	defer graphs.RUnlock()
	return e.Exec(args...)
}

// donated is a RunExec argument whose buffer the graph may reuse for its outputs (GoMLX's
// DonateTensorBuffer, done by RunExec on the executor's backend).
type donated struct{ t *tensors.Tensor }

var (
	// graphs orders graph building (write lock) against running graphs (read lock) (RunExec).
	graphs sync.RWMutex
	// compiled maps each executor RunExec has called (weakly) to its execInfo. An executor keeps
	// its graphs as long as RunExec may call it: this package's executors cache
	// maxCompiledShapes (or all) shapes, which runs never reach.
	compiled sync.Map
)

// execInfo is what RunExec keeps of an executor: the input shape keys it compiled graphs for and
// the backend they run on.
type execInfo struct {
	shapes  sync.Map
	backend atomic.Value // backendOf, set by the first compilation
}

// backendOf wraps a backend for atomic.Value, which needs one concrete type.
type backendOf struct{ compute.Backend }

// execInfoOf returns e's execInfo, created on first use and dropped with e.
func execInfoOf(e *model.Exec) *execInfo {
	key := weak.Make(e)
	if s, ok := compiled.Load(key); ok {
		return s.(*execInfo)
	}
	s, stored := compiled.LoadOrStore(key, &execInfo{})
	if !stored {
		runtime.AddCleanup(e, func(k weak.Pointer[model.Exec]) { compiled.Delete(k) }, key)
	}
	return s.(*execInfo)
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
