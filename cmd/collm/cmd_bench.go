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
	MatmulPeakGFLOPS  float64 `json:"matmul_peak_gflops"`
	MatmulPeakSize    int     `json:"matmul_peak_size"`
	Params            int     `json:"params"`
	Threads           int     `json:"threads"`
	Torch             string  `json:"torch"`
}

// goFigures is the "go" object of a model in `collm bench --json`: every key is always there, 0
// where a step was not measured (the model's train_skipped says why). GFLOP/s are the counted
// FLOPs (the model's "flops") over the measured times; an MFU is GFLOP/s over the matmul peak
// (matmul_peak_gflops, measured once per run on the same backend).
type goFigures struct {
	DecodeMsPerToken  float64 `json:"decode_ms_per_token"`
	ScoreTokensPerSec float64 `json:"score_tokens_per_sec"`
	TrainStepMs       float64 `json:"train_step_ms"`
	TrainStepLoRAMs   float64 `json:"train_step_lora_ms"`
	PeakRSSMB         float64 `json:"peak_rss_mb"`
	// TrainGFLOPS and MFU are those of the full training step.
	TrainGFLOPS      float64 `json:"train_gflops"`
	MFU              float64 `json:"mfu"`
	TrainLoRAGFLOPS  float64 `json:"train_lora_gflops"`
	TrainLoRAMFU     float64 `json:"train_lora_mfu"`
	ScoreGFLOPS      float64 `json:"score_gflops"`
	ScoreMFU         float64 `json:"score_mfu"`
	MatmulPeakGFLOPS float64 `json:"matmul_peak_gflops"`
	// PeakRSSMBAfter, FirstRunMs, DeviceMemoryMB and DeviceMemoryNote: see lm.BenchResult.
	PeakRSSMBAfter   map[string]float64 `json:"peak_rss_mb_after,omitempty"`
	FirstRunMs       map[string]float64 `json:"first_run_ms,omitempty"`
	DeviceMemoryMB   *float64           `json:"device_memory_mb"`
	DeviceMemoryNote string             `json:"device_memory_note,omitempty"`
}

// torchFigures is the "torch" object: the keys of goFigures that the twin measures (a step it
// did not run is left out), GFLOP/s and MFU computed from the same FLOP counts and torch's own
// matmul peak, and the twin's version, threads and parameter count.
type torchFigures struct {
	DecodeMsPerToken  float64 `json:"decode_ms_per_token"`
	ScoreTokensPerSec float64 `json:"score_tokens_per_sec"`
	TrainStepMs       float64 `json:"train_step_ms,omitempty"`
	TrainStepLoRAMs   float64 `json:"train_step_lora_ms,omitempty"`
	PeakRSSMB         float64 `json:"peak_rss_mb,omitempty"`
	TrainGFLOPS       float64 `json:"train_gflops,omitempty"`
	MFU               float64 `json:"mfu,omitempty"`
	TrainLoRAGFLOPS   float64 `json:"train_lora_gflops,omitempty"`
	TrainLoRAMFU      float64 `json:"train_lora_mfu,omitempty"`
	ScoreGFLOPS       float64 `json:"score_gflops"`
	ScoreMFU          float64 `json:"score_mfu,omitempty"`
	MatmulPeakGFLOPS  float64 `json:"matmul_peak_gflops,omitempty"`
	MatmulPeakSize    int     `json:"matmul_peak_size,omitempty"`
	Torch             string  `json:"torch_version"`
	Threads           int     `json:"threads"`
	Params            int     `json:"params"`
}

// goOverTorch is the "go_over_torch" object: Go's cost relative to PyTorch's per figure (lower
// is better for Go), null where either side did not measure it. Times and memory are Go's value
// over torch's; score_tokens_per_sec is the time ratio, torch's tokens/s over Go's.
type goOverTorch struct {
	DecodeMsPerToken  *float64 `json:"decode_ms_per_token"`
	ScoreTokensPerSec *float64 `json:"score_tokens_per_sec"`
	TrainStepMs       *float64 `json:"train_step_ms"`
	TrainStepLoRAMs   *float64 `json:"train_step_lora_ms"`
	PeakRSSMB         *float64 `json:"peak_rss_mb"`
}

