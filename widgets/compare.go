package widgets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
)

// The charts of a comparison (maac.Compare): per condition, each algorithm's mean over seeds
// of a metric against env steps with its 95% band, on one env-step grid; and the final returns
// of every (condition, algorithm) with their 95% intervals. An algorithm keeps its colour in
// every chart.

// palette gives the algorithms of a comparison their colours, in the order of the spec.
var palette = []string{"#5470c6", "#ee6666", "#91cc75", "#fac858", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"}

// gridPoints is the number of env-step points the curves of a comparison are resampled on.
const gridPoints = 60

// CompareCharts returns the charts of the comparison in dir: for each condition the episode
// return and the relative gradient variance (each a mean over seeds with its 95% band), then the
// final returns with their intervals across conditions. It draws what the runs have logged so
// far, so it also works while the comparison runs.
func CompareCharts(dir string) ([]Chart, *maac.CompareSummary, error) {
	sum, err := maac.SummarizeCompare(dir)
	if err != nil {
		return nil, nil, err
	}
	runs, err := sum.Spec.Layout(dir)
	if err != nil {
		return nil, nil, err
	}
	logged := map[string][]maac.Metrics{}
	for _, r := range runs {
		ms, err := maac.ReadMetrics(filepath.Join(r.Dir, "metrics.jsonl"))
		if err == nil && len(ms) > 0 {
			logged[r.Name] = ms
		}
	}
	// The grid spans the longest run: a run whose updates are larger than the budget still shows.
	span := sum.Spec.EnvSteps
	for _, r := range sum.Rows {
		for _, steps := range r.EnvSteps {
			span = max(span, steps)
		}
	}
	var out []Chart
	for _, cond := range conditionsOf(sum) {
		name := maac.ConditionName(cond)
		for _, m := range []struct {
			title, metric, axis string
			log                 bool
		}{
			{"Episode return", maac.MetricEpisodeReturnMean, "return", false},
			{"Relative gradient variance", "grad/agent/*/relative_variance", "var / norm² (log)", true},
		} {
			line := newBandChart(fmt.Sprintf("%s, %s", m.title, name), m.axis, m.log, span)
			var legend []string
			for a, algo := range sum.Spec.Algorithms {
				var curves [][]float64
				for _, r := range runs {
					if r.Algorithm == algo && maac.ConditionName(r.Condition) == name && logged[r.Name] != nil {
						curves = append(curves, resample(logged[r.Name], m.metric, span))
					}
				}
				if len(curves) > 0 {
					legend = append(legend, addBand(line, algo, palette[a%len(palette)], curves, span, m.log))
				}
			}
			if len(legend) > 0 {
				line.SetGlobalOptions(charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "bottom", Type: "scroll", Data: legend}))
				out = append(out, line)
			}
		}
	}
	out = append(out, finalReturnsChart(sum))
	return out, sum, nil
}

// conditionsOf returns the conditions of a summary in the order of its rows.
func conditionsOf(sum *maac.CompareSummary) []map[string]string {
	var conds []map[string]string
	seen := map[string]bool{}
	for _, r := range sum.Rows {
		if name := maac.ConditionName(r.Condition); !seen[name] {
			seen[name] = true
			conds = append(conds, r.Condition)
		}
	}
	return conds
}

