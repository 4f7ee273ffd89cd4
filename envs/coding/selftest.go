package coding

import (
	"context"
	"fmt"
	"sync"
)

// SelfTestResult is one problem's canonical-solution run.
type SelfTestResult struct {
	ID            string
	Passed, Total int
	Failures      []string // "test source -> error" of each failed test
	Err           error    // sandbox failure
}

// OK is true when every test passed.
func (r SelfTestResult) OK() bool { return r.Err == nil && r.Total > 0 && r.Passed == r.Total }

// SelfTest runs every problem's canonical program through the judge with workers concurrent
// runs (level 3 directly: the canonical solution is the whole program, no aux). Results are in
// problem order.
func SelfTest(ctx context.Context, j *Judge, problems []Problem, workers int) []SelfTestResult {
	workers = max(workers, 1)
	out := make([]SelfTestResult, len(problems))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := &problems[i]
				r := SelfTestResult{ID: p.ID}
				jd, err := j.Evaluate(ctx, p, Submission{Program: p.Canonical})
				r.Err = err
				r.Passed, r.Total = jd.Passed(), jd.Total
				for _, t := range jd.Tests {
					if !t.Passed {
						r.Failures = append(r.Failures, fmt.Sprintf("%s -> %s", firstLine(t.Source), t.Error))
					}
				}
				if jd.TestError != "" {
					r.Failures = append(r.Failures, "tests: "+jd.TestError)
				}
				if jd.JudgeError != "" {
					r.Failures = append(r.Failures, "judge: "+jd.JudgeError)
				}
				if !jd.SyntaxOK && jd.SyntaxError != "" {
					r.Failures = append(r.Failures, "syntax: "+jd.SyntaxError)
				}
				out[i] = r
			}
		}()
	}
	for i := range problems {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
