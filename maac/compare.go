package maac

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/collm/collm/maac/atomicfile"
)

// A comparison is a grid of runs, algorithms x env-option values x seeds, each trained to the
// same env-step budget in its own run directory, then summarized with confidence intervals:
//
//	DIR/compare.json                      the CompareSpec (a second Compare checks it is the same)
//	DIR/runs/<condition>/<algo>/seed-<n>  one run directory per run (config.json, metrics.jsonl,
//	                                      checkpoint/), <condition> the varied options ("default"
//	                                      when nothing varies)
//	DIR/summary.json, DIR/summary.csv     the summary (compare_summary.go)
//
// Compare skips finished runs and resumes interrupted ones from their checkpoints, so the same
// call after an interrupt or a crash completes the grid.

// Variation is one env option a comparison sweeps, with its values. The option VaryEnv sweeps
// the env itself, e.g. an env and the envs derived from it with other rewards (envs.Derive):
// the env options then apply to each of them.
type Variation struct {
	Option string   `json:"option"`
	Values []string `json:"values"`
}

// SharedSettings are applied to every algorithm's config section before the section's own
// settings, so the settings the algorithms share (K, tasks per update, temperature, learning
// rates) stay equal across algorithms unless a section sets its own. CriticLR applies to the
// actor-critic algorithms; Seed is ignored (every run has its seed).
type SharedSettings struct {
	Common
	CriticLR float64 `json:"critic_lr,omitempty"`
}

// CompareSpec describes a comparison.
type CompareSpec struct {
	// Env and EnvOptions are the environment and its fixed options.
	Env        string            `json:"env"`
	EnvOptions map[string]string `json:"env_options,omitempty"`
	// Vary are the env options swept; the grid is the product of their values.
	Vary []Variation `json:"vary,omitempty"`
	// Algorithms are table names; the first is the one the others are compared with.
	Algorithms []string `json:"algorithms"`
	// Seeds of the runs of every (condition, algorithm).
	Seeds []uint64 `json:"seeds"`
	// EnvSteps is every run's budget: a run stops at the first update that reaches it.
	EnvSteps int `json:"env_steps"`
	// Thresholds of the episode return whose first env step the summary reports.
	Thresholds []float64 `json:"thresholds,omitempty"`
	// Shared settings of every algorithm, and the algorithms' own sections and agents (the
	// fields of a RunConfig but its env and algorithm, which each run sets).
	Shared SharedSettings `json:"shared,omitzero"`
	Config RunConfig      `json:"config,omitzero"`
}

// CompareRun is one run of a comparison.
type CompareRun struct {
	// Name is the run's path under DIR/runs, e.g. "sparse=true/cc/seed-1".
	Name      string
	Algorithm string
	// Condition holds the values of the varied options.
	Condition map[string]string
	Seed      uint64
	// Dir is the run directory; Config the run's configuration; EnvSteps its budget.
	Dir      string
	Config   RunConfig
	EnvSteps int
}

// Validate reports the first bad field of the spec and how to fix it, before any run starts:
// every run's configuration is resolved, so an unknown algorithm or an env option value the env
// rejects is named here.
func (s CompareSpec) Validate() error {
	_, err := s.Runs("")
	return err
}

// VaryEnv is the Variation option that sweeps the env.
const VaryEnv = "env"

var safeValue = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)

// Runs returns the grid's runs under dir, each with its resolved configuration, in the order
// Compare starts them: condition by condition, seed by seed, algorithm by algorithm, so that
// partial results compare the algorithms early.
func (s CompareSpec) Runs(dir string) ([]CompareRun, error) {
	if err := s.checkGrid(); err != nil {
		return nil, err
	}
	runs := s.layout(dir)
	for i := range runs {
		r := &runs[i]
		env, opts := s.envOf(r.Condition)
		cfg, err := s.runConfig(r.Algorithm, env, opts, r.Seed)
		if err != nil {
			return nil, err
		}
		if r.Config, err = ResolveConfig(cfg); err != nil {
			return nil, fmt.Errorf("compare: %s with %s: %w", r.Algorithm, ConditionName(r.Condition), err)
		}
	}
	return runs, nil
}

