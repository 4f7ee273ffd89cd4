package writing_test

import (
	"testing"

	_ "github.com/collm/collm/envs/writing" // registers writing-mini
	"github.com/collm/collm/maac"
	"github.com/collm/collm/maac/maactest"
)

// TestMiniIsLearnable trains two tiny agents from random weights on writing-mini with MAGRPO
// and the env's word-level vocabulary, and checks that the agents learn the exact task: the
// share of episodes passing level 1 or more (Info levels_passed, which shaping does not touch)
// must rise from 0.02 or less to 0.1 or more within 400 updates. The measured curves are in
// docs/EXPERIMENTS.md.
func TestMiniIsLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	cfg := maac.RunConfig{Env: "writing-mini", Algorithm: "magrpo",
		MC: &maac.MCConfig{Common: maac.Common{NumGenerations: 4, TasksPerUpdate: 8, MaxNewTokens: 4,
			Temperature: 1, TopP: 1, ActorLR: 3e-4, Seed: 1, GradVarMicroBatches: -1}}}
	tr, err := maac.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	levels := maactest.Curves(t, tr, 400, "info/levels_passed/mean")[0]
	first, last := maactest.Mean(levels[:50]), maactest.Mean(levels[len(levels)-50:])
	t.Logf("levels passed per episode: first 50 updates %.3f, last 50 %.3f", first, last)
	if first > 0.02 || last < 0.1 {
		t.Errorf("writing-mini was not learned: levels passed %.3f -> %.3f (want <= 0.02 -> >= 0.1)", first, last)
	}
}
