package widgets

import (
	"fmt"
	"math"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/collm/collm/maac"
)

// The charts of one or more runs. Every chart's x-axis is env_step. A label with several runs
// (seeds) is drawn as its mean with dashed mean +/- std lines.

// ReturnsChart plots the undiscounted episode return of each run or label; for a single run it
// adds the discounted return of every turn.
func ReturnsChart(runs ...*History) *charts.Line {
	metrics := []string{maac.MetricEpisodeReturnMean}
	if len(runs) == 1 {
		metrics = append(metrics, metricNames(runs, func(k string) bool {
			return strings.HasPrefix(k, "return/turn/") && strings.HasSuffix(k, "/mean")
		})...)
	}
	return metricChart("Returns", "return", false, runs, metrics)
}

// GradVarianceChart plots each agent's measured policy-gradient variance on a log scale.
func GradVarianceChart(runs ...*History) *charts.Line {
	return metricChart("Gradient variance", "variance (log)", true, runs, metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "grad/agent/") && strings.HasSuffix(k, "/variance")
	}))
}

// RelativeGradVarianceChart plots variance / ||mean gradient||^2 of each agent (log scale): unlike
// the raw variance it does not depend on the scale of the advantages, so methods with and without
// advantage normalization compare fairly.
func RelativeGradVarianceChart(runs ...*History) *charts.Line {
	return metricChart("Relative gradient variance", "variance / norm² (log)", true, runs, metricNames(runs, func(k string) bool {
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
	return metricChart("Critic value loss", "loss (log)", true, runs, metricNames(runs, func(k string) bool {
		return strings.HasPrefix(k, "critic/") && strings.HasSuffix(k, "value_loss")
	}))
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

// ThroughputChart plots env steps and generated tokens per second.
func ThroughputChart(runs ...*History) *charts.Line {
	return metricChart("Throughput", "per second", false, runs, []string{maac.MetricEnvStepsPerSec, maac.MetricTokensPerSec})
}

// AllCharts returns every chart that has data for the runs.
func AllCharts(runs ...*History) []*charts.Line {
	var out []*charts.Line
	for _, c := range []*charts.Line{ReturnsChart(runs...), RelativeGradVarianceChart(runs...), GradVarianceChart(runs...), GradNormChart(runs...),
		CriticChart(runs...), ExplainedVarianceChart(runs...), RewardPartsChart(runs...), EnvInfoChart(runs...), EnvCountsChart(runs...),
		EntropyKLChart(runs...),
		ThroughputChart(runs...)} {
		if len(c.MultiSeries) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// metricChart draws metrics for every label: one line per (label, metric), with dashed +/- std
// lines for a label with several runs. Non-positive values are dropped on a log scale.
func metricChart(title, yName string, logScale bool, runs []*History, metrics []string) *charts.Line {
	yType := "value"
	if logScale {
		yType = "log"
	}
	line := charts.NewLine()
	line.SetGlobalOptions(
		charts.WithTitleOpts(opts.Title{Title: title}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "bottom", Type: "scroll"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "env_step", Type: "value"}),
		charts.WithYAxisOpts(opts.YAxis{Name: yName, Type: yType, Scale: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{Bottom: "70"}),
		charts.WithAnimation(false),
	)
	labels, byLabel := groups(runs)
	for _, label := range labels {
		group := byLabel[label]
		for _, metric := range metrics {
			name := metric
			if len(labels) > 1 || len(metrics) == 1 {
				name = label + " " + metric
			}
			xs, mean, std := aggregate(group, metric)
			if len(xs) == 0 {
				continue
			}
			line.AddSeries(name, points(xs, mean, logScale), charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}))
			if len(group) < 2 {
				continue
			}
			lo, hi := make([]float64, len(xs)), make([]float64, len(xs))
			for i := range xs {
				lo[i], hi[i] = mean[i]-std[i], mean[i]+std[i]
			}
			band := charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed", Opacity: opts.Float(0.5)})
			noSymbol := charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)})
			line.AddSeries(name+" -std", points(xs, lo, logScale), band, noSymbol)
			line.AddSeries(name+" +std", points(xs, hi, logScale), band, noSymbol)
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
