package kernel

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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
// when a cell fails, so its outputs can be inspected. The executed notebook is signed with the
// user's Jupyter notary (the secret and nbsignatures.db in JupyterDataDir, as `jupyter trust`
// signs): Jupyter opens it trusted and runs its chart scripts. Progress gets a line saying so, or
// a warning when it could not be signed.
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

// ServeOptions configures NotebookServer.
type ServeOptions struct {
	// Dir is the directory the server shows (its notebook directory). Default ".".
	Dir string
	// Port is the port on 127.0.0.1. Default 0: the first free port from 8888.
	Port int
	// Token is the server's access token. Default: $JUPYTER_TOKEN, else a random one.
	Token string
	// AsRoot adds --allow-root, which Jupyter requires of root and which is only passed for root.
	// NotebookServer sets it from the effective user id.
	AsRoot bool
}

// NotebookServer returns the command line (argv[0] is the Python interpreter with Debian's
// Jupyter), the environment and the URL, token included, of a classic Jupyter Notebook server
// on 127.0.0.1 in opts.Dir: what `collm notebook serve` (and so `make notebook`) executes.
func NotebookServer(opts ServeOptions) (argv, env []string, url string, err error) {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	if c := checkPyModules("jupyter notebook", []string{"notebook"}, JupyterPackages); !c.OK {
		return nil, nil, "", fmt.Errorf("Jupyter Notebook is not installed (%s): run `collm kernel install` as root, or %s", c.Detail, c.Fix)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, nil, "", err
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, nil, "", fmt.Errorf("notebook directory %s does not exist", opts.Dir)
	}
	if opts.Port == 0 {
		if opts.Port, err = freePort(8888, 100); err != nil {
			return nil, nil, "", err
		}
	} else if opts.Port < 0 || opts.Port > 65535 {
		return nil, nil, "", fmt.Errorf("port %d is not a TCP port", opts.Port)
	}
	if opts.Token == "" {
		opts.Token = os.Getenv("JUPYTER_TOKEN")
	}
	if opts.Token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, "", err
		}
		opts.Token = hex.EncodeToString(b)
	}
	argv = ServerArgs(opts.Port, dir, opts.AsRoot)
	// The token goes in the environment (JUPYTER_TOKEN, read by Notebook 6 and 7), not on the
	// command line where every user of the machine can read it.
	env = lastWins(append(goEnv(), "JUPYTER_TOKEN="+opts.Token))
	url = fmt.Sprintf("http://127.0.0.1:%d/?token=%s", opts.Port, opts.Token)
	return argv, env, url, nil
}

// ServerArgs is the command line of the classic Notebook server on 127.0.0.1:port in dir. It
// fails when the port is taken (port_retries=0) rather than moving to another one, so the printed
// URL is the server's; --allow-root is added only for root, which Jupyter refuses without it.
func ServerArgs(port int, dir string, asRoot bool) []string {
	args := []string{Python(), "-m", "notebook", "--no-browser", "--ip=127.0.0.1",
		fmt.Sprintf("--port=%d", port), "--NotebookApp.port_retries=0", "--notebook-dir=" + dir}
	if asRoot {
		args = append(args, "--allow-root")
	}
	return args
}

// freePort returns the first port from start on 127.0.0.1 that accepts a listener.
func freePort(start, n int) (int, error) {
	for port := start; port < start+n; port++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port in 127.0.0.1:%d-%d: give one with --port", start, start+n-1)
}

// lastWins drops every entry of env whose variable is set again later, as exec.Cmd does: a
// process started with syscall.Exec would otherwise see the first value (Go and Python do).
func lastWins(env []string) []string {
	last := map[string]int{}
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = i
	}
	var out []string
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); last[k] == i {
			out = append(out, kv)
		}
	}
	return out
}