func newBandChart(title, yName string, logScale bool, span int) *charts.Line {
	yType := "value"
	if logScale {
		yType = "log"
	}
	line := charts.NewLine()
	line.SetGlobalOptions(
		charts.WithTitleOpts(opts.Title{Title: title, Subtitle: "mean over seeds, dashed: 95% bootstrap band", TitleStyle: &opts.TextStyle{FontSize: 14}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "bottom", Type: "scroll"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "env_step", Type: "value", Max: span}),
		charts.WithYAxisOpts(opts.YAxis{Name: yName, Type: yType, Scale: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{Bottom: "70", Top: "70"}),
		charts.WithAnimation(false),
	)
	return line
}

// resample returns a run's metric on the env-step grid over [0, span]: at each point the value
// of the last update at or before it (NaN before the first update and after the run's last). A
// metric name with "*" averages the matching per-agent metrics.
func resample(ms []maac.Metrics, metric string, span int) []float64 {
	out := make([]float64, gridPoints)
	k := -1
	end := ms[len(ms)-1][maac.MetricEnvStep]
	for g := range out {
		x := gridX(g, span)
		for k+1 < len(ms) && ms[k+1][maac.MetricEnvStep] <= x {
			k++
		}
		out[g] = math.NaN()
		if k >= 0 && (x <= end || g == 0 || gridX(g-1, span) < end) {
			out[g] = metricValue(ms[k], metric)
		}
	}
	return out
}

func gridX(g, span int) float64 { return float64(span) * float64(g+1) / gridPoints }

// metricValue reads metric from m; a name with "*" is the mean of the finite matching values.
func metricValue(m maac.Metrics, metric string) float64 {
	prefix, suffix, wild := strings.Cut(metric, "*")
	if !wild {
		if v, ok := m[metric]; ok {
			return v
		}
		return math.NaN()
	}
	sum, n := 0.0, 0
	for k, v := range m {
		if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, suffix) && !math.IsNaN(v) && !math.IsInf(v, 0) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// addBand draws an algorithm's mean curve over seeds and its 95% bootstrap band in its colour,
// and returns the mean curve's name (the legend shows only those).
func addBand(line *charts.Line, algo, color string, curves [][]float64, span int, logScale bool) string {
	mean := make([]opts.LineData, 0, gridPoints)
	lo := make([]opts.LineData, 0, gridPoints)
	hi := make([]opts.LineData, 0, gridPoints)
	for g := range gridPoints {
		var ys []float64
		for _, c := range curves {
			if !math.IsNaN(c[g]) {
				ys = append(ys, c[g])
			}
		}
		if len(ys) < len(curves) || (logScale && minOf(ys) <= 0) {
			continue // a point only where every seed has a value
		}
		m, l, h := maac.MeanCI95(ys)
		x := gridX(g, span)
		mean = append(mean, opts.LineData{Value: []float64{x, m}})
		lo = append(lo, opts.LineData{Value: []float64{x, l}})
		hi = append(hi, opts.LineData{Value: []float64{x, h}})
	}
	noSymbol := charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)})
	colour := charts.WithItemStyleOpts(opts.ItemStyle{Color: color})
	band := charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed", Opacity: opts.Float(0.6), Color: color})
	label := fmt.Sprintf("%s (%d seeds)", algo, len(curves))
	line.AddSeries(label, mean, noSymbol, colour, charts.WithLineStyleOpts(opts.LineStyle{Width: 2, Color: color}))
	if len(curves) > 1 {
		line.AddSeries(label+" 95% lo", lo, noSymbol, colour, band)
		line.AddSeries(label+" 95% hi", hi, noSymbol, colour, band)
	}
	return label
}

func minOf(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = math.Min(m, x)
	}
	return m
}

// finalReturnsChart shows each (condition, algorithm)'s mean final return as a bar, with its 95%
// interval over seeds as a box from its low to its high end.
func finalReturnsChart(sum *maac.CompareSummary) Chart {
	var cats []string
	var bars []opts.BarData
	var boxes []opts.BoxPlotData
	for _, r := range sum.Rows {
		if len(r.Seeds) == 0 {
			continue
		}
		a := indexOf(sum.Spec.Algorithms, r.Algo)
		cats = append(cats, maac.ConditionName(r.Condition)+" "+r.Algo)
		bars = append(bars, opts.BarData{Value: r.FinalReturnMean, ItemStyle: &opts.ItemStyle{Color: palette[a%len(palette)], Opacity: opts.Float(0.55)}})
		lo, hi := r.FinalReturnCI95[0], r.FinalReturnCI95[1]
		boxes = append(boxes, opts.BoxPlotData{Value: []float64{lo, lo, r.FinalReturnMean, hi, hi}})
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithTitleOpts(opts.Title{Title: "Final episode return", Subtitle: "mean over seeds of the last 10% of the budget; box: 95% bootstrap interval", TitleStyle: &opts.TextStyle{FontSize: 14}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Name: "final return", Scale: opts.Bool(true)}),
		// Every (condition, algorithm) is labelled, slanted so that long condition names fit.
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30, FontSize: 10}}),
		charts.WithGridOpts(opts.Grid{Bottom: "110", Top: "64", Left: "70"}),
		charts.WithAnimation(false),
	)
	bar.SetXAxis(cats).AddSeries("final return", bars, charts.WithBarChartOpts(opts.BarChart{BarWidth: "50%"}))
	box := charts.NewBoxPlot()
	box.SetXAxis(cats).AddSeries("95% interval", boxes, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#ffffff00", BorderColor: "#333"}))
	bar.Overlap(box)
	return bar
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return 0
}

