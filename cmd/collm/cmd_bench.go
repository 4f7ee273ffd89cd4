package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/collm/collm/maac/lm"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "measure LM decode/score/train speed (tiny, small) next to a PyTorch twin",
		run:     runBench,
	})
}

// torchBench is the JSON line printed by maac/lm/testdata/bench_torch.py.
type torchBench struct {
	DecodeMsPerToken  float64 `json:"decode_ms_per_token"`
	ScoreTokensPerSec float64 `json:"score_tokens_per_sec"`
	TrainStepMs       float64 `json:"train_step_ms"`
	Threads           int     `json:"threads"`
	Torch             string  `json:"torch"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	models := fs.String("models", "tiny,small", "comma-separated presets to measure")
	reps := fs.Int("reps", 5, "timed repetitions per measurement (median reported)")
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
	if *reps < 1 {
		return usageErrorf("--reps must be >= 1, got %d", *reps)
	}
	var presets []string
	for _, p := range strings.Split(*models, ",") {
		if _, err := lm.Preset(p); err != nil {
			return usageErrorf("--models: %v", err)
		}
		presets = append(presets, p)
	}
	backend, err := lm.NewBackend()
	if err != nil {
		return err
	}
	backendName := os.Getenv("GOMLX_BACKEND")
	if backendName == "" {
		backendName = "go"
	}
	fmt.Fprintf(stdout, "GoMLX backend %q vs PyTorch (%d thread(s)); batch 8, medians of %d runs\n", backendName, *threads, *reps)
	fmt.Fprintf(stdout, "%-6s %-9s %-28s %-32s %-26s\n", "model", "params", "decode ms/token (go|torch)", "score tokens/s (go|torch|go/torch)", "train ms (go|torch|torch/go)")
	for _, p := range presets {
		r, err := lm.Benchmark(backend, p, *reps)
		if err != nil {
			return err
		}
		var tb *torchBench
		var note string
		if *script != "" {
			tb, note = runTorchBench(*python, *script, p, *reps, *threads)
		}
		row := func(goV float64, torchV func(*torchBench) float64, ratio func(g, t float64) float64) string {
			if tb == nil {
				return fmt.Sprintf("%.2f | - | -", goV)
			}
			t := torchV(tb)
			return fmt.Sprintf("%.2f | %.2f | %.2fx", goV, t, ratio(goV, t))
		}
		slower := func(g, t float64) float64 { return t / g } // >1: Go faster
		fmt.Fprintf(stdout, "%-6s %-9d %-28s %-32s %-26s\n", p, r.Params,
			row(r.DecodeMsPerToken, func(t *torchBench) float64 { return t.DecodeMsPerToken }, slower),
			row(r.ScoreTokensPerSec, func(t *torchBench) float64 { return t.ScoreTokensPerSec }, func(g, t float64) float64 { return g / t }),
			row(r.TrainStepMs, func(t *torchBench) float64 { return t.TrainStepMs }, slower))
		if note != "" {
			fmt.Fprintf(stdout, "       (torch twin skipped: %s)\n", note)
		}
	}
	fmt.Fprintln(stdout, "ratios > 1 mean Go is faster; seq len 64 (tiny) / 128 (small) for score and train, decode prompt 16")
	return nil
}

// runTorchBench runs the PyTorch twin; on failure it returns nil and the reason.
func runTorchBench(python, script, preset string, reps, threads int) (*torchBench, string) {
	if _, err := os.Stat(script); err != nil {
		return nil, err.Error()
	}
	cmd := exec.Command(python, script, "--preset", preset, "--reps", strconv.Itoa(reps), "--threads", strconv.Itoa(threads))
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS="+strconv.Itoa(threads), "OMP_NUM_THREADS="+strconv.Itoa(threads))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Sprintf("%v: %s", err, msg)
	}
	var tb torchBench
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &tb); err != nil {
		return nil, fmt.Sprintf("parsing its output: %v", err)
	}
	return &tb, ""
}
