package maac

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/collm/collm/maac/atomicfile"
)

// The summary of a comparison: per (condition, algorithm) the runs' budgets, final returns with a
// bootstrap confidence interval over seeds, the area under the return curve, the env steps to
// return thresholds, optimizer steps, the measured relative gradient variance and wall time, and
// for every algorithm after the first its difference to the first with a confidence interval and
// a permutation test.

// CompareSummary is DIR/summary.json.
type CompareSummary struct {
	Spec CompareSpec   `json:"spec"`
	Rows []*SummaryRow `json:"rows"`
}

// SummaryRow summarizes the runs of one algorithm under one condition. Per-seed lists follow
// Seeds; a seed whose run has logged nothing yet is left out.
type SummaryRow struct {
	Algo      string            `json:"algo"`
	Condition map[string]string `json:"condition"`
	Seeds     []uint64          `json:"seeds"`
	// EnvSteps are the env steps each run used: its budget, overshot by at most one update.
	EnvSteps []int `json:"env_steps"`
	// FinalReturns is each run's mean undiscounted episode return over the updates in the last
	// 10% of the budget (its last update when none is); FinalReturnMean their mean and
	// FinalReturnCI95 its 95% percentile-bootstrap interval over seeds (10,000 resamples).
	FinalReturns    []float64  `json:"final_returns"`
	FinalReturnMean float64    `json:"final_return_mean"`
	FinalReturnCI95 [2]float64 `json:"final_return_ci95"`
	// AUCMean is the mean over seeds of the area under the episode-return curve over the budget,
	// normalized by the budget: each update's return counts for the env steps it consumed, so it
	// is the mean return per env step.
	AUC     []float64 `json:"auc"`
	AUCMean float64   `json:"auc_mean"`
	// StepsTo holds, per threshold of the spec, the env step at which each run's moving average
	// over 3 updates of the episode return first reached it (null: not within the budget).
	StepsTo []ThresholdSteps `json:"steps_to"`
	// OptimizerStepsMean is the mean over seeds and agents of the actors' optimizer steps.
	OptimizerStepsMean float64 `json:"optimizer_steps_mean"`
	// GradRelativeVarianceMean is the mean over seeds, updates and agents of the measured
	// relative gradient variance (null when the measurement was off).
	GradRelativeVarianceMean *float64 `json:"grad_relative_variance_mean"`
	// GradRelativeVarianceMedian is the median of the same measurements. The mean is dominated
	// by updates whose mean gradient nearly vanishes (a converged policy, or advantages that
	// are all about 0), where the ratio explodes; the median is the typical update.
	GradRelativeVarianceMedian *float64 `json:"grad_relative_variance_median"`
	// WallS is the mean wall time of a run, in seconds.
	WallS float64 `json:"wall_s"`
	// VsFirst compares the final returns with those of the first algorithm under the same
	// condition (nil for the first algorithm).
	VsFirst *Difference `json:"vs_first,omitempty"`
}

// ThresholdSteps are the env steps to one return threshold.
type ThresholdSteps struct {
	Threshold float64 `json:"threshold"`
	EnvSteps  []*int  `json:"env_steps"`
	Reached   int     `json:"reached"`
}

// Difference is meanOf(final returns) - meanOf(baseline's final returns), with its 95% bootstrap
// interval (each group resampled over its seeds) and the p-value of Test.
type Difference struct {
	Baseline string     `json:"baseline"`
	Mean     float64    `json:"diff_mean"`
	CI95     [2]float64 `json:"diff_ci95"`
	PValue   float64    `json:"p_value"`
	Test     string     `json:"test"`
}

// permutationTestName names the significance test of Difference.
const permutationTestName = "two-sided permutation test of the difference of the mean final returns (exact when the seeds allow, else 20,000 random permutations)"

