// Package backend selects the GoMLX compute backend collm runs on.
//
// The pure-Go backend ("go") is the default and works offline everywhere; XLA needs a PJRT plugin
// that cannot be downloaded at run time, so it is used only when GOMLX_BACKEND names it and the
// program links it (built with -tags xla, see xla.go). Importing GoMLX's backends/default would
// make XLA the default and fail offline, which is why this package registers the Go backend
// alone.
package backend

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend" // registers "go"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Default is the backend configuration used when GOMLX_BACKEND is not set. Training on CPU wants
// "go:parallelism=-1" (all cores); the kernel and the Makefile set that.
const Default = "go"

// New returns the backend named by $GOMLX_BACKEND, else Default.
func New() (compute.Backend, error) {
	config := os.Getenv("GOMLX_BACKEND")
	if config == "" {
		config = Default
	}
	name, _, _ := strings.Cut(config, ":")
	if !slices.Contains(compute.List(), name) {
		// compute.NewWithConfig panics on an unknown name.
		return nil, fmt.Errorf("GOMLX_BACKEND=%q: no backend %q in this program (available: %s); on CPU use \"go\" or \"go:parallelism=-1\"",
			config, name, strings.Join(compute.List(), ", "))
	}
	var b compute.Backend
	var err error
	withoutStdout(func() { b, err = compute.NewWithConfig(config) })
	if err != nil {
		return nil, fmt.Errorf("GOMLX_BACKEND=%q: %w (on CPU use \"go\" or \"go:parallelism=-1\")", config, err)
	}
	return b, nil
}

// withoutStdout runs fn with os.Stdout discarded: the go backend prints "Go backend: parallelism
// set to N" to stdout whenever its configuration sets parallelism, which would land in every
// notebook cell's output and in the stdout of commands whose output is data (JSON).
func withoutStdout(fn func()) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fn()
		return
	}
	saved := os.Stdout
	os.Stdout = devNull
	defer func() {
		os.Stdout = saved
		devNull.Close()
	}()
	fn()
}

// MatmulGFLOPS measures float32 matrix multiplication of two n x n matrices on b: the median of
// reps timed runs after one warm-up (which compiles the graph).
func MatmulGFLOPS(b compute.Backend, n, reps int) (float64, error) {
	if n <= 0 || reps <= 0 {
		return 0, fmt.Errorf("MatmulGFLOPS: n=%d and reps=%d must be positive", n, reps)
	}
	exec, err := graph.NewExec(b, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		return 0, err
	}
	defer exec.Finalize()
	x := tensors.FromShape(shapes.Make(dtypes.Float32, n, n))
	times := make([]time.Duration, 0, reps)
	for i := range reps + 1 {
		start := time.Now()
		out, err := exec.Exec(x, x)
		if err != nil {
			return 0, err
		}
		out[0].MustFinalizeAll()
		if i > 0 {
			times = append(times, time.Since(start))
		}
	}
	median := medianDuration(times)
	return 2 * float64(n) * float64(n) * float64(n) / median.Seconds() / 1e9, nil
}

func medianDuration(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}
