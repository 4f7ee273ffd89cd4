package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/collm/collm/envs"
	_ "github.com/collm/collm/envs/all" // registers every built-in env
)

func init() {
	register(&command{
		name:    "envs",
		summary: "list the environments with their options (--json for machine-readable output)",
		run:     runEnvs,
	})
	register(&command{
		name:        "env",
		summary:     "`env score` scores responses in an environment; `env prompts` prints a task's prompts",
		subcommands: []string{"score", "prompts"},
		run:         runEnv,
	})
}

func runEnvs(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("envs", stderr)
	asJSON := fs.Bool("json", false, "print a JSON array of {name, summary, options}")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("unexpected arguments %q", pos)
	}
	regs := envs.List()
	if *asJSON {
		type opt struct{ Name, Default, Help string }
		type env struct {
			Name, Summary string
			Options       []opt
		}
		out := []env{}
		for _, r := range regs {
			e := env{Name: r.Name, Summary: r.Summary, Options: []opt{}}
			for _, o := range r.Options {
				e.Options = append(e.Options, opt(o))
			}
			out = append(out, e)
		}
		return writeJSON(stdout, out)
	}
	for i, r := range regs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s\n  %s\n", r.Name, r.Summary)
		for _, o := range r.Options {
			fmt.Fprintf(stdout, "  --env-opt %s=%s\n      %s\n", o.Name, o.Default, o.Help)
		}
	}
	return nil
}

// envFlags are the flags that choose an environment and a task; other commands may reuse them.
type envFlags struct {
	name string
	opts envOptFlag
	task string
	seed int64
}

// envOptFlag collects repeated --env-opt name=value flags.
type envOptFlag []string

func (f *envOptFlag) String() string     { return strings.Join(*f, ",") }
func (f *envOptFlag) Set(v string) error { *f = append(*f, v); return nil }

func addEnvFlags(fs *flag.FlagSet) *envFlags {
	e := &envFlags{}
	fs.StringVar(&e.name, "env", "", "environment `name`, as listed by collm envs (required)")
	fs.Var(&e.opts, "env-opt", "environment option name=value (repeatable)")
	fs.StringVar(&e.task, "task", "0", "task id (e.g. HumanEval/0) or 0-based task index")
	fs.Int64Var(&e.seed, "seed", 0, "episode seed")
	return e
}

// reset builds the env and starts the episode of the chosen task. Wrong names, options and
// task ids are usage errors.
func (e *envFlags) reset() (envs.Env, envs.State, error) {
	if e.name == "" {
		return nil, nil, usageErrorf("--env is required; `collm envs` lists the environments")
	}
	values, err := envs.ParseOptions(e.opts)
	if err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	if _, err := envs.Lookup(e.name); err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	env, err := envs.New(e.name, values)
	if err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	task, err := taskIndex(env, e.task)
	if err != nil {
		return nil, nil, usageErrorf("--task: %v", err)
	}
	st, err := env.Reset(task, e.seed)
	if err != nil {
		return nil, nil, err
	}
	return env, st, nil
}

// taskIndex resolves a task id of the env's dataset, or else a 0-based index.
func taskIndex(env envs.Env, id string) (int, error) {
	namer, hasIDs := env.(envs.TaskNamer)
	if hasIDs {
		if i, err := namer.TaskIndex(id); err == nil {
			return i, nil
		}
	}
	i, err := strconv.Atoi(id)
	if err != nil {
		if hasIDs {
			_, err := namer.TaskIndex(id)
			return 0, fmt.Errorf("%v, and %q is not a task index either", err, id)
		}
		return 0, fmt.Errorf("%q is not a task index (this env has no task ids)", id)
	}
	if i < 0 || i >= env.NumTasks() {
		return 0, fmt.Errorf("task index %d out of range [0, %d)", i, env.NumTasks())
	}
	return i, nil
}

func runEnv(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "score" && args[0] != "prompts") {
		return usageErrorf("want `collm env score --env NAME [--env-opt k=v ...] [--task ID] [--seed N] --responses FILE.json` " +
			"or `collm env prompts --env NAME [--env-opt k=v ...] [--task ID]`")
	}
	sub := args[0]
	fs := newFlagSet("env "+sub, stderr)
	ef := addEnvFlags(fs)
	var responses *string
	if sub == "score" {
		responses = fs.String("responses", "", "JSON file (- for stdin): an array with one response per agent, "+
			"or an array of such arrays, one per turn (required). Prints the reward (summed over the turns played), "+
			"the parts and info of the last turn, and the next prompts (feedback) while the episode goes on")
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("unexpected arguments %q", pos)
	}
	if sub == "score" && *responses == "" {
		return usageErrorf("--responses is required")
	}
	env, st, err := ef.reset()
	if err != nil {
		return err
	}
	if sub == "prompts" {
		return writeJSON(stdout, st.Prompts())
	}
	turns, err := readResponses(*responses, os.Stdin)
	if err != nil {
		return usageErrorf("%v", err)
	}
	spec := env.Spec()
	if len(turns) > spec.MaxTurns {
		return usageErrorf("--responses has %d turns, env %s has at most %d", len(turns), spec.Name, spec.MaxTurns)
	}
	type turnResult struct {
		Turn     int                `json:"turn"`
		Reward   float64            `json:"reward"`
		Parts    map[string]float64 `json:"parts"`
		Info     map[string]float64 `json:"info,omitempty"`
		Done     bool               `json:"done"`
		Feedback []string           `json:"feedback,omitempty"`
	}
	var results []turnResult
	total := 0.0
	for i, joint := range turns {
		if st == nil {
			return usageErrorf("--responses has %d turns but the episode ended after %d", len(turns), i)
		}
		tr, err := st.Step(joint)
		if err != nil {
			return usageErrorf("turn %d: %v", i, err)
		}
		res := turnResult{Turn: i, Reward: tr.Reward, Parts: tr.Parts, Info: tr.Info, Done: tr.Done}
		if res.Parts == nil {
			res.Parts = map[string]float64{}
		}
		if tr.Next != nil {
			res.Feedback = tr.Next.Prompts()
		}
		results = append(results, res)
		total += tr.Reward
		st = tr.Next
	}
	last := results[len(results)-1]
	out := map[string]any{"reward": total, "parts": last.Parts, "info": last.Info, "done": last.Done}
	if last.Feedback != nil {
		out["feedback"] = last.Feedback
	}
	if len(results) > 1 {
		out["turns"] = results
	}
	return writeJSON(stdout, out)
}

// readInput reads the file at path, or stdin when path is "-".
func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(path)
}

// readResponses reads the joint responses of one or more turns from a JSON file ("-": stdin).
func readResponses(path string, stdin io.Reader) ([][]string, error) {
	data, err := readInput(path, stdin)
	if err != nil {
		return nil, fmt.Errorf("--responses: %w", err)
	}
	const want = "want a JSON array of strings (one response per agent) or an array of such arrays (one per turn)"
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("--responses %s: %s: %v", path, want, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("--responses %s: empty array; %s", path, want)
	}
	if t := bytes.TrimSpace(raw[0]); len(t) > 0 && t[0] == '[' {
		var turns [][]string
		if err := json.Unmarshal(data, &turns); err != nil {
			return nil, fmt.Errorf("--responses %s: %s: %v", path, want, err)
		}
		return turns, nil
	}
	var joint []string
	if err := json.Unmarshal(data, &joint); err != nil {
		return nil, fmt.Errorf("--responses %s: %s: %v", path, want, err)
	}
	return [][]string{joint}, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return errors.New("cannot encode the result as JSON: " + err.Error())
	}
	return nil
}
