package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/maac"
)

func TestTrainArguments(t *testing.T) {
	dir := t.TempDir()
	badConfig := writeEnvsFile(t, "bad.json", `{"cc": {"num_generations": 2, "colour": "red"}}`)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--env", "toy-coord", "--updates", "1"}, 2, "--out DIR is required"},
		{[]string{"train", "--env", "toy-coord", "--out", dir}, 2, "give one positive budget: --updates N or --env-steps N"},
		{[]string{"train", "--env", "toy-coord", "--out", dir, "--updates", "2", "--env-steps", "9"}, 2, "give one positive budget"},
		{[]string{"train", "--updates", "1", "--out", dir}, 2, "--env NAME is required"},
		{[]string{"train", "--env", "nope", "--updates", "1", "--out", filepath.Join(dir, "a")}, 1, `unknown env "nope"`},
		{[]string{"train", "--env", "toy-coord", "--env-opt", "turns", "--updates", "1", "--out", dir}, 2, "want name=value"},
		{[]string{"train", "--env", "toy-coord", "--algo", "ppo", "--updates", "1", "--out", filepath.Join(dir, "b")}, 1, `unknown algorithm "ppo"`},
		{[]string{"train", "--config", badConfig, "--env", "toy-coord", "--updates", "1", "--out", filepath.Join(dir, "c")}, 1, `unknown field "colour"`},
		{[]string{"train", "--out", dir, "--resume", "--updates", "1", "--algo", "cc"}, 2, "--resume takes the run's settings"},
		{[]string{"train", "--out", filepath.Join(dir, "none"), "--resume", "--updates", "1"}, 1, "is not a collm run"},
		{[]string{"train", "--env", "toy-coord", "--updates", "1", "--warm-start", "-1", "--out", dir}, 2, "--warm-start must be >= 0"},
		{[]string{"train", "--env", "toy-coord", "--updates", "1", "--save-every", "0", "--out", dir}, 2, "--save-every must be positive"},
		{[]string{"train", "--out", dir, "--resume", "--updates", "1", "--save-every", "-1"}, 2, "--save-every must be positive"},
		{[]string{"train", "--env", "toy-coord", "--updates", "1", "--warm-start", "5", "--out", filepath.Join(dir, "d")}, 1, "warm_start_steps=5: env toy-coord has no demonstrations"},
		{[]string{"train", "--out", dir, "--resume", "--updates", "1", "--warm-start", "5"}, 2, "drop --env, --env-opt, --agent, --algo, --seed, --warm-start"},
		{[]string{"algos", "x"}, 2, "unexpected arguments"},
	}
	for _, tt := range tests {
		code, _, stderr := runEnvsCmd(tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("collm %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
		}
	}
}

func TestTrainAndResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cfg := writeEnvsFile(t, "cfg.json", `{"mc": {"num_generations": 2, "tasks_per_update": 2, "max_new_tokens": 1, "temperature": 1, "top_p": 1, "actor_lr": 0.003}}`)
	code, stdout, stderr := runEnvsCmd("train", "--env", "toy-coord", "--algo", "magrpo", "--config", cfg,
		"--updates", "2", "--seed", "5", "--out", out, "--save-every", "1")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "update 2/2") {
		t.Errorf("no progress lines:\n%s", stdout)
	}
	code, stdout, stderr = runEnvsCmd("train", "--out", out, "--resume", "--updates", "3")
	if code != 0 || !strings.Contains(stdout, "update 3/3") || strings.Contains(stdout, "update 2/3") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	ms, err := maac.ReadMetrics(filepath.Join(out, "metrics.jsonl"))
	if err != nil || len(ms) != 3 {
		t.Fatalf("metrics: %d lines, %v", len(ms), err)
	}
	data, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil || !strings.Contains(string(data), `"seed": 5`) || !strings.Contains(string(data), `"baseline": "mean"`) {
		t.Errorf("config.json lacks the seed or the filled-in defaults:\n%s", data)
	}
	for _, f := range []string{"checkpoint/state.json", "checkpoint/state.safetensors", "checkpoint/agent_0/config.json", "checkpoint/agent_1/model.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	code, _, stderr = runEnvsCmd("train", "--env", "toy-coord", "--updates", "1", "--out", out)
	if code != 1 || !strings.Contains(stderr, "already holds a run") {
		t.Errorf("training over an existing run: exit %d %q", code, stderr)
	}
}

func TestTrainTokenizerChoice(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cfg := writeEnvsFile(t, "cfg.json", `{"mc": {"num_generations": 2, "tasks_per_update": 1, "max_new_tokens": 2, "temperature": 1, "top_p": 1, "actor_lr": 0.001}}`)
	code, stdout, stderr := runEnvsCmd("train", "--env", "writing-mini", "--algo", "magrpo", "--config", cfg,
		"--agent", "tiny:bytes", "--agent", "tiny", "--updates", "1", "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil || !strings.Contains(string(data), `"tokenizer": "bytes"`) || !strings.Contains(string(data), `"tokenizer": "env"`) {
		t.Errorf("config.json does not record both tokenizers (%v):\n%s", err, data)
	}
	if _, err := os.Stat(filepath.Join(out, "checkpoint/agent_1/tokenizer.json")); err != nil {
		t.Errorf("agent 1 (env vocabulary) was exported without its tokenizer: %v", err)
	}
	code, _, stderr = runEnvsCmd("train", "--env", "toy-coord", "--agent", "tiny:env", "--agent", "tiny",
		"--updates", "1", "--out", filepath.Join(t.TempDir(), "run"))
	if code != 1 || !strings.Contains(stderr, "has no vocabulary") {
		t.Errorf("tiny:env on an env without a vocabulary: exit %d %q", code, stderr)
	}
}

