package kernel_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/collm/collm/kernel"
)

// Every GoNB cell is a new process, so a cell finds the run an earlier cell trained by its name:
// RunPath gives its directory under RunsDir ($COLLM_RUNS, else "runs" next to the notebook).
// CreateRun, OpenRun and OpenOrCreateRun start or reopen the run there.
func ExampleRunPath() {
	_, cleanup := tempRuns()
	defer cleanup()

	dir, err := kernel.RunPath("cc-toy")
	if err != nil {
		panic(err)
	}
	rel, _ := filepath.Rel(kernel.RunsDir(), dir)
	fmt.Println("run directory: $COLLM_RUNS/" + rel)

	// A name is one path element: a run never lands outside the runs directory.
	_, err = kernel.RunPath("../cc-toy")
	fmt.Println(err)
	// Output:
	// run directory: $COLLM_RUNS/cc-toy
	// run name "../cc-toy": use a plain name such as "cc-toy" (no slashes)
}

// ListRuns names the runs in RunsDir: the directories with a config.json, as CreateRun and
// `collm train --out` write them.
func ExampleListRuns() {
	runs, cleanup := tempRuns()
	defer cleanup()

	fmt.Println(kernel.ListRuns())
	for _, name := range []string{"magrpo-toy", "cc-toy"} {
		dir, _ := kernel.RunPath(name)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"env": "toy-coord"}`), 0o644)
	}
	os.MkdirAll(filepath.Join(runs, "notes"), 0o755) // not a run
	fmt.Println(kernel.ListRuns())
	// Output:
	// []
	// [cc-toy magrpo-toy]
}

// The display bridge sends HTML to the notebook cell. Outside a notebook (a program, a test,
// `collm` itself) it is a no-op, so library code calls it unconditionally.
func ExampleDisplayHTML() {
	fmt.Println("in a notebook:", kernel.InNotebook())
	id := "collm_" + kernel.NewUniqueID()
	kernel.DisplayHTML("<b>training started</b>")
	kernel.UpdateHTML(id, "<progress value=1 max=10></progress>") // replaced in place on each call
	kernel.UpdateHTML(id, "<progress value=2 max=10></progress>")
	kernel.Sync() // wait until the notebook has every display before the cell's process exits
	// Output:
	// in a notebook: false
}

// KernelEnv is the environment the collm kernel gives every cell, and RunNotebook every notebook
// it executes.
func ExampleKernelEnv() {
	env := kernel.KernelEnv()
	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Printf("%s=%s\n", name, env[name])
	}
	// Output:
	// GOEXPERIMENT=simd
	// GOMLX_BACKEND=go:parallelism=-1
	// GOMLX_NO_AUTO_INSTALL=1
	// GOTOOLCHAIN=go1.27.3
}

// RunNotebook executes a notebook headless, as `collm notebook run` does, and writes the executed
// copy next to it unless RunOptions.Out says otherwise.
func ExampleExecutedPath() {
	fmt.Println(kernel.ExecutedPath("notebooks/01-quickstart.ipynb"))
	// Output:
	// notebooks/01-quickstart.executed.ipynb
}

// tempRuns points $COLLM_RUNS at a new temporary directory for an example; cleanup restores it.
func tempRuns() (dir string, cleanup func()) {
	dir, err := os.MkdirTemp("", "collm-runs-")
	if err != nil {
		panic(err)
	}
	old := os.Getenv("COLLM_RUNS")
	os.Setenv("COLLM_RUNS", dir)
	return dir, func() {
		os.Setenv("COLLM_RUNS", old)
		os.RemoveAll(dir)
	}
}
