package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/collm/collm/envs"
	_ "github.com/collm/collm/envs/all" // registers every environment
	"github.com/collm/collm/envs/pyreward"
	"github.com/collm/collm/maac"
)

func init() {
	register(&command{
		name:    "train",
		summary: "train agents in an env with an algorithm, writing DIR/config.json, metrics.jsonl, checkpoint/",
		run:     runTrain,
	})
	register(&command{
		name:    "algos",
		summary: "list the training algorithms (--json: as a JSON array)",
		run:     runAlgos,
	})
}

func runAlgos(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("algos", stderr)
	asJSON := fs.Bool("json", false, "print the algorithm table as a JSON array of objects (name, critic, description, config_section, single_agent)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("unexpected arguments %q", rest)
	}
	if *asJSON {
		data, err := json.MarshalIndent(maac.Algorithms(), "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", data)
		return err
	}
	for _, a := range maac.Algorithms() {
		fmt.Fprintf(stdout, "%-12s %-30s %s\n", a.Name, "critic: "+string(a.Critic), a.Description)
	}
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	envName := fs.String("env", "", "the environment `NAME` (collm envs lists them)")
	var envOpts, agentModels stringList
	fs.Var(&envOpts, "env-opt", "environment option name=value (repeatable)")
	fs.Var(&agentModels, "agent", "model of the next agent: a preset (tiny, small) or a checkpoint directory, for a preset optionally with its tokenizer as tiny:bytes or tiny:env (repeatable; default tiny for each, with the env's vocabulary when it has one)")
	algo := fs.String("algo", "", "the `ALGORITHM` to train (collm algos lists them; default cc)")
	updates := fs.Int("updates", 0, "train until this many updates are done (counting those of a resumed run)")
	envSteps := fs.Int("env-steps", 0, "instead of --updates: train until the first update that reaches this many env steps (counting those of a resumed run)")
	seed := fs.Uint64("seed", 0, "seed of the run (overrides the config file's)")
	out := fs.String("out", "", "run directory")
	configPath := fs.String("config", "", "JSON file with a run config (env, algorithm, cc/dc/mc settings), - for standard input; flags override it")
	resume := fs.Bool("resume", false, "continue the run in --out from its latest checkpoint")
	saveEvery := fs.Int("save-every", 0, "checkpoint every this many updates, and at the end (default: the run's save_every, 10 unless its config sets it; given, it is stored in config.json, also on --resume)")
	rewardFlag := fs.String("reward", "", "replace the env's reward by a Python function, `FILE.py:FUNC` (see README, Prototyping rewards); the env's own reward is logged as info/env_reward/mean")
	rewardTimeout := fs.Float64("reward-timeout", 0, "most `SECONDS` one call of the --reward function may take (default 60; may be changed on --resume)")
	warmStart := fs.Int("warm-start", 0, "supervised steps on the env's demonstrations before the first update (warm_start_steps; e.g. coding-mini with --env-opt demos=varied)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageErrorf("unexpected arguments %q", rest)
	case *out == "":
		return usageErrorf("--out DIR is required")
	case *updates < 0 || *envSteps < 0 || (*updates == 0) == (*envSteps == 0):
		return usageErrorf("give one positive budget: --updates N or --env-steps N")
	case flagGiven(fs, "save-every") && *saveEvery <= 0:
		return usageErrorf("--save-every must be positive")
	case *warmStart < 0:
		return usageErrorf("--warm-start must be >= 0")
	case flagGiven(fs, "reward-timeout") && !(*rewardTimeout > 0):
		return usageErrorf("--reward-timeout must be a positive number of seconds")
	}
	seedSet := flagGiven(fs, "seed")

	var trainer *maac.Trainer
	var rd *maac.RunDir
	if *resume {
		if *envName != "" || *algo != "" || *configPath != "" || len(envOpts) > 0 || len(agentModels) > 0 || seedSet || *warmStart > 0 || *rewardFlag != "" {
			return usageErrorf("--resume takes the run's settings from %s/config.json: drop --env, --env-opt, --agent, --algo, --seed, --warm-start, --reward and --config", *out)
		}
		trainer, rd, err = maac.ResumeWith(*out, maac.ResumeOptions{RewardTimeout: *rewardTimeout})
		if err == nil && *saveEvery > 0 {
			if serr := rd.SetSaveEvery(*saveEvery); serr != nil {
				rd.Close()
				return serr
			}
		}
	} else {
		cfg, cerr := trainConfig(*configPath, os.Stdin, *envName, envOpts, agentModels, *algo, *seed, seedSet, *warmStart)
		if cerr != nil {
			return cerr
		}
		if *saveEvery > 0 {
			cfg.SaveEvery = *saveEvery
		}
		if err := setReward(&cfg, *rewardFlag, *rewardTimeout); err != nil {
			return err
		}
		trainer, rd, err = maac.Create(*out, cfg)
	}
	if err != nil {
		return err
	}
	defer rd.Close()
	budget := fmt.Sprintf("update %d of %d", trainer.Updates(), *updates)
	if *envSteps > 0 {
		budget = fmt.Sprintf("env step %d of %d", trainer.EnvSteps(), *envSteps)
	}
	fmt.Fprintf(stdout, "run %s: %s on %s, %d agents, %s\n", *out, trainer.Algorithm(), trainer.Env.Spec().Name, len(trainer.Agents), budget)
	start := time.Now()
	every := trainer.Config().SaveEvery
	saved := trainer.Updates() // the update of the latest checkpoint, 0 for none
	trainer.OnUpdate(func(u maac.UpdateInfo) error {
		m := u.Metrics
		if first, ok := m[maac.MetricWarmStartLossFirst]; ok {
			fmt.Fprintf(stdout, "warm start: loss %.3f -> %.3f in %.1fs\n", first, m[maac.MetricWarmStartLossLast], m[maac.MetricTimeWarmStart])
		}
		progress := fmt.Sprintf("update %d/%d  env_step %d", u.Update, *updates, u.EnvStep)
		if *envSteps > 0 {
			progress = fmt.Sprintf("update %d  env_step %d/%d", u.Update, u.EnvStep, *envSteps)
		}
		fmt.Fprintf(stdout, "%s  return %.4f  episode_return %.4f  %.2fs\n",
			progress, m[maac.MetricReturnMean], m[maac.MetricEpisodeReturnMean], m[maac.MetricTimeUpdate])
		if u.Update%every == 0 {
			if err := trainer.SaveCheckpoint(rd.CheckpointPath()); err != nil {
				return err
			}
			saved = u.Update
		}
		return nil
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var trainErr error
	if *envSteps > 0 {
		trainErr = trainer.TrainToEnvSteps(ctx, *envSteps)
	} else {
		trainErr = trainer.Train(ctx, *updates-trainer.Updates())
	}
	var diverged *maac.DivergedError
	if errors.As(trainErr, &diverged) {
		if saved == 0 {
			return fmt.Errorf("%w; no checkpoint was saved before (one every %d updates)", trainErr, every)
		}
		return fmt.Errorf("%w; the checkpoint of update %d (%s) is the last good state", trainErr, saved, rd.CheckpointPath())
	}
	var rolloutErr *maac.RolloutError
	failedRollout := errors.As(trainErr, &rolloutErr)
	if trainErr != nil && !errors.Is(trainErr, context.Canceled) && !failedRollout {
		return trainErr
	}
	if err := trainer.SaveCheckpoint(rd.CheckpointPath()); err != nil {
		return err
	}
	if failedRollout {
		return fmt.Errorf("%w\nupdate %d stopped in its rollout, before any weight changed; checkpoint of update %d saved: fix the cause and continue with --resume",
			trainErr, rolloutErr.Update, trainer.Updates())
	}
	if trainErr != nil {
		return fmt.Errorf("interrupted after update %d; checkpoint saved, continue with --resume", trainer.Updates())
	}
	fmt.Fprintf(stdout, "done: %d updates, %d env steps in %.1fs; metrics %s, checkpoint %s\n", trainer.Updates(),
		trainer.EnvSteps(), time.Since(start).Seconds(), rd.MetricsPath(), rd.CheckpointPath())
	return nil
}

// flagGiven reports whether the flag called name was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// trainConfig assembles the run config from the config file and the flags.
func trainConfig(path string, stdin io.Reader, env string, envOpts, agents []string, algo string, seed uint64, seedSet bool, warmStart int) (maac.RunConfig, error) {
	var cfg maac.RunConfig
	if path != "" {
		data, err := readInput(path, stdin)
		if err != nil {
			return cfg, err
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if env != "" {
		cfg.Env = env
	}
	if len(envOpts) > 0 {
		opts, err := envs.ParseOptions(envOpts)
		if err != nil {
			return cfg, usageErrorf("%v", err)
		}
		cfg.EnvOptions = opts
	}
	if cfg.Env == "" {
		return cfg, usageErrorf("--env NAME is required (see `collm envs`)")
	}
	for _, m := range agents {
		spec := maac.AgentSpec{Model: m}
		if model, tok, ok := strings.Cut(m, ":"); ok && (tok == maac.TokenizerEnv || tok == maac.TokenizerBytes) {
			spec = maac.AgentSpec{Model: model, Tokenizer: tok}
		}
		cfg.Agents = append(cfg.Agents, spec)
	}
	if algo != "" {
		cfg.Algorithm = algo
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = "cc"
	}
	if seedSet || warmStart > 0 {
		err := cfg.SetCommon(func(c *maac.Common) {
			if seedSet {
				c.Seed = seed
			}
			if warmStart > 0 {
				c.WarmStartSteps = warmStart
			}
		})
		if err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// setReward sets the run's Python reward from --reward (its file made absolute, so that the
// run resumes from any directory) and --reward-timeout.
func setReward(cfg *maac.RunConfig, spec string, timeout float64) error {
	if spec != "" {
		file, fn, err := pyreward.ParseSpec(spec)
		if err != nil {
			return usageErrorf("--reward: %v", err)
		}
		if file, err = filepath.Abs(file); err != nil {
			return usageErrorf("--reward: %v", err)
		}
		cfg.Reward = file + ":" + fn
	}
	if timeout > 0 {
		cfg.RewardTimeout = timeout
	}
	return nil
}
