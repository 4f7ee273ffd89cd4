package coding_test

import (
	"fmt"

	"github.com/collm/collm/envs/coding"
)

// ExtractCode keeps the code of fenced blocks and drops the prose around them.
func ExampleExtractCode() {
	fmt.Println(coding.ExtractCode("Here you go:\n```python\ndef aux(x):\n    return 2 * x\n```\nHope it helps!"))
	// Output:
	// def aux(x):
	//     return 2 * x
}

// Points applies the level-gated coding reward to a judgment: here the entry point is defined
// and parses, passes 3 of 4 tests, and calls aux without being a mere wrapper.
func ExamplePoints() {
	j := coding.Judgment{
		AuxDefined: true, AuxReturns: true, MainDefined: true, MainReturns: true, SyntaxOK: true,
		CallsAux: true, Total: 4,
		Tests: []coding.TestResult{{Passed: true}, {Passed: true}, {Passed: true}, {Passed: false}},
	}
	pts, parts := coding.Points(&j)
	fmt.Printf("points %.2f, reward %.2f\n", pts, pts+coding.RewardShift)
	for _, name := range coding.PartNames {
		fmt.Printf("%s=%.2f ", name, parts[name])
	}
	fmt.Println()
	// Output:
	// points 3.75, reward -0.25
	// aux_defined=0.40 main_defined=0.60 syntax=0.50 tests_passed=0.75 calls_aux=0.50 not_wrapper=1.00 ignored_result=0.00
}