// CompareSummaryHTML is the summary as a table: per (condition, algorithm) the seeds, the final
// return with its interval, the AUC, the env steps to each threshold, optimizer steps, the
// relative gradient variance, wall time and the difference to the first algorithm.
func CompareSummaryHTML(sum *maac.CompareSummary) string {
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse;font-size:13px"><tr style="background:#eee">` +
		"<th>condition</th><th>algorithm</th><th>seeds</th><th>final return [95% CI]</th><th>AUC</th>")
	for _, th := range sum.Spec.Thresholds {
		fmt.Fprintf(&b, "<th>env steps to %g (reached)</th>", th)
	}
	b.WriteString("<th>optimizer steps</th><th>rel. grad. variance: median (mean)</th><th>wall s</th><th>vs first: diff [95% CI], p</th></tr>\n")
	for _, r := range sum.Rows {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%.3f [%.3f, %.3f]</td><td>%.3f</td>",
			escape(maac.ConditionName(r.Condition)), escape(r.Algo), len(r.Seeds), r.FinalReturnMean, r.FinalReturnCI95[0], r.FinalReturnCI95[1], r.AUCMean)
		for _, st := range r.StepsTo {
			var steps []string
			for _, s := range st.EnvSteps {
				if s == nil {
					steps = append(steps, "-")
				} else {
					steps = append(steps, fmt.Sprint(*s))
				}
			}
			fmt.Fprintf(&b, "<td>%s (%d)</td>", strings.Join(steps, " / "), st.Reached)
		}
		gv := "-"
		if r.GradRelativeVarianceMean != nil {
			gv = fmt.Sprintf("%.3g (%.3g)", *r.GradRelativeVarianceMedian, *r.GradRelativeVarianceMean)
		}
		vs := ""
		if d := r.VsFirst; d != nil {
			vs = fmt.Sprintf("%+.3f [%+.3f, %+.3f] vs %s, p = %.3f", d.Mean, d.CI95[0], d.CI95[1], escape(d.Baseline), d.PValue)
		}
		fmt.Fprintf(&b, "<td>%.0f</td><td>%s</td><td>%.1f</td><td>%s</td></tr>\n", r.OptimizerStepsMean, gv, r.WallS, vs)
	}
	b.WriteString("</table>\n")
	for _, r := range sum.Rows {
		if r.VsFirst != nil {
			fmt.Fprintf(&b, "<p style=\"font-size:12px\">p: %s.</p>\n", escape(r.VsFirst.Test))
			break
		}
	}
	return b.String()
}

