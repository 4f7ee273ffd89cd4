package widgets

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-echarts/go-echarts/v2/charts"

	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets/widgettest"
)

func TestSmooth(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		ys     []float64
		weight float64
		want   []float64
	}{
		{"weight 0 is the raw values", []float64{1, 5, -2}, 0, []float64{1, 5, -2}},
		{"a constant stays constant (debiased)", []float64{2, 2, 2, 2}, 0.9, []float64{2, 2, 2, 2}},
		// m1 = 0.5*0, s1 = 0/0.5 = 0; m2 = 0.5*0 + 0.5*1 = 0.5, s2 = 0.5/0.75; m3 = 0.25+0.5 = 0.75, s3 = 0.75/0.875.
		{"a step", []float64{0, 1, 1}, 0.5, []float64{0, 2.0 / 3, 6.0 / 7}},
		// m1 = 0.1*1 = 0.1, s1 = 1; m2 = 0.09 + 0.1*11 = 1.19, s2 = 1.19/0.19.
		{"weight 0.9", []float64{1, 11}, 0.9, []float64{1, 1.19 / 0.19}},
		// A NaN is skipped: the average goes on from the values before it.
		{"NaN skipped", []float64{0, nan, 1}, 0.5, []float64{0, nan, 2.0 / 3}},
		{"empty", nil, 0.9, []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Smooth(tt.ys, tt.weight)
			if len(got) != len(tt.want) {
				t.Fatalf("Smooth = %v, want %v", got, tt.want)
			}
			for i := range got {
				if math.IsNaN(tt.want[i]) != math.IsNaN(got[i]) || !math.IsNaN(got[i]) && math.Abs(got[i]-tt.want[i]) > 1e-12 {
					t.Errorf("Smooth = %v, want %v", got, tt.want)
					break
				}
			}
		})
	}
}

// styledSeries is a line of a chart with its colours, as ECharts receives it.
type styledSeries struct {
	Name       string
	ShowSymbol bool `json:"showSymbol"`
	ItemStyle  struct {
		Color   string
		Opacity *float64
	} `json:"itemStyle"`
	LineStyle struct {
		Color   string
		Opacity *float64
	} `json:"lineStyle"`
	Data []struct{ Value []float64 }
}

func styled(t *testing.T, c *charts.Line) (title string, out []styledSeries) {
	t.Helper()
	c.Validate()
	data, err := json.Marshal(c.JSON())
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		Title  struct{ Text string }
		Series []styledSeries
	}
	if err := json.Unmarshal(data, &opt); err != nil {
		t.Fatal(err)
	}
	return opt.Title.Text, opt.Series
}

// The returns chart draws the raw returns as faint points and a smoothed line over them, both
// under one name (one legend entry).
func TestReturnsChartSmoothed(t *testing.T) {
	const ret = maac.MetricEpisodeReturnMean
	var ms []maac.Metrics
	ys := []float64{0, 1, 0, 2, 1}
	for i, y := range ys {
		ms = append(ms, maac.Metrics{maac.MetricEnvStep: float64(8 * (i + 1)), ret: y, "return/turn/0/mean": y / 2, "return/turn/1/mean": y / 2})
	}
	_, ss := styled(t, ReturnsChart(history("cc", ms...)))
	if len(ss) != 4 {
		t.Fatalf("%d series, want raw points, smoothed line, and the smoothed return of each turn", len(ss))
	}
	raw, smooth, turn := ss[0], ss[1], ss[2]
	if raw.Name != ret || smooth.Name != ret || turn.Name != "return/turn/0/mean" {
		t.Errorf("series names %q, %q, %q", raw.Name, smooth.Name, turn.Name)
	}
	if !raw.ShowSymbol || raw.ItemStyle.Opacity == nil || *raw.ItemStyle.Opacity > 0.5 || raw.LineStyle.Opacity == nil || *raw.LineStyle.Opacity != 0 {
		t.Errorf("raw series is not faint points without a line: %+v", raw)
	}
	if smooth.ShowSymbol || smooth.LineStyle.Opacity != nil {
		t.Errorf("smoothed series is not a plain line: %+v", smooth)
	}
	want := Smooth(ys, ReturnSmoothing)
	for i, d := range smooth.Data {
		if math.Abs(d.Value[1]-want[i]) > 1e-12 || d.Value[0] != float64(8*(i+1)) {
			t.Errorf("smoothed point %d = %v, want [%d %v]", i, d.Value, 8*(i+1), want[i])
		}
		if raw.Data[i].Value[1] != ys[i] {
			t.Errorf("raw point %d = %v, want %v", i, raw.Data[i].Value, ys[i])
		}
	}
	if raw.ItemStyle.Color != smooth.ItemStyle.Color {
		t.Errorf("raw colour %s, smoothed %s: want the same", raw.ItemStyle.Color, smooth.ItemStyle.Color)
	}
	// One turn: its return is the episode's, drawn once.
	_, one := styled(t, ReturnsChart(history("cc", maac.Metrics{maac.MetricEnvStep: 8, ret: 1, "return/turn/0/mean": 1})))
	if len(one) != 2 {
		t.Errorf("a one-turn run's returns chart has %d series, want the raw points and the smoothed line", len(one))
	}
}

