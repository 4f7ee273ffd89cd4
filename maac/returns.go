package maac

import (
	"fmt"
	"math"
)

// This file holds the return, target and advantage arithmetic shared by the algorithms, with the
// paper's names. Everything works on one sequence of turns t = 0..T (one path through an episode)
// or on one group of K samples of the same node; the algorithms assemble those from rollouts.

// TDTargets returns the TD(0) targets of one path: y_t = r_t + gamma * V_old(h_{t+1}) for a turn
// whose episode goes on, y_t = r_t at the last turn. nextValues[t] is V_old(h_{t+1}) computed at
// rollout time (ignored where done[t]).
func TDTargets(rewards, nextValues []float64, done []bool, gamma float64) []float64 {
	checkLens("TDTargets", len(rewards), len(nextValues), len(done))
	tdTargets := make([]float64, len(rewards))
	for t, r := range rewards {
		tdTargets[t] = r
		if !done[t] {
			tdTargets[t] += gamma * nextValues[t]
		}
	}
	return tdTargets
}

// NStepTargets returns n-step targets of one path: y_t = sum_{k<n} gamma^k r_{t+k} +
// gamma^n V_old(h_{t+n}), truncated at the end of the episode. values[t] is V_old(h_t) and
// lastNextValue is V_old after the last turn (used only if the path was cut before its end, i.e.
// done[last] is false). n = 1 gives TDTargets.
func NStepTargets(rewards, values []float64, done []bool, lastNextValue, gamma float64, n int) []float64 {
	checkLens("NStepTargets", len(rewards), len(values), len(done))
	if n < 1 {
		panic(fmt.Sprintf("NStepTargets: n=%d, want >= 1", n))
	}
	T := len(rewards)
	targets := make([]float64, T)
	for t := range T {
		y, discount, ended := 0.0, 1.0, false
		k := t
		for ; k < T && k < t+n && !ended; k++ {
			y += discount * rewards[k]
			discount *= gamma
			ended = done[k]
		}
		switch {
		case ended:
			// the episode ended inside the window: no bootstrap
		case k == T:
			y += discount * lastNextValue
		default:
			y += discount * values[k]
		}
		targets[t] = y
	}
	return targets
}

// GAE returns generalized advantage estimates and their returns (advantages + values) of one
// path: delta_t = r_t + gamma V(h_{t+1}) (1 - done_t) - V(h_t), A_t = delta_t + gamma lambda
// (1 - done_t) A_{t+1}. lambda = 0 gives the TD(0) advantage, lambda = 1 the Monte Carlo return
// minus the value.
func GAE(rewards, values, nextValues []float64, done []bool, gamma, lambda float64) (advantages, returns []float64) {
	checkLens("GAE", len(rewards), len(values), len(nextValues), len(done))
	T := len(rewards)
	advantages, returns = make([]float64, T), make([]float64, T)
	next := 0.0
	for t := T - 1; t >= 0; t-- {
		notDone := 1.0
		if done[t] {
			notDone = 0
		}
		delta := rewards[t] + gamma*nextValues[t]*notDone - values[t]
		next = delta + gamma*lambda*notDone*next
		advantages[t] = next
		returns[t] = next + values[t]
	}
	return advantages, returns
}

// Baseline is how the Monte Carlo family turns the K returns of one node into advantages.
type Baseline string

const (
	BaselineMean Baseline = "mean" // MAGRPO: b = mean over the group
	BaselineRLOO Baseline = "rloo" // MARLOO: b = mean over the other K-1 samples
	BaselineMax  Baseline = "max"  // MAREMAX: b = max over the group
	BaselineRaw  Baseline = "raw"  // MA-REINFORCE: b = 0
)

// Validate reports an unknown baseline.
func (b Baseline) Validate() error {
	switch b {
	case BaselineMean, BaselineRLOO, BaselineMax, BaselineRaw:
		return nil
	}
	return fmt.Errorf("baseline %q: want mean, rloo, max or raw", string(b))
}

// GroupAdvantages returns R^k - b for the K returns of one node. RLOO needs K >= 2.
func GroupAdvantages(returns []float64, b Baseline) []float64 {
	K := len(returns)
	advantages := make([]float64, K)
	sum, maxR := 0.0, math.Inf(-1)
	for _, r := range returns {
		sum += r
		maxR = math.Max(maxR, r)
	}
	for k, r := range returns {
		switch b {
		case BaselineMean:
			advantages[k] = r - sum/float64(K)
		case BaselineRLOO:
			if K < 2 {
				panic("GroupAdvantages: rloo needs at least 2 samples per node")
			}
			advantages[k] = r - (sum-r)/float64(K-1)
		case BaselineMax:
			advantages[k] = r - maxR
		case BaselineRaw:
			advantages[k] = r
		default:
			panic(b.Validate())
		}
	}
	return advantages
}

// MeanStd returns the mean and the sample standard deviation (n-1 denominator; 0 when n < 2).
func MeanStd(xs []float64) (mean, std float64) {
	n := len(xs)
	if n == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(n)
	if n < 2 {
		return mean, 0
	}
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(n-1))
}

// meanPopStd returns the mean and the population standard deviation (n denominator, torch's
// std(unbiased=False)).
func meanPopStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}

// KLk3 is the k3 estimator of KL(pi || ref) summed over a response's tokens:
// sum_k exp(lr_k) - lr_k - 1 with lr_k = log p_ref(token_k) - log p_pi(token_k). It is >= 0 and
// unbiased for samples drawn from pi.
func KLk3(logpRef, logpPi []float64) float64 {
	checkLens("KLk3", len(logpRef), len(logpPi))
	kl := 0.0
	for k := range logpRef {
		lr := logpRef[k] - logpPi[k]
		kl += math.Exp(lr) - lr - 1
	}
	return kl
}

func checkLens(fn string, lens ...int) {
	for _, n := range lens[1:] {
		if n != lens[0] {
			panic(fmt.Sprintf("%s: slices of different lengths %v", fn, lens))
		}
	}
}
