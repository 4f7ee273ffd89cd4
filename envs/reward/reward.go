package reward

import (
	"fmt"
	"math"
)

// Input is what a scheme scores: the joint response of one turn of an episode.
type Input struct {
	Responses []string // one response per agent
	Prompts   []string // the prompts the agents answered, one per agent (may be nil)
	Task      int      // task index in the env
	TaskID    string   // the task's id in its dataset (envs.TaskNamer), else the index as decimal text; may be ""
	Turn      int      // 0-based turn index
	Last      bool     // true on the final turn of the episode; sparse schemes pay only then
	Data      any      // env-specific data of the task (e.g. test cases), for component functions
	// EnvReward and EnvParts are the base env's own reward and parts of this turn when the
	// scheme scores a derived env (envs.Derive), so that a scheme can build on them; 0 and nil
	// otherwise.
	EnvReward float64
	EnvParts  map[string]float64
}

// Result is the outcome of scoring one Input.
type Result struct {
	// Total is the reward: the (weighted) sum of the evaluated components, shifted and scaled;
	// 0 on a non-final turn of a sparse scheme.
	Total float64
	// Parts holds the unweighted value of every component of the scheme, 0 for the components
	// after a failed level.
	Parts map[string]float64
	// Levels is the number of levels that passed.
	Levels int
	// Stopped names the component that ended the scoring early (a failed level, or a component
	// that returned NaN or ±Inf, which counts as 0 and stops); "" when every component ran.
	Stopped string
}

// Scheme scores joint responses. Implementations must be deterministic and safe for concurrent use.
type Scheme interface {
	Score(in Input) Result
}

// BatchScheme scores many inputs in one call and may fail, as a scheme served by another
// process does (a Python function, see package pyreward). ScoreBatch returns one Result per
// input, in order, or an error that names the input at fault; trainers stop on the error.
type BatchScheme interface {
	ScoreBatch(ins []Input) ([]Result, error)
}

// Batch adapts a Scheme to a BatchScheme that never fails.
func Batch(s Scheme) BatchScheme { return batch{s} }

type batch struct{ s Scheme }

func (b batch) ScoreBatch(ins []Input) ([]Result, error) {
	out := make([]Result, len(ins))
	for i, in := range ins {
		out[i] = b.s.Score(in)
	}
	return out, nil
}

// Func adapts a function to a Scheme.
type Func func(in Input) Result

// Score calls f.
func (f Func) Score(in Input) Result { return f(in) }

// GateFunc computes a level: its points and whether the level passed.
type GateFunc func(in Input) (points float64, pass bool)

// TermFunc computes a plain term.
type TermFunc func(in Input) float64

// Component is one named part of a scheme, built by Level, Term or AgentTerm.
type Component struct {
	name   string
	weight float64
	gate   bool
	fn     GateFunc
}

// Name returns the name the component is reported under.
func (c Component) Name() string { return c.name }

// Times returns the component with its contribution to the total multiplied by w; its part
// still reports the unweighted value.
func (c Component) Times(w float64) Component {
	c.weight *= w
	return c
}

// Level returns a gate: fn's points are added, and when fn reports a failure the scoring stops.
func Level(name string, fn GateFunc) Component {
	return Component{name: name, weight: 1, gate: true, fn: fn}
}

// Term returns a plain term whose value is added to the total.
func Term(name string, fn TermFunc) Component {
	if fn == nil {
		return Component{name: name, weight: 1}
	}
	return Component{name: name, weight: 1, fn: func(in Input) (float64, bool) { return fn(in), true }}
}

// AgentTerm returns a term computed from the response of agent (0-based) alone. An Input with
// fewer responses gives the term the empty string.
func AgentTerm(name string, agent int, fn func(response string) float64) Component {
	if fn == nil {
		return Component{name: name, weight: 1}
	}
	return Component{name: name, weight: 1, fn: func(in Input) (float64, bool) {
		var r string
		if agent >= 0 && agent < len(in.Responses) {
			r = in.Responses[agent]
		}
		return fn(r), true
	}}
}

// Builder assembles a Composite scheme. Its methods panic on misuse (empty or duplicate names,
// nil functions, non-finite constants), since a scheme is code, not input.
type Builder struct {
	comps        []Component
	scale, shift float64
	sparse       bool
}

// New starts a scheme with the given components, evaluated in order.
func New(components ...Component) *Builder {
	b := &Builder{scale: 1}
	return b.Then(components...)
}

// Then appends components after the current ones.
func (b *Builder) Then(components ...Component) *Builder {
	for _, c := range components {
		if c.name == "" {
			panic("reward: a component needs a name")
		}
		if c.fn == nil {
			panic(fmt.Sprintf("reward: component %q has a nil function", c.name))
		}
		if bad(c.weight) {
			panic(fmt.Sprintf("reward: component %q has a non-finite weight %v", c.name, c.weight))
		}
		for _, prev := range b.comps {
			if prev.name == c.name {
				panic(fmt.Sprintf("reward: duplicate component name %q", c.name))
			}
		}
		b.comps = append(b.comps, c)
	}
	return b
}

// Shift adds c to the total (after any Scale called before it).
func (b *Builder) Shift(c float64) *Builder {
	if bad(c) {
		panic(fmt.Sprintf("reward: non-finite shift %v", c))
	}
	b.shift += c
	return b
}

// Scale multiplies the total so far, shift included, by k.
func (b *Builder) Scale(k float64) *Builder {
	if bad(k) {
		panic(fmt.Sprintf("reward: non-finite scale %v", k))
	}
	b.scale *= k
	b.shift *= k
	return b
}

// Sparse makes the scheme pay only at the last turn (Input.Last) when on is true; the other
// turns get a total of 0 with their parts still reported. The default is dense.
func (b *Builder) Sparse(on bool) *Builder {
	b.sparse = on
	return b
}

// Done returns the scheme. The builder may be reused; the scheme does not see later changes.
func (b *Builder) Done() *Composite {
	if len(b.comps) == 0 {
		panic("reward: a scheme needs at least one component")
	}
	return &Composite{comps: append([]Component(nil), b.comps...), scale: b.scale, shift: b.shift, sparse: b.sparse}
}

// Composite is a scheme built from components; see the package documentation.
type Composite struct {
	comps        []Component
	scale, shift float64
	sparse       bool
}

// Names returns the component names in evaluation order.
func (s *Composite) Names() []string {
	out := make([]string, len(s.comps))
	for i, c := range s.comps {
		out[i] = c.name
	}
	return out
}

// Sparse reports whether the scheme pays only at the last turn.
func (s *Composite) Sparse() bool { return s.sparse }

// Score evaluates the components in order and returns the total and the parts.
func (s *Composite) Score(in Input) Result {
	res := Result{Parts: make(map[string]float64, len(s.comps))}
	sum := 0.0
	for i, c := range s.comps {
		v, pass := c.fn(in)
		if bad(v) {
			v, pass = 0, false
		}
		res.Parts[c.name] = v
		sum += c.weight * v
		if c.gate && pass {
			res.Levels++
		}
		if !pass {
			res.Stopped = c.name
			for _, rest := range s.comps[i+1:] {
				res.Parts[rest.name] = 0
			}
			break
		}
	}
	if s.sparse && !in.Last {
		return res
	}
	res.Total = s.scale*sum + s.shift
	return res
}

func bad(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
