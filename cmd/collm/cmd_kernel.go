package main

import (
	"fmt"
	"io"
	"os"

	"github.com/collm/collm/kernel"
)

func init() {
	register(&command{
		name:        "kernel",
		summary:     "set up the Jupyter kernel (install, --check) or wire a notebook's module (wire)",
		subcommands: []string{"install", "wire"},
		run:         runKernel,
	})
}

func runKernel(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("want `collm kernel install [--check] [--test-tools] [--force] [--root DIR]` or `collm kernel wire`")
	}
	switch args[0] {
	case "install":
		return runKernelInstall(args[1:], stdout, stderr)
	case "wire":
		return runKernelWire(args[1:], stdout, stderr)
	default:
		return usageErrorf("unknown subcommand %q: want install or wire", args[0])
	}
}

func runKernelInstall(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("kernel install", stderr)
	check := fs.Bool("check", false, "print what is installed and what is missing, whether the Go build cache holds the notebooks' packages (warm) included; change nothing, exit 1 when something is missing or the cache is cold")
	testTools := fs.Bool("test-tools", false, "also install headless Chromium, chromedriver, Selenium and Pillow (browser tests)")
	force := fs.Bool("force", false, "redo every step even when it looks done (the build of the notebooks' packages included)")
	root := fs.String("root", "", "the collm checkout notebooks use (default: the checkout around the current directory)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageErrorf("unexpected arguments %q", rest)
	}
	opts := kernel.InstallOptions{Root: *root, TestTools: *testTools, Force: *force, Log: stdout}
	if !*check {
		if err := kernel.Install(opts); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "collm kernel ready: open a notebook with the \"Go (collm)\" kernel; its first cell is `!*collm kernel wire`")
		return nil
	}
	comps, err := kernel.Check(opts)
	if err != nil {
		return err
	}
	missing := 0
	for _, c := range comps {
		if c.OK {
			fmt.Fprintf(stdout, "ok       %-15s %s\n", c.Name, c.Detail)
			continue
		}
		missing++
		fmt.Fprintf(stdout, "MISSING  %-15s %s (fix: %s)\n", c.Name, c.Detail, c.Fix)
	}
	if missing > 0 {
		return fmt.Errorf("%d of %d components missing; run `collm kernel install`", missing, len(comps))
	}
	return nil
}

func runKernelWire(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("kernel wire", stderr)
	root := fs.String("root", "", "the collm checkout (default: $COLLM_ROOT, set by the kernel)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageErrorf("unexpected arguments %q", rest)
	}
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	if *root == "" {
		if *root, err = kernel.FindRoot(dir); err != nil {
			return err
		}
	}
	if err := kernel.Wire(dir, *root); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "collm wired: %s\n", *root)
	return nil
}
