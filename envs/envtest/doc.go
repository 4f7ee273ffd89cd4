// Package envtest checks that an envs.Env keeps the contract of the envs package. Every env
// package calls Conformance from its tests:
//
//	func TestConformance(t *testing.T) {
//		env, err := envs.New("tldr", nil)
//		if err != nil {
//			t.Fatal(err)
//		}
//		envtest.Conformance(t, env)
//	}
//
// Conformance checks: a sane Spec; Reset rejects out-of-range tasks; prompts and responses have
// one entry per agent; a wrong number of responses is an error; empty, whitespace, garbage, huge,
// non-UTF-8 and caller-supplied responses never panic and give finite rewards, parts and info;
// every episode ends with Done and a nil Next within MaxTurns, with turn numbers counting up;
// States are immutable (stepping twice gives the same transition, prompts do not change);
// determinism under a seed (same task, seed and responses give the same prompts, rewards, parts,
// info and feedback); concurrent episodes (run the tests with -race); and the optional TaskNamer
// (round trip, unknown id is an error) and EvalSplitter (indices in range) capabilities.
package envtest
