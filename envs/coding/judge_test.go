package coding

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJudgeAdversarial sends hostile entry points through the judge (persistent servers and
// one-shot runs). Each must be contained: a low score, the judge and this process alive, no
// leftovers, and the next submission judged normally.
func TestJudgeAdversarial(t *testing.T) {
	escape := filepath.Join(os.TempDir(), fmt.Sprintf("collm-judge-escape-%d", os.Getpid()))
	t.Cleanup(func() { os.Remove(escape) })
	body := func(code string) string {
		return "def add3(a, b, c):\n" + indent(code) + "\n    return a + b + c\n"
	}
	cases := []struct{ name, main string }{
		{"infinite loop", body("while True:\n    pass")},
		{"fork bomb", body("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")},
		{"memory bomb", body("x = bytearray(8 << 30)")},
		{"100 MB print", body("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\nassert False")},
		{"write outside", body(fmt.Sprintf("open(%q, 'w').write('x')\nassert False", escape))},
		{"network", body("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)")},
		{"kill the judge", body("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")},
		{"kill everything", body("import os, signal\nos.kill(-1, signal.SIGKILL)")},
		{"background process", body("import subprocess\nsubprocess.Popen(['sleep', '4322.5'], start_new_session=True)\nassert False")},
		{"load-time loop", "def add3(a, b, c, d=[i for i in iter(int, 1)]):\n    return a + b + c\n"},
		{"os._exit", body("import os\nos._exit(0)")},
		{"reads stdin", body("import sys\nassert sys.stdin.read() == 'x'")},
		{"syntax garbage", "def add3(a, b, c):\n    return ]]] (\n"},
		{"non-UTF-8", "def add3(a, b, c):\n    return '\xff\xfe' \x00\n"},
	}
	for _, oneShot := range []bool{false, true} {
		if oneShot && testing.Short() {
			continue // the sandbox package's own adversarial suite covers one-shot runs
		}
		j, err := NewJudge(JudgeConfig{TestTimeout: time.Second, Wall: 20 * time.Second, OneShot: oneShot, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("oneshot=%v/%s", oneShot, c.name), func(t *testing.T) {
				start := time.Now()
				jd, err := j.Evaluate(context.Background(), &add3, Submission{Aux: auxAdd, Main: c.main})
				if err != nil {
					t.Fatal(err)
				}
				if jd.Passed() > 0 {
					t.Errorf("hostile code passed %d tests: %+v", jd.Passed(), jd.Tests)
				}
				if el := time.Since(start); el > 25*time.Second {
					t.Errorf("took %v", el)
				}
				if _, err := os.Stat(escape); err == nil {
					t.Errorf("the candidate wrote %s on the host", escape)
				}
				// SIGKILL is delivered asynchronously: allow the kernel a moment.
				left := processesWith("4322.5")
				for try := 0; try < 50 && len(left) > 0; try++ {
					time.Sleep(20 * time.Millisecond)
					left = processesWith("4322.5")
				}
				if len(left) > 0 {
					t.Errorf("leftover processes: %v", left)
				}
				// The judge must still work.
				ok, err := j.Evaluate(context.Background(), &add3, Submission{Aux: auxAdd, Main: "def add3(a, b, c):\n    s = aux(a, b)\n    return s + c\n"})
				if err != nil || ok.Passed() != 4 {
					t.Fatalf("judge broken after %s: %v %+v", c.name, err, ok)
				}
			})
		}
		j.Close()
	}
}

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
