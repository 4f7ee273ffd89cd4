package coding

import (
	"context"
	"fmt"
	"strings"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
)

// Feedback modes between turns.
const (
	FeedbackLevel  = "level_feedback" // syntax/AST diagnostics + pass/fail of the first test (default)
	FeedbackPassed = "passed"         // binary: did all tests pass
	FeedbackPlain  = "plain"          // no external signal: self-revision
)

// Prompter writes the agents' prompts. Agent 0 writes aux when there are two agents; the last
// agent writes the entry point.
type Prompter interface {
	// Initial is agent's turn-0 prompt.
	Initial(p *Problem, agent, agents int) string
	// Next is agent's prompt for the next turn, given its previous response and the feedback
	// text (empty in plain mode).
	Next(p *Problem, agent, agents int, previous, feedback string) string
	// Feedback renders a judgment in the given mode.
	Feedback(p *Problem, j *Judgment, mode string, agents int) string
}

// Completer is an optional capability of a Prompter whose prompts end with the start of the
// answer, such as the function header "def aux(x):return ": the env prepends Start to each
// response (after the stop sequences) before judging, scoring and showing it in later prompts,
// as HumanEval prompts end with the signature and the model writes the body.
type Completer interface {
	Start(p *Problem, agent, agents int) string
}

// Config configures a coding Env.
type Config struct {
	Name     string    // registry name shown in Spec; default "coding"
	Problems []Problem // the tasks; required
	Agents   int       // 2 (aux + main, default) or 1 (main only)
	Turns    int       // turns per episode; default 2
	Feedback string    // FeedbackLevel (default), FeedbackPassed or FeedbackPlain
	Judge    JudgeConfig
	// Workers bounds concurrent judge runs of this env (Step may be called from many
	// goroutines); it overrides Judge.Workers when > 0. Default runtime.NumCPU().
	Workers  int
	Prompter Prompter // default HumanEvalPrompter
	// Stop are stop sequences: each response is cut before the first occurrence of any of them
	// before it is judged, scored and shown in later prompts, as code benchmarks cut
	// completions at "\ndef" or "\nclass". Default none; coding-mini uses "\n".
	Stop []string
	// Scheme computes the reward from reward.Input with Data = *Judgment. Default SpecScheme().
	Scheme reward.Scheme
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	switch {
	case len(c.Problems) == 0:
		return fmt.Errorf("coding: Config.Problems is empty: load a dataset (LoadHumanEval, LoadMBPP)")
	case c.Agents < 0 || c.Agents > 2:
		return fmt.Errorf("coding: Agents=%d: want 1 or 2 (0 for 2)", c.Agents)
	case c.Turns < 0:
		return fmt.Errorf("coding: Turns=%d: want >= 1 (0 for 2)", c.Turns)
	case c.Workers < 0:
		return fmt.Errorf("coding: Workers=%d: want >= 1 (0 for the number of CPUs)", c.Workers)
	}
	switch c.Feedback {
	case "", FeedbackLevel, FeedbackPassed, FeedbackPlain:
	default:
		return fmt.Errorf("coding: Feedback=%q: want %s, %s or %s", c.Feedback, FeedbackLevel, FeedbackPassed, FeedbackPlain)
	}
	for i, stop := range c.Stop {
		if stop == "" {
			return fmt.Errorf("coding: Stop[%d] is empty: a stop sequence must have at least one character", i)
		}
	}
	for i, p := range c.Problems {
		if p.ID == "" || p.EntryPoint == "" || (p.Test == "" && len(p.Asserts) == 0) {
			return fmt.Errorf("coding: Problems[%d] (%q): ID, EntryPoint and Test or Asserts are required", i, p.ID)
		}
	}
	return c.Judge.Validate()
}

// Env is a coding environment over a problem set. It implements envs.Env and envs.TaskNamer.
type Env struct {
	cfg   Config
	judge *Judge
	index map[string]int
	// specScheme is true when cfg.Scheme is the default SpecScheme, whose scale
	// TerminationThreshold knows.
	specScheme bool
}

// NewEnv validates cfg and builds the env and its sandboxed judge.
func NewEnv(cfg Config) (*Env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "coding"
	}
	if cfg.Agents == 0 {
		cfg.Agents = 2
	}
	if cfg.Turns == 0 {
		cfg.Turns = 2
	}
	if cfg.Feedback == "" {
		cfg.Feedback = FeedbackLevel
	}
	if cfg.Prompter == nil {
		cfg.Prompter = HumanEvalPrompter{}
	}
	specScheme := cfg.Scheme == nil
	if specScheme {
		cfg.Scheme = SpecScheme()
	}
	jc := cfg.Judge
	if cfg.Workers > 0 {
		jc.Workers = cfg.Workers
	}
	judge, err := NewJudge(jc)
	if err != nil {
		return nil, err
	}
	e := &Env{cfg: cfg, judge: judge, index: map[string]int{}, specScheme: specScheme}
	for i, p := range cfg.Problems {
		if _, dup := e.index[p.ID]; dup {
			return nil, fmt.Errorf("coding: problem id %q appears twice", p.ID)
		}
		e.index[p.ID] = i
	}
	return e, nil
}

