package coding

import (
	"math"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
)

// TestFormatQuality checks FormatQuality against values computed by hand for the header
// "def f(x):return ". ExtractCode trims trailing blanks, so a header alone has no body.
func TestFormatQuality(t *testing.T) {
	const header = "def f(x):return "
	cases := []struct {
		name, response string
		want           float64
	}{
		{"empty", "", 0},
		{"header without a body", header, 0},
		{"another header", "def f(x,y):return x", 0},
		{"canonical answer", "def f(x):return aux(x)+1", 1},
		{"mini spacing", "def f(x):return aux(x) +1 ", 1},
		{"calls, parentheses, max", "def f(x):return (max(x,2)+1)*3", 1},
		{"unary, ** // % and an empty call", "def f(x):return -x**2 // 3 % g()", 1},
		// Body "aux(x)+" (7 bytes): the complete expression is "aux(x)".
		{"dangling operator", "def f(x):return aux(x)+", 0.5 + 0.5*6/7},
		// Body "max(x,2" (7 bytes): only the name "max" is complete.
		{"open call", "def f(x):return max(x,2", 0.5 + 0.5*3/7},
		// Body "x y": a name cannot follow an operand.
		{"two operands", "def f(x):return x y", 0.5 + 0.5/3},
		// A keyword is not an operand.
		{"header repeated", "def f(x):return def f(x):return 1", 0},
		// Body "3*xdef f(x):return" (18 bytes): "3*xdef" is complete ("xdef" is a name).
		{"junk after the answer", "def f(x):return 3*xdef f(x):return ", 0.5 + 0.5*6/18},
		{"markdown is stripped", "```\n" + header + "x+1\n```", 1},
	}
	for _, c := range cases {
		if got := FormatQuality(c.response, header); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: FormatQuality(%q) = %v, want %v", c.name, c.response, got, c.want)
		}
	}
}

