package coding

import (
	"math"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
)

// TestFormatQuality checks FormatQuality against values computed by hand for the target
// "def f(x):return " (16 bytes, 15 adjacent pairs). ExtractCode trims trailing blanks, so a
// response is never the whole target.
func TestFormatQuality(t *testing.T) {
	const target = "def f(x):return "
	cases := []struct {
		name, response string
		want           float64
	}{
		{"empty", "", 0},
		// Trimmed to "def f(x):return": 14 pairs, all in the target, prefix 15 of 16.
		{"the target itself", target, 0.1 + 0.4 + 0.5*15.0/16},
		// 23 pairs: the 15 of the target, then "(x" and "x)" of "aux(x)+1".
		{"canonical answer", "def f(x):return aux(x)+1", 0.1 + 0.4*17.0/23 + 0.5},
		// "de": alphabet 1, pairs {de} 1/1, prefix 2/16.
		{"two bytes", "de", 0.1 + 0.4 + 0.5*2.0/16},
		// A repeated byte earns the alphabet share and, if right, one byte of prefix; its
		// pairs "dd" are not in the target.
		{"repeated byte", "dddd", 0.1 + 0.5/16},
		// "\xff" is outside the alphabet; pairs "d\xff", "\xffe" miss; prefix 1.
		{"foreign byte", "d\xffe", 0.1*2.0/3 + 0.5/16},
		// Shifted by one: every pair but the first (" d") matches, no prefix.
		{"shifted", " def f(x):return", 0.1 + 0.4*14.0/15},
		{"markdown is stripped", "```\n" + target + "\n```", 0.1 + 0.4 + 0.5*15.0/16},
	}
	for _, c := range cases {
		if got := FormatQuality(c.response, target); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: FormatQuality(%q) = %v, want %v", c.name, c.response, got, c.want)
		}
	}
}

// TestMiniTargets: f's target carries the statement's parameters.
func TestMiniTargets(t *testing.T) {
	ps := MiniProblems()
	ts := miniTargets(ps)
	seen := map[string]bool{}
	for i, p := range ps {
		seen[ts[i]] = true
		if ts[i] == "def f(x,y):return " && p.Prompt[:6] != "f(x,y)" {
			t.Errorf("%s: target %q for prompt %q", p.ID, ts[i], p.Prompt)
		}
	}
	if len(seen) != 2 || !seen["def f(x):return "] || !seen["def f(x,y):return "] {
		t.Errorf("targets %v, want def f(x):return and def f(x,y):return", seen)
	}
}

// TestShapedScheme checks the gating and bounds of format_shaping: it pays only for the
// functions that fail level 1, never more than level 1 would, and leaves the rest of the
// reward as MiniScheme computes it.
func TestShapedScheme(t *testing.T) {
	ps := MiniProblems() // task 0: f(x)=2*x+1
	const task = 0
	aux, f := "def aux(x):return 2*x", "def f(x):return aux(x)+1"
	qa, qf := FormatQuality("dex", auxTarget), FormatQuality("def f(", "def f(x):return ")
	full := Judgment{AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 3,
		Tests: []TestResult{{Passed: true}, {Passed: true}, {Passed: true}}, CallsAux: true}
	cases := []struct {
		name      string
		agents    int
		responses []string
		j         Judgment
		shaping   float64
	}{
		{"both fail level 1", 2, []string{"dex", "def f("}, Judgment{}, ShapingAux*qa + ShapingMain*qf},
		{"aux passes: only f is shaped", 2, []string{aux, "def f("}, Judgment{AuxDefined: true, AuxReturns: true}, ShapingMain * qf},
		{"f passes: only aux is shaped", 2, []string{"dex", f}, Judgment{MainDefined: true, MainReturns: true}, ShapingAux * qa},
		{"aux without return is shaped", 2, []string{"dex", f}, Judgment{AuxDefined: true, MainDefined: true, MainReturns: true}, ShapingAux * qa},
		{"full answer: no shaping", 2, []string{aux, f}, full, 0},
		{"one agent: no aux shaping", 1, []string{"def f("}, Judgment{}, ShapingMain * qf},
		{"empty responses", 2, []string{"", ""}, Judgment{}, 0},
	}
	for _, c := range cases {
		in := reward.Input{Responses: c.responses, Task: task, Last: true, Data: &c.j}
		res := MiniShapedScheme(c.agents, ps).Score(in)
		exact := MiniScheme(c.agents, true).Score(in)
		maxPts := miniMaxPoints(c.agents)
		if got := res.Parts["format_shaping"]; math.Abs(got-c.shaping) > 1e-12 {
			t.Errorf("%s: format_shaping %v, want %v", c.name, got, c.shaping)
		}
		if want := exact.Total + c.shaping/maxPts; math.Abs(res.Total-want) > 1e-12 {
			t.Errorf("%s: total %v, want exact %v + shaping/%v = %v", c.name, res.Total, exact.Total, maxPts, want)
		}
		for k, v := range exact.Parts {
			if res.Parts[k] != v {
				t.Errorf("%s: part %s = %v, exact scheme %v", c.name, k, res.Parts[k], v)
			}
		}
	}
	// Bounds: the most shaping a function can get is below its level-1 points.
	if ShapingAux >= PointsAuxDefined || ShapingMain >= PointsMainDefined {
		t.Errorf("shaping weights %v, %v not below level 1's %v, %v", ShapingAux, ShapingMain, PointsAuxDefined, PointsMainDefined)
	}
}

// TestMiniShapingOption checks the option's wiring end to end (judge included): shaping=true
// (default) pays format_shaping for a header on its way, shaping=false gives the exact -1 and
// no such part, and a bad value is an error.
func TestMiniShapingOption(t *testing.T) {
	joint := []string{"def au", "def f("}
	for _, c := range []struct {
		opts map[string]string
		want float64
	}{
		{nil, -1 + (ShapingAux*FormatQuality(joint[0], auxTarget)+ShapingMain*FormatQuality(joint[1], "def f(x):return "))/MaxPoints},
		{map[string]string{"shaping": "false"}, -1},
		{map[string]string{"shaping": "true", "dense": "false", "turns": "1"}, -1}, // sparse is never shaped
	} {
		env, err := envs.New("coding-mini", c.opts)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := env.Reset(0, 0)
		tr, err := st.Step(joint)
		if err != nil {
			t.Fatal(err)
		}
		_, hasPart := tr.Parts["format_shaping"]
		if math.Abs(tr.Reward-c.want) > 1e-12 || hasPart != (c.want != -1) {
			t.Errorf("%v: reward %v (want %v), parts %v", c.opts, tr.Reward, c.want, tr.Parts)
		}
	}
	if _, err := envs.New("coding-mini", map[string]string{"shaping": "maybe"}); err == nil {
		t.Error("shaping=maybe: want an error")
	}
}
