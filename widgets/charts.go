package widgets

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/collm/collm/maac"
)

// The charts of one or more runs. Every chart's x-axis is env_step. A label with several runs
// (seeds) is drawn as its mean with dashed mean +/- std lines.

// ReturnSmoothing is the weight of the exponential moving average (see Smooth) that the returns
// chart draws over the raw per-update returns: 0.9 averages over about the last 10 updates.
const ReturnSmoothing = 0.9

// ReturnsChart plots the undiscounted episode return of each run or label: its raw value at every
// update as faint points under a line smoothed by Smooth with ReturnSmoothing (both share the
// legend entry). For a single run of several turns it adds the smoothed discounted return of
// every turn.
func ReturnsChart(runs ...*History) *charts.Line {
	metrics := []string{maac.MetricEpisodeReturnMean}
	if len(runs) == 1 {
		turns := metricNames(runs, func(k string) bool {
			return strings.HasPrefix(k, "return/turn/") && strings.HasSuffix(k, "/mean")
		})
		if len(turns) > 1 { // one turn's return is the episode's
			metrics = append(metrics, turns...)
		}
	}
	return buildChart(chartSpec{title: "Returns", yName: "return", metrics: metrics, smooth: ReturnSmoothing, fullNames: true,
		rawPoints: map[string]bool{maac.MetricEpisodeReturnMean: true}}, runs)
}

// Smooth returns the exponential moving average of ys with the given weight on the past
// (0 <= weight < 1; 0 returns ys), debiased as TensorBoard's smoothing is so that the first
// values are not pulled towards zero: s_t = (weight*m_{t-1} + (1-weight)*y_t) / (1-weight^n)
// with m the raw average and n the number of finite values so far. A NaN or infinite value
// stays NaN and leaves the average unchanged.
func Smooth(ys []float64, weight float64) []float64 {
	out := make([]float64, len(ys))
	m, decay := 0.0, 1.0
	for i, y := range ys {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			out[i] = math.NaN()
			continue
		}
		m = weight*m + (1-weight)*y
		decay *= weight
		out[i] = m / (1 - decay)
	}
	return out
}

// CriticFitChart plots how well the critics fit: the value loss on a log scale (left axis) and
// the explained variance of the critic's targets (right axis) in one chart.
func CriticFitChart(runs ...*History) *charts.Line {
	return buildChart(chartSpec{title: "Critic loss and explained variance", yName: "loss (log)", log: true,
		metrics: criticLossNames(runs), y2Name: "expl. var.", metrics2: []string{maac.MetricExplainedVariance}}, runs)
}

func criticLossNames(runs []*History) []string {
	return metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "critic/") && strings.HasSuffix(k, "value_loss")
	})
}

// GradVarianceChart plots each agent's measured policy-gradient variance on a log scale.
func GradVarianceChart(runs ...*History) *charts.Line {
	return metricChart("Gradient variance", "var (log)", true, runs, metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "grad/agent/") && strings.HasSuffix(k, "/variance")
	}))
}

// RelativeGradVarianceChart plots variance / ||mean gradient||^2 of each agent (log scale): unlike
// the raw variance it does not depend on the scale of the advantages, so methods with and without
// advantage normalization compare fairly.
func RelativeGradVarianceChart(runs ...*History) *charts.Line {
	return metricChart("Relative gradient variance", "var / norm² (log)", true, runs, metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "grad/agent/") && strings.HasSuffix(k, "/relative_variance")
	}))
}

// GradNormChart plots each agent's gradient norm before clipping.
func GradNormChart(runs ...*History) *charts.Line {
	return metricChart("Gradient norm", "norm", false, runs, metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "agent/") && strings.HasSuffix(k, "/grad_norm")
	}))
}

// CriticChart plots the critics' value loss (log scale).
func CriticChart(runs ...*History) *charts.Line {
	return metricChart("Critic value loss", "loss (log)", true, runs, criticLossNames(runs))
}

// ExplainedVarianceChart plots the critic's explained variance of its targets.
func ExplainedVarianceChart(runs ...*History) *charts.Line {
	return metricChart("Critic explained variance", "explained variance", false, runs, []string{maac.MetricExplainedVariance})
}

// RewardPartsChart plots the mean of every named reward part.
func RewardPartsChart(runs ...*History) *charts.Line {
	return metricChart("Reward parts", "mean", false, runs, metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "reward/") && strings.HasSuffix(k, "/mean") && k != maac.MetricRewardMean
	}))
}

