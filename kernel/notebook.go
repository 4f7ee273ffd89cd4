package kernel

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

//go:embed nbrun.py
var nbrunScript []byte

// RunOptions configures RunNotebook.
type RunOptions struct {
	// Out is the executed notebook. Default: the input with ".executed.ipynb" for ".ipynb".
	Out string
	// HTML, when set, is where an HTML export of the executed notebook is written.
	HTML string
	// CellTimeout bounds each cell. Default 10 minutes.
	CellTimeout time.Duration
	// Kernel is the kernelspec name. Default KernelName.
	Kernel string
	// Progress receives one line per executed cell with its wall time. Default io.Discard.
	Progress io.Writer
}

// ExecutedPath is the default path of the executed copy of notebook in.
func ExecutedPath(in string) string {
	return strings.TrimSuffix(in, ".ipynb") + ".executed.ipynb"
}

// CellError is returned by RunNotebook when a cell fails.
type CellError struct {
	Notebook string
	Message  string // the runner's description: cell index, first line, error text
}

func (e *CellError) Error() string { return e.Notebook + ": " + e.Message }

// RunNotebook executes the notebook at in headless with the collm kernel, cell by cell, and fails
// at the first cell with an error output, including a Go runtime panic or non-zero exit that
// nbconvert alone reports as success. The executed notebook (and HTML export) is written even
// when a cell fails, so its outputs can be inspected.
func RunNotebook(ctx context.Context, in string, opts RunOptions) error {
	if err := validateNotebook(in); err != nil {
		return err
	}
	if opts.Out == "" {
		opts.Out = ExecutedPath(in)
	}
	if opts.CellTimeout <= 0 {
		opts.CellTimeout = 10 * time.Minute
	}
	if opts.Kernel == "" {
		opts.Kernel = KernelName
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if c := checkPyModules("jupyter", jupyterPyModules, JupyterPackages); !c.OK {
		return fmt.Errorf("Jupyter is not installed (%s): run `collm kernel install`", c.Detail)
	}
	if opts.Kernel == KernelName {
		dir, err := KernelDir()
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(dir, "kernel.json")); err != nil {
			return fmt.Errorf("the %s kernel is not installed in %s: run `collm kernel install`", KernelName, dir)
		}
	}
	for _, path := range []string{opts.Out, opts.HTML} {
		if path == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("cannot create the output directory: %w", err)
		}
	}
	script, err := os.CreateTemp("", "collm-nbrun-*.py")
	if err != nil {
		return err
	}
	defer os.Remove(script.Name())
	if _, err := script.Write(nbrunScript); err != nil {
		return err
	}
	script.Close()

	args := []string{script.Name(), in, opts.Out, opts.Kernel, fmt.Sprint(int(opts.CellTimeout.Seconds()))}
	if opts.HTML != "" {
		args = append(args, opts.HTML)
	}
	cmd := exec.CommandContext(ctx, Python(), args...)
	cmd.Env = goEnv()
	cmd.Stdout = opts.Progress
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if err == nil {
		return nil
	}
	// The kernel's own log goes to stderr too: report the runner's message, else the log's tail.
	msg := stderr.String()
	if i := strings.Index(msg, "nbrun: "); i >= 0 {
		msg = strings.TrimPrefix(msg[i:], "nbrun: ")
	} else {
		msg = fmt.Sprintf("notebook runner failed (%v):\n%s", err, tail(msg, 3000))
	}
	return &CellError{Notebook: in, Message: strings.TrimSpace(msg)}
}

// validateNotebook gives a one-line error for a missing, unreadable or corrupt .ipynb.
func validateNotebook(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("notebook %s does not exist", path)
	}
	if err != nil {
		return fmt.Errorf("cannot read notebook: %w", err)
	}
	var nb struct {
		Cells         []json.RawMessage `json:"cells"`
		NBFormat      int               `json:"nbformat"`
		NBFormatMinor int               `json:"nbformat_minor"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		return fmt.Errorf("notebook %s is corrupt (not valid JSON: %v)", path, err)
	}
	if nb.NBFormat != 4 || nb.Cells == nil {
		return fmt.Errorf("notebook %s is not an nbformat-4 notebook (nbformat=%d, cells missing=%v)", path, nb.NBFormat, nb.Cells == nil)
	}
	return nil
}
