package coding

import (
	"fmt"
	"testing"

	"github.com/collm/collm/envs"
)

// TestMiniTermination: on coding-mini's dense reward only a fully correct joint answer ends an
// episode early; two of three tests passing with every bonus, or a wrapper, do not.
func TestMiniTermination(t *testing.T) {
	for _, tc := range []struct {
		agents int
		joint  []string
		ends   bool
	}{
		{2, []string{"2 *x ", "aux(x) +1 "}, true},  // canonical: 4 of 4 points
		{2, []string{"x *x ", "aux(x) +1 "}, false}, // 2 of 3 tests: 3.67 points
		{2, []string{"2 *x +1 ", "aux(x) "}, false}, // wrapper: 3 points
		{1, []string{"2 *x +1 "}, true},             // 2.1 of 2.1 points
		{1, []string{"x *x +1 "}, false},            // 2 of 3 tests: 1.77 points
	} {
		env, err := envs.New("coding-mini", map[string]string{"agents": fmt.Sprint(tc.agents), "turns": "2"})
		if err != nil {
			t.Fatal(err)
		}
		threshold, ok := env.(envs.Terminator).TerminationThreshold()
		if !ok {
			t.Fatalf("agents=%d: no threshold", tc.agents)
		}
		if id := env.(*MiniEnv).TaskID(0); id != "mini/0/2/1" {
			t.Fatalf("task 0 is %s, want mini/0/2/1 (f(x)=2 *x +1)", id)
		}
		st, _ := env.Reset(0, 0)
		tr, err := st.Step(tc.joint)
		if err != nil {
			t.Fatal(err)
		}
		if ends := tr.Reward > threshold; ends != tc.ends {
			t.Errorf("agents=%d %q: reward %v, threshold %v: ends=%v, want %v (parts %v)", tc.agents, tc.joint, tr.Reward, threshold, ends, tc.ends, tr.Parts)
		}
	}
}
