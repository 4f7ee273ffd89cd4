package coding

import (
	"fmt"
	"strings"
)

// coding-mini: the coding task at the scale of a tiny model trained from scratch.
//
// Mapping to the full task: the same two roles (agent 0 writes `aux`, the last agent writes the
// entry point `f` and may call aux), the same sandboxed judge, static checks and level-gated
// points (Points); what changes is the size. Problems are arithmetic one-liners such as
// "f(x)=3 *x +1 " (6 templates x A in 2..5 x B in 1..4, option templates keeps the first n)
// whose natural split is aux = the inner term and f = aux(...) plus the outer step, with 3
// asserts each. As HumanEval prompts end with the signature, each prompt ends with the agent's
// function header ("f(x)=3 *x +1 \ndef aux(x):return "): the agents write the bodies
// ("3 *x ", "aux(x) +1 "), the env prepends the headers (MiniPrompter is a Completer) and cuts
// each response at its first newline (Config.Stop), as code benchmarks cut completions at a
// stop sequence. Agents still choose the operators, the constants and the split.
//
// Vocabulary (Vocab, envs.Vocab): word-level pieces, so a tiny agent samples whole units: the
// headers and calls ("def aux(x):return ", "def f(x,y):return ", "aux(x) ", "aux(y) "), the
// atoms "x " "y " and "0 ".."9 ", the operators + - * max( ( , ) and the fixed prompt parts
// ("f(x)=", "f(x,y)=", "\n"; with turns > 1 also "\nprev:", "\nfb:" and the feedback
// phrases "aux:ok", "t1:fail", ...). Two choices fight degenerate answers: operands carry a
// trailing space, so a repeated operand is a syntax error ("x x ") rather than a new name
// ("xx"), and the feedback phrases contain ':', so repeating them is no valid expression
// either. (maac adds its framing pieces, digits 1-8 without a space among them, so "44444"
// stays a valid body.)
//
// The reward (MiniScheme, MiniShapedScheme) lies in [-1, 0]:
//   - dense=true: every turn pays (points - max)/max, max = 4.0 with two agents and 2.1 with
//     one (no aux, so neither the 0.4 of aux nor the bonuses can be earned);
//   - shaping=true (default; dense only): while the joint program does not parse (level 2),
//     each function's level-1 credit is graded by how close its body is to one complete
//     expression with nothing after it (part format_shaping, see ShapingAux and
//     FormatQuality); shaping=false is the exact reward;
//   - dense=false (sparse in both senses): turns before the last pay 0; the last pays 0 when
//     every test passes (and, with two agents, f calls aux and uses its result), else -1.
//
// Tasks whose index is 7 mod 8 form the evaluation split.
//
// Shaping exists for agents trained from scratch, whose first samples rarely parse: under the
// exact reward those samples earn the same points, and the shaping tells them apart by how close
// each body comes to parsing. Option demos=varied stands for the paper's starting point at this
// scale: pretrained agents that can each write their own function but share no convention, so
// what training adds is how the two parts fit together (see DemosVaried).
//
// TestMiniLearnable (from scratch) and TestMiniLearnsAConvention (from demos=varied) train on
// this env; the measured curves are in docs/EXPERIMENTS.md.

type miniTemplate struct {
	statement string // with A and B placeholders
	params    string // f's parameters
	aux, main string // canonical one-liners
	eval      func(a, b int, args []int) int
	inputs    [][]int
}

var miniTemplates = []miniTemplate{
	{"A *x +B ", "x", "def aux(x):return A *x ", "def f(x):return aux(x) +B ", func(a, b int, v []int) int { return a*v[0] + b }, [][]int{{0}, {2}, {5}}},
	{"(x +A ) *B ", "x", "def aux(x):return x +A ", "def f(x):return aux(x) *B ", func(a, b int, v []int) int { return (v[0] + a) * b }, [][]int{{0}, {1}, {4}}},
	{"x *x +A *B ", "x", "def aux(x):return x *x ", "def f(x):return aux(x) +A *B ", func(a, b int, v []int) int { return v[0]*v[0] + a*b }, [][]int{{0}, {3}, {-2}}},
	{"A *x -B ", "x", "def aux(x):return A *x ", "def f(x):return aux(x) -B ", func(a, b int, v []int) int { return a*v[0] - b }, [][]int{{1}, {3}, {6}}},
	{"A *x +B *y ", "x,y", "def aux(x):return A *x ", "def f(x,y):return aux(x) +B *y ", func(a, b int, v []int) int { return a*v[0] + b*v[1] }, [][]int{{1, 0}, {2, 3}, {0, 5}}},
	{"max(x ,A ) +B ", "x", "def aux(x):return max(x ,A ) ", "def f(x):return aux(x) +B ", func(a, b int, v []int) int { return max(v[0], a) + b }, [][]int{{0}, {6}, {9}}},
}

