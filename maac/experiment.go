package maac

import "fmt"

// SampleEfficiency is the outcome of training one run until a return threshold.
type SampleEfficiency struct {
	Algorithm string
	Seed      uint64
	Reached   bool
	// EnvSteps is env_step when the moving average of episode/return/mean over Window updates
	// first reached the threshold (or the env steps spent when it did not).
	EnvSteps int
	Updates  int
	// FinalReturn is the moving average at the end.
	FinalReturn float64
}

// StepsToThreshold trains the run cfg describes for at most maxUpdates updates and reports when
// the moving average (over window updates) of the undiscounted episode return first reached
// threshold. It is the measure of the paper's sample-efficiency claim: fewer env steps is better.
func StepsToThreshold(cfg RunConfig, threshold float64, window, maxUpdates int) (SampleEfficiency, error) {
	t, err := Build(cfg)
	if err != nil {
		return SampleEfficiency{}, err
	}
	res := SampleEfficiency{Algorithm: t.Algorithm(), Seed: t.common.Seed}
	var recent []float64
	for u := 1; u <= maxUpdates; u++ {
		m, err := t.Step()
		if err != nil {
			return res, fmt.Errorf("%s seed %d: %w", res.Algorithm, res.Seed, err)
		}
		recent = append(recent, m[MetricEpisodeReturnMean])
		if len(recent) > window {
			recent = recent[1:]
		}
		res.FinalReturn, _ = MeanStd(recent)
		res.EnvSteps, res.Updates = t.envStep, u
		if len(recent) == window && res.FinalReturn >= threshold {
			res.Reached = true
			return res, nil
		}
	}
	return res, nil
}
