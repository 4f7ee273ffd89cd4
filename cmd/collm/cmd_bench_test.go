package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/maac/lm"
	"github.com/gomlx/gomlx/ml/model"
)

// TestBenchArgs: argument errors are usage errors (exit 2) that say what is wrong, before any
// model is built.
func TestBenchArgs(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-checkpoint")
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want []string // in stderr
	}{
		{[]string{"--shape", "gpt2"}, 2, []string{`unknown shape "gpt2"`, "qwen2.5-0.5b", "llama-3.2-1b"}},
		{[]string{"--model", missing}, 2, []string{"--model " + missing, "no such file"}},
		{[]string{"--model", empty, "--shape", "qwen2.5-0.5b"}, 2, []string{"--model and --shape exclude each other"}},
		{[]string{"--model", empty}, 1, []string{filepath.Join(empty, "config.json")}},
		{[]string{"--models", "tiny,huge"}, 2, []string{`unknown preset "huge"`}},
		{[]string{"--shape", "qwen2.5-0.5b", "--new-tokens", "1"}, 2, []string{"--new-tokens must be >= 2"}},
		{[]string{"--shape", "qwen2.5-0.5b", "--batch", "-1"}, 2, []string{"--batch must be >= 0"}},
		{[]string{"--shape", "qwen2.5-0.5b", "--matmul-peak-size", "-1"}, 2, []string{"--matmul-peak-size must be >= 0"}},
		{[]string{"--shape", "qwen2.5-0.5b", "--full-train", "maybe"}, 2, []string{"--full-train must be auto, yes or no"}},
		{[]string{"--shape", "qwen2.5-0.5b", "--torch", "maybe"}, 2, []string{"--torch must be auto, yes or no"}},
		{[]string{"extra"}, 2, []string{`unexpected argument "extra"`}},
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"bench"}, tc.args...), &out, &errb)
		if code != tc.code {
			t.Errorf("bench %q: exit %d, want %d; stderr %q", tc.args, code, tc.code, errb.String())
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("bench %q: stderr %q lacks %q", tc.args, errb.String(), w)
			}
		}
		if out.Len() > 0 {
			t.Errorf("bench %q: printed %q before failing", tc.args, out.String())
		}
	}
}

