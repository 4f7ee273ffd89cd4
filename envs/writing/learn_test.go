package writing_test

import (
	"fmt"
	"testing"

	_ "github.com/collm/collm/envs/writing" // registers writing-mini
	"github.com/collm/collm/maac"
	"github.com/collm/collm/maac/maactest"
)

// TestMiniIsLearnable trains two tiny agents from random weights on writing-mini with MAGRPO
// and with CoLLM-CC, on the env's word-level vocabulary (K=4, 8 tasks per update, 4 new tokens,
// temperature 1, lr 3e-4, the reference's cadence and optimizer otherwise), and checks that
// they learn the exact task: the share of episodes passing level 1 or more (Info
// levels_passed, which shaping does not touch) must rise from 0.02 or less over the first 50
// updates to 0.1 or more over the last 50 of 400. The seeds come from maactest.Seeds; the
// measured curves are in docs/EXPERIMENTS.md.
func TestMiniIsLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	common := maac.Common{NumGenerations: 4, TasksPerUpdate: 8, MaxNewTokens: 4, Temperature: 1, TopP: 1,
		ActorLR: 3e-4, GradVarMicroBatches: -1}
	for _, seed := range maactest.Seeds(t) {
		common.Seed = seed
		for _, cfg := range []maac.RunConfig{
			{Env: "writing-mini", Algorithm: "magrpo", MC: &maac.MCConfig{Common: common}},
			{Env: "writing-mini", Algorithm: "cc", CC: &maac.CCConfig{Common: common, ActorCritic: maac.ActorCritic{CriticLR: 3e-4}}},
		} {
			t.Run(fmt.Sprintf("%s/seed=%d", cfg.Algorithm, seed), func(t *testing.T) {
				tr, err := maac.Build(cfg)
				if err != nil {
					t.Fatal(err)
				}
				levels := maactest.Curves(t, tr, 400, "info/levels_passed/mean")[0]
				first, last := maactest.Mean(levels[:50]), maactest.Mean(levels[len(levels)-50:])
				t.Logf("%s seed %d: levels passed per episode: first 50 updates %.3f, last 50 %.3f", cfg.Algorithm, seed, first, last)
				if first > 0.02 || last < 0.1 {
					t.Errorf("writing-mini was not learned: levels passed %.3f -> %.3f (want <= 0.02 -> >= 0.1)", first, last)
				}
			})
		}
	}
}
