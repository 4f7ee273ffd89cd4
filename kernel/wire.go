package kernel

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/collm/collm/maac/atomicfile"
)

// Wire points the Go module in dir (GoNB's per-kernel module, where `!*` commands run) at the
// collm checkout root: it requires collm with a replace to root, pins every module collm requires
// at collm's versions, and copies collm's go.sum entries, so cells import collm packages offline
// with exactly the versions collm was tested with.
func Wire(dir, root string) error {
	if !isCollmModule(root) {
		return fmt.Errorf("%s is not a collm checkout", root)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return fmt.Errorf("no go.mod in %s: run this from a notebook cell as `!*collm kernel wire`", dir)
	}
	out, err := command("go", "mod", "edit", "-json", filepath.Join(root, "go.mod")).Output()
	if err != nil {
		return fmt.Errorf("reading %s/go.mod: %s", root, errText(err))
	}
	var mod struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		return fmt.Errorf("reading %s/go.mod: %w", root, err)
	}
	args := []string{"mod", "edit", "-go=1.27",
		"-require=" + ModulePath + "@v0.0.0", "-replace=" + ModulePath + "=" + root}
	for _, r := range mod.Require {
		args = append(args, "-require="+r.Path+"@"+r.Version)
	}
	cmd := command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod edit in %s: %v\n%s", dir, err, out)
	}
	return mergeGoSum(filepath.Join(dir, "go.sum"), filepath.Join(root, "go.sum"))
}

// mergeGoSum appends the lines of src missing from dst.
func mergeGoSum(dst, src string) error {
	have := map[string]bool{}
	var lines []string
	for _, path := range []string{dst, src} {
		f, err := os.Open(path)
		if os.IsNotExist(err) && path == dst {
			continue
		}
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line != "" && !have[line] {
				have[line] = true
				lines = append(lines, line)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return atomicfile.WriteFile(dst, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}
