package maac

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPermutationTestAndIntervals(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// {1,2,3} vs {4,5,6}: of the C(6,3) = 20 relabellings only this one and its mirror image
	// differ by 3 or more.
	if p := permutationTest([]float64{1, 2, 3}, []float64{4, 5, 6}, rng); !near(p, 2.0/20) {
		t.Errorf("p = %v, want 0.1", p)
	}
	if p := permutationTest([]float64{1, 1}, []float64{1, 1}, rng); p != 1 {
		t.Errorf("p of equal groups = %v, want 1", p)
	}
	// Too many relabellings to enumerate: random ones, p > 0 and small for separated groups.
	a, b := make([]float64, 12), make([]float64, 12)
	for i := range a {
		a[i], b[i] = float64(i), float64(i+20)
	}
	if p := permutationTest(a, b, rng); p <= 0 || p > 0.001 {
		t.Errorf("p of separated groups of 12 = %v, want in (0, 0.001]", p)
	}
	if m, lo, hi := MeanCI95([]float64{2}); m != 2 || lo != 2 || hi != 2 {
		t.Errorf("interval of one value: %v [%v, %v]", m, lo, hi)
	}
	xs := []float64{0.1, 0.5, 0.3, 0.9}
	m, lo, hi := MeanCI95(xs)
	if !(lo <= m && m <= hi && lo >= 0.1 && hi <= 0.9 && lo < hi) {
		t.Errorf("interval %v [%v, %v] of %v", m, lo, hi, xs)
	}
	if m2, lo2, hi2 := MeanCI95(xs); m2 != m || lo2 != lo || hi2 != hi {
		t.Error("the same values gave another interval")
	}
	// The percentiles of 0..100 interpolate to 2.5 and 97.5.
	grid := make([]float64, 101)
	for i := range grid {
		grid[i] = float64(100 - i)
	}
	if p := percentiles(grid); !near(p[0], 2.5) || !near(p[1], 97.5) {
		t.Errorf("percentiles %v", p)
	}
}

func TestSummarizeRun(t *testing.T) {
	// Budget 100; updates at env steps 30, 60, 95, 110 with returns .2, .4, .6, .8.
	var ms []Metrics
	for k, step := range []float64{30, 60, 95, 110} {
		ms = append(ms, Metrics{MetricEnvStep: step, MetricEpisodeReturnMean: 0.2 * float64(k+1), MetricTimeUpdate: 1,
			"optim/agent/0/steps": float64(2 * (k + 1)), "optim/agent/1/steps": float64(4 * (k + 1)),
			"grad/agent/0/relative_variance": 2, "grad/agent/1/relative_variance": math.Inf(1)})
	}
	rs := summarizeRun(ms, 100, []float64{0.5, 0.7})
	// Final: the updates past 90% of the budget, (.6 + .8)/2. AUC: each return over the env
	// steps its update consumed, capped at the budget: (.2*30 + .4*30 + .6*35 + .8*5)/100.
	if rs.envSteps != 110 || !near(rs.finalReturn, 0.7) || !near(rs.auc, 0.43) {
		t.Errorf("env steps %d, final %v, auc %v; want 110, 0.7, 0.43", rs.envSteps, rs.finalReturn, rs.auc)
	}
	// The moving average of 3 updates reaches .5 at the 4th update ((.4+.6+.8)/3 = .6), never .7.
	if rs.stepsTo[0] == nil || *rs.stepsTo[0] != 110 || rs.stepsTo[1] != nil {
		t.Errorf("steps to thresholds %v", rs.stepsTo)
	}
	// Optimizer steps: the mean over agents of the last counts (8 and 16); the infinite relative
	// variance (a zero mean gradient) is left out.
	if !near(rs.optimizerSteps, 12) || !rs.hasGradVar || !near(rs.gradVar, 2) || !near(rs.wall, 4) {
		t.Errorf("optimizer steps %v, grad var %v (%v), wall %v", rs.optimizerSteps, rs.gradVar, rs.hasGradVar, rs.wall)
	}
}

