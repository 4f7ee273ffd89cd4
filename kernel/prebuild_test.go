package kernel

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// With an empty build cache the check says cold, naming what the first cell would compile.
func TestCheckCacheCold(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	root := repoRoot(t)
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	t.Setenv("GOCACHE", t.TempDir())
	s, err := CheckCache(root)
	if err != nil {
		t.Fatal(err)
	}
	if s.Warm() || s.Packages < 100 {
		t.Fatalf("empty cache: %+v, want cold with the hundreds of packages the notebooks import", s)
	}
	for _, pkg := range []string{"runtime", "github.com/gomlx/gomlx/ml/model", "github.com/janpfeifer/gonb/gonbui"} {
		if !slices.Contains(s.Cold, pkg) {
			t.Errorf("%s is not among the packages to compile", pkg)
		}
	}
	c := checkBuildCache(root)
	if c.OK || !strings.HasPrefix(c.Detail, "cold: ") || strings.Contains(c.Detail, "\n") || c.Fix == "" {
		t.Errorf("checkBuildCache = %+v, want one line starting with cold: and a fix", c)
	}
}

// After Prebuild, a cell module made as GoNB makes one (go mod init gonb_<id> in $TMPDIR/gonb_<id>,
// `collm kernel wire`, a main.go of a cell, GoNB's `go get` and `go build -o`), importing what the
// quickstart's training cell imports, compiles nothing but its main package: the action IDs match.
// Slow: it compiles everything once into an empty cache.
func TestPrebuildWarmsTheFirstCell(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles GoMLX and collm into an empty build cache (a minute)")
	}
	root := repoRoot(t)
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	t.Setenv("GOCACHE", t.TempDir())
	start := time.Now()
	if err := Prebuild(root); err != nil {
		t.Fatal(err)
	}
	t.Logf("prebuild into an empty cache: %.1f s", time.Since(start).Seconds())
	if s, err := CheckCache(root); err != nil || !s.Warm() || len(s.Changed) > 0 {
		t.Fatalf("after Prebuild: %+v, %v; want warm", s, err)
	}

	dir, err := os.MkdirTemp("", "gonb_")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Base(dir)
	env := kernelEnviron(root)
	gocmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	gocmd("mod", "init", name)
	if err := Wire(dir, root); err != nil {
		t.Fatal(err)
	}
	cell := `package main

import (
	"context"
	"flag"
	"fmt"

	_ "github.com/collm/collm/envs/all"
	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets"
)

var common = maac.Common{NumGenerations: 4}

func main() {
	flag.Parse()
	fmt.Println(common.NumGenerations, kernel.InNotebook(), widgets.TrainOptions{}.Label, context.Background() != nil)
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(cell), 0o644); err != nil {
		t.Fatal(err)
	}
	gocmd("get")
	start = time.Now()
	// -v names every package the build compiles.
	out := gocmd("build", "-v", "-o", filepath.Join(dir, name))
	t.Logf("the cell's build after Prebuild: %.1f s", time.Since(start).Seconds())
	var compiled []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line = strings.TrimSpace(line); line != "" && line != name && !strings.HasPrefix(line, "go: ") {
			compiled = append(compiled, line)
		}
	}
	if len(compiled) > 0 {
		t.Errorf("the first cell compiled %d packages Prebuild should have: %q", len(compiled), compiled)
	}
}
