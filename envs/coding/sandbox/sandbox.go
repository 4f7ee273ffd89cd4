package sandbox

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

//go:embed bootstrap.py
var bootstrapSrc string

// Config configures a Sandbox. The zero value plus defaults works; see each field.
type Config struct {
	// Python is the interpreter. Default: /usr/bin/python3 when it exists (the distribution's
	// Python, independent of pyenv shims), else python3 from PATH.
	Python string
	// Timeout is the wall-clock limit of one run; the whole process group is killed after it.
	// Default 10s. A Job may override it.
	Timeout time.Duration
	// CPUSeconds is RLIMIT_CPU of every process in the run. Default: the timeout rounded up, + 1.
	CPUSeconds int
	// MemoryBytes is RLIMIT_AS (address space) of every process. Default 1 GiB.
	MemoryBytes int64
	// MaxProcs bounds the processes (and threads) a run may create, through RLIMIT_NPROC. It
	// binds only when the run does not execute as root, which is why root mode drops to a
	// per-run uid. In userns mode the count is per user namespace (Linux >= 5.14); in plain
	// mode without root the uid is the caller's, so the limit is the caller's current task
	// count plus MaxProcs. Default 64.
	MaxProcs int
	// FileBytes is RLIMIT_FSIZE, the largest file the program may write, and the size of the
	// scratch tmpfs in mount mode. Default 16 MiB.
	FileBytes int64
	// MaxFiles bounds the files and directories of the scratch tmpfs in mount mode (its
	// nr_inodes). Default 1024.
	MaxFiles int
	// OutputBytes caps the stdout and stderr kept from a run, each; the excess is read and
	// discarded so the program never blocks on a full pipe. Default 64 KiB.
	OutputBytes int
	// AllowNetwork keeps the host network; by default a run gets a fresh network namespace
	// (loopback only) wherever the OS allows one.
	AllowNetwork bool
	// Mode forces an isolation mode ("root", "userns", "plain"); empty picks the strongest that
	// works here (see Isolation).
	Mode string
	// BaseUID is the first uid a root-mode run drops to; concurrent runs use BaseUID, BaseUID+1,
	// ..., BaseUID+255 so each gets its own RLIMIT_NPROC budget (no account is needed). Default
	// 1e6 + 256*pid: distinct for every live process, so two trainers (or two test binaries)
	// never share a budget.
	BaseUID int
	// ScratchRoot is where plain and userns modes create each run's scratch directory.
	// Default os.TempDir().
	ScratchRoot string
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.Python == "" {
		if _, err := os.Stat("/usr/bin/python3"); err == nil {
			d.Python = "/usr/bin/python3"
		} else if p, err := exec.LookPath("python3"); err == nil {
			d.Python = p
		} else {
			d.Python = "python3"
		}
	}
	if d.Timeout == 0 {
		d.Timeout = 10 * time.Second
	}
	if d.CPUSeconds == 0 {
		d.CPUSeconds = int(math.Ceil(d.Timeout.Seconds())) + 1
	}
	if d.MemoryBytes == 0 {
		d.MemoryBytes = 1 << 30
	}
	if d.MaxProcs == 0 {
		d.MaxProcs = 64
	}
	if d.FileBytes == 0 {
		d.FileBytes = 16 << 20
	}
	if d.OutputBytes == 0 {
		d.OutputBytes = 64 << 10
	}
	if d.MaxFiles == 0 {
		d.MaxFiles = 1024
	}
	if d.BaseUID == 0 {
		d.BaseUID = 1_000_000 + 256*os.Getpid()
	}
	if d.ScratchRoot == "" {
		d.ScratchRoot = os.TempDir()
	}
	return d
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	switch {
	case c.Timeout < 0:
		return fmt.Errorf("sandbox: Timeout=%v: want > 0 (or 0 for the 10s default)", c.Timeout)
	case c.CPUSeconds < 0:
		return fmt.Errorf("sandbox: CPUSeconds=%d: want > 0 (or 0 for the default)", c.CPUSeconds)
	case c.MemoryBytes < 0 || (c.MemoryBytes > 0 && c.MemoryBytes < 32<<20):
		return fmt.Errorf("sandbox: MemoryBytes=%d: want >= 32 MiB, Python itself needs about 20 MiB (0 for 1 GiB)", c.MemoryBytes)
	case c.MaxProcs < 0 || (c.MaxProcs > 0 && c.MaxProcs < 4):
		return fmt.Errorf("sandbox: MaxProcs=%d: want >= 4 (0 for 64)", c.MaxProcs)
	case c.FileBytes < 0:
		return fmt.Errorf("sandbox: FileBytes=%d: want >= 0", c.FileBytes)
	case c.OutputBytes < 0:
		return fmt.Errorf("sandbox: OutputBytes=%d: want >= 0", c.OutputBytes)
	case c.MaxFiles < 0 || (c.MaxFiles > 0 && c.MaxFiles < 16):
		return fmt.Errorf("sandbox: MaxFiles=%d: want >= 16 (0 for 1024)", c.MaxFiles)
	case c.BaseUID < 0 || c.BaseUID > 1<<31-uidSlots:
		return fmt.Errorf("sandbox: BaseUID=%d: want in (0, 2^31-%d] (0 for the per-process default)", c.BaseUID, uidSlots)
	}
	switch c.Mode {
	case "", ModeRoot, ModeUserNS, ModePlain:
	default:
		return fmt.Errorf("sandbox: Mode=%q: want root, userns, plain or empty (auto)", c.Mode)
	}
	return nil
}

