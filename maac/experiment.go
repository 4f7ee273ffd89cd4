package maac

import "fmt"

// SampleEfficiency is the outcome of training one run towards return thresholds.
type SampleEfficiency struct {
	Algorithm string
	Seed      uint64
	// Thresholds and, for each, the env_step at which the moving average (over Window updates)
	// of episode/return/mean first reached it; -1 when it never did within the budget.
	Thresholds []float64
	EnvSteps   []int
	// Spent is the env steps of the whole run and FinalReturn the last moving average.
	Spent       int
	FinalReturn float64
}

// StepsToThresholds trains the run cfg describes until it has used maxEnvSteps env steps (or
// reached every threshold) and reports when the moving average over window updates of the
// undiscounted episode return first reached each threshold. It is the measure of the paper's
// sample-efficiency claim: fewer env steps is better.
func StepsToThresholds(cfg RunConfig, thresholds []float64, window, maxEnvSteps int) (SampleEfficiency, error) {
	t, err := Build(cfg)
	if err != nil {
		return SampleEfficiency{}, err
	}
	res := SampleEfficiency{Algorithm: t.Algorithm(), Seed: t.common.Seed, Thresholds: thresholds,
		EnvSteps: make([]int, len(thresholds))}
	for i := range res.EnvSteps {
		res.EnvSteps[i] = -1
	}
	var recent []float64
	for t.envStep < maxEnvSteps {
		m, err := t.Step()
		if err != nil {
			return res, fmt.Errorf("%s seed %d: %w", res.Algorithm, res.Seed, err)
		}
		recent = append(recent, m[MetricEpisodeReturnMean])
		if len(recent) > window {
			recent = recent[1:]
		}
		res.FinalReturn, _ = MeanStd(recent)
		res.Spent = t.envStep
		reachedAll := true
		for i, th := range thresholds {
			if res.EnvSteps[i] < 0 && len(recent) == window && res.FinalReturn >= th {
				res.EnvSteps[i] = t.envStep
			}
			reachedAll = reachedAll && res.EnvSteps[i] >= 0
		}
		if reachedAll {
			break
		}
	}
	return res, nil
}
