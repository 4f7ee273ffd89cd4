package notebooks

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets/widgettest"
)

// collm is the command under test, built once by TestMain.
var collm string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "collm-notebooks-test-")
	if err != nil {
		panic(err)
	}
	collm = filepath.Join(dir, "collm")
	build := exec.Command("go", "build", "-o", collm, "../cmd/collm")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		panic("building collm: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireKernel skips (or, under `make test`, fails) when the notebook kernel is not installed.
func requireKernel(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("notebook execution skipped in -short mode")
	}
	out, err := exec.Command(collm, "kernel", "install", "--check").CombinedOutput()
	if err != nil {
		msg := "the collm kernel is not installed (run `collm kernel install`):\n" + string(out)
		if os.Getenv("COLLM_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(collm, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTutorialsRun(t *testing.T) {
	requireKernel(t)
	paths, err := filepath.Glob("*.ipynb")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks found (%v)", err)
	}
	out, runs := t.TempDir(), t.TempDir()
	t.Setenv("COLLM_RUNS", runs) // the tutorials' runs stay out of the repository
	for _, path := range paths {
		if strings.HasSuffix(path, ".executed.ipynb") {
			continue
		}
		t.Run(path, func(t *testing.T) {
			html := filepath.Join(out, strings.TrimSuffix(path, ".ipynb")+".html")
			// A generous per-cell limit: the suite runs the packages in parallel on a small machine,
			// and a cell's speed is measured elsewhere (the notebook's own timing lines).
			r := run(t, "notebook", "run", path, "--out", filepath.Join(out, path), "--html", html, "--timeout", "1500")
			t.Logf("%s", r.stdout)
			if r.code != 0 {
				t.Fatalf("collm notebook run %s: exit %d\n%s", path, r.code, r.stderr)
			}
			if path == "01-quickstart.ipynb" || path == "04-paper-claims.ipynb" || path == "05-reward-prototyping.ipynb" {
				checkChartsDrawn(t, html)
			}
			if path == "01-quickstart.ipynb" {
				checkSize(t, filepath.Join(out, path), 1_500_000)
				checkOutputs(t, filepath.Join(out, path), []string{
					"both runs at 12800 env steps", "relative gradient variance (median):", "reading: ",
				})
			}
			if path == "06-your-own-model.ipynb" {
				checkChartsDrawn(t, html)
				checkOutputs(t, filepath.Join(out, path), []string{
					`"rope_type": "llama3"`, "largest difference:", "LoRA rank 8 on [q_proj v_proj]",
					"adapters merged into the weights: true", "the trained agent and the reloaded checkpoint differ by at most",
				})
			}
			if path == "05-reward-prototyping.ipynb" {
				checkComparisons(t, runs, map[string]int{"rewards": 2})
				checkOutputs(t, filepath.Join(out, path), []string{
					"continuing distinct-cc (env writing-mini-distinct, derived from writing-mini) from update 10",
					"update 20: reward/distinct/mean", "the Python and the Go reward agree on every answer",
					"the Python run's returns equal the Go run's", `env "next-colour": ok`, "collm-reward-table",
				})
			}
			if path == "04-paper-claims.ipynb" {
				checkComparisons(t, runs, map[string]int{"claims-toy": 12, "claims-house": 12, "ablation-agents": 9})
			}
		})
	}
}

// checkChartsDrawn opens the exported notebook in headless Chromium: every chart must show
// drawn pixels and the page must log no JavaScript errors.
func checkChartsDrawn(t *testing.T, html string) {
	t.Helper()
	if err := widgettest.Available(); err != nil {
		if os.Getenv("COLLM_REQUIRE_TOOLS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	res, err := widgettest.CheckCharts(html, strings.TrimSuffix(html, ".html")+".png")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charts) == 0 {
		t.Fatalf("the exported %s has no chart", html)
	}
	for _, c := range res.Charts {
		if !c.Drawn() {
			t.Errorf("chart %s is blank in the browser: %+v", c.ID, c)
		}
	}
	if len(res.ConsoleErrors) > 0 {
		t.Errorf("JavaScript errors: %q", res.ConsoleErrors)
	}
}

// checkSize fails when the executed notebook is larger than limit bytes: the ECharts library
// (1 MB) must be in it once, not once per chart cell.
func checkSize(t *testing.T, executed string, limit int64) {
	t.Helper()
	info, err := os.Stat(executed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("executed %s: %d bytes", filepath.Base(executed), info.Size())
	if info.Size() > limit {
		t.Errorf("the executed %s is %d bytes, want at most %d (is the ECharts library embedded more than once?)",
			filepath.Base(executed), info.Size(), limit)
	}
}

// checkOutputs checks that the executed notebook's outputs contain each of want.
func checkOutputs(t *testing.T, executed string, want []string) {
	t.Helper()
	data, err := os.ReadFile(executed)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Outputs []json.RawMessage `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("%s: %v", executed, err)
	}
	var all strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			var out struct {
				Text json.RawMessage            `json:"text"`
				Data map[string]json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(o, &out); err != nil {
				t.Fatalf("%s: an output: %v", executed, err)
			}
			all.WriteString(multiline(out.Text))
			all.WriteString(multiline(out.Data["text/html"]))
		}
	}
	for _, w := range want {
		if !strings.Contains(all.String(), w) {
			t.Errorf("%s: no output contains %q", executed, w)
		}
	}
}

// multiline reads nbformat's multi-line text: a string or a list of strings.
func multiline(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var lines []string
	json.Unmarshal(raw, &lines)
	return strings.Join(lines, "")
}

// checkComparisons checks that each named comparison under runs wrote a summary with the expected
// number of (condition, algorithm) rows, every one of them trained.
func checkComparisons(t *testing.T, runs string, rows map[string]int) {
	t.Helper()
	for name, want := range rows {
		sum, err := maac.SummarizeCompare(filepath.Join(runs, name))
		if err != nil {
			t.Errorf("comparison %s: %v", name, err)
			continue
		}
		if len(sum.Rows) != want {
			t.Errorf("comparison %s: %d rows, want %d", name, len(sum.Rows), want)
		}
		for _, r := range sum.Rows {
			if len(r.Seeds) != len(sum.Spec.Seeds) || r.GradRelativeVarianceMean == nil {
				t.Errorf("comparison %s, %s %v: seeds %v of %v, relative gradient variance %v", name, r.Algo, r.Condition,
					r.Seeds, sum.Spec.Seeds, r.GradRelativeVarianceMean)
			}
		}
	}
}

func TestFailingNotebooksFail(t *testing.T) {
	requireKernel(t)
	tests := []struct {
		notebook string
		want     []string // in stderr
	}{
		{"testdata/panic.ipynb", []string{"cell 1", "panic: runtime error: index out of range"}},
		{"testdata/compile_error.ipynb", []string{"cell 1", "undefinedFunction"}},
		{"testdata/exit_status.ipynb", []string{"cell 0", "exit status 3"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.notebook), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.ipynb")
			r := run(t, "notebook", "run", tt.notebook, "--out", out)
			if r.code != 1 {
				t.Fatalf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stdout, "never runs") {
				t.Error("cells after the failing one were executed")
			}
			if _, err := os.Stat(out); err != nil {
				t.Errorf("the executed notebook was not kept for inspection: %v", err)
			}
		})
	}
}

func TestBadNotebookPaths(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.ipynb")
	os.WriteFile(corrupt, []byte(`{"cells": [`), 0o644)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"notebook", "run", filepath.Join(dir, "missing.ipynb")}, 1, "does not exist"},
		{[]string{"notebook", "run", corrupt}, 1, "is corrupt"},
		{[]string{"notebook", "run"}, 2, "want exactly one notebook"},
		{[]string{"notebook", "run", corrupt, "--timeout", "0"}, 2, "--timeout must be positive"},
		{[]string{"notebook"}, 2, "collm notebook run IN.ipynb"},
	}
	for _, tt := range tests {
		r := run(t, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("collm %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.want)
		}
		if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("collm %s: error is not one line: %q", strings.Join(tt.args, " "), r.stderr)
		}
	}
}