// Isolation modes, strongest first.
const (
	// ModeRoot (the process runs as root): fresh mount, PID, network, IPC and UTS namespaces;
	// a minimal read-only root (the Python installation, /etc, a few devices, the run's own
	// /proc) with one scratch tmpfs limited in size and files; the program runs as an
	// unprivileged per-run uid so RLIMIT_NPROC contains fork bombs; everything left behind
	// dies with the PID namespace.
	ModeRoot = "root"
	// ModeUserNS (unprivileged, user namespaces allowed): the same namespaces inside a new user
	// namespace mapping the caller's uid; RLIMIT_NPROC counts all the caller's processes.
	ModeUserNS = "userns"
	// ModePlain: no namespaces. Rlimits, process-group kill, a scratch directory as cwd and
	// HOME/TMPDIR; the network and world-writable directories (/tmp) stay reachable.
	ModePlain = "plain"
)

// Isolation describes what a Sandbox actually enforces on this machine.
type Isolation struct {
	Mode    string   // ModeRoot, ModeUserNS or ModePlain
	Network bool     // true when runs have no network (fresh network namespace)
	PIDNS   bool     // true when leftovers are killed with a PID namespace
	TmpFS   bool     // true when /tmp, /var/tmp, /dev/shm are private per run
	MinRoot bool     // true when the run sees a minimal read-only root, not the host's files
	DropUID bool     // true when runs execute as an unprivileged per-run uid
	Notes   []string // why a stronger mode was not used
}

func (i Isolation) String() string {
	s := fmt.Sprintf("mode=%s no-network=%v pid-namespace=%v private-tmp=%v minimal-root=%v unprivileged-uid=%v",
		i.Mode, i.Network, i.PIDNS, i.TmpFS, i.MinRoot, i.DropUID)
	if len(i.Notes) > 0 {
		s += " (" + strings.Join(i.Notes, "; ") + ")"
	}
	return s
}

// Sandbox runs untrusted Python programs. It is safe for concurrent use.
type Sandbox struct {
	cfg Config
	iso Isolation
}

// Job is one program run.
type Job struct {
	// Script is the program's source, written to main.py in the scratch directory and run as
	// `python -s main.py Args...` with PYTHONHASHSEED=0 (deterministic set and dict order of
	// strings) in a scrubbed environment.
	Script string
	Args   []string
	// Files are extra files (name -> content) written next to main.py. Names must be plain
	// file names.
	Files map[string]string
	// Stdin is the program's standard input.
	Stdin []byte
	// Timeout overrides Config.Timeout when > 0 (the CPU limit follows it).
	Timeout time.Duration
	// NoSite runs the program with -S: no site module, so no site-packages, and about 35 ms
	// less start-up where setuptools installs .pth hooks. Harnesses that need only the
	// standard library set it.
	NoSite bool
	// Channel gives the program a private output pipe on fd 4, returned in Result.Channel
	// (capped at 4 MiB). Trusted harnesses use it so that the program's prints cannot be
	// mistaken for their results.
	Channel bool
}