// Compared runs keep their colour in every chart of a dashboard, whatever metrics a chart has for
// each (MAGRPO has no critic; the agents' metrics come in pairs).
func TestCompareColoursAcrossCharts(t *testing.T) {
	metrics := func(critic bool, step float64) maac.Metrics {
		m := maac.Metrics{maac.MetricEnvStep: step, maac.MetricEpisodeReturnMean: step / 100,
			"grad/agent/0/relative_variance": 2, "grad/agent/1/relative_variance": 3,
			"grad/agent/0/variance": 0.1, "grad/agent/1/variance": 0.2,
			"agent/0/grad_norm": 1, "agent/1/grad_norm": 1.5, "agent/0/entropy": 2, "agent/1/entropy": 2.5,
			"reward/level/mean": 0.5, "reward/overlap/mean": 0.25, "info/levels_passed/mean": 0.5,
			maac.MetricEnvStepsPerSec: 100, maac.MetricTokensPerSec: 400}
		if critic {
			m["critic/value_loss"] = 0.3
			m[maac.MetricExplainedVariance] = 0.2
		}
		return m
	}
	cc := history("CoLLM-CC", metrics(true, 32), metrics(true, 64))
	mg := history("MAGRPO", metrics(false, 32), metrics(false, 64))
	want := map[string]string{}
	for _, tt := range []struct {
		name string
		runs []*History
	}{
		{"CC first", []*History{cc, mg}},
		// The live run comes after the loaded ones: the first label is blue whatever it is.
		{"MAGRPO first", []*History{mg, cc}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i, h := range tt.runs {
				want[h.Label] = LabelColour(i)
			}
			cs := DashboardCharts(tt.runs...)
			if len(cs) != 9 { // every chart but the env counts
				t.Errorf("%d charts, want 9", len(cs))
			}
			for _, c := range cs {
				title, ss := styled(t, c)
				seen := map[string]bool{}
				for _, s := range ss {
					label, _, _ := strings.Cut(s.Name, " ")
					w, ok := want[label]
					if !ok {
						t.Errorf("%s: series %q names no run", title, s.Name)
						continue
					}
					seen[label] = true
					// The label's colour, lightened for its fourth and later metric.
					if s.ItemStyle.Color != w && s.ItemStyle.Color != shade(w, 0.35) {
						t.Errorf("%s: series %q has colour %s, want %s (its run's)", title, s.Name, s.ItemStyle.Color, w)
					}
				}
				if !seen["MAGRPO"] && !strings.HasPrefix(title, "Critic") {
					t.Errorf("%s: no MAGRPO series", title)
				}
			}
			// The four most important come first.
			var titles []string
			for _, c := range cs[:4] {
				title, _ := styled(t, c)
				titles = append(titles, title)
			}
			if got := strings.Join(titles, " | "); got != "Returns | Relative gradient variance | Critic loss and explained variance | Reward parts" {
				t.Errorf("first four charts: %s", got)
			}
		})
	}
	if LabelColour(0) == LabelColour(1) {
		t.Error("the first two labels share a colour")
	}
}

