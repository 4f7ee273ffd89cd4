package widgets

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-echarts/go-echarts/v2/charts"

	_ "github.com/collm/collm/envs/all"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets/widgettest"
)

// hostile is model output that would run script or break the table if it reached the page as HTML.
var hostile = []maac.EpisodeSample{{
	Task: 3, Turn: 1,
	Prompts:   []string{`<img src=x onerror="console.error('collm-xss-img')">`, "plain prompt"},
	Responses: []string{`<script>console.error("collm-xss-script")</script>`, "</table></td>& <b>bold</b>"},
	Reward:    0.5,
}}

func TestSamplesHTMLEscapesModelOutput(t *testing.T) {
	out := SamplesHTML(hostile)
	for _, raw := range []string{"<script", "<img", "</td>&", "<b>"} {
		if strings.Contains(out, raw) {
			t.Errorf("samples HTML carries raw %q from model output:\n%s", raw, out)
		}
	}
	for _, escaped := range []string{"&lt;script&gt;console.error(&#34;collm-xss-script&#34;)&lt;/script&gt;",
		"&lt;/table&gt;&lt;/td&gt;&amp; &lt;b&gt;bold&lt;/b&gt;", "&lt;img src=x onerror="} {
		if !strings.Contains(out, escaped) {
			t.Errorf("samples HTML lacks the escaped text %q:\n%s", escaped, out)
		}
	}
	// The table is intact: one table, a header and one row per agent, each cell closed.
	if n := strings.Count(out, "<table"); n != 1 || strings.Count(out, "</table>") != 1 || !strings.HasSuffix(out, "</table>") {
		t.Errorf("table structure broken (%d tables):\n%s", n, out)
	}
	if rows := strings.Count(out, "<tr"); rows != 3 || strings.Count(out, "</tr>") != 3 {
		t.Errorf("%d rows, want a header and 2 agent rows:\n%s", rows, out)
	}
	if strings.Count(out, "<td") != strings.Count(out, "</td>") {
		t.Errorf("unbalanced cells:\n%s", out)
	}
}

