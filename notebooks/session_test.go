package notebooks

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "github.com/collm/collm/envs/all"
	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets/widgettest"
)

// These tests follow a run across processes as a notebook user does: train it in one cell, reopen
// it by name in the next ones, interrupt it, continue it, and report on it.

const tutorial = "02-runs-across-cells.ipynb"

// TestRunsAcrossCells executes the runs tutorial and checks what it left: the run directory holds
// updates 1..14 exactly once, the checkpoint is at 14, and the saved notebook's last cell shows
// the final charts with every update.
func TestRunsAcrossCells(t *testing.T) {
	requireKernel(t)
	runs := t.TempDir()
	t.Setenv("COLLM_RUNS", runs)
	out := t.TempDir()
	executed, page := filepath.Join(out, tutorial), filepath.Join(out, "02.html")
	r := run(t, "notebook", "run", tutorial, "--out", executed, "--html", page)
	t.Logf("%s", r.stdout)
	if r.code != 0 {
		t.Fatalf("collm notebook run %s: exit %d\n%s", tutorial, r.code, r.stderr)
	}

	dir := filepath.Join(runs, "tutorial-cc")
	ms, err := maac.ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var updates []int
	for _, m := range ms {
		updates = append(updates, int(m[maac.MetricUpdate]))
	}
	if want := seq(1, 14); fmt.Sprint(updates) != fmt.Sprint(want) {
		t.Errorf("metrics.jsonl updates = %v, want %v", updates, want)
	}
	if got := stateUpdate(t, dir); got != 14 {
		t.Errorf("checkpoint/state.json update = %d, want 14", got)
	}

	cell := lastCodeCell(t, executed)
	var charts []chartOption
	for _, o := range cell.Outputs {
		if o.OutputType == "error" || (o.Name == "stderr" && strings.Contains(o.text(), "panic")) {
			t.Errorf("last cell has an error output: %s %s", o.EName, o.text())
		}
		if o.OutputType == "display_data" {
			charts = append(charts, chartOptions(t, o.html())...)
		}
	}
	if len(charts) == 0 {
		t.Fatal("the last cell of the saved notebook has no collm-chart display")
	}
	// The returns chart of the continued run shows all 14 updates: 8 from disk, 6 live.
	var wantX []float64
	for _, m := range ms {
		wantX = append(wantX, m[maac.MetricEnvStep])
	}
	found := false
	for _, c := range charts {
		if c.title() != "Returns" {
			continue
		}
		for _, s := range c.Series {
			if !strings.HasSuffix(s.Name, maac.MetricEpisodeReturnMean) {
				continue
			}
			found = true
			if got := s.xs(); fmt.Sprint(got) != fmt.Sprint(wantX) {
				t.Errorf("returns chart series %q has env_steps %v, want %v (every update of the run)", s.Name, got, wantX)
			}
		}
	}
	if !found {
		t.Errorf("no %s series in a Returns chart of the last cell (charts: %d)", maac.MetricEpisodeReturnMean, len(charts))
	}
	checkChartsDrawn(t, page)
}

