package coding

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/collm/collm/envs/coding/sandbox"
)

//go:embed judge.py
var judgeSrc string

//go:embed candidate.py
var candidateSrc string

//go:embed datacodec.py
var datacodecSrc string

// JudgeConfig configures a Judge.
type JudgeConfig struct {
	// TestTimeout is the wall-clock limit of each test (the spec's 10 s). Default 10s.
	TestTimeout time.Duration
	// MaxTimeouts stops the test run after this many timed-out tests; the rest count as
	// failed. Default 3.
	MaxTimeouts int
	// Wall bounds a whole judge run (analysis plus all tests); tests not reported by then
	// count as failed. Default max(60s, TestTimeout*(MaxTimeouts+3)).
	Wall time.Duration
	// AuxName is the helper's name. Default "aux".
	AuxName string
	// Workers bounds concurrent judge runs (and persistent servers). Default runtime.NumCPU().
	Workers int
	// OneShot starts a fresh sandbox for the judge (the tests' side) of every submission
	// instead of handing it to a persistent judge server, which judges each submission in its
	// own forked process. Only trusted code runs there, so this costs an interpreter start-up
	// and buys nothing in isolation; the candidate's side always gets a fresh sandbox.
	OneShot bool
	// Sandbox configures the sandbox the judge runs in (interpreter, memory, ...). Its Timeout
	// is replaced by Wall.
	Sandbox sandbox.Config
}

