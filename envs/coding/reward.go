package coding

// Points of the level-gated coding reward (spec: ENVIRONMENTS.md, "Coding"; max 4.0).
const (
	PointsAuxDefined    = 0.4  // L1: aux defined and returns a value
	PointsMainDefined   = 0.6  // L1: entry point defined and returns a value; otherwise stop
	PointsSyntax        = 0.5  // L2: imports + aux + main parse; otherwise stop
	PointsTests         = 1.0  // L3: times passed/total tests
	PointsCallsAux      = 0.5  // bonus: main calls aux
	PointsNotWrapper    = 1.0  // bonus: main is not a mere wrapper of aux
	PointsIgnoredResult = -0.5 // bonus: aux called as a bare statement (result ignored)
	MaxPoints           = 4.0
	RewardShift         = -4.0 // the env's reward is points + shift, in [-4, 0]
)

// PartNames are the keys of Points' parts, in scoring order.
var PartNames = []string{"aux_defined", "main_defined", "syntax", "tests_passed", "calls_aux", "not_wrapper", "ignored_result"}

// Points computes the level-gated points of a judgment, and each part's contribution (they
// sum to the points). Parts: aux_defined, main_defined, syntax, tests_passed, calls_aux,
// not_wrapper, ignored_result.
//
// Levels are checked in order and the first failing one stops the scoring:
//   - L1: +0.4 when aux is defined and returns a value (not required to go on); +0.6 when the
//     entry point is defined and returns a value; stop without it.
//   - L2: +0.5 when the combined program parses; stop otherwise.
//   - L3: +1.0 * passed/total; tests skipped after 3 timeouts count as failed.
//   - Bonuses, only when at least one test passed and aux is defined: +0.5 when main calls
//     aux; then (nested, as in the authors' code, so that a main that never calls aux cannot
//     collect them) +1.0 when main is not a mere wrapper of aux and -0.5 when an aux call's
//     result is ignored.
func Points(j *Judgment) (float64, map[string]float64) {
	parts := map[string]float64{
		"aux_defined": 0, "main_defined": 0, "syntax": 0, "tests_passed": 0,
		"calls_aux": 0, "not_wrapper": 0, "ignored_result": 0,
	}
	sum := func() float64 { // in a fixed order, so the float sum is deterministic
		t := 0.0
		for _, k := range PartNames {
			t += parts[k]
		}
		return t
	}
	if j.AuxDefined && j.AuxReturns {
		parts["aux_defined"] = PointsAuxDefined
	}
	if !(j.MainDefined && j.MainReturns) {
		return sum(), parts
	}
	parts["main_defined"] = PointsMainDefined
	if !j.SyntaxOK {
		return sum(), parts
	}
	parts["syntax"] = PointsSyntax
	passed := j.Passed()
	if j.Total > 0 {
		parts["tests_passed"] = PointsTests * float64(passed) / float64(j.Total)
	}
	if passed >= 1 && j.AuxDefined && j.CallsAux {
		parts["calls_aux"] = PointsCallsAux
		if !j.Wrapper {
			parts["not_wrapper"] = PointsNotWrapper
		}
		if j.IgnoredResult {
			parts["ignored_result"] = PointsIgnoredResult
		}
	}
	return sum(), parts
}