// Result is the outcome of a run. A program that fails, crashes or times out is a Result,
// not an error.
type Result struct {
	ExitCode        int            // exit status; -1 when killed by a signal or never started
	Signal          syscall.Signal // the signal that killed the program, 0 if none
	TimedOut        bool           // the wall-clock limit was hit and the run was killed
	Stdout, Stderr  []byte         // capped at Config.OutputBytes each
	StdoutTruncated bool
	StderrTruncated bool
	Channel         []byte // fd 4 output when Job.Channel
	Duration        time.Duration
}

// OK is true when the program exited with status 0 in time.
func (r *Result) OK() bool { return !r.TimedOut && r.Signal == 0 && r.ExitCode == 0 }

// New checks the configuration and the interpreter and picks the strongest isolation mode that
// works here by running a probe program in each.
func New(cfg Config) (*Sandbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sandbox{cfg: cfg.withDefaults()}
	if _, err := exec.LookPath(s.cfg.Python); err != nil {
		return nil, fmt.Errorf("sandbox: Python interpreter %q: %w (set Config.Python)", s.cfg.Python, err)
	}
	modes := []string{ModeRoot, ModeUserNS, ModePlain}
	if s.cfg.Mode != "" {
		modes = []string{s.cfg.Mode}
	}
	var notes []string
	for _, m := range modes {
		if m == ModeRoot && os.Geteuid() != 0 {
			notes = append(notes, "root mode needs euid 0")
			continue
		}
		s.iso = isolationOf(m, s.cfg.AllowNetwork)
		res, err := s.Run(context.Background(), Job{Script: "print(6*7)", Timeout: 20 * time.Second})
		if err == nil && res.OK() && strings.TrimSpace(string(res.Stdout)) == "42" {
			s.iso.Notes = notes
			return s, nil
		}
		why := fmt.Sprintf("%s mode failed: ", m)
		switch {
		case err != nil:
			why += err.Error()
		case res.Signal == 0 && len(res.Stderr) == 0 && len(res.Stdout) == 0:
			why += fmt.Sprintf("%s exited with status %d and no output: is it a Python 3 interpreter?", s.cfg.Python, res.ExitCode)
		default:
			why += fmt.Sprintf("probe exit=%d signal=%v stderr=%q", res.ExitCode, res.Signal, truncate(string(res.Stderr), 300))
		}
		notes = append(notes, why)
	}
	return nil, fmt.Errorf("sandbox: no isolation mode works: %s", strings.Join(notes, "; "))
}

func isolationOf(mode string, allowNet bool) Isolation {
	switch mode {
	case ModeRoot:
		return Isolation{Mode: mode, Network: !allowNet, PIDNS: true, TmpFS: true, MinRoot: true, DropUID: true}
	case ModeUserNS:
		return Isolation{Mode: mode, Network: !allowNet, PIDNS: true, TmpFS: true, MinRoot: true}
	}
	return Isolation{Mode: ModePlain, DropUID: os.Geteuid() == 0}
}

// Isolation reports what this sandbox enforces.
func (s *Sandbox) Isolation() Isolation { return s.iso }

// Config returns the configuration with defaults filled in.
func (s *Sandbox) Config() Config { return s.cfg }

// uidSlots is how many uids a process hands out from its base; beyond that many concurrent
// runs, runs share uids (and their RLIMIT_NPROC budget).
const uidSlots = 256

// uids hands out distinct uids to concurrent root-mode runs (process-wide, so that two
// Sandboxes never share an RLIMIT_NPROC budget).
var uids struct {
	sync.Mutex
	used map[int]int // uid -> runs using it
}

func acquireUID(base int) int {
	uids.Lock()
	defer uids.Unlock()
	if uids.used == nil {
		uids.used = map[int]int{}
	}
	for u := base; u < base+uidSlots; u++ {
		if uids.used[u] == 0 {
			uids.used[u]++
			return u
		}
	}
	u := base + rand.IntN(uidSlots)
	uids.used[u]++
	return u
}

func releaseUID(u int) {
	uids.Lock()
	if uids.used[u]--; uids.used[u] <= 0 {
		delete(uids.used, u)
	}
	uids.Unlock()
}

