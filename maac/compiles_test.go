package maac

import (
	"testing"

	_ "github.com/collm/collm/envs/writing" // registers writing-mini
)

// TestCompilesStopGrowing trains CoLLM-CC on writing-mini, all 12 tasks every update, one step
// per update: every graph (generation, critic values, critic and actor steps) sees the same
// batch sizes each update and lengths that vary with the samples. Padded to buckets, the run
// compiles its graphs in the first update and never again; without buckets the lengths of the
// sampled responses keep adding graphs.
func TestCompilesStopGrowing(t *testing.T) {
	cfg := RunConfig{Env: "writing-mini", Algorithm: "cc", CC: &CCConfig{
		Common: Common{NumGenerations: 2, TasksPerUpdate: 12, MaxNewTokens: 8, Temperature: 1, TopP: 1,
			ActorLR: 3e-3, Seed: 1, Minibatch: MinibatchUpdate},
		ActorCritic: ActorCritic{CriticLR: 3e-3},
	}}
	tr := mustBuild(t, cfg)
	var counts []float64
	for range 12 {
		m, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		c, ok := m[MetricCompiles]
		if !ok {
			t.Fatalf("update %d has no %s metric", len(counts)+1, MetricCompiles)
		}
		counts = append(counts, c)
	}
	t.Logf("%s after each update: %v", MetricCompiles, counts)
	// Generation (prefill and decode per agent), critic values, critic step and actor steps.
	if counts[0] < 7 || counts[11] > 20 {
		t.Errorf("%s = %v: want at least 7 graphs after the first update, at most 20 in all", MetricCompiles, counts)
	}
	for u := 1; u < 12; u++ {
		if counts[u] != counts[0] {
			t.Fatalf("%s grew after the first update: %v (a new shape at update %d)", MetricCompiles, counts, u+1)
		}
	}
}