// miniTasksPerTemplate is the number of (A, B) pairs of each template.
const miniTasksPerTemplate = 16

// MiniProblems returns the built-in coding-mini problems: 6 templates x A in 2..5 x B in 1..4.
// Canonical holds the canonical aux and f together.
func MiniProblems() []Problem {
	var out []Problem
	for ti, t := range miniTemplates {
		for a := 2; a <= 5; a++ {
			for b := 1; b <= 4; b++ {
				sub := func(s string) string {
					return strings.NewReplacer("A", fmt.Sprint(a), "B", fmt.Sprint(b)).Replace(s)
				}
				var asserts []string
				for _, in := range t.inputs {
					args := make([]string, len(in))
					for i, v := range in {
						args[i] = fmt.Sprint(v)
					}
					asserts = append(asserts, fmt.Sprintf("assert f(%s)==%d", strings.Join(args, ","), t.eval(a, b, in)))
				}
				out = append(out, Problem{
					ID:         fmt.Sprintf("mini/%d/%d/%d", ti, a, b),
					Prompt:     fmt.Sprintf("f(%s)=%s", t.params, sub(t.statement)),
					EntryPoint: "f",
					Canonical:  sub(t.aux) + "\n" + sub(t.main) + "\n",
					Asserts:    asserts,
				})
			}
		}
	}
	return out
}

// miniStatement splits a mini problem's statement "f(PARAMS)=FORMULA" (its Prompt).
func miniStatement(p *Problem) (params, formula string) {
	params, formula, _ = strings.Cut(strings.TrimPrefix(p.Prompt, p.EntryPoint+"("), ")=")
	return params, formula
}

// MiniPrompter writes coding-mini's terse prompts, which end with the header of the agent's
// function: "<statement>\ndef aux(x):return " or "<statement>\ndef f(x):return ", and on later
// turns the previous answer and a compact feedback line before the header. It is a Completer:
// the agents write the body, the env prepends the header.
type MiniPrompter struct{}

// Start implements Completer: the header of agent's function, "def aux(x):return " for agent 0
// of two, else "def f(PARAMS):return " with the statement's parameters.
func (MiniPrompter) Start(p *Problem, agent, agents int) string {
	if agents == 2 && agent == 0 {
		return auxHeader
	}
	return miniHeader(p)
}

// Initial implements Prompter.
func (m MiniPrompter) Initial(p *Problem, agent, agents int) string {
	return p.Prompt + "\n" + m.Start(p, agent, agents)
}

// Next implements Prompter: previous is the agent's whole previous answer, header included.
func (m MiniPrompter) Next(p *Problem, agent, agents int, previous, feedback string) string {
	s := p.Prompt + "\nprev:" + previous
	if feedback != "" {
		s += "\nfb:" + feedback
	}
	return s + "\n" + m.Start(p, agent, agents)
}

