package coding

import (
	"sync"
	"testing"
	"time"
)

var (
	testJudgeOnce sync.Once
	testJudge     *Judge
	testJudgeErr  error
)

// newTestJudge returns a shared judge with a 5 s test timeout.
func newTestJudge(t testing.TB) *Judge {
	t.Helper()
	testJudgeOnce.Do(func() { testJudge, testJudgeErr = NewJudge(JudgeConfig{TestTimeout: 5 * time.Second}) })
	if testJudgeErr != nil {
		t.Fatal(testJudgeErr)
	}
	return testJudge
}