// checkGrid checks the grid's fields, without the envs and algorithms' settings.
func (s CompareSpec) checkGrid() error {
	switch {
	case s.Env == "":
		return errors.New("compare: no env: set the env to compare on (collm envs lists them)")
	case len(s.Algorithms) == 0:
		return errors.New("compare: no algorithms: give at least one (collm algos lists them)")
	case len(s.Seeds) == 0:
		return errors.New("compare: no seeds: give at least one, e.g. 1,2,3")
	case s.EnvSteps < 1:
		return fmt.Errorf("compare: env_steps=%d: want a budget of >= 1 env steps per run", s.EnvSteps)
	case s.Config.Env != "" || s.Config.Algorithm != "" || len(s.Config.EnvOptions) > 0:
		return errors.New("compare: the config's env, env_options and algorithm are set per run: give them as the comparison's env, env options and algorithms")
	}
	if dup := firstDuplicate(s.Algorithms); dup != "" {
		return fmt.Errorf("compare: algorithm %s is listed twice", dup)
	}
	seeds := make([]string, len(s.Seeds))
	for i, seed := range s.Seeds {
		seeds[i] = fmt.Sprint(seed)
	}
	if dup := firstDuplicate(seeds); dup != "" {
		return fmt.Errorf("compare: seed %s is listed twice", dup)
	}
	var options []string
	for _, v := range s.Vary {
		switch {
		case v.Option == "" || !safeValue.MatchString(v.Option):
			return fmt.Errorf("compare: vary option %q: want an env option name", v.Option)
		case len(v.Values) == 0:
			return fmt.Errorf("compare: vary %s has no values", v.Option)
		case s.EnvOptions[v.Option] != "":
			return fmt.Errorf("compare: option %s is both fixed (%s) and varied: drop one", v.Option, s.EnvOptions[v.Option])
		}
		if dup := firstDuplicate(v.Values); dup != "" {
			return fmt.Errorf("compare: vary %s lists %q twice", v.Option, dup)
		}
		for _, value := range v.Values {
			if !safeValue.MatchString(value) {
				return fmt.Errorf("compare: vary %s=%q: values are names of run directories, use letters, digits and . _ + -", v.Option, value)
			}
		}
		options = append(options, v.Option)
	}
	if dup := firstDuplicate(options); dup != "" {
		return fmt.Errorf("compare: option %s is varied twice", dup)
	}
	return nil
}

// Layout returns the grid's runs under dir, in the order of Runs, with their names, conditions,
// seeds, directories and budgets but not their configurations, which it does not resolve: what
// a summary of trained runs needs, also in a process that lacks an env they were trained on
// (a derived env, see envs.Derive).
func (s CompareSpec) Layout(dir string) ([]CompareRun, error) {
	if err := s.checkGrid(); err != nil {
		return nil, err
	}
	return s.layout(dir), nil
}

func (s CompareSpec) layout(dir string) []CompareRun {
	var runs []CompareRun
	for _, cond := range s.conditions() {
		for _, seed := range s.Seeds {
			for _, algo := range s.Algorithms {
				name := filepath.Join(ConditionName(cond), algo, fmt.Sprintf("seed-%d", seed))
				runs = append(runs, CompareRun{Name: name, Algorithm: algo, Condition: cond, Seed: seed,
					Dir: filepath.Join(dir, "runs", name), EnvSteps: s.EnvSteps})
			}
		}
	}
	return runs
}

// envOf returns the env and the env options of a condition's runs.
func (s CompareSpec) envOf(cond map[string]string) (string, map[string]string) {
	env, opts := s.Env, maps.Clone(s.EnvOptions)
	if opts == nil {
		opts = map[string]string{}
	}
	for k, v := range cond {
		if k == VaryEnv {
			env = v
			continue
		}
		opts[k] = v
	}
	return env, opts
}

// conditions returns the grid of varied option values (one empty condition when nothing varies).
func (s CompareSpec) conditions() []map[string]string {
	conds := []map[string]string{{}}
	for _, v := range s.Vary {
		var next []map[string]string
		for _, c := range conds {
			for _, value := range v.Values {
				n := make(map[string]string, len(c)+1)
				for k, x := range c {
					n[k] = x
				}
				n[v.Option] = value
				next = append(next, n)
			}
		}
		conds = next
	}
	return conds
}