type header struct {
	Mount       bool              `json:"mount"`
	PIDNS       bool              `json:"pidns"`
	TmpfsBytes  int64             `json:"tmpfs_bytes"`
	Workdir     string            `json:"workdir"`
	UID         int               `json:"uid"`
	GID         int               `json:"gid"`
	CPUSeconds  int               `json:"cpu_seconds"`
	MemoryBytes int64             `json:"memory_bytes"`
	MaxProcs    int               `json:"max_procs"`
	NprocRel    bool              `json:"nproc_relative"`
	FileBytes   int64             `json:"file_bytes"`
	MaxFiles    int               `json:"max_files"`
	Files       map[string]string `json:"files"`
	Argv        []string          `json:"argv"`
	Env         map[string]string `json:"env"`
}

type bootReport struct {
	SetupError string `json:"setup_error"`
	Exit       *int   `json:"exit"`
	Signal     int    `json:"signal"`
}

// channelCap bounds Result.Channel.
const channelCap = 4 << 20

// Process is a started sandbox run (see Start).
type Process struct {
	// Stdin is the program's standard input; close it to signal the end of input.
	Stdin io.WriteCloser
	// Channel is the read end of the program's fd 4 when Job.Channel; nil otherwise.
	Channel *os.File

	sb             *Sandbox
	cmd            *exec.Cmd
	start          time.Time
	stdout, stderr *capWriter
	repBuf         capWriter
	repDone        chan struct{}
	timedOut       atomic.Bool
	cleanup        []func()
	waitOnce       sync.Once
	res            Result
	err            error
}

// Start starts job and returns at once: the caller writes Stdin, reads Channel and calls Wait.
// job.Stdin is written before Start returns (keep it within the 64 KiB pipe buffer unless the
// program reads it at once). Unlike Run there is no wall-clock limit unless job.Timeout > 0,
// and no CPU limit unless job.Timeout > 0 (a long-lived harness sets its own per-task limits);
// Kill ends the run at any time.
func (s *Sandbox) Start(job Job) (*Process, error) {
	return s.start(job, job.Timeout)
}