// TestInterruptSavesRun interrupts a training cell in a real kernel, as the notebook's stop button
// does: the cell must end promptly and cleanly with the run saved at the update it reached, and
// the next cell must continue from exactly there.
func TestInterruptSavesRun(t *testing.T) {
	requireKernel(t)
	runs := t.TempDir()
	t.Setenv("COLLM_RUNS", runs)
	script, err := filepath.Abs("testdata/interrupt.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kernel.Python(), script, t.TempDir(), "interrupted")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("interrupt.py: %v\n%s", err, tail(stderr.String(), 4000))
	}
	var res struct {
		LinesAtInterrupt  int      `json:"lines_at_interrupt"`
		ReplySeconds      float64  `json:"reply_seconds"`
		ReplyStatus       string   `json:"reply_status"`
		InterruptMessages []string `json:"interrupt_messages"`
		InterruptHasChart bool     `json:"interrupt_has_chart"`
		MetricsLines      int      `json:"metrics_lines"`
		StateUpdate       int      `json:"state_update"`
		StateError        string   `json:"state_error"`
		ResumeStatus      string   `json:"resume_status"`
		ResumeLines       []string `json:"resume_lines"`
		ResumeError       string   `json:"resume_error"`
		MetricsLinesAfter int      `json:"metrics_lines_after"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("interrupt.py printed %q: %v", out, err)
	}
	t.Logf("interrupted at %d logged updates; reply after %.2fs; saved at update %d", res.LinesAtInterrupt, res.ReplySeconds, res.StateUpdate)
	if res.ReplyStatus != "ok" || res.ReplySeconds > 10 {
		t.Errorf("interrupted cell replied %q after %.1fs, want \"ok\" within 10s (GoNB kills the cell 5s after SIGINT)", res.ReplyStatus, res.ReplySeconds)
	}
	n := res.StateUpdate
	if res.StateError != "" || n < res.LinesAtInterrupt {
		t.Fatalf("checkpoint/state.json: update %d, error %q; want the update reached (>= %d)", n, res.StateError, res.LinesAtInterrupt)
	}
	if res.MetricsLines != n {
		t.Errorf("metrics.jsonl has %d lines, checkpoint is at update %d: they must agree", res.MetricsLines, n)
	}
	wantMsg := fmt.Sprintf("interrupted: run %s saved at update %d", filepath.Join(runs, "interrupted"), n)
	if len(res.InterruptMessages) == 0 || !strings.HasPrefix(res.InterruptMessages[0], wantMsg) {
		t.Errorf("interrupted cell's messages %q, want one starting with %q", res.InterruptMessages, wantMsg)
	}
	if !res.InterruptHasChart {
		t.Error("the interrupted cell shows no final chart")
	}
	if res.ResumeStatus != "ok" {
		t.Fatalf("resuming cell: status %q\n%s", res.ResumeStatus, res.ResumeError)
	}
	if want := []string{fmt.Sprintf("reopened at update %d", n), fmt.Sprintf("updates after resume: %d", n+2)}; fmt.Sprint(res.ResumeLines) != fmt.Sprint(want) {
		t.Errorf("resuming cell printed %q, want %q", res.ResumeLines, want)
	}
	if res.MetricsLinesAfter != n+2 {
		t.Errorf("metrics.jsonl has %d lines after resuming, want %d", res.MetricsLinesAfter, n+2)
	}
}

// TestReportOfTwoAlgorithms writes `collm report` of a CoLLM-CC and a MAGRPO run and opens it in a
// browser: every chart drawn, no script error, both runs named with their configurations.
func TestReportOfTwoAlgorithms(t *testing.T) {
	requireBrowserTools(t)
	dir := t.TempDir()
	common := maac.Common{NumGenerations: 4, TasksPerUpdate: 4, MaxNewTokens: 1, Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1}
	env := map[string]string{"turns": "2"}
	cfgs := map[string]maac.RunConfig{
		"toy-cc":     {Env: "toy-coord", EnvOptions: env, Algorithm: "cc", CC: &maac.CCConfig{Common: common, ActorCritic: maac.ActorCritic{CriticLR: 3e-3}}},
		"toy-magrpo": {Env: "toy-coord", EnvOptions: env, Algorithm: "magrpo", MC: &maac.MCConfig{Common: common}},
	}
	var dirs []string
	for name, cfg := range cfgs {
		path := filepath.Join(dir, name)
		tr, rd, err := maac.Create(path, cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = tr.Train(context.Background(), 4)
		rd.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		dirs = append(dirs, path)
	}
	page := filepath.Join(dir, "report.html")
	r := run(t, append(append([]string{"report"}, dirs...), "--out", page)...)
	if r.code != 0 {
		t.Fatalf("collm report: exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	text := html.UnescapeString(string(data))
	for _, want := range []string{"<h3>toy-cc</h3>", "<h3>toy-magrpo</h3>", `"algorithm": "cc"`, `"algorithm": "magrpo"`, `"critic_lr": 0.003`} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	res, err := widgettest.CheckCharts(page, filepath.Join(dir, "report.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charts) < 3 {
		t.Fatalf("report has %d charts, want the returns, gradient and critic charts at least", len(res.Charts))
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

// requireBrowserTools skips (or, under `make test`, fails) without headless Chromium or the
// ECharts library in the cache.
func requireBrowserTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	err := widgettest.Available()
	if err == nil {
		var lib string
		if lib, err = kernel.EChartsPath(); err == nil {
			_, err = os.Stat(lib)
		}
	}
	if err != nil {
		if os.Getenv("COLLM_REQUIRE_TOOLS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func stateUpdate(t *testing.T, run string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(run, "checkpoint", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Update *int `json:"update"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Update == nil {
		t.Fatalf("state.json %q: %v", data, err)
	}
	return *st.Update
}

// The parts of a saved notebook the tests read.
type nbCell struct {
	CellType string     `json:"cell_type"`
	Outputs  []nbOutput `json:"outputs"`
}

type nbOutput struct {
	OutputType string         `json:"output_type"`
	Name       string         `json:"name"` // stream name
	Text       any            `json:"text"` // string or list of lines
	Data       map[string]any `json:"data"`
	EName      string         `json:"ename"`
}

func joinLines(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, s := range v {
			b.WriteString(fmt.Sprint(s))
		}
		return b.String()
	}
	return ""
}