// SummarizeCompare reads the comparison in dir, writes DIR/summary.json and DIR/summary.csv, and
// returns the summary. It summarizes what the runs have logged so far, so it also works while a
// comparison runs.
func SummarizeCompare(dir string) (*CompareSummary, error) {
	data, err := os.ReadFile(filepath.Join(dir, "compare.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a comparison (no compare.json)", dir)
	}
	if err != nil {
		return nil, err
	}
	var spec CompareSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s/compare.json is corrupt: %w", dir, err)
	}
	runs, err := spec.Layout(dir)
	if err != nil {
		return nil, err
	}
	sum := &CompareSummary{Spec: spec}
	rows := map[string]*SummaryRow{}
	first := map[string]*SummaryRow{}
	for _, cond := range spec.conditions() {
		for _, algo := range spec.Algorithms {
			row := &SummaryRow{Algo: algo, Condition: cond}
			for _, th := range spec.Thresholds {
				row.StepsTo = append(row.StepsTo, ThresholdSteps{Threshold: th})
			}
			rows[ConditionName(cond)+"/"+algo] = row
			sum.Rows = append(sum.Rows, row)
		}
		first[ConditionName(cond)] = rows[ConditionName(cond)+"/"+spec.Algorithms[0]]
	}
	gradVar, gradVarAll := map[*SummaryRow][]float64{}, map[*SummaryRow][]float64{}
	for _, run := range runs {
		ms, err := ReadMetrics(filepath.Join(run.Dir, "metrics.jsonl"))
		if errors.Is(err, os.ErrNotExist) || (err == nil && len(ms) == 0) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", run.Name, err)
		}
		row := rows[ConditionName(run.Condition)+"/"+run.Algorithm]
		rs := summarizeRun(ms, run.EnvSteps, spec.Thresholds)
		row.Seeds = append(row.Seeds, run.Seed)
		row.EnvSteps = append(row.EnvSteps, rs.envSteps)
		row.FinalReturns = append(row.FinalReturns, rs.finalReturn)
		row.AUC = append(row.AUC, rs.auc)
		for i := range row.StepsTo {
			row.StepsTo[i].EnvSteps = append(row.StepsTo[i].EnvSteps, rs.stepsTo[i])
			if rs.stepsTo[i] != nil {
				row.StepsTo[i].Reached++
			}
		}
		row.OptimizerStepsMean += rs.optimizerSteps
		row.WallS += rs.wall
		if rs.hasGradVar {
			gradVar[row] = append(gradVar[row], rs.gradVar)
			gradVarAll[row] = append(gradVarAll[row], rs.gradVars...)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, row := range sum.Rows {
		n := float64(len(row.Seeds))
		if n == 0 {
			continue
		}
		row.FinalReturnMean = meanOf(row.FinalReturns)
		row.FinalReturnCI95 = bootstrapCI(row.FinalReturns, rng)
		row.AUCMean = meanOf(row.AUC)
		row.OptimizerStepsMean /= n
		row.WallS /= n
		if gv := gradVar[row]; len(gv) > 0 {
			m, med := meanOf(gv), medianOf(gradVarAll[row])
			row.GradRelativeVarianceMean, row.GradRelativeVarianceMedian = &m, &med
		}
	}
	for _, row := range sum.Rows {
		base := first[ConditionName(row.Condition)]
		if row == base || len(row.Seeds) == 0 || len(base.Seeds) == 0 {
			continue
		}
		d := &Difference{Baseline: base.Algo, Mean: row.FinalReturnMean - base.FinalReturnMean, Test: permutationTestName}
		d.CI95 = bootstrapDiffCI(row.FinalReturns, base.FinalReturns, rng)
		d.PValue = permutationTest(row.FinalReturns, base.FinalReturns, rng)
		row.VsFirst = d
	}
	if err := sum.write(dir); err != nil {
		return nil, err
	}
	return sum, nil
}

// runSummary is what the summary takes from one run's metrics.
type runSummary struct {
	envSteps         int
	finalReturn, auc float64
	stepsTo          []*int
	optimizerSteps   float64
	gradVar, wall    float64
	gradVars         []float64 // every measurement of the relative gradient variance
	hasGradVar       bool
}

