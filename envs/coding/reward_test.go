package coding

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/collm/collm/envs/reward"
)

// add3 is a hand-made problem for golden reward cases: 4 asserts.
var add3 = Problem{
	ID: "golden/add3", EntryPoint: "add3",
	Prompt: "def add3(a, b, c):\n    \"\"\"Return a + b + c.\"\"\"\n",
	Test: "def check(candidate):\n    assert candidate(1, 2, 3) == 6\n    assert True\n    assert candidate(0, 0, 0) == 0\n" +
		"    assert candidate(-1, 1, 5) == 5\n    assert candidate(2, 2, 2) == 6\n",
}

var (
	fastJudgeOnce sync.Once
	fastJudge     *Judge
	fastJudgeErr  error
)

// newFastJudge has a 1 s test timeout, for the cases that time out; newTestJudge's 5 s keep
// the others robust on a loaded machine.
func newFastJudge(t testing.TB) *Judge {
	t.Helper()
	fastJudgeOnce.Do(func() { fastJudge, fastJudgeErr = NewJudge(JudgeConfig{TestTimeout: time.Second}) })
	if fastJudgeErr != nil {
		t.Fatal(fastJudgeErr)
	}
	return fastJudge
}

const auxAdd = "def aux(a, b):\n    return a + b\n"

// TestGoldenRewards checks every level and bonus end to end (extraction, judge, Points) against
// points computed by hand from the spec.
func TestGoldenRewards(t *testing.T) {
	cases := []struct {
		name, aux, main string
		points          float64
		parts           map[string]float64 // only the listed parts are checked
	}{
		{"L1 only aux: no entry point stops", auxAdd, "I cannot do this.", 0.4,
			map[string]float64{"aux_defined": 0.4, "main_defined": 0}},
		{"L1 main without return stops", auxAdd, "def add3(a, b, c):\n    print(a + b + c)\n", 0.4,
			map[string]float64{"main_defined": 0, "syntax": 0}},
		{"L2 syntax error stops after L1", auxAdd, "def add3(a, b, c):\n    return a +* b\n", 1.0,
			map[string]float64{"aux_defined": 0.4, "main_defined": 0.6, "syntax": 0}},
		{"L3 all pass, no aux call", auxAdd, "def add3(a, b, c):\n    return a + b + c\n", 2.5,
			map[string]float64{"syntax": 0.5, "tests_passed": 1, "calls_aux": 0, "not_wrapper": 0}},
		{"full: calls aux, not a wrapper", auxAdd, "def add3(a, b, c):\n    s = aux(a, b)\n    return s + c\n", 4.0,
			map[string]float64{"calls_aux": 0.5, "not_wrapper": 1.0, "ignored_result": 0}},
		{"wrapper: return aux(...)", "def aux(a, b, c):\n    return a + b + c\n", "def add3(a, b, c):\n    \"\"\"doc\"\"\"\n    return aux(a, b, c)\n", 3.0,
			map[string]float64{"calls_aux": 0.5, "not_wrapper": 0}},
		{"return aux(...) + c is more than a wrapper", auxAdd, "def add3(a, b, c):\n    return aux(a, b) + c\n", 4.0,
			map[string]float64{"calls_aux": 0.5, "not_wrapper": 1}},
		{"wrapper: v = aux(...); return v", "def aux(a, b, c):\n    return a + b + c\n", "def add3(a, b, c):\n    r = aux(a, b, c)\n    return r\n", 3.0,
			map[string]float64{"not_wrapper": 0}},
		{"ignored aux result", auxAdd, "def add3(a, b, c):\n    aux(a, b)\n    return a + b + c\n", 3.5,
			map[string]float64{"calls_aux": 0.5, "not_wrapper": 1.0, "ignored_result": -0.5}},
		{"3 of 4 tests", auxAdd, "def add3(a, b, c):\n    s = aux(a, b)\n    return s + c if c != 5 else 0\n", 3.75,
			map[string]float64{"tests_passed": 0.75}},
		{"no aux: calls fail, no bonus", "", "def add3(a, b, c):\n    s = aux(a, b)\n    return s + c\n", 1.1,
			map[string]float64{"aux_defined": 0, "tests_passed": 0, "calls_aux": 0}},
		{"aux without return still allows bonuses", "def aux(a, b):\n    print(a)\n", "def add3(a, b, c):\n    aux(a, b)\n    return a + b + c\n", 3.1,
			map[string]float64{"aux_defined": 0, "calls_aux": 0.5, "ignored_result": -0.5}},
		{"main defines its own aux: no bonus", auxAdd, "def add3(a, b, c):\n    def aux(x, y):\n        return x + y\n    return aux(aux(a, b), c)\n", 2.5,
			map[string]float64{"calls_aux": 0}},
		{"markdown and prose are stripped", "Here it is:\n```python\n" + auxAdd + "```\nDone.", "```py\ndef add3(a, b, c):\n    s = aux(a, b)\n    return s + c\n```", 4.0, nil},
		{"agent 1's entry point and agent 2's aux are ignored", auxAdd + "\ndef add3(a, b, c):\n    return 0\n",
			"def aux(a, b):\n    return 0\n\ndef add3(a, b, c):\n    s = aux(a, b)\n    return s + c\n", 4.0, nil},
		{"os._exit and sys.exit do not pass", auxAdd, "import os, sys\ndef add3(a, b, c):\n    s = aux(a, b)\n    if a == 1:\n        os._exit(0)\n    if a == 0:\n        sys.exit(0)\n    return s + c\n", 3.5,
			map[string]float64{"tests_passed": 0.5}},
		{"3 timeouts stop the tests", auxAdd, "def add3(a, b, c):\n    while True:\n        pass\n    return aux(a, b)\n", 1.5,
			map[string]float64{"tests_passed": 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := newTestJudge(t)
			if strings.Contains(c.name, "timeout") {
				j = newFastJudge(t)
			}
			jd, err := j.Evaluate(context.Background(), &add3, Submission{Aux: ExtractCode(c.aux), Main: ExtractCode(c.main)})
			if err != nil {
				t.Fatal(err)
			}
			pts, parts := Points(&jd)
			if math.Abs(pts-c.points) > 1e-9 {
				t.Errorf("points %v, want %v; parts %v; judgment %+v", pts, c.points, parts, jd)
			}
			for k, want := range c.parts {
				if math.Abs(parts[k]-want) > 1e-9 {
					t.Errorf("part %s = %v, want %v", k, parts[k], want)
				}
			}
			res := SpecScheme().Score(reward.Input{Responses: []string{c.aux, c.main}, Last: true, Data: &jd})
			if math.Abs(res.Total-(c.points-4)) > 1e-9 {
				t.Errorf("scheme reward %v, want points-4 = %v", res.Total, c.points-4)
			}
			for k, v := range parts {
				if math.Abs(res.Parts[k]-v) > 1e-9 {
					t.Errorf("scheme part %s = %v, Points part %v", k, res.Parts[k], v)
				}
			}
		})
	}
}