// A dashboard block: the header as given, the first DashboardGridCharts charts in the grid, the
// rest behind a "more charts" toggle with the folds after it; every chart holds the untrusted
// hint until its script replaces it.
func TestDashboardHTML(t *testing.T) {
	var cs []Chart
	for i := range 8 {
		cs = append(cs, LineChart("chart "+string(rune('A'+i)), "x", "y", Series{Name: "s", X: []float64{0, 1}, Y: []float64{1, 2}}))
	}
	tests := []struct {
		name       string
		charts     int
		folds      []Fold
		wantGrid   int
		wantHidden int
		wantFolds  []string
	}{
		{"few charts", 3, nil, 3, 0, nil},
		{"exactly the grid", DashboardGridCharts, nil, DashboardGridCharts, 0, nil},
		{"more charts", 8, []Fold{{Summary: "Latest samples", HTML: "<table></table>"}}, DashboardGridCharts, 2,
			[]string{"2 more charts: chart G, chart H", "Latest samples"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := DashboardHTML("block1", `<div class="collm-progress">header</div>`, cs[:tt.charts], tt.folds...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h, `<div class="collm-dashboard" id="block1"`) || !strings.Contains(h, `<div class="collm-progress">header</div><div class="collm-grid"`) {
				t.Errorf("block does not start with the header and the grid:\n%.400s", h)
			}
			if !strings.Contains(h, "grid-template-columns:repeat(auto-fit,minmax(max(300px,23%),1fr))") {
				t.Error("the grid is not responsive (auto-fit, minmax)")
			}
			visible, hidden, _ := strings.Cut(h, "<details")
			if n := strings.Count(visible, `class="collm-chart"`); n != tt.wantGrid {
				t.Errorf("%d charts in the grid, want %d", n, tt.wantGrid)
			}
			if n := strings.Count(hidden, `class="collm-chart"`); n != tt.wantHidden {
				t.Errorf("%d charts behind the toggle, want %d", n, tt.wantHidden)
			}
			var folds []string
			for _, m := range regexp.MustCompile(`<summary[^>]*>([^<]*)</summary>`).FindAllStringSubmatch(h, -1) {
				folds = append(folds, m[1])
			}
			if strings.Join(folds, "|") != strings.Join(tt.wantFolds, "|") {
				t.Errorf("toggles %q, want %q", folds, tt.wantFolds)
			}
			if n, want := strings.Count(h, `<div class="collm-untrusted"`), tt.charts; n != want {
				t.Errorf("%d untrusted hints, want one per chart (%d)", n, want)
			}
			if !strings.Contains(h, escape(UntrustedHint)) {
				t.Error("the hint's text is missing")
			}
			if n := strings.Count(h, `s[k]=d.open`); n != len(tt.wantFolds) {
				t.Errorf("%d toggles keep their state, want %d", n, len(tt.wantFolds))
			}
		})
	}
}

// The chart's script replaces the untrusted hint first thing, and sizes a chart drawn inside a
// closed toggle when it opens.
func TestChartScriptReplacesUntrustedHint(t *testing.T) {
	h, err := ChartHTML(LineChart("t", "x", "y", Series{Name: "s", X: []float64{0, 1}, Y: []float64{1, 2}}), "100%", "300px")
	if err != nil {
		t.Fatal(err)
	}
	element, script, ok := strings.Cut(h, "<script")
	if !ok || !strings.Contains(element, escape(UntrustedHint)) {
		t.Fatalf("the element does not hold the hint:\n%s", element)
	}
	for _, want := range []string{`el0=document.getElementById(id);if(el0){el0.textContent="";}`, // the hint goes at once
		`if(!el.clientWidth||!el.clientHeight){return;}`, // no drawing at zero size
		`el.closest("details")`, `dt.addEventListener("toggle"`, "chart.resize()", "new ResizeObserver"} {
		if !strings.Contains(script, want) {
			t.Errorf("chart script lacks %s", want)
		}
	}
	if strings.Index(script, "el0.textContent") > strings.Index(script, "function draw") {
		t.Error("the hint is removed only when the chart draws; it must go before the script waits for the library")
	}
}