// EnvInfoChart plots the mean of every extra env metric (Transition.Info) whose values all lie
// in [0, 1], such as levels_passed, iou or tests_passed: how far the agents get in the task
// itself, apart from the reward. Other env metrics (counts, lengths) have a chart of their own,
// EnvCountsChart, so that a length of 20 does not flatten a share between 0 and 1.
func EnvInfoChart(runs ...*History) *charts.Line {
	return metricChart("Env metrics (shares)", "mean", false, runs, envInfoNames(runs, true))
}

// EnvCountsChart plots the mean of every extra env metric that leaves [0, 1], such as the
// length of a response in characters or the number of commands.
func EnvCountsChart(runs ...*History) *charts.Line {
	return metricChart("Env metrics (counts)", "mean", false, runs, envInfoNames(runs, false))
}

// envInfoNames are the info/*/mean metrics whose recorded values all lie in [0, 1] (unit) or
// not (!unit).
func envInfoNames(runs []*History, unit bool) []string {
	names := metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "info/") && strings.HasSuffix(k, "/mean")
	})
	var out []string
	for _, k := range names {
		if inUnitRange(runs, k) == unit {
			out = append(out, k)
		}
	}
	return out
}

func inUnitRange(runs []*History, metric string) bool {
	for _, h := range runs {
		for _, m := range h.Metrics {
			if v, ok := m[metric]; ok && (v < 0 || v > 1) {
				return false
			}
		}
	}
	return true
}

// EntropyKLChart plots each agent's token entropy and, when on, its KL to the initial policy.
func EntropyKLChart(runs ...*History) *charts.Line {
	return metricChart("Entropy and KL", "nats", false, runs, metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "agent/") && (strings.HasSuffix(k, "/entropy") || strings.HasSuffix(k, "/kl"))
	}))
}

// ThroughputChart plots env steps per second (left axis) and generated tokens per second (right
// axis: they are tens to hundreds of times more).
func ThroughputChart(runs ...*History) *charts.Line {
	return buildChart(chartSpec{title: "Throughput", yName: "env steps/s", metrics: []string{maac.MetricEnvStepsPerSec},
		y2Name: "tokens/s", metrics2: []string{maac.MetricTokensPerSec}}, runs)
}

// AllCharts returns every chart that has data for the runs.
func AllCharts(runs ...*History) []*charts.Line {
	return withData(ReturnsChart(runs...), RelativeGradVarianceChart(runs...), GradVarianceChart(runs...), GradNormChart(runs...),
		CriticChart(runs...), ExplainedVarianceChart(runs...), RewardPartsChart(runs...), EnvInfoChart(runs...), EnvCountsChart(runs...),
		EntropyKLChart(runs...),
		ThroughputChart(runs...))
}

// DashboardCharts returns the charts of a dashboard that have data for the runs, most important
// first: returns, relative gradient variance, the critic's fit (value loss and explained
// variance) and the reward parts, then the env metrics, gradient norm and variance, entropy and
// KL, and throughput.
func DashboardCharts(runs ...*History) []*charts.Line {
	return withData(ReturnsChart(runs...), RelativeGradVarianceChart(runs...), CriticFitChart(runs...), RewardPartsChart(runs...),
		EnvInfoChart(runs...), EnvCountsChart(runs...), GradNormChart(runs...), GradVarianceChart(runs...),
		EntropyKLChart(runs...), ThroughputChart(runs...))
}

