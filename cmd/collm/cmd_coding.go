package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/collm/collm/envs/coding"
	"github.com/collm/collm/envs/coding/sandbox"
)

func init() {
	register(&command{
		name:        "coding",
		summary:     "coding-domain tools: `coding selftest --data FILE` runs every canonical solution in the sandbox",
		subcommands: []string{"selftest"},
		run:         runCoding,
	})
}

func runCoding(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "selftest" {
		return usageErrorf("want `collm coding selftest --data FILE [--format humaneval|mbpp] [--workers N] [--timeout S] [--python PATH]`")
	}
	fs := newFlagSet("coding selftest", stderr)
	data := fs.String("data", "", "problems file: HumanEval.jsonl(.gz) or an MBPP JSONL (required)")
	format := fs.String("format", "", "humaneval or mbpp; default: mbpp when the file name contains \"mbpp\", else humaneval")
	workers := fs.Int("workers", runtime.NumCPU(), "concurrent sandbox runs")
	timeout := fs.Float64("timeout", 10, "seconds per test")
	python := fs.String("python", "", "Python interpreter (default /usr/bin/python3, else python3 on PATH)")
	verbose := fs.Bool("v", false, "print every problem, not only failures")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("unexpected arguments %q", pos)
	}
	if *data == "" {
		return usageErrorf("--data is required (HumanEval: %s)", coding.HumanEvalURL)
	}
	if *workers < 1 {
		return usageErrorf("--workers=%d: want >= 1", *workers)
	}
	if *timeout <= 0 {
		return usageErrorf("--timeout=%g: want > 0", *timeout)
	}
	if *format == "" {
		*format = "humaneval"
		if strings.Contains(strings.ToLower(*data), "mbpp") {
			*format = "mbpp"
		}
	}
	var problems []coding.Problem
	switch *format {
	case "humaneval":
		problems, err = coding.LoadHumanEval(*data)
	case "mbpp":
		problems, err = coding.LoadMBPP(*data)
	default:
		return usageErrorf("--format=%q: want humaneval or mbpp", *format)
	}
	if err != nil {
		return err
	}
	judge, err := coding.NewJudge(coding.JudgeConfig{
		TestTimeout: time.Duration(*timeout * float64(time.Second)),
		Sandbox:     sandbox.Config{Python: *python},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sandbox: %s\n", judge.Sandbox().Describe())
	start := time.Now()
	results := coding.SelfTest(context.Background(), judge, problems, *workers)
	okProblems, passed, total := 0, 0, 0
	for _, r := range results {
		passed += r.Passed
		total += r.Total
		if r.OK() {
			okProblems++
			if *verbose {
				fmt.Fprintf(stdout, "ok   %s %d/%d\n", r.ID, r.Passed, r.Total)
			}
			continue
		}
		fmt.Fprintf(stdout, "FAIL %s %d/%d\n", r.ID, r.Passed, r.Total)
		if r.Err != nil {
			fmt.Fprintf(stdout, "     error: %v\n", r.Err)
		}
		for _, f := range r.Failures {
			fmt.Fprintf(stdout, "     %s\n", f)
		}
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "problems: %d/%d passed, tests: %d/%d passed, %.1fs (%.1f problems/s, %d workers)\n",
		okProblems, len(results), passed, total, el.Seconds(), float64(len(results))/el.Seconds(), *workers)
	if okProblems != len(results) {
		return fmt.Errorf("%d of %d canonical solutions failed", len(results)-okProblems, len(results))
	}
	return nil
}
