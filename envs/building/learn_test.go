package building_test

import (
	"fmt"
	"testing"

	_ "github.com/collm/collm/envs/building"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/maac/maactest"
)

// TestMiniLearnable trains tiny agents from scratch on the mini building games with their
// default options (2 turns, 2 agents, the exact game reward) and the default word-level
// tokenizer over the env's vocabulary, temperature 1, actor lr 1e-3: MAGRPO (K=4, tree
// rollouts, 6 new tokens) on strbuild-mini for 200 updates and CoLLM-CC (K=8 chains, GAE
// targets, critic lr 3e-3, 4 new tokens) on housebuild-mini for 150 updates, 4 tasks per update.
// It checks the building itself, averaged over the last 20 updates: the IoU of the letters
// (strbuild-mini) and the fraction of hut cells that match the blueprint (housebuild-mini).
// Each must reach a floor (IoU 0.45, match 0.45) and exceed its mean over the first 10 updates
// by a rise (0.3, 0.15); learning the command format alone earns no rise, since nearly every
// vocabulary piece is a command. The seeds come from maactest.Seeds; the measured curves are
// in docs/EXPERIMENTS.md.
func TestMiniLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	for _, seed := range maactest.Seeds(t) {
		learnToBuild(t, seed)
	}
}

func learnToBuild(t *testing.T, seed uint64) {
	common := func(k, tokens int) maac.Common {
		return maac.Common{NumGenerations: k, TasksPerUpdate: 4, MaxNewTokens: tokens, Temperature: 1, TopP: 1,
			ActorLR: 1e-3, Seed: seed, GradVarMicroBatches: -1}
	}
	for _, tc := range []struct {
		cfg         maac.RunConfig
		n           int
		metric      string
		floor, rise float64
	}{
		{maac.RunConfig{Env: "strbuild-mini", Algorithm: "magrpo", MC: &maac.MCConfig{Common: common(4, 6)}},
			200, "info/iou/mean", 0.45, 0.3},
		{maac.RunConfig{Env: "housebuild-mini", Algorithm: "cc", CC: &maac.CCConfig{Common: common(8, 4),
			ActorCritic: maac.ActorCritic{CriticLR: 3e-3, Targets: "gae"}}},
			150, "reward/match_fraction/mean", 0.45, 0.15},
	} {
		t.Run(fmt.Sprintf("%s/seed=%d", tc.cfg.Env, seed), func(t *testing.T) {
			tr, err := maac.Build(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			curve := maactest.Curves(t, tr, tc.n, tc.metric)[0]
			before, after := maactest.Mean(curve[:10]), maactest.Mean(curve[len(curve)-20:])
			t.Logf("%s %s seed %d: %s %.3f (first 10 updates) -> %.3f (last 20)", tc.cfg.Env, tc.cfg.Algorithm, seed, tc.metric, before, after)
			if after < tc.floor || after < before+tc.rise {
				t.Errorf("%s did not learn to build: %s %.3f -> %.3f, want at least %.2f and a rise of %.2f",
					tc.cfg.Env, tc.metric, before, after, tc.floor, tc.rise)
			}
		})
	}
}
