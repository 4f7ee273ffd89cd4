package envtest

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/collm/collm/envs"
)

// Option changes what Conformance and Check check.
type Option func(*config)

type config struct {
	tasks     []int
	seeds     []int64
	extra     [][]string
	hugeBytes int
}

// Tasks sets the task indices whose episodes are played. The default is the first and the last
// task (only the first when Conformance runs under -short; Check ignores -short).
func Tasks(tasks ...int) Option { return func(c *config) { c.tasks = tasks } }

// Responses adds joint responses (one string per agent) that every episode also plays, e.g. a
// good answer that reaches the deepest reward level. Each is used at every turn.
func Responses(joint ...[]string) Option {
	return func(c *config) { c.extra = append(c.extra, joint...) }
}

// HugeBytes sets the size of the huge response (default 256 KiB). Envs whose scoring is
// expensive per byte (e.g. running code) may lower it.
func HugeBytes(n int) Option { return func(c *config) { c.hugeBytes = n } }

// Conformance runs the contract checks on env as subtests of t, one per check, named as in
// Check's Report. A bad spec or option fails t at once.
func Conformance(t *testing.T, env envs.Env, opts ...Option) {
	t.Helper()
	p, err := prepare(env, testing.Short(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.checks() {
		t.Run(c.name, func(t *testing.T) { runCheck(t, c.run) })
	}
}

// Check runs the same contract checks as Conformance and returns a report instead of failing a
// test, for code that has no *testing.T, such as a notebook cell. It plays the first and the
// last task with seeds 1 and 2 unless Tasks says otherwise (Conformance's defaults without
// -short). A panic in the env becomes a problem of the check that met it; a bad spec or option
// stops the checks and is the report's only entry, named "Setup".
func Check(env envs.Env, opts ...Option) Report {
	p, err := prepare(env, false, opts)
	r := Report{Env: p.spec.Name}
	if err != nil {
		r.Checks = []CheckResult{{Name: "Setup", Problems: []string{err.Error()}}}
		return r
	}
	for _, c := range p.checks() {
		var col collector
		runCheck(&col, c.run)
		r.Checks = append(r.Checks, CheckResult{Name: c.name, Problems: col.problems})
	}
	return r
}

// Report is the outcome of Check.
type Report struct {
	Env    string        // the env's Spec().Name
	Checks []CheckResult // in the order run: ResetRange, WrongResponseCount, Episodes, Concurrent, then TaskNamer and EvalSplitter where the env implements them
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Name     string   // the check, the name of Conformance's subtest
	Problems []string // one sentence each, as Conformance reports them; empty when the check passed
}

// OK reports whether the check passed.
func (c CheckResult) OK() bool { return len(c.Problems) == 0 }

// OK reports whether checks ran and every one passed.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK() {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Err returns nil when r is OK, else an error naming each failed check with its first problem.
func (r Report) Err() error {
	if r.OK() {
		return nil
	}
	if len(r.Checks) == 0 {
		return fmt.Errorf("envtest: env %q: no checks ran", r.Env)
	}
	var failed []string
	for _, c := range r.Checks {
		if !c.OK() {
			failed = append(failed, c.Name+": "+c.summary())
		}
	}
	return fmt.Errorf("envtest: env %q breaks the envs.Env contract: %s", r.Env, strings.Join(failed, "; "))
}

// String is a short text: a verdict, then one line per check, "ok   Episodes" or
// "FAIL Episodes: <first problem> (+N more)". Long problems are cut; Checks holds them whole.
func (r Report) String() string {
	var b strings.Builder
	failed := 0
	for _, c := range r.Checks {
		if !c.OK() {
			failed++
		}
	}
	switch {
	case len(r.Checks) == 0:
		fmt.Fprintf(&b, "env %q: no checks ran", r.Env)
	case len(r.Checks) == 1 && r.Checks[0].Name == "Setup" && failed == 1:
		fmt.Fprintf(&b, "env %q: FAIL before the checks ran", r.Env)
	case failed == 0:
		fmt.Fprintf(&b, "env %q: ok, %d checks passed", r.Env, len(r.Checks))
	default:
		fmt.Fprintf(&b, "env %q: FAIL, %d of %d checks failed", r.Env, failed, len(r.Checks))
	}
	for _, c := range r.Checks {
		if c.OK() {
			fmt.Fprintf(&b, "\nok   %s", c.Name)
		} else {
			fmt.Fprintf(&b, "\nFAIL %s: %s", c.Name, c.summary())
		}
	}
	return b.String()
}

// summary is the first line of the first problem, cut to a readable length, and how many more
// problems there are.
func (c CheckResult) summary() string {
	s, _, _ := strings.Cut(c.Problems[0], "\n")
	s = clip(s, 200)
	if len(c.Problems) > 1 {
		s += fmt.Sprintf(" (+%d more)", len(c.Problems)-1)
	}
	return s
}

// reporter receives the problems a check finds: a *testing.T (Conformance runs each check as a
// subtest) or a collector (Check). Checks report with Errorf only, from any goroutine.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// collector is Check's reporter: it keeps the problems.
type collector struct {
	mu       sync.Mutex
	problems []string
}

func (c *collector) Helper() {}

func (c *collector) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// runCheck runs check, turning a panic that escaped it into a problem: the checks guard their
// calls into the env, this guards the rest (e.g. TaskID, TrainTasks).
func runCheck(r reporter, check func(reporter)) {
	defer func() {
		if v := recover(); v != nil {
			r.Errorf("a call into the env panicked: %v", v)
		}
	}()
	check(r)
}

// plan is what the checks share: the env, its spec and the options.
type plan struct {
	env  envs.Env
	spec envs.Spec
	n    int
	cfg  config
	sets []responseSet
}

// prepare reads the spec and the options; an error is fatal. short selects Conformance's -short
// defaults.
func prepare(env envs.Env, short bool, opts []Option) (plan, error) {
	p := plan{env: env}
	if err := catchCall("Spec", func() { p.spec = env.Spec() }); err != nil {
		return p, err
	}
	if err := catchCall("NumTasks", func() { p.n = env.NumTasks() }); err != nil {
		return p, err
	}
	spec, n := p.spec, p.n
	cfg := config{hugeBytes: 256 << 10, tasks: []int{0}, seeds: []int64{1}}
	if !short {
		cfg.seeds = []int64{1, 2}
		if n > 1 {
			cfg.tasks = []int{0, n - 1}
		}
	}
	for _, o := range opts {
		o(&cfg)
	}
	if spec.Name == "" || spec.NumAgents < 1 || spec.MaxTurns < 1 || n < 1 {
		return p, fmt.Errorf("bad spec %+v with %d tasks: want a name, NumAgents >= 1, MaxTurns >= 1, NumTasks >= 1", spec, n)
	}
	if len(cfg.tasks) == 0 {
		return p, errors.New("envtest.Tasks: no tasks")
	}
	for _, task := range cfg.tasks {
		if task < 0 || task >= n {
			return p, fmt.Errorf("envtest.Tasks: task %d out of range [0, %d)", task, n)
		}
	}
	for _, joint := range cfg.extra {
		if len(joint) != spec.NumAgents {
			return p, fmt.Errorf("envtest.Responses: joint response %q has %d entries, want %d", joint, len(joint), spec.NumAgents)
		}
	}
	if cfg.hugeBytes < 0 {
		return p, fmt.Errorf("envtest.HugeBytes: %d is negative", cfg.hugeBytes)
	}
	p.cfg = cfg
	p.sets = responseSets(spec.NumAgents, cfg)
	return p, nil
}

type namedCheck struct {
	name string
	run  func(reporter)
}

// checks lists the checks in the order they run.
func (p plan) checks() []namedCheck {
	cs := []namedCheck{
		{"ResetRange", p.resetRange},
		{"WrongResponseCount", p.wrongResponseCount},
		{"Episodes", p.episodes},
		{"Concurrent", p.concurrent},
	}
	if namer, ok := envs.As[envs.TaskNamer](p.env); ok {
		cs = append(cs, namedCheck{"TaskNamer", func(r reporter) { p.taskNamer(r, namer) }})
	}
	if split, ok := envs.As[envs.EvalSplitter](p.env); ok {
		cs = append(cs, namedCheck{"EvalSplitter", func(r reporter) { p.evalSplitter(r, split) }})
	}
	return cs
}

func (p plan) resetRange(r reporter) {
	r.Helper()
	for _, task := range []int{-1, p.n, p.n + 1000} {
		if _, err := safeReset(p.env, task, 1); err == nil || errors.As(err, new(panicError)) {
			r.Errorf("Reset(%d, 1) with %d tasks: want an error, got %v", task, p.n, err)
		}
	}
}

func (p plan) wrongResponseCount(r reporter) {
	r.Helper()
	task, seed := p.cfg.tasks[0], p.cfg.seeds[0]
	st, err := safeReset(p.env, task, seed)
	if err == nil && st == nil {
		err = errors.New("nil State and no error")
	}
	if err != nil {
		r.Errorf("%s", failure(fmt.Sprintf("Reset(%d, %d)", task, seed), err))
		return
	}
	before, err := safePrompts(st)
	if err != nil {
		r.Errorf("%v (task %d, seed %d, turn 0)", err, task, seed)
		return
	}
	for _, k := range []int{0, p.spec.NumAgents - 1, p.spec.NumAgents + 1} {
		if k == p.spec.NumAgents {
			continue
		}
		tr, err := safeStep(st, make([]string, k))
		if err == nil {
			r.Errorf("Step with %d responses (NumAgents %d): want an error, got none: %s", k, p.spec.NumAgents, describe(tr))
		} else if errors.As(err, new(panicError)) {
			r.Errorf("Step with %d responses (NumAgents %d): want an error, got %v", k, p.spec.NumAgents, err)
		}
	}
	if _, err := safeStep(st, nil); err == nil || errors.As(err, new(panicError)) {
		r.Errorf("Step(nil): want an error, got %v", err)
	}
	after, err := safePrompts(st)
	if err != nil || !reflect.DeepEqual(before, after) {
		r.Errorf("a rejected Step changed the state's prompts (err %v)", err)
	}
}

func (p plan) episodes(r reporter) {
	r.Helper()
	for _, task := range p.cfg.tasks {
		for _, seed := range p.cfg.seeds {
			for _, set := range p.sets {
				ctx := fmt.Sprintf("task %d, seed %d, responses %q", task, seed, set.name)
				first := p.playEpisode(r, ctx, task, seed, set.joint)
				if first == nil {
					continue
				}
				again := p.playEpisode(r, ctx, task, seed, set.joint)
				if again != nil && !reflect.DeepEqual(first, again) {
					r.Errorf("not deterministic: two episodes with the same task, seed and responses differ (%s): %s", ctx, firstDiff(first, again))
				}
			}
		}
	}
}

func (p plan) concurrent(r reporter) {
	r.Helper()
	var wg sync.WaitGroup
	results := make([][]step, 4)
	task, seed, set := p.cfg.tasks[0], p.cfg.seeds[0], p.sets[len(p.sets)-1]
	for g := range results {
		wg.Go(func() {
			ctx := fmt.Sprintf("goroutine %d, task %d, seed %d, responses %q", g, task, seed, set.name)
			results[g] = p.playEpisode(r, ctx, task, seed, set.joint)
		})
	}
	wg.Wait()
	for g := 1; g < len(results); g++ {
		if results[0] != nil && results[g] != nil && !reflect.DeepEqual(results[0], results[g]) {
			r.Errorf("concurrent episodes differ (goroutines 0 and %d, task %d, seed %d, responses %q): %s", g, task, seed, set.name, firstDiff(results[0], results[g]))
		}
	}
}

func (p plan) taskNamer(r reporter, namer envs.TaskNamer) {
	r.Helper()
	seen := map[string]int{}
	for i := range p.n {
		id := namer.TaskID(i)
		if prev, dup := seen[id]; dup {
			r.Errorf("tasks %d and %d share the id %q", prev, i, id)
		}
		seen[id] = i
		j, err := namer.TaskIndex(id)
		if err != nil || j != i {
			r.Errorf("TaskIndex(TaskID(%d) = %q) = %d, %v; want %d, nil", i, id, j, err, i)
		}
	}
	if _, err := namer.TaskIndex("envtest/no such task id"); err == nil {
		r.Errorf("TaskIndex of an unknown id: want an error")
	}
}

func (p plan) evalSplitter(r reporter, split envs.EvalSplitter) {
	r.Helper()
	for _, s := range []struct {
		name string
		idx  []int
	}{{"TrainTasks", split.TrainTasks()}, {"EvalTasks", split.EvalTasks()}} {
		for _, i := range s.idx {
			if i < 0 || i >= p.n {
				r.Errorf("%s holds %d, out of range [0, %d)", s.name, i, p.n)
			}
		}
	}
}

type responseSet struct {
	name  string
	joint []string
}

// responseSets returns the joint responses every episode plays: hostile ones first, the
// caller's own last.
func responseSets(agents int, cfg config) []responseSet {
	same := func(s string) []string {
		out := make([]string, agents)
		for i := range out {
			out[i] = s
		}
		return out
	}
	rng := rand.New(rand.NewSource(42))
	garbage := make([]string, agents)
	for i := range garbage {
		b := make([]byte, 200+rng.Intn(200))
		for j := range b {
			b[j] = byte(rng.Intn(256))
		}
		garbage[i] = string(b)
	}
	huge := strings.Repeat("word ", cfg.hugeBytes/5+1)[:cfg.hugeBytes]
	sets := []responseSet{
		{"empty", same("")},
		{"whitespace", same(" \n\t\r\v\f\u00a0\u2028 ")},
		{"non-utf8", same("\xff\xfe\xc3\x28 valid? \xed\xa0\x80 \x00 end")},
		{"garbage", garbage},
		{"huge", same(huge)},
		{"unicode", same("Ünïcödé 文字 🙂 — ∑ also so if /setblock 0 0 0 stone\ndef f():\n    return 1")},
	}
	for i, joint := range cfg.extra {
		sets = append(sets, responseSet{fmt.Sprintf("responses%d", i), joint})
	}
	return sets
}

// step records one turn of an episode, everything that must be deterministic.
type step struct {
	Turn    int
	Prompts []string
	Reward  float64
	Parts   map[string]float64
	Info    map[string]float64
	Done    bool
}

// playEpisode plays joint at every turn of an episode, checks every transition and returns the
// record, or nil after reporting a problem. ctx names the episode in the problems, which end
// with it, e.g. `(task 0, seed 1, responses "empty", turn 2)`.
func (p plan) playEpisode(r reporter, ctx string, task int, seed int64, joint []string) (rec []step) {
	r.Helper()
	where := ctx
	problem := func(format string, args ...any) {
		r.Helper()
		r.Errorf("%s (%s)", fmt.Sprintf(format, args...), where)
	}
	// longProblem puts the episode before a long detail, which String may cut.
	longProblem := func(head, detail string) {
		r.Helper()
		r.Errorf("%s (%s): %s", head, where, detail)
	}
	defer func() {
		if v := recover(); v != nil {
			problem("a call into the env panicked: %v", v)
			rec = nil
		}
	}()
	st, err := safeReset(p.env, task, seed)
	if err != nil {
		problem("%s", failure(fmt.Sprintf("Reset(%d, %d)", task, seed), err))
		return nil
	}
	if st == nil {
		problem("Reset(%d, %d) returned a nil State and no error", task, seed)
		return nil
	}
	for turn := 0; ; turn++ {
		where = fmt.Sprintf("%s, turn %d", ctx, turn)
		got, err := safeTurn(st)
		if err != nil {
			problem("%v", err)
			return nil
		}
		if got != turn {
			problem("State.Turn() = %d, want %d", got, turn)
			return nil
		}
		prompts, err := safePrompts(st)
		if err != nil {
			problem("%v", err)
			return nil
		}
		if len(prompts) != p.spec.NumAgents {
			problem("%d prompts, want %d, one per agent", len(prompts), p.spec.NumAgents)
			return nil
		}
		tr, err := safeStep(st, append([]string(nil), joint...))
		if err != nil {
			problem("%s", failure("Step", err))
			return nil
		}
		finiteOK := true
		if !finite(tr.Reward) {
			problem("reward %v is not finite", tr.Reward)
			finiteOK = false
		}
		for _, m := range []struct {
			kind   string
			values map[string]float64
		}{{"Parts", tr.Parts}, {"Info", tr.Info}} {
			for k, v := range m.values {
				if !finite(v) {
					problem("%s[%q] = %v is not finite", m.kind, k, v)
					finiteOK = false
				}
			}
		}
		if !finiteOK {
			return nil
		}
		// States are immutable: the same joint response gives the same transition again.
		tr2, err := safeStep(st, append([]string(nil), joint...))
		if err != nil {
			problem("stepping the same state twice: the second Step failed: %s", failure("Step", err))
			return nil
		}
		if !sameTransition(tr, tr2) {
			longProblem("stepping the same state twice differs", describe(tr)+" vs "+describe(tr2))
			return nil
		}
		after, err := safePrompts(st)
		if err != nil || !reflect.DeepEqual(prompts, after) {
			problem("Step changed the state's prompts")
			return nil
		}
		rec = append(rec, step{Turn: turn, Prompts: prompts, Reward: tr.Reward, Parts: tr.Parts, Info: tr.Info, Done: tr.Done})
		if tr.Done != (tr.Next == nil) {
			problem("Done = %v but Next == nil is %v; want Next == nil exactly when Done", tr.Done, tr.Next == nil)
			return nil
		}
		if tr.Done {
			return rec
		}
		if turn+1 >= p.spec.MaxTurns {
			where = ctx
			problem("episode not done after MaxTurns = %d turns", p.spec.MaxTurns)
			return nil
		}
		st = tr.Next
	}
}

func sameTransition(a, b envs.Transition) bool {
	if a.Reward != b.Reward || a.Done != b.Done || a.Stopped != b.Stopped || !reflect.DeepEqual(a.Parts, b.Parts) || !reflect.DeepEqual(a.Info, b.Info) {
		return false
	}
	if (a.Next == nil) != (b.Next == nil) {
		return false
	}
	if a.Next == nil {
		return true
	}
	// A panic here is reported at the next turn.
	pa, errA := safePrompts(a.Next)
	pb, errB := safePrompts(b.Next)
	return (errA != nil) == (errB != nil) && reflect.DeepEqual(pa, pb)
}

// describe prints a transition for a problem: the next state's prompts rather than its address.
func describe(tr envs.Transition) string {
	next := "nil"
	if tr.Next != nil {
		if p, err := safePrompts(tr.Next); err != nil {
			next = err.Error()
		} else {
			next = fmt.Sprintf("%q", p)
		}
	}
	return clip(fmt.Sprintf("{Reward:%v Parts:%v Info:%v Done:%v Next.Prompts:%s}", tr.Reward, tr.Parts, tr.Info, tr.Done, next), 300)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// firstDiff describes the first turn where two episode records differ.
func firstDiff(a, b []step) string {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		switch {
		case !reflect.DeepEqual(x.Prompts, y.Prompts):
			return fmt.Sprintf("turn %d: prompts %s vs %s", i, clip(fmt.Sprintf("%q", x.Prompts), 200), clip(fmt.Sprintf("%q", y.Prompts), 200))
		case x.Reward != y.Reward:
			return fmt.Sprintf("turn %d: reward %v vs %v", i, x.Reward, y.Reward)
		case !reflect.DeepEqual(x.Parts, y.Parts):
			return fmt.Sprintf("turn %d: parts %v vs %v", i, x.Parts, y.Parts)
		case !reflect.DeepEqual(x.Info, y.Info):
			return fmt.Sprintf("turn %d: info %v vs %v", i, x.Info, y.Info)
		case x.Done != y.Done:
			return fmt.Sprintf("turn %d: done %v vs %v", i, x.Done, y.Done)
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("%d turns vs %d turns", len(a), len(b))
	}
	return "no difference found"
}

// clip cuts s to about n bytes, on a rune boundary, saying how long it was.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

// panicError is a panic caught in a call into the env: always a failure, even where an error is
// expected. Its message names the call.
type panicError struct{ msg string }

func (e panicError) Error() string { return e.msg }

// failure describes a failed call into the env; a panic's message names the call already.
func failure(call string, err error) string {
	if errors.As(err, new(panicError)) {
		return err.Error()
	}
	return fmt.Sprintf("%s returned an error: %v", call, err)
}

// catchPanic, deferred, turns a panic into a panicError naming the call, so that one bad env
// reports every broken check.
func catchPanic(err *error, call string) {
	if v := recover(); v != nil {
		*err = panicError{fmt.Sprintf("%s panicked: %v", call, v)}
	}
}

func catchCall(call string, f func()) (err error) {
	defer catchPanic(&err, call)
	f()
	return nil
}

func safeReset(env envs.Env, task int, seed int64) (st envs.State, err error) {
	defer catchPanic(&err, fmt.Sprintf("Reset(%d, %d)", task, seed))
	return env.Reset(task, seed)
}

func safeStep(st envs.State, responses []string) (tr envs.Transition, err error) {
	defer catchPanic(&err, "Step")
	return st.Step(responses)
}

func safePrompts(st envs.State) (prompts []string, err error) {
	defer catchPanic(&err, "Prompts")
	return append([]string(nil), st.Prompts()...), nil
}

func safeTurn(st envs.State) (turn int, err error) {
	defer catchPanic(&err, "Turn")
	return st.Turn(), nil
}
