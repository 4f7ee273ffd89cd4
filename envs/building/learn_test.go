package building_test

import (
	"fmt"
	"testing"

	_ "github.com/collm/collm/envs/building"
	"github.com/collm/collm/maac"
)

// learnCurve trains tiny agents from random weights with cfg for n updates and returns the
// episode return and the mean format_shaping of every update, logging a sample now and then.
func learnCurve(t *testing.T, cfg maac.RunConfig, n int) (ret, format []float64) {
	t.Helper()
	tr, err := maac.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sample string
	tr.OnEpisode(func(e maac.Episode) error {
		if len(e.Turns) > 0 {
			sample = fmt.Sprintf("%q", e.Turns[0].Responses)
		}
		return nil
	})
	for u := range n {
		m, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		ret = append(ret, m[maac.MetricEpisodeReturnMean])
		format = append(format, m["reward/format_shaping/mean"])
		if u%20 == 0 || u == n-1 {
			t.Logf("%s update %3d: return %.3f format_shaping %.3f sample %s", cfg.Env, u, ret[u], format[u], sample)
		}
	}
	return ret, format
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestMiniLearnable trains tiny MAGRPO agents from scratch (K=4, 4 tasks per update, 24 new
// tokens, temperature 1, actor lr 3e-3, seed 1) on the mini building games with their default
// options (2 turns, format shaping on) and checks that the episode return of the last 5 of 80
// updates exceeds that of the first 5 by a clear margin: 0.015 on strbuild-mini (7.5% of the
// shaping's range over 2 turns; the random policy's per-update return spreads by about 0.002)
// and 0.1 on housebuild-mini (the spiders' damage moves its return by a few hundredths). What is
// learned in 80 updates is mostly format, and on housebuild-mini the k that stops the spiders
// (see the package documentation); CoLLM-CC does not pass this test.
func TestMiniLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	for _, tc := range []struct {
		env    string
		margin float64
	}{
		{"strbuild-mini", 0.015},
		{"housebuild-mini", 0.1},
	} {
		t.Run(tc.env, func(t *testing.T) {
			cfg := maac.RunConfig{Env: tc.env, Algorithm: "magrpo",
				MC: &maac.MCConfig{Common: maac.Common{NumGenerations: 4, TasksPerUpdate: 4, MaxNewTokens: 24,
					Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1, GradVarMicroBatches: -1}}}
			ret, format := learnCurve(t, cfg, 80)
			before, after := mean(ret[:5]), mean(ret[len(ret)-5:])
			t.Logf("%s: episode return %.3f -> %.3f, format_shaping %.3f -> %.3f",
				tc.env, before, after, mean(format[:5]), mean(format[len(format)-5:]))
			if after < before+tc.margin {
				t.Errorf("%s did not learn: episode return %.3f -> %.3f (want a rise of %.3f)", tc.env, before, after, tc.margin)
			}
		})
	}
}
