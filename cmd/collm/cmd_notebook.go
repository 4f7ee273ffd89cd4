package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/collm/collm/kernel"
)

func init() {
	register(&command{
		name:        "notebook",
		summary:     "execute a notebook headless and fail on any cell error (notebook run)",
		subcommands: []string{"run"},
		run:         runNotebook,
	})
}

func runNotebook(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		return usageErrorf("want `collm notebook run IN.ipynb [--out OUT.ipynb] [--html OUT.html] [--timeout S]`")
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
