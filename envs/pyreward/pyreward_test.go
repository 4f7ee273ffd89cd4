package pyreward

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/collm/collm/envs/reward"
)

// python is the interpreter the tests use: python3's own executable, so that a version
// manager's shim does not slow every start.
var python string

func TestMain(m *testing.M) {
	if p, err := exec.LookPath("python3"); err == nil {
		python = p
		if out, err := exec.Command(p, "-c", "import sys; print(sys.executable)").Output(); err == nil {
			if exe := strings.TrimSpace(string(out)); exe != "" {
				python = exe
			}
		}
	}
	os.Exit(m.Run())
}

func needPython(t *testing.T) {
	t.Helper()
	if python == "" {
		t.Skip("no python3 on PATH")
	}
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// writeFile writes src to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// open writes src to a fresh my.py and opens its function fn.
func open(t *testing.T, src, fn string, o Options) (*Scheme, string) {
	t.Helper()
	needPython(t)
	spec := writeFile(t, t.TempDir(), "my.py", src) + ":" + fn
	if o.Python == "" {
		o.Python = python
	}
	if o.Stderr == nil {
		o.Stderr = testWriter{t}
	}
	s, err := Open(spec, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", spec, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, spec
}

// testWriter sends the Python process's stderr to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("python: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func inputs(n int) []reward.Input {
	ins := make([]reward.Input, n)
	for i := range ins {
		ins[i] = reward.Input{Responses: []string{strings.Repeat("x", i), "b"}, Task: i, Turn: i % 2, Last: i%2 == 1}
	}
	return ins
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		spec, file, fn string
		err            string // substring of the error; "" for none
	}{
		{spec: "my.py:score", file: "my.py", fn: "score"},
		{spec: "/a/b/my.py:_score2", file: "/a/b/my.py", fn: "_score2"},
		{spec: `C:\rewards\my.py:score`, file: `C:\rewards\my.py`, fn: "score"},
		{spec: "dir:with:colons/my.py:score", file: "dir:with:colons/my.py", fn: "score"},
		{spec: "my.py:naïve", file: "my.py", fn: "naïve"},
		{spec: "", err: `bad reward spec "": no ':'`},
		{spec: "score", err: `bad reward spec "score": no ':' between the file and the function; want FILE.py:FUNC`},
		{spec: "my.py", err: `no ':'`},
		{spec: "my.py:", err: `no function after the last ':'`},
		{spec: ":score", err: `no file before the last ':'`},
		{spec: "my.txt:score", err: `the file "my.txt" does not end in .py`},
		{spec: "my.py:1score", err: `"1score" is not a Python identifier`},
		{spec: "my.py:sc-ore", err: `"sc-ore" is not a Python identifier`},
		{spec: "my.py:score()", err: `is not a Python identifier`},
		{spec: "my.py:class", err: `"class" is not a Python identifier`},
		{spec: "my.py:a b", err: `is not a Python identifier`},
		{spec: "my.py:score:", err: `no function after the last ':'`},
		{spec: ".py:score", err: `has no name before .py`},
		{spec: "dir/.py:score", err: `has no name before .py`},
	} {
		file, fn, err := ParseSpec(tc.spec)
		if tc.err == "" {
			if err != nil || file != tc.file || fn != tc.fn {
				t.Errorf("ParseSpec(%q) = %q, %q, %v; want %q, %q, nil", tc.spec, file, fn, err, tc.file, tc.fn)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseSpec(%q) = %q, %q, nil; want an error with %q", tc.spec, file, fn, tc.err)
			continue
		}
		if !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "want FILE.py:FUNC") {
			t.Errorf("ParseSpec(%q): %v\nwant it to contain %q and the form", tc.spec, err, tc.err)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParseSpec(%q): %T is not an *Error", tc.spec, err)
		}
	}
}