func (s *Sandbox) start(job Job, timeout time.Duration) (_ *Process, err error) {
	for name := range job.Files {
		if name == "" || name == "main.py" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
			return nil, fmt.Errorf("sandbox: Job.Files name %q: want a plain file name other than main.py", name)
		}
	}
	// p is not the named result: an error return sets that to nil before the cleanup runs.
	p := &Process{sb: s, repDone: make(chan struct{})}
	defer func() {
		if err != nil {
			p.runCleanup()
		}
	}()
	cpu := -1
	if timeout > 0 {
		cpu = int(math.Ceil(timeout.Seconds())) + 1
		if timeout == s.cfg.Timeout {
			cpu = s.cfg.CPUSeconds
		}
	}
	files := map[string]string{"main.py": job.Script}
	for k, v := range job.Files {
		files[k] = v
	}
	h := header{
		PIDNS: s.iso.PIDNS, TmpfsBytes: s.cfg.FileBytes, UID: -1, GID: -1,
		CPUSeconds: cpu, MemoryBytes: s.cfg.MemoryBytes, MaxProcs: s.cfg.MaxProcs, FileBytes: s.cfg.FileBytes, MaxFiles: s.cfg.MaxFiles,
		Files: files,
	}
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	ns := uintptr(syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS)
	if !s.cfg.AllowNetwork {
		ns |= syscall.CLONE_NEWNET
	}
	dir := "/"
	switch s.iso.Mode {
	case ModeRoot:
		h.Mount, h.Workdir = true, "/tmp/work"
		uid := acquireUID(s.cfg.BaseUID)
		p.cleanup = append(p.cleanup, func() { releaseUID(uid) })
		h.UID, h.GID = uid, uid
		attr.Cloneflags = ns
	case ModeUserNS:
		h.Mount, h.Workdir = true, "/tmp/work"
		attr.Cloneflags = ns | syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	default:
		scratch, err := os.MkdirTemp(s.cfg.ScratchRoot, "collm-sandbox-")
		if err != nil {
			return nil, fmt.Errorf("sandbox: scratch directory: %w", err)
		}
		p.cleanup = append(p.cleanup, func() { os.RemoveAll(scratch) })
		h.Workdir, dir = scratch, scratch
		if os.Geteuid() == 0 {
			// Even without namespaces a root caller must not run the program as root.
			uid := acquireUID(s.cfg.BaseUID)
			p.cleanup = append(p.cleanup, func() { releaseUID(uid) })
			h.UID, h.GID = uid, uid
			if err := os.Chown(scratch, uid, uid); err != nil {
				return nil, fmt.Errorf("sandbox: scratch directory: %w", err)
			}
		}
	}
	// Without namespaces or a per-run uid, RLIMIT_NPROC counts the caller's own processes too:
	// the bootstrap adds their number to MaxProcs. In a user namespace, kernels since 5.14
	// count per namespace, so MaxProcs applies as is.
	h.NprocRel = h.UID < 0 && s.iso.Mode == ModePlain
	h.Argv = []string{s.cfg.Python, "-s"}
	if job.NoSite {
		h.Argv = append(h.Argv, "-S")
	}
	h.Argv = append(append(h.Argv, "main.py"), job.Args...)
	h.Env = map[string]string{
		"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": h.Workdir, "TMPDIR": h.Workdir,
		"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
		"PYTHONIOENCODING": "utf-8:surrogateescape",
	}
	hjson, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("sandbox: header: %w", err)
	}

	repR, repW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: pipe: %w", err)
	}
	extra := []*os.File{repW}
	var chW *os.File
	if job.Channel {
		if p.Channel, chW, err = os.Pipe(); err != nil {
			repR.Close()
			repW.Close()
			return nil, fmt.Errorf("sandbox: pipe: %w", err)
		}
		extra = append(extra, chW)
	}
	closeChildEnds := func() {
		repW.Close()
		if chW != nil {
			chW.Close()
		}
	}

	cmd := exec.Command(s.cfg.Python, "-I", "-S", "-c", bootstrapSrc)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.SysProcAttr = attr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		closeChildEnds()
		repR.Close()
		return nil, fmt.Errorf("sandbox: stdin pipe: %w", err)
	}
	p.stdout = &capWriter{limit: s.cfg.OutputBytes}
	p.stderr = &capWriter{limit: s.cfg.OutputBytes}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.ExtraFiles = extra
	// Escaped background processes of plain mode may hold the output pipes after the program
	// ended; WaitDelay stops Wait from waiting on them.
	cmd.WaitDelay = time.Second
	p.cmd = cmd

	// Pdeathsig fires when the OS thread that forked the child exits; keep the fork on a
	// locked thread and release it afterwards (the Go runtime does not end unlocked threads).
	runtime.LockOSThread()
	p.start = time.Now()
	err = cmd.Start()
	runtime.UnlockOSThread()
	closeChildEnds()
	if err != nil {
		repR.Close()
		if p.Channel != nil {
			p.Channel.Close()
		}
		return nil, fmt.Errorf("sandbox: start %s (%s mode): %w", s.cfg.Python, s.iso.Mode, err)
	}
	p.repBuf.limit = 1 << 16
	go func() { defer close(p.repDone); copyAll(&p.repBuf, repR); repR.Close() }()
	p.Stdin = stdin
	if _, err := fmt.Fprintf(stdin, "%08x%s", len(hjson), hjson); err != nil {
		p.Kill()
		p.Wait()
		return nil, fmt.Errorf("sandbox: writing the header: %w", err)
	}
	if _, err := stdin.Write(job.Stdin); err != nil {
		p.Kill()
		p.Wait()
		return nil, fmt.Errorf("sandbox: writing Job.Stdin: %w", err)
	}
	if timeout > 0 {
		t := time.AfterFunc(timeout, func() { p.timedOut.Store(true); p.Kill() })
		p.cleanup = append(p.cleanup, func() { t.Stop() })
	}
	return p, nil
}

// Kill kills the run's process group (and with it, in a PID namespace, everything it started).
func (p *Process) Kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// Stop kills the run, waits for it and closes the caller's ends of its pipes.
func (p *Process) Stop() {
	p.Kill()
	p.Stdin.Close()
	p.Wait()
	if p.Channel != nil {
		p.Channel.Close()
	}
}

func (p *Process) runCleanup() {
	for i := len(p.cleanup) - 1; i >= 0; i-- {
		p.cleanup[i]()
	}
	p.cleanup = nil
}

// Wait waits for the run to end and returns its result; it may be called more than once.
// Result.Channel is empty for a started Process: the caller reads Channel itself.
func (p *Process) Wait() (Result, error) {
	p.waitOnce.Do(func() { p.res, p.err = p.wait() })
	return p.res, p.err
}