func (c JudgeConfig) withDefaults() JudgeConfig {
	if c.TestTimeout == 0 {
		c.TestTimeout = 10 * time.Second
	}
	if c.MaxTimeouts == 0 {
		c.MaxTimeouts = 3
	}
	if c.Wall == 0 {
		c.Wall = max(60*time.Second, c.TestTimeout*time.Duration(c.MaxTimeouts+3))
	}
	if c.AuxName == "" {
		c.AuxName = "aux"
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	return c
}

// Validate reports the first invalid field.
func (c JudgeConfig) Validate() error {
	switch {
	case c.TestTimeout < 0:
		return fmt.Errorf("coding: TestTimeout=%v: want > 0 (0 for 10s)", c.TestTimeout)
	case c.MaxTimeouts < 0:
		return fmt.Errorf("coding: MaxTimeouts=%d: want >= 1 (0 for 3)", c.MaxTimeouts)
	case c.Wall < 0:
		return fmt.Errorf("coding: Wall=%v: want > 0 (0 for the default)", c.Wall)
	case c.Workers < 0:
		return fmt.Errorf("coding: Workers=%d: want >= 1 (0 for the number of CPUs)", c.Workers)
	}
	return c.Sandbox.Validate()
}

// Judge scores submissions: judge.py runs the tests in one sandbox, candidate.py the program in
// another (see the package doc). Safe for concurrent use.
type Judge struct {
	cfg   JudgeConfig
	sb    *sandbox.Sandbox
	sem   chan struct{}     // one slot per concurrent run
	idle  chan *judgeServer // persistent servers waiting for a job
	cands chan *candProc    // started candidate processes waiting for a submission
}

// NewJudge builds the sandbox (probing the isolation available here) and the judge.
func NewJudge(cfg JudgeConfig) (*Judge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	scfg := cfg.Sandbox
	scfg.Timeout = cfg.Wall
	sb, err := sandbox.New(scfg)
	if err != nil {
		return nil, err
	}
	return &Judge{cfg: cfg, sb: sb, sem: make(chan struct{}, cfg.Workers), idle: make(chan *judgeServer, cfg.Workers),
		cands: make(chan *candProc, cfg.Workers)}, nil
}

// Sandbox returns the judge's sandbox (for its Isolation report).
func (j *Judge) Sandbox() *sandbox.Sandbox { return j.sb }

// Config returns the configuration with defaults filled in.
func (j *Judge) Config() JudgeConfig { return j.cfg }

// Submission is what the judge scores for one problem.
type Submission struct {
	// Aux and Main are the agents' responses after ExtractCode. Aux is "" without a helper agent.
	Aux, Main string
	// Program, when set, is the complete program and the static analysis is skipped (used by the
	// self-test: a canonical solution is the prompt plus its body).
	Program string
	// Ungated runs the tests even when levels 1-2 fail (the reward does not need them then).
	Ungated bool
}

// TestResult is the outcome of one test (one assert, or one compound check statement).
type TestResult struct {
	Index   int    `json:"index"`
	Passed  bool   `json:"passed"`
	Timeout bool   `json:"timeout"`
	Error   string `json:"error"`
	Source  string `json:"source"`
}

// Judgment is the judge's full report on one submission.
type Judgment struct {
	AuxDefined, AuxReturns   bool
	MainDefined, MainReturns bool
	AuxParseError            string // the helper response alone does not parse ("" if it does)
	MainParseError           string
	SyntaxOK                 bool   // imports + helpers from the prompt + aux + main parse
	SyntaxError              string // "line N: message" of the combined program
	CallsAux                 bool   // main calls the helper (and does not shadow the name)
	AuxShadowed              bool   // main binds the name aux locally (defines its own helper)
	IgnoredResult            bool   // main calls aux as a bare statement
	Wrapper                  bool   // main returns aux(...) unchanged (directly or via one variable)
	Tests                    []TestResult
	Total                    int    // tests in the problem
	Run                      int    // tests executed (fewer after MaxTimeouts or when gated)
	FirstTest                string // source of the first test
	TestError                string // the problem's tests could not be extracted
	JudgeError               string // the report is incomplete: the run hit the wall-clock limit
	Retried                  bool   // the first attempt failed in the judge itself and was repeated
	Program                  string // the program the tests ran against (capped)
}

// Passed counts passed tests.
func (j *Judgment) Passed() int {
	n := 0
	for _, t := range j.Tests {
		if t.Passed {
			n++
		}
	}
	return n
}

// Timeouts counts timed-out tests.
func (j *Judgment) Timeouts() int {
	n := 0
	for _, t := range j.Tests {
		if t.Timeout {
			n++
		}
	}
	return n
}

type judgeJob struct {
	EntryPoint  string   `json:"entry_point"`
	AuxName     string   `json:"aux_name"`
	Prompt      string   `json:"prompt"`
	Aux         string   `json:"aux"`
	Main        string   `json:"main"`
	Program     *string  `json:"program,omitempty"`
	Test        string   `json:"test,omitempty"`
	Asserts     []string `json:"asserts,omitempty"`
	TestSetup   string   `json:"test_setup,omitempty"`
	Timeout     float64  `json:"timeout"`
	MaxTimeouts int      `json:"max_timeouts"`
	Gate        bool     `json:"gate"`
	Wall        float64  `json:"wall"`
}

type judgeLine struct {
	Kind string `json:"kind"`
	// analysis
	AuxDefined     bool   `json:"aux_defined"`
	AuxReturns     bool   `json:"aux_returns"`
	AuxParseError  string `json:"aux_parse_error"`
	MainDefined    bool   `json:"main_defined"`
	MainReturns    bool   `json:"main_returns"`
	MainParseError string `json:"main_parse_error"`
	SyntaxOK       bool   `json:"syntax_ok"`
	SyntaxError    string `json:"syntax_error"`
	CallsAux       bool   `json:"calls_aux"`
	AuxShadowed    bool   `json:"aux_shadowed"`
	IgnoredResult  bool   `json:"ignored_result"`
	Wrapper        bool   `json:"wrapper"`
	TestError      string `json:"test_error"`
	Program        string `json:"program"`
	NTests         int    `json:"n_tests"`
	// test
	TestResult
	// done
	Total     int    `json:"total"`
	Run       int    `json:"run"`
	FirstTest string `json:"first_test"`
}

// Evaluate analyses and tests sub against problem p. Anything the submission does is in the
// Judgment; the error is for failures of the judge itself (a sandbox that does not start, a
// judge process that dies), which are retried once and never scored as the model's failure.
func (j *Judge) Evaluate(ctx context.Context, p *Problem, sub Submission) (Judgment, error) {
	job := judgeJob{
		EntryPoint: p.EntryPoint, AuxName: j.cfg.AuxName, Prompt: p.Prompt, Aux: sub.Aux, Main: sub.Main,
		Test: p.Test, Asserts: p.Asserts, TestSetup: p.TestSetup,
		Timeout: j.cfg.TestTimeout.Seconds(), MaxTimeouts: j.cfg.MaxTimeouts, Gate: !sub.Ungated,
		Wall: j.cfg.Wall.Seconds(),
	}
	if sub.Program != "" {
		job.Program = &sub.Program
	}
	in, err := json.Marshal(job)
	if err != nil {
		return Judgment{}, fmt.Errorf("coding: judge job for %s: %w", p.ID, err)
	}
	select {
	case j.sem <- struct{}{}:
	case <-ctx.Done():
		return Judgment{}, ctx.Err()
	}
	defer func() { <-j.sem }()
	jd, err := j.evaluate(ctx, in)
	if err != nil && ctx.Err() == nil {
		jd, err = j.evaluate(ctx, in)
		jd.Retried = true
	}
	if ctx.Err() != nil {
		return Judgment{}, ctx.Err()
	}
	if err != nil {
		return Judgment{}, fmt.Errorf("coding: judging %s: %w (retried once)", p.ID, err)
	}
	return jd, nil
}

// evaluate runs one job on a judge process; the error is an infrastructure failure.
func (j *Judge) evaluate(ctx context.Context, in []byte) (Judgment, error) {
	var srv *judgeServer
	var err error
	if j.cfg.OneShot {
		srv, err = j.startServer(false)
	} else {
		srv, err = j.server()
	}
	if err != nil {
		return Judgment{}, err
	}
	lines, why, healthy, err := srv.do(ctx, in, j.cfg.Wall+5*time.Second, j)
	if j.cfg.OneShot {
		srv.p.Stop()
	} else {
		j.putServer(srv, healthy)
	}
	if err != nil {
		return Judgment{}, err
	}
	return parseJudgeLines(lines, why), nil
}

// parseJudgeLines builds a Judgment from judge.py's JSON lines; why explains a missing report.
func parseJudgeLines(lines [][]byte, why string) Judgment {
	var out Judgment
	gotAnalysis, gotDone := false, false
	for _, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l judgeLine
		if err := json.Unmarshal(line, &l); err != nil {
			continue // a line cut by a kill: keep the others
		}
		switch l.Kind {
		case "analysis":
			gotAnalysis = true
			out.AuxDefined, out.AuxReturns, out.AuxParseError = l.AuxDefined, l.AuxReturns, l.AuxParseError
			out.MainDefined, out.MainReturns, out.MainParseError = l.MainDefined, l.MainReturns, l.MainParseError
			out.SyntaxOK, out.SyntaxError = l.SyntaxOK, l.SyntaxError
			out.CallsAux, out.AuxShadowed, out.IgnoredResult, out.Wrapper = l.CallsAux, l.AuxShadowed, l.IgnoredResult, l.Wrapper
			out.TestError, out.Program, out.Total = l.TestError, l.Program, l.NTests
		case "test":
			out.Tests = append(out.Tests, l.TestResult)
		case "done":
			gotDone = true
			out.Total, out.Run, out.FirstTest = l.Total, l.Run, l.FirstTest
		}
	}
	if !gotAnalysis || !gotDone {
		if why == "" {
			why = "judge ended without a report"
		}
		out.JudgeError = why
		out.Run = len(out.Tests)
		out.Total = max(out.Total, len(out.Tests))
	}
	return out
}

