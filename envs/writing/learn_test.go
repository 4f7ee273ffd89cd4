package writing_test

import (
	"testing"

	_ "github.com/collm/collm/envs/writing" // registers writing-mini
	"github.com/collm/collm/maac"
)

// TestMiniIsLearnable trains two tiny agents from random weights on writing-mini with CoLLM-CC
// and checks that the episode return rises clearly: the CPU-scale variant must give a signal
// that tiny agents can follow within minutes.
func TestMiniIsLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	cfg := maac.RunConfig{Env: "writing-mini", Algorithm: "cc",
		CC: &maac.CCConfig{Common: maac.Common{NumGenerations: 4, TasksPerUpdate: 4, MaxNewTokens: 16,
			Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1}, ActorCritic: maac.ActorCritic{CriticLR: 3e-3}}}
	tr, err := maac.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var returns []float64
	for range 30 {
		m, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		returns = append(returns, m[maac.MetricEpisodeReturnMean])
	}
	first, _ := maac.MeanStd(returns[:5])
	last, _ := maac.MeanStd(returns[len(returns)-5:])
	t.Logf("episode return: first 5 updates %.4f, last 5 %.4f", first, last)
	if last < 2*first || last-first < 0.02 {
		t.Errorf("writing-mini did not learn: episode return %.4f -> %.4f", first, last)
	}
}
