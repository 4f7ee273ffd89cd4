package envs

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/collm/collm/envs/reward"
)

// A derived env is a registered env whose reward is replaced by (or added to) a reward.Scheme:
// the way to prototype a reward without writing a new Env. It plays the base env's episodes
// (same tasks, prompts and feedback, which still come from the base's own scoring) and pays the
// new reward; the base's reward stays visible as Transition.Info["env_reward"], which trainers
// log as info/env_reward/mean, so the two can be compared.
//
//	brevity := reward.New(reward.Term("short", func(in reward.Input) float64 { ... })).Done()
//	envs.MustDerive("writing-mini", "writing-mini-brevity", envs.WithReward(brevity))
//
// A derivation is code, not data: a run's config.json names the derived env, and a process
// that reopens the run must have declared the same derivation first (in a notebook, as a
// declaration that every later cell re-runs; see Derive).

// Step is one joint action to play: a state and one response per agent.
type Step struct {
	State     State
	Responses []string
}

// BatchStepper is an Env that plays many joint actions in one call, as a reward served by
// another process does: StepBatch returns the transitions of steps, in order, as Step would
// one by one. Trainers step all the joint actions of a turn of a rollout with it.
type BatchStepper interface {
	StepBatch(steps []Step) ([]Transition, error)
}

// PartNamer is an Env that knows the names of its reward parts, in the order its reward scheme
// evaluates them (level gates first), so inspection tables can show them in that order.
type PartNamer interface {
	RewardParts() []string
}

// Unwrapper is an Env built around another one, such as a derived env. As looks through it
// for the optional capabilities the wrapper does not implement itself.
type Unwrapper interface {
	Unwrap() Env
}

// As returns env's optional capability T (TaskNamer, Stopper, Vocab, ...), looking through
// wrappers (Unwrapper) for one that implements it. A wrapper that implements T itself decides
// (a derived env implements Terminator, since the base's threshold is on the base's scale).
func As[T any](env Env) (T, bool) {
	for env != nil {
		if c, ok := env.(T); ok {
			return c, true
		}
		w, ok := env.(Unwrapper)
		if !ok {
			break
		}
		env = w.Unwrap()
	}
	var zero T
	return zero, false
}

// DeriveOption configures Derive and Wrap.
type DeriveOption func(*derivation) error

type derivation struct {
	open      func() (reward.BatchScheme, error)
	add       bool
	names     []string
	summary   string
	defaults  map[string]string
	threshold *float64
	name      string
}

// WithReward replaces the env's reward by the scheme's total; the scheme's components are the
// transition's parts (reward/<name>/mean).
func WithReward(s reward.Scheme) DeriveOption {
	return func(d *derivation) error {
		if s == nil {
			return errors.New("WithReward: nil scheme")
		}
		d.open, d.names = func() (reward.BatchScheme, error) { return reward.Batch(s), nil }, schemeNames(s)
		return nil
	}
}

// AddReward adds the scheme's total to the env's own reward; the scheme's components join the
// env's parts (a name both have is an error at the first step).
func AddReward(s reward.Scheme) DeriveOption {
	return func(d *derivation) error {
		if err := WithReward(s)(d); err != nil {
			return errors.New("AddReward: nil scheme")
		}
		d.add = true
		return nil
	}
}

// WithRewardFrom replaces the env's reward by a scheme that open builds for each env built
// (each run), such as a Python function (pyreward.Opener). The env owns the scheme: its Close
// closes it when the scheme is an io.Closer.
func WithRewardFrom(open func() (reward.BatchScheme, error)) DeriveOption {
	return func(d *derivation) error {
		if open == nil {
			return errors.New("WithRewardFrom: nil function")
		}
		d.open, d.names = open, nil
		return nil
	}
}

// WithSummary sets the line `collm envs` shows; the default names the base.
func WithSummary(summary string) DeriveOption {
	return func(d *derivation) error { d.summary = summary; return nil }
}

