package pyreward

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/collm/collm/envs/reward"
)

//go:embed runner.py
var runnerSrc string

// DefaultTimeout is the time one call (and the start-up) may take when Options.Timeout is 0.
const DefaultTimeout = 60 * time.Second

// tailLines is the number of the process's last stderr lines kept for error messages.
const tailLines = 20

// Options configures a Python reward.
type Options struct {
	Python  string        // interpreter; "" uses $COLLM_REWARD_PYTHON, else "python3" found on PATH
	Timeout time.Duration // most time one ScoreBatch call may take; 0 means 60s
	// Stderr is where the function's own prints (stdout and stderr of the Python code) go; nil
	// means os.Stderr. It is written from another goroutine; all is written once Close returns.
	Stderr io.Writer
}

// Error is the error of Open and of Scheme.ScoreBatch.
type Error struct {
	File string // the file as given in the spec
	Func string // the function's name
	// Item is the index of the turn whose result was unusable; -1 when the error is not about
	// one item.
	Item int
	// Raised is the type of the exception the function (or the import of the file) raised;
	// "" for other errors.
	Raised string
	Msg    string // what went wrong, without the "reward FILE:FUNC" prefix
	// Trace holds the last frames of the traceback, or the last lines the process wrote to
	// stderr before it died; may be "".
	Trace string
	// Gone reports that the process is gone: later calls fail too.
	Gone bool
	Err  error // the underlying error, if any

	spec bool // an error of ParseSpec
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.spec:
		b.WriteString(e.Msg)
	case strings.HasPrefix(e.Msg, "raised "):
		fmt.Fprintf(&b, "reward %s:%s %s", e.File, e.Func, e.Msg)
	default:
		fmt.Fprintf(&b, "reward %s:%s: %s", e.File, e.Func, e.Msg)
	}
	if t := strings.TrimRight(e.Trace, "\n"); t != "" {
		b.WriteString("\n")
		b.WriteString(t)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ParseSpec splits "FILE.py:FUNC" (the form of the --reward flag) at its last ':'. FILE must
// end in .py and FUNC must be a Python identifier.
func ParseSpec(spec string) (file, fn string, err error) {
	bad := func(format string, a ...any) (string, string, error) {
		msg := fmt.Sprintf("bad reward spec %q: ", spec) + fmt.Sprintf(format, a...) +
			"; want FILE.py:FUNC, a Python file and the name of a function in it"
		i := strings.LastIndexByte(spec, ':')
		e := &Error{File: spec, Item: -1, Msg: msg, spec: true}
		if i >= 0 {
			e.File, e.Func = spec[:i], spec[i+1:]
		}
		return "", "", e
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return bad("no ':' between the file and the function")
	}
	file, fn = spec[:i], spec[i+1:]
	switch {
	case fn == "":
		return bad("no function after the last ':'")
	case !isIdentifier(fn):
		return bad("%q is not a Python identifier", fn)
	case file == "":
		return bad("no file before the last ':'")
	case !strings.HasSuffix(file, ".py"):
		return bad("the file %q does not end in .py", file)
	case strings.HasSuffix(file, "/.py") || file == ".py":
		return bad("the file %q has no name before .py", file)
	}
	return file, fn, nil
}

var keywords = strings.Fields(`False None True and as assert async await break class continue def del
	elif else except finally for from global if import in is lambda nonlocal not or pass raise
	return try while with yield`)

// isIdentifier approximates Python's str.isidentifier (XID_Start, then XID_Continue), keywords
// excluded.
func isIdentifier(s string) bool {
	if s == "" || slices.Contains(keywords, s) {
		return false
	}
	for i, r := range s {
		start := r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
		if !start && (i == 0 || !(unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc))) {
			return false
		}
	}
	return true
}