func TestCompareSpecErrors(t *testing.T) {
	ok := func() CompareSpec {
		return CompareSpec{Env: "toy-coord", Algorithms: []string{"cc", "magrpo"}, Seeds: []uint64{1, 2}, EnvSteps: 100,
			Vary: []Variation{{Option: "sparse", Values: []string{"false", "true"}}}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(s *CompareSpec)
		want   string
	}{
		{"no algorithms", func(s *CompareSpec) { s.Algorithms = nil }, "no algorithms"},
		{"unknown algorithm", func(s *CompareSpec) { s.Algorithms = []string{"cc", "ppo"} }, `unknown algorithm "ppo"`},
		{"seed twice", func(s *CompareSpec) { s.Seeds = []uint64{1, 1} }, "seed 1 is listed twice"},
		{"no budget", func(s *CompareSpec) { s.EnvSteps = 0 }, "env_steps=0"},
		{"a value the env rejects", func(s *CompareSpec) { s.Vary[0] = Variation{Option: "turns", Values: []string{"2", "99"}} }, "turns=\"99\""},
		{"an unknown option", func(s *CompareSpec) { s.Vary[0].Option = "colour" }, `unknown option "colour"`},
		{"fixed and varied", func(s *CompareSpec) { s.EnvOptions = map[string]string{"sparse": "true"} }, "both fixed"},
		{"unsafe value", func(s *CompareSpec) { s.Vary[0].Values = []string{"../x"} }, "letters, digits"},
		{"env in the config", func(s *CompareSpec) { s.Config.Env = "tldr" }, "set per run"},
	}
	for _, tc := range tests {
		s := ok()
		tc.mutate(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestSharedSettings: the shared settings reach every algorithm's section, a section's own value
// wins, and critic_lr does not reach the Monte Carlo section.
func TestSharedSettings(t *testing.T) {
	s := CompareSpec{Env: "toy-coord", Algorithms: []string{"cc", "magrpo"}, Seeds: []uint64{3}, EnvSteps: 10,
		Shared: SharedSettings{Common: Common{NumGenerations: 2, ActorLR: 1e-3, Seed: 99}, CriticLR: 2e-3},
		Config: RunConfig{MC: &MCConfig{Common: Common{ActorLR: 5e-4}}}}
	runs, err := s.Runs("out")
	if err != nil {
		t.Fatal(err)
	}
	cc, mc := runs[0].Config.CC, runs[1].Config.MC
	if cc.NumGenerations != 2 || cc.ActorLR != 1e-3 || cc.CriticLR != 2e-3 || cc.Seed != 3 {
		t.Errorf("cc got K=%d lr=%g critic lr=%g seed %d", cc.NumGenerations, cc.ActorLR, cc.CriticLR, cc.Seed)
	}
	if mc.NumGenerations != 2 || mc.ActorLR != 5e-4 || mc.Seed != 3 {
		t.Errorf("magrpo got K=%d lr=%g seed %d", mc.NumGenerations, mc.ActorLR, mc.Seed)
	}
	if runs[0].Name != filepath.Join("default", "cc", "seed-3") || runs[0].Dir != filepath.Join("out", "runs", "default", "cc", "seed-3") {
		t.Errorf("run name %q dir %q", runs[0].Name, runs[0].Dir)
	}
}

// TestCompare runs a small grid in this process: every run within one update of its budget,
// intervals around their means, the difference to the first algorithm, a second call that
// launches nothing, and a changed grid refused.
func TestCompare(t *testing.T) {
	dir := t.TempDir()
	spec := CompareSpec{Env: "toy-coord", EnvOptions: map[string]string{"turns": "2"}, Algorithms: []string{"cc", "magrpo"},
		Seeds: []uint64{1, 2}, EnvSteps: 60, Thresholds: []float64{0.5, 0.99},
		Vary:   []Variation{{Option: "sparse", Values: []string{"false", "true"}}},
		Shared: SharedSettings{Common: Common{NumGenerations: 2, TasksPerUpdate: 2, MaxNewTokens: 1, Temperature: 1, TopP: 1, ActorLR: 3e-3}, CriticLR: 3e-3}}
	var launched atomic.Int32
	var progress []CompareStatus
	count := func(ctx context.Context, r CompareRun) error { launched.Add(1); return TrainToBudget(ctx, r) }
	sum, err := Compare(context.Background(), dir, spec, CompareOptions{Jobs: 2, Launch: count,
		OnProgress: func(s CompareStatus) { progress = append(progress, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if launched.Load() != 8 || len(sum.Rows) != 4 {
		t.Fatalf("%d runs launched, %d summary rows; want 8 and 4", launched.Load(), len(sum.Rows))
	}
	// An update is 8 env steps for CC (2 tasks x 2 chains x 2 turns), 12 for MAGRPO (2 tasks x (2 + 4)).
	perUpdate := map[string]int{"cc": 8, "magrpo": 12}
	for _, r := range sum.Rows {
		if len(r.Seeds) != 2 {
			t.Fatalf("%s %v: seeds %v", r.Algo, r.Condition, r.Seeds)
		}
		for _, steps := range r.EnvSteps {
			if steps < spec.EnvSteps || steps >= spec.EnvSteps+perUpdate[r.Algo] {
				t.Errorf("%s used %d env steps of a budget of %d", r.Algo, steps, spec.EnvSteps)
			}
		}
		if lo, hi := r.FinalReturnCI95[0], r.FinalReturnCI95[1]; !(lo <= r.FinalReturnMean && r.FinalReturnMean <= hi) {
			t.Errorf("%s: final return %v outside [%v, %v]", r.Algo, r.FinalReturnMean, lo, hi)
		}
		if r.OptimizerStepsMean <= 0 || r.GradRelativeVarianceMean == nil || r.GradRelativeVarianceMedian == nil || len(r.StepsTo) != 2 {
			t.Errorf("%s: optimizer steps %v, grad variance %v, steps_to %v", r.Algo, r.OptimizerStepsMean, r.GradRelativeVarianceMean, r.StepsTo)
		}
		if (r.Algo == "magrpo") != (r.VsFirst != nil) {
			t.Errorf("%s: vs_first %+v", r.Algo, r.VsFirst)
		} else if d := r.VsFirst; d != nil && (d.PValue <= 0 || d.PValue > 1 || d.CI95[0] > d.Mean || d.Mean > d.CI95[1] || d.Baseline != "cc") {
			t.Errorf("difference %+v", d)
		}
	}
	last := progress[len(progress)-1]
	if last.Count(RunDone) != 8 {
		t.Errorf("final progress: %d runs done, want 8", last.Count(RunDone))
	}
	for _, p := range progress[:len(progress)-1] {
		left := 0 // env steps still to train; the last runs may have trained them all before they are done
		for _, r := range p.Runs {
			left += max(r.Run.EnvSteps-r.EnvStep, 0)
		}
		if p.Count(RunRunning) > 2 || (p.Count(RunDone) > 0 && left > 0 && p.ETA <= 0) {
			t.Errorf("progress: %d running with 2 jobs, %d done, ETA %v", p.Count(RunRunning), p.Count(RunDone), p.ETA)
		}
	}
	for _, name := range []string{"summary.json", "summary.csv", "compare.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	var onDisk CompareSummary
	data, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err := json.Unmarshal(data, &onDisk); err != nil || len(onDisk.Rows) != 4 {
		t.Errorf("summary.json: %v, %d rows", err, len(onDisk.Rows))
	}
	launched.Store(0)
	if _, err := Compare(context.Background(), dir, spec, CompareOptions{Launch: count}); err != nil || launched.Load() != 0 {
		t.Errorf("second call: %v, %d runs launched", err, launched.Load())
	}
	changed := spec
	changed.EnvSteps = 90
	if _, err := Compare(context.Background(), dir, changed, CompareOptions{Launch: count}); err == nil || !strings.Contains(err.Error(), "env_steps was 60, now 90") {
		t.Errorf("changed grid: err = %v", err)
	}
}

// TestCompareResumes interrupts a comparison after its first run and runs it again: every run
// ends with each update logged once, as an uninterrupted run logs them.
func TestCompareResumes(t *testing.T) {
	dir := t.TempDir()
	spec := CompareSpec{Env: "toy-coord", EnvOptions: map[string]string{"turns": "2"}, Algorithms: []string{"cc", "magrpo"},
		Seeds: []uint64{1}, EnvSteps: 48,
		Shared: SharedSettings{Common: Common{NumGenerations: 2, TasksPerUpdate: 2, MaxNewTokens: 1, Temperature: 1, TopP: 1, ActorLR: 3e-3}}}
	ctx, cancel := context.WithCancel(context.Background())
	stopAfterFirst := func(ctx context.Context, r CompareRun) error {
		err := TrainToBudget(ctx, r)
		cancel()
		return err
	}
	if _, err := Compare(ctx, dir, spec, CompareOptions{Launch: stopAfterFirst}); err == nil {
		t.Fatal("the interrupted comparison returned no error")
	}
	if _, err := Compare(context.Background(), dir, spec, CompareOptions{}); err != nil {
		t.Fatal(err)
	}
	runs, _ := spec.Runs(dir)
	for _, r := range runs {
		ms, err := ReadMetrics(filepath.Join(r.Dir, "metrics.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for k, m := range ms {
			if int(m[MetricUpdate]) != k+1 {
				t.Fatalf("%s: line %d holds update %v", r.Name, k+1, m[MetricUpdate])
			}
		}
		if last := ms[len(ms)-1][MetricEnvStep]; last < 48 {
			t.Errorf("%s ended at env step %v of 48", r.Name, last)
		}
	}
}

func TestCompareStatusHeadline(t *testing.T) {
	runs := func(states ...string) []RunStatus {
		var rs []RunStatus
		for _, s := range states {
			rs = append(rs, RunStatus{State: s})
		}
		return rs
	}
	for _, tc := range []struct {
		status CompareStatus
		want   string
	}{
		{CompareStatus{Runs: runs(RunQueued, RunRunning), Elapsed: 2 * time.Second},
			"0 of 2 runs done, 1 running, 1 queued, 0 failed; 2s elapsed, ETA ?"},
		{CompareStatus{Runs: runs(RunDone, RunRunning, RunFailed), Elapsed: 61 * time.Second, ETA: 1500 * time.Millisecond},
			"1 of 3 runs done, 1 running, 0 queued, 1 failed; 1m1s elapsed, ETA 2s"},
		{CompareStatus{Runs: runs(RunDone, RunDone), Elapsed: time.Minute},
			"2 of 2 runs done, 0 running, 0 queued, 0 failed; 1m0s elapsed"},
	} {
		if got := tc.status.Headline(); got != tc.want {
			t.Errorf("Headline() = %q, want %q", got, tc.want)
		}
	}
}

func TestMedianOf(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{1e12, 4, 4.2}, 4.2},
	} {
		if got := medianOf(slices.Clone(tc.xs)); got != tc.want {
			t.Errorf("medianOf(%v) = %g, want %g", tc.xs, got, tc.want)
		}
	}
}