func (o nbOutput) text() string { return joinLines(o.Text) }
func (o nbOutput) html() string { return joinLines(o.Data["text/html"]) }

func lastCodeCell(t *testing.T, path string) nbCell {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct{ Cells []nbCell }
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for i := len(nb.Cells) - 1; i >= 0; i-- {
		if nb.Cells[i].CellType == "code" {
			return nb.Cells[i]
		}
	}
	t.Fatalf("%s has no code cell", path)
	return nbCell{}
}

// chartOption is the part of an ECharts option the tests read.
type chartOption struct {
	Title  any           `json:"title"` // an object or a list of them
	Series []chartSeries `json:"series"`
}

type chartSeries struct {
	Name string       `json:"name"`
	Data []chartPoint `json:"data"`
}

// chartPoint is a point as widgets.ChartHTML writes it, [x, y], or as ECharts also reads it,
// {"value": [x, y]}.
type chartPoint []float64

func (p *chartPoint) UnmarshalJSON(b []byte) error {
	var v struct {
		Value []float64 `json:"value"`
	}
	if len(b) > 0 && b[0] == '{' {
		err := json.Unmarshal(b, &v)
		*p = v.Value
		return err
	}
	return json.Unmarshal(b, (*[]float64)(p))
}

// xs returns the x (env_step) of every point.
func (s chartSeries) xs() []float64 {
	var out []float64
	for _, d := range s.Data {
		if len(d) > 0 {
			out = append(out, d[0])
		}
	}
	return out
}

func (c chartOption) title() string {
	var titles []map[string]any
	switch v := c.Title.(type) {
	case map[string]any:
		titles = append(titles, v)
	case []any:
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				titles = append(titles, m)
			}
		}
	}
	for _, m := range titles {
		if s, ok := m["text"].(string); ok {
			return s
		}
	}
	return ""
}

var setOption = regexp.MustCompile(`(?s)class="collm-chart".*?chart\.setOption\((\{.*?\})\);\n`)

// chartOptions returns the option of every collm-chart in a display's HTML (see widgets.ChartHTML).
func chartOptions(t *testing.T, page string) []chartOption {
	t.Helper()
	var out []chartOption
	for _, m := range setOption.FindAllStringSubmatch(page, -1) {
		var c chartOption
		if err := json.Unmarshal([]byte(m[1]), &c); err != nil {
			t.Fatalf("chart option is not JSON: %v\n%.300s", err, m[1])
		}
		out = append(out, c)
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
