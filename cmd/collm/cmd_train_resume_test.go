package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/maac"
)

// TestResumeAfterACrash resumes a run through what a kill -9 and a user's edits leave, step by
// step, as a user would.
func TestResumeAfterACrash(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cfg := writeEnvsFile(t, "cfg.json", `{"mc": {"num_generations": 2, "tasks_per_update": 1, "max_new_tokens": 1, "temperature": 1, "top_p": 1, "actor_lr": 0.003}}`)
	configPath := filepath.Join(out, "config.json")
	var original []byte
	editConfig := func(key string, value any) func() {
		return func() {
			var m map[string]any
			data, _ := os.ReadFile(configPath)
			json.Unmarshal(data, &m)
			m[key] = value
			data, _ = json.Marshal(m)
			os.WriteFile(configPath, data, 0o644)
		}
	}
	steps := []struct {
		name      string
		before    func()
		args      []string
		code      int
		want      string // in stdout (exit 0) or stderr
		saveEvery int    // config.json's save_every after the step (0: not checked)
		updates   int    // metrics.jsonl's lines after the step (0: not checked)
	}{
		{"train", nil, []string{"--env", "toy-coord", "--algo", "magrpo", "--config", cfg, "--updates", "5", "--save-every", "2"},
			0, "update 5/5", 2, 5},
		{"killed while writing metrics and a checkpoint", func() {
			original, _ = os.ReadFile(configPath)
			f, _ := os.OpenFile(filepath.Join(out, "metrics.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(`{"update": 6, "env_st`)
			f.Close()
			os.MkdirAll(filepath.Join(out, ".checkpoint.tmp-123", "agent_0"), 0o755)
		}, []string{"--resume", "--updates", "8"}, 0, "update 8/8", 2, 8},
		{"a new cadence", nil, []string{"--resume", "--updates", "9", "--save-every", "3"}, 0, "update 9/9", 3, 9},
		{"edited env", editConfig("env", "writing-mini"), []string{"--resume", "--updates", "10"},
			1, `config.json was edited after the run started: env "toy-coord" -> "writing-mini"; restore it`, 0, 0},
		{"restored", func() { os.WriteFile(configPath, original, 0o644) }, []string{"--resume", "--updates", "10"}, 0, "update 10/10", 0, 10},
		{"negative update", func() {
			path := filepath.Join(out, "checkpoint", "state.json")
			data, _ := os.ReadFile(path)
			os.WriteFile(path, []byte(strings.Replace(string(data), `"update": 10`, `"update": -5`, 1)), 0o644)
		}, []string{"--resume", "--updates", "11"}, 1, "checkpoint/state.json: update -5: want the >= 0 updates", 0, 0},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		code, stdout, stderr := runEnvsCmd(append([]string{"train", "--out", out}, s.args...)...)
		got := stderr
		if code == 0 {
			got = stdout
		}
		if code != s.code || !strings.Contains(got, s.want) {
			t.Fatalf("%s: exit %d, want %d and %q\n%s\n%s", s.name, code, s.code, s.want, stdout, stderr)
		}
		if s.saveEvery > 0 {
			var c maac.RunConfig
			data, _ := os.ReadFile(configPath)
			if err := json.Unmarshal(data, &c); err != nil || c.SaveEvery != s.saveEvery {
				t.Errorf("%s: config.json has save_every %d (%v), want %d", s.name, c.SaveEvery, err, s.saveEvery)
			}
		}
		if s.updates > 0 {
			if ms, err := maac.ReadMetrics(filepath.Join(out, "metrics.jsonl")); err != nil || len(ms) != s.updates {
				t.Errorf("%s: metrics.jsonl has %d lines (%v), want %d", s.name, len(ms), err, s.updates)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, ".checkpoint.tmp-123")); !os.IsNotExist(err) {
		t.Errorf("the temporary checkpoint a crash left is still there (%v)", err)
	}
}