// In a browser the dashboard's grid charts draw, the hint is gone, the charts behind the toggle
// draw at their full size once it opens, and nothing logs an error.
func TestDashboardInBrowser(t *testing.T) {
	requireBrowser(t)
	dir := t.TempDir()
	lib, err := LibraryHTML()
	if err != nil {
		t.Fatal(err)
	}
	var ms []maac.Metrics
	for i := range 40 {
		x := float64(i)
		ms = append(ms, maac.Metrics{maac.MetricEnvStep: 32 * (x + 1), maac.MetricEpisodeReturnMean: math.Sin(x/5) + x/20,
			"grad/agent/0/relative_variance": 1 + x, "critic/value_loss": 1 / (1 + x), maac.MetricExplainedVariance: x / 40,
			"reward/level/mean": x / 40, "info/levels_passed/mean": x / 40, "info/chars/mean": 10 + x, "agent/0/grad_norm": 2,
			"grad/agent/0/variance": 0.5, "agent/0/entropy": 3 - x/20, maac.MetricEnvStepsPerSec: 90, maac.MetricTokensPerSec: 300})
	}
	cs := DashboardCharts(history("CoLLM-CC", ms...))
	all := make([]Chart, len(cs))
	for i, c := range cs {
		all[i] = c
	}
	h, err := DashboardHTML("block", `<div class="collm-progress">header</div>`, all, Fold{Summary: "samples", HTML: SamplesHTML(hostile)})
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "dash.html")
	if err := os.WriteFile(page, []byte("<!DOCTYPE html><html><body style=\"width:1100px\">"+lib+h+"</body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := widgettest.CheckCharts(page, filepath.Join(dir, "dash.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charts) != len(cs) || res.OpenedDetails != 2 {
		t.Fatalf("browser found %d charts and opened %d toggles, want %d and 2", len(res.Charts), res.OpenedDetails, len(cs))
	}
	for i, c := range res.Charts {
		if !c.Drawn() || c.Text != "" || c.Height != 300 || c.Width < 300 {
			t.Errorf("chart %d not drawn at its size, or shows text: %+v", i, c)
		}
	}
	if len(res.ConsoleErrors) > 0 {
		t.Errorf("console errors: %q", res.ConsoleErrors)
	}
}