// Feedback implements Prompter: "all:pass"/"all:fail" in passed mode, else e.g.
// "aux:ok,f:noret,syn:-,t1:-".
func (MiniPrompter) Feedback(p *Problem, j *Judgment, mode string, agents int) string {
	if mode == FeedbackPassed {
		if j.Total > 0 && j.Passed() == j.Total {
			return "all:pass"
		}
		return "all:fail"
	}
	def := func(d, r bool) string {
		switch {
		case d && r:
			return "ok"
		case d:
			return "noret"
		}
		return "nodef"
	}
	var parts []string
	if agents == 2 {
		parts = append(parts, "aux:"+def(j.AuxDefined, j.AuxReturns))
	}
	parts = append(parts, "f:"+def(j.MainDefined, j.MainReturns))
	syn := "-"
	if j.MainDefined && j.MainReturns {
		syn = map[bool]string{true: "ok", false: "err"}[j.SyntaxOK]
	}
	parts = append(parts, "syn:"+syn)
	t1 := "-"
	if len(j.Tests) > 0 && j.Tests[0].Index == 0 {
		switch t := j.Tests[0]; {
		case t.Passed:
			t1 = "pass"
		case t.Timeout:
			t1 = "time"
		default:
			t1 = "fail"
		}
	}
	return strings.Join(append(parts, "t1:"+t1), ",")
}

// miniFeedbackPieces are the phrases of MiniPrompter.Feedback, each one token: the level-1
// state of aux and f, the syntax state, the first test's outcome, and the passed mode's words.
// The ':' keeps them from being valid Python names when an agent samples them.
var miniFeedbackPieces = []string{
	"aux:ok", "aux:noret", "aux:nodef", "f:ok", "f:noret", "f:nodef",
	"syn:ok", "syn:err", "syn:-", "t1:pass", "t1:fail", "t1:time", "t1:-", "all:pass", "all:fail",
}

// Vocab implements envs.Vocab. The pieces are the units of the mini grammar and of the prompts:
//   - the function headers "def aux(x):return ", "def f(x):return ", "def f(x,y):return " (the
//     prompts end with them) and the calls "aux(x) ", "aux(y) ": whether f calls aux, and with
//     which argument, is the agent's choice;
//   - the operands "x ", "y ", "0 ".."9 " (each with a trailing space, so that a repeated
//     operand does not parse) and + - * "max(" "(" "," ") ": every statement and body is a short
//     sequence of these, so the operators and constants remain the agents' choice and the code
//     runs in the sandbox as written;
//   - the fixed parts of the prompts (see MiniPrompter): "f(x)=", "f(x,y)=", "\n", and with
//     more than one turn "\nprev:", plus "\nfb:" and the feedback phrases (miniFeedbackPieces)
//     unless feedback=plain. Pieces only later turns use are left out of one-turn envs, so an
//     agent has fewer useless tokens to sample.
//
// Every prompt and canonical answer is a sequence of pieces (TestMiniVocab); a canonical body
// is 2 to 5 tokens with two agents, e.g. "aux(x) " "+" "1 ".
func (m *MiniEnv) Vocab() []string {
	out := []string{
		"def aux(x):return ", "def f(x):return ", "def f(x,y):return ", "aux(x) ", "aux(y) ",
		"x ", "y ", "+", "-", "*", "max(", "(", ",", ") ",
	}
	for d := range 10 {
		out = append(out, fmt.Sprintf("%d ", d))
	}
	out = append(out, "f(x)=", "f(x,y)=", "\n")
	if m.cfg.Turns > 1 {
		out = append(out, "\nprev:")
		if m.cfg.Feedback != FeedbackPlain {
			out = append(out, "\nfb:")
			out = append(out, miniFeedbackPieces...)
		}
	}
	return out
}

// Canonical returns a correct joint response for task, one body per agent (the env prepends
// the headers, see MiniPrompter.Start): with two agents the canonical aux and an f that calls
// it, with one agent a self-contained f. Trainers can use them for a supervised warm start or
// as a sanity check.
func (m *MiniEnv) Canonical(task int) []string {
	p := m.Problem(task)
	if m.Spec().NumAgents == 1 {
		_, formula := miniStatement(p)
		return []string{formula}
	}
	lines := strings.Split(strings.TrimSuffix(p.Canonical, "\n"), "\n")
	for i, l := range lines {
		lines[i] = l[strings.Index(l, ":return ")+len(":return "):]
	}
	return lines
}

