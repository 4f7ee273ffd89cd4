package coding

import (
	"fmt"
	"strings"
)

// coding-mini: the coding task at the scale of a tiny byte-level model.
//
// Mapping to the full task: the same two roles (agent 0 writes `aux`, the last agent writes the
// entry point `f` and may call aux), the same sandboxed judge, static checks and level-gated
// points (Points); what changes is the size. Problems are arithmetic one-liners such as
// "f(x)=3*x+1" whose natural split is aux = the inner term and f = aux(...) plus the outer step,
// with 3 asserts each; canonical answers fit in about 25 characters
// ("def aux(x):return 3*x", "def f(x):return aux(x)+1"). Prompts and feedback are terse
// ASCII. The reward (MiniScheme, MiniShapedScheme) lies in [-1, 0]:
//   - dense=true: every turn pays (points - max)/max, max = 4.0 with two agents and 2.1 with
//     one (no aux, so neither the 0.4 of aux nor the bonuses can be earned);
//   - shaping=true (default; dense only): while aux or f fails level 1 (defined, returns a
//     value), its response earns up to 0.2 (aux) or 0.3 (f) points for text closer to the
//     target "def f(PARAMS):return ": bytes in the answer alphabet, byte pairs of the target,
//     common prefix with it (part format_shaping, see ShapingAux and FormatQuality). Tiny
//     byte-level models from random init need it: without it every sample scores the same.
//     shaping=false is the exact reward. Measured (CoLLM-CC, tiny agents, K=4, 4 tasks per
//     update, 40 new tokens, lr 3e-3, turns=1; TestMiniLearnable): the return rose by 0.012
//     to 0.017 within 60 updates for seeds 1-3 (seed 1: -0.9975 over the first 5 updates,
//     -0.980 over the last 5), all of it format_shaping; level 1 was not reached, the agents
//     settle on repeated bytes or byte pairs ("urur", "n n "). With the default turns=2 the
//     same run (seed 1) did not rise in 58 updates;
//   - dense=false (sparse in both senses): turns before the last pay 0; the last pays 0 when
//     every test passes (and, with two agents, f calls aux and uses its result), else -1.
// Tasks whose index is 7 mod 8 form the evaluation split.

type miniTemplate struct {
	statement string // with A and B placeholders
	params    string // f's parameters
	aux, main string // canonical one-liners
	eval      func(a, b int, args []int) int
	inputs    [][]int
}

var miniTemplates = []miniTemplate{
	{"A*x+B", "x", "def aux(x):return A*x", "def f(x):return aux(x)+B", func(a, b int, v []int) int { return a*v[0] + b }, [][]int{{0}, {2}, {5}}},
	{"(x+A)*B", "x", "def aux(x):return x+A", "def f(x):return aux(x)*B", func(a, b int, v []int) int { return (v[0] + a) * b }, [][]int{{0}, {1}, {4}}},
	{"x*x+A*B", "x", "def aux(x):return x*x", "def f(x):return aux(x)+A*B", func(a, b int, v []int) int { return v[0]*v[0] + a*b }, [][]int{{0}, {3}, {-2}}},
	{"A*x-B", "x", "def aux(x):return A*x", "def f(x):return aux(x)-B", func(a, b int, v []int) int { return a*v[0] - b }, [][]int{{1}, {3}, {6}}},
	{"A*x+B*y", "x,y", "def aux(x):return A*x", "def f(x,y):return aux(x)+B*y", func(a, b int, v []int) int { return a*v[0] + b*v[1] }, [][]int{{1, 0}, {2, 3}, {0, 5}}},
	{"max(x,A)+B", "x", "def aux(x):return max(x,A)", "def f(x):return aux(x)+B", func(a, b int, v []int) int { return max(v[0], a) + b }, [][]int{{0}, {6}, {9}}},
}

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

// MiniPrompter writes coding-mini's terse prompts: "<statement>\naux:" or "<statement>\nf:",
// and on later turns the previous response and a compact feedback line before the role tag.
type MiniPrompter struct{}

func miniRole(agent, agents int) string {
	if agents == 2 && agent == 0 {
		return "aux:"
	}
	return "f:"
}

// Initial implements Prompter.
func (MiniPrompter) Initial(p *Problem, agent, agents int) string {
	return p.Prompt + "\n" + miniRole(agent, agents)
}

// Next implements Prompter.
func (MiniPrompter) Next(p *Problem, agent, agents int, previous, feedback string) string {
	prev := strings.ReplaceAll(strings.TrimSpace(previous), "\n", ";")
	s := p.Prompt + "\nprev:" + prev
	if feedback != "" {
		s += "\nfb:" + feedback
	}
	return s + "\n" + miniRole(agent, agents)
}

// Feedback implements Prompter: "pass"/"fail" in passed mode, else e.g. "aux ok,f noret,syn -,t1 -".
func (MiniPrompter) Feedback(p *Problem, j *Judgment, mode string, agents int) string {
	if mode == FeedbackPassed {
		if j.Total > 0 && j.Passed() == j.Total {
			return "pass"
		}
		return "fail"
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
		parts = append(parts, "aux "+def(j.AuxDefined, j.AuxReturns))
	}
	parts = append(parts, "f "+def(j.MainDefined, j.MainReturns))
	syn := "-"
	if j.MainDefined && j.MainReturns {
		syn = map[bool]string{true: "ok", false: "err"}[j.SyntaxOK]
	}
	parts = append(parts, "syn "+syn)
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
	return strings.Join(append(parts, "t1 "+t1), ",")
}

// Canonical returns a correct joint response for task, one string per agent: with two agents
// the canonical aux and an f that calls it, with one agent a self-contained f. Trainers can use
// them for a supervised warm start or as a sanity check.
func (m *MiniEnv) Canonical(task int) []string {
	p := m.Problem(task)
	if m.Spec().NumAgents == 1 {
		params, body, _ := strings.Cut(strings.TrimPrefix(p.Prompt, "f("), ")=")
		return []string{"def f(" + params + "):return " + body}
	}
	return strings.Split(strings.TrimSpace(p.Canonical), "\n")
}

// Demonstration implements envs.Demonstrator with the canonical answers.
func (m *MiniEnv) Demonstration(task int) ([]string, error) {
	if task < 0 || task >= m.NumTasks() {
		return nil, fmt.Errorf("coding-mini: task %d out of range [0, %d)", task, m.NumTasks())
	}
	return m.Canonical(task), nil
}

// MiniEnv is coding-mini: an Env with an evaluation split.
type MiniEnv struct {
	*Env
}

// MiniOptions are coding-mini's reward settings; the zero value is the default (options
// dense=true, shaping=true).
type MiniOptions struct {
	// Sparse pays only the last turn: 0 on success, else -1 (option dense=false). The sparse
	// reward is never shaped.
	Sparse bool
	// NoShaping turns off format shaping of the dense reward (option shaping=false), leaving the
	// exact level-gated points; see ShapingAux.
	NoShaping bool
}

// NewMiniEnv builds coding-mini; cfg.Problems, Prompter, Scheme and Name are filled in.
func NewMiniEnv(cfg Config, o MiniOptions) (*MiniEnv, error) {
	cfg.Name = "coding-mini"
	cfg.Problems = MiniProblems()
	cfg.Prompter = MiniPrompter{}
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
	return &MiniEnv{e}, nil
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
