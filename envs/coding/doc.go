// Package coding is the coding domain of the paper: two agents write Python for one problem
// (HumanEval, MBPP, or the CPU-scale coding-mini). Agent 1 writes a helper `def aux(...)`,
// agent 2 writes the problem's entry point and may call aux; the joint program is judged in a
// sandbox (package sandbox) and scored with the spec's level-gated reward (Points).
//
// Registered envs: "humaneval" and "mbpp" (option data=PATH is required: the product never
// reads the repository's test data), and "coding-mini" (see mini.go): arithmetic one-liners
// for tiny agents trained from scratch, whose prompts end with the function header (its
// MiniPrompter is a Completer: the env prepends the header to each body), whose responses end
// at the first newline (Config.Stop), and which implements envs.Vocab, so preset agents use a
// word-level tokenizer over its pieces.
//
// How a joint response is judged (judge.py, embedded and run in the sandbox):
//   - ExtractCode strips markdown fences from each response.
//   - The helper is the last top-level `def aux(` of agent 1's response, the entry point the
//     last top-level `def <entry>(` of agent 2's. When a response does not parse, the function
//     is its def line plus the indented block after it, so level 1 can reward a function's shape
//     before level 2 rewards its syntax. Anything else in the responses is dropped, except
//     top-level imports, as in the authors' code which keeps only the two functions.
//   - The program is: the prompt's imports and helper definitions (e.g. is_palindrome of
//     HumanEval/10), the agents' imports, aux, the entry point. Level 2 parses it.
//   - Static checks use Python's ast on the entry point: calls aux (and does not bind the name
//     aux locally, e.g. by defining its own), ignores an aux result (a bare `aux(...)`
//     statement), is a mere wrapper (it returns aux's result unchanged: its body, docstring
//     aside, is `return aux(...)`, or `v = aux(...)` then `return v`). The authors' regex also
//     calls `return aux(x) + 1` a wrapper; we follow the spec's words ("a mere wrapper"), which
//     is what lets coding-mini's one-liners reach the maximum.
//   - Tests: HumanEval's check(candidate) is split into top-level statements; each one that
//     asserts and mentions candidate (or the entry point) is one test, the others are setup run
//     before the later tests. MBPP's test_list items are the tests. After 3 timeouts the rest
//     count as failed.
//
// Tests are judged outside the candidate's process. The program runs in its own sandbox
// (candidate.py), which holds nothing of the tests; the tests run in the judge's sandbox
// (judge.py) with the entry point replaced by a proxy: each call sends its arguments as data
// (datacodec.py: built-in values of exact types, strict JSON) through judge.go to the program,
// whose answer comes back as data, a plain value or the name of the exception it raised, and
// the test's own code compares it there. A value that is not data (an object with its own
// __eq__, a subclass, a generator) fails the test, as do a crash or a timeout during a call,
// whatever the test's code catches. The program cannot reach the judge's process, its files or
// the data set (separate PID and mount namespaces, a minimal root: package sandbox), so the
// most a program can do is answer its own calls, right or wrong. Only trusted code runs in the
// judge: the prompt's helpers, the test code, and the program's plain `import module` lines of
// standard-library modules (MBPP's tests use modules the solution imports). The program is
// loaded once per submission, again after a test that killed it, and its state carries over
// between tests as in HumanEval's check(). TestForgedRewardsAndEscapes holds the hostile
// programs this stops.
//
// Nothing one submission does reaches the next: each is loaded in a forked process with a fresh
// working directory. Where the sandbox has a PID namespace and an unprivileged uid (root mode),
// candidate.py serves submission after submission: after each it kills every other process of
// its sandbox, empties the scratch space and drops unread input, and it is not dumpable (the
// programs, same uid, can neither trace it nor open its memory or descriptors); judge.go
// accepts only lines with the submission's random nonce, which no earlier program knew.
// Elsewhere every submission gets a fresh sandbox, started ahead of need.
//
// A failure of the judge itself (a sandbox that does not start, a judge process that dies) is retried once and then
// returned as an error, never scored as the model's failure; Step's info reports
// judge_retries. judge_error is a submission that hit the judge's wall-clock limit (its
// unreported tests count as failed).
//
// The reward is expressed twice: Points is the plain function of the spec, and SpecScheme
// (coding-mini: MiniScheme) composes the same levels with package envs/reward; the env uses
// the scheme, with the Judgment as reward.Input.Data, and the tests check the two agree.
//
// Speed: the judge processes are persistent by default: a Judge keeps up to Workers of them,
// each a judge.py in its own sandbox that forks one child per submission, which saves an
// interpreter start-up per submission; JudgeConfig.OneShot starts a fresh judge sandbox per
// submission instead.
package coding