// WithDefaults changes the defaults of the base's options (e.g. {"turns": "2"}); options given
// when the env is built still override them.
func WithDefaults(values map[string]string) DeriveOption {
	return func(d *derivation) error { d.defaults = maps.Clone(values); return nil }
}

// WithTermination makes the derived env end an episode after a turn whose reward exceeds
// threshold (envs.Terminator), on the new reward's scale. Without it a derived env never ends
// early: the base's threshold is on the base's reward scale.
func WithTermination(threshold float64) DeriveOption {
	return func(d *derivation) error { d.threshold = &threshold; return nil }
}

func schemeNames(s reward.Scheme) []string {
	if c, ok := s.(interface{ Names() []string }); ok {
		return c.Names()
	}
	return nil
}

func newDerivation(opts []DeriveOption) (*derivation, error) {
	d := &derivation{}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if d.open == nil {
		return nil, errors.New("no reward: pass WithReward, AddReward or WithRewardFrom")
	}
	return d, nil
}

// Derive registers name as the env base with the reward the options give. The base must be
// registered; name must be new in this process. Every GoNB cell is a new process, so a
// notebook declares the derivation where every cell re-runs it: a package-level declaration
// (above %% in GoNB), such as
//
//	var brevityEnv = envs.MustDerive("writing-mini", "writing-mini-brevity", envs.WithReward(brevity))
func Derive(base, name string, opts ...DeriveOption) error {
	if name == "" {
		return errors.New("envs.Derive: empty name")
	}
	b, err := Lookup(base)
	if err != nil {
		return fmt.Errorf("envs.Derive %s: base: %w", name, err)
	}
	d, err := newDerivation(opts)
	if err != nil {
		return fmt.Errorf("envs.Derive %s: %w", name, err)
	}
	options := slices.Clone(b.Options)
	for k, v := range d.defaults {
		i := slices.IndexFunc(options, func(o Option) bool { return o.Name == k })
		if i < 0 {
			return fmt.Errorf("envs.Derive %s: WithDefaults: env %s has no option %q", name, base, k)
		}
		options[i].Default = v
	}
	summary := d.summary
	if summary == "" {
		how := "reward replaced"
		if d.add {
			how = "reward added"
		}
		summary = fmt.Sprintf("%s with its %s (derived env); %s", base, how, b.Summary)
	}
	d.name = name
	reg := Registration{Name: name, Base: base, Summary: summary, Options: options,
		New: func(o *Options) (Env, error) {
			values := maps.Clone(d.defaults)
			if values == nil {
				values = map[string]string{}
			}
			maps.Copy(values, o.values)
			env, err := New(base, values)
			if err != nil {
				return nil, err
			}
			return wrap(env, d)
		}}
	registryMu.Lock()
	defer registryMu.Unlock()
	if prev, dup := registry[name]; dup {
		if prev.Base != "" {
			return fmt.Errorf("envs.Derive: env %q is already derived from %s in this process; pick another name", name, prev.Base)
		}
		return fmt.Errorf("envs.Derive: %q is a built-in env; pick another name", name)
	}
	registry[name] = reg
	return nil
}

// MustDerive is Derive that panics on an error and returns name, for package-level
// declarations in a notebook.
func MustDerive(base, name string, opts ...DeriveOption) string {
	if err := Derive(base, name, opts...); err != nil {
		panic(err)
	}
	return name
}

// Wrap returns env with the reward the options give, under env's own name: what `collm train
// --reward FILE.py:FUNC` trains on. Close the result when done with it.
func Wrap(env Env, opts ...DeriveOption) (*Derived, error) {
	d, err := newDerivation(opts)
	if err != nil {
		return nil, fmt.Errorf("envs.Wrap %s: %w", env.Spec().Name, err)
	}
	d.name = env.Spec().Name
	return wrap(env, d)
}

func wrap(env Env, d *derivation) (*Derived, error) {
	scheme, err := d.open()
	if err != nil {
		return nil, fmt.Errorf("env %s: %w", d.name, err)
	}
	spec := env.Spec()
	spec.Name = d.name
	return &Derived{base: env, d: d, spec: spec, scheme: scheme}, nil
}

