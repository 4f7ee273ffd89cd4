package reward_test

import (
	"fmt"
	"strings"

	"github.com/collm/collm/envs/reward"
)

// A two-agent reward: both answers must be non-empty (level 1), the second must be longer (level
// 2, a ramp), and a per-agent term rewards the second agent for saying "because". Shifted so
// that the best joint answer scores 0.
func Example() {
	nonEmpty := reward.Level("non_empty", func(in reward.Input) (float64, bool) {
		ok := strings.TrimSpace(in.Responses[0]) != "" && strings.TrimSpace(in.Responses[1]) != ""
		if !ok {
			return 0, false
		}
		return 0.5, true
	})
	longer := reward.Level("longer", func(in reward.Input) (float64, bool) {
		r := float64(len(in.Responses[1])) / float64(len(in.Responses[0]))
		if r < 1 {
			return 0, false
		}
		return min(r-1, 1), true
	})
	because := reward.AgentTerm("because", 1, func(s string) float64 {
		if strings.Contains(s, "because") {
			return 1
		}
		return 0
	}).Times(0.5)
	scheme := reward.New(nonEmpty, longer, because).Shift(-2).Done()

	for _, responses := range [][]string{
		{"It rained.", "The match was stopped because it rained."},
		{"It rained.", "Rain."},
		{"", "anything"},
	} {
		res := scheme.Score(reward.Input{Responses: responses, Last: true})
		fmt.Printf("%.2f %v stopped=%q\n", res.Total, res.Parts, res.Stopped)
	}
	// Output:
	// 0.00 map[because:1 longer:1 non_empty:0.5] stopped=""
	// -1.50 map[because:0 longer:0 non_empty:0.5] stopped="longer"
	// -2.00 map[because:0 longer:0 non_empty:0] stopped="non_empty"
}
