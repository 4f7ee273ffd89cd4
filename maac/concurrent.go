package maac

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// concurrently runs an update's independent tasks (the agents' generation, the agents' and the
// critics' optimizer steps) at the same time, or one after another in order with
// Common.Sequential. Each task records into its own Metrics, added into m afterwards (durations
// add up; every other key is one task's). Tasks must not share mutable state; their graphs run
// through lm.RunExec, which builds a new graph alone. A task's panic becomes its error. It
// returns the first error in task order.
//
// One small model's graph leaves cores of the go backend idle, which concurrent tasks use (README,
// Performance); the results are those of the sequential order, as no task reads what another
// writes (TestConcurrentUpdatesMatchSequential).
func (t *Trainer) concurrently(m Metrics, tasks ...func(Metrics) error) error {
	metrics := make([]Metrics, len(tasks))
	errs := make([]error, len(tasks))
	run := func(k int) {
		defer func() {
			if p := recover(); p != nil {
				errs[k] = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		errs[k] = tasks[k](metrics[k])
	}
	var wg sync.WaitGroup
	for k := range tasks {
		metrics[k] = Metrics{}
		if t.common.Sequential || len(tasks) == 1 {
			if run(k); errs[k] != nil {
				break
			}
		} else {
			wg.Go(func() { run(k) })
		}
	}
	wg.Wait()
	for _, tm := range metrics {
		for key, v := range tm {
			m[key] += v
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