// benchModel is one model of `collm bench --json`: what was measured (shapes, LoRA, FLOP
// counts), the Go figures, the twin's (or why it was skipped) and their ratios.
type benchModel struct {
	Model string `json:"model"`
	// Source is "preset", "shape" or "checkpoint"; BuildMs the time to create or load it.
	Source     string         `json:"source"`
	BuildMs    float64        `json:"build_ms"`
	Params     int            `json:"params"`
	Batch      int            `json:"batch"`
	SeqLen     int            `json:"seq_len"`
	PromptLen  int            `json:"prompt_len"`
	NewTokens  int            `json:"new_tokens"`
	Reps       int            `json:"reps"`
	LoRA       *lm.LoRAConfig `json:"lora,omitempty"`
	LoRAParams int            `json:"lora_params,omitempty"`
	// TrainSkipped says why Go's full training step was not measured (and so not the twin's).
	TrainSkipped string        `json:"train_skipped,omitempty"`
	FLOPs        lm.BenchFLOPs `json:"flops"`
	Go           goFigures     `json:"go"`
	Torch        *torchFigures `json:"torch"`
	TorchSkipped string        `json:"torch_skipped,omitempty"`
	GoOverTorch  goOverTorch   `json:"go_over_torch"`
}

// benchReport is the whole `collm bench --json` output.
type benchReport struct {
	Backend      string        `json:"backend"`
	MatmulPeak   lm.MatmulPeak `json:"matmul_peak"`
	TorchThreads int           `json:"torch_threads"`
	RSSSource    string        `json:"peak_rss_source"`
	RatioNote    string        `json:"go_over_torch_note"`
	FLOPsNote    string        `json:"flops_note"`
	Models       []benchModel  `json:"models"`
}

// benchFooter ends the text output: what the ratios, GFLOP/s and MFU mean.
const benchFooter = `
Go/torch is Go's cost relative to PyTorch's, lower is better for Go: times and memory are Go's value / torch's,
  tokens/s torch's / Go's (the time ratio).
GFLOP/s: FLOPs counted from the config (forward per token 2 * matmul params incl. lm_head + 4 * layers * seq *
  heads * head_dim; a full training step 3x the forward pass) over each side's time; MFU: GFLOP/s / that side's
  matmul peak. Decode excludes the prefill; peak RSS: VmHWM of /proc/self/status, cumulative over the process.
`