// ConditionName is a condition as a directory name: "sparse=true,turns=4", or "default".
func ConditionName(cond map[string]string) string {
	if len(cond) == 0 {
		return "default"
	}
	keys := slices.Sorted(maps.Keys(cond))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + cond[k]
	}
	return strings.Join(parts, ",")
}

// runConfig is the configuration of one run: the shared settings, overlaid by the algorithm's
// own section, with the run's env options and seed.
func (s CompareSpec) runConfig(algo, env string, opts map[string]string, seed uint64) (RunConfig, error) {
	a, err := LookupAlgorithm(algo)
	if err != nil {
		return RunConfig{}, fmt.Errorf("compare: %w", err)
	}
	cfg := s.Config.clone()
	cfg.Env, cfg.EnvOptions, cfg.Algorithm = env, opts, algo
	shared, err := json.Marshal(s.Shared)
	if err != nil {
		return cfg, err
	}
	var merged map[string]any
	if err := json.Unmarshal(shared, &merged); err != nil {
		return cfg, err
	}
	delete(merged, "seed")
	if a.Section == SectionMC {
		delete(merged, "critic_lr")
	}
	if own := cfg.section(a.Section); own != nil {
		data, err := json.Marshal(own)
		if err != nil {
			return cfg, err
		}
		var fields map[string]any
		if err := json.Unmarshal(data, &fields); err != nil {
			return cfg, err
		}
		delete(fields, "seed")
		for k, v := range fields {
			merged[k] = v
		}
	}
	data, _ := json.Marshal(merged)
	cfg.CC, cfg.DC, cfg.MC = nil, nil, nil // the other algorithms' sections
	sc := cfg.ensureSection(a.Section)
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(sc); err != nil {
		return cfg, fmt.Errorf("compare: the shared settings do not fit the %s section: %w", a.Section, err)
	}
	sc.common().Seed = seed
	return cfg, nil
}

func firstDuplicate(xs []string) string {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return x
		}
		seen[x] = true
	}
	return ""
}

// CompareOptions configures Compare.
type CompareOptions struct {
	// Jobs is the number of runs trained at once. Default 1.
	Jobs int
	// Force lets a comparison continue in a directory whose compare.json describes another grid:
	// the new spec replaces it, runs of the old grid stay on disk.
	Force bool
	// Launch trains one run to its budget, resuming it when its directory holds a run, and
	// returns when the run has reached the budget with a checkpoint saved (or ctx is cancelled,
	// after saving one). Default TrainToBudget, in this process; `collm compare` launches worker
	// processes.
	Launch func(ctx context.Context, run CompareRun) error
	// OnProgress, when set, is called every ProgressEvery (default 2 s) and at the end with the
	// state of every run.
	OnProgress    func(CompareStatus)
	ProgressEvery time.Duration
}

