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
	"time"

	"github.com/collm/collm/envs"
	_ "github.com/collm/collm/envs/all" // registers every built-in env
	"github.com/collm/collm/envs/pyreward"
	"github.com/collm/collm/widgets"
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

// build builds the env and resolves the chosen task. Wrong names, options and task ids are
// usage errors.
func (e *envFlags) build() (envs.Env, int, error) {
	if e.name == "" {
		return nil, 0, usageErrorf("--env is required; `collm envs` lists the environments")
	}
	values, err := envs.ParseOptions(e.opts)
	if err != nil {
		return nil, 0, usageErrorf("%v", err)
	}
	if _, err := envs.Lookup(e.name); err != nil {
		return nil, 0, usageErrorf("%v", err)
	}
	env, err := envs.New(e.name, values)
	if err != nil {
		return nil, 0, usageErrorf("%v", err)
	}
	task, err := taskIndex(env, e.task)
	if err != nil {
		return nil, 0, usageErrorf("--task: %v", err)
	}
	return env, task, nil
}

// taskIndex resolves a task id of the env's dataset, or else a 0-based index.
func taskIndex(env envs.Env, id string) (int, error) {
	namer, hasIDs := envs.As[envs.TaskNamer](env)
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
	var responses, rewardFlag *string
	var rewardTimeout *float64
	var table *bool
	if sub == "score" {
		responses = fs.String("responses", "", "JSON file (- for stdin): an array with one response per agent, "+
			"or an array of such arrays, one per turn (required). Prints the reward (summed over the turns played), "+
			"the parts and info of the last turn, and the next prompts (feedback) while the episode goes on. "+
			"An array of objects {\"label\": ..., \"responses\": [one per agent]} scores each as the first turn and prints a table of rows")
		rewardFlag = fs.String("reward", "", "score with a Python function `FILE.py:FUNC` in place of the env's reward (the env's own is in info.env_reward)")
		rewardTimeout = fs.Float64("reward-timeout", 60, "most `SECONDS` one call of the --reward function may take")
		table = fs.Bool("table", false, "with rows: print an aligned text table instead of JSON")
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
	if sub == "score" && !(*rewardTimeout > 0) {
		return usageErrorf("--reward-timeout must be a positive number of seconds")
	}
	env, task, err := ef.build()
	if err != nil {
		return err
	}
	if sub == "prompts" {
		st, err := env.Reset(task, ef.seed)
		if err != nil {
			return err
		}
		return writeJSON(stdout, st.Prompts())
	}
	turns, rows, err := readResponses(*responses, os.Stdin)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if *rewardFlag != "" {
		if _, _, err := pyreward.ParseSpec(*rewardFlag); err != nil {
			return usageErrorf("--reward: %v", err)
		}
		timeout := time.Duration(*rewardTimeout * float64(time.Second))
		derived, err := envs.Wrap(env, envs.WithRewardFrom(pyreward.Opener(*rewardFlag, pyreward.Options{Timeout: timeout, Stderr: stderr})))
		if err != nil {
			return err
		}
		defer derived.Close()
		env = derived
	}
	if rows != nil {
		return scoreRows(stdout, env, task, rows, *table)
	}
	st, err := env.Reset(task, ef.seed)
	if err != nil {
		return err
	}
	spec := env.Spec()
	if len(turns) > spec.MaxTurns {
		return usageErrorf("--responses has %d turns, env %s has at most %d", len(turns), spec.Name, spec.MaxTurns)
	}
	type turnResult struct {
		Turn     int                `json:"turn"`
		Reward   float64            `json:"reward"`
		Parts    map[string]float64 `json:"parts"`
		Stopped  string             `json:"stopped,omitempty"`
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
		if errors.As(err, new(*pyreward.Error)) {
			return fmt.Errorf("turn %d: %w", i, err)
		}
		if err != nil {
			return usageErrorf("turn %d: %v", i, err)
		}
		res := turnResult{Turn: i, Reward: tr.Reward, Parts: tr.Parts, Stopped: tr.Stopped, Info: tr.Info, Done: tr.Done}
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
	if last.Stopped != "" {
		out["stopped"] = last.Stopped
	}
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

// readResponses reads, from a JSON file ("-": stdin), the joint responses of one or more turns
// of an episode, or rows to score side by side: an array of {"label", "responses"} objects.
func readResponses(path string, stdin io.Reader) (turns [][]string, rows []envs.Row, err error) {
	data, err := readInput(path, stdin)
	if err != nil {
		return nil, nil, fmt.Errorf("--responses: %w", err)
	}
	const want = "want a JSON array of strings (one response per agent), an array of such arrays (one per turn), " +
		`or an array of objects {"label": "...", "responses": ["one per agent"]} (rows to compare)`
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("--responses %s: %s: %v", path, want, err)
	}
	if len(raw) == 0 {
		return nil, nil, fmt.Errorf("--responses %s: empty array; %s", path, want)
	}
	switch t := bytes.TrimSpace(raw[0]); {
	case len(t) > 0 && t[0] == '{':
		for i, r := range raw {
			var row struct {
				Label     string   `json:"label"`
				Responses []string `json:"responses"`
			}
			dec := json.NewDecoder(bytes.NewReader(r))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&row); err != nil {
				return nil, nil, fmt.Errorf("--responses %s: row %d: %s: %v", path, i, want, err)
			}
			if row.Responses == nil {
				return nil, nil, fmt.Errorf("--responses %s: row %d (%q) has no \"responses\"; %s", path, i, row.Label, want)
			}
			if row.Label == "" {
				row.Label = fmt.Sprintf("row %d", i)
			}
			rows = append(rows, envs.Row{Label: row.Label, Responses: row.Responses})
		}
		return nil, rows, nil
	case len(t) > 0 && t[0] == '[':
		if err := json.Unmarshal(data, &turns); err != nil {
			return nil, nil, fmt.Errorf("--responses %s: %s: %v", path, want, err)
		}
		return turns, nil, nil
	}
	var joint []string
	if err := json.Unmarshal(data, &joint); err != nil {
		return nil, nil, fmt.Errorf("--responses %s: %s: %v", path, want, err)
	}
	return [][]string{joint}, nil, nil
}

// scoreRows prints the score of each row at the first turn of task: as JSON ({"parts": names in
// the reward's order, "rows": [...]}) or as an aligned table.
func scoreRows(w io.Writer, env envs.Env, task int, rows []envs.Row, table bool) error {
	scores, parts, err := envs.ScoreRows(env, task, rows...)
	var pe *pyreward.Error
	if errors.As(err, &pe) {
		return err
	}
	if err != nil {
		return usageErrorf("%v", err)
	}
	if !table {
		type row struct {
			Label     string             `json:"label"`
			Responses []string           `json:"responses"`
			Reward    float64            `json:"reward"`
			Parts     map[string]float64 `json:"parts"`
			Stopped   string             `json:"stopped,omitempty"`
			Info      map[string]float64 `json:"info,omitempty"`
		}
		out := struct {
			Parts []string `json:"parts"`
			Rows  []row    `json:"rows"`
		}{Parts: parts}
		for _, s := range scores {
			p := s.Parts
			if p == nil {
				p = map[string]float64{}
			}
			out.Rows = append(out.Rows, row{s.Label, s.Responses, s.Reward, p, s.Stopped, s.Info})
		}
		return writeJSON(w, out)
	}
	_, err = io.WriteString(w, widgets.RewardTableText(scores, parts))
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return errors.New("cannot encode the result as JSON: " + err.Error())
	}
	return nil
}