func (p *Process) wait() (Result, error) {
	waitErr := p.cmd.Wait()
	// Leftovers of plain mode share the process group; the PID namespace already took them.
	p.Kill()
	dur := time.Since(p.start)
	<-p.repDone
	p.runCleanup()
	res := Result{
		ExitCode: -1, TimedOut: p.timedOut.Load(), Duration: dur,
		Stdout: p.stdout.buf.Bytes(), Stderr: p.stderr.buf.Bytes(),
		StdoutTruncated: p.stdout.dropped > 0, StderrTruncated: p.stderr.dropped > 0,
	}
	var rep bootReport
	if line := bytes.TrimSpace(p.repBuf.buf.Bytes()); len(line) > 0 {
		if err := json.Unmarshal(line, &rep); err != nil {
			return res, fmt.Errorf("sandbox: bootstrap report %q: %w", truncate(string(line), 200), err)
		}
	}
	switch {
	case rep.SetupError != "":
		return res, fmt.Errorf("sandbox: setup (%s mode): %s", p.sb.iso.Mode, rep.SetupError)
	case rep.Exit != nil:
		res.ExitCode, res.Signal = *rep.Exit, syscall.Signal(rep.Signal)
	default:
		// No report: the bootstrap itself was killed (timeout, Kill, or the program killed its
		// parent in plain mode).
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				res.Signal = ws.Signal()
			} else {
				res.ExitCode = ee.ExitCode()
			}
		} else if waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay) {
			return res, fmt.Errorf("sandbox: wait: %w", waitErr)
		}
		if res.Signal == 0 && res.ExitCode == -1 {
			res.Signal = syscall.SIGKILL
		}
	}
	return res, nil
}

// Run executes job to completion with the wall-clock limit (Job.Timeout or Config.Timeout).
// The error is for failures of the sandbox itself (no scratch directory, interpreter missing,
// setup failed); whatever the program does is in Result.
func (s *Sandbox) Run(ctx context.Context, job Job) (Result, error) {
	timeout := s.cfg.Timeout
	if job.Timeout > 0 {
		timeout = job.Timeout
	}
	stdinData := job.Stdin
	job.Stdin = nil
	p, err := s.start(job, timeout)
	if err != nil {
		return Result{}, err
	}
	var chBuf capWriter
	chBuf.limit = channelCap
	chDone := make(chan struct{})
	if p.Channel != nil {
		go func() { defer close(chDone); copyAll(&chBuf, p.Channel); p.Channel.Close() }()
	} else {
		close(chDone)
	}
	go func() {
		p.Stdin.Write(stdinData)
		p.Stdin.Close()
	}()
	stop := context.AfterFunc(ctx, p.Kill)
	defer stop()
	res, err := p.Wait()
	<-chDone
	res.Channel = chBuf.buf.Bytes()
	if err == nil && ctx.Err() != nil && !res.TimedOut {
		err = fmt.Errorf("sandbox: run cancelled: %w", ctx.Err())
	}
	return res, err
}

// capWriter keeps the first limit bytes and counts the rest.
type capWriter struct {
	limit   int
	buf     bytes.Buffer
	dropped int64
}

func (w *capWriter) Write(p []byte) (int, error) {
	room := w.limit - w.buf.Len()
	if room > len(p) {
		room = len(p)
	}
	if room > 0 {
		w.buf.Write(p[:room])
	}
	w.dropped += int64(len(p) - max(room, 0))
	return len(p), nil
}

func copyAll(w *capWriter, f *os.File) {
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Describe returns the effective limits as sorted "name=value" text, for logs and reports.
func (s *Sandbox) Describe() string {
	c := s.cfg
	kv := map[string]string{
		"python": c.Python, "timeout": c.Timeout.String(), "cpu_s": fmt.Sprint(c.CPUSeconds),
		"mem": fmt.Sprintf("%dMiB", c.MemoryBytes>>20), "nproc": fmt.Sprint(c.MaxProcs),
		"fsize": fmt.Sprintf("%dMiB", c.FileBytes>>20), "output": fmt.Sprintf("%dKiB", c.OutputBytes>>10), "files": fmt.Sprint(c.MaxFiles),
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + kv[k]
	}
	return strings.Join(parts, " ") + " " + s.iso.String()
}
