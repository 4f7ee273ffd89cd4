package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets"
)

// The tests of `collm compare` run its workers as real processes: this test binary stands in for
// the collm executable when COLLM_TEST_AS_CLI is set (see TestMain).

func TestCompareArguments(t *testing.T) {
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"compare", "--env", "toy-coord", "--env-steps", "10"}, 2, "--out DIR is required"},
		{[]string{"compare", "--env", "toy-coord", "--out", dir}, 2, "--env-steps must be a positive budget"},
		{[]string{"compare", "--env", "toy-coord", "--env-steps", "10", "--algos", "cc,ppo", "--out", dir}, 1, `unknown algorithm "ppo"`},
		{[]string{"compare", "--env", "toy-coord", "--env-steps", "10", "--vary", "turns=2,99", "--out", dir}, 1, `turns="99"`},
		{[]string{"compare", "--env", "toy-coord", "--env-steps", "10", "--vary", "colour=red", "--out", dir}, 1, `unknown option "colour"`},
		{[]string{"compare", "--env", "toy-coord", "--env-steps", "10", "--vary", "turns", "--out", dir}, 2, "want name=value1,value2"},
		{[]string{"compare", "--env", "toy-coord", "--env-steps", "10", "--seeds", "1,two", "--out", dir}, 2, "--seeds"},
		{[]string{"compare", "--env", "toy-coord", "--env-steps", "10", "--thresholds", "high", "--out", dir}, 2, "--thresholds"},
		{[]string{"compare", "--env", "nope", "--env-steps", "10", "--out", dir}, 1, `unknown env "nope"`},
		{[]string{"compare", "--env", "toy-coord", "--env-steps", "10", "--out", filepath.Join(readOnly, "cmp")}, 1, "is not writable"},
	}
	if os.Geteuid() == 0 {
		tests = tests[:len(tests)-1] // root writes anywhere
	}
	for _, tt := range tests {
		code, _, stderr := runEnvsCmd(tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("collm %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
		}
	}
}

// compareArgs is a small grid on the sparse toy: 2 algorithms x 2 seeds, 2 turns.
func compareArgs(out string, config string) []string {
	return []string{"compare", "--env", "toy-coord", "--env-opt", "turns=2", "--env-opt", "sparse=true", "--algos", "cc,magrpo",
		"--seeds", "1,2", "--env-steps", "96", "--thresholds", "0.5,0.9", "--config", config, "--jobs", "2", "--out", out}
}

func compareConfig(t *testing.T) string {
	return writeEnvsFile(t, "compare.json", `{"shared": {"num_generations": 2, "tasks_per_update": 2, "max_new_tokens": 1,
		"temperature": 1, "top_p": 1, "actor_lr": 0.003, "critic_lr": 0.003}}`)
}

func TestCompareRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a grid of runs in worker processes")
	}
	t.Setenv("COLLM_TEST_AS_CLI", "1")
	out := filepath.Join(t.TempDir(), "cmp")
	start := time.Now()
	code, stdout, stderr := runEnvsCmd(compareArgs(out, compareConfig(t))...)
	first := time.Since(start)
	if code != 0 {
		t.Fatalf("compare: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var sum maac.CompareSummary
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &sum); err != nil || len(sum.Rows) != 2 {
		t.Fatalf("summary.json: %v, %d rows\n%s", err, len(sum.Rows), data)
	}
	for _, r := range sum.Rows {
		lo, hi := r.FinalReturnCI95[0], r.FinalReturnCI95[1]
		if len(r.EnvSteps) != 2 || !(lo <= r.FinalReturnMean && r.FinalReturnMean <= hi) {
			t.Errorf("%s: env steps %v, final return %v [%v, %v]", r.Algo, r.EnvSteps, r.FinalReturnMean, lo, hi)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "summary.csv")); err != nil {
		t.Error(err)
	}
	if _, err := widgets.LibraryHTML(); err == nil {
		if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
			t.Error(err)
		}
	} else if !strings.Contains(stderr, "no report") {
		t.Errorf("without ECharts: no warning about the report:\n%s", stderr)
	}
	if !strings.Contains(stdout, "magrpo") || !strings.Contains(stdout, "vs cc, p=") {
		t.Errorf("no summary table:\n%s", stdout)
	}
	// The same command again: every run is done, nothing trains.
	start = time.Now()
	code, stdout, stderr = runEnvsCmd(compareArgs(out, compareConfig(t))...)
	if again := time.Since(start); code != 0 || again > first/3 {
		t.Errorf("second compare: exit %d in %v (first %v)\n%s%s", code, again, first, stdout, stderr)
	}
	if _, err := widgets.LibraryHTML(); err == nil {
		code, stdout, _ = runEnvsCmd("report", out, "--out", filepath.Join(out, "again.html"))
		if code != 0 || !strings.Contains(stdout, "comparison") {
			t.Errorf("collm report on a comparison: exit %d, %s", code, stdout)
		}
	}
}

// TestCompareSurvivesKill9 kills `collm compare` with SIGKILL in the middle of its grid and runs
// the same command again: the grid completes and no run logs an update twice or misses one.
func TestCompareSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a grid of runs in worker processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("COLLM_TEST_AS_CLI", "1")
	out := filepath.Join(t.TempDir(), "cmp")
	args := compareArgs(out, compareConfig(t))
	args[len(args)-3] = "1" // --jobs 1: the grid takes long enough to be killed in its middle
	for i, a := range args {
		if a == "96" {
			args[i] = "400"
		}
	}
	cmd := exec.Command(exe, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the first run has logged updates.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ms, _ := maac.ReadMetrics(filepath.Join(out, "runs", "default", "cc", "seed-1", "metrics.jsonl"))
		if len(ms) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no run progressed in 2 minutes:\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	code, stdout, stderr := runEnvsCmd(args...)
	if code != 0 {
		t.Fatalf("compare after kill -9: exit %d\n%s\n%s", code, stdout, stderr)
	}
	runs, err := filepath.Glob(filepath.Join(out, "runs", "*", "*", "seed-*"))
	if err != nil || len(runs) != 4 {
		t.Fatalf("runs %v (%v)", runs, err)
	}
	for _, dir := range runs {
		ms, err := maac.ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for k, m := range ms {
			if int(m[maac.MetricUpdate]) != k+1 {
				t.Fatalf("%s: line %d holds update %v", dir, k+1, m[maac.MetricUpdate])
			}
		}
		if last := ms[len(ms)-1][maac.MetricEnvStep]; last < 400 {
			t.Errorf("%s ended at env step %v of 400", dir, last)
		}
	}
}
