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
//     before the later tests. MBPP's test_list items are the tests. Each test runs in its own
//     forked process with the per-test timeout; after 3 timeouts the rest count as failed.
//
// The reward is expressed twice: Points is the plain function of the spec, and SpecScheme
// (coding-mini: MiniScheme) composes the same levels with package envs/reward; the env uses
// the scheme, with the Judgment as reward.Input.Data, and the tests check the two agree.
//
// Speed: by default a Judge keeps up to Workers persistent judge servers, each a judge.py in
// its own sandbox that forks one child per submission (fresh working directory; after each
// submission every other process in the sandbox is killed and its private /tmp emptied). This
// saves two interpreter start-ups per submission; JudgeConfig.OneShot starts a fresh sandbox
// per submission instead.
//
// Limits of the judge: a test passes when its process reports success through a private pipe
// after the assert returned, so os._exit(0) or sys.exit() in the candidate fail the test; code
// that deliberately searches its own file descriptors could still forge a pass, since the
// candidate and the test share a process.
package coding
