package maac

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func nearAll(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %v, want %v", name, got, want)
	}
	for i := range got {
		if !near(got[i], want[i]) {
			t.Fatalf("%s: got %v, want %v", name, got, want)
		}
	}
}

func TestTDTargets(t *testing.T) {
	tests := []struct {
		name       string
		rewards    []float64
		nextValues []float64
		done       []bool
		gamma      float64
		want       []float64
	}{
		{"single turn: y = r", []float64{0.7}, []float64{123}, []bool{true}, 0.9, []float64{0.7}},
		{"two turns", []float64{1, 2}, []float64{0.5, 9}, []bool{false, true}, 0.9, []float64{1 + 0.9*0.5, 2}},
		{"gamma 1, three turns", []float64{0, 0, 1}, []float64{0.2, 0.4, 7}, []bool{false, false, true}, 1, []float64{0.2, 0.4, 1}},
		{"negative reward shift", []float64{-4, -3.5}, []float64{-3.2, 0}, []bool{false, true}, 0.9, []float64{-4 - 0.9*3.2, -3.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nearAll(t, "td_targets", TDTargets(tt.rewards, tt.nextValues, tt.done, tt.gamma), tt.want)
		})
	}
}

func TestNStepTargets(t *testing.T) {
	rewards := []float64{1, 2, 3}
	values := []float64{10, 20, 30}
	done := []bool{false, false, true}
	// n = 1 equals TD(0) with nextValues = values shifted.
	nearAll(t, "n=1", NStepTargets(rewards, values, done, 0, 0.5, 1), TDTargets(rewards, []float64{20, 30, 0}, done, 0.5))
	// n = 2: y0 = 1 + .5*2 + .25*V2 = 1 + 1 + 7.5; y1 = 2 + .5*3 (episode ends); y2 = 3.
	nearAll(t, "n=2", NStepTargets(rewards, values, done, 0, 0.5, 2), []float64{9.5, 3.5, 3})
	// n large = Monte Carlo return.
	nearAll(t, "n=10", NStepTargets(rewards, values, done, 0, 0.5, 10), []float64{1 + 1 + 0.75, 2 + 1.5, 3})
	// A path cut before the end bootstraps from lastNextValue.
	nearAll(t, "cut", NStepTargets([]float64{1, 1}, []float64{5, 6}, []bool{false, false}, 8, 1, 3), []float64{10, 9})
}

func TestGAE(t *testing.T) {
	rewards := []float64{1, 0, 2}
	values := []float64{0.5, 1, 1.5}
	nextValues := []float64{1, 1.5, 0}
	done := []bool{false, false, true}
	gamma := 0.9
	// lambda = 0: one-step TD errors.
	adv, ret := GAE(rewards, values, nextValues, done, gamma, 0)
	nearAll(t, "lambda=0", adv, []float64{1 + 0.9*1 - 0.5, 0 + 0.9*1.5 - 1, 2 - 1.5})
	nearAll(t, "returns", ret, TDTargets(rewards, nextValues, done, gamma))
	// lambda = 1: discounted Monte Carlo return minus the value.
	adv, _ = GAE(rewards, values, nextValues, done, gamma, 1)
	mc := []float64{1 + 0.9*0 + 0.81*2, 0 + 0.9*2, 2}
	nearAll(t, "lambda=1", adv, []float64{mc[0] - 0.5, mc[1] - 1, mc[2] - 1.5})
	// lambda = 0.5 by hand: d = [1.4, 0.35, 0.5]; A2 = .5; A1 = .35 + .45*.5; A0 = 1.4 + .45*A1.
	adv, _ = GAE(rewards, values, nextValues, done, gamma, 0.5)
	a1 := 0.35 + 0.45*0.5
	nearAll(t, "lambda=0.5", adv, []float64{1.4 + 0.45*a1, a1, 0.5})
}

func TestGroupAdvantages(t *testing.T) {
	R := []float64{1, 2, 3, 6}
	tests := []struct {
		b    Baseline
		want []float64
	}{
		{BaselineMean, []float64{-2, -1, 0, 3}},
		{BaselineRLOO, []float64{1 - 11.0/3, 2 - 10.0/3, 3 - 3, 6 - 2}},
		{BaselineMax, []float64{-5, -4, -3, 0}},
		{BaselineRaw, []float64{1, 2, 3, 6}},
	}
	for _, tt := range tests {
		t.Run(string(tt.b), func(t *testing.T) {
			nearAll(t, string(tt.b), GroupAdvantages(R, tt.b), tt.want)
		})
	}
	if err := Baseline("median").Validate(); err == nil {
		t.Error("unknown baseline accepted")
	}
}

func TestKLk3(t *testing.T) {
	if kl := KLk3([]float64{-1, -2}, []float64{-1, -2}); kl != 0 {
		t.Errorf("KL of identical log-probs = %v, want 0", kl)
	}
	// lr = log(0.5) - log(0.25) = log 2: exp(lr) - lr - 1 = 1 - log 2.
	if kl := KLk3([]float64{math.Log(0.5)}, []float64{math.Log(0.25)}); !near(kl, 1-math.Log(2)) {
		t.Errorf("KL = %v, want %v", kl, 1-math.Log(2))
	}
	// Unbiased: E_pi[k3] equals KL(pi||ref) for a two-outcome distribution.
	pi, ref := []float64{0.8, 0.2}, []float64{0.5, 0.5}
	want := 0.8*math.Log(0.8/0.5) + 0.2*math.Log(0.2/0.5)
	got := 0.0
	for i := range pi {
		got += pi[i] * KLk3([]float64{math.Log(ref[i])}, []float64{math.Log(pi[i])})
	}
	if !near(got, want) {
		t.Errorf("E[k3] = %v, want KL %v", got, want)
	}
}

func TestGradientStatsKnownVariance(t *testing.T) {
	// Hand case: g1 = (1, 0), g2 = (3, 0): mean (2, 0); var = (1 + 1) / 1 = 2; rel = 2/4.
	s, err := GradientStats([][]float32{{1, 0}, {3, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if !near(s.Variance, 2) || !near(s.RelativeVariance, 0.5) || !near(s.Norm, 2) {
		t.Errorf("stats = %+v", s)
	}
	// Synthetic: M gradients = mu + N(0, sigma^2 I) in D dims; E[var] = D sigma^2.
	rng := rand.New(rand.NewPCG(1, 2))
	const M, D, sigma = 64, 500, 0.3
	grads := make([][]float32, M)
	for m := range grads {
		grads[m] = make([]float32, D)
		for j := range grads[m] {
			grads[m][j] = float32(1 + sigma*rng.NormFloat64())
		}
	}
	s, _ = GradientStats(grads)
	want := D * sigma * sigma
	if math.Abs(s.Variance-want)/want > 0.05 {
		t.Errorf("variance %v, want about %v", s.Variance, want)
	}
	if math.Abs(s.Norm-math.Sqrt(D))/math.Sqrt(D) > 0.02 {
		t.Errorf("norm %v, want about %v", s.Norm, math.Sqrt(D))
	}
	if _, err := GradientStats(grads[:1]); err == nil {
		t.Error("one micro-batch accepted")
	}
	if _, err := GradientStats([][]float32{{1, 2}, {1}}); err == nil {
		t.Error("ragged gradients accepted")
	}
}