// TestBenchModelCheckpoint: `collm bench --model DIR` on a tiny checkpoint saved by maac/lm, with
// the smallest shapes, in text and JSON; with Debian's torch installed the twin runs on the same
// config.json (a Qwen2 architecture: q/k/v biases).
func TestBenchModelCheckpoint(t *testing.T) {
	cfg, err := lm.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Architecture, cfg.NumLayers = lm.ArchQwen2, 1
	backend, err := lm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := lm.NewRandom(backend, model.NewStore(), "ckpt", cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	// 32 new tokens and 3 pairs: a decode time under load stays positive (2 tokens, 1 pair could not).
	small := []string{"bench", "--model", dir, "--reps", "3", "--batch", "2", "--seq", "8", "--prompt", "4", "--new-tokens", "32", "--matmul-peak-size", "256"}

	var out, errb bytes.Buffer
	args := append(small, "--torch-script", filepath.Join(t.TempDir(), "absent.py"))
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{dir + " (checkpoint, ", "decode ms/token", "score tokens/s", "train step ms, LoRA r8",
		"train step ms, full", "GFLOP/s (MFU)", "peak RSS MB", "matmul peak GFLOP/s", "device memory", "n/a", "torch: skipped (", "absent.py"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}

	torchArgs := []string{"--torch", "no"}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err == nil {
		torchArgs = []string{"--torch-script", "../../maac/lm/testdata/bench_torch.py"}
	} else {
		t.Logf("no torch in /usr/bin/python3 (%v): the twin is not run", err)
	}
	out.Reset()
	errb.Reset()
	if code := run(append(append(small, "--json"), torchArgs...), &out, &errb); code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errb.String())
	}
	var rep struct {
		Backend string
		Models  []struct {
			Model, Source string
			Params, Batch int
			LoRA          *struct{ Rank int }
			Go            struct {
				DecodeMsPerToken  float64  `json:"decode_ms_per_token"`
				ScoreTokensPerSec float64  `json:"score_tokens_per_sec"`
				TrainStepMs       float64  `json:"train_step_ms"`
				TrainStepLoRAMs   float64  `json:"train_step_lora_ms"`
				PeakRSSMB         float64  `json:"peak_rss_mb"`
				DeviceMemoryMB    *float64 `json:"device_memory_mb"`
				DeviceMemoryNote  string   `json:"device_memory_note"`
			}
			Torch *struct {
				TrainStepLoRAMs  float64 `json:"train_step_lora_ms"`
				MatmulPeakGFLOPS float64 `json:"matmul_peak_gflops"`
				MFU              float64 `json:"mfu"`
			}
			TorchSkipped string `json:"torch_skipped"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if len(rep.Models) != 1 {
		t.Fatalf("want one model, got %s", out.String())
	}
	r := rep.Models[0]
	if r.Model != dir || r.Source != "checkpoint" || r.Params != cfg.NumParams() || r.Batch != 2 {
		t.Errorf("result names %q (%s), %d params, batch %d; want %q (checkpoint), %d, 2", r.Model, r.Source, r.Params, r.Batch, dir, cfg.NumParams())
	}
	if g := r.Go; !(g.DecodeMsPerToken > 0 && g.ScoreTokensPerSec > 0 && g.TrainStepMs > 0 && g.TrainStepLoRAMs > 0) {
		t.Errorf("a speed is missing: %s", out.String())
	}
	if r.LoRA == nil || r.LoRA.Rank != 8 {
		t.Errorf("lora = %+v, want rank 8", r.LoRA)
	}
	if r.Go.PeakRSSMB <= 0 {
		t.Errorf("peak_rss_mb = %g, want > 0 (VmHWM)", r.Go.PeakRSSMB)
	}
	if r.Go.DeviceMemoryMB != nil || !strings.HasPrefix(r.Go.DeviceMemoryNote, "n/a") {
		t.Errorf("device memory %v (%q), want null with a reason", r.Go.DeviceMemoryMB, r.Go.DeviceMemoryNote)
	}
	if torchArgs[0] == "--torch-script" && (r.Torch == nil || r.Torch.MatmulPeakGFLOPS <= 0 || r.Torch.MFU <= 0) {
		t.Errorf("the twin measured no matmul peak or MFU: %s", out.String())
	}
	if torchArgs[0] == "--torch-script" && (r.Torch == nil || r.Torch.TrainStepLoRAMs <= 0) {
		t.Errorf("the twin did not run on the checkpoint's config.json: %q", r.TorchSkipped)
	}
}

// TestBenchFLOPs: the FLOP count of the tiny preset (vocab 260, d 128, 2 layers, 4 heads of 32,
// MLP 384, tied embeddings) at batch 8, sequence 64, LoRA rank 8 on q_proj and v_proj, by hand:
//
//	matmul params per layer: q, k, v, o 4·128·128 = 65,536; gate, up, down 3·128·384 = 147,456
//	all: 2·212,992 + lm_head 260·128 = 33,280 → 459,264
//	attention per token: 4·2 layers·64·4·32 = 65,536
//	forward per token: 2·459,264 + 65,536 = 984,064; 512 tokens: 503,840,768
//	full step: 3·503,840,768 = 1,511,522,304
//	LoRA params: 2 layers·2 targets·8·(128+128) = 8,192
//	LoRA step: 512·(2·918,528 + 3·65,536 + 6·8,192) = 512·2,082,816 = 1,066,401,792
func TestBenchFLOPs(t *testing.T) {
	c, err := lm.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if got := lm.MatmulParams(c); got != 459_264 {
		t.Errorf("MatmulParams(tiny) = %d, want 459,264", got)
	}
	want := lm.BenchFLOPs{ForwardPerToken: 984_064, Score: 503_840_768, TrainStep: 1_511_522_304, TrainStepLoRA: 1_066_401_792}
	if got := lm.CountBenchFLOPs(c, 8, 64, &lm.LoRAConfig{}); got != want {
		t.Errorf("CountBenchFLOPs(tiny, 8, 64, LoRA r8) = %+v, want %+v", got, want)
	}
	if got := lm.CountBenchFLOPs(c, 8, 64, nil); got.TrainStepLoRA != 0 || got.TrainStep != want.TrainStep {
		t.Errorf("without LoRA: %+v, want no LoRA step and the same full step", got)
	}
	// Untied: lm_head is still one output projection (the input embedding is a lookup).
	c.TieWordEmbeddings = false
	if got := lm.MatmulParams(c); got != 459_264 {
		t.Errorf("MatmulParams(tiny, untied) = %d, want 459,264", got)
	}
	if got := lm.GFLOPS(2e9, 10); got != 200 {
		t.Errorf("GFLOPS(2e9 FLOPs, 10 ms) = %g, want 200", got)
	}
}

// fakeTorch writes a stand-in for bench_torch.py, run by /bin/sh, that prints fixed figures and
// records its arguments in the file it returns.
func fakeTorch(t *testing.T, lines string) (script, argsFile string) {
	dir := t.TempDir()
	script, argsFile = filepath.Join(dir, "fake_torch.sh"), filepath.Join(dir, "args")
	body := "echo \"$@\" > " + argsFile + "\ncat <<'EOF'\n" + lines + "\nEOF\n"
	if err := os.WriteFile(script, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return script, argsFile
}

const fakeTorchJSON = `{"model": "tiny", "threads": 1, "torch": "fake", "params": 459904, "decode_ms_per_token": 0.5, ` +
	`"score_tokens_per_sec": 1000, "train_step_lora_ms": 20, "train_step_ms": 40, "peak_rss_mb": 300, ` +
	`"matmul_peak_gflops": 100, "matmul_peak_size": 256}`

// TestBenchJSONSchema: `collm bench --json` with a stand-in twin prints one object of issue 17's
// shape (backend, models: model, go, torch, go_over_torch) whose ratios are Go's cost over
// torch's, whose GFLOP/s are the counted FLOPs over the times and whose MFUs divide them by
// each side's matmul peak.
func TestBenchJSONSchema(t *testing.T) {
	script, argsFile := fakeTorch(t, fakeTorchJSON)
	args := []string{"bench", "--models", "tiny", "--reps", "3", "--batch", "2", "--seq", "8", "--prompt", "4", "--new-tokens", "32", // a positive decode time under load
		"--matmul-peak-size", "256", "--python", "/bin/sh", "--torch-script", script, "--json"}
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if a, err := os.ReadFile(argsFile); err != nil || !strings.Contains(string(a), "--preset tiny --batch 2 --seq 8") ||
		!strings.Contains(string(a), "--matmul-peak-size 256") {
		t.Errorf("the twin's arguments %q (%v) lack the shapes or the peak size", a, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	figures := []string{"decode_ms_per_token", "score_tokens_per_sec", "train_step_ms", "train_step_lora_ms", "peak_rss_mb"}
	rates := []string{"train_gflops", "mfu", "train_lora_gflops", "train_lora_mfu", "score_gflops", "score_mfu", "matmul_peak_gflops"}
	need := func(what string, m map[string]any, keys []string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %q: %v", what, k, m)
			}
		}
	}
	need("the report", raw, []string{"backend", "matmul_peak", "models", "go_over_torch_note", "flops_note"})
	models, _ := raw["models"].([]any)
	if len(models) != 1 {
		t.Fatalf("models = %v, want one", raw["models"])
	}
	m0, _ := models[0].(map[string]any)
	need("the model", m0, []string{"model", "source", "params", "batch", "seq_len", "prompt_len", "new_tokens", "reps", "lora",
		"lora_params", "flops", "go", "torch", "go_over_torch", "build_ms"})
	for _, side := range []string{"go", "torch"} {
		m, _ := m0[side].(map[string]any)
		need(side, m, figures)
		need(side, m, rates)
		for _, k := range append(figures, rates...) {
			if v, _ := m[k].(float64); !(v > 0) {
				t.Errorf("%s.%s = %v, want > 0", side, k, m[k])
			}
		}
	}
	got, _ := m0["go_over_torch"].(map[string]any)
	need("go_over_torch", got, figures)

	var rep struct {
		Backend    string
		MatmulPeak struct{ GFLOPS float64 } `json:"matmul_peak"`
		Models     []struct {
			Model, Source string
			FLOPs         lm.BenchFLOPs
			Go, Torch     map[string]any
			GoOverTorch   map[string]*float64 `json:"go_over_torch"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	r := rep.Models[0]
	numbers := func(m map[string]any) map[string]float64 { // the figures, without the notes and maps
		f := map[string]float64{}
		for k, v := range m {
			if x, ok := v.(float64); ok {
				f[k] = x
			}
		}
		return f
	}
	goV := numbers(r.Go)
	tv := numbers(r.Torch)
	if rep.Backend == "" || r.Model != "tiny" || r.Source != "preset" {
		t.Errorf("backend %q, model %q (%s)", rep.Backend, r.Model, r.Source)
	}
	c, _ := lm.Preset("tiny")
	if want := lm.CountBenchFLOPs(c, 2, 8, &lm.LoRAConfig{}); r.FLOPs != want {
		t.Errorf("flops %+v, want %+v", r.FLOPs, want)
	}
	close := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("%s = %.12g, want %.12g", what, got, want)
		}
	}
	for _, k := range figures {
		if r.GoOverTorch[k] == nil {
			t.Errorf("go_over_torch.%s is null with both sides measured", k)
			continue
		}
		want := goV[k] / tv[k]
		if k == "score_tokens_per_sec" { // a throughput: the time ratio
			want = tv[k] / goV[k]
		}
		close("go_over_torch."+k, *r.GoOverTorch[k], want)
	}
	close("torch score_tokens_per_sec ratio", *r.GoOverTorch["score_tokens_per_sec"], 1000/goV["score_tokens_per_sec"])
	close("go.matmul_peak_gflops", goV["matmul_peak_gflops"], rep.MatmulPeak.GFLOPS)
	for _, s := range []struct {
		name string
		v    map[string]float64
		peak float64
	}{{"go", goV, rep.MatmulPeak.GFLOPS}, {"torch", tv, 100}} {
		close(s.name+".train_gflops", s.v["train_gflops"], r.FLOPs.TrainStep/(s.v["train_step_ms"]*1e6))
		close(s.name+".train_lora_gflops", s.v["train_lora_gflops"], r.FLOPs.TrainStepLoRA/(s.v["train_step_lora_ms"]*1e6))
		close(s.name+".score_gflops", s.v["score_gflops"], s.v["score_tokens_per_sec"]*r.FLOPs.ForwardPerToken/1e9)
		close(s.name+".mfu", s.v["mfu"], s.v["train_gflops"]/s.peak)
		close(s.name+".train_lora_mfu", s.v["train_lora_mfu"], s.v["train_lora_gflops"]/s.peak)
		close(s.name+".score_mfu", s.v["score_mfu"], s.v["score_gflops"]/s.peak)
	}
	// By hand at seq 8: forward per token 2·459,264 + 4·2·8·4·32 = 926,720 FLOPs; the fake's 1000
	// tokens/s are 0.92672 GFLOP/s; its 40 ms full step of 3·16·926,720 FLOPs 1.112064 GFLOP/s, MFU
	// 1.112064% of its 100 GFLOP/s.
	close("torch.score_gflops", tv["score_gflops"], 0.92672)
	close("torch.train_gflops", tv["train_gflops"], 1.112064)
	close("torch.mfu", tv["mfu"], 0.01112064)
}

