package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/collm/collm/maac/lm"
	"github.com/gomlx/gomlx/ml/model"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "measure LM decode/score/train speed and memory (presets, a checkpoint or a real model's shape) next to a PyTorch twin",
		run:     runBench,
	})
}

// torchBench is the JSON line printed by maac/lm/testdata/bench_torch.py.
type torchBench struct {
	DecodeMsPerToken  float64 `json:"decode_ms_per_token"`
	ScoreTokensPerSec float64 `json:"score_tokens_per_sec"`
	TrainStepMs       float64 `json:"train_step_ms"`
	TrainStepLoRAMs   float64 `json:"train_step_lora_ms"`
	PeakRSSMB         float64 `json:"peak_rss_mb"`
	Params            int     `json:"params"`
	Threads           int     `json:"threads"`
	Torch             string  `json:"torch"`
}

// benchRow is one model's line of `collm bench --json`: the Go figures, the twin's (or why it
// was skipped) and how long building or loading the model took.
type benchRow struct {
	lm.BenchResult
	// Source is "preset", "shape" or "checkpoint"; BuildMs the time to create or load it.
	Source       string      `json:"source"`
	BuildMs      float64     `json:"build_ms"`
	Torch        *torchBench `json:"torch"`
	TorchSkipped string      `json:"torch_skipped,omitempty"`
}

// benchReport is the whole `collm bench --json` output.
type benchReport struct {
	Backend      string     `json:"backend"`
	TorchThreads int        `json:"torch_threads"`
	RSSSource    string     `json:"peak_rss_source"`
	Results      []benchRow `json:"results"`
}

