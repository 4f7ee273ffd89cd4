package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "train a grid of algorithms x env-option values x seeds to one env-step budget; summary with CIs and an HTML report",
		run:     runCompare,
	})
}

// compareFile is the JSON of --config: the settings shared by every algorithm and each
// algorithm's own section.
type compareFile struct {
	Shared maac.SharedSettings `json:"shared"`
	Agents []maac.AgentSpec    `json:"agents,omitempty"`
	CC     *maac.CCConfig      `json:"cc,omitempty"`
	DC     *maac.DCConfig      `json:"dc,omitempty"`
	MC     *maac.MCConfig      `json:"mc,omitempty"`
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stderr)
	env := fs.String("env", "", "the environment `NAME` (collm envs lists them)")
	var envOpts, vary stringList
	fs.Var(&envOpts, "env-opt", "fixed environment option name=value (repeatable)")
	fs.Var(&vary, "vary", "environment option to sweep, name=value1,value2 (repeatable; the grid is the product)")
	algos := fs.String("algos", "cc,dc,magrpo", "comma-separated `ALGORITHMS` (collm algos lists them); the others are compared with the first")
	seeds := fs.String("seeds", "1,2,3", "comma-separated seeds of every (condition, algorithm)")
	envSteps := fs.Int("env-steps", 0, "every run's budget: it stops at the first update that reaches this many env steps")
	configPath := fs.String("config", "", "JSON file with \"shared\" settings for every algorithm and the algorithms' own \"cc\", \"dc\", \"mc\" sections and \"agents\"")
	jobs := fs.Int("jobs", runtime.NumCPU(), "runs trained at once, each in its own worker process with cores/jobs threads")
	thresholds := fs.String("thresholds", "", "comma-separated episode-return thresholds whose first env step the summary reports")
	out := fs.String("out", "", "comparison directory (resumed when it holds the same grid)")
	rewardFlag := fs.String("reward", "", "replace the env's reward in every run by a Python function, `FILE.py:FUNC`; the env's own is logged as info/env_reward/mean")
	rewardTimeout := fs.Float64("reward-timeout", 0, "most `SECONDS` one call of the --reward function may take (default 60)")
	force := fs.Bool("force", false, "continue in --out even though it holds another grid")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageErrorf("unexpected arguments %q", rest)
	case *out == "":
		return usageErrorf("--out DIR is required")
	case *env == "":
		return usageErrorf("--env NAME is required (see `collm envs`)")
	case *envSteps <= 0:
		return usageErrorf("--env-steps must be a positive budget of env steps per run")
	case *jobs < 1:
		return usageErrorf("--jobs must be >= 1")
	}
	spec := maac.CompareSpec{Env: *env, EnvSteps: *envSteps, Algorithms: splitList(*algos)}
	if spec.EnvOptions, err = envs.ParseOptions(envOpts); err != nil {
		return usageErrorf("%v", err)
	}
	for _, v := range vary {
		name, values, ok := strings.Cut(v, "=")
		if !ok || name == "" || values == "" {
			return usageErrorf("--vary %q: want name=value1,value2", v)
		}
		spec.Vary = append(spec.Vary, maac.Variation{Option: name, Values: splitList(values)})
	}
	for _, s := range splitList(*seeds) {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return usageErrorf("--seeds %q: want comma-separated non-negative integers, e.g. 1,2,3", *seeds)
		}
		spec.Seeds = append(spec.Seeds, seed)
	}
	for _, s := range splitList(*thresholds) {
		th, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return usageErrorf("--thresholds %q: want comma-separated numbers, e.g. 0.5,0.8", *thresholds)
		}
		spec.Thresholds = append(spec.Thresholds, th)
	}
	if *configPath != "" {
		data, err := os.ReadFile(*configPath)
		if err != nil {
			return err
		}
		var f compareFile
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("config %s: %w", *configPath, err)
		}
		spec.Shared = f.Shared
		spec.Config = maac.RunConfig{Agents: f.Agents, CC: f.CC, DC: f.DC, MC: f.MC}
	}
	if *rewardTimeout < 0 || (flagGiven(fs, "reward-timeout") && !(*rewardTimeout > 0)) {
		return usageErrorf("--reward-timeout must be a positive number of seconds")
	}
	if err := setReward(&spec.Config, *rewardFlag, *rewardTimeout); err != nil {
		return err
	}
	runs, err := spec.Runs(*out)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("compare: cannot find the collm executable for the workers: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "compare %s: %d runs (%d conditions x %d algorithms x %d seeds), %d env steps each, %d at a time\n",
		*out, len(runs), len(runs)/len(spec.Algorithms)/len(spec.Seeds), len(spec.Algorithms), len(spec.Seeds), *envSteps, *jobs)
	table := &liveTable{w: stdout, terminal: isTerminal(stdout)}
	sum, err := maac.Compare(ctx, *out, spec, maac.CompareOptions{
		Jobs:       *jobs,
		Force:      *force,
		Launch:     workerLauncher(exe, *jobs),
		OnProgress: table.show,
	})
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: every run stopped at a checkpoint; run the same command again to continue")
	}
	if err != nil {
		return err
	}
	printSummary(stdout, sum)
	fmt.Fprintf(stdout, "summary: %s, %s\n", filepath.Join(*out, "summary.json"), filepath.Join(*out, "summary.csv"))
	report := filepath.Join(*out, "report.html")
	if err := widgets.WriteCompareReport(report, *out); err != nil {
		// The summary stands without the charts (e.g. before `collm kernel install` fetched ECharts).
		fmt.Fprintf(stderr, "collm compare: no report: %v\n", err)
		return nil
	}
	fmt.Fprintf(stdout, "report: %s\n", report)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// workerLauncher trains each run in a `collm train` worker process (exe) writing to the run's