// An interrupted Train says so once, on the progress line (no ETA after the end), and the
// dashboard's header in a notebook carries the same message.
func TestTrainInterruptedOneMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	cfg := maac.RunConfig{Env: "toy-coord", EnvOptions: map[string]string{"turns": "2"}, Algorithm: "cc",
		CC: &maac.CCConfig{Common: maac.Common{NumGenerations: 2, TasksPerUpdate: 2, MaxNewTokens: 1,
			Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1}, ActorCritic: maac.ActorCritic{CriticLR: 3e-3}}}
	dir := filepath.Join(t.TempDir(), "run")
	tr, rd, err := maac.Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr.OnUpdate(func(u maac.UpdateInfo) error {
		if u.Update == 2 {
			cancel()
		}
		return nil
	})
	var progress strings.Builder
	if err := Train(ctx, tr, rd, 100, TrainOptions{Dashboard: DashboardOptions{Every: 1, Progress: &progress}}); err != nil {
		t.Fatalf("interrupted Train returned %v, want nil", err)
	}
	out := progress.String()
	msg := "interrupted: run " + dir + " saved at update 2;"
	if n := strings.Count(out, "saved at update"); n != 1 || !strings.Contains(out, msg) {
		t.Errorf("progress says %d times %q:\n%s", n, msg, out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\r")
	final := lines[len(lines)-1]
	if !strings.Contains(final, "update 2/100") || !strings.Contains(final, " interrupted\n") || strings.Contains(final, "ETA") {
		t.Errorf("final progress line %q: want update 2/100, the end state and no ETA", final)
	}
}

// The header of a live dashboard: the run's numbers and ETA while it trains; its end state and
// the one message, without ETA, once it stopped.
func TestDashboardHeaderStates(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	cfg := maac.RunConfig{Env: "toy-coord", EnvOptions: map[string]string{"turns": "2"}, Algorithm: "magrpo",
		MC: &maac.MCConfig{Common: maac.Common{NumGenerations: 2, TasksPerUpdate: 2, MaxNewTokens: 1,
			Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1}}}
	tr, rd, err := maac.Create(filepath.Join(t.TempDir(), "run"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	loaded := history("CoLLM-CC", maac.Metrics{maac.MetricEnvStep: 4, maac.MetricEpisodeReturnMean: 0.5})
	tests := []struct {
		name    string
		state   EndState
		message string
		target  int
		want    []string
		not     []string
	}{
		{"running", -1, "", 4, []string{"update <b>2</b>/4", "env steps <b>", "return <b>", "best ", "env steps/s", "ETA <b>", "compared with:", "&#9632; CoLLM-CC</span> (1 updates)"},
			[]string{"collm-state"}},
		{"done", Done, "", 2, []string{`class="collm-state"`, ">done in "}, []string{"ETA"}},
		{"stopped early", Done, "", 4, []string{">stopped at update 2 of 4<"}, []string{"ETA"}},
		{"interrupted", Interrupted, "interrupted: run x saved at update 2", 4, []string{">interrupted<", `class="collm-interrupted"`, "interrupted: run x saved at update 2</b>"}, []string{"ETA"}},
		{"failed", Failed, "error: boom", 4, []string{">error<", `class="collm-error"`, "error: boom"}, []string{"ETA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDashboard(DashboardOptions{Progress: &strings.Builder{}}).Compare(loaded).Watch("MAGRPO", tr, nil, tt.target)
			if tr.Updates() < 2 {
				if err := tr.Train(context.Background(), 2); err != nil {
					t.Fatal(err)
				}
			} else {
				d.live[0].from = 0 // as if this dashboard had watched both updates
				d.live[0].fromStep = 0
			}
			if tt.state >= 0 {
				d.end = &endState{state: tt.state, message: tt.message}
				d.end.at = d.live[0].start.Add(1)
			}
			for _, remove := range d.unwatch {
				remove()
			}
			h := d.headerHTML()
			checkHeader(t, h, tt.want, tt.not)
			if tt.message != "" && strings.Count(h, tt.message) != 1 {
				t.Errorf("the message is not in the header once:\n%s", h)
			}
		})
	}
}

func TestShortNames(t *testing.T) {
	tests := []struct {
		metrics, want []string
	}{
		{[]string{"info/levels_passed/mean"}, []string{""}},
		{[]string{"reward/level/mean", "reward/overlap/mean"}, []string{"level", "overlap"}},
		{[]string{"grad/agent/0/relative_variance", "grad/agent/1/relative_variance"}, []string{"agent 0", "agent 1"}},
		{[]string{"agent/0/entropy", "agent/0/kl", "agent/1/entropy"}, []string{"agent 0 entropy", "agent 0 kl", "agent 1 entropy"}},
		{[]string{"critic/value_loss", "critic/explained_variance"}, []string{"value_loss", "explained_variance"}},
		{[]string{"a/b", "a/b/c"}, []string{"b", "b c"}},
	}
	for _, tt := range tests {
		got := shortNames(tt.metrics)
		for i, m := range tt.metrics {
			if got[m] != tt.want[i] {
				t.Errorf("shortNames(%q)[%q] = %q, want %q", tt.metrics, m, got[m], tt.want[i])
			}
		}
	}
}

// A comparison's header: the headline with its ETA and the running runs while it runs; the end
// state instead of the ETA, and the one message, once it stopped.
func TestCompareHeaderStates(t *testing.T) {
	status := maac.CompareStatus{Elapsed: 65e9, ETA: 130e9, Runs: []maac.RunStatus{
		{Run: maac.CompareRun{Name: "cc/seed-1", EnvSteps: 100}, State: maac.RunDone, EnvStep: 100},
		{Run: maac.CompareRun{Name: "cc/seed-2", EnvSteps: 100}, State: maac.RunRunning, EnvStep: 40, Return: 0.25}}}
	tests := []struct {
		name      string
		end       *endState
		want, not []string
	}{
		{"running", nil, []string{"1 of 2 runs done, 1 running, 0 queued, 0 failed; 1m5s elapsed, ETA 2m10s", "cc/seed-2", "40 / 100 env steps"}, nil},
		{"done", &endState{state: Done}, []string{"1 of 2 runs done, 0 failed; done after 1m5s"}, []string{"ETA", "cc/seed-2"}},
		{"interrupted", &endState{state: Interrupted, message: "interrupted: comparison x stopped"},
			[]string{"; interrupted after 1m5s", `class="collm-interrupted"`, "interrupted: comparison x stopped</b>"}, []string{"ETA", "cc/seed-2"}},
		{"failed", &endState{state: Failed, message: "error: boom"}, []string{"; error after 1m5s", `class="collm-error"`}, []string{"ETA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &compareView{last: &status, ended: tt.end}
			h := v.headerHTML()
			checkHeader(t, h, tt.want, tt.not)
		})
	}
}

// checkHeader fails unless the header HTML h contains every string of want and none of not.
func checkHeader(t *testing.T, h string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(h, w) {
			t.Errorf("header lacks %q:\n%s", w, h)
		}
	}
	for _, w := range not {
		if strings.Contains(h, w) {
			t.Errorf("header has %q:\n%s", w, h)
		}
	}
}
