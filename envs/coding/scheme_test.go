package coding

import (
	"math"
	"testing"

	"github.com/collm/collm/envs/reward"
)

// TestSchemesMatchPoints cross-checks the envs/reward schemes against the plain Points function
// and checks the coding-mini normalisations by hand.
func TestSchemesMatchPoints(t *testing.T) {
	allPass := []TestResult{{Passed: true}, {Passed: true}}
	full := Judgment{AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 2, Tests: allPass, CallsAux: true}
	noAux := Judgment{MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 2, Tests: allPass}
	half := Judgment{MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 2, Tests: []TestResult{{Passed: true}}}
	cases := []struct {
		name                string
		j                   Judgment
		agents              int
		last                bool
		spec, dense, sparse float64
	}{
		{"full, two agents", full, 2, true, 0, 0, 0},
		{"nothing", Judgment{}, 2, true, -4, -1, -1},
		{"all tests, no aux, one agent", noAux, 1, true, -4 + 2.1, 0, 0},
		{"all tests, no aux, two agents", noAux, 2, true, -4 + 2.1, (2.1 - 4) / 4, -1},
		{"half the tests, one agent", half, 1, true, -4 + 1.6, (1.6 - 2.1) / 2.1, -1},
		{"sparse pays nothing before the last turn", Judgment{}, 2, false, -4, -1, 0},
	}
	for _, c := range cases {
		in := reward.Input{Last: c.last, Data: &c.j}
		pts, _ := Points(&c.j)
		got := []float64{SpecScheme().Score(in).Total, MiniScheme(c.agents, true).Score(in).Total, MiniScheme(c.agents, false).Score(in).Total}
		want := []float64{c.spec, c.dense, c.sparse}
		for i, name := range []string{"spec", "mini dense", "mini sparse"} {
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Errorf("%s: %s reward %v, want %v", c.name, name, got[i], want[i])
			}
		}
		if math.Abs(got[0]-(pts-4)) > 1e-9 {
			t.Errorf("%s: spec scheme %v != Points-4 %v", c.name, got[0], pts-4)
		}
	}
}
