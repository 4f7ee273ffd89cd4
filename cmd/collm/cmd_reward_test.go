package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/maac"
)

// rewardPy holds the Python rewards of these tests; flaky fails on its second call in a process
// while the file flaky.fail exists next to it.
const rewardPy = `import os

def parts(turns):
    return [{"short": -len(t["responses"][0]) / 10, "bonus": 1} for t in turns]

def shaped(turns):
    return [{"env": t["env_reward"], "parts_seen": len(t["env_parts"])} for t in turns]

def number(turns):
    return [float(t["turn"]) + 0.5 for t in turns]

def raises(turns):
    raise ValueError("no reward today")

def wrong_length(turns):
    return [1.0] * (len(turns) + 1)

def text(turns):
    return ["high" for _ in turns]

def nan(turns):
    return [float("nan") for _ in turns]

calls = 0

def flaky(turns):
    global calls
    calls += 1
    if calls > 1 and os.path.exists(os.path.join(os.path.dirname(__file__), "flaky.fail")):
        raise RuntimeError("flaky broke")
    return [1.0 for _ in turns]
`

func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 on PATH")
	}
}

func TestEnvScoreWithPythonReward(t *testing.T) {
	needPython(t)
	py := writeEnvsFile(t, "rw.py", rewardPy)
	joint := writeEnvsFile(t, "r.json", `["dog dog", "the sun"]`)
	rows := writeEnvsFile(t, "rows.json", `[{"label": "a", "responses": ["dog", "sun and dog"]}, {"label": "b", "responses": ["dog dog dog", "sun"]}]`)
	code, stdout, stderr := runEnvsCmd("env", "score", "--env", "writing-mini", "--reward", py+":parts", "--responses", joint)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"reward": 0.3`, `"short": -0.7`, `"bonus": 1`, `"env_reward":`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %s:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = runEnvsCmd("env", "score", "--env", "writing-mini", "--reward", py+":shaped", "--responses", joint)
	var shaped struct {
		Reward float64
		Parts  map[string]float64
		Info   map[string]float64
	}
	if err := json.Unmarshal([]byte(stdout), &shaped); code != 0 || err != nil {
		t.Fatalf("shaped: exit %d, %v: %s", code, err, stderr)
	}
	if shaped.Parts["env"] != shaped.Info["env_reward"] || shaped.Parts["parts_seen"] != 5 || shaped.Reward != shaped.Info["env_reward"]+5 {
		t.Errorf("a function building on the env's reward and its 5 parts: %+v", shaped)
	}
	code, stdout, stderr = runEnvsCmd("env", "score", "--env", "writing-mini", "--reward", py+":number", "--responses", rows, "--table")
	if code != 0 || !strings.Contains(stdout, "number") || strings.Count(stdout, "0.500") != 4 {
		t.Errorf("rows as a table: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, tc := range []struct {
		fn   string
		code int
		want []string
	}{
		{"raises", 1, []string{"rw.py:raises raised ValueError: no reward today", `rw.py", line 13, in raises`}},
		{"wrong_length", 1, []string{"rw.py:wrong_length", "returned 2 items for 1 turn:"}},
		{"text", 1, []string{"rw.py:text", "item 0 is 'high' (str)"}},
		{"nan", 1, []string{"rw.py:nan", "item 0 is nan"}},
		{"missing", 1, []string{"rw.py", `no function "missing"`}},
	} {
		code, stdout, stderr := runEnvsCmd("env", "score", "--env", "writing-mini", "--reward", py+":"+tc.fn, "--responses", joint)
		if code != tc.code || stdout != "" {
			t.Errorf("%s: exit %d (want %d), stdout %q", tc.fn, code, tc.code, stdout)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.fn, w, stderr)
			}
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("%s: a Go stack trace:\n%s", tc.fn, stderr)
		}
	}
	code, _, stderr = runEnvsCmd("env", "score", "--env", "writing-mini", "--reward", "nofile", "--responses", joint)
	if code != 2 || !strings.Contains(stderr, "FILE.py:FUNC") {
		t.Errorf("a bad --reward: exit %d %q", code, stderr)
	}
}

// TestTrainWithPythonReward trains on a Python reward, resumes, survives the function failing
// mid-run with its checkpoint saved, and continues once it is fixed.
func TestTrainWithPythonReward(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	py := filepath.Join(dir, "rw.py")
	if err := os.WriteFile(py, []byte(rewardPy), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	cfg := writeEnvsFile(t, "cfg.json", `{"cc": {"num_generations": 2, "tasks_per_update": 2, "max_new_tokens": 2, "temperature": 1, "top_p": 1}}`)
	code, stdout, stderr := runEnvsCmd("train", "--env", "writing-mini", "--reward", py+":parts", "--config", cfg, "--updates", "2", "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runEnvsCmd("train", "--out", out, "--resume", "--updates", "3", "--reward-timeout", "30")
	if code != 0 || !strings.Contains(stdout, "update 3/3") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	ms, err := maac.ReadMetrics(filepath.Join(out, "metrics.jsonl"))
	if err != nil || len(ms) != 3 {
		t.Fatalf("metrics: %d lines, %v", len(ms), err)
	}
	for _, m := range ms {
		for _, k := range []string{"reward/short/mean", "reward/bonus/mean", "info/env_reward/mean"} {
			if _, ok := m[k]; !ok {
				t.Errorf("update %v lacks %s", m[maac.MetricUpdate], k)
			}
		}
		if m["reward/bonus/mean"] != 1 {
			t.Errorf("reward/bonus/mean = %v, want 1", m["reward/bonus/mean"])
		}
	}
	data, _ := os.ReadFile(filepath.Join(out, "config.json"))
	if !strings.Contains(string(data), `"reward": "`+py+`:parts"`) || !strings.Contains(string(data), `"reward_timeout": 30`) ||
		!strings.Contains(string(data), `"reward_sha256": "`) {
		t.Errorf("config.json lacks the reward, its hash or the new timeout:\n%s", data)
	}
	// An edited reward file does not block the resume (it warns: maac's TestEditedRewardFileWarns).
	if err := os.WriteFile(py, []byte(rewardPy+"\n# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runEnvsCmd("train", "--out", out, "--resume", "--updates", "4")
	if code != 0 {
		t.Errorf("resume with an edited reward file: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if err := os.WriteFile(py, []byte(rewardPy), 0o644); err != nil {
		t.Fatal(err)
	}

	// The function fails in the rollout of update 2: the run stops with update 1 saved.
	out2 := filepath.Join(dir, "run2")
	if err := os.WriteFile(filepath.Join(dir, "flaky.fail"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runEnvsCmd("train", "--env", "writing-mini", "--reward", py+":flaky", "--config", cfg, "--updates", "3", "--out", out2, "--save-every", "10")
	if code != 1 || !strings.Contains(stderr, "rw.py:flaky raised RuntimeError: flaky broke") || !strings.Contains(stderr, "checkpoint of update 1 saved") {
		t.Fatalf("a failing reward: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "goroutine") {
		t.Errorf("a Go stack trace:\n%s", stderr)
	}
	os.Remove(filepath.Join(dir, "flaky.fail"))
	code, stdout, stderr = runEnvsCmd("train", "--out", out2, "--resume", "--updates", "3")
	if code != 0 || !strings.Contains(stdout, "update 2/3") || !strings.Contains(stdout, "update 3/3") {
		t.Fatalf("resume after the fix: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