const rssSource = "VmHWM of /proc/self/status (peak resident set of the process, cumulative over the run)"

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	models := fs.String("models", "tiny,small", "comma-separated presets to measure (ignored with --model or --shape)")
	dir := fs.String("model", "", "measure the checkpoint in this directory (Hugging Face layout: config.json, *.safetensors) instead of the presets")
	shape := fs.String("shape", "", "measure a random-weight model of a released model's exact shape, built in memory: "+strings.Join(lm.BenchShapeNames(), ", "))
	reps := fs.Int("reps", 0, "timed repetitions per measurement after one warm-up, median reported (0: 5 for presets, 2 with --model/--shape)")
	batch := fs.Int("batch", 0, "rows per measurement (0: 8 for presets, 1 with --model/--shape)")
	seq := fs.Int("seq", 0, "sequence length of scoring and training (0: 64 tiny, 128 small, 32 with --model/--shape)")
	promptLen := fs.Int("prompt", 0, "prompt length of the decoding measurement (0: 16)")
	newTokens := fs.Int("new-tokens", 0, "generated tokens of the decoding measurement, >= 2 (0: 64 for presets, 8 with --model/--shape)")
	loraRank := fs.Int("lora-rank", 8, "rank of the LoRA adapters of the LoRA training step (targets: maac/lm's defaults, q_proj and v_proj); 0 skips that step")
	fullTrain := fs.String("full-train", "auto", "measure a training step of every weight: auto (skip when gradients and AdamW state would not fit in the available memory), yes, no")
	asJSON := fs.Bool("json", false, "print the results as one JSON object (backend, peak_rss_source, results: one object per model)")
	torchMode := fs.String("torch", "auto", "run the PyTorch twin: auto (for presets and --model; not for --shape, where it doubles the run time), yes, no")
	script := fs.String("torch-script", "maac/lm/testdata/bench_torch.py", "PyTorch twin; empty to skip")
	python := fs.String("python", "/usr/bin/python3", "Python with torch (Debian python3-torch)")
	threads := fs.Int("torch-threads", 1, "torch and OpenBLAS threads for the twin")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	if *dir != "" && *shape != "" {
		return usageErrorf("--model and --shape exclude each other: measure a checkpoint or a shape, not both")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"--reps", *reps}, {"--batch", *batch}, {"--seq", *seq}, {"--prompt", *promptLen}, {"--new-tokens", *newTokens}, {"--lora-rank", *loraRank}} {
		if f.v < 0 {
			return usageErrorf("%s must be >= 0 (0: the default), got %d", f.name, f.v)
		}
	}
	if *newTokens == 1 {
		return usageErrorf("--new-tokens must be >= 2 (decoding time is (t(n) - t(1)) / (n-1)), got 1")
	}
	if *seq == 1 {
		return usageErrorf("--seq must be >= 2, got 1")
	}
	for _, f := range []struct{ name, v string }{{"--full-train", *fullTrain}, {"--torch", *torchMode}} {
		if f.v != "auto" && f.v != "yes" && f.v != "no" {
			return usageErrorf("%s must be auto, yes or no, got %q", f.name, f.v)
		}
	}
	if *threads < 1 {
		return usageErrorf("--torch-threads must be >= 1, got %d", *threads)
	}

	// What to measure: presets, one shape or one checkpoint, each with its default shapes.
	type target struct {
		name, source string
		cfg          lm.BenchConfig
		torchArgs    []string
	}
	bc := func(b, s, n, r int) lm.BenchConfig {
		c := lm.BenchConfig{Batch: or(*batch, b), SeqLen: or(*seq, s), PromptLen: or(*promptLen, 16),
			NewTokens: or(*newTokens, n), Reps: or(*reps, r), FullTrain: *fullTrain}
		if *loraRank > 0 {
			c.LoRA = &lm.LoRAConfig{Rank: *loraRank}
		}
		return c
	}
	var targets []target
	switch {
	case *shape != "":
		if _, err := lm.BenchShape(*shape); err != nil {
			return usageErrorf("--shape: %v", err)
		}
		targets = append(targets, target{*shape, "shape", bc(1, 32, 8, 2), nil}) // the twin reads a config.json written below
	case *dir != "":
		st, err := os.Stat(*dir)
		if err != nil {
			return usageErrorf("--model %s: %v", *dir, err)
		}
		if !st.IsDir() {
			return usageErrorf("--model %s is not a directory (want a checkpoint directory with config.json and *.safetensors)", *dir)
		}
		if _, err := lm.ReadConfig(*dir); err != nil {
			return fmt.Errorf("--model: %w", err)
		}
		targets = append(targets, target{*dir, "checkpoint", bc(1, 32, 8, 2), []string{"--config", filepath.Join(*dir, "config.json")}})
	default:
		for _, p := range strings.Split(*models, ",") {
			if _, err := lm.Preset(p); err != nil {
				return usageErrorf("--models: %v", err)
			}
			seqLen := map[string]int{"tiny": 64, "small": 128}[p] // the shapes of STACK.md
			targets = append(targets, target{p, "preset", bc(8, seqLen, 64, 5), []string{"--preset", p}})
		}
	}

	backend, err := lm.NewBackend()
	if err != nil {
		return err
	}
	backendName := os.Getenv("GOMLX_BACKEND")
	if backendName == "" {
		backendName = "go"
	}
	report := benchReport{Backend: backendName, TorchThreads: *threads, RSSSource: rssSource}
	if !*asJSON {
		fmt.Fprintf(stdout, "GoMLX backend %q vs PyTorch (%d thread(s)); medians of the timed runs; random token ids\n", backendName, *threads)
	}
	for _, t := range targets {
		start := time.Now()
		var m *lm.Model
		switch t.source {
		case "checkpoint":
			m, err = lm.Load(backend, model.NewStore(), "bench", t.name)
		case "shape":
			var c lm.Config
			c, _ = lm.BenchShape(t.name)
			m, err = lm.NewRandomForBench(backend, model.NewStore(), "bench", c, 1)
		default:
			var c lm.Config
			c, _ = lm.Preset(t.name)
			m, err = lm.NewRandom(backend, model.NewStore(), "bench", c, 1)
		}
		if err != nil {
			return err
		}
		row := benchRow{Source: t.source, BuildMs: float64(time.Since(start).Microseconds()) / 1000}
		row.BenchResult, err = lm.BenchmarkModel(m, t.cfg)
		if err != nil {
			return err
		}
		row.Model = t.name
		// m is dead from here: give its memory back to the OS for the twin (and the next model).
		runtime.GC()
		debug.FreeOSMemory()
		switch {
		case *torchMode == "no":
			row.TorchSkipped = "--torch no"
		case *torchMode == "auto" && t.source == "shape":
			row.TorchSkipped = "not run for --shape by default; --torch yes runs it"
		case *script == "":
			row.TorchSkipped = "--torch-script is empty"
		default:
			args := slices.Concat(t.torchArgs, []string{"--batch", strconv.Itoa(row.Batch), "--seq", strconv.Itoa(row.SeqLen),
				"--prompt", strconv.Itoa(row.PromptLen), "--new-tokens", strconv.Itoa(row.NewTokens),
				"--reps", strconv.Itoa(row.Reps), "--lora-rank", strconv.Itoa(*loraRank)})
			if row.LoRA != nil {
				args = append(args, "--lora-targets", strings.Join(row.LoRA.Targets, ","))
			}
			if row.TrainStepMs == 0 {
				args = append(args, "--no-full-train")
			}
			if t.source == "shape" {
				tmp, err := os.MkdirTemp("", "collm-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				c, _ := lm.BenchShape(t.name)
				if err := c.WriteFile(filepath.Join(tmp, "config.json")); err != nil {
					return err
				}
				args = append(args, "--config", filepath.Join(tmp, "config.json"))
			}
			row.Torch, row.TorchSkipped = runTorchBench(*python, *script, args, *threads)
		}
		report.Results = append(report.Results, row)
		if !*asJSON {
			printBenchRow(stdout, row)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	fmt.Fprintln(stdout, "ratios > 1 mean Go is faster; decode excludes the prefill; peak RSS: VmHWM of /proc/self/status, cumulative over the process")
	return nil
}

// or returns v, or def when v is 0.
func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// printBenchRow prints one model's figures as a few aligned lines.
func printBenchRow(w io.Writer, r benchRow) {
	tb := r.Torch
	fmt.Fprintf(w, "\n%s (%s, %s params, built in %.1f s): batch %d, seq %d, decode %d+%d tokens, %d reps\n",
		r.Model, r.Source, humanCount(r.Params), r.BuildMs/1000, r.Batch, r.SeqLen, r.PromptLen, r.NewTokens, r.Reps)
	line := func(what string, goV float64, torchV func(*torchBench) float64, goFaster func(g, t float64) float64, skipped string) {
		switch {
		case skipped != "":
			fmt.Fprintf(w, "  %-26s skipped (%s)\n", what, skipped)
		case tb == nil || torchV(tb) == 0:
			fmt.Fprintf(w, "  %-26s %10.2f\n", what, goV)
		default:
			t := torchV(tb)
			fmt.Fprintf(w, "  %-26s %10.2f | torch %10.2f | %.2fx\n", what, goV, t, goFaster(goV, t))
		}
	}
	slower := func(g, t float64) float64 { return t / g }
	line("decode ms/token", r.DecodeMsPerToken, func(t *torchBench) float64 { return t.DecodeMsPerToken }, slower, "")
	line("score tokens/s", r.ScoreTokensPerSec, func(t *torchBench) float64 { return t.ScoreTokensPerSec }, func(g, t float64) float64 { return g / t }, "")
	if r.LoRA != nil {
		line(fmt.Sprintf("train step ms, LoRA r%d", r.LoRA.Rank), r.TrainStepLoRAMs, func(t *torchBench) float64 { return t.TrainStepLoRAMs }, slower, "")
	}
	skipped := r.TrainSkipped
	if strings.HasPrefix(skipped, "needs about") { // the memory check of --full-train auto
		skipped += "; --full-train yes forces it"
	}
	line("train step ms, full", r.TrainStepMs, func(t *torchBench) float64 { return t.TrainStepMs }, slower, skipped)
	var phases []string
	for _, p := range []string{"start", "decode", "score", "train_lora", "train"} {
		if v, ok := r.PeakRSSMBAfter[p]; ok {
			phases = append(phases, fmt.Sprintf("%s %.0f", p, v))
		}
	}
	fmt.Fprintf(w, "  %-26s %10.0f (after %s)", "peak RSS MB", r.PeakRSSMB, strings.Join(phases, ", "))
	if tb != nil && tb.PeakRSSMB > 0 {
		fmt.Fprintf(w, " | torch %.0f", tb.PeakRSSMB)
	}
	fmt.Fprintln(w)
	var first []string
	for _, p := range []string{"decode", "score", "train_lora", "train"} {
		if v, ok := r.FirstRunMs[p]; ok {
			first = append(first, fmt.Sprintf("%s %.1f", p, v/1000))
		}
	}
	fmt.Fprintf(w, "  %-26s %s\n", "first runs s (compile+mem)", strings.Join(first, ", "))
	fmt.Fprintf(w, "  %-26s %s\n", "device memory", r.DeviceMemoryNote)
	switch {
	case tb != nil:
		fmt.Fprintf(w, "  torch: %s, %d thread(s)\n", tb.Torch, tb.Threads)
	default:
		fmt.Fprintf(w, "  torch: skipped (%s)\n", r.TorchSkipped)
	}
}

// humanCount writes n as 460k, 3.2M or 1.24B.
func humanCount(n int) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	}
	return strconv.Itoa(n)
}

// runTorchBench runs the PyTorch twin; on failure it returns nil and the reason (the last line
// of its stderr, e.g. the architecture it cannot build).
func runTorchBench(python, script string, args []string, threads int) (*torchBench, string) {
	if _, err := os.Stat(script); err != nil {
		return nil, err.Error()
	}
	args = append([]string{script, "--threads", strconv.Itoa(threads)}, args...)
	cmd := exec.Command(python, args...)
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS="+strconv.Itoa(threads), "OMP_NUM_THREADS="+strconv.Itoa(threads))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		if r, ok := strings.CutPrefix(msg, "unsupported: "); ok {
			return nil, "the twin does not build " + r
		}
		return nil, fmt.Sprintf("%v: %s", err, msg)
	}
	var tb torchBench
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &tb); err != nil {
		return nil, fmt.Sprintf("parsing its output: %v", err)
	}
	return &tb, ""
}