// serverJobs is how many jobs a persistent judge server handles before it is replaced.
const serverJobs = 2000

// judgeServer is a judge.py process in its own sandbox: persistent ("serve" mode, each job
// judged in a forked child, which saves two interpreter start-ups per submission) or for one
// job.
type judgeServer struct {
	p     *sandbox.Process
	out   *bufio.Reader
	jobs  int
	serve bool
}

func (j *Judge) server() (*judgeServer, error) {
	select {
	case s := <-j.idle:
		return s, nil
	default:
	}
	return j.startServer(true)
}

func (j *Judge) startServer(serve bool) (*judgeServer, error) {
	job := sandbox.Job{Script: judgeSrc, Files: map[string]string{"datacodec.py": datacodecSrc}, Channel: true, NoSite: true}
	if serve {
		job.Args = []string{"serve"}
	}
	p, err := j.sb.Start(job)
	if err != nil {
		return nil, err
	}
	return &judgeServer{p: p, out: bufio.NewReaderSize(p.Channel, 64<<10), serve: serve}, nil
}

func (j *Judge) putServer(s *judgeServer, healthy bool) {
	if healthy && s.jobs < serverJobs {
		select {
		case j.idle <- s:
			return
		default:
		}
	}
	s.p.Stop()
}

// maxLine bounds one line from judge.py or the candidate (a test's answer included).
const maxLine = 8 << 20