// Spec implements envs.Env.
func (e *Env) Spec() envs.Spec {
	return envs.Spec{Name: e.cfg.Name, NumAgents: e.cfg.Agents, MaxTurns: e.cfg.Turns}
}

// NumTasks implements envs.Env.
func (e *Env) NumTasks() int { return len(e.cfg.Problems) }

// Problem returns task i's problem.
func (e *Env) Problem(i int) *Problem { return &e.cfg.Problems[i] }

// Judge returns the env's judge.
func (e *Env) Judge() *Judge { return e.judge }

// TaskID implements envs.TaskNamer.
func (e *Env) TaskID(task int) string { return e.cfg.Problems[task].ID }

// TaskIndex implements envs.TaskNamer.
func (e *Env) TaskIndex(id string) (int, error) {
	if i, ok := e.index[id]; ok {
		return i, nil
	}
	return 0, fmt.Errorf("env %s: no task %q", e.cfg.Name, id)
}

// Reset implements envs.Env. Episodes are deterministic; the seed is unused.
func (e *Env) Reset(task int, seed int64) (envs.State, error) {
	if task < 0 || task >= len(e.cfg.Problems) {
		return nil, fmt.Errorf("env %s: task %d out of range [0, %d)", e.cfg.Name, task, len(e.cfg.Problems))
	}
	p := &e.cfg.Problems[task]
	prompts := make([]string, e.cfg.Agents)
	for a := range prompts {
		prompts[a] = e.cfg.Prompter.Initial(p, a, e.cfg.Agents)
	}
	return &state{env: e, task: task, prompts: prompts}, nil
}

// Evaluate judges one joint response (one per agent) for task, bounded by the env's workers.
func (e *Env) Evaluate(ctx context.Context, task int, responses []string) (Judgment, error) {
	sub := Submission{Main: ExtractCode(responses[len(responses)-1])}
	if e.cfg.Agents == 2 {
		sub.Aux = ExtractCode(responses[0])
	}
	return e.judge.Evaluate(ctx, &e.cfg.Problems[task], sub)
}

// StopSequences implements envs.Stopper with Config.Stop.
func (e *Env) StopSequences() []string { return e.cfg.Stop }

// cut applies the stop sequences to responses (a new slice when there are any).
func (e *Env) cut(responses []string) []string {
	if len(e.cfg.Stop) == 0 {
		return responses
	}
	out := make([]string, len(responses))
	for i, r := range responses {
		for _, stop := range e.cfg.Stop {
			if k := strings.Index(r, stop); k >= 0 {
				r = r[:k]
			}
		}
		out[i] = r
	}
	return out
}

// complete prepends the Completer's starts to responses (a new slice), if the Prompter is one.
func (e *Env) complete(p *Problem, responses []string) []string {
	c, ok := e.cfg.Prompter.(Completer)
	if !ok {
		return responses
	}
	out := make([]string, len(responses))
	for i, r := range responses {
		out[i] = c.Start(p, i, e.cfg.Agents) + r
	}
	return out
}

type state struct {
	env     *Env
	task    int
	turn    int
	prompts []string
}

func (s *state) Turn() int { return s.turn }

func (s *state) Prompts() []string { return append([]string(nil), s.prompts...) }

// Step implements envs.State: it judges the joint response in the sandbox and never changes s.
func (s *state) Step(responses []string) (envs.Transition, error) {
	e := s.env
	if err := envs.CheckResponses(e.Spec(), responses); err != nil {
		return envs.Transition{}, err
	}
	responses = e.complete(&e.cfg.Problems[s.task], e.cut(responses))
	j, err := e.Evaluate(context.Background(), s.task, responses)
	if err != nil {
		return envs.Transition{}, err
	}
	last := s.turn+1 >= e.cfg.Turns
	res := e.cfg.Scheme.Score(reward.Input{
		Responses: responses, Prompts: s.Prompts(), Task: s.task, Turn: s.turn, Last: last, Data: &j,
	})
	pts, _ := Points(&j)
	info := map[string]float64{
		"tests_total": float64(j.Total), "tests_passed_count": float64(j.Passed()),
		"timeouts": float64(j.Timeouts()), "points": pts, "all_passed": 0, "judge_error": 0, "judge_retries": 0,
	}
	if j.Total > 0 && j.Passed() == j.Total {
		info["all_passed"] = 1
	}
	if j.JudgeError != "" {
		info["judge_error"] = 1
	}
	if j.Retried {
		info["judge_retries"] = 1
	}
	tr := envs.Transition{Reward: res.Total, Parts: res.Parts, Stopped: res.Stopped, Info: info}
	if last {
		tr.Done = true
		return tr, nil
	}
	p := &e.cfg.Problems[s.task]
	fb := ""
	if e.cfg.Feedback != FeedbackPlain {
		fb = e.cfg.Prompter.Feedback(p, &j, e.cfg.Feedback, e.cfg.Agents)
	}
	next := make([]string, e.cfg.Agents)
	for a := range next {
		next[a] = e.cfg.Prompter.Next(p, a, e.cfg.Agents, responses[a], fb)
	}
	tr.Next = &state{env: e, task: s.task, turn: s.turn + 1, prompts: next}
	return tr, nil
}