// Derived is an env with a new reward; see Derive. It implements Env, BatchStepper,
// Terminator, Unwrapper, PartNamer and io.Closer.
type Derived struct {
	base   Env
	d      *derivation
	spec   Spec
	scheme reward.BatchScheme
}

// Spec implements Env: the base's spec under the derived name.
func (e *Derived) Spec() Spec { return e.spec }

// NumTasks implements Env.
func (e *Derived) NumTasks() int { return e.base.NumTasks() }

// Unwrap implements Unwrapper: the base env.
func (e *Derived) Unwrap() Env { return e.base }

// Added reports whether the scheme adds to the base's reward instead of replacing it.
func (e *Derived) Added() bool { return e.d.add }

// RewardParts implements PartNamer: the scheme's component names when it lists them (after the
// base's own parts when the scheme adds to the base's reward).
func (e *Derived) RewardParts() []string {
	if !e.d.add {
		return slices.Clone(e.d.names)
	}
	var out []string
	if p, ok := e.base.(PartNamer); ok {
		out = p.RewardParts()
	}
	return append(out, e.d.names...)
}

// TerminationThreshold implements Terminator: only what WithTermination set.
func (e *Derived) TerminationThreshold() (float64, bool) {
	if e.d.threshold == nil {
		return 0, false
	}
	return *e.d.threshold, true
}

