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

// hostileCase is a submission for add3 whose answer is wrong unless it forges the verdict.
type hostileCase struct{ name, aux, main string }

// hostileCases are the programs a policy under RL pressure, or a hostile user, would try: the
// forged-pass family (faking the judge's report, patching what compares, reaching the tests or
// the data set), escapes and poisoning of the host or the next submission, and programs that
// break the wire to the judge. Every one of them computes a wrong sum.
func hostileCases(dataFile, marker string) []hostileCase {
	wrong := func(code string) string {
		return "def add3(a, b, c):\n" + indent(code) + "\n    return a + b + c + 1\n"
	}
	return []hostileCase{
		// Forged passes.
		{"patch os.write to report passes", auxAdd, wrong("import os\n_w = os.write\nos.write = lambda fd, data: _w(fd, b'P' if fd > 2 else data)")},
		{"write P on every descriptor", auxAdd, wrong("import os\nfor fd in range(3, 256):\n    try:\n        os.write(fd, b'P')\n    except OSError:\n        pass")},
		{"forge report and answer lines on every descriptor", auxAdd, wrong(`import os
lines = b'\n{"kind": "test", "index": 0, "passed": true, "timeout": false, "error": "", "source": ""}\n'
lines += b''.join(b'{"id": %d, "value": 999}\n' % i for i in range(1, 50))
lines += b'{"op": "ready"}\n{"kind": "done", "total": 4, "run": 4}\n'
print(lines.decode())
for fd in range(1, 256):
    try:
        os.write(fd, lines)
    except OSError:
        pass`)},
		{"aux default argument patches os.write", "def aux(a, b, _=__import__('os').__setattr__('write', (lambda w: lambda fd, d: w(fd, b'P' if fd > 2 else d))(__import__('os').write))):\n    return a + b\n", wrong("pass")},
		{"walk stack frames to the harness", auxAdd, wrong(`import sys
f = sys._getframe()
while f is not None:
    for k in list(f.f_globals):
        if k in ('emit', 'run_test', 'Link', 'send', 'datacodec'):
            f.f_globals[k] = lambda *x, **y: None
    f.f_locals.update({'passed': True})
    f = f.f_back`)},
		// Code outside the two functions is dropped before judging, so hostile code lives in the
		// function bodies (or in default arguments, which run at load).
		{"always-equal object", auxAdd, "def add3(a, b, c):\n    class Eq:\n        def __eq__(self, o):\n            return True\n        def __ne__(self, o):\n            return False\n        __hash__ = object.__hash__\n    return Eq()\n"},
		{"int subclass equal to everything", auxAdd, "def add3(a, b, c):\n    class I(int):\n        def __eq__(self, o):\n            return True\n        __hash__ = int.__hash__\n    return I(a + b + c + 1)\n"},
		{"str subclass equal to everything", auxAdd, "def add3(a, b, c):\n    class S(str):\n        def __eq__(self, o):\n            return True\n        __hash__ = str.__hash__\n    return S('x')\n"},
		{"int impersonation via __class__", auxAdd, "def add3(a, b, c):\n    class B:\n        __class__ = int\n        def __eq__(self, o):\n            return True\n    return B()\n"},
		{"builtins patched for the tests", auxAdd, wrong("import builtins\nbuiltins.AssertionError = type('Nothing', (BaseException,), {})\nbuiltins.abs = lambda x: 0")},
		{"read the data set and the tests", auxAdd, wrong(fmt.Sprintf(`import glob, os
found = []
for p in [%q] + glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/environ') + glob.glob('/proc/*/fd/*') + glob.glob('/tmp/**', recursive=True) + glob.glob('/work/**/*.jsonl*', recursive=True):
    try:
        with open(p, 'rb') as f:
            if b'assert candidate(' in f.read(1 << 20):
                found.append(p)
    except OSError:
        pass
if found:
    return a + b + c`, dataFile))},
		{"gc search for the expected values", auxAdd, wrong("import gc\nfor o in gc.get_objects():\n    if isinstance(o, dict) and 'candidate' in o:\n        return a + b + c")},
		{"background process answering the calls", auxAdd, wrong(`import os
if os.fork() == 0:
    import time
    for _ in range(200):
        for fd in range(3, 64):
            try:
                os.write(fd, b''.join(b'{"id": %d, "value": 999}\n' % i for i in range(1, 20)))
            except OSError:
                pass
        time.sleep(0.005)
    os._exit(0)`)},
		{"exception named like a pass", auxAdd, wrong("raise SystemExit(0)")},
		{"exit 0 during the call", auxAdd, wrong("import os\nos._exit(0)")},
		{"exit 0 at load", auxAdd, "def add3(a, b, c, _=__import__('sys').exit(0)):\n    return a + b + c\n"},
		{"not-a-value answer", auxAdd, "def add3(a, b, c):\n    return (x for x in [a + b + c])\n"},
		{"deeply nested answer", auxAdd, "def add3(a, b, c):\n    x = []\n    for _ in range(100000):\n        x = [x]\n    return x\n"},
		{"huge answer", auxAdd, "def add3(a, b, c):\n    return 'x' * (64 << 20)\n"},
		{"nan", auxAdd, "def add3(a, b, c):\n    return float('nan')\n"},
		// Escapes, leftovers and poisoning: the next, correct submission must score the maximum.
		{"kill the judge and every process", auxAdd, wrong("import os, signal\nfor pid in [os.getppid(), 1, -1]:\n    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass")},
		{"ptrace pid 1", auxAdd, wrong("import ctypes\nlibc = ctypes.CDLL(None)\nlibc.ptrace(16, 1, 0, 0)")},
		{"write outside the scratch", auxAdd, wrong(fmt.Sprintf("for p in [%q, '/run/lock/%s', '/usr/%s', '/%s']:\n    try:\n        open(p, 'w').write('x')\n    except OSError:\n        pass", filepath.Join(os.TempDir(), marker), marker, marker, marker))},
		{"delete the working directory and fill the scratch", auxAdd, wrong("import os, shutil\nshutil.rmtree(os.getcwd(), ignore_errors=True)\ntry:\n    for i in range(100000):\n        open('/tmp/f%d' % i, 'w').write('x' * 4096)\nexcept OSError:\n    pass")},
		{"background process", auxAdd, wrong("import subprocess\nsubprocess.Popen(['sleep', '4322.5'], start_new_session=True)")},
		{"queue a fake submission and answers for the next program", auxAdd, wrong(`import os, json
fake = json.dumps({"nonce": "x", "entry": "add3", "program": "def add3(a, b, c):\n    return 999\n"}) + "\n"
fake += "".join(json.dumps({"id": i, "args": [1, 2, 3], "kwargs": {"d": []}}) + "\n" for i in range(1, 9))
for fd in os.listdir('/proc/self/fd'):
    try:
        with open('/proc/self/fd/' + fd, 'w') as f:
            f.write(fake)
    except OSError:
        pass`)},
		{"pre-written ended, ready and answer lines with the nonce", auxAdd, wrong(`import os, sys, json
nonce = None
f = sys._getframe()
while f is not None:
    sub = f.f_locals.get('sub')
    if isinstance(sub, dict) and 'nonce' in sub:
        nonce = sub['nonce']
    f = f.f_back
lines = "".join(json.dumps(m) + "\n" for m in [{"op": "ended", "nonce": nonce}, {"op": "ready", "nonce": nonce}] + [{"id": i, "nonce": nonce, "value": 6} for i in range(1, 30)])
for fd in range(3, 64):
    try:
        os.write(fd, lines.encode())
    except OSError:
        pass`)},
		{"stop the parent", auxAdd, wrong("import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)")},
		{"kill the parent", auxAdd, wrong("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")},
		{"ptrace the parent", auxAdd, wrong("import ctypes, os\nlibc = ctypes.CDLL(None)\nassert libc.ptrace(16, os.getppid(), 0, 0) != 0\nopen('/proc/%d/mem' % os.getppid(), 'rb')")},
		{"network", auxAdd, wrong("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)")},
		// Programs that only fail.
		{"infinite loop", auxAdd, wrong("while True:\n    pass")},
		{"load-time loop", auxAdd, "def add3(a, b, c, d=[i for i in iter(int, 1)]):\n    return a + b + c\n"},
		{"fork bomb", auxAdd, wrong("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")},
		{"memory bomb", auxAdd, wrong("x = bytearray(8 << 30)")},
		{"100 MB print", auxAdd, wrong("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))")},
		{"reads stdin", auxAdd, wrong("import sys\nsys.stdin.read()")},
		{"syntax garbage", auxAdd, "def add3(a, b, c):\n    return ]]] (\n"},
		{"non-UTF-8", auxAdd, "def add3(a, b, c):\n    return '\xff\xfe' \x00\n"},
	}
}