// TestSamplesHTMLInBrowser loads samples next to a chart in Chromium: the escaped page runs none
// of the payload's script, while the same payload unescaped does (the check can fail).
func TestSamplesHTMLInBrowser(t *testing.T) {
	requireBrowser(t)
	dir := t.TempDir()
	lib, err := LibraryHTML()
	if err != nil {
		t.Fatal(err)
	}
	chart, err := ChartHTML(LineChart("return", "env_step", "return", Series{Name: "cc", X: []float64{0, 1, 2}, Y: []float64{0, 1, 0.5}}), "600px", "300px")
	if err != nil {
		t.Fatal(err)
	}
	load := func(name, body string) *widgettest.Result {
		page := filepath.Join(dir, name+".html")
		if err := os.WriteFile(page, []byte("<!DOCTYPE html><html><body>"+lib+chart+body+"</body></html>"), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := widgettest.CheckCharts(page, filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Charts) != 1 || !res.Charts[0].Drawn() {
			t.Errorf("%s: the chart next to the samples is not drawn: %+v", name, res.Charts)
		}
		return res
	}
	executed := func(res *widgettest.Result) []string {
		var marks []string
		for _, e := range res.ConsoleErrors {
			for _, m := range []string{"collm-xss-script", "collm-xss-img"} {
				if strings.Contains(e, m) {
					marks = append(marks, m)
				}
			}
		}
		return marks
	}
	if got := executed(load("escaped", SamplesHTML(hostile))); len(got) > 0 {
		t.Errorf("model output ran as script in the browser: %q", got)
	}
	raw := hostile[0].Prompts[0] + hostile[0].Responses[0]
	if got := executed(load("raw", raw)); len(got) != 2 {
		t.Errorf("the unescaped payload ran %q in the browser, want both markers: the check cannot detect script", got)
	}
}

// series is a line of a chart as ECharts receives it.
type series struct {
	Name string
	Data []struct{ Value []float64 }
}

func chartSeries(t *testing.T, c *charts.Line) []series {
	t.Helper()
	c.Validate()
	data, err := json.Marshal(c.JSON())
	if err != nil {
		t.Fatal(err)
	}
	var opt struct{ Series []series }
	if err := json.Unmarshal(data, &opt); err != nil {
		t.Fatal(err)
	}
	return opt.Series
}

func (s series) points() [][2]float64 {
	var out [][2]float64
	for _, d := range s.Data {
		out = append(out, [2]float64{d.Value[0], d.Value[1]})
	}
	return out
}

func history(label string, ms ...maac.Metrics) *History {
	return &History{Name: label, Label: label, Metrics: ms}
}

func TestAggregateMeanStd(t *testing.T) {
	const ret = maac.MetricEpisodeReturnMean
	a := history("cc", maac.Metrics{"env_step": 10, ret: 1}, maac.Metrics{"env_step": 20, ret: 3}, maac.Metrics{"env_step": 30, ret: 5})
	b := history("cc", maac.Metrics{"env_step": 12, ret: 3}, maac.Metrics{"env_step": 22, ret: 7})
	tests := []struct {
		name           string
		runs           []*History
		xs, mean, std  []float64
		wantSeries     []string
		wantLowerFirst float64 // mean - std at the first point, when there is a band
	}{
		// Aligned by update index up to the shorter run; std is the sample std (n-1). The returns
		// chart draws the raw mean as points and its smoothed line under the same name.
		{"two seeds", []*History{a, b}, []float64{11, 21}, []float64{2, 5}, []float64{math.Sqrt2, 2 * math.Sqrt2},
			[]string{"cc " + ret, "cc " + ret, "cc " + ret + " -std", "cc " + ret + " +std"}, 2 - math.Sqrt2},
		{"one run", []*History{a}, []float64{10, 20, 30}, []float64{1, 3, 5}, []float64{0, 0, 0},
			[]string{"cc " + ret, "cc " + ret}, 0},
		// An update where one run lacks the metric is left out rather than averaged over fewer runs.
		{"missing value", []*History{a, history("cc", maac.Metrics{"env_step": 12}, maac.Metrics{"env_step": 22, ret: 7})},
			[]float64{21}, []float64{5}, []float64{2 * math.Sqrt2}, []string{"cc " + ret, "cc " + ret, "cc " + ret + " -std", "cc " + ret + " +std"}, 5 - 2*math.Sqrt2},
	}
	near := func(x, y []float64) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Abs(x[i]-y[i]) > 1e-12 {
				return false
			}
		}
		return true
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs, mean, std := aggregate(tt.runs, ret)
			if !near(xs, tt.xs) || !near(mean, tt.mean) || !near(std, tt.std) {
				t.Errorf("aggregate = %v, %v, %v; want %v, %v, %v", xs, mean, std, tt.xs, tt.mean, tt.std)
			}
			got := chartSeries(t, ReturnsChart(tt.runs...))
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, tt.wantSeries) {
				t.Fatalf("returns chart series %q, want %q", names, tt.wantSeries)
			}
			if p := got[0].points(); len(p) != len(tt.xs) || p[0] != [2]float64{tt.xs[0], tt.mean[0]} {
				t.Errorf("mean line %v, want x %v and mean %v", p, tt.xs, tt.mean)
			}
			if len(got) == 4 {
				if lo := got[2].points()[0][1]; math.Abs(lo-tt.wantLowerFirst) > 1e-12 {
					t.Errorf("lower band starts at %v, want %v", lo, tt.wantLowerFirst)
				}
			}
		})
	}
}

func TestLogScaleDropsNonPositive(t *testing.T) {
	const loss = maac.MetricValueLoss
	var ms []maac.Metrics
	for i, v := range []float64{1, 0, -2, 4, math.NaN(), math.Inf(1)} {
		ms = append(ms, maac.Metrics{"env_step": float64(10 * (i + 1)), loss: v})
	}
	runs := []*History{history("cc", ms...)}
	for _, tt := range []struct {
		log  bool
		want [][2]float64
	}{
		{true, [][2]float64{{10, 1}, {40, 4}}},
		{false, [][2]float64{{10, 1}, {20, 0}, {30, -2}, {40, 4}}}, // NaN and Inf never reach a chart
	} {
		got := chartSeries(t, metricChart("loss", "loss", tt.log, runs, []string{loss}))
		if len(got) != 1 || fmt.Sprint(got[0].points()) != fmt.Sprint(tt.want) {
			t.Errorf("log=%v: series %+v, want one with points %v", tt.log, got, tt.want)
		}
	}
	if c := CriticChart(runs...); c.YAxisList[0].Type != "log" {
		t.Errorf("critic chart y axis %q, want log", c.YAxisList[0].Type)
	}
}

