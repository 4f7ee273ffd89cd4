package maac

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
)

// TestDerivedEnvRun trains and resumes a run on a derived env, and names the declaration a
// process lacks.
func TestDerivedEnvRun(t *testing.T) {
	first := reward.New(reward.AgentTerm("says_a", 0, func(r string) float64 {
		if strings.TrimSpace(r) == "A" {
			return 1
		}
		return 0
	})).Done()
	name := envs.MustDerive("toy-coord", "toy-coord-says-a", envs.WithReward(first))
	cfg := RunConfig{Env: name, Algorithm: "magrpo", MC: &MCConfig{Common: Common{NumGenerations: 2, TasksPerUpdate: 2,
		MaxNewTokens: 1, Temperature: 1, TopP: 1, ActorLR: 3e-3}}}
	dir := filepath.Join(t.TempDir(), "run")
	tr, rd, err := Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Config().EnvBase; got != "toy-coord" {
		t.Errorf("config env_base %q, want toy-coord", got)
	}
	ms := metricsOf(t, tr, 2)
	if err := tr.SaveCheckpoint(rd.CheckpointPath()); err != nil {
		t.Fatal(err)
	}
	rd.Close()
	for _, m := range ms {
		if _, ok := m["info/env_reward/mean"]; !ok {
			t.Errorf("no info/env_reward/mean in %v", m)
		}
		if v, ok := m["reward/says_a/mean"]; !ok || v != m[MetricReturnMean] {
			t.Errorf("reward/says_a/mean %v (%v), want the return %v", v, ok, m[MetricReturnMean])
		}
	}
	if _, updates, err := tryResume(dir); err != nil || updates != 2 {
		t.Fatalf("resume: update %d, %v", updates, err)
	}
	missing := cfg
	missing.Env, missing.EnvBase = "toy-coord-never-declared", "toy-coord"
	_, err = ResolveConfig(missing)
	if err == nil || !strings.Contains(err.Error(), `"toy-coord-never-declared" is not registered in this process`) ||
		!strings.Contains(err.Error(), "(from toy-coord)") || !strings.Contains(err.Error(), "envs.Derive") {
		t.Errorf("a derived env this process lacks: %v", err)
	}
}

// failingScheme fails on its second batch, as a crashed reward function does.
type failingScheme struct{ calls int }

func (f *failingScheme) ScoreBatch(ins []reward.Input) ([]reward.Result, error) {
	f.calls++
	if f.calls > 1 {
		return nil, errors.New("the reward is down")
	}
	return make([]reward.Result, len(ins)), nil
}

// TestRolloutErrorLeavesTheTrainer checks that a reward failing in a rollout is a RolloutError
// that changes nothing: the checkpoint saved then equals one saved before.
func TestRolloutErrorLeavesTheTrainer(t *testing.T) {
	base, err := envs.New("toy-coord", nil)
	if err != nil {
		t.Fatal(err)
	}
	env, err := envs.Wrap(base, envs.WithRewardFrom(func() (reward.BatchScheme, error) { return &failingScheme{}, nil }))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewRun().EnvValue(env).Algorithm("magrpo").MC(MCConfig{Common: Common{NumGenerations: 2, TasksPerUpdate: 2,
		MaxNewTokens: 1, Temperature: 1, TopP: 1, ActorLR: 3e-3}}).Seed(1).Done()
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	metricsOf(t, tr, 1)
	before := filepath.Join(t.TempDir(), "before")
	if err := tr.SaveCheckpoint(before); err != nil {
		t.Fatal(err)
	}
	_, err = tr.Step()
	var re *RolloutError
	if !errors.As(err, &re) || re.Update != 2 || !strings.Contains(err.Error(), "the reward is down") {
		t.Fatalf("Step with a failing reward: %v, want a RolloutError of update 2", err)
	}
	if tr.Updates() != 1 || tr.EnvSteps() != 4 {
		t.Errorf("after the failed update: %d updates, %d env steps; want 1 and 4", tr.Updates(), tr.EnvSteps())
	}
	after := filepath.Join(t.TempDir(), "after")
	if err := tr.SaveCheckpoint(after); err != nil {
		t.Fatal(err)
	}
	sameCheckpoints(t, before, after)
}

// sameCheckpoints fails unless two checkpoint directories hold the same tensors and state.
func sameCheckpoints(t *testing.T, a, b string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(a, "*", "*.safetensors"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no agent weights in %s (%v)", a, err)
	}
	files = append(files, filepath.Join(a, "state.safetensors"), filepath.Join(a, "state.json"))
	for _, fa := range files {
		rel, _ := filepath.Rel(a, fa)
		da, errA := os.ReadFile(fa)
		db, errB := os.ReadFile(filepath.Join(b, rel))
		if errA != nil || errB != nil || !bytes.Equal(da, db) {
			t.Errorf("%s differs between the checkpoints (%v, %v)", rel, errA, errB)
		}
	}
}

func TestEditedRewardFileWarns(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 on PATH")
	}
	dir := t.TempDir()
	py := filepath.Join(dir, "r.py")
	if err := os.WriteFile(py, []byte("def one(turns):\n    return [1.0 for _ in turns]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := runConfig("magrpo", nil, 2)
	cfg.Reward = py + ":one"
	run := filepath.Join(dir, "run")
	tr, rd, err := Create(run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c := tr.Config(); len(c.RewardSHA256) != 64 || c.RewardTimeout != 60 {
		t.Errorf("reward_sha256 %q, reward_timeout %v", c.RewardSHA256, c.RewardTimeout)
	}
	if ms := metricsOf(t, tr, 1); ms[0]["reward/one/mean"] != 1 {
		t.Errorf("reward/one/mean = %v, want 1", ms[0]["reward/one/mean"])
	}
	if err := tr.SaveCheckpoint(rd.CheckpointPath()); err != nil {
		t.Fatal(err)
	}
	rd.Close()
	warned := captureWarnings(t)
	if _, _, err := tryResume(run); err != nil || warned.Len() != 0 {
		t.Fatalf("resume with the same file: %v, warnings %q", err, warned)
	}
	if err := os.WriteFile(py, []byte("def one(turns):\n    return [2.0 for _ in turns]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tryResume(run); err != nil || !strings.Contains(warned.String(), "r.py changed since run") {
		t.Errorf("resume with an edited file: %v, warnings %q", err, warned)
	}
}
