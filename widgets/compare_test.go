package widgets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/collm/collm/envs/toy"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets/widgettest"
)

// TestCompareReportDrawsCharts writes the report of a small comparison and opens it in headless
// Chromium: every chart draws, with no console errors, and the summary table is there.
func TestCompareReportDrawsCharts(t *testing.T) {
	requireBrowser(t)
	dir := t.TempDir()
	spec := maac.CompareSpec{Env: "toy-coord", EnvOptions: map[string]string{"turns": "2"}, Algorithms: []string{"cc", "magrpo"},
		Seeds: []uint64{1, 2}, EnvSteps: 48, Thresholds: []float64{0.5},
		Vary: []maac.Variation{{Option: "sparse", Values: []string{"false", "true"}}},
		Shared: maac.SharedSettings{Common: maac.Common{NumGenerations: 2, TasksPerUpdate: 2, MaxNewTokens: 1,
			Temperature: 1, TopP: 1, ActorLR: 3e-3}}}
	if _, err := maac.Compare(context.Background(), dir, spec, maac.CompareOptions{Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	if err := WriteCompareReport(page, dir); err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(page)
	for _, want := range []string{"final return [95% CI]", "vs cc, p = ", "permutation test", "sparse=true"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	res, err := widgettest.CheckCharts(page, filepath.Join(dir, "shot.png"))
	if err != nil {
		t.Fatal(err)
	}
	// Two conditions x (return, relative gradient variance), and the final returns.
	if len(res.Charts) != 5 {
		t.Fatalf("browser found %d charts, want 5", len(res.Charts))
	}
	for _, c := range res.Charts {
		if !c.Drawn() {
			t.Errorf("chart %s not drawn: %+v", c.ID, c)
		}
	}
	if len(res.ConsoleErrors) > 0 {
		t.Errorf("console errors: %q", res.ConsoleErrors)
	}
}

func TestResample(t *testing.T) {
	ms := []maac.Metrics{{maac.MetricEnvStep: 30, "r": 1}, {maac.MetricEnvStep: 60, "r": 2, "grad/agent/0/x": 4, "grad/agent/1/x": 6}}
	got := resample(ms, "r", 60)
	// Grid points at 1..60: NaN before 30, 1 from 30, 2 from 60.
	if g := got[0]; g == g {
		t.Errorf("before the first update: %v, want NaN", g)
	}
	if got[29] != 1 || got[58] != 1 || got[59] != 2 {
		t.Errorf("resampled %v", got)
	}
	if v := metricValue(ms[1], "grad/agent/*/x"); v != 5 {
		t.Errorf("mean over agents %v, want 5", v)
	}
}

// TestCompareInACell runs a comparison by name as a notebook cell would (outside a notebook it
// prints progress lines), reopens it by name, and continues it after an interrupt.
func TestCompareInACell(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a grid of runs")
	}
	t.Setenv("COLLM_RUNS", t.TempDir())
	spec := maac.CompareSpec{Env: "toy-coord", Algorithms: []string{"cc", "magrpo"}, Seeds: []uint64{1, 2}, EnvSteps: 32,
		Shared: maac.SharedSettings{Common: maac.Common{NumGenerations: 2, TasksPerUpdate: 2, MaxNewTokens: 1, Temperature: 1, TopP: 1, ActorLR: 3e-3}}}
	if _, err := ShowCompare("toy-grid"); err == nil || !strings.Contains(err.Error(), `no comparison called "toy-grid"`) {
		t.Errorf("ShowCompare before the comparison: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var log strings.Builder
	if sum, err := Compare(ctx, "toy-grid", spec, CompareOptions{Progress: &log}); sum != nil || err != nil || !strings.Contains(log.String(), "interrupted") {
		t.Fatalf("interrupted comparison: %v, %v, %q", sum, err, log.String())
	}
	log.Reset()
	sum, err := Compare(context.Background(), "toy-grid", spec, CompareOptions{Jobs: 2, Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Rows) != 2 || !strings.Contains(log.String(), "4 of 4 runs done") {
		t.Errorf("%d rows; progress:\n%s", len(sum.Rows), log.String())
	}
	again, err := ShowCompare("toy-grid")
	if err != nil || len(again.Rows) != 2 || again.Rows[1].FinalReturnMean != sum.Rows[1].FinalReturnMean {
		t.Errorf("ShowCompare: %v, %+v", err, again)
	}
}
