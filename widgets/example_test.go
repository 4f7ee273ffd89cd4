package widgets_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets"
)

// exampleRuns are three short runs as LoadHistory returns them from run directories: two seeds of
// CoLLM-CC (drawn as one mean line with a +/- std band) and one run of MAGRPO, which has no
// critic. Each update is one map of the metrics maac logs (maac/metrics.go names them).
func exampleRuns() []*widgets.History {
	cc1 := &widgets.History{Name: "cc-seed1", Label: "cc", Metrics: []maac.Metrics{
		{"update": 1, "env_step": 64, "episode/return/mean": 0.25, "critic/value_loss": 0.9, "info/tests_passed/mean": 0.2},
		{"update": 2, "env_step": 128, "episode/return/mean": 0.5, "critic/value_loss": 0.4, "info/tests_passed/mean": 0.5},
	}}
	cc2 := &widgets.History{Name: "cc-seed2", Label: "cc", Metrics: []maac.Metrics{
		{"update": 1, "env_step": 64, "episode/return/mean": 0.35, "critic/value_loss": 0.7, "info/tests_passed/mean": 0.3},
		{"update": 2, "env_step": 128, "episode/return/mean": 0.75, "critic/value_loss": 0.2, "info/tests_passed/mean": 0.6},
	}}
	magrpo := &widgets.History{Name: "magrpo-seed1", Label: "magrpo", Metrics: []maac.Metrics{
		{"update": 1, "env_step": 64, "episode/return/mean": 0.2, "info/tests_passed/mean": 0.1},
		{"update": 2, "env_step": 128, "episode/return/mean": 0.3, "info/tests_passed/mean": 0.25},
	}}
	return []*widgets.History{cc1, cc2, magrpo}
}

// AllCharts draws every chart the runs have data for, env_step on the x-axis; each label keeps
// its colour in every chart. The returns chart has each label's raw returns as faint points and
// a smoothed line under one name (see Smooth). In a notebook cell, ShowRuns displays them with a
// summary table; outside a notebook it does nothing.
func ExampleAllCharts() {
	runs := exampleRuns()
	for _, c := range widgets.AllCharts(runs...) {
		fmt.Println(c.Title.Title)
		for _, s := range c.MultiSeries {
			fmt.Println("  " + s.Name)
		}
	}
	if err := widgets.ShowRuns(runs...); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Returns
	//   cc
	//   cc
	//   cc -std
	//   cc +std
	//   magrpo
	//   magrpo
	// Critic value loss
	//   cc
	//   cc -std
	//   cc +std
	// Env metrics (shares)
	//   cc
	//   cc -std
	//   cc +std
	//   magrpo
}

// LineChart draws series of your own, e.g. a held-out evaluation after every few updates; Display
// shows charts in the notebook cell and WriteHTML writes them to a page that opens offline.
func ExampleLineChart() {
	c := widgets.LineChart("Held-out return", "update", "return",
		widgets.Series{Name: "cc", X: []float64{0, 10, 20}, Y: []float64{0.1, 0.4, 0.6}},
		widgets.Series{Name: "magrpo", X: []float64{0, 10, 20}, Y: []float64{0.1, 0.2, 0.3}},
	)
	fmt.Println(c.Title.Title)
	for _, s := range c.MultiSeries {
		fmt.Println("  " + s.Name)
	}
	if err := widgets.Display(c); err != nil { // a no-op outside a notebook
		fmt.Println(err)
	}
	// Output:
	// Held-out return
	//   cc
	//   magrpo
}

// WriteReport writes what `collm report RUN_DIR...` writes: one self-contained HTML file with a
// summary table of the final metrics, every chart and the configurations of the runs.
func ExampleWriteReport() {
	dir, err := os.MkdirTemp("", "collm-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// The report inlines the ECharts library, which `collm kernel install` caches; this example
	// gives it an empty stand-in so that it runs without the install.
	defer os.Setenv("COLLM_CACHE", os.Getenv("COLLM_CACHE"))
	os.Setenv("COLLM_CACHE", dir)
	lib, _ := kernel.EChartsPath()
	os.MkdirAll(filepath.Dir(lib), 0o755)
	os.WriteFile(lib, []byte("/* echarts.min.js */"), 0o644)

	path := filepath.Join(dir, "report.html")
	if err := widgets.WriteReport(path, "cc vs magrpo", exampleRuns()...); err != nil {
		panic(err)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %d charts, %d runs in the summary\n", filepath.Base(path),
		strings.Count(string(page), `class="collm-chart"`), strings.Count(string(page), "<tr>")-1)
	// Output:
	// report.html: 3 charts, 3 runs in the summary
}