// Scheme is a reward function written in Python, served by one persistent process. It
// implements reward.BatchScheme and io.Closer, and is safe for concurrent use: calls are
// serialized.
type Scheme struct {
	spec, file, fn string
	timeout        time.Duration

	mu   sync.Mutex // serializes calls; guards gone and the protocol's ends
	gone string     // why the process is gone; "" while it serves

	closed    atomic.Bool
	closeOnce sync.Once

	cmd      *exec.Cmd
	stdin    *os.File
	answers  chan []byte // the protocol's lines; closed at its EOF
	stopOnce sync.Once
	exited   chan struct{} // closed once the process was waited for
	waitErr  error         // the process's exit, set before exited is closed
	tail     *tailWriter
}

// Opener returns a function that opens the spec with o, the form envs.WithRewardFrom takes.
func Opener(spec string, o Options) func() (reward.BatchScheme, error) {
	return func() (reward.BatchScheme, error) {
		s, err := Open(spec, o)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// Open starts the Python process for spec ("FILE.py:FUNC"): it imports the file (with its
// directory first on sys.path) and checks that FUNC is a function of one argument, waiting at
// most Options.Timeout for it.
func Open(spec string, o Options) (*Scheme, error) {
	file, fn, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	s := &Scheme{spec: spec, file: file, fn: fn, timeout: o.Timeout}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	fail := func(err error, format string, a ...any) (*Scheme, error) {
		return nil, &Error{File: file, Func: fn, Item: -1, Msg: fmt.Sprintf(format, a...), Err: err}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return fail(err, "%v", err)
	}
	if st, err := os.Stat(abs); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fail(err, "no file %s", file)
		}
		return fail(err, "cannot read %s: %v", file, err)
	} else if st.IsDir() {
		return fail(nil, "%s is a directory, not a Python file", file)
	}
	python, from := o.Python, "Options.Python"
	if python == "" {
		python, from = os.Getenv("COLLM_REWARD_PYTHON"), "$COLLM_REWARD_PYTHON"
	}
	if python == "" {
		python, from = "python3", "PATH"
	}
	path, err := exec.LookPath(python)
	if err != nil {
		return fail(err, "no Python interpreter %q (from %s): %v; set $COLLM_REWARD_PYTHON to one", python, from, err)
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	s.tail = &tailWriter{w: stderr}
	if err := s.start(path, abs); err != nil {
		return fail(err, "starting %s: %v", path, err)
	}

	// The first line: ready, or why not.
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	var line []byte
	select {
	case l, ok := <-s.answers:
		if !ok {
			s.awaitExit()
			s.stop()
			return nil, s.errorf(true, "the Python process exited (%s) while importing %s", s.exitText(), file)
		}
		line = l
	case <-timer.C:
		s.stop()
		return nil, s.errorf(true, "%s was not imported within %s; the Python process was stopped", file, durText(s.timeout))
	}
	var start struct {
		Ready     bool     `json:"ready"`
		Error     string   `json:"error"`
		Type      string   `json:"type"`
		Msg       string   `json:"msg"`
		Trace     string   `json:"trace"`
		Callables []string `json:"callables"`
		Value     string   `json:"value"`
		Sig       string   `json:"sig"`
	}
	if err := json.Unmarshal(line, &start); err != nil || (!start.Ready && start.Error == "") {
		s.stop()
		return nil, s.errorf(true, "the Python process started with an unreadable line %s", clip(line))
	}
	if start.Ready {
		return s, nil
	}
	s.stop()
	e := &Error{File: file, Func: fn, Item: -1, Gone: true}
	switch start.Error {
	case "import":
		e.Msg = fmt.Sprintf("importing %s raised %s", file, excText(start.Type, start.Msg))
		e.Raised, e.Trace = start.Type, start.Trace
	case "nofunc":
		e.Msg = fmt.Sprintf("%s has no function %q; ", file, fn)
		if len(start.Callables) == 0 {
			e.Msg += "it defines no public callables"
		} else {
			names := start.Callables
			more := ""
			if len(names) > 20 {
				names, more = names[:20], fmt.Sprintf(" and %d more", len(names)-20)
			}
			e.Msg += "its callables: " + strings.Join(names, ", ") + more
		}
	case "notcallable":
		e.Msg = fmt.Sprintf("%s in %s is %s (%s), not callable", fn, file, start.Value, start.Type)
	case "signature":
		e.Msg = fmt.Sprintf("%s%s cannot take one argument (%s); want a function of the list of turns", fn, start.Sig, start.Msg)
	default:
		e.Msg = fmt.Sprintf("the Python process failed to start: %s", clip(line))
	}
	return nil, e
}

func (s *Scheme) start(python, abs string) error {
	inR, inW, err := os.Pipe()
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return err
	}
	cmd := exec.Command(python, "-u", "-c", runnerSrc, abs, s.fn)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, s.tail
	cmd.SysProcAttr = sysProcAttr()
	// Grandchildren that keep stderr open must not hold Wait once the process ended.
	cmd.WaitDelay = time.Second
	err = startCmd(cmd)
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return err
	}
	s.cmd, s.stdin = cmd, inW
	s.answers, s.exited = make(chan []byte, 1), make(chan struct{})
	go func() {
		defer close(s.answers)
		defer outR.Close()
		r := bufio.NewReader(outR)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 && err == nil {
				s.answers <- line
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return nil
}

// stop kills the process group, waits for the process and closes the caller's end of stdin.
func (s *Scheme) stop() {
	s.stopOnce.Do(func() {
		killGroup(s.cmd)
		<-s.exited
		s.stdin.Close()
		// Let the reader reach EOF whatever is left in the pipe.
		go func() {
			for range s.answers {
			}
		}()
	})
}

// awaitExit waits a moment for the process to exit by itself, once its end of the protocol
// was closed, so that its own exit status is reported rather than the kill's.
func (s *Scheme) awaitExit() {
	select {
	case <-s.exited:
	case <-time.After(2 * time.Second):
	}
}

// exitText describes how the process ended; call it after exited was closed.
func (s *Scheme) exitText() string {
	if s.waitErr == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(s.waitErr, &ee) {
		return ee.ProcessState.String()
	}
	return s.waitErr.Error()
}

// errorf returns an error whose trace is the process's last stderr lines.
func (s *Scheme) errorf(gone bool, format string, a ...any) *Error {
	e := &Error{File: s.file, Func: s.fn, Item: -1, Msg: fmt.Sprintf(format, a...), Gone: gone}
	if lines := s.tail.lines(); len(lines) > 0 {
		e.Trace = "last lines of its stderr:\n  " + strings.Join(lines, "\n  ")
	}
	return e
}

// Name returns FUNC, the name a plain-number result is logged under.
func (s *Scheme) Name() string { return s.fn }

// Spec returns "FILE.py:FUNC" as given to Open.
func (s *Scheme) Spec() string { return s.spec }

type turn struct {
	Task      string             `json:"task"`
	Turn      int                `json:"turn"`
	Last      bool               `json:"last"`
	Prompts   []string           `json:"prompts"`
	Responses []string           `json:"responses"`
	EnvReward float64            `json:"env_reward"`
	EnvParts  map[string]float64 `json:"env_parts"`
}

// ScoreBatch calls the function once with all of ins and returns one Result per input. An
// exception or an unusable value is an error that leaves the process serving; a timeout or the
// process's death is an error after which every call fails.
func (s *Scheme) ScoreBatch(ins []reward.Input) ([]reward.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, s.errorNoTrace("the reward was closed")
	}
	if s.gone != "" {
		return nil, s.errorNoTrace("the Python process is gone (%s); open the reward again to start a new one", s.gone)
	}
	if len(ins) == 0 {
		return []reward.Result{}, nil
	}
	turns := make([]turn, len(ins))
	for i, in := range ins {
		t := turn{Task: in.TaskID, Turn: in.Turn, Last: in.Last, Prompts: in.Prompts, Responses: in.Responses,
			EnvReward: in.EnvReward, EnvParts: in.EnvParts}
		if t.EnvParts == nil {
			t.EnvParts = map[string]float64{}
		}
		if t.Task == "" {
			t.Task = strconv.Itoa(in.Task)
		}
		if t.Prompts == nil {
			t.Prompts = []string{}
		}
		if t.Responses == nil {
			t.Responses = []string{}
		}
		turns[i] = t
	}
	req, err := json.Marshal(struct {
		Turns []turn `json:"turns"`
	}{turns})
	if err != nil {
		return nil, &Error{File: s.file, Func: s.fn, Item: -1, Msg: fmt.Sprintf("encoding the batch: %v", err), Err: err}
	}
	req = append(req, '\n')
	batch := plural(len(ins), "turn")

	deadline := time.Now().Add(s.timeout)
	timedOut := func() error {
		s.kill(fmt.Sprintf("it gave no answer within %s", durText(s.timeout)))
		return s.errorNoTrace("no answer within %s for a batch of %s; the Python process was stopped", durText(s.timeout), batch)
	}
	died := func() error {
		s.awaitExit()
		closed := s.closed.Load()
		s.kill("")
		if closed {
			s.gone = "the reward was closed"
			return s.errorNoTrace("the reward was closed during a batch of %s", batch)
		}
		s.gone = "it exited (" + s.exitText() + ") during an earlier batch"
		return s.errorf(true, "the Python process exited (%s) during a batch of %s", s.exitText(), batch)
	}

	s.stdin.SetWriteDeadline(deadline)
	if _, err := s.stdin.Write(req); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, timedOut()
		}
		return nil, died()
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var line []byte
	select {
	case l, ok := <-s.answers:
		if !ok {
			return nil, died()
		}
		line = l
	case <-timer.C:
		return nil, timedOut()
	}
	return s.decode(line, len(ins))
}