// WriteCompareReport writes one self-contained HTML file (the ECharts library inlined) with the
// comparison's summary table, its charts and its spec; it opens offline.
func WriteCompareReport(path string, dir string) error {
	cs, sum, err := CompareCharts(dir)
	if err != nil {
		return err
	}
	lib, err := LibraryHTML()
	if err != nil {
		return err
	}
	title := fmt.Sprintf("collm compare: %s, %s", sum.Spec.Env, strings.Join(sum.Spec.Algorithms, " vs "))
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"+
		"<body style=\"font-family:sans-serif;margin:2em;max-width:1200px\">\n<h1>%s</h1>\n", escape(title), escape(title))
	fmt.Fprintf(&b, "<p>%d seeds per algorithm and condition, %d env steps per run.</p>\n", len(sum.Spec.Seeds), sum.Spec.EnvSteps)
	b.WriteString(lib)
	b.WriteString("<h2>Summary</h2>\n" + CompareSummaryHTML(sum) + "\n<h2>Charts</h2>\n")
	for _, c := range cs {
		h, err := ChartHTML(c, "100%", "380px")
		if err != nil {
			return err
		}
		b.WriteString(h + "\n")
	}
	spec, _ := json.MarshalIndent(sum.Spec, "", "  ")
	fmt.Fprintf(&b, "<h2>Specification</h2>\n<pre style=\"background:#f6f6f6;padding:8px\">%s</pre>\n</body></html>\n", escape(string(spec)))
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// CompareOptions configures Compare. The zero value works.
type CompareOptions struct {
	// Jobs is the number of runs trained at once, in this process. Default 1.
	Jobs int
	// Force continues in a directory that holds another grid (see maac.CompareOptions).
	Force bool
	// EverySeconds redraws the charts when this much time has passed. Default 10.
	EverySeconds float64
	// Progress is where the progress line goes outside a notebook. Default os.Stderr.
	Progress io.Writer
}

// Compare runs the comparison called name (a directory under kernel.RunsDir, next to the named
// runs) with maac.Compare, showing in the cell a live table of the runs and the comparison's
// charts, redrawn in place as the runs log. When ctx is cancelled (the kernel's interrupt, see
// kernel.InterruptContext) every run stops at a checkpoint and Compare returns a nil summary and
// no error: running the cell again continues the grid, skipping finished runs.
func Compare(ctx context.Context, name string, spec maac.CompareSpec, o CompareOptions) (*maac.CompareSummary, error) {
	dir, err := kernel.RunPath(name)
	if err != nil {
		return nil, err
	}
	if o.EverySeconds <= 0 {
		o.EverySeconds = 10
	}
	if o.Progress == nil {
		o.Progress = os.Stderr
	}
	v := &compareView{dir: dir, opts: o, ids: map[string]string{}, block: "collm_cmp_" + kernel.NewUniqueID()}
	sum, err := maac.Compare(ctx, dir, spec, maac.CompareOptions{Jobs: o.Jobs, Force: o.Force, OnProgress: v.progress})
	if errors.Is(err, context.Canceled) {
		v.end(Interrupted, fmt.Sprintf("interrupted: comparison %s stopped with every run at a checkpoint; run the cell again to continue", dir))
		return nil, nil
	}
	if err != nil {
		v.end(Failed, "error: "+firstLine(err.Error()))
		return nil, err
	}
	if err := v.draw(); err != nil {
		return nil, err
	}
	v.end(Done, "")
	return sum, nil
}

