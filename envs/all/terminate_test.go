package all_test

import (
	"maps"
	"math"
	"testing"

	"github.com/collm/collm/envs"
)

// TestTerminationThresholds checks every registered env's early termination (envs.Terminator)
// with its default options and with the options that move or disable it.
func TestTerminationThresholds(t *testing.T) {
	type want struct {
		threshold float64
		ok        bool
	}
	off := want{}
	on := func(threshold float64) want { return want{threshold, true} }
	defaults := map[string]want{
		"arxiv":           off,      // one turn
		"tldr":            off,      // one turn
		"writing-mini":    off,      // every turn pays a new positive score
		"toy-coord":       off,      // every turn is a new game paying a positive score
		"humaneval":       on(-0.2), // the reference's coding configs, reward in [-4, 0]
		"mbpp":            on(-0.2),
		"coding-mini":     on(-0.05), // 0.2 of 4 points on the [-1, 0] scale
		"strbuild":        on(-0.1),  // shift -2 + 1.9
		"strbuild-mini":   on(-0.1),  // shift -2 + 1.9
		"housebuild":      on(0.0),   // shift -1 + 1.0
		"housebuild-mini": on(0.0),   // shift -1 + 1.0
	}
	cases := []struct {
		env  string
		opts map[string]string
		want want
	}{
		{"strbuild", map[string]string{"shift": "-3"}, on(-1.1)},
		{"strbuild", map[string]string{"dense": "false"}, off},
		{"strbuild-mini", map[string]string{"shift": "0"}, on(1.9)},
		{"strbuild-mini", map[string]string{"shaping": "true"}, on(-0.1)},
		{"strbuild-mini", map[string]string{"dense": "false"}, off},
		{"housebuild", map[string]string{"shift": "-2"}, on(-1.0)},
		{"housebuild", map[string]string{"dense": "false"}, off},
		{"housebuild-mini", map[string]string{"shift": "-1.5", "shaping": "true"}, on(-0.5)},
		{"housebuild-mini", map[string]string{"dense": "false"}, off},
		{"coding-mini", map[string]string{"agents": "1"}, on(-0.2 / 2.1)},
		{"coding-mini", map[string]string{"shaping": "false"}, on(-0.05)},
		{"coding-mini", map[string]string{"dense": "false"}, off},
		{"coding-mini", map[string]string{"dense": "false", "agents": "1"}, off},
		{"humaneval", map[string]string{"agents": "1", "turns": "4"}, on(-0.2)},
		{"writing-mini", map[string]string{"turns": "3"}, off},
		{"writing-mini", map[string]string{"turns": "3", "dense": "false"}, off},
		{"toy-coord", map[string]string{"turns": "3"}, off},
		{"toy-coord", map[string]string{"turns": "3", "sparse": "true"}, off},
	}
	for _, r := range envs.List() {
		w, ok := defaults[r.Name]
		if !ok {
			t.Errorf("env %s: add its expected termination threshold to this test", r.Name)
			continue
		}
		cases = append(cases, struct {
			env  string
			opts map[string]string
			want want
		}{r.Name, nil, w})
	}
	for _, tc := range cases {
		opts := maps.Clone(dataOptions[tc.env])
		if opts == nil {
			opts = map[string]string{}
		}
		maps.Copy(opts, tc.opts)
		env, err := envs.New(tc.env, opts)
		if err != nil {
			t.Errorf("%s %v: %v", tc.env, tc.opts, err)
			continue
		}
		term, ok := env.(envs.Terminator)
		if !ok {
			t.Errorf("%s does not implement envs.Terminator", tc.env)
			continue
		}
		threshold, on := term.TerminationThreshold()
		if on != tc.want.ok || math.Abs(threshold-tc.want.threshold) > 1e-12 {
			t.Errorf("%s %v: TerminationThreshold() = (%v, %v), want (%v, %v)", tc.env, tc.opts, threshold, on, tc.want.threshold, tc.want.ok)
		}
		if !on && threshold != 0 {
			t.Errorf("%s %v: threshold %v with ok=false, want 0", tc.env, tc.opts, threshold)
		}
	}
}
