package coding

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string, gz bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if gz {
		w := gzip.NewWriter(f)
		w.Write([]byte(content))
		w.Close()
	} else {
		f.WriteString(content)
	}
	return path
}

const goodHE = `{"task_id": "T/0", "prompt": "def f(x):\n", "entry_point": "f", "canonical_solution": "    return x\n", "test": "def check(candidate):\n    assert candidate(1) == 1\n"}`

func TestLoadHumanEval(t *testing.T) {
	ps := loadHumanEvalForTest(t)
	if len(ps) != 164 || ps[0].ID != "HumanEval/0" || ps[163].ID != "HumanEval/163" || ps[0].EntryPoint != "has_close_elements" {
		t.Fatalf("got %d problems, first %+v", len(ps), ps[0].ID)
	}
	for _, gz := range []bool{false, true} {
		path := writeFile(t, "he.jsonl", goodHE+"\n\n"+strings.Replace(goodHE, "T/0", "T/1", 1)+"\n", gz)
		ps, err := LoadHumanEval(path)
		if err != nil || len(ps) != 2 || ps[1].ID != "T/1" || ps[0].Canonical != "def f(x):\n    return x\n" {
			t.Fatalf("gz=%v: %v %+v", gz, err, ps)
		}
	}
}

func TestLoadMalformed(t *testing.T) {
	cases := []struct {
		name, content, want string
		mbpp                bool
	}{
		{"bad json", goodHE + "\n{not json\n", ":2: not a JSON object", false},
		{"missing entry point", strings.Replace(goodHE, `"entry_point": "f", `, "", 1), ":1: field entry_point is missing", false},
		{"bad entry point", strings.Replace(goodHE, `"entry_point": "f"`, `"entry_point": "f x"`, 1), "not a Python identifier", false},
		{"no check", strings.Replace(goodHE, "def check(candidate)", "def verify(candidate)", 1), "no check(candidate)", false},
		{"duplicate id", goodHE + "\n" + goodHE, ":2: task_id \"T/0\" repeats line 1", false},
		{"empty file", "\n\n", "holds no problems", false},
		{"mbpp missing tests", `{"task_id": 1, "text": "t", "code": "def g(): return 1"}`, ":1: field test_list is missing", true},
		{"mbpp entry not called", `{"task_id": 1, "text": "t", "code": "def g(): return 1", "test_list": ["assert h() == 1"]}`, "no function defined in field code", true},
		{"mbpp bad json", "[1, 2]", ":1: not a JSON object", true},
	}
	for _, c := range cases {
		path := writeFile(t, "x.jsonl", c.content, false)
		var err error
		if c.mbpp {
			_, err = LoadMBPP(path)
		} else {
			_, err = LoadHumanEval(path)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := LoadHumanEval(filepath.Join(t.TempDir(), "missing.jsonl")); err == nil {
		t.Error("missing file: want an error")
	}
}

func TestLoadMBPPAndSelfTest(t *testing.T) {
	ps, err := LoadMBPP("testdata/mbpp_small.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].ID != "MBPP/1" || ps[0].EntryPoint != "bigger" || ps[2].EntryPoint != "squares" || len(ps[1].Asserts) != 2 {
		t.Fatalf("got %+v", ps)
	}
	for _, r := range SelfTest(context.Background(), newTestJudge(t), ps, 2) {
		if !r.OK() {
			t.Errorf("%s: %d/%d %v %q", r.ID, r.Passed, r.Total, r.Err, r.Failures)
		}
	}
}