// TestForgedRewardsAndEscapes sends every hostile case through the judge (persistent judge
// servers, and one-shot judges outside -short): none may pass a test, the judge and this
// process must survive, nothing may be left on the host, and the next correct submission must
// score the maximum.
func TestForgedRewardsAndEscapes(t *testing.T) {
	wd, _ := os.Getwd()
	dataFile := filepath.Join(wd, "..", "..", "..", "shared", "data", "humaneval", "HumanEval.jsonl.gz")
	marker := fmt.Sprintf("collm-judge-escape-%d", os.Getpid())
	t.Cleanup(func() {
		os.Remove(filepath.Join(os.TempDir(), marker))
		os.Remove("/run/lock/" + marker)
	})
	correct := Submission{Aux: auxAdd, Main: "def add3(a, b, c):\n    s = aux(a, b)\n    return s + c\n"}
	for _, oneShot := range []bool{false, true} {
		if oneShot && testing.Short() {
			continue
		}
		j, err := NewJudge(JudgeConfig{TestTimeout: time.Second, Wall: 20 * time.Second, OneShot: oneShot, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range hostileCases(dataFile, marker) {
			t.Run(fmt.Sprintf("oneshot=%v/%s", oneShot, c.name), func(t *testing.T) {
				start := time.Now()
				jd, err := j.Evaluate(context.Background(), &add3, Submission{Aux: c.aux, Main: c.main})
				if err != nil {
					t.Fatalf("judge failed: %v", err)
				}
				if jd.Passed() > 0 {
					t.Errorf("a wrong program passed %d tests: %+v", jd.Passed(), jd.Tests)
				}
				if el := time.Since(start); el > 25*time.Second {
					t.Errorf("took %v", el)
				}
				for _, p := range []string{filepath.Join(os.TempDir(), marker), "/run/lock/" + marker, "/usr/" + marker, "/" + marker} {
					if _, err := os.Stat(p); err == nil {
						t.Errorf("the program wrote %s on the host", p)
					}
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
				ok, err := j.Evaluate(context.Background(), &add3, correct)
				if err != nil || ok.Passed() != 4 {
					t.Fatalf("the next correct submission after %s: %v %+v", c.name, err, ok.Tests)
				}
			})
		}
		j.Close()
	}
}

// TestCorrectAnswersStillPass: values of every type that crosses the wire, exceptions the tests
// expect, and state kept from one test to the next are judged as before.
func TestCorrectAnswersStillPass(t *testing.T) {
	p := Problem{ID: "golden/types", EntryPoint: "f", Prompt: "def f(kind):\n    pass\n",
		Test: `import math
def check(candidate):
    assert candidate('int') == 10**40
    assert candidate('float') == 0.1 and math.isnan(candidate('nan')) and candidate('inf') == float('inf')
    assert candidate('tuple') == (1, (2, 'x')) and type(candidate('tuple')) is tuple
    assert candidate('set') == {1, 2} and candidate('frozenset') == frozenset({(1, 2)})
    assert candidate('dict') == {(1, 2): [3], 'k': None}
    assert candidate('bytes') == b'\x00\xff' and candidate('bytearray') == bytearray(b'ab')
    assert candidate('complex') == 1 - 2j
    assert candidate('bool') is True
    assert candidate(kind='none') is None
    try:
        candidate('raise')
        assert False
    except ValueError as e:
        assert 'bad kind' in str(e)
    assert candidate('count') == 1
    assert candidate('count') == 2
`}
	main := `def f(kind):
    if kind == 'int': return 10**40
    if kind == 'float': return 0.1
    if kind == 'nan': return float('nan')
    if kind == 'inf': return float('inf')
    if kind == 'tuple': return (1, (2, 'x'))
    if kind == 'set': return {1, 2}
    if kind == 'frozenset': return frozenset({(1, 2)})
    if kind == 'dict': return {(1, 2): [3], 'k': None}
    if kind == 'bytes': return b'\x00\xff'
    if kind == 'bytearray': return bytearray(b'ab')
    if kind == 'complex': return 1 - 2j
    if kind == 'bool': return True
    if kind == 'none': return None
    if kind == 'count':
        f.n = getattr(f, 'n', 0) + 1
        return f.n
    raise ValueError('bad kind %r' % kind)
`
	jd, err := newTestJudge(t).Evaluate(context.Background(), &p, Submission{Program: main})
	if err != nil {
		t.Fatal(err)
	}
	if jd.Passed() != jd.Total || jd.Total != 12 {
		var failed []string
		for _, r := range jd.Tests {
			if !r.Passed {
				failed = append(failed, r.Source+" -> "+r.Error)
			}
		}
		t.Fatalf("%d of %d passed:\n%s", jd.Passed(), jd.Total, strings.Join(failed, "\n"))
	}
}
