package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/collm/collm/maac"
)

// Each GoNB cell is a new process, so a run lives in a run directory that later cells open by
// name: to plot it, evaluate its agents, or train more updates from where it stopped.

// RunsDir is where named runs live: $COLLM_RUNS, else "runs" under the notebook's directory
// (GoNB runs every cell there), else under the current directory.
func RunsDir() string {
	if dir := os.Getenv("COLLM_RUNS"); dir != "" {
		return dir
	}
	if dir := os.Getenv("GONB_DIR"); dir != "" {
		return filepath.Join(dir, "runs")
	}
	return "runs"
}

// RunPath returns the directory of the run called name.
func RunPath(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", fmt.Errorf("run name %q: use a plain name such as \"cc-toy\" (no slashes)", name)
	}
	return filepath.Join(RunsDir(), name), nil
}

// CreateRun starts the run called name from cfg; it fails when the run exists.
func CreateRun(name string, cfg maac.RunConfig) (*maac.Trainer, *maac.RunDir, error) {
	dir, err := RunPath(name)
	if err != nil {
		return nil, nil, err
	}
	return maac.Create(dir, cfg)
}

// OpenRun reopens the run called name at its latest checkpoint.
func OpenRun(name string) (*maac.Trainer, *maac.RunDir, error) {
	dir, err := RunPath(name)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		existing := "there are no runs yet"
		if runs := ListRuns(); len(runs) > 0 {
			existing = "existing: " + strings.Join(runs, ", ")
		}
		return nil, nil, fmt.Errorf("no run called %q in %s (%s)", name, RunsDir(), existing)
	}
	return maac.Resume(dir)
}

// OpenOrCreateRun reopens the run called name when it exists and creates it from cfg otherwise,
// so re-running a training cell continues the run instead of failing. A run that exists with a
// different configuration is an error naming the differing settings: continuing it with settings
// it was not trained with would be a silent surprise.
func OpenOrCreateRun(name string, cfg maac.RunConfig) (*maac.Trainer, *maac.RunDir, error) {
	dir, err := RunPath(name)
	if err != nil {
		return nil, nil, err
	}
	stored, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return maac.Create(dir, cfg)
	}
	want, err := maac.ResolveConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	if diff := configDiff(stored, want); len(diff) > 0 {
		return nil, nil, fmt.Errorf("run %q exists with other settings (%s): use another name, delete %s, or pass its settings to continue it",
			name, strings.Join(diff, "; "), dir)
	}
	return maac.Resume(dir)
}

// configDiff lists the settings whose values differ between a stored config.json and cfg.
func configDiff(stored []byte, cfg maac.RunConfig) []string {
	current, err := json.Marshal(cfg)
	if err != nil {
		return []string{"the settings do not encode: " + err.Error()}
	}
	diff, err := maac.ConfigDiff(stored, current)
	if err != nil {
		return []string{"config.json is unreadable: " + err.Error()}
	}
	return diff
}

// ListRuns returns the names of the runs in RunsDir.
func ListRuns() []string {
	entries, _ := os.ReadDir(RunsDir())
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(RunsDir(), e.Name(), "config.json")); err == nil {
			names = append(names, e.Name())
		}
	}
	return names
}

// InterruptContext returns a context that is cancelled when the kernel interrupts the cell (GoNB
// sends SIGINT and kills the process 5 seconds later) or the process gets SIGTERM. Training
// loops stop at the next safe point, save a checkpoint and return.
func InterruptContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
