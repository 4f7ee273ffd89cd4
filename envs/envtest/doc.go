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
// (round trip, unknown id is an error) and EvalSplitter (indices in range) capabilities. Each
// group is a subtest: ResetRange, WrongResponseCount, Episodes, Concurrent, TaskNamer and
// EvalSplitter.
//
// # Without a test
//
// Check runs the same checks where there is no *testing.T, such as a cell of a Go notebook
// (GoNB) that has just defined a new env, and returns a Report: one CheckResult per check, with
// its problems. Printing it gives one line per check:
//
//	fmt.Println(envtest.Check(myEnv{}))
//
//	env "myenv": FAIL, 1 of 4 checks failed
//	ok   ResetRange
//	ok   WrongResponseCount
//	FAIL Episodes: Step panicked: runtime error: index out of range [3] with length 2 (task 0, seed 1, responses "empty", turn 0) (+3 more)
//	ok   Concurrent
//
// A panic in the env (Reset, Step, Prompts, ...) is a problem of the check that met it, never a
// crash of the cell; a bad spec or option stops the checks and is reported as "Setup".
// Report.Err is nil when every check passed, for code that wants an error. Check does not read
// -short (outside tests the testing flags are not parsed): it plays the first and the last task
// with seeds 1 and 2 unless Tasks says otherwise. An env whose Step never returns hangs Check as
// it would hang a test.
package envtest