// Demonstration sets of coding-mini (option demos, MiniOptions.Demos).
const (
	// DemosCanonical demonstrates one joint answer per task, the canonical one (Canonical).
	DemosCanonical = "canonical"
	// DemosVaried demonstrates every correct way to write each function on its own: aux the
	// inner term or, when f takes x only, the whole formula; f calling aux and applying the
	// outer step, returning aux(x) unchanged (again when f takes x only), or computing the
	// formula itself. Drawn independently per agent (see envs.Demonstrator), they stand for a
	// base model that writes either function correctly but shares no convention with its
	// partner: the two parts fit together without a wrapper in 1 of the 6 joint draws for a
	// one-parameter statement (1 of 2 for "f(x,y)").
	DemosVaried = "varied"
)

// Demonstrations implements envs.Demonstrator with the set chosen by MiniOptions.Demos.
func (m *MiniEnv) Demonstrations(task int) ([][]string, error) {
	if task < 0 || task >= m.NumTasks() {
		return nil, fmt.Errorf("coding-mini: task %d out of range [0, %d)", task, m.NumTasks())
	}
	canonical := m.Canonical(task)
	out := make([][]string, len(canonical))
	for i, c := range canonical {
		out[i] = []string{c}
	}
	if m.demos == DemosCanonical || len(canonical) == 1 {
		return out, nil
	}
	params, formula := miniStatement(m.Problem(task))
	out[1] = append(out[1], formula)
	if params == "x" { // aux(x) can compute the whole formula, and f can return it as is
		out[0] = append(out[0], formula)
		out[1] = append(out[1], "aux(x) ")
	}
	return out, nil
}

// MiniEnv is coding-mini: an Env with an evaluation split.
type MiniEnv struct {
	*Env
	demos string // DemosCanonical or DemosVaried
}

// MiniOptions are coding-mini's settings; the zero value is the default (options dense=true,
// shaping=true, templates=6, demos=canonical).
type MiniOptions struct {
	// Sparse pays only the last turn: 0 on success, else -1 (option dense=false). The sparse
	// reward is never shaped.
	Sparse bool
	// NoShaping turns off format shaping of the dense reward (option shaping=false), leaving the
	// exact level-gated points; see ShapingAux.
	NoShaping bool
	// Templates is how many of the problem templates to use, in their order (option templates):
	// 1 keeps "A *x +B " only, 6 (or 0, the default) all of them. Each template gives 16 tasks.
	Templates int
	// Demos is the demonstration set for a warm start (option demos): DemosCanonical (or "",
	// the default) or DemosVaried.
	Demos string
}

// NewMiniEnv builds coding-mini; cfg.Problems, Prompter, Scheme and Name are filled in.
func NewMiniEnv(cfg Config, o MiniOptions) (*MiniEnv, error) {
	cfg.Name = "coding-mini"
	if o.Templates < 0 || o.Templates > len(miniTemplates) {
		return nil, fmt.Errorf("coding-mini: Templates=%d: want 1..%d (0 for all)", o.Templates, len(miniTemplates))
	}
	cfg.Problems = MiniProblems()
	if o.Templates > 0 {
		cfg.Problems = cfg.Problems[:o.Templates*miniTasksPerTemplate]
	}
	switch o.Demos {
	case "":
		o.Demos = DemosCanonical
	case DemosCanonical, DemosVaried:
	default:
		return nil, fmt.Errorf("coding-mini: Demos=%q: want %q or %q", o.Demos, DemosCanonical, DemosVaried)
	}
	cfg.Prompter = MiniPrompter{}
	cfg.Stop = []string{"\n"}
	agents := cfg.Agents
	if agents == 0 {
		agents = 2
	}
	if o.Sparse || o.NoShaping {
		cfg.Scheme = MiniScheme(agents, !o.Sparse)
	} else {
		cfg.Scheme = MiniShapedScheme(agents, cfg.Problems)
	}
	e, err := NewEnv(cfg)
	if err != nil {
		return nil, err
	}
	return &MiniEnv{e, o.Demos}, nil
}

// TrainTasks implements envs.EvalSplitter.
func (m *MiniEnv) TrainTasks() []int { return m.split(false) }

// EvalTasks implements envs.EvalSplitter.
func (m *MiniEnv) EvalTasks() []int { return m.split(true) }

func (m *MiniEnv) split(eval bool) []int {
	var out []int
	for i := 0; i < m.NumTasks(); i++ {
		if (i%8 == 7) == eval {
			out = append(out, i)
		}
	}
	return out
}