const (
	ratioNote = "Go's cost relative to PyTorch's, lower is better for Go: times and memory are Go's value / torch's, " +
		"score_tokens_per_sec is torch's tokens/s / Go's (the time ratio)"
	flopsNote = "counted from the config (lm.CountBenchFLOPs): forward per token 2*matmul params (incl. lm_head) + " +
		"4*layers*seq*heads*head_dim; scoring 1x, full training step 3x the forward pass; LoRA step: forward, " +
		"activation gradients and attention backward, adapters 6x; MFU = GFLOP/s / the same side's matmul peak"
)

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
	asJSON := fs.Bool("json", false, "print one JSON object: backend, matmul_peak, notes and models, one object per model with its shapes, "+
		"flops, go and torch (the figures of each side: times, tokens/s, peak RSS, GFLOP/s, MFU) and go_over_torch (Go's cost / torch's per figure)")
	torchMode := fs.String("torch", "auto", "run the PyTorch twin: auto (for presets and --model; not for --shape, where it doubles the run time), yes, no")
	script := fs.String("torch-script", "maac/lm/testdata/bench_torch.py", "PyTorch twin; empty to skip")
	python := fs.String("python", "/usr/bin/python3", "Python with torch (Debian python3-torch)")
	threads := fs.Int("torch-threads", 1, "torch and OpenBLAS threads for the twin")
	peakSize := fs.Int("matmul-peak-size", 0, "n of the float32 [n,n]x[n,n] products that measure each side's matmul peak, the denominator of MFU "+
		"(0: 1024, doubled up to 4096 while a run takes under 20 ms)")
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
	}{{"--reps", *reps}, {"--batch", *batch}, {"--seq", *seq}, {"--prompt", *promptLen}, {"--new-tokens", *newTokens}, {"--lora-rank", *loraRank}, {"--matmul-peak-size", *peakSize}} {
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
	report := benchReport{Backend: backendName, TorchThreads: *threads, RSSSource: rssSource,
		RatioNote: ratioNote, FLOPsNote: flopsNote}
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
		buildMs := float64(time.Since(start).Microseconds()) / 1000
		res, err := lm.BenchmarkModel(m, t.cfg)
		if err != nil {
			return err
		}
		res.Model = t.name
		row := newBenchModel(res, t.source, buildMs)
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
				"--reps", strconv.Itoa(row.Reps), "--lora-rank", strconv.Itoa(*loraRank), "--matmul-peak-size", strconv.Itoa(*peakSize)})
			if row.LoRA != nil {
				args = append(args, "--lora-targets", strings.Join(row.LoRA.Targets, ","))
			}
			if row.Go.TrainStepMs == 0 {
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
			var tb *torchBench
			tb, row.TorchSkipped = runTorchBench(*python, *script, args, *threads)
			row.setTorch(tb)
		}
		report.Models = append(report.Models, row)
	}
	// The matmul peak comes last: its matrices would count in the models' peak RSS before.
	if report.MatmulPeak, err = lm.MeasureMatmulPeak(backend, *peakSize, 5); err != nil {
		return err
	}
	for i := range report.Models {
		report.Models[i].setGoPeak(report.MatmulPeak.GFLOPS)
	}
	if !*asJSON {
		p := report.MatmulPeak
		fmt.Fprintf(stdout, "GoMLX backend %q vs PyTorch (%d thread(s)); medians of the timed runs; random token ids\n", backendName, *threads)
		fmt.Fprintf(stdout, "Go matmul peak GFLOP/s %.1f (float32, %d chained [%d,%d]x[%d,%d] products, fastest of %d, measured after the models)\n",
			p.GFLOPS, p.Chain, p.Size, p.Size, p.Size, p.Size, p.Reps)
		for _, row := range report.Models {
			printBenchRow(stdout, row)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	fmt.Fprint(stdout, benchFooter)
	return nil
}

// or returns v, or def when v is 0.
func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// newBenchModel is the report of one model's Go measurements r; setGoPeak adds the MFUs,
// setTorch the torch side.
func newBenchModel(r lm.BenchResult, source string, buildMs float64) benchModel {
	return benchModel{Model: r.Model, Source: source, BuildMs: buildMs, Params: r.Params, Batch: r.Batch, SeqLen: r.SeqLen,
		PromptLen: r.PromptLen, NewTokens: r.NewTokens, Reps: r.Reps, LoRA: r.LoRA, LoRAParams: r.LoRAParams,
		TrainSkipped: r.TrainSkipped, FLOPs: r.FLOPs,
		Go: goFigures{DecodeMsPerToken: r.DecodeMsPerToken, ScoreTokensPerSec: r.ScoreTokensPerSec,
			TrainStepMs: r.TrainStepMs, TrainStepLoRAMs: r.TrainStepLoRAMs, PeakRSSMB: r.PeakRSSMB,
			TrainGFLOPS: r.TrainGFLOPS, TrainLoRAGFLOPS: r.TrainLoRAGFLOPS, ScoreGFLOPS: r.ScoreGFLOPS,
			PeakRSSMBAfter: r.PeakRSSMBAfter, FirstRunMs: r.FirstRunMs,
			DeviceMemoryMB: r.DeviceMemoryMB, DeviceMemoryNote: r.DeviceMemoryNote},
	}
}

// setGoPeak sets the Go matmul peak (GFLOP/s) and the MFUs against it.
func (b *benchModel) setGoPeak(peak float64) {
	g := &b.Go
	g.MatmulPeakGFLOPS = peak
	g.MFU, g.TrainLoRAMFU, g.ScoreMFU = mfu(g.TrainGFLOPS, peak), mfu(g.TrainLoRAGFLOPS, peak), mfu(g.ScoreGFLOPS, peak)
}

// setTorch adds the twin's figures tb (nil: not run), their GFLOP/s from b's FLOP counts and
// MFUs against torch's own matmul peak, and the ratios Go/torch.
func (b *benchModel) setTorch(tb *torchBench) {
	b.Torch, b.GoOverTorch = nil, goOverTorch{}
	if tb == nil {
		return
	}
	t := &torchFigures{DecodeMsPerToken: tb.DecodeMsPerToken, ScoreTokensPerSec: tb.ScoreTokensPerSec,
		TrainStepMs: tb.TrainStepMs, TrainStepLoRAMs: tb.TrainStepLoRAMs, PeakRSSMB: tb.PeakRSSMB,
		MatmulPeakGFLOPS: tb.MatmulPeakGFLOPS, MatmulPeakSize: tb.MatmulPeakSize, Torch: tb.Torch, Threads: tb.Threads, Params: tb.Params}
	if tb.ScoreTokensPerSec > 0 {
		t.ScoreGFLOPS = lm.GFLOPS(b.FLOPs.Score, float64(b.Batch*b.SeqLen)/tb.ScoreTokensPerSec*1000)
	}
	t.TrainGFLOPS = lm.GFLOPS(b.FLOPs.TrainStep, tb.TrainStepMs)
	t.TrainLoRAGFLOPS = lm.GFLOPS(b.FLOPs.TrainStepLoRA, tb.TrainStepLoRAMs)
	t.ScoreMFU, t.MFU, t.TrainLoRAMFU = mfu(t.ScoreGFLOPS, t.MatmulPeakGFLOPS), mfu(t.TrainGFLOPS, t.MatmulPeakGFLOPS), mfu(t.TrainLoRAGFLOPS, t.MatmulPeakGFLOPS)
	b.Torch = t
	g := b.Go
	b.GoOverTorch = goOverTorch{
		DecodeMsPerToken:  ratio(g.DecodeMsPerToken, t.DecodeMsPerToken),
		ScoreTokensPerSec: ratio(t.ScoreTokensPerSec, g.ScoreTokensPerSec), // a throughput: the time ratio
		TrainStepMs:       ratio(g.TrainStepMs, t.TrainStepMs),
		TrainStepLoRAMs:   ratio(g.TrainStepLoRAMs, t.TrainStepLoRAMs),
		PeakRSSMB:         ratio(g.PeakRSSMB, t.PeakRSSMB),
	}
}

// ratio returns num/den, or nil when either was not measured (not positive).
func ratio(num, den float64) *float64 {
	if num <= 0 || den <= 0 {
		return nil
	}
	r := num / den
	return &r
}

// mfu returns achieved over peak GFLOP/s, 0 when either is unknown.
func mfu(gflops, peak float64) float64 {
	if gflops <= 0 || peak <= 0 {
		return 0
	}
	return gflops / peak
}

// printBenchRow prints one model's figures as an aligned table: Go, torch and Go/torch (Go's cost
// relative to torch's), with the GFLOP/s and MFU of scoring and the training steps below them.
func printBenchRow(w io.Writer, r benchModel) {
	tb := r.Torch
	fmt.Fprintf(w, "\n%s (%s, %s params, built in %.1f s): batch %d, seq %d, decode %d+%d tokens, %d reps\n",
		r.Model, r.Source, humanCount(r.Params), r.BuildMs/1000, r.Batch, r.SeqLen, r.PromptLen, r.NewTokens, r.Reps)
	row := func(what, goS, torchS, ratioS string) {
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-30s %12s %12s %10s", what, goS, torchS, ratioS), " "))
	}
	row("", "Go", "torch", "Go/torch")
	// num formats a figure with prec decimals, "-" when not measured.
	num := func(v float64, prec int) string {
		if v <= 0 {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	ratioS := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.2fx", *p)
	}
	rate := func(gflops, mfu float64) string {
		if gflops <= 0 {
			return "-"
		}
		if mfu <= 0 {
			return fmt.Sprintf("%.1f", gflops)
		}
		return fmt.Sprintf("%.1f (%.0f%%)", gflops, 100*mfu)
	}
	var t torchFigures
	if tb != nil {
		t = *tb
	}
	line := func(what string, prec int, goV, torchV float64, ratio *float64) {
		row(what, num(goV, prec), num(torchV, prec), ratioS(ratio))
	}
	rates := func(goG, goMFU, torchG, torchMFU float64) {
		row("  GFLOP/s (MFU)", rate(goG, goMFU), rate(torchG, torchMFU), "")
	}
	g, q := r.Go, r.GoOverTorch
	line("decode ms/token", 2, g.DecodeMsPerToken, t.DecodeMsPerToken, q.DecodeMsPerToken)
	line("score tokens/s", 0, g.ScoreTokensPerSec, t.ScoreTokensPerSec, q.ScoreTokensPerSec)
	rates(g.ScoreGFLOPS, g.ScoreMFU, t.ScoreGFLOPS, t.ScoreMFU)
	if r.LoRA != nil {
		line(fmt.Sprintf("train step ms, LoRA r%d", r.LoRA.Rank), 2, g.TrainStepLoRAMs, t.TrainStepLoRAMs, q.TrainStepLoRAMs)
		rates(g.TrainLoRAGFLOPS, g.TrainLoRAMFU, t.TrainLoRAGFLOPS, t.TrainLoRAMFU)
	}
	if skipped := r.TrainSkipped; skipped != "" {
		if strings.HasPrefix(skipped, "needs about") { // the memory check of --full-train auto
			skipped += "; --full-train yes forces it"
		}
		fmt.Fprintf(w, "  %-30s skipped (%s)\n", "train step ms, full", skipped)
	} else {
		line("train step ms, full", 2, g.TrainStepMs, t.TrainStepMs, q.TrainStepMs)
		rates(g.TrainGFLOPS, g.MFU, t.TrainGFLOPS, t.MFU)
	}
	line("peak RSS MB", 0, g.PeakRSSMB, t.PeakRSSMB, q.PeakRSSMB)
	row("matmul peak GFLOP/s", num(g.MatmulPeakGFLOPS, 1), num(t.MatmulPeakGFLOPS, 1), "")
	note := func(what, text string) {
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-30s %s", what, text), " "))
	}
	var phases []string
	for _, p := range []string{"start", "decode", "score", "train_lora", "train"} {
		if v, ok := g.PeakRSSMBAfter[p]; ok {
			phases = append(phases, fmt.Sprintf("%s %.0f", p, v))
		}
	}
	note("Go peak RSS MB after", strings.Join(phases, ", "))
	var first []string
	for _, p := range []string{"decode", "score", "train_lora", "train"} {
		if v, ok := g.FirstRunMs[p]; ok {
			first = append(first, fmt.Sprintf("%s %.1f", p, v/1000))
		}
	}
	note("Go first runs s (compile+mem)", strings.Join(first, ", "))
	note("device memory", g.DeviceMemoryNote)
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