// TestEnvInfoChartsSplitByRange: shares (all values in [0, 1]) and counts get separate charts,
// so a length of about 20 does not flatten a share; one run out of range moves the metric.
func TestEnvInfoChartsSplitByRange(t *testing.T) {
	const share, length = "info/levels_passed/mean", "info/chars/mean"
	a := history("cc", maac.Metrics{"env_step": 10, share: 0, length: 18}, maac.Metrics{"env_step": 20, share: 0.5, length: 0.5})
	b := history("magrpo", maac.Metrics{"env_step": 10, share: 1, "info/iou/mean": 0.3}, maac.Metrics{"env_step": 20, "info/iou/mean": 1.2})
	names := func(c *charts.Line) string {
		var out []string
		for _, s := range chartSeries(t, c) {
			out = append(out, s.Name)
		}
		return strings.Join(out, ", ")
	}
	if got, want := names(EnvInfoChart(a, b)), "cc, magrpo"; got != want { // one metric: the title names it
		t.Errorf("shares chart: %s, want %s", got, want)
	}
	if got, want := names(EnvCountsChart(a, b)), "cc chars, magrpo iou"; got != want { // what tells the metrics apart
		t.Errorf("counts chart: %s, want %s", got, want)
	}
}

func TestLoadHistory(t *testing.T) {
	root := t.TempDir()
	mkrun := func(name, config, metrics string) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if config != "" {
			os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644)
		}
		if metrics != "" {
			os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(metrics), 0o644)
		}
		return dir
	}
	good := mkrun("good", `{"env": "toy-coord", "algorithm": "magrpo"}`, "{\"update\": 1, \"env_step\": 32}\n\n{\"update\": 2, \"env_step\": 64}\n")
	h, err := LoadHistory(good)
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "good" || h.Label != "magrpo" || len(h.Metrics) != 2 || h.Metrics[1]["env_step"] != 64 || h.Config == nil || h.Config.Env != "toy-coord" {
		t.Errorf("LoadHistory = %+v", h)
	}
	if h, err := LoadHistory(mkrun("fresh", `{"env": "toy-coord", "algorithm": "cc"}`, "")); err != nil || len(h.Metrics) != 0 {
		t.Errorf("a run without metrics yet: %+v, %v; want an empty history", h, err)
	}
	for _, tt := range []struct{ name, dir, want string }{
		{"missing dir", filepath.Join(root, "nope"), "nope is not a collm run (no config.json)"},
		{"no config", mkrun("empty", "", ""), "empty is not a collm run (no config.json)"},
		{"corrupt config", mkrun("corrupt", `{"env": "toy-coord", "algo`, ""), "corrupt/config.json is corrupt"},
		{"wrong type", mkrun("typed", `{"env": 3}`, ""), "typed/config.json is corrupt"},
		{"corrupt metrics", mkrun("badmetrics", `{"env": "toy-coord"}`, "{\"update\": 1}\n{\"update\": \n"), "metrics.jsonl:2"},
	} {
		_, err := LoadHistory(tt.dir)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

// TestTrainTwiceInOneProcess calls Train twice on one trainer, as a cell that trains, evaluates
// and trains on does: the first call's dashboard and checkpoint hook must stop with it.
func TestTrainTwiceInOneProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	cfg := maac.RunConfig{Env: "toy-coord", EnvOptions: map[string]string{"turns": "2"}, Algorithm: "cc",
		CC: &maac.CCConfig{Common: maac.Common{NumGenerations: 4, TasksPerUpdate: 4, MaxNewTokens: 1,
			Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1}, ActorCritic: maac.ActorCritic{CriticLR: 3e-3}}}
	tr, rd, err := maac.Create(filepath.Join(t.TempDir(), "run"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var first, second strings.Builder
	opts := func(w *strings.Builder) TrainOptions {
		return TrainOptions{SaveEvery: 1, Dashboard: DashboardOptions{Every: 1, Progress: w}}
	}
	if err := Train(context.Background(), tr, rd, 2, opts(&first)); err != nil {
		t.Fatal(err)
	}
	done := first.String()
	if !strings.Contains(done, "update 2/2") {
		t.Fatalf("first progress %q lacks update 2/2", done)
	}
	if err := Train(context.Background(), tr, rd, 4, opts(&second)); err != nil {
		t.Fatal(err)
	}
	if first.String() != done {
		t.Errorf("the finished first Train kept drawing: %q", strings.TrimPrefix(first.String(), done))
	}
	if !strings.Contains(second.String(), "update 4/4") {
		t.Errorf("second progress %q lacks update 4/4", second.String())
	}
	ms, err := maac.ReadMetrics(rd.MetricsPath())
	if err != nil || len(ms) != 4 {
		t.Errorf("metrics.jsonl: %d updates, %v; want 4", len(ms), err)
	}
}