func summarizeRun(ms []Metrics, budget int, thresholds []float64) runSummary {
	var rs runSummary
	last := ms[len(ms)-1]
	rs.envSteps = int(last[MetricEnvStep])
	var final []float64
	prev := 0.0
	var recent []float64
	rs.stepsTo = make([]*int, len(thresholds))
	var gradSum float64
	var gradN int
	for _, m := range ms {
		step, ret := m[MetricEnvStep], m[MetricEpisodeReturnMean]
		if step > 0.9*float64(budget) {
			final = append(final, ret)
		}
		rs.auc += ret * (math.Min(step, float64(budget)) - math.Min(prev, float64(budget))) / float64(budget)
		prev = step
		recent = append(recent, ret)
		if len(recent) > 3 {
			recent = recent[1:]
		}
		for i, th := range thresholds {
			if rs.stepsTo[i] == nil && len(recent) == 3 && meanOf(recent) >= th {
				s := int(step)
				rs.stepsTo[i] = &s
			}
		}
		rs.wall += m[MetricTimeUpdate] + m[MetricTimeWarmStart]
		for k, v := range m {
			if strings.HasPrefix(k, "grad/agent/") && strings.HasSuffix(k, "/relative_variance") && !math.IsInf(v, 0) && !math.IsNaN(v) {
				gradSum += v
				gradN++
				rs.gradVars = append(rs.gradVars, v)
			}
		}
	}
	if len(final) == 0 {
		final = []float64{last[MetricEpisodeReturnMean]}
	}
	rs.finalReturn = meanOf(final)
	agents := 0
	for k, v := range last {
		if strings.HasPrefix(k, "optim/agent/") {
			rs.optimizerSteps += v
			agents++
		}
	}
	if agents > 0 {
		rs.optimizerSteps /= float64(agents)
	}
	if gradN > 0 {
		rs.gradVar, rs.hasGradVar = gradSum/float64(gradN), true
	}
	return rs
}

// write saves the summary as DIR/summary.json and DIR/summary.csv.
func (s *CompareSummary) write(dir string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "summary.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	header := []string{"condition", "algo", "seeds", "env_steps", "final_return_mean", "final_return_ci95_lo", "final_return_ci95_hi", "auc_mean"}
	for _, th := range s.Spec.Thresholds {
		header = append(header, fmt.Sprintf("steps_to_%g", th), fmt.Sprintf("reached_%g", th))
	}
	header = append(header, "optimizer_steps_mean", "grad_relative_variance_mean", "grad_relative_variance_median", "wall_s", "vs_first", "diff_mean", "diff_ci95_lo", "diff_ci95_hi", "p_value")
	w.Write(header)
	for _, r := range s.Rows {
		rec := []string{ConditionName(r.Condition), r.Algo, joinNumbers(r.Seeds), joinNumbers(r.EnvSteps),
			num(r.FinalReturnMean), num(r.FinalReturnCI95[0]), num(r.FinalReturnCI95[1]), num(r.AUCMean)}
		for _, st := range r.StepsTo {
			steps := make([]string, len(st.EnvSteps))
			for i, s := range st.EnvSteps {
				steps[i] = "-"
				if s != nil {
					steps[i] = fmt.Sprint(*s)
				}
			}
			rec = append(rec, strings.Join(steps, ";"), fmt.Sprint(st.Reached))
		}
		gv, gvMedian := "", ""
		if r.GradRelativeVarianceMean != nil {
			gv, gvMedian = num(*r.GradRelativeVarianceMean), num(*r.GradRelativeVarianceMedian)
		}
		rec = append(rec, num(r.OptimizerStepsMean), gv, gvMedian, num(r.WallS))
		if d := r.VsFirst; d != nil {
			rec = append(rec, d.Baseline, num(d.Mean), num(d.CI95[0]), num(d.CI95[1]), num(d.PValue))
		} else {
			rec = append(rec, "", "", "", "", "")
		}
		w.Write(rec)
	}
	w.Flush()
	return atomicfile.WriteFile(filepath.Join(dir, "summary.csv"), []byte(b.String()), 0o644)
}