// decode reads an answer, checking again what the runner checked.
func (s *Scheme) decode(line []byte, n int) ([]reward.Result, error) {
	var ans struct {
		OK     []json.RawMessage `json:"ok"`
		Raised string            `json:"raised"`
		Msg    string            `json:"msg"`
		Trace  string            `json:"trace"`
		Bad    string            `json:"bad"`
		Item   *int              `json:"item"`
	}
	if err := json.Unmarshal(line, &ans); err != nil || (ans.OK == nil && ans.Raised == "" && ans.Bad == "") {
		s.kill("it sent an unreadable answer")
		return nil, s.errorf(true, "the Python process sent an unreadable answer %s; it was stopped", clip(line))
	}
	bad := func(item int, format string, a ...any) error {
		return &Error{File: s.file, Func: s.fn, Item: item, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case ans.Raised != "":
		return nil, &Error{File: s.file, Func: s.fn, Item: -1, Raised: ans.Raised,
			Msg: "raised " + excText(ans.Raised, ans.Msg), Trace: ans.Trace}
	case ans.Bad != "":
		item := -1
		if ans.Item != nil {
			item = *ans.Item
		}
		return nil, bad(item, "%s", ans.Bad)
	case len(ans.OK) != n:
		return nil, bad(-1, "returned %s for %s: want one per turn", plural(len(ans.OK), "item"), plural(n, "turn"))
	}
	out := make([]reward.Result, n)
	for i, raw := range ans.OK {
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '{' {
			var rawParts map[string]json.RawMessage
			if err := json.Unmarshal(raw, &rawParts); err != nil {
				return nil, bad(i, "item %d is %s: want a number or a dict of named numbers", i, clip(raw))
			}
			names := make([]string, 0, len(rawParts))
			parts := make(map[string]float64, len(rawParts))
			for k, x := range rawParts {
				if k == "" {
					return nil, bad(i, "item %d has an empty key: want non-empty names of the parts", i)
				}
				v, ok := number(x)
				if !ok {
					return nil, bad(i, "item %d part %q is %s: want a finite number", i, k, clip(x))
				}
				parts[k] = v
				names = append(names, k)
			}
			// A fixed order of addition keeps the total the same from run to run.
			slices.Sort(names)
			total := 0.0
			for _, k := range names {
				total += parts[k]
			}
			if math.IsInf(total, 0) {
				return nil, bad(i, "item %d parts sum to %v: want a finite total", i, total)
			}
			out[i] = reward.Result{Total: total, Parts: parts}
			continue
		}
		v, ok := number(raw)
		if !ok {
			return nil, bad(i, "item %d is %s: want a number or a dict of named numbers", i, clip(raw))
		}
		out[i] = reward.Result{Total: v, Parts: map[string]float64{s.fn: v}}
	}
	return out, nil
}

// number reads a JSON number that fits a finite float64.
func number(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, false
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v + 0, true // Python's -0.0 (e.g. -0.5 * 0) reads as 0
}

// kill stops the process for good; reason, when not "", is what later calls report.
func (s *Scheme) kill(reason string) {
	if reason != "" {
		s.gone = reason
	}
	if s.gone == "" {
		s.gone = "it was stopped"
	}
	s.stop()
}

func (s *Scheme) errorNoTrace(format string, a ...any) *Error {
	return &Error{File: s.file, Func: s.fn, Item: -1, Msg: fmt.Sprintf(format, a...), Gone: true}
}

// Close stops the process: it closes the process's stdin, which ends the runner, and kills
// the process group after a second. A call in progress is stopped at once and fails. Close is
// safe to call more than once and after a failure; it returns nil.
func (s *Scheme) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if !s.mu.TryLock() {
			// A call is in progress: stop it, then wait for it to return.
			killGroup(s.cmd)
			s.mu.Lock()
		}
		defer s.mu.Unlock()
		if s.gone == "" {
			s.stdin.Close()
			select {
			case <-s.exited:
			case <-time.After(time.Second):
			}
			s.gone = "the reward was closed"
		}
		s.stop()
	})
	return nil
}