// ShowCompare displays the summary table and the charts of the comparison called name, e.g. in
// a later cell, and returns its summary.
func ShowCompare(name string) (*maac.CompareSummary, error) {
	dir, err := kernel.RunPath(name)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "compare.json")); err != nil {
		return nil, fmt.Errorf("no comparison called %q in %s: run widgets.Compare (or collm compare --out %s) first", name, kernel.RunsDir(), dir)
	}
	cs, sum, err := CompareCharts(dir)
	if err != nil {
		return nil, err
	}
	if kernel.InNotebook() {
		kernel.DisplayHTML(CompareSummaryHTML(sum))
		if err := Display(cs...); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// compareView draws a running comparison in the cell as a dashboard block of two displays: the
// header (the grid's progress and the running runs, redrawn at every report), and the charts in
// the dashboard's grid with the summary table (redrawn every EverySeconds).
type compareView struct {
	dir      string
	opts     CompareOptions
	ids      map[string]string
	block    string
	started  bool
	lastDraw time.Time
	lastDone int
	last     *maac.CompareStatus
	ended    *endState
}

func (v *compareView) progress(s maac.CompareStatus) {
	v.last = &s
	done, failed := s.Count(maac.RunDone), s.Count(maac.RunFailed)
	if !kernel.InNotebook() {
		if done+failed != v.lastDone {
			v.lastDone = done + failed
			fmt.Fprintln(v.opts.Progress, s.Headline())
		}
		return
	}
	v.update("progress", v.headerHTML())
	if time.Since(v.lastDraw).Seconds() >= v.opts.EverySeconds {
		v.draw() // a failed redraw leaves the last charts; the final draw reports errors
	}
}

// headline is the grid's progress in one line, with the end state instead of the ETA once the
// comparison stopped.
func (v *compareView) headline() string {
	if v.last == nil {
		return ""
	}
	s := *v.last
	if v.ended == nil {
		return s.Headline()
	}
	word := map[EndState]string{Done: "done", Interrupted: "interrupted", Failed: "error"}[v.ended.state]
	return fmt.Sprintf("%d of %d runs done, %d failed; %s after %s", s.Count(maac.RunDone), len(s.Runs), s.Count(maac.RunFailed),
		word, s.Elapsed.Round(time.Second))
}

func (v *compareView) headerHTML() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="collm-progress" style="font:13px sans-serif"><b>%s</b>`, escape(v.headline()))
	if v.last != nil && v.ended == nil {
		b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:2px 20px;font-size:12px;margin:2px 0">`)
		for _, r := range v.last.Runs {
			if r.State == maac.RunRunning {
				frac := float64(r.EnvStep) / float64(r.Run.EnvSteps)
				fmt.Fprintf(&b, `<span>%s <span style="display:inline-block;width:120px;height:9px;background:#eee;vertical-align:middle">`+
					`<span style="display:block;width:%.1f%%;height:9px;background:#5470c6"></span></span> %d / %d env steps, return %.3f</span>`,
					escape(r.Run.Name), 100*min(frac, 1), r.EnvStep, r.Run.EnvSteps, r.Return)
			}
		}
		b.WriteString(`</div>`)
	}
	b.WriteString(`</div>`)
	if v.ended != nil && v.ended.message != "" {
		class, colour := "collm-done", "#2e7d32"
		switch v.ended.state {
		case Interrupted:
			class, colour = "collm-interrupted", "#b26a00"
		case Failed:
			class, colour = "collm-error", "#c62828"
		}
		fmt.Fprintf(&b, `<div class="%s" style="font:13px sans-serif;color:%s;margin:2px 0"><b>%s</b></div>`, class, colour, escape(v.ended.message))
	}
	return b.String()
}

// end shows how the comparison ended: in the header in a notebook; outside one, an interrupt's
// message on the progress writer (an error is the caller's to report).
func (v *compareView) end(state EndState, message string) {
	v.ended = &endState{state: state, message: message, at: time.Now()}
	if !kernel.InNotebook() {
		if state == Interrupted {
			fmt.Fprintln(v.opts.Progress, message)
		}
		return
	}
	if v.last != nil || message != "" { // a grid found finished has no progress to show
		v.update("progress", v.headerHTML())
	}
	kernel.Sync()
}

// draw renders the comparison's charts from what its runs have logged.
func (v *compareView) draw() error {
	v.lastDraw = time.Now()
	if !kernel.InNotebook() {
		return nil
	}
	cs, sum, err := CompareCharts(v.dir)
	if err != nil {
		return err
	}
	if !v.started {
		// The library once per kernel session, before the first chart (see Display).
		if err := showLibrary(); err != nil {
			return err
		}
		v.started = true
	}
	h, err := DashboardHTML(v.block, "", cs, Fold{Summary: "Summary table", HTML: CompareSummaryHTML(sum), Open: true})
	if err != nil {
		return err
	}
	v.update("charts", h)
	return nil
}

func (v *compareView) update(key, content string) {
	id, ok := v.ids[key]
	if !ok {
		id = "collm_" + kernel.NewUniqueID()
		v.ids[key] = id
	}
	kernel.UpdateHTML(id, content)
}