// Run states of a CompareStatus.
const (
	RunQueued  = "queued"
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// RunStatus is one run's state during a comparison.
type RunStatus struct {
	Run     CompareRun
	State   string
	EnvStep int     // env steps of its latest logged update
	Return  float64 // its latest episode/return/mean
	Err     error   // why it failed
}

// CompareStatus is the state of a comparison.
type CompareStatus struct {
	Runs    []RunStatus
	Elapsed time.Duration
	// ETA estimates the time left from the env steps trained since the start.
	ETA time.Duration
}

// Count returns how many runs are in state.
func (s CompareStatus) Count(state string) int {
	n := 0
	for _, r := range s.Runs {
		if r.State == state {
			n++
		}
	}
	return n
}

// Headline is the grid's progress in one line: "3 of 12 runs done, 2 running, 7 queued, 0
// failed; 1m2s elapsed, ETA 4m10s", with "ETA ?" before any env step was timed and no ETA once
// no run is left.
func (s CompareStatus) Headline() string {
	done, running, queued, failed := s.Count(RunDone), s.Count(RunRunning), s.Count(RunQueued), s.Count(RunFailed)
	eta := ""
	switch {
	case running+queued == 0:
	case s.ETA <= 0:
		eta = ", ETA ?"
	default:
		eta = ", ETA " + s.ETA.Round(time.Second).String()
	}
	return fmt.Sprintf("%d of %d runs done, %d running, %d queued, %d failed; %s elapsed%s",
		done, len(s.Runs), running, queued, failed, s.Elapsed.Round(time.Second), eta)
}

// Compare trains every run of spec in dir (skipping finished runs, resuming interrupted ones),
// then writes and returns the summary. When ctx is cancelled it stops the runs at their next
// update with a checkpoint saved and returns ctx's error; the same call later continues. A dir
// whose compare.json describes another grid is an error that names what changed, unless Force.
func Compare(ctx context.Context, dir string, spec CompareSpec, o CompareOptions) (*CompareSummary, error) {
	runs, err := spec.Runs(dir)
	if err != nil {
		return nil, err
	}
	if err := claimCompareDir(dir, spec, o.Force); err != nil {
		return nil, err
	}
	if o.Jobs < 1 {
		o.Jobs = 1
	}
	if o.Launch == nil {
		o.Launch = TrainToBudget
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 2 * time.Second
	}
	status := make([]RunStatus, len(runs))
	startSteps := 0
	for i, r := range runs {
		status[i] = RunStatus{Run: r, State: RunQueued}
		if runDone(r.Dir, r.EnvSteps) {
			status[i].State = RunDone
		}
		status[i].EnvStep, status[i].Return = latestMetrics(r.Dir)
		startSteps += min(status[i].EnvStep, r.EnvSteps)
	}
	var mu sync.Mutex
	start := time.Now()
	snapshot := func() CompareStatus {
		mu.Lock()
		defer mu.Unlock()
		s := CompareStatus{Runs: slices.Clone(status), Elapsed: time.Since(start)}
		done, total := 0, 0
		for i := range s.Runs {
			r := s.Runs[i]
			if r.State == RunRunning || (r.State == RunDone && r.EnvStep < r.Run.EnvSteps) {
				s.Runs[i].EnvStep, s.Runs[i].Return = latestMetrics(s.Runs[i].Run.Dir)
				status[i].EnvStep, status[i].Return = s.Runs[i].EnvStep, s.Runs[i].Return
			}
			done += min(s.Runs[i].EnvStep, s.Runs[i].Run.EnvSteps)
			total += s.Runs[i].Run.EnvSteps
		}
		if trained := done - startSteps; trained > 0 {
			s.ETA = time.Duration(float64(s.Elapsed) * float64(total-done) / float64(trained))
		}
		return s
	}
	queue := make(chan int)
	var wg sync.WaitGroup
	for range o.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				mu.Lock()
				status[i].State = RunRunning
				mu.Unlock()
				err := launchWithRetry(ctx, o.Launch, runs[i])
				mu.Lock()
				switch {
				case err == nil:
					status[i].State = RunDone
				case ctx.Err() != nil:
					status[i].State = RunQueued
				default:
					status[i].State, status[i].Err = RunFailed, err
				}
				mu.Unlock()
			}
		}()
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if o.OnProgress == nil {
			return
		}
		tick := time.NewTicker(o.ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-tick.C:
				o.OnProgress(snapshot())
			}
		}
	}()
