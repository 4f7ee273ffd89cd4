package coding

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServerIsolatesJobs: a file one submission writes is gone for the next one.
func TestServerIsolatesJobs(t *testing.T) {
	j, err := NewJudge(JudgeConfig{TestTimeout: 2 * time.Second, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if !j.Sandbox().Isolation().TmpFS {
		t.Skip("no private tmpfs here")
	}
	write := "def add3(a, b, c):\n    import os\n    open('/tmp/carry', 'w').write('x')\n    open(os.path.expanduser('~/carry'), 'w').write('x')\n    return a + b + c\n"
	read := "def add3(a, b, c):\n    import os\n    assert not os.path.exists('/tmp/carry') and not os.path.exists(os.path.expanduser('~/carry'))\n    return a + b + c\n"
	for _, main := range []string{write, read} {
		jd, err := j.Evaluate(context.Background(), &add3, Submission{Aux: auxAdd, Main: main})
		if err != nil || jd.Passed() != 4 {
			t.Fatalf("%v %+v", err, jd.Tests)
		}
	}
}

func indent(code string) string {
	return "    " + strings.ReplaceAll(code, "\n", "\n    ")
}

func processesWith(marker string) []string {
	var out []string
	files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), marker) {
			out = append(out, f)
		}
	}
	return out
}