func withData(cs ...*charts.Line) []*charts.Line {
	var out []*charts.Line
	for _, c := range cs {
		if len(c.MultiSeries) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// metricChart draws metrics for every label: one line per (label, metric), with dotted +/- std
// lines for a label with several runs. Non-positive values are dropped on a log scale.
func metricChart(title, yName string, logScale bool, runs []*History, metrics []string) *charts.Line {
	return buildChart(chartSpec{title: title, yName: yName, log: logScale, metrics: metrics}, runs)
}

// chartSpec describes a chart of metrics against env_step.
type chartSpec struct {
	title, yName string
	log          bool
	metrics      []string
	// y2Name and metrics2: metrics on a second, linear y axis on the right.
	y2Name   string
	metrics2 []string
	// smooth > 0 draws every line smoothed by Smooth with this weight; the metrics in rawPoints
	// also get their raw values as faint points.
	smooth    float64
	rawPoints map[string]bool
	// fullNames names the series of a single label by the metric's whole name ("label metric"
	// for a single metric); otherwise, and with several labels, the legend shows only what tells
	// the lines apart (see shortNames).
	fullNames bool
}

// shortNames gives each metric of a chart the part of its name that tells it from the others:
// the path segments all of them share at the start and the end are dropped ("reward/level/mean"
// and "reward/overlap/mean" become "level" and "overlap"), except a segment that names a
// number ("agent 0"); a chart of one metric leaves its name to the title ("").
func shortNames(metrics []string) map[string]string {
	out := map[string]string{}
	if len(metrics) == 0 {
		return out
	}
	if len(metrics) == 1 {
		out[metrics[0]] = ""
		return out
	}
	segs := make([][]string, len(metrics))
	shortest := math.MaxInt
	for i, m := range metrics {
		segs[i] = strings.Split(m, "/")
		shortest = min(shortest, len(segs[i]))
	}
	common := func(at func(s []string, k int) string) int {
		n := 0
		for ; n < shortest-1; n++ {
			for _, s := range segs[1:] {
				if at(s, n) != at(segs[0], n) {
					return n
				}
			}
		}
		return n
	}
	pre := common(func(s []string, k int) string { return s[k] })
	suf := common(func(s []string, k int) string { return s[len(s)-1-k] })
	if pre > 0 {
		for _, s := range segs {
			if _, err := strconv.Atoi(s[pre]); err == nil {
				pre-- // keep "agent" before "0"
				break
			}
		}
	}
	for i, m := range metrics {
		s := segs[i]
		if pre+suf >= len(s) {
			out[m] = m
			continue
		}
		out[m] = strings.Join(s[pre:len(s)-suf], " ")
	}
	return out
}

// Series colours: with several labels (compared runs) every label keeps its palette colour in
// every chart, its metrics told apart by the line's dash and shade; a single label gives each
// metric its own colour.
func seriesColour(label, nLabels, metric int) (colour, dash string) {
	if nLabels > 1 {
		return shade(palette[label%len(palette)], float64(metric/3)*0.35), []string{"solid", "dashed", "dotted"}[metric%3]
	}
	return palette[metric%len(palette)], "solid"
}

// LabelColour is the colour of the i-th label (in the order of the runs) in the charts of several
// labels.
func LabelColour(i int) string { return palette[i%len(palette)] }

// shade mixes a #rrggbb colour with white: f=0 keeps it, f=1 is white.
func shade(colour string, f float64) string {
	if f <= 0 || len(colour) != 7 {
		return colour
	}
	f = min(f, 0.8)
	var rgb [3]int
	fmt.Sscanf(colour, "#%02x%02x%02x", &rgb[0], &rgb[1], &rgb[2])
	for i := range rgb {
		rgb[i] += int(math.Round(f * float64(255-rgb[i])))
	}
	return fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2])
}

