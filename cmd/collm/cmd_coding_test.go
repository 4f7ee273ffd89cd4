package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCodingSelftest(t *testing.T) {
	code, out, errOut := runEnvsCmd("coding", "selftest", "--data", "../../envs/coding/testdata/mbpp_small.jsonl", "--workers", "2", "-v")
	if code != 0 || !strings.Contains(out, "problems: 3/3 passed, tests: 7/7 passed") || !strings.Contains(out, "ok   MBPP/2 2/2") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad-mbpp.jsonl")
	os.WriteFile(bad, []byte(`{"task_id": 1, "text": "t", "code": "def g(x):\n    return x + 1", "test_list": ["assert g(1) == 3"]}`+"\n"), 0o644)
	code, out, _ = runEnvsCmd("coding", "selftest", "--data", bad)
	if code != 1 || !strings.Contains(out, "FAIL MBPP/1 0/1") || !strings.Contains(out, "AssertionError") {
		t.Errorf("failing canonical solution: exit %d, stdout:\n%s", code, out)
	}
	for _, args := range [][]string{{"coding"}, {"coding", "selftest"}, {"coding", "selftest", "--data", bad, "--workers", "0"}, {"coding", "selftest", "--data", bad, "--format", "apps"}} {
		if code, _, errOut := runEnvsCmd(args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d (want 2), stderr %q", args, code, errOut)
		}
	}
	code, _, errOut = runEnvsCmd("coding", "selftest", "--data", filepath.Join(t.TempDir(), "missing.jsonl"))
	if code != 1 || !strings.Contains(errOut, "missing.jsonl") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

// TestCodingSelftestHumanEval: all 164 canonical solutions pass (exit 0).
func TestCodingSelftestHumanEval(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 164 problems")
	}
	data := "../../../shared/data/humaneval/HumanEval.jsonl.gz"
	if _, err := os.Stat(data); err != nil {
		t.Skip("no HumanEval data")
	}
	code, out, errOut := runEnvsCmd("coding", "selftest", "--data", data)
	if code != 0 || !strings.Contains(out, "problems: 164/164 passed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}