// do sends one job and relays the judge's calls to the submission's candidate process until
// the job's end. It returns the judge's report lines and why the report may be incomplete (the
// wall-clock limit: the model's doing); healthy is false when the server must be replaced; the
// error is an infrastructure failure (the judge died or could not be reached, the candidate's
// sandbox did not start).
func (s *judgeServer) do(ctx context.Context, job []byte, deadline time.Duration, j *Judge) (lines [][]byte, why string, healthy bool, err error) {
	s.jobs++
	var expired atomic.Bool
	kill := func() { expired.Store(true); s.p.Kill() }
	t := time.AfterFunc(deadline, kill)
	stop := context.AfterFunc(ctx, kill)
	defer func() { t.Stop(); stop() }()
	cand := &candidate{j: j}
	defer cand.close()
	if _, err := s.p.Stdin.Write(append(job, '\n')); err != nil {
		return nil, "", false, fmt.Errorf("judge process: %w", err)
	}
	gotDone := false
	for {
		line, rerr := readLine(s.out)
		if rerr != nil {
			if expired.Load() {
				return lines, fmt.Sprintf("judge run exceeded %v", deadline), false, nil
			}
			if !s.serve && gotDone {
				return lines, "", false, nil
			}
			res, _ := s.p.Wait()
			return lines, "", false, fmt.Errorf("judge process ended (exit %d, signal %v): %s", res.ExitCode, res.Signal, lastLine(string(res.Stderr)))
		}
		var kind struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(line, &kind) != nil {
			lines = append(lines, line) // a line cut by a kill; parseJudgeLines skips it
			continue
		}
		var msg struct {
			Killed  bool    `json:"killed"`
			Error   string  `json:"error"`
			Program string  `json:"program"`
			Entry   string  `json:"entry"`
			Timeout float64 `json:"timeout"`
		}
		switch kind.Kind {
		case "end", "candidate", "begin_test":
			if err := json.Unmarshal(line, &msg); err != nil {
				return lines, "", false, fmt.Errorf("judge process: bad %s line: %w", kind.Kind, err)
			}
		}
		switch kind.Kind {
		case "end":
			if msg.Error != "" {
				return lines, "", false, fmt.Errorf("judge server: %s", msg.Error)
			}
			if msg.Killed {
				why = fmt.Sprintf("judge run exceeded %v", deadline-5*time.Second)
			}
			return lines, why, true, nil
		case "candidate":
			cand.program, cand.entry = msg.Program, msg.Entry
		case "begin_test":
			if err := cand.begin(time.Now().Add(time.Duration(msg.Timeout * float64(time.Second)))); err != nil {
				return lines, "", false, err
			}
		case "call":
			reply, err := cand.call(line)
			if err != nil {
				return lines, "", false, err
			}
			if _, err := s.p.Stdin.Write(append(reply, '\n')); err != nil {
				if expired.Load() {
					return lines, fmt.Sprintf("judge run exceeded %v", deadline), false, nil
				}
				return lines, "", false, fmt.Errorf("judge process: %w", err)
			}
		case "test":
			lines = append(lines, line)
		case "done":
			gotDone = true
			lines = append(lines, line)
		default:
			lines = append(lines, line)
		}
	}
}