// TestBenchText: the text output has Go, torch and Go/torch columns, ratios that are Go's cost
// over torch's (also for tokens/s), GFLOP/s with MFU, and a footer that says so.
func TestBenchText(t *testing.T) {
	c, err := lm.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	lora := &lm.LoRAConfig{Rank: 8, Targets: []string{"q_proj", "v_proj"}}
	res := lm.BenchResult{Model: "tiny", Params: c.NumParams(), Batch: 8, SeqLen: 64, PromptLen: 16, NewTokens: 64, Reps: 5,
		DecodeMsPerToken: 0.9, ScoreTokensPerSec: 50_000, TrainStepMs: 30, TrainStepLoRAMs: 12, LoRA: lora, PeakRSSMB: 100,
		FLOPs: lm.CountBenchFLOPs(c, 8, 64, lora)}
	res.ScoreGFLOPS = lm.GFLOPS(res.FLOPs.Score, 512/res.ScoreTokensPerSec*1000)
	res.TrainGFLOPS = lm.GFLOPS(res.FLOPs.TrainStep, res.TrainStepMs)
	res.TrainLoRAGFLOPS = lm.GFLOPS(res.FLOPs.TrainStepLoRA, res.TrainStepLoRAMs)
	b := newBenchModel(res, "preset", 1)
	b.setGoPeak(200)
	b.setTorch(&torchBench{DecodeMsPerToken: 0.6, ScoreTokensPerSec: 40_000, TrainStepMs: 40, TrainStepLoRAMs: 24,
		PeakRSSMB: 250, MatmulPeakGFLOPS: 100, Torch: "fake", Threads: 1, Params: c.NumParams()})
	var out bytes.Buffer
	printBenchRow(&out, b)
	// Full step: 1,511,522,304 FLOPs in 30 ms = 50.4 GFLOP/s, 25% of 200; torch 37.8, 38% of 100.
	// Scoring: 503,840,768 FLOPs per 512 tokens; 50,000 tokens/s = 49.2 GFLOP/s (25%), torch 39.4 (39%).
	// LoRA: 1,066,401,792 FLOPs in 12 ms = 88.9 (44%); torch 24 ms = 44.4 (44%).
	for _, want := range []string{
		"Go        torch   Go/torch",
		"decode ms/token                        0.90         0.60      1.50x",
		"score tokens/s                        50000        40000      0.80x",
		"GFLOP/s (MFU)                  49.2 (25%)   39.4 (39%)",
		"train step ms, LoRA r8                12.00        24.00      0.50x",
		"GFLOP/s (MFU)                  88.9 (44%)   44.4 (44%)",
		"train step ms, full                   30.00        40.00      0.75x",
		"GFLOP/s (MFU)                  50.4 (25%)   37.8 (38%)",
		"peak RSS MB                             100          250      0.40x",
		"matmul peak GFLOP/s                   200.0        100.0",
		"torch: fake, 1 thread(s)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}

	// Without the twin the ratios are "-"; the whole command ends with the footer.
	b.setTorch(nil)
	b.TorchSkipped = "--torch no"
	out.Reset()
	printBenchRow(&out, b)
	if want := "decode ms/token                        0.90            -          -"; !strings.Contains(out.String(), want) {
		t.Errorf("text output without the twin lacks %q:\n%s", want, out.String())
	}
	script, _ := fakeTorch(t, fakeTorchJSON)
	var errb bytes.Buffer
	out.Reset()
	args := []string{"bench", "--models", "tiny", "--reps", "3", "--batch", "2", "--seq", "8", "--prompt", "4", "--new-tokens", "32", // a positive decode time under load
		"--matmul-peak-size", "256", "--python", "/bin/sh", "--torch-script", script}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"Go matmul peak GFLOP/s ", "[256,256]x[256,256]", "Go/torch", "decode ms/token", "torch: fake, 1 thread(s)",
		"Go/torch is Go's cost relative to PyTorch's, lower is better for Go", "tokens/s torch's / Go's (the time ratio)", "MFU: GFLOP/s / that side's"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "faster") || strings.Contains(out.String(), "> 1 mean") {
		t.Errorf("the output still speaks of speed-ups:\n%s", out.String())
	}
}
