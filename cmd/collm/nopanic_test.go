package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/maac/lm"
	"github.com/collm/collm/maac/safetensors"
	"github.com/gomlx/gomlx/ml/model"
)

// nanCheckpoint saves a tiny model with the word-level tokenizer of strbuild-mini (as training
// exports an agent) and one NaN weight, and returns its directory.
func nanCheckpoint(t *testing.T) string {
	t.Helper()
	env, err := envs.New("strbuild-mini", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := maac.EnvTokenizer(env.(envs.Vocab))
	if err != nil {
		t.Fatal(err)
	}
	be, err := lm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := lm.PresetFor("tiny", tok)
	if err != nil {
		t.Fatal(err)
	}
	m, err := lm.NewRandom(be, model.NewStore(), "m", cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	data, err := tok.MarshalHF()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []*safetensors.Tensor
	for name, st := range f.Tensors {
		if name == "model.norm.weight" {
			data, _ := st.Float32s()
			data[3] = float32(math.NaN())
			st = safetensors.FromFloat32(name, st.Shape, data)
		}
		ts = append(ts, st)
	}
	if err := safetensors.WriteFile(path, ts, f.Metadata); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Bad inputs found by hand: each is an error that names the field or the cause, never a Go
// panic (a panic here would crash the test binary; --max-new 100000000 ran out of memory).
func TestBadInputsAreErrors(t *testing.T) {
	dir := t.TempDir()
	responses := writeEnvsFile(t, "r.json", `["a", "b"]`)
	config := func(s string) string { return writeEnvsFile(t, "cfg.json", s) }
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--env", "toy-coord", "--updates", "3", "--out", filepath.Join(dir, "lr"), "--config", config(`{"cc": {"actor_lr": 1e300}}`)},
			1, "actor_lr=1e+300: want a learning rate in (0, 1)"},
		{[]string{"train", "--env", "toy-coord", "--updates", "3", "--out", filepath.Join(dir, "k"), "--config", config(`{"cc": {"num_generations": 100000000}}`)},
			1, "num_generations=100000000 (joint_mode=aligned, branching=chains): a rollout would sample more than 4096 responses"},
		{[]string{"env", "score", "--env", "strbuild-mini", "--env-opt", "shift=NaN", "--responses", responses},
			2, `env strbuild-mini: option shift="NaN": want a finite number`},
		{[]string{"env", "score", "--env", "housebuild-mini", "--env-opt", "shift=Inf", "--responses", responses},
			2, `option shift="Inf": want a finite number`},
		{[]string{"generate", "--model", "tiny", "--prompt", "hi", "--max-new", "100000000"},
			2, "--max-new 100000000: the prompt's 2 tokens plus the new ones exceed the model's context of 256 tokens (max_position_embeddings): use --max-new 254 or less"},
		{[]string{"generate", "--model", "tiny", "--prompt", "hi", "--max-new", "9223372036854775807"},
			2, "use --max-new 254 or less"},
		{[]string{"generate", "--model", nanCheckpoint(t), "--prompt", "/setblock", "--temperature", "1", "--top-p", "0.9"},
			1, `non-finite weights in tensor "model.norm.weight" (NaN at flat index 3)`},
	}
	for _, tt := range tests {
		code, _, stderr := runEnvsCmd(tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("collm %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
		}
	}
}

// A run that diverges with legal settings (a KL penalty so large that the critic's targets
// overflow) stops with the update and the model at fault, and keeps the last good checkpoint.
func TestTrainDivergenceKeepsTheLastCheckpoint(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cfg := writeEnvsFile(t, "cfg.json", `{"cc": {"kl_beta": 1e30, "num_generations": 2, "tasks_per_update": 2, "max_new_tokens": 1}}`)
	code, stdout, stderr := runEnvsCmd("train", "--env", "toy-coord", "--algo", "cc", "--config", cfg, "--updates", "5", "--save-every", "1", "--out", out)
	if code != 1 || strings.Contains(stderr, "goroutine") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"the critic (scope critic): non-finite ", "at update 2;", "lower critic_lr (now 5e-06), set max_grad_norm (e.g. 1.0) to clip the gradients, or shrink the rewards (reward_shift, kl_beta)",
		"the checkpoint of update 1 (" + filepath.Join(out, "checkpoint") + ") is the last good state"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	state, err := os.ReadFile(filepath.Join(out, "checkpoint", "state.json"))
	if err != nil || !strings.Contains(string(state), `"update": 1,`) {
		t.Errorf("checkpoint state %s (%v), want update 1", state, err)
	}
}
