package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	testSandboxes   = map[string]*Sandbox{}
	testSandboxesMu sync.Mutex
)

// newTestSandbox returns a shared sandbox for mode ("" = auto), skipping when Python is missing.
func newTestSandbox(t testing.TB, mode string) *Sandbox {
	t.Helper()
	testSandboxesMu.Lock()
	defer testSandboxesMu.Unlock()
	if s, ok := testSandboxes[mode]; ok {
		return s
	}
	cfg := Config{Timeout: 20 * time.Second, Mode: mode} // generous: cases that must time out set their own
	if _, err := exec.LookPath(cfg.withDefaults().Python); err != nil {
		t.Skip("no python3 here")
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sandbox: %s", s.Describe())
	testSandboxes[mode] = s
	return s
}

// processesMatching lists host processes whose command line contains marker.
func processesMatching(marker string) []string {
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte(marker)) {
			out = append(out, f+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

func TestRunBasics(t *testing.T) {
	s := newTestSandbox(t, "")
	res, err := s.Run(context.Background(), Job{
		Script: "import os,sys\nprint(open('data.txt').read(), sys.argv[1:], sys.stdin.read(), os.environ.get('SECRET'))\nprint('err', file=sys.stderr)",
		Args:   []string{"a", "b"}, Files: map[string]string{"data.txt": "hello"}, Stdin: []byte("in"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "hello ['a', 'b'] in None\n"
	if !res.OK() || string(res.Stdout) != want || string(res.Stderr) != "err\n" {
		t.Fatalf("got %+v stdout=%q stderr=%q, want stdout %q", res, res.Stdout, res.Stderr, want)
	}
	if _, err := s.Run(context.Background(), Job{Script: "pass", Files: map[string]string{"../x": ""}}); err == nil {
		t.Fatal("a file name with a slash must be refused")
	}
}

func TestEnvironmentScrubbed(t *testing.T) {
	t.Setenv("COLLM_SANDBOX_SECRET", "leak")
	s := newTestSandbox(t, "")
	res, err := s.Run(context.Background(), Job{Script: "import os; print(sorted(os.environ))"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(res.Stdout, []byte("COLLM_SANDBOX_SECRET")) || !res.OK() {
		t.Fatalf("environment not scrubbed: %q %q", res.Stdout, res.Stderr)
	}
}

// TestAdversarial runs hostile programs; each must end contained, in bounded time, with a
// failing or clipped result, and leave nothing behind. The test process surviving is itself
// the check that the trainer stays alive.
func TestAdversarial(t *testing.T) {
	s := newTestSandbox(t, "")
	iso := s.Isolation()
	escape := filepath.Join(os.TempDir(), fmt.Sprintf("collm-escape-%d", os.Getpid()))
	wd, _ := os.Getwd()
	repoFile := filepath.Join(wd, "escape-marker.txt")
	t.Cleanup(func() { os.Remove(escape); os.Remove(repoFile) })
	cases := []struct {
		name, script string
		timeout      time.Duration
		check        func(t *testing.T, r Result)
	}{
		{"infinite loop", "while True: pass", time.Second, func(t *testing.T, r Result) {
			if r.OK() || !(r.TimedOut || r.Signal != 0) {
				t.Errorf("want timeout or signal, got %+v", r)
			}
		}},
		{"fork bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", 2 * time.Second, func(t *testing.T, r Result) {
			if r.OK() {
				t.Errorf("fork bomb exited 0: %+v", r)
			}
		}},
		{"memory bomb", "x = bytearray(8 << 30)\nprint('allocated')", 0, func(t *testing.T, r Result) {
			if r.OK() || bytes.Contains(r.Stdout, []byte("allocated")) || !bytes.Contains(r.Stderr, []byte("MemoryError")) {
				t.Errorf("8 GiB allocation succeeded or failed oddly: %+v %s", r, r.Stderr)
			}
		}},
		// Touching 1 GiB takes a few seconds on a loaded machine: the address-space limit or the
		// wall clock, whichever comes first, must stop it.
		{"memory growth", "a = []\nwhile True:\n    a.append(' ' * (1 << 20))", 0, func(t *testing.T, r Result) {
			if r.OK() || !(r.TimedOut || bytes.Contains(r.Stderr, []byte("MemoryError"))) {
				t.Errorf("want MemoryError or timeout, got %+v %s", r, r.Stderr)
			}
		}},
		{"100 MB print", "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\nprint('end', file=sys.stderr)", 20 * time.Second, func(t *testing.T, r Result) {
			if !r.OK() || len(r.Stdout) != s.cfg.OutputBytes || !r.StdoutTruncated || string(r.Stderr) != "end\n" {
				t.Errorf("want a clipped stdout and a clean exit, got exit=%d len=%d truncated=%v stderr=%q", r.ExitCode, len(r.Stdout), r.StdoutTruncated, r.Stderr)
			}
		}},
		{"write outside scratch", fmt.Sprintf("for p in [%q, %q]:\n    try:\n        open(p, 'w').write('x')\n        print('wrote', p)\n    except OSError as e:\n        print('refused', p, e)", escape, repoFile), 0, func(t *testing.T, r Result) {
			if _, err := os.Stat(repoFile); err == nil {
				t.Errorf("program wrote into the repository: %s", r.Stdout)
			}
			if _, err := os.Stat(escape); err == nil && iso.TmpFS {
				t.Errorf("program wrote to the host /tmp despite private tmpfs: %s", r.Stdout)
			}
		}},
		{"network", "import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('1.1.1.1', 53))\nprint('connected')", 0, func(t *testing.T, r Result) {
			if iso.Network && (r.OK() || bytes.Contains(r.Stdout, []byte("connected"))) {
				t.Errorf("network reachable despite network namespace: %+v %s", r, r.Stdout)
			}
		}},
		{"syntax garbage", "def (:\n  ]]] ???", 0, func(t *testing.T, r Result) {
			if r.ExitCode != 1 || !bytes.Contains(r.Stderr, []byte("SyntaxError")) {
				t.Errorf("want SyntaxError exit 1, got %+v %s", r, r.Stderr)
			}
		}},
		// Invalid UTF-8 in a Go string becomes U+FFFD on the way through the JSON header.
		{"non-UTF-8 source", "print(len('\xff\xfe\x80'))\n", 0, func(t *testing.T, r Result) {
			if !r.OK() || string(r.Stdout) != "3\n" {
				t.Errorf("want the three bytes as three replacement characters, got %+v %q %q", r, r.Stdout, r.Stderr)
			}
		}},
		{"non-UTF-8 output", "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00ok')", 0, func(t *testing.T, r Result) {
			if !r.OK() || !bytes.Equal(r.Stdout, []byte("\xff\xfe\x00ok")) {
				t.Errorf("want raw bytes back, got %+v %q", r, r.Stdout)
			}
		}},
		{"os._exit", "import os\nos._exit(7)", 0, func(t *testing.T, r Result) {
			if r.ExitCode != 7 {
				t.Errorf("want exit 7, got %+v", r)
			}
		}},
		{"SIGKILL parent", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(0, signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)\nimport time; time.sleep(30)", 2 * time.Second, func(t *testing.T, r Result) {
			if r.OK() {
				t.Errorf("want killed, got %+v", r)
			}
		}},
		{"SIGTERM parent", "import os, signal\nos.kill(os.getppid(), signal.SIGTERM)\nimport time; time.sleep(30)", 2 * time.Second, func(t *testing.T, r Result) {
			if r.OK() {
				t.Errorf("want killed, got %+v", r)
			}
		}},
		{"background processes", "import subprocess, os\nsubprocess.Popen(['sleep', '4321.5'], start_new_session=True)\nif os.fork() == 0:\n    os.setsid()\n    os.execvp('sleep', ['sleep', '4321.5'])\nprint('spawned')", 0, func(t *testing.T, r Result) {
			if !bytes.Contains(r.Stdout, []byte("spawned")) {
				t.Errorf("program did not run: %+v %s", r, r.Stderr)
			}
			time.Sleep(100 * time.Millisecond)
			if left := processesMatching("4321.5"); len(left) > 0 {
				for _, p := range left {
					var pid int
					fmt.Sscanf(p, "/proc/%d/", &pid)
					syscall.Kill(pid, syscall.SIGKILL)
				}
				t.Errorf("background processes survived the run: %v", left)
			}
		}},
		{"huge file", "f = open('big', 'wb')\nfor _ in range(64):\n    f.write(b'x' * (1 << 20))\nprint('wrote 64 MiB')", 0, func(t *testing.T, r Result) {
			if r.OK() || bytes.Contains(r.Stdout, []byte("wrote")) {
				t.Errorf("want the file-size limit to stop the program, got %+v %s", r, r.Stdout)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.name == "SIGTERM parent" {
				t.Skip("slow in -short")
			}
			start := time.Now()
			r, err := s.Run(context.Background(), Job{Script: c.script, Timeout: c.timeout})
			if err != nil {
				t.Fatalf("sandbox error: %v", err)
			}
			limit := s.cfg.Timeout
			if c.timeout > 0 {
				limit = c.timeout
			}
			if el := time.Since(start); el > limit+10*time.Second { // generous: the machine may be loaded
				t.Errorf("run took %v, limit %v", el, limit)
			}
			c.check(t, r)
		})
	}
}

func TestConcurrentRunsIsolated(t *testing.T) {
	s := newTestSandbox(t, "")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			script := fmt.Sprintf("import os\nopen('f', 'w').write('%d')\nimport time; time.sleep(0.2)\nprint(open('f').read())", i)
			r, err := s.Run(context.Background(), Job{Script: script})
			if err != nil {
				errs <- err
				return
			}
			if got := strings.TrimSpace(string(r.Stdout)); got != fmt.Sprint(i) {
				errs <- fmt.Errorf("run %d read %q: scratch directories are shared", i, got)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPlainMode(t *testing.T) {
	s := newTestSandbox(t, ModePlain)
	r, err := s.Run(context.Background(), Job{Script: "import os\nprint(os.getcwd() == os.environ['HOME'], flush=True)\nwhile True: pass", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !r.TimedOut || !bytes.HasPrefix(r.Stdout, []byte("True")) {
		t.Fatalf("want timeout after printing True, got %+v %q %q", r, r.Stdout, r.Stderr)
	}
}

// TestUserNSMode forces the user-namespace mode (the unprivileged path) and checks that a fork
// bomb and the network are still contained.
func TestUserNSMode(t *testing.T) {
	if _, err := New(Config{Mode: ModeUserNS}); err != nil {
		t.Skipf("user namespaces unavailable here: %v", err)
	}
	s := newTestSandbox(t, ModeUserNS)
	r, err := s.Run(context.Background(), Job{Script: "import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(30)\n        n += 1\nexcept OSError:\n    print('stopped after', n, flush=True)\n", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// The kernel exempts uid 0 from RLIMIT_NPROC even inside a user namespace (the reason
		// for root mode); the wall clock and the PID namespace must contain it.
		if r.OK() || !r.TimedOut {
			t.Fatalf("fork bomb as root in userns mode: want a timeout, got %+v", r)
		}
	} else if !bytes.HasPrefix(r.Stdout, []byte("stopped after")) {
		t.Fatalf("fork bomb not stopped by RLIMIT_NPROC: %+v %q %q", r, r.Stdout, r.Stderr)
	}
	r, err = s.Run(context.Background(), Job{Script: "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)"})
	if err != nil || r.OK() {
		t.Fatalf("network reachable in userns mode: %v %+v", err, r)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Timeout: -1}, {MemoryBytes: 1 << 20}, {MaxProcs: 2}, {Mode: "docker"}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: want an error", c)
		}
	}
	if _, err := New(Config{Python: "/nonexistent/python"}); err == nil || !strings.Contains(err.Error(), "Config.Python") {
		t.Errorf("missing interpreter: got %v", err)
	}
	// Interpreters that do not start, or are not Python: errors, no panic.
	garbage := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(garbage, []byte("\x00\x01not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, python := range []string{garbage, "/bin/false"} {
		if _, err := New(Config{Python: python}); err == nil || !strings.Contains(err.Error(), python) {
			t.Errorf("interpreter %s: got %v, want an error naming it", python, err)
		}
	}
}

// TestFilesystemBoundary: in the namespace modes a program sees a minimal read-only root with
// its own /proc: no host file (this package's directory, the shared test data), no host
// process, nothing writable but a scratch tmpfs limited in files, and nothing it writes there
// is left on the host.
func TestFilesystemBoundary(t *testing.T) {
	wd, _ := os.Getwd()
	marker := filepath.Join(wd, fmt.Sprintf("host-marker-%d.txt", os.Getpid()))
	if err := os.WriteFile(marker, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(marker) })
	probe := fmt.Sprintf(`import os, json
out = {}
def readable(p):
    try:
        open(p).read(1)
        return True
    except OSError:
        return False
def writable(p):
    try:
        open(p, 'w').write('x')
        return True
    except OSError:
        return False
out['marker'] = readable(%q)
out['shared_data'] = os.path.exists(%q)
out['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
out['host_pid'] = os.path.exists('/proc/%d')
out['root_entries'] = sorted(os.listdir('/'))
out['write_root'] = writable('/evil')
out['write_usr'] = writable('/usr/evil')
out['write_etc'] = writable('/etc/evil')
out['write_run_lock'] = writable('/run/lock/evil')
out['write_tmp'] = writable('/tmp/left-behind-%d')
n = 0
try:
    for n in range(5000):
        open('f%%d' %% n, 'w').close()
except OSError:
    pass
out['files'] = n
print(json.dumps(out))
`, marker, filepath.Join(wd, "..", "..", "..", "..", "shared", "data"), os.Getpid(), os.Getpid())
	for _, mode := range []string{ModeRoot, ModeUserNS} {
		t.Run(mode, func(t *testing.T) {
			if mode == ModeRoot && os.Geteuid() != 0 {
				t.Skip("root mode needs root")
			}
			if _, err := New(Config{Mode: mode}); err != nil {
				t.Skipf("%s mode unavailable here: %v", mode, err)
			}
			s := newTestSandbox(t, mode)
			if !s.Isolation().MinRoot {
				t.Fatalf("%s mode reports no minimal root: %s", mode, s.Isolation())
			}
			r, err := s.Run(context.Background(), Job{Script: probe})
			if err != nil || !r.OK() {
				t.Fatalf("probe: %v %+v %s", err, r, r.Stderr)
			}
			var got struct {
				Marker       bool     `json:"marker"`
				SharedData   bool     `json:"shared_data"`
				HostPID      bool     `json:"host_pid"`
				Pids         []int    `json:"pids"`
				RootEntries  []string `json:"root_entries"`
				WriteRoot    bool     `json:"write_root"`
				WriteUsr     bool     `json:"write_usr"`
				WriteEtc     bool     `json:"write_etc"`
				WriteRunLock bool     `json:"write_run_lock"`
				WriteTmp     bool     `json:"write_tmp"`
				Files        int      `json:"files"`
			}
			if err := json.Unmarshal(r.Stdout, &got); err != nil {
				t.Fatalf("probe output %q: %v", r.Stdout, err)
			}
			if got.Marker || got.SharedData {
				t.Errorf("host files visible: marker %v, shared data %v", got.Marker, got.SharedData)
			}
			if got.HostPID || len(got.Pids) > 3 {
				t.Errorf("host processes visible in /proc: this test's pid %v, pids %v", got.HostPID, got.Pids)
			}
			for _, e := range got.RootEntries {
				if e == "work" || e == "root" || e == "home" || e == "run" || e == "sys" {
					t.Errorf("host directory /%s visible: %v", e, got.RootEntries)
				}
			}
			if got.WriteRoot || got.WriteUsr || got.WriteEtc || got.WriteRunLock || !got.WriteTmp {
				t.Errorf("writable: / %v, /usr %v, /etc %v, /run/lock %v; scratch /tmp %v (want only the scratch)",
					got.WriteRoot, got.WriteUsr, got.WriteEtc, got.WriteRunLock, got.WriteTmp)
			}
			if got.Files >= 4999 || got.Files < 100 {
				t.Errorf("created %d files in the scratch directory, want the limit of %d to stop it", got.Files, s.cfg.MaxFiles)
			}
			if _, err := os.Stat(fmt.Sprintf("/tmp/left-behind-%d", os.Getpid())); err == nil {
				t.Errorf("a file written to the sandbox's /tmp is on the host")
			}
		})
	}
}