// train.log, with cores/jobs compute threads. An interrupt reaches the worker as SIGINT, on which
// it saves a checkpoint and exits; a worker whose parent dies gets the same signal.
func workerLauncher(exe string, jobs int) func(context.Context, maac.CompareRun) error {
	threads := max(runtime.NumCPU()/jobs, 1)
	if jobs == 1 {
		threads = -1
	}
	return func(ctx context.Context, run maac.CompareRun) error {
		if err := os.MkdirAll(run.Dir, 0o755); err != nil {
			return err
		}
		args := []string{"train", "--out", run.Dir, "--env-steps", strconv.Itoa(run.EnvSteps)}
		var stdin io.Reader
		if _, err := os.Stat(filepath.Join(run.Dir, "config.json")); err == nil {
			args = append(args, "--resume")
		} else {
			cfg, err := json.Marshal(run.Config)
			if err != nil {
				return err
			}
			args = append(args, "--config", "-")
			stdin = strings.NewReader(string(cfg))
		}
		logFile, err := os.OpenFile(filepath.Join(run.Dir, "train.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer logFile.Close()
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, logFile, logFile
		cmd.Env = workerEnv(threads)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGINT}
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 2 * time.Minute
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%v (see %s): %s", err, filepath.Join(run.Dir, "train.log"), lastLine(filepath.Join(run.Dir, "train.log")))
		}
		return nil
	}
}

// workerEnv is this process's environment with the worker's thread count for the pure-Go
// backend (another backend, such as XLA, is left as it is).
func workerEnv(threads int) []string {
	env := os.Environ()
	if b := os.Getenv("GOMLX_BACKEND"); b != "" && !strings.HasPrefix(b, "go") {
		return env
	}
	return append(env, fmt.Sprintf("GOMLX_BACKEND=go:parallelism=%d", threads))
}

func lastLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return lines[len(lines)-1]
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// liveTable shows a comparison's progress: on a terminal a table redrawn in place (runs done /
// running / queued, each running run's env steps and return, an ETA); elsewhere a line whenever
// a run finishes.
type liveTable struct {
	w        io.Writer
	terminal bool
	lastDone int
	drawn    int // lines of the last drawing
}

func (l *liveTable) show(s maac.CompareStatus) {
	done, failed := s.Count(maac.RunDone), s.Count(maac.RunFailed)
	head := s.Headline()
	if !l.terminal {
		if done+failed != l.lastDone {
			l.lastDone = done + failed
			fmt.Fprintln(l.w, head)
		}
		return
	}
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\033[%dA\033[J", l.drawn)
	}
	lines := []string{head}
	for _, r := range s.Runs {
		if r.State == maac.RunRunning {
			lines = append(lines, fmt.Sprintf("  %-40s %6d / %d env steps  return %.3f", r.Run.Name, r.EnvStep, r.Run.EnvSteps, r.Return))
		}
	}
	for _, line := range lines {
		b.WriteString(line + "\n")
	}
	l.drawn = len(lines)
	io.WriteString(l.w, b.String())
}

// printSummary prints one line per (condition, algorithm): final return with its CI, and the
// difference to the first algorithm with its p-value.
func printSummary(w io.Writer, s *maac.CompareSummary) {
	fmt.Fprintf(w, "%-28s %-12s %-28s %-10s %s\n", "condition", "algo", "final return [95% CI]", "auc", "vs first: diff [95% CI], p")
	for _, r := range s.Rows {
		cond := maac.ConditionName(r.Condition)
		vs := ""
		if d := r.VsFirst; d != nil {
			vs = fmt.Sprintf("%+.3f [%+.3f, %+.3f] vs %s, p=%.3f", d.Mean, d.CI95[0], d.CI95[1], d.Baseline, d.PValue)
		}
		fmt.Fprintf(w, "%-28s %-12s %.3f [%.3f, %.3f]%6s %-10.3f %s\n", cond, r.Algo, r.FinalReturnMean,
			r.FinalReturnCI95[0], r.FinalReturnCI95[1], "", r.AUCMean, vs)
	}
}