feed:
	for i := range runs {
		if status[i].State == RunDone {
			continue
		}
		select {
		case queue <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	close(stopProgress)
	<-progressDone
	final := snapshot()
	if o.OnProgress != nil {
		o.OnProgress(final)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var failed []string
	for _, r := range final.Runs {
		if r.State == RunFailed {
			failed = append(failed, fmt.Sprintf("%s: %v", r.Run.Name, r.Err))
		}
	}
	if len(failed) > 0 {
		return nil, fmt.Errorf("compare: %d of %d runs failed (the others are done; the same call retries them):\n  %s",
			len(failed), len(runs), strings.Join(failed, "\n  "))
	}
	return SummarizeCompare(dir)
}

// launchWithRetry launches a run, waiting while another process still holds its lock (a worker
// of an interrupted comparison finishing its checkpoint).
func launchWithRetry(ctx context.Context, launch func(context.Context, CompareRun) error, run CompareRun) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := launch(ctx, run)
		if err == nil || !strings.Contains(err.Error(), "in use by another process") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// claimCompareDir writes spec to dir/compare.json, or checks that the one there describes the
// same grid.
func claimCompareDir(dir string, spec CompareSpec, force bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("compare: %s is not writable: %w", dir, err)
	}
	path := filepath.Join(dir, "compare.json")
	data, err := os.ReadFile(path)
	if err == nil && !force {
		var old CompareSpec
		if err := json.Unmarshal(data, &old); err != nil {
			return fmt.Errorf("compare: %s is corrupt (%v): remove it or use --force", path, err)
		}
		if diff := specDiff(old, spec); diff != "" {
			return fmt.Errorf("compare: %s holds another comparison (%s): use another directory, or --force to continue there with the new grid", dir, diff)
		}
		return nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("compare: %w", err)
	}
	out, _ := json.MarshalIndent(spec, "", "  ")
	return atomicfile.WriteFile(path, append(out, '\n'), 0o644)
}

// specDiff names the fields in which two specs differ ("" when they describe the same grid).
func specDiff(a, b CompareSpec) string {
	var diffs []string
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var ma, mb map[string]any
	json.Unmarshal(ja, &ma)
	json.Unmarshal(jb, &mb)
	keys := map[string]bool{}
	for k := range ma {
		keys[k] = true
	}
	for k := range mb {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !reflect.DeepEqual(ma[k], mb[k]) {
			x, _ := json.Marshal(ma[k])
			y, _ := json.Marshal(mb[k])
			diffs = append(diffs, fmt.Sprintf("%s was %s, now %s", k, x, y))
		}
	}
	return strings.Join(diffs, "; ")
}

// TrainToBudget trains run in this process: it creates the run directory, or resumes the run in
// it, trains until the first update that reaches the run's env-step budget, checkpointing every
// save_every updates (RunConfig.SaveEvery, default 10) and at the end, and on ctx's cancellation
// saves a checkpoint and returns ctx's error.
func TrainToBudget(ctx context.Context, run CompareRun) error {
	var t *Trainer
	var rd *RunDir
	var err error
	if _, statErr := os.Stat(filepath.Join(run.Dir, "config.json")); statErr == nil {
		t, rd, err = Resume(run.Dir)
	} else {
		t, rd, err = Create(run.Dir, run.Config)
	}
	if err != nil {
		return err
	}
	defer rd.Close()
	t.OnUpdate(func(u UpdateInfo) error {
		if u.Update%t.Config().SaveEvery == 0 {
			return t.SaveCheckpoint(rd.CheckpointPath())
		}
		return nil
	})
	trainErr := t.TrainToEnvSteps(ctx, run.EnvSteps)
	var rolloutErr *RolloutError
	failedRollout := errors.As(trainErr, &rolloutErr)
	if trainErr != nil && !errors.Is(trainErr, ctx.Err()) && !failedRollout { // e.g. a DivergedError: keep the last checkpoint
		return trainErr
	}
	if err := t.SaveCheckpoint(rd.CheckpointPath()); err != nil {
		return err
	}
	if failedRollout {
		return fmt.Errorf("%w; checkpoint of update %d saved (the failed update changed nothing)", trainErr, t.Updates())
	}
	return trainErr
}

// runDone reports whether a run's checkpoint holds the env-step budget.
func runDone(dir string, budget int) bool {
	for _, ckpt := range []string{"checkpoint", "checkpoint.old"} {
		data, err := os.ReadFile(filepath.Join(dir, ckpt, "state.json"))
		if err != nil {
			continue
		}
		var st checkpointState
		if json.Unmarshal(data, &st) == nil {
			return st.EnvStep >= budget
		}
	}
	return false
}

// latestMetrics returns the env step and episode return of a run's last logged update.
func latestMetrics(dir string) (envStep int, ret float64) {
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	const tail = 64 << 10
	if info, err := f.Stat(); err == nil && info.Size() > tail {
		f.Seek(info.Size()-tail, 0)
	}
	buf := make([]byte, tail)
	n, _ := f.Read(buf)
	lines := strings.Split(strings.TrimSpace(string(buf[:n])), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var m Metrics
		if json.Unmarshal([]byte(lines[i]), &m) == nil {
			return int(m[MetricEnvStep]), m[MetricEpisodeReturnMean]
		}
	}
	return 0, 0
}
