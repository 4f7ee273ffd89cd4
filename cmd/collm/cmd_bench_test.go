package main

import (
	"bytes"
	"encoding/json"
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
	small := []string{"bench", "--model", dir, "--reps", "1", "--batch", "2", "--seq", "8", "--prompt", "4", "--new-tokens", "2"}

	var out, errb bytes.Buffer
	args := append(small, "--torch-script", filepath.Join(t.TempDir(), "absent.py"))
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{dir + " (checkpoint, ", "decode ms/token", "score tokens/s", "train step ms, LoRA r8",
		"train step ms, full", "peak RSS MB", "device memory", "n/a", "torch: skipped (", "absent.py"} {
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
		Results []struct {
			Model, Source     string
			Params, Batch     int
			DecodeMsPerToken  float64  `json:"decode_ms_per_token"`
			ScoreTokensPerSec float64  `json:"score_tokens_per_sec"`
			TrainStepMs       float64  `json:"train_step_ms"`
			TrainStepLoRAMs   float64  `json:"train_step_lora_ms"`
			PeakRSSMB         float64  `json:"peak_rss_mb"`
			DeviceMemoryMB    *float64 `json:"device_memory_mb"`
			DeviceMemoryNote  string   `json:"device_memory_note"`
			LoRA              *struct{ Rank int }
			Torch             *struct {
				TrainStepLoRAMs float64 `json:"train_step_lora_ms"`
			}
			TorchSkipped string `json:"torch_skipped"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if len(rep.Results) != 1 {
		t.Fatalf("want one result, got %s", out.String())
	}
	r := rep.Results[0]
	if r.Model != dir || r.Source != "checkpoint" || r.Params != cfg.NumParams() || r.Batch != 2 {
		t.Errorf("result names %q (%s), %d params, batch %d; want %q (checkpoint), %d, 2", r.Model, r.Source, r.Params, r.Batch, dir, cfg.NumParams())
	}
	if !(r.DecodeMsPerToken > 0 && r.ScoreTokensPerSec > 0 && r.TrainStepMs > 0 && r.TrainStepLoRAMs > 0) {
		t.Errorf("a speed is missing: %s", out.String())
	}
	if r.LoRA == nil || r.LoRA.Rank != 8 {
		t.Errorf("lora = %+v, want rank 8", r.LoRA)
	}
	if r.PeakRSSMB <= 0 {
		t.Errorf("peak_rss_mb = %g, want > 0 (VmHWM)", r.PeakRSSMB)
	}
	if r.DeviceMemoryMB != nil || !strings.HasPrefix(r.DeviceMemoryNote, "n/a") {
		t.Errorf("device memory %v (%q), want null with a reason", r.DeviceMemoryMB, r.DeviceMemoryNote)
	}
	if torchArgs[0] == "--torch-script" && (r.Torch == nil || r.Torch.TrainStepLoRAMs <= 0) {
		t.Errorf("the twin did not run on the checkpoint's config.json: %q", r.TorchSkipped)
	}
}