// readLine reads one line without its newline, at most maxLine bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if err == nil {
			return line[:len(line)-1], nil
		}
		if err != bufio.ErrBufferFull {
			return nil, err
		}
		if len(line) > maxLine {
			return nil, fmt.Errorf("a line longer than %d bytes", maxLine)
		}
	}
}

// candidate is the untrusted side of one submission: a candidate.py process holding the
// program in its own sandbox, loaded at the first test and again after a test that killed it.
// Everything it answers is relayed as data, so the worst it can do is fail its own tests.
type candidate struct {
	j              *Judge
	program, entry string
	cp             *candProc
	nonce          string    // the submission's: lines without it come from earlier programs
	loaded         bool      // a process of cp holds the program and answers calls
	deadline       time.Time // the running test's
	// The answer every call gets instead of the program's: for the whole submission when the
	// program failed to load, for the rest of the test after a timeout or a crash.
	loadFailure, failure map[string]any
}

// candProc is a started candidate.py waiting for submissions; reusable ones (root mode:
// a PID namespace and an unprivileged uid) go back to the Judge's pool after each.
type candProc struct {
	p        *sandbox.Process
	out      *bufio.Reader
	reusable bool
}

// takeCandidate returns a started candidate process, from the pool or started now. A process
// used once is replaced in the pool at once, so a submission rarely waits for a sandbox to
// start; a reusable one returns to the pool after its submission.
func (j *Judge) takeCandidate() (*candProc, error) {
	select {
	case cp := <-j.cands:
		if !cp.reusable {
			go j.refillCandidates()
		}
		return cp, nil
	default:
	}
	cp, err := j.startCandidate()
	if err != nil {
		// A sandbox that fails to start once (fork pressure) is tried again before it counts as
		// an infrastructure failure.
		if cp, err = j.startCandidate(); err != nil {
			return nil, fmt.Errorf("starting the candidate's sandbox: %w", err)
		}
	}
	return cp, nil
}

func (j *Judge) startCandidate() (*candProc, error) {
	iso := j.sb.Isolation()
	job := sandbox.Job{Script: candidateSrc, Channel: true, NoSite: true, Files: map[string]string{"datacodec.py": datacodecSrc}}
	reusable := iso.PIDNS && iso.DropUID
	if reusable {
		job.Args = []string{"serve"}
	}
	p, err := j.sb.Start(job)
	if err != nil {
		return nil, err
	}
	return &candProc{p: p, out: bufio.NewReaderSize(p.Channel, 64<<10), reusable: reusable}, nil
}

// refillCandidates tops the pool of waiting candidate processes up by one.
func (j *Judge) refillCandidates() {
	if len(j.cands) == cap(j.cands) {
		return
	}
	cp, err := j.startCandidate()
	if err != nil {
		return // takeCandidate starts one itself, and reports a failure
	}
	j.putCandidate(cp)
}

func (j *Judge) putCandidate(cp *candProc) {
	select {
	case j.cands <- cp:
	default:
		cp.p.Stop()
	}
}

// close ends the submission: a reusable process that ends it cleanly goes back to the pool.
func (c *candidate) close() {
	if c.cp == nil {
		return
	}
	if c.loaded {
		c.deadline = time.Now().Add(2 * time.Second)
		c.exchange(map[string]string{"op": "end"}, "ended", 0)
	}
	if c.cp != nil && c.cp.reusable {
		c.j.putCandidate(c.cp)
	} else if c.cp != nil {
		c.cp.p.Stop()
	}
	c.cp, c.loaded = nil, false
}

// kill stops the candidate process, whatever it is doing, and has the pool start another.
func (c *candidate) kill() {
	if c.cp != nil {
		c.cp.p.Stop()
		go c.j.refillCandidates()
	}
	c.cp, c.loaded = nil, false
}