// Close closes the scheme when WithRewardFrom built it, and the base env, when they are
// io.Closers.
func (e *Derived) Close() error {
	var errs []error
	if c, ok := e.scheme.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	if c, ok := e.base.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Reset implements Env.
func (e *Derived) Reset(task int, seed int64) (State, error) {
	st, err := e.base.Reset(task, seed)
	if err != nil {
		return nil, err
	}
	return &derivedState{env: e, inner: st, task: task}, nil
}

type derivedState struct {
	env   *Derived
	inner State
	task  int
}

func (s *derivedState) Turn() int         { return s.inner.Turn() }
func (s *derivedState) Prompts() []string { return s.inner.Prompts() }

func (s *derivedState) Step(responses []string) (Transition, error) {
	trs, err := s.env.StepBatch([]Step{{State: s, Responses: responses}})
	if err != nil {
		return Transition{}, err
	}
	return trs[0], nil
}

// StepBatch implements BatchStepper: the base env plays every step, then the scheme scores all
// of them in one call.
func (e *Derived) StepBatch(steps []Step) ([]Transition, error) {
	trs := make([]Transition, len(steps))
	ins := make([]reward.Input, len(steps))
	namer, hasIDs := As[TaskNamer](e.base)
	for i, st := range steps {
		s, ok := st.State.(*derivedState)
		if !ok || s.env != e {
			return nil, fmt.Errorf("env %s: step %d: the state is not one of this env's", e.spec.Name, i)
		}
		tr, err := s.inner.Step(st.Responses)
		if err != nil {
			return nil, err
		}
		trs[i] = tr
		id := strconv.Itoa(s.task)
		if hasIDs {
			id = namer.TaskID(s.task)
		}
		ins[i] = reward.Input{Responses: slices.Clone(st.Responses), Prompts: s.inner.Prompts(), Task: s.task, TaskID: id,
			Turn: s.inner.Turn(), Last: tr.Done, EnvReward: tr.Reward, EnvParts: maps.Clone(tr.Parts)}
	}
	if len(steps) == 0 {
		return trs, nil
	}
	results, err := e.scheme.ScoreBatch(ins)
	if err != nil {
		return nil, fmt.Errorf("env %s: %w", e.spec.Name, err)
	}
	if len(results) != len(ins) {
		return nil, fmt.Errorf("env %s: reward: %d results for %d steps", e.spec.Name, len(results), len(ins))
	}
	for i, res := range results {
		tr := &trs[i]
		info := maps.Clone(tr.Info)
		if info == nil {
			info = map[string]float64{}
		}
		info["env_reward"] = tr.Reward
		if e.d.add {
			parts := maps.Clone(tr.Parts)
			if parts == nil {
				parts = map[string]float64{}
			}
			for k, v := range res.Parts {
				if _, clash := parts[k]; clash {
					return nil, fmt.Errorf("env %s: reward part %q is also one of env %s's own parts: rename the component",
						e.spec.Name, k, e.base.Spec().Name)
				}
				parts[k] = v
			}
			tr.Reward += res.Total
			tr.Parts = parts
			if tr.Stopped == "" {
				tr.Stopped = res.Stopped
			}
		} else {
			tr.Reward, tr.Parts, tr.Stopped = res.Total, maps.Clone(res.Parts), res.Stopped
		}
		tr.Info = info
		if tr.Next != nil {
			tr.Next = &derivedState{env: e, inner: tr.Next, task: steps[i].State.(*derivedState).task}
		}
	}
	return trs, nil
}

// StepAll plays steps with env's StepBatch when it has one, else one Step at a time.
func StepAll(env Env, steps []Step) ([]Transition, error) {
	if b, ok := env.(BatchStepper); ok {
		return b.StepBatch(steps)
	}
	out := make([]Transition, len(steps))
	for i, st := range steps {
		tr, err := st.State.Step(st.Responses)
		if err != nil {
			return nil, err
		}
		out[i] = tr
	}
	return out, nil
}

// Row is a hand-written joint response to inspect: a label and one response per agent.
type Row struct {
	Label     string
	Responses []string
}

// RowScore is the score of a Row at the first turn of a task.
type RowScore struct {
	Row
	Reward  float64
	Parts   map[string]float64
	Stopped string             // the component that stopped the scoring (a failed level gate), "" if none
	Info    map[string]float64 // the env's extra metrics (env_reward for a derived env)
}

// ScoreRows scores each row as the joint response of the first turn of task (seed 0), in one
// batch, so a user sees what a reward pays for before training on it. Parts lists the part
// names in the reward's order (PartNamer), then any others sorted.
func ScoreRows(env Env, task int, rows ...Row) (scores []RowScore, parts []string, err error) {
	spec := env.Spec()
	steps := make([]Step, len(rows))
	for i, r := range rows {
		if len(r.Responses) != spec.NumAgents {
			return nil, nil, fmt.Errorf("row %d (%q): %d responses, env %s has %d agents", i, r.Label, len(r.Responses), spec.Name, spec.NumAgents)
		}
		st, err := env.Reset(task, 0)
		if err != nil {
			return nil, nil, err
		}
		steps[i] = Step{State: st, Responses: r.Responses}
	}
	trs, err := StepAll(env, steps)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	if p, ok := env.(PartNamer); ok {
		for _, n := range p.RewardParts() {
			if !seen[n] {
				seen[n] = true
				parts = append(parts, n)
			}
		}
	}
	var rest []string
	for i, tr := range trs {
		scores = append(scores, RowScore{Row: rows[i], Reward: tr.Reward, Parts: tr.Parts, Stopped: tr.Stopped, Info: tr.Info})
		for n := range tr.Parts {
			if !seen[n] {
				seen[n] = true
				rest = append(rest, n)
			}
		}
	}
	slices.Sort(rest)
	return scores, append(parts, rest...), nil
}

// MissingDerivedError is the error for a derived env (from base) that this process has not
// declared, such as a run's env when a notebook cell reopens the run before the declaration.
func MissingDerivedError(name, base string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "env %q is not registered in this process: it is a derived env", name)
	if base != "" {
		fmt.Fprintf(&b, " (from %s)", base)
	}
	b.WriteString(" declared in Go with envs.Derive; declare it again before using it: in a notebook, keep its declaration " +
		"(e.g. `var myEnv = envs.MustDerive(...)`) above %% in a cell that ran, so that every later cell re-registers it")
	return errors.New(b.String())
}