// TestTimeoutCount checks that testing stops after MaxTimeouts timed-out tests.
func TestTimeoutCount(t *testing.T) {
	j := newFastJudge(t)
	jd, err := j.Evaluate(context.Background(), &add3, Submission{Aux: auxAdd, Main: "def add3(a, b, c):\n    while a != 0:\n        pass\n    return 0\n"})
	if err != nil {
		t.Fatal(err)
	}
	// Tests: (1,2,3) timeout, (0,0,0) passes, (-1,1,5) timeout, (2,2,2) timeout -> 4 run, 3 timeouts.
	if jd.Total != 4 || jd.Run != 4 || jd.Timeouts() != 3 || jd.Passed() != 1 {
		t.Fatalf("total %d run %d timeouts %d passed %d, want 4 4 3 1: %+v", jd.Total, jd.Run, jd.Timeouts(), jd.Passed(), jd.Tests)
	}
	long := add3
	long.Test += "    assert candidate(3, 3, 3) == 9\n"
	jd, err = j.Evaluate(context.Background(), &long, Submission{Aux: auxAdd, Main: "def add3(a, b, c):\n    while a != 0:\n        pass\n    return 0\n"})
	if err != nil {
		t.Fatal(err)
	}
	if jd.Total != 5 || jd.Run != 4 || jd.Timeouts() != 3 {
		t.Fatalf("total %d run %d timeouts %d, want 5 4 3 (the fifth test is skipped)", jd.Total, jd.Run, jd.Timeouts())
	}
}

// TestPointsTable checks the gating arithmetic of Points on hand-built judgments.
func TestPointsTable(t *testing.T) {
	pass := []TestResult{{Passed: true}, {Passed: false}}
	cases := []struct {
		name string
		j    Judgment
		want float64
	}{
		{"nothing", Judgment{}, 0},
		{"aux only", Judgment{AuxDefined: true, AuxReturns: true}, 0.4},
		{"main without syntax", Judgment{AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true}, 1.0},
		{"syntax, no tests passed", Judgment{MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 2, CallsAux: true, AuxDefined: true}, 1.1},
		{"half, calls aux, wrapper", Judgment{MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 2, Tests: pass, CallsAux: true, AuxDefined: true, AuxReturns: true, Wrapper: true}, 0.4 + 0.6 + 0.5 + 0.5 + 0.5},
		{"half, no aux: no bonus", Judgment{MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 2, Tests: pass, CallsAux: true}, 0.6 + 0.5 + 0.5},
		{"bonus nested under calls_aux", Judgment{MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 2, Tests: pass, AuxDefined: true, IgnoredResult: true}, 0.6 + 0.5 + 0.5},
		{"zero tests in the problem", Judgment{MainDefined: true, MainReturns: true, SyntaxOK: true}, 1.1},
	}
	for _, c := range cases {
		if got, _ := Points(&c.j); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