// exchange writes one request (none when req is nil) and reads the answer it waits for, with
// the submission's nonce ("ready", "ended", or when want is empty the answer to call id),
// before the test's deadline. A timeout or a dead process kills the candidate process; an
// "ended" that was not asked for means the program's process died. Both return the failure
// answer for the judge.
func (c *candidate) exchange(req any, want string, id int64) (reply []byte, failure map[string]any) {
	if req != nil {
		data, err := json.Marshal(req)
		if err != nil {
			panic(err) // the requests are built here from decoded JSON
		}
		if _, err := c.cp.p.Stdin.Write(append(data, '\n')); err != nil {
			c.kill()
			return nil, map[string]any{"crash": "the program's process is gone"}
		}
	}
	if err := c.cp.p.Channel.SetReadDeadline(c.deadline); err != nil {
		c.kill()
		return nil, map[string]any{"crash": err.Error()}
	}
	for {
		line, err := readLine(c.cp.out)
		if err != nil {
			timedOut := errors.Is(err, os.ErrDeadlineExceeded)
			c.kill()
			if timedOut {
				return nil, map[string]any{"timeout": true}
			}
			return nil, map[string]any{"crash": "the program's process ended"}
		}
		var ans struct {
			Op     string `json:"op"`
			ID     *int64 `json:"id"`
			Nonce  string `json:"nonce"`
			Broken bool   `json:"broken"`
		}
		if json.Unmarshal(line, &ans) != nil || ans.Nonce != c.nonce {
			continue // not an answer, or one from an earlier program
		}
		switch {
		case ans.Op == "ended":
			c.loaded = false
			if ans.Broken || !c.cp.reusable {
				c.kill()
			}
			if want == "ended" {
				return line, nil
			}
			return nil, map[string]any{"crash": "the program's process ended"}
		case want == "ready" && ans.Op == "ready", want == "" && ans.ID != nil && *ans.ID == id:
			return line, nil
		}
	}
}

// begin starts a test that must end by deadline, loading the program when no process holds it.
func (c *candidate) begin(deadline time.Time) error {
	c.deadline, c.failure = deadline, nil
	if c.loadFailure != nil || c.loaded {
		return nil
	}
	if c.cp == nil {
		cp, err := c.j.takeCandidate()
		if err != nil {
			return err
		}
		c.cp = cp
	}
	c.nonce = newNonce()
	line, failure := c.exchange(map[string]string{"nonce": c.nonce, "entry": c.entry, "program": c.program}, "ready", 0)
	if failure != nil {
		c.failure = failure
		return nil
	}
	c.loaded = true
	var ready struct {
		Raise string `json:"raise"`
		Msg   string `json:"msg"`
	}
	if json.Unmarshal(line, &ready) == nil && ready.Raise != "" {
		// The program does not load: every call raises what stopped it. Its process exits.
		c.loadFailure = map[string]any{"raise": ready.Raise, "msg": ready.Msg}
		c.exchange(nil, "ended", 0)
	}
	return nil
}

// call relays one call line of the judge and returns the answer line for it.
func (c *candidate) call(line []byte) ([]byte, error) {
	var req struct {
		ID     int64           `json:"id"`
		Args   json.RawMessage `json:"args"`
		Kwargs json.RawMessage `json:"kwargs"`
	}
	if err := json.Unmarshal(line, &req); err != nil || req.ID == 0 {
		return nil, fmt.Errorf("judge process: bad call %q: %v", truncateBytes(line, 200), err)
	}
	answer := func(m map[string]any) ([]byte, error) {
		m = maps.Clone(m)
		m["id"] = req.ID
		return json.Marshal(m)
	}
	switch {
	case c.loadFailure != nil:
		return answer(c.loadFailure)
	case c.failure != nil:
		return answer(c.failure)
	case !c.loaded:
		return answer(map[string]any{"crash": "the program's process is gone"})
	}
	reply, failure := c.exchange(map[string]any{"id": req.ID, "args": req.Args, "kwargs": req.Kwargs}, "", req.ID)
	if failure != nil {
		c.failure = failure
		return answer(failure)
	}
	return reply, nil
}

// newNonce is 128 random bits in hex.
func newNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

func truncateBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// Close stops the judge's idle persistent servers and waiting candidate processes. A Judge
// still works after Close (it starts new ones); call it when done to free them early. They also die with the process.
func (j *Judge) Close() {
	for {
		select {
		case s := <-j.idle:
			s.p.Stop()
		case cp := <-j.cands:
			cp.p.Stop()
		default:
			return
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
