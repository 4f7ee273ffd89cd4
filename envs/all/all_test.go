package all_test

import (
	"testing"

	"github.com/collm/collm/envs"
	_ "github.com/collm/collm/envs/all"
	"github.com/collm/collm/envs/envtest"
)

// dataOptions are the options of the envs that need a data file (the product takes the user's
// path; the tests use the shared data and the coding package's small MBPP file).
var dataOptions = map[string]map[string]string{
	"humaneval": {"data": "../../../shared/data/humaneval/HumanEval.jsonl.gz"},
	"mbpp":      {"data": "../coding/testdata/mbpp_small.jsonl"},
}

// TestAllRegistered runs the conformance suite on every registered env with its default options
// (and a data file where one is required).
func TestAllRegistered(t *testing.T) {
	regs := envs.List()
	if len(regs) == 0 {
		t.Fatal("no env registered")
	}
	for _, r := range regs {
		t.Run(r.Name, func(t *testing.T) {
			if r.Summary == "" {
				t.Errorf("env %s has no summary", r.Name)
			}
			for _, o := range r.Options {
				if o.Name == "" || o.Help == "" {
					t.Errorf("env %s: option %+v needs a name and a help line", r.Name, o)
				}
			}
			env, err := envs.New(r.Name, dataOptions[r.Name])
			if err != nil {
				t.Fatalf("default construction: %v", err)
			}
			if env.Spec().Name != r.Name {
				t.Errorf("Spec().Name = %q, registered as %q", env.Spec().Name, r.Name)
			}
			envtest.Conformance(t, env, envtest.HugeBytes(32<<10))
		})
	}
}
