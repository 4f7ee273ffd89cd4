package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/collm/collm/kernel"
)

func init() {
	register(&command{
		name:        "notebook",
		summary:     "execute a notebook headless and fail on any cell error (notebook run), or serve Jupyter on 127.0.0.1 (notebook serve)",
		subcommands: []string{"run", "serve"},
		run:         runNotebook,
	})
}

func runNotebook(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "serve" {
		return runNotebookServe(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "run" {
		return usageErrorf("want `collm notebook run IN.ipynb [--out OUT.ipynb] [--html OUT.html] [--timeout S]` or `collm notebook serve [--dir DIR] [--port N]`")
	}
	fs := newFlagSet("notebook run", stderr)
	out := fs.String("out", "", "executed notebook (default: IN with .executed.ipynb)")
	html := fs.String("html", "", "also export the executed notebook to this HTML file")
	timeout := fs.Int("timeout", 600, "per-cell time limit in seconds")
	kernelName := fs.String("kernel", kernel.KernelName, "Jupyter kernelspec name")
	rest, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErrorf("want exactly one notebook, got %d arguments", len(rest))
	}
	if *timeout <= 0 {
		return usageErrorf("--timeout must be positive, got %d", *timeout)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := kernel.RunOptions{Out: *out, HTML: *html, CellTimeout: time.Duration(*timeout) * time.Second,
		Kernel: *kernelName, Progress: stdout}
	if err := kernel.RunNotebook(ctx, rest[0], opts); err != nil {
		return err
	}
	if opts.Out == "" {
		opts.Out = kernel.ExecutedPath(rest[0])
	}
	fmt.Fprintf(stdout, "executed notebook: %s\n", opts.Out)
	if *html != "" {
		fmt.Fprintf(stdout, "HTML export: %s\n", *html)
	}
	return nil
}

// runNotebookServe replaces this process with a classic Jupyter Notebook server on 127.0.0.1
// (what `make notebook` runs), after printing its URL: Ctrl-C and kill reach Jupyter itself.
func runNotebookServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("notebook serve", stderr)
	dir := fs.String("dir", ".", "the directory of notebooks to serve")
	port := fs.Int("port", 0, "port on 127.0.0.1 (default: the first free port from 8888)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageErrorf("unexpected arguments %q", rest)
	}
	if *port < 0 || *port > 65535 {
		return usageErrorf("--port %d is not a TCP port", *port)
	}
	argv, env, url, err := kernel.NotebookServer(kernel.ServeOptions{Dir: *dir, Port: *port, AsRoot: os.Geteuid() == 0})
	if err != nil {
		return err
	}
	python, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("%s not found (%v): run `collm kernel install`", argv[0], err)
	}
	if kdir, err := kernel.KernelDir(); err == nil {
		if _, err := os.Stat(filepath.Join(kdir, "kernel.json")); err != nil {
			fmt.Fprintf(stderr, "warning: the collm kernel is not installed in %s: run `collm kernel install`\n", kdir)
		}
	}
	fmt.Fprintf(stdout, "Jupyter Notebook on %s\n(notebooks in %s; Ctrl-C to stop)\n", url, *dir)
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	return syscall.Exec(python, argv, env)
}