func TestScore(t *testing.T) {
	needPython(t)
	for _, tc := range []struct {
		name string
		src  string
		ins  []reward.Input
		want []reward.Result
	}{
		{
			name: "ints",
			src:  "def score(turns):\n    return [len(t['responses'][0]) for t in turns]\n",
			ins:  inputs(3),
			want: []reward.Result{
				{Total: 0, Parts: map[string]float64{"score": 0}},
				{Total: 1, Parts: map[string]float64{"score": 1}},
				{Total: 2, Parts: map[string]float64{"score": 2}},
			},
		},
		{
			name: "floats in a tuple",
			src:  "def score(turns):\n    return tuple(0.5 * t['turn'] - 1 for t in turns)\n",
			ins:  inputs(2),
			want: []reward.Result{
				{Total: -1, Parts: map[string]float64{"score": -1}},
				{Total: -0.5, Parts: map[string]float64{"score": -0.5}},
			},
		},
		{
			name: "dicts of parts",
			src:  "def score(turns):\n    return [{'len': len(t['responses'][0]), 'fmt': 0.25} if t['last'] else {} for t in turns]\n",
			ins:  inputs(4),
			want: []reward.Result{
				{Total: 0, Parts: map[string]float64{}},
				{Total: 1.25, Parts: map[string]float64{"len": 1, "fmt": 0.25}},
				{Total: 0, Parts: map[string]float64{}},
				{Total: 3.25, Parts: map[string]float64{"len": 3, "fmt": 0.25}},
			},
		},
		{
			name: "other real numbers",
			src: "import fractions, decimal, collections\n" +
				"class Score:\n    def __float__(self): return 2.5\n" +
				"def score(turns):\n    return [fractions.Fraction(1, 4), decimal.Decimal('1.5'), 2**62, Score(), collections.OrderedDict(a=1)]\n",
			ins: inputs(5),
			want: []reward.Result{
				{Total: 0.25, Parts: map[string]float64{"score": 0.25}},
				{Total: 1.5, Parts: map[string]float64{"score": 1.5}},
				{Total: 1 << 62, Parts: map[string]float64{"score": 1 << 62}},
				{Total: 2.5, Parts: map[string]float64{"score": 2.5}},
				{Total: 1, Parts: map[string]float64{"a": 1}},
			},
		},
		{
			name: "the turn's fields",
			src: "def score(turns):\n    return [{'task': float(t['task'] == 'sum-7'), 'turn': t['turn'], 'last': int(t['last']),\n" +
				"        'prompts': len(t['prompts']), 'responses': len(t['responses']), 'chars': len(''.join(t['responses']))} for t in turns]\n",
			ins: []reward.Input{
				{TaskID: "sum-7", Task: 3, Turn: 2, Last: true, Prompts: []string{"p1", "p2"}, Responses: []string{"héllo", "\x00\n\"'"}},
				{Task: 7},
			},
			want: []reward.Result{
				{Total: 1 + 2 + 1 + 2 + 2 + 9, Parts: map[string]float64{"task": 1, "turn": 2, "last": 1, "prompts": 2, "responses": 2, "chars": 9}},
				{Total: 0, Parts: map[string]float64{"task": 0, "turn": 0, "last": 0, "prompts": 0, "responses": 0, "chars": 0}},
			},
		},
		{
			name: "invalid UTF-8",
			src:  "def score(turns):\n    return [len(t['responses'][0]) + (t['responses'][0][1] == '\\ufffd') * 10 for t in turns]\n",
			ins:  []reward.Input{{Responses: []string{"a\xffb"}}},
			want: []reward.Result{{Total: 13, Parts: map[string]float64{"score": 13}}},
		},
		{
			name: "task id from the index",
			src:  "def score(turns):\n    return [int(t['task']) for t in turns]\n",
			ins:  []reward.Input{{Task: 12}, {Task: 0, TaskID: "5"}},
			want: []reward.Result{
				{Total: 12, Parts: map[string]float64{"score": 12}},
				{Total: 5, Parts: map[string]float64{"score": 5}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := open(t, tc.src, "score", Options{})
			got, err := s.ScoreBatch(tc.ins)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ScoreBatch:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	s, spec := open(t, "def my_score(turns):\n    return [1] * len(turns)\n", "my_score", Options{})
	if s.Name() != "my_score" || s.Spec() != spec {
		t.Errorf("Name, Spec = %q, %q; want my_score, %q", s.Name(), s.Spec(), spec)
	}
	var _ reward.BatchScheme = s
	got, err := s.ScoreBatch(nil)
	if err != nil || len(got) != 0 {
		t.Errorf("ScoreBatch(nil) = %v, %v; want no results, no error", got, err)
	}
}

// The error cases: score fails only on a batch whose first task is "bad".
func TestScoreErrors(t *testing.T) {
	needPython(t)
	const head = "import math, os, sys, time, signal\n" +
		"def score(turns):\n" +
		"    if turns[0]['task'] != 'bad':\n" +
		"        return [1] * len(turns)\n"
	for _, tc := range []struct {
		name    string
		body    string
		n       int           // turns in the bad batch
		timeout time.Duration // Options.Timeout
		want    string        // the error after "reward SPEC"
		item    int           // Error.Item
		raised  string        // Error.Raised
		trace   []string      // substrings of the error's trace
		gone    bool          // later calls fail too
	}{
		{
			name: "raise", n: 2, body: "    x = int('boom') if False else None\n    raise ValueError('boom')\n",
			want: " raised ValueError: boom\n", item: -1, raised: "ValueError",
			trace: []string{`my.py", line 6, in score`, "raise ValueError('boom')"},
		},
		{
			name: "raise deeper", n: 1, body: "    def inner(d):\n        return d['missing']\n    return [inner({})]\n",
			want: " raised KeyError: 'missing'\n", item: -1, raised: "KeyError",
			trace: []string{"in score", "in inner", "return d['missing']"},
		},
		{name: "too few", n: 4, body: "    return [1, 2, 3]\n", want: ": returned 3 items for 4 turns: want one per turn", item: -1},
		{name: "too many", n: 1, body: "    return [1, 2]\n", want: ": returned 2 items for 1 turn: want one per turn", item: -1},
		{name: "str item", n: 3, body: "    return [1, 2, 'abc']\n", want: ": item 2 is 'abc' (str): want a number or a dict of named numbers", item: 2},
		{name: "bool item", n: 2, body: "    return [True, 1]\n", want: ": item 0 is True (bool): want a number or a dict of named numbers", item: 0},
		{name: "None item", n: 1, body: "    return [None]\n", want: ": item 0 is None (NoneType): want a number or a dict of named numbers", item: 0},
		{name: "list item", n: 1, body: "    return [[1]]\n", want: ": item 0 is [1] (list): want a number or a dict of named numbers", item: 0},
		{name: "nan item", n: 2, body: "    return [1, math.nan]\n", want: ": item 1 is nan: want a finite number", item: 1},
		{name: "nan part", n: 2, body: "    return [{}, {'len': float('nan')}]\n", want: `: item 1 part "len" is nan: want a finite number`, item: 1},
		{name: "inf item", n: 1, body: "    return [-math.inf]\n", want: ": item 0 is -inf: want a finite number", item: 0},
		{name: "inf part", n: 1, body: "    return [{'a': 1, 'b': math.inf}]\n", want: `: item 0 part "b" is inf: want a finite number`, item: 0},
		{name: "huge int", n: 1, body: "    return [10**400]\n", want: ": item 0 is 1000000000", item: 0},
		{name: "bool part", n: 1, body: "    return [{'ok': False}]\n", want: `: item 0 part "ok" is False (bool): want a number`, item: 0},
		{name: "str part", n: 1, body: "    return [{'ok': '1'}]\n", want: `: item 0 part "ok" is '1' (str): want a number`, item: 0},
		{name: "non-str key", n: 2, body: "    return [1, {3: 1.0}]\n", want: ": item 1 has a key 3 (int): want str keys, the names of the parts", item: 1},
		{name: "empty key", n: 1, body: "    return [{'': 1.0}]\n", want: ": item 0 has an empty key", item: 0},
		{name: "dict return", n: 1, body: "    return {'a': 1}\n", want: ": returned {'a': 1} (dict): want a list with one item per turn", item: -1},
		{name: "None return", n: 1, body: "    pass\n", want: ": returned None (NoneType): want a list with one item per turn (does the function return its list?)", item: -1},
		{name: "str return", n: 1, body: "    return '1'\n", want: ": returned '1' (str): want a list with one item per turn", item: -1},
		{name: "number return", n: 1, body: "    return 1.0\n", want: ": returned 1.0 (float): want a list with one item per turn", item: -1},
		{
			name: "timeout", n: 32, body: "    time.sleep(10)\n", timeout: 300 * time.Millisecond,
			want: ": no answer within 300ms for a batch of 32 turns; the Python process was stopped", item: -1, gone: true,
		},
		{
			name: "sys.exit", n: 4, body: "    print('leaving', file=sys.stderr)\n    sys.exit(3)\n",
			want: ": the Python process exited (exit status 3) during a batch of 4 turns\n", item: -1, gone: true,
			trace: []string{"last lines of its stderr:", "leaving"},
		},
		{name: "os._exit", n: 1, body: "    os._exit(0)\n", want: ": the Python process exited (exit status 0) during a batch of 1 turn", item: -1, gone: true},
		{name: "segfault", n: 1, body: "    os.kill(os.getpid(), signal.SIGSEGV)\n    time.sleep(5)\n", want: ": the Python process exited (signal: segmentation fault", item: -1, gone: true},
		{name: "killed", n: 1, body: "    os.kill(os.getpid(), signal.SIGKILL)\n    time.sleep(5)\n", want: ": the Python process exited (signal: killed) during a batch of 1 turn", item: -1, gone: true},
		{name: "KeyboardInterrupt", n: 1, body: "    raise KeyboardInterrupt\n", want: " raised KeyboardInterrupt\n", item: -1, raised: "KeyboardInterrupt"},
		{name: "sys.exit with a message", n: 1, body: "    sys.exit('giving up')\n", want: ": the Python process exited (exit status 1) during a batch of 1 turn\nlast lines of its stderr:\n  giving up", item: -1, gone: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && strings.Contains(tc.body, "signal") {
				t.Skip("no signals")
			}
			s, spec := open(t, head+tc.body, "score", Options{Timeout: tc.timeout})
			if _, err := s.ScoreBatch(inputs(2)); err != nil {
				t.Fatalf("a good batch first: %v", err)
			}
			ins := inputs(tc.n)
			ins[0].TaskID = "bad"
			start := time.Now()
			got, err := s.ScoreBatch(ins)
			if err == nil {
				t.Fatalf("ScoreBatch = %v, nil; want an error", got)
			}
			if got != nil {
				t.Errorf("ScoreBatch returned results %v with its error", got)
			}
			want := "reward " + spec + tc.want
			if !strings.HasPrefix(err.Error()+"\n", want) {
				t.Errorf("error:\n%v\nwant it to start with\n%s", err, want)
			}
			for _, tr := range tc.trace {
				if !strings.Contains(err.Error(), tr) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, tr)
				}
			}
			if strings.Contains(err.Error(), "<string>") || strings.Contains(err.Error(), "_serve") {
				t.Errorf("error shows the runner's frames:\n%v", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *Error", err)
			}
			if e.File != strings.TrimSuffix(spec, ":score") || e.Func != "score" || e.Item != tc.item || e.Raised != tc.raised || e.Gone != tc.gone {
				t.Errorf("Error{File: %q, Func: %q, Item: %d, Raised: %q, Gone: %v}; want item %d, raised %q, gone %v",
					e.File, e.Func, e.Item, e.Raised, e.Gone, tc.item, tc.raised, tc.gone)
			}
			if tc.timeout > 0 && time.Since(start) > tc.timeout+3*time.Second {
				t.Errorf("the timeout took %v", time.Since(start))
			}
			// After a bad value or an exception the process serves on; after its death it is gone.
			got, err = s.ScoreBatch(inputs(3))
			switch {
			case tc.gone && (err == nil || !strings.Contains(err.Error(), "the Python process is gone")):
				t.Errorf("after the process died: ScoreBatch = %v, %v; want an error saying it is gone", got, err)
			case !tc.gone && (err != nil || len(got) != 3 || got[2].Total != 1):
				t.Errorf("after the error: ScoreBatch = %v, %v; want three results of 1", got, err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	writeFile(t, dir, "helper.py", "def double(x):\n    return 2 * x\n")
	for _, tc := range []struct {
		name   string
		src    string // "" for no file
		fn     string
		python string // Options.Python; "" for the tests' own
		want   string // the error after "reward SPEC"
		trace  []string
	}{
		{
			name: "syntax error", src: "def score(turns):\n    return [1 for t in turns\n", fn: "score",
			want: ": importing FILE raised SyntaxError: ", trace: []string{`my.py", line 2`, "return [1 for t in turns"},
		},
		{
			name: "raise at import", src: "import os\n\ndef load():\n    raise RuntimeError('no model')\n\nMODEL = load()\n", fn: "score",
			want: ": importing FILE raised RuntimeError: no model\n", trace: []string{`my.py", line 6, in <module>`, `line 4, in load`},
		},
		{
			name: "import of a missing module", src: "import no_such_module_here\n", fn: "score",
			want: ": importing FILE raised ModuleNotFoundError: No module named 'no_such_module_here'", trace: []string{`line 1, in <module>`},
		},
		{
			name: "its directory first on sys.path", src: "from helper import double\ndef score(turns):\n    return []\n", fn: "scor",
			want: `: FILE has no function "scor"; its callables: double, score`,
		},
		{name: "no callables", src: "X = 1\n", fn: "score", want: `: FILE has no function "score"; it defines no public callables`},
		{name: "not callable", src: "score = 3\n", fn: "score", want: ": score in FILE is 3 (int), not callable"},
		{name: "two arguments", src: "def score(turns, extra):\n    return []\n", fn: "score", want: ": score(turns, extra) cannot take one argument"},
		{name: "no arguments", src: "def score():\n    return []\n", fn: "score", want: ": score() cannot take one argument"},
		{name: "sys.exit at import", src: "import sys\nprint('bye')\nsys.exit(2)\n", fn: "score", want: ": the Python process exited (exit status 2) while importing FILE\nlast lines of its stderr:\n  bye"},
		{name: "no file", fn: "score", want: ": no file FILE"},
		{name: "no interpreter", src: "def score(t): return []\n", fn: "score", python: "/no/such/python3", want: `: no Python interpreter "/no/such/python3" (from Options.Python)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "my.py")
			os.Remove(file)
			if tc.src != "" {
				writeFile(t, dir, "my.py", tc.src)
			}
			spec := file + ":" + tc.fn
			o := Options{Python: tc.python, Stderr: testWriter{t}}
			if o.Python == "" {
				o.Python = python
			}
			s, err := Open(spec, o)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded; want an error")
			}
			want := "reward " + spec + strings.ReplaceAll(tc.want, "FILE", file)
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error:\n%v\nwant it to start with\n%s", err, want)
			}
			for _, tr := range tc.trace {
				if !strings.Contains(err.Error(), tr) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, tr)
				}
			}
			if strings.Contains(err.Error(), "<frozen") || strings.Contains(err.Error(), "<string>") {
				t.Errorf("error shows importlib's or the runner's frames:\n%v", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != file || e.Func != tc.fn {
				t.Errorf("%#v is not an *Error of %s and %s", err, file, tc.fn)
			}
		})
	}
}

func TestOpenDefaults(t *testing.T) {
	needPython(t)
	spec := writeFile(t, t.TempDir(), "my.py", "def score(turns):\n    return [0] * len(turns)\n") + ":score"
	// $COLLM_REWARD_PYTHON names the interpreter when Options.Python does not.
	t.Setenv("COLLM_REWARD_PYTHON", "/no/such/python")
	if _, err := Open(spec, Options{}); err == nil || !strings.Contains(err.Error(), `no Python interpreter "/no/such/python" (from $COLLM_REWARD_PYTHON)`) {
		t.Errorf("Open with a bad $COLLM_REWARD_PYTHON: %v", err)
	}
	t.Setenv("COLLM_REWARD_PYTHON", python)
	s, err := Open(spec, Options{Stderr: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.timeout != DefaultTimeout {
		t.Errorf("timeout %v; want %v", s.timeout, DefaultTimeout)
	}
	if _, err := Open("my.txt:score", Options{}); err == nil || !strings.Contains(err.Error(), "does not end in .py") {
		t.Errorf("Open of a bad spec: %v", err)
	}
}

// The function's prints go to Options.Stderr, not into the protocol.
func TestPrints(t *testing.T) {
	var out syncBuffer
	s, _ := open(t, "import os, sys\nprint('at import')\n"+
		"def score(turns):\n"+
		"    print('scoring', len(turns))\n"+
		"    print('to stderr', file=sys.stderr)\n"+
		"    sys.stdout.write('no newline')\n"+
		"    os.write(1, b'{\"ok\": [5]}\\n')\n"+
		"    line = sys.stdin.readline()\n"+
		"    return [len(line)] * len(turns)\n", "score", Options{Stderr: &out})
	for range 2 {
		got, err := s.ScoreBatch(inputs(2))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Total != 0 {
			t.Errorf("ScoreBatch = %v; want two zeros (stdin reads nothing)", got)
		}
	}
	s.Close()
	text := out.String()
	for _, want := range []string{"at import\n", "scoring 2\n", "to stderr\n", "no newline", `{"ok": [5]}`} {
		if !strings.Contains(text, want) {
			t.Errorf("stderr %q lacks %q", text, want)
		}
	}
}

// State kept by the module lives as long as the process.
func TestState(t *testing.T) {
	s, _ := open(t, "CALLS = 0\ndef score(turns):\n    global CALLS\n    CALLS += 1\n    return [CALLS] * len(turns)\n", "score", Options{})
	for i := 1; i <= 3; i++ {
		got, err := s.ScoreBatch(inputs(1))
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Total != float64(i) {
			t.Errorf("call %d: %v; want %d", i, got[0].Total, i)
		}
	}
}

func TestConcurrent(t *testing.T) {
	s, _ := open(t, "def score(turns):\n    return [{'n': int(t['task'])} for t in turns]\n", "score", Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for call := range 10 {
				ins := make([]reward.Input, 1+call%3)
				for i := range ins {
					ins[i].Task = 1000*g + 10*call + i
				}
				got, err := s.ScoreBatch(ins)
				if err != nil {
					errs <- err
					return
				}
				for i, r := range got {
					if r.Total != float64(ins[i].Task) || r.Parts["n"] != r.Total {
						errs <- fmt.Errorf("goroutine %d call %d item %d: %+v; want %d", g, call, i, r, ins[i].Task)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClose(t *testing.T) {
	s, _ := open(t, "def score(turns):\n    return [1] * len(turns)\n", "score", Options{})
	if _, err := s.ScoreBatch(inputs(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.ScoreBatch(inputs(1)); err == nil || !strings.Contains(err.Error(), "the reward was closed") {
		t.Errorf("ScoreBatch after Close: %v; want an error saying it was closed", err)
	}

	// Close after a failure.
	s, _ = open(t, "import sys\ndef score(turns):\n    sys.exit(1)\n", "score", Options{})
	if _, err := s.ScoreBatch(inputs(1)); err == nil {
		t.Fatal("no error from a function that exits")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after a failure: %v", err)
	}

	// Close during a call stops it.
	s, _ = open(t, "import time\ndef score(turns):\n    time.sleep(30)\n", "score", Options{})
	done := make(chan error)
	go func() {
		_, err := s.ScoreBatch(inputs(1))
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	s.Close()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "the reward was closed during a batch of 1 turn") {
			t.Errorf("the call during Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not return after Close")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close during a call took %v", d)
	}
}

func TestGoSideChecks(t *testing.T) {
	s := &Scheme{file: "my.py", fn: "score"}
	for _, tc := range []struct {
		line string
		n    int
		want string
	}{
		{`{"ok": [1, 2]}`, 3, "returned 2 items for 3 turns: want one per turn"},
		{`{"ok": ["a"]}`, 1, `item 0 is "a": want a number or a dict of named numbers`},
		{`{"ok": [1, {"a": true}]}`, 2, `item 1 part "a" is true: want a finite number`},
		{`{"ok": [1, {"a": null}]}`, 2, `item 1 part "a" is null: want a finite number`},
		{`{"ok": [[1]]}`, 1, `item 0 is [1]: want a number or a dict of named numbers`},
		{`{"ok": [{"": 1}]}`, 1, "item 0 has an empty key: want non-empty names of the parts"},
		{`{"ok": [1e400]}`, 1, "item 0 is 1e400: want a number or a dict of named numbers"},
		{`{"ok": [{"a": 1e308, "b": 1e308}]}`, 1, "item 0 parts sum to +Inf: want a finite total"},
		{`{"ok": [null]}`, 1, "item 0 is null: want a number or a dict of named numbers"},
		{`{"ok": ["1"]}`, 1, `item 0 is "1": want a number or a dict of named numbers`},
	} {
		_, err := s.decode([]byte(tc.line), tc.n)
		if err == nil || err.Error() != "reward my.py:score: "+tc.want {
			t.Errorf("decode(%s): %v; want %q", tc.line, err, tc.want)
		}
	}
	got, err := s.decode([]byte(`{"ok": [{"a": 0.5, "b": 1}, -2]}`), 2)
	want := []reward.Result{{Total: 1.5, Parts: map[string]float64{"a": 0.5, "b": 1}}, {Total: -2, Parts: map[string]float64{"score": -2}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("decode = %v, %v; want %v", got, err, want)
	}
	if math.IsNaN(got[0].Total) {
		t.Error("NaN total")
	}
}

func TestTail(t *testing.T) {
	var out bytes.Buffer
	tw := &tailWriter{w: &out}
	for i := range 30 {
		fmt.Fprintf(tw, "line %d\n", i)
	}
	tw.Write([]byte("part"))
	tw.Write([]byte(strings.Repeat("y", 2*maxLine)))
	lines := tw.lines()
	if len(lines) != tailLines || lines[0] != "line 11" || lines[tailLines-2] != "line 29" || len(lines[tailLines-1]) != maxLine {
		t.Errorf("lines: %q", lines)
	}
	if !strings.HasPrefix(out.String(), "line 0\n") || out.Len() != 30*8-10+4+2*maxLine {
		t.Errorf("copied %d bytes", out.Len())
	}
}

// The process keeps the trainer's working directory; the file's directory comes first on
// sys.path.
func TestWorkingDir(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	s, spec := open(t, "import os, sys\ndef score(turns):\n"+
		"    return [{'cwd': float(os.getcwd() == "+strconv.Quote(wd)+"), 'path': float(sys.path[0] == os.path.dirname(__file__))}]\n", "score", Options{})
	got, err := s.ScoreBatch(inputs(1))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Parts["cwd"] != 1 || got[0].Parts["path"] != 1 {
		t.Errorf("%s: %v; want the trainer's cwd and the file's directory first on sys.path", spec, got[0].Parts)
	}
}

// NumPy scalars are numbers, a NumPy array is a list; numpy.bool_ is refused.
func TestNumpy(t *testing.T) {
	needPython(t)
	if exec.Command(python, "-c", "import numpy").Run() != nil {
		t.Skip("no numpy")
	}
	s, _ := open(t, "import numpy as np\ndef score(turns):\n"+
		"    if turns[0]['task'] == 'array':\n        return np.arange(len(turns), dtype=np.float32) / 2\n"+
		"    if turns[0]['task'] == 'bool':\n        return [np.bool_(True)]\n"+
		"    return [np.float32(0.5), np.int64(3), {'a': np.float64(1.5), 'b': np.int8(-1)}]\n", "score", Options{})
	got, err := s.ScoreBatch(inputs(3))
	want := []reward.Result{
		{Total: 0.5, Parts: map[string]float64{"score": 0.5}},
		{Total: 3, Parts: map[string]float64{"score": 3}},
		{Total: 0.5, Parts: map[string]float64{"a": 1.5, "b": -1}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("scalars: %v, %v; want %v", got, err, want)
	}
	got, err = s.ScoreBatch([]reward.Input{{TaskID: "array"}, {}, {}})
	if err != nil || len(got) != 3 || got[2].Total != 1 {
		t.Errorf("array: %v, %v; want 0, 0.5, 1", got, err)
	}
	_, err = s.ScoreBatch([]reward.Input{{TaskID: "bool"}})
	if err == nil || !strings.Contains(err.Error(), "item 0 is True (bool_): want a number") {
		t.Errorf("numpy.bool_: %v; want it refused", err)
	}
}

func TestOpenTimeout(t *testing.T) {
	needPython(t)
	spec := writeFile(t, t.TempDir(), "slow.py", "import time\ntime.sleep(30)\ndef score(turns):\n    return []\n") + ":score"
	start := time.Now()
	_, err := Open(spec, Options{Python: python, Timeout: 500 * time.Millisecond, Stderr: testWriter{t}})
	want := "reward " + spec + ": " + strings.TrimSuffix(spec, ":score") + " was not imported within 500ms; the Python process was stopped"
	if err == nil || err.Error() != want {
		t.Errorf("Open: %v\nwant %s", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v", d)
	}
}
