package coding

import (
	"fmt"
	"time"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/coding/sandbox"
)

// Options shared by the registered coding envs.
var commonOptions = []envs.Option{
	{Name: "agents", Default: "2", Help: "2 = helper aux + entry point, 1 = entry point only"},
	{Name: "turns", Default: "2", Help: "turns per episode (1..4)"},
	{Name: "feedback", Default: FeedbackLevel, Help: "between turns: level_feedback (diagnostics + first test), passed (binary), plain (self-revision)"},
	{Name: "workers", Default: "0", Help: "concurrent sandbox runs per env; 0 = number of CPUs"},
	{Name: "python", Default: "", Help: "Python interpreter; empty = /usr/bin/python3, else python3 on PATH"},
	{Name: "memory_mb", Default: "1024", Help: "address-space limit of every sandboxed process, MiB"},
	{Name: "max_timeouts", Default: "3", Help: "stop testing after this many timed-out tests"},
}

func withOptions(extra ...envs.Option) []envs.Option {
	return append(append([]envs.Option(nil), extra...), commonOptions...)
}

// configFromOptions reads the common options into a Config.
func configFromOptions(o *envs.Options) Config {
	return Config{
		Agents:   o.IntRange("agents", 1, 2),
		Turns:    o.IntRange("turns", 1, 4),
		Feedback: o.Choice("feedback", FeedbackLevel, FeedbackPassed, FeedbackPlain),
		Workers:  o.IntRange("workers", 0, 1024),
		Judge: JudgeConfig{
			TestTimeout: time.Duration(o.Float("test_timeout") * float64(time.Second)),
			MaxTimeouts: o.IntRange("max_timeouts", 1, 1000),
			Sandbox: sandbox.Config{
				Python:      o.String("python"),
				MemoryBytes: int64(o.IntRange("memory_mb", 64, 1<<20)) << 20,
			},
		},
	}
}

func init() {
	registerDataset("humaneval", "HumanEval coding (164 problems): agent 1 writes aux, agent 2 the entry point; sandboxed tests, reward in [-4, 0]",
		"path of HumanEval.jsonl(.gz) (required; download "+HumanEvalURL+")", HumanEvalURL, LoadHumanEval)
	registerDataset("mbpp", "MBPP coding: agent 1 writes aux, agent 2 the tested function; sandboxed tests, reward in [-4, 0]",
		"path of the MBPP JSONL (fields text, code, test_list, task_id; required; download "+MBPPURL+")", MBPPURL, LoadMBPP)
	envs.Register(envs.Registration{
		Name:    "coding-mini",
		Summary: "CPU-scale coding: arithmetic one-liners, aux + f bodies after given headers, word-level vocabulary, real sandboxed asserts, reward in [-1, 0]",
		Options: withOptions(
			envs.Option{Name: "dense", Default: "true", Help: "true = every turn pays the level-gated points scaled to [-1, 0]; false = only the last turn pays: 0 on success, else -1"},
			envs.Option{Name: "shaping", Default: "true", Help: "dense only: while the joint program does not parse, grade each function's level-1 credit by how close its body is to one complete expression (shaped points <= 1.45 of 4, below level 2); false = the exact level-gated reward"},
			envs.Option{Name: "templates", Default: "6", Help: "problem templates used, in order (1 = A*x+B only ... 6 = all); 16 tasks each"},
			envs.Option{Name: "test_timeout", Default: "2", Help: "seconds per test"},
			envs.Option{Name: "demos", Default: DemosCanonical, Help: "demonstrations for a warm start: canonical = the canonical joint answer; varied = every correct way to write each function, drawn independently per agent (a base model without a shared convention)"},
		),
		New: func(o *envs.Options) (envs.Env, error) {
			cfg := configFromOptions(o)
			mo := MiniOptions{Sparse: !o.Bool("dense"), NoShaping: !o.Bool("shaping"), Templates: o.IntRange("templates", 1, len(miniTemplates)),
				Demos: o.Choice("demos", DemosCanonical, DemosVaried)}
			if err := o.Err(); err != nil {
				return nil, err
			}
			return NewMiniEnv(cfg, mo)
		},
	})
}

// registerDataset registers a coding env over a user's problems file (option data).
func registerDataset(name, summary, dataHelp, url string, load func(string) ([]Problem, error)) {
	envs.Register(envs.Registration{
		Name:    name,
		Summary: summary,
		Options: withOptions(
			envs.Option{Name: "data", Default: "", Help: dataHelp},
			envs.Option{Name: "test_timeout", Default: "10", Help: "seconds per test"},
		),
		New: func(o *envs.Options) (envs.Env, error) {
			return newDatasetEnv(o, name, url, load)
		},
	})
}

func newDatasetEnv(o *envs.Options, name, url string, load func(string) ([]Problem, error)) (envs.Env, error) {
	cfg := configFromOptions(o)
	path := o.String("data")
	if err := o.Err(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("option data=PATH is required: the %s problems file (download %s)", name, url)
	}
	ps, err := load(path)
	if err != nil {
		return nil, err
	}
	cfg.Name, cfg.Problems = name, ps
	return NewEnv(cfg)
}
