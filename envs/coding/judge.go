package coding

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/collm/collm/envs/coding/sandbox"
)

//go:embed judge.py
var judgeSrc string

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
	// OneShot starts a fresh sandbox for every submission instead of handing it to a
	// persistent judge server; slower (two interpreter start-ups per submission). A server
	// judges each submission in its own forked process and working directory, then kills every
	// other process in its sandbox and empties its private /tmp; what submissions on one server
	// share is the uid and the namespaces.
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

// Judge scores submissions by running judge.py in a sandbox. Safe for concurrent use.
type Judge struct {
	cfg  JudgeConfig
	sb   *sandbox.Sandbox
	sem  chan struct{}     // one slot per concurrent run
	idle chan *judgeServer // persistent servers waiting for a job
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
	return &Judge{cfg: cfg, sb: sb, sem: make(chan struct{}, cfg.Workers), idle: make(chan *judgeServer, cfg.Workers)}, nil
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
	JudgeError               string // the judge reported nothing usable (crash, killed)
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

// Evaluate analyses and tests sub against problem p. The error is for sandbox failures only;
// anything the submission does is in the Judgment.
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
	if j.cfg.OneShot {
		res, err := j.sb.Run(ctx, sandbox.Job{Script: judgeSrc, Stdin: in, Channel: true, NoSite: true})
		if err != nil {
			return Judgment{}, fmt.Errorf("coding: judging %s: %w", p.ID, err)
		}
		why := ""
		if res.TimedOut {
			why = fmt.Sprintf("judge run exceeded %v", j.cfg.Wall)
		} else if res.Signal != 0 {
			why = fmt.Sprintf("judge killed by %v", res.Signal)
		}
		if len(res.Stderr) > 0 {
			why += ": " + lastLine(string(res.Stderr))
		}
		return parseJudgeLines(bytes.Split(res.Channel, []byte("\n")), why), nil
	}
	srv, err := j.server()
	if err != nil {
		return Judgment{}, fmt.Errorf("coding: judging %s: %w", p.ID, err)
	}
	lines, why, healthy := srv.do(ctx, in, j.cfg.Wall+5*time.Second)
	j.putServer(srv, healthy)
	if err := ctx.Err(); err != nil {
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

// judgeServer is a persistent judge.py ("serve" mode) in its own sandbox: each job is judged
// in a forked child, which saves two interpreter start-ups per submission.
type judgeServer struct {
	p    *sandbox.Process
	out  *bufio.Reader
	jobs int
}

func (j *Judge) server() (*judgeServer, error) {
	select {
	case s := <-j.idle:
		return s, nil
	default:
	}
	iso := j.sb.Isolation()
	flag := map[bool]string{true: "1", false: "0"}
	p, err := j.sb.Start(sandbox.Job{
		Script: judgeSrc, Args: []string{"serve", flag[iso.PIDNS], flag[iso.TmpFS]},
		Channel: true, NoSite: true,
	})
	if err != nil {
		return nil, err
	}
	return &judgeServer{p: p, out: bufio.NewReaderSize(p.Channel, 64<<10)}, nil
}

func (j *Judge) putServer(s *judgeServer, healthy bool) {
	if healthy && s.jobs < serverJobs {
		select {
		case j.idle <- s:
			return
		default:
		}
	}
	s.close()
}

func (s *judgeServer) close() {
	s.p.Kill()
	s.p.Stdin.Close()
	s.p.Wait()
	s.p.Channel.Close()
}

// do sends one job and reads its lines up to the server's "end" line. healthy is false when
// the server must be replaced (it died, or the deadline killed it).
func (s *judgeServer) do(ctx context.Context, job []byte, deadline time.Duration) (lines [][]byte, why string, healthy bool) {
	s.jobs++
	var expired bool
	var mu sync.Mutex
	kill := func() { mu.Lock(); expired = true; mu.Unlock(); s.p.Kill() }
	t := time.AfterFunc(deadline, kill)
	stop := context.AfterFunc(ctx, kill)
	defer func() { t.Stop(); stop() }()
	if _, err := s.p.Stdin.Write(append(job, '\n')); err != nil {
		return nil, "judge server: " + err.Error(), false
	}
	for {
		line, err := s.out.ReadBytes('\n')
		if err != nil {
			mu.Lock()
			defer mu.Unlock()
			if expired {
				return lines, fmt.Sprintf("judge run exceeded %v", deadline), false
			}
			res, _ := s.p.Wait()
			return lines, fmt.Sprintf("judge server ended (exit %d, signal %v): %s", res.ExitCode, res.Signal, lastLine(string(res.Stderr))), false
		}
		var end struct {
			Kind   string `json:"kind"`
			Killed bool   `json:"killed"`
			Error  string `json:"error"`
		}
		if bytes.HasPrefix(line, []byte(`{"kind": "end"`)) && json.Unmarshal(line, &end) == nil {
			switch {
			case end.Error != "":
				why = "judge server: " + end.Error
			case end.Killed:
				why = fmt.Sprintf("judge run exceeded %v", deadline-5*time.Second)
			}
			return lines, why, true
		}
		lines = append(lines, line)
	}
}

// Close stops the judge's idle persistent servers. A Judge still works after Close (it starts
// new servers); call it when done to free them early. They also die with the process.
func (j *Judge) Close() {
	for {
		select {
		case s := <-j.idle:
			s.close()
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