func num(x float64) string { return fmt.Sprintf("%.6g", x) }

func joinNumbers[T any](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ";")
}

// medianOf is the median of xs (which it sorts), 0 for none.
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func meanOf(xs []float64) float64 {
	m, _ := MeanStd(xs)
	return m
}

// MeanCI95 returns the mean of xs with its 95% percentile-bootstrap interval over the values
// (10,000 resamples from a fixed stream, so the same values give the same interval).
func MeanCI95(xs []float64) (mean, lo, hi float64) {
	ci := bootstrapCI(xs, rand.New(rand.NewPCG(1, 2)))
	return meanOf(xs), ci[0], ci[1]
}

// bootstrapCI is the 95% percentile-bootstrap interval of the mean of xs (10,000 resamples;
// the mean itself for one value).
func bootstrapCI(xs []float64, rng *rand.Rand) [2]float64 {
	if len(xs) < 2 {
		m := meanOf(xs)
		return [2]float64{m, m}
	}
	means := make([]float64, 10000)
	for b := range means {
		means[b] = resampledMean(xs, rng)
	}
	return percentiles(means)
}

// bootstrapDiffCI is the 95% percentile-bootstrap interval of meanOf(a) - meanOf(b), each resampled
// over its own values.
func bootstrapDiffCI(a, b []float64, rng *rand.Rand) [2]float64 {
	diffs := make([]float64, 10000)
	for i := range diffs {
		diffs[i] = resampledMean(a, rng) - resampledMean(b, rng)
	}
	return percentiles(diffs)
}

func resampledMean(xs []float64, rng *rand.Rand) float64 {
	sum := 0.0
	for range xs {
		sum += xs[rng.IntN(len(xs))]
	}
	return sum / float64(len(xs))
}

// percentiles returns the 2.5th and 97.5th percentiles of xs (sorted in place), interpolating
// linearly between order statistics.
func percentiles(xs []float64) [2]float64 {
	slices.Sort(xs)
	at := func(q float64) float64 {
		pos := q * float64(len(xs)-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, len(xs)-1)
		return xs[lo] + (pos-float64(lo))*(xs[hi]-xs[lo])
	}
	return [2]float64{at(0.025), at(0.975)}
}

// permutationTest is the two-sided p-value of the difference of the means of a and b under the
// hypothesis that the labels are exchangeable: the share of relabellings whose absolute
// difference is at least the observed one, over every relabelling when there are at most
// 100,000, else over 20,000 random ones (counting the observed labelling, so p > 0).
func permutationTest(a, b []float64, rng *rand.Rand) float64 {
	all := append(append([]float64(nil), a...), b...)
	n, k := len(all), len(a)
	total := 0.0
	for _, x := range all {
		total += x
	}
	observed := math.Abs(meanOf(a) - meanOf(b))
	diff := func(sumA float64) float64 {
		return math.Abs(sumA/float64(k) - (total-sumA)/float64(n-k))
	}
	const eps = 1e-12
	if binomial(n, k) <= 100000 {
		extreme, count := 0, 0
		var walk func(start, left int, sum float64)
		walk = func(start, left int, sum float64) {
			if left == 0 {
				count++
				if diff(sum) >= observed-eps {
					extreme++
				}
				return
			}
			for i := start; i <= n-left; i++ {
				walk(i+1, left-1, sum+all[i])
			}
		}
		walk(0, k, 0)
		return float64(extreme) / float64(count)
	}
	const draws = 20000
	extreme := 1
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for range draws {
		rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		sum := 0.0
		for _, i := range idx[:k] {
			sum += all[i]
		}
		if diff(sum) >= observed-eps {
			extreme++
		}
	}
	return float64(extreme) / float64(draws+1)
}

func binomial(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}