func buildChart(spec chartSpec, runs []*History) *charts.Line {
	yType := func(log bool) string {
		if log {
			return "log"
		}
		return "value"
	}
	line := charts.NewLine()
	right := "30" // room for the last x label
	if len(spec.metrics2) > 0 {
		right = "62" // and for the right axis's labels
	}
	line.SetGlobalOptions(
		charts.WithTitleOpts(opts.Title{Title: spec.title, TitleStyle: &opts.TextStyle{FontSize: 14}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "bottom", Type: "scroll", ItemWidth: 18, TextStyle: &opts.TextStyle{FontSize: 11}}),
		charts.WithXAxisOpts(opts.XAxis{Name: "env_step", Type: "value", NameLocation: "middle", NameGap: 22}),
		charts.WithYAxisOpts(opts.YAxis{Name: spec.yName, Type: yType(spec.log), Scale: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{Top: "48", Bottom: "62", Left: "58", Right: right}),
		charts.WithAnimation(false),
	)
	if len(spec.metrics2) > 0 {
		line.ExtendYAxis(opts.YAxis{Name: spec.y2Name, Type: "value", Scale: opts.Bool(true), SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	}
	labels, byLabel := groups(runs)
	all := append(append([]string(nil), spec.metrics...), spec.metrics2...)
	short := shortNames(all)
	for li, label := range labels {
		group := byLabel[label]
		for mi, metric := range all {
			name := metric
			switch {
			case spec.fullNames && len(labels) == 1 && len(all) == 1:
				name = label + " " + metric
			case spec.fullNames && len(labels) == 1:
				name = metric
			case len(labels) == 1 && short[metric] != "":
				name = short[metric]
			default:
				name = strings.TrimSpace(label + " " + short[metric])
			}
			xs, mean, std := aggregate(group, metric)
			if len(xs) == 0 {
				continue
			}
			logScale, axis := spec.log, 0
			if mi >= len(spec.metrics) {
				logScale, axis = false, 1
			}
			colour, dash := seriesColour(li, len(labels), mi)
			noSymbol := charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false), YAxisIndex: axis})
			item := charts.WithItemStyleOpts(opts.ItemStyle{Color: colour})
			ys := mean
			if spec.smooth > 0 {
				if spec.rawPoints[metric] {
					// The raw values: faint points without a line, under the smoothed line of the same
					// name (one legend entry toggles both).
					line.AddSeries(name, points(xs, mean, logScale),
						charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), Symbol: "circle", SymbolSize: 3, YAxisIndex: axis}),
						charts.WithItemStyleOpts(opts.ItemStyle{Color: colour, Opacity: opts.Float(0.35)}),
						charts.WithLineStyleOpts(opts.LineStyle{Opacity: opts.Float(0)}))
				}
				ys = Smooth(mean, spec.smooth)
			}
			line.AddSeries(name, points(xs, ys, logScale), noSymbol, item,
				charts.WithLineStyleOpts(opts.LineStyle{Color: colour, Type: dash, Width: 2}))
			if len(group) < 2 {
				continue
			}
			lo, hi := make([]float64, len(xs)), make([]float64, len(xs))
			for i := range xs {
				lo[i], hi[i] = mean[i]-std[i], mean[i]+std[i]
			}
			band := charts.WithLineStyleOpts(opts.LineStyle{Type: "dotted", Width: 1, Opacity: opts.Float(0.5), Color: colour})
			line.AddSeries(name+" -std", points(xs, lo, logScale), band, noSymbol, item)
			line.AddSeries(name+" +std", points(xs, hi, logScale), band, noSymbol, item)
		}
	}
	return line
}

// aggregate aligns the runs of a group by update index and returns the mean env_step, the mean
// and the standard deviation of metric at each index all runs reached.
func aggregate(group []*History, metric string) (xs, mean, std []float64) {
	n := math.MaxInt
	for _, h := range group {
		n = min(n, len(h.Metrics))
	}
	for i := range n {
		var x, ys []float64
		for _, h := range group {
			if y, ok := h.Metrics[i][metric]; ok {
				ys = append(ys, y)
				x = append(x, h.Metrics[i][maac.MetricEnvStep])
			}
		}
		if len(ys) != len(group) {
			continue
		}
		mx, _ := maac.MeanStd(x)
		my, sy := maac.MeanStd(ys)
		xs, mean, std = append(xs, mx), append(mean, my), append(std, sy)
	}
	return xs, mean, std
}

func points(xs, ys []float64, logScale bool) []opts.LineData {
	out := make([]opts.LineData, 0, len(xs))
	for i := range xs {
		if logScale && ys[i] <= 0 || math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			continue
		}
		out = append(out, opts.LineData{Value: []float64{xs[i], ys[i]}})
	}
	return out
}

// SummaryHTML is a table of the final value of the main metrics of every run.
func SummaryHTML(runs ...*History) string {
	cols := []string{maac.MetricUpdate, maac.MetricEnvStep, maac.MetricEpisodeReturnMean, maac.MetricReturnMean, maac.MetricValueLoss}
	var b strings.Builder
	b.WriteString(`<table class="collm-summary" style="border-collapse:collapse;font-family:sans-serif;font-size:13px"><tr><th style="text-align:left;padding:2px 8px">run</th><th style="text-align:left;padding:2px 8px">label</th>`)
	for _, c := range cols {
		fmt.Fprintf(&b, `<th style="text-align:right;padding:2px 8px">%s</th>`, escape(c))
	}
	b.WriteString("</tr>")
	for _, h := range runs {
		fmt.Fprintf(&b, `<tr><td style="padding:2px 8px">%s</td><td style="padding:2px 8px">%s</td>`, escape(h.Name), escape(h.Label))
		var last maac.Metrics
		if len(h.Metrics) > 0 {
			last = h.Metrics[len(h.Metrics)-1]
		}
		for _, c := range cols {
			v, ok := last[c]
			cell := "-"
			if ok {
				cell = fmt.Sprintf("%.4g", v)
			}
			fmt.Fprintf(&b, `<td style="text-align:right;padding:2px 8px">%s</td>`, cell)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String()
}
