//go:build unix

package pyreward

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A timeout kills the process group: what the function started dies too.
func TestTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	s, _ := open(t, fmt.Sprintf("import subprocess, sys, time\ndef score(turns):\n"+
		"    p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"+
		"    open(%q, 'w').write(str(p.pid))\n"+
		"    time.sleep(60)\n", pidFile), "score", Options{Timeout: 2 * time.Second})
	_, err := s.ScoreBatch(inputs(1))
	if err == nil || !strings.Contains(err.Error(), "no answer within 2s for a batch of 1 turn") {
		t.Fatalf("ScoreBatch: %v; want a timeout", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	// The orphan is reaped by init (or a subreaper) soon after it was killed.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		if stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); strings.Contains(string(stat), ") Z ") {
			break // killed, not yet reaped
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the function's child %d outlived the timeout", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
