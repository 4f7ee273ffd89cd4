package main

import (
	"strings"
	"testing"
)

// With an empty Go build cache `collm kernel install --check` exits 1 and says in one line that
// the cache is cold and what fixes it.
func TestKernelCheckColdCache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	t.Setenv("COLLM_CACHE", t.TempDir())
	t.Setenv("GOCACHE", t.TempDir())
	code, stdout, stderr := runEnvsCmd("kernel", "install", "--check")
	if code != 1 || !strings.Contains(stderr, "components missing; run `collm kernel install`") {
		t.Fatalf("exit %d, stderr %q; want exit 1 and the missing count", code, stderr)
	}
	var line string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, "go build cache") {
			line = l
		}
	}
	if !strings.HasPrefix(line, "MISSING  go build cache  cold: a notebook's first cell would compile ") ||
		!strings.Contains(line, "(fix: collm kernel install") {
		t.Errorf("the build cache's line is %q, want MISSING ... cold: ... (fix: collm kernel install ...)\n%s", line, stdout)
	}
}