func excText(typ, msg string) string {
	if msg == "" {
		return typ
	}
	return typ + ": " + msg
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// durText writes whole seconds as "60s" rather than time.Duration's "1m0s".
func durText(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

func clip(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 200 {
		return string(b[:160]) + "..." + string(b[len(b)-20:])
	}
	return string(b)
}

// tailWriter copies the process's stderr to w and keeps its last lines.
type tailWriter struct {
	w io.Writer

	mu      sync.Mutex
	last    []string
	partial []byte
}

const maxLine = 500

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if room := maxLine - len(t.partial); room > 0 {
				t.partial = append(t.partial, rest[:min(room, len(rest))]...)
			}
			break
		}
		if room := maxLine - len(t.partial); room > 0 {
			t.partial = append(t.partial, rest[:min(room, i)]...)
		}
		t.push()
		rest = rest[i+1:]
	}
	t.mu.Unlock()
	// A failing destination must not stop the copy (nor block the process): drop its error.
	t.w.Write(p)
	return len(p), nil
}

func (t *tailWriter) push() {
	t.last = append(t.last, strings.ToValidUTF8(strings.TrimRight(string(t.partial), "\r"), "\uFFFD"))
	if len(t.last) > tailLines {
		t.last = slices.Delete(t.last, 0, len(t.last)-tailLines)
	}
	t.partial = t.partial[:0]
}

func (t *tailWriter) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := slices.Clone(t.last)
	if len(t.partial) > 0 {
		out = append(out, strings.ToValidUTF8(string(t.partial), "\uFFFD"))
	}
	if len(out) > tailLines {
		out = out[len(out)-tailLines:]
	}
	return out
}