// TestCompleteExpr checks the mini expression grammar: the length of the longest complete
// expression at the start of s.
func TestCompleteExpr(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{"", 0}, {"3", 1}, {"x", 1}, {"3*x", 3}, {"3*", 1}, {"*3", 0}, {"-x", 2}, {"- -x", 4},
		{"aux(x)+1", 8}, {"aux(x)+", 6}, {"max(x,3)", 8}, {"max(x,3", 3}, {"max(x,,3)", 3},
		{"(x+1)*2", 7}, {"(x,1)", 0}, {"()", 2}, {"f()", 3}, {"x)", 1}, {"x ** 2 // 3", 11},
		{"x ***2", 1}, {"3 4", 1}, {"x\ny", 1}, {"x;y", 1}, {"return x", 0}, {"True", 4}, {"x2_a+1", 6},
		{"aux(x)(1)", 9}, {"3*x  ", 3}, {"max(x ,3 ) +1 ", 13},
	} {
		if got := completeExpr(c.s); got != c.want {
			t.Errorf("completeExpr(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

// FuzzCompleteExpr: the result is a length within s whose prefix is complete on its own, and
// text appended after a complete expression never shortens it.
func FuzzCompleteExpr(f *testing.F) {
	for _, s := range []string{"aux(x)+1", "max(x,3", "(x+1)*2 def", "-x**2//3%g()", "3*xdef f(x):return "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := completeExpr(s)
		if n < 0 || n > len(s) {
			t.Fatalf("completeExpr(%q) = %d, outside [0, %d]", s, n, len(s))
		}
		if completeExpr(s[:n]) != n {
			t.Errorf("completeExpr(%q) = %d, but its prefix %q gives %d", s, n, s[:n], completeExpr(s[:n]))
		}
		if n > 0 && completeExpr(s[:n]+"@") != n {
			t.Errorf("completeExpr(%q + \"@\") = %d, want %d", s[:n], completeExpr(s[:n]+"@"), n)
		}
	})
}

// TestMiniHeaders: f's header carries the statement's parameters.
func TestMiniHeaders(t *testing.T) {
	ps := MiniProblems()
	hs := miniHeaders(ps)
	seen := map[string]bool{}
	for i, p := range ps {
		seen[hs[i]] = true
		if hs[i] == "def f(x,y):return " && p.Prompt[:6] != "f(x,y)" {
			t.Errorf("%s: header %q for prompt %q", p.ID, hs[i], p.Prompt)
		}
	}
	if len(seen) != 2 || !seen["def f(x):return "] || !seen["def f(x,y):return "] {
		t.Errorf("headers %v, want def f(x):return and def f(x,y):return", seen)
	}
}

// TestShapedScheme checks format_shaping against the definition worked by hand: while level 2
// is not earned each function is worth (level 1 + weight) * quality, quality 1 when it parses
// on its own, in place of its level-1 points; the exact parts are MiniScheme's.
func TestShapedScheme(t *testing.T) {
	ps := MiniProblems() // task 0: f(x)=2 *x +1
	const task = 0
	aux, f := "def aux(x):return 2 *x ", "def f(x):return aux(x) +1 "
	badAux, badF := "def aux(x):return 2*", "def f(x):return aux(x)+"
	qa, qf := 0.5+0.5*1/2, 0.5+0.5*6/7 // FormatQuality of badAux and badF
	l1a, l1f := PointsAuxDefined, PointsMainDefined
	full := Judgment{AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true, SyntaxOK: true, Total: 3,
		Tests: []TestResult{{Passed: true}, {Index: 1, Passed: true}, {Index: 2, Passed: true}}, CallsAux: true}
	cases := []struct {
		name      string
		agents    int
		responses []string
		j         Judgment
		shaping   float64
	}{
		{"neither parses", 2, []string{badAux, badF},
			Judgment{AuxDefined: true, AuxReturns: true, AuxParseError: "line 1", MainDefined: true, MainReturns: true, MainParseError: "line 1"},
			(l1a+ShapingAux)*qa - l1a + (l1f+ShapingMain)*qf - l1f},
		{"aux well-formed, f junk", 2, []string{aux, "def f(x):return def"},
			Judgment{AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true, MainParseError: "line 1"}, ShapingAux - l1f},
		{"f well-formed, aux without a body", 2, []string{"def aux(x):return ", f},
			Judgment{AuxDefined: true, MainDefined: true, MainReturns: true}, ShapingMain},
		{"f without a return", 2, []string{aux, "def f(x):pass"},
			Judgment{AuxDefined: true, AuxReturns: true, MainDefined: true, SyntaxOK: true}, ShapingAux},
		{"level 2 earned: no shaping", 2, []string{aux, f}, full, 0},
		{"one agent: no aux shaping", 1, []string{badF}, Judgment{MainDefined: true, MainReturns: true, MainParseError: "line 1"},
			(l1f+ShapingMain)*qf - l1f},
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
	// Bounds: while level 2 fails the shaped points are at most both functions' level 1 plus
	// weights, 1.45, below the 1.5 that both level-1 and level 2 give.
	if PointsAuxDefined+PointsMainDefined+ShapingAux+ShapingMain >= PointsAuxDefined+PointsMainDefined+PointsSyntax {
		t.Errorf("shaping weights %v + %v not below level 2's %v", ShapingAux, ShapingMain, PointsSyntax)
	}
}

// TestMiniShapingOption checks the option's wiring end to end (judge included): shaping=true
// (default) adds format_shaping to the exact points while level 2 fails, shaping=false gives
// the exact reward without that part, the sparse reward is never shaped, and a bad value is an
// error. Responses are bodies; the env prepends the headers.
func TestMiniShapingOption(t *testing.T) {
	// aux is well-formed; f passes level 1 textually ("return a") but does not parse.
	halfway := []string{"2 *x ", "aux(x) +"}
	qf := 0.5 + 0.5*6/8 // body "aux(x) +": the complete "aux(x)" covers 6 of 8 bytes
	// Both parse (level 2: no shaping); f = 2x misses every test (0, 4, 10 for 1, 5, 11).
	parsing := []string{"2 *x ", "aux(x) "}
	for _, c := range []struct {
		opts  map[string]string
		joint []string
		want  float64
	}{
		{nil, halfway, (ShapingAux + (PointsMainDefined+ShapingMain)*qf + PointsAuxDefined - MaxPoints) / MaxPoints},
		{map[string]string{"shaping": "false"}, halfway, (PointsAuxDefined + PointsMainDefined - MaxPoints) / MaxPoints},
		{nil, parsing, (PointsAuxDefined + PointsMainDefined + PointsSyntax - MaxPoints) / MaxPoints},
		{map[string]string{"shaping": "false"}, parsing, (PointsAuxDefined + PointsMainDefined + PointsSyntax - MaxPoints) / MaxPoints},
		{map[string]string{"shaping": "true", "dense": "false", "turns": "1"}, halfway, -1}, // sparse is never shaped
	} {
		env, err := envs.New("coding-mini", c.opts)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := env.Reset(0, 0)
		tr, err := st.Step(c.joint)
		if err != nil {
			t.Fatal(err)
		}
		_, hasFormat := tr.Parts["format_shaping"]
		if math.Abs(tr.Reward-c.want) > 1e-12 || hasFormat != (c.opts["shaping"] == "") {
			t.Errorf("%v %q: reward %v (want %v), parts %v", c.opts, c.joint, tr.Reward, c.want, tr.Parts)
		}
	}
	if _, err := envs.New("coding-mini", map[string]string{"shaping": "maybe"}); err == nil {
		t.Error("shaping=maybe: want an error")
	}
}