// TestTrainWarmStart: --warm-start runs the warm start on the env's demonstrations before the
// first update, records it in config.json and logs its losses with the first update only.
func TestTrainWarmStart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cfg := writeEnvsFile(t, "cfg.json", `{"mc": {"num_generations": 2, "tasks_per_update": 2, "max_new_tokens": 6, "actor_lr": 0.001}}`)
	code, stdout, stderr := runEnvsCmd("train", "--env", "coding-mini", "--env-opt", "turns=1", "--env-opt", "demos=varied",
		"--algo", "magrpo", "--config", cfg, "--warm-start", "10", "--updates", "2", "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "warm start: loss ") {
		t.Errorf("no warm-start line:\n%s", stdout)
	}
	data, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil || !strings.Contains(string(data), `"warm_start_steps": 10`) {
		t.Errorf("config.json lacks the warm start:\n%s", data)
	}
	ms, err := maac.ReadMetrics(filepath.Join(out, "metrics.jsonl"))
	if err != nil || len(ms) != 2 {
		t.Fatalf("metrics: %d lines, %v", len(ms), err)
	}
	first, okFirst := ms[0][maac.MetricWarmStartLossFirst]
	last := ms[0][maac.MetricWarmStartLossLast]
	_, again := ms[1][maac.MetricWarmStartLossFirst]
	if !okFirst || !(last < first) || again {
		t.Errorf("warm-start losses: update 1 %v -> %v (logged %v), logged again at update 2: %v", first, last, okFirst, again)
	}
}

func TestAlgosJSON(t *testing.T) {
	code, stdout, stderr := runEnvsCmd("algos", "--json")
	if code != 0 {
		t.Fatalf("algos --json: exit %d, %s", code, stderr)
	}
	var algos []map[string]any
	if err := json.Unmarshal([]byte(stdout), &algos); err != nil {
		t.Fatalf("algos --json is not a JSON array: %v\n%s", err, stdout)
	}
	critics := map[string]string{}
	for _, a := range algos {
		if a["description"] == "" || a["config_section"] == "" {
			t.Errorf("algorithm %v lacks a description or config section", a)
		}
		critics[a["name"].(string)] = a["critic"].(string)
	}
	want := map[string]string{"cc": "centralized", "dc": "decentralized", "dc-shared": "decentralized-shared",
		"magrpo": "none", "marloo": "none", "maremax": "none", "mareinforce": "none", "grpo": "none", "ac": "centralized"}
	if len(critics) != len(want) {
		t.Errorf("algorithms %v, want %v", critics, want)
	}
	for name, c := range want {
		if critics[name] != c {
			t.Errorf("%s: critic %q, want %q", name, critics[name], c)
		}
	}
}

// TestTrainReferenceCadence: MAGRPO on toy-coord with 2 turns, K=2, 2 tasks per update and
// rollout_buffer_size 1 takes one optimizer step per expanded node, 6 per update (2 tasks x
// (the root and its 2 children)); with "minibatch": "update" one.
func TestTrainReferenceCadence(t *testing.T) {
	for _, tc := range []struct {
		minibatch string
		perUpdate float64
	}{{"reference", 6}, {"update", 1}} {
		out := filepath.Join(t.TempDir(), "run")
		cfg := writeEnvsFile(t, "cfg.json", `{"mc": {"num_generations": 2, "tasks_per_update": 2, "rollout_buffer_size": 1,
			"minibatch": "`+tc.minibatch+`", "max_new_tokens": 1, "temperature": 1, "top_p": 1, "actor_lr": 0.003}}`)
		code, stdout, stderr := runEnvsCmd("train", "--env", "toy-coord", "--env-opt", "turns=2", "--algo", "magrpo",
			"--config", cfg, "--updates", "2", "--out", out)
		if code != 0 {
			t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
		}
		ms, err := maac.ReadMetrics(filepath.Join(out, "metrics.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for u, m := range ms {
			if got, want := m["optim/agent/0/steps"], tc.perUpdate*float64(u+1); got != want {
				t.Errorf("%s: optim/agent/0/steps after update %d = %v, want %v", tc.minibatch, u+1, got, want)
			}
		}
	}
}

func TestResumeRefusesAnOlderConfig(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runEnvsCmd("train", "--env", "toy-coord", "--algo", "magrpo", "--updates", "1", "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	path := filepath.Join(out, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil || cfg["version"] != float64(2) {
		t.Fatalf("config.json version %v (%v), want 2", cfg["version"], err)
	}
	delete(cfg, "version")
	data, _ = json.Marshal(cfg)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runEnvsCmd("train", "--out", out, "--resume", "--updates", "2")
	if code != 1 || !strings.Contains(stderr, "created by an earlier collm") {
		t.Errorf("resume of a version-1 run: exit %d, %s", code, stderr)
	}
}
