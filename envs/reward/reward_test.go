package reward

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// gate returns a level that passes when the response of agent 0 contains want, worth pts.
func gate(name, want string, pts float64) Component {
	return Level(name, func(in Input) (float64, bool) {
		if strings.Contains(in.Responses[0], want) {
			return pts, true
		}
		return 0, false
	})
}

func TestCompositeScore(t *testing.T) {
	constant := func(v float64) TermFunc { return func(Input) float64 { return v } }
	three := []Component{gate("a", "a", 0.5), gate("b", "b", 1), Term("c", constant(0.25))}
	tests := []struct {
		name    string
		b       *Builder
		in      Input
		total   float64
		parts   map[string]float64
		levels  int
		stopped string
	}{
		{"all levels pass", New(three...), Input{Responses: []string{"ab"}}, 1.75,
			map[string]float64{"a": 0.5, "b": 1, "c": 0.25}, 2, ""},
		{"first level fails stops everything", New(three...), Input{Responses: []string{"b"}}, 0,
			map[string]float64{"a": 0, "b": 0, "c": 0}, 0, "a"},
		{"second level fails keeps first", New(three...), Input{Responses: []string{"a"}}, 0.5,
			map[string]float64{"a": 0.5, "b": 0, "c": 0}, 1, "b"},
		{"a failing level still adds its points",
			New(Level("x", func(Input) (float64, bool) { return 0.4, false }), Term("y", constant(1))),
			Input{}, 0.4, map[string]float64{"x": 0.4, "y": 0}, 0, "x"},
		{"shift", New(three...).Shift(-4), Input{Responses: []string{"ab"}}, -2.25,
			map[string]float64{"a": 0.5, "b": 1, "c": 0.25}, 2, ""},
		{"shift then scale scales the shift", New(three...).Shift(-4).Scale(2), Input{Responses: []string{"ab"}}, -4.5,
			map[string]float64{"a": 0.5, "b": 1, "c": 0.25}, 2, ""},
		{"scale then shift", New(three...).Scale(2).Shift(-4), Input{Responses: []string{"ab"}}, -0.5,
			map[string]float64{"a": 0.5, "b": 1, "c": 0.25}, 2, ""},
		{"weights change the total not the parts", New(Term("c", constant(0.25)).Times(4), Term("d", constant(1)).Times(-0.5)),
			Input{}, 0.5, map[string]float64{"c": 0.25, "d": 1}, 0, ""},
		{"sparse pays nothing before the last turn", New(three...).Shift(-4).Sparse(true), Input{Responses: []string{"ab"}, Turn: 0},
			0, map[string]float64{"a": 0.5, "b": 1, "c": 0.25}, 2, ""},
		{"sparse pays at the last turn", New(three...).Shift(-4).Sparse(true), Input{Responses: []string{"ab"}, Turn: 3, Last: true},
			-2.25, map[string]float64{"a": 0.5, "b": 1, "c": 0.25}, 2, ""},
		{"dense pays every turn", New(three...).Sparse(false), Input{Responses: []string{"ab"}, Turn: 0},
			1.75, map[string]float64{"a": 0.5, "b": 1, "c": 0.25}, 2, ""},
		{"per-agent terms read their own response",
			New(AgentTerm("len0", 0, func(r string) float64 { return float64(len(r)) }),
				AgentTerm("len1", 1, func(r string) float64 { return float64(len(r)) }),
				AgentTerm("len5", 5, func(r string) float64 { return float64(len(r)) })),
			Input{Responses: []string{"abc", "de"}}, 5, map[string]float64{"len0": 3, "len1": 2, "len5": 0}, 0, ""},
		{"NaN counts as 0 and stops", New(Term("nan", constant(math.NaN())), Term("after", constant(1))),
			Input{}, 0, map[string]float64{"nan": 0, "after": 0}, 0, "nan"},
		{"Inf counts as 0 and stops", New(Term("one", constant(1)), Term("inf", constant(math.Inf(-1)))),
			Input{}, 1, map[string]float64{"one": 1, "inf": 0}, 0, "inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.b.Done().Score(tc.in)
			if math.Abs(got.Total-tc.total) > 1e-12 {
				t.Errorf("Total = %v, want %v", got.Total, tc.total)
			}
			if !reflect.DeepEqual(got.Parts, tc.parts) {
				t.Errorf("Parts = %v, want %v", got.Parts, tc.parts)
			}
			if got.Levels != tc.levels || got.Stopped != tc.stopped {
				t.Errorf("Levels, Stopped = %d, %q; want %d, %q", got.Levels, got.Stopped, tc.levels, tc.stopped)
			}
		})
	}
}

func TestBuilderPanicsOnMisuse(t *testing.T) {
	one := func(Input) float64 { return 1 }
	cases := map[string]func(){
		"empty name":      func() { New(Term("", one)) },
		"duplicate name":  func() { New(Term("x", one), Term("x", one)) },
		"nil term":        func() { New(Term("x", nil)) },
		"nil level":       func() { New(Level("x", nil)) },
		"nil agent term":  func() { New(AgentTerm("x", 0, nil)) },
		"NaN weight":      func() { New(Term("x", one).Times(math.NaN())) },
		"Inf shift":       func() { New(Term("x", one)).Shift(math.Inf(1)) },
		"NaN scale":       func() { New(Term("x", one)).Scale(math.NaN()) },
		"no components":   func() { New().Done() },
		"duplicate later": func() { New(Term("x", one)).Then(Term("x", one)) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			f()
		})
	}
}

func TestDoneSnapshotsTheBuilder(t *testing.T) {
	one := func(Input) float64 { return 1 }
	b := New(Term("x", one))
	s := b.Done()
	b.Then(Term("y", one)).Shift(10)
	if got := s.Score(Input{}); got.Total != 1 || len(got.Parts) != 1 {
		t.Errorf("scheme changed after Done: %+v", got)
	}
	if got := s.Names(); !reflect.DeepEqual(got, []string{"x"}) {
		t.Errorf("Names = %v", got)
	}
}

func TestFuncAdapter(t *testing.T) {
	var s Scheme = Func(func(in Input) Result {
		return Result{Total: float64(len(in.Responses)), Parts: map[string]float64{"n": float64(len(in.Responses))}}
	})
	if got := s.Score(Input{Responses: []string{"a", "b"}}); got.Total != 2 || got.Parts["n"] != 2 {
		t.Errorf("Func adapter: %+v", got)
	}
}
