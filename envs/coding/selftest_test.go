package coding

import (
	"context"
	"testing"
	"time"
)

const humanEvalPath = "../../../shared/data/humaneval/HumanEval.jsonl.gz"

func loadHumanEvalForTest(t testing.TB) []Problem {
	t.Helper()
	ps, err := LoadHumanEval(humanEvalPath)
	if err != nil {
		t.Skipf("HumanEval data not available: %v", err)
	}
	return ps
}

// TestHumanEvalCanonical: all 164 canonical solutions must pass all their tests.
func TestHumanEvalCanonical(t *testing.T) {
	ps := loadHumanEvalForTest(t)
	if testing.Short() {
		ps = ps[:12]
	}
	j := newTestJudge(t)
	start := time.Now()
	res := SelfTest(context.Background(), j, ps, 2)
	t.Logf("%d problems in %v", len(ps), time.Since(start))
	for _, r := range res {
		if !r.OK() {
			t.Errorf("%s: %d/%d err=%v failures=%q", r.ID, r.Passed, r.Total, r.Err, r.Failures)
		}
	}
}
