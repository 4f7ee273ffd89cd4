package coding_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/collm/collm/envs/coding"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/maac/maactest"
)

// miniLearnConfig is the setting of TestMiniLearnable: CoLLM-CC, tiny agents on the
// env's word-level vocabulary (the default for preset models), K=4, 4 tasks per update, 6 new
// tokens (the longest two-agent body is 5), lr 1e-3, one turn.
func miniLearnConfig(shaping string, seed uint64) maac.RunConfig {
	return maac.RunConfig{
		Env: "coding-mini", EnvOptions: map[string]string{"turns": "1", "shaping": shaping}, Algorithm: "cc",
		CC: &maac.CCConfig{
			Common: maac.Common{NumGenerations: 4, TasksPerUpdate: 4, MaxNewTokens: 6, Temperature: 1, TopP: 1,
				ActorLR: 1e-3, Seed: seed, GradVarMicroBatches: -1},
			ActorCritic: maac.ActorCritic{CriticLR: 1e-3},
		},
	}
}

// TestMiniLearnable trains two tiny agents from random weights on coding-mini and checks, on
// the exact reward's parts (which shaping does not touch), that they learned to write code the
// sandbox accepts: the share of episodes whose joint program parses (level 2, part syntax =
// 0.5 per passing episode) rises from about 0 over the first 20 updates to at least 0.5 over
// the last 30 of 250; the tests level is not required. It also checks that with shaping=false
// the reward is the exact level-gated reward. The measured curves are in docs/EXPERIMENTS.md.
//
// Without clipping, a run at lr 1e-3 can learn and then collapse, and float-level changes of the
// computation move that from seed to seed (docs/EXPERIMENTS.md has seeds 1-10 before and after
// the fused dense op). So by default the run must learn on seed 1 or, when that seed does not,
// on seed 2; with COLLM_SEEDS every listed seed must.
func TestMiniLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny agents for 250 updates")
	}
	exact := []string{"aux_defined", "main_defined", "syntax", "tests_passed", "calls_aux", "not_wrapper", "ignored_result"}

	tr, err := maac.Build(miniLearnConfig("false", 1))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	tr.OnUpdate(func(u maac.UpdateInfo) error {
		for _, s := range u.Samples {
			pts := 0.0
			for _, k := range exact {
				pts += s.Parts[k]
			}
			_, shaped := s.Parts["format_shaping"]
			if want := (pts - coding.MaxPoints) / coding.MaxPoints; math.Abs(s.Reward-want) > 1e-9 || shaped {
				t.Errorf("shaping=false: %q reward %v, want the exact (points-4)/4 = %v; parts %v", s.Responses, s.Reward, want, s.Parts)
			}
			checked++
		}
		return nil
	})
	for range 3 {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if checked == 0 {
		t.Fatal("shaping=false: no samples to check")
	}

	if os.Getenv("COLLM_SEEDS") != "" {
		for _, seed := range maactest.Seeds(t) {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				if err := learnToParse(t, seed); err != nil {
					t.Error(err)
				}
			})
		}
		return
	}
	var errs []string
	for _, seed := range []uint64{1, 2} {
		err := learnToParse(t, seed)
		if err == nil {
			return
		}
		errs = append(errs, fmt.Sprintf("seed %d: %v", seed, err))
	}
	t.Errorf("%s", strings.Join(errs, "; "))
}

// learnToParse trains on coding-mini with the given seed and returns an error when the share of
// parsing joint programs did not rise from at most 0.15 to at least 0.5.
func learnToParse(t *testing.T, seed uint64) error {
	tr, err := maac.Build(miniLearnConfig("true", seed))
	if err != nil {
		t.Fatal(err)
	}
	curves := maactest.Curves(t, tr, 250, "reward/syntax/mean", "reward/tests_passed/mean")
	syntax, tests := curves[0], curves[1]
	for i := range syntax {
		syntax[i] /= coding.PointsSyntax
		tests[i] /= coding.PointsTests
	}
	mean := maactest.Mean
	first, last := mean(syntax[:20]), mean(syntax[len(syntax)-30:])
	t.Logf("seed %d: share of parsing joint programs: first 20 updates %.3f, last 30 %.3f; tests passed %.3f -> %.3f",
		seed, first, last, mean(tests[:20]), mean(tests[len(tests)-30:]))
	if first > 0.15 || last < 0.5 {
		return fmt.Errorf("coding-mini was not learned: parsing share %.3f -> %.3f (want <= 0.15 -> >= 0.5): %v", first, last, syntax)
	}
	return nil
}

// solvedShare plays 48 episodes on coding-mini's held-out tasks at temperature 1 and returns
// the share that earn the maximum: every test passes and f builds on aux without wrapping it.
func solvedShare(t *testing.T, tr *maac.Trainer) float64 {
	t.Helper()
	res, err := tr.Evaluate(maac.EvalOptions{Episodes: 48, Temperature: 1, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	solved := 0
	for _, e := range res.Episodes {
		if e.Return == 0 {
			solved++
		}
	}
	return float64(solved) / float64(len(res.Episodes))
}

// TestMiniLearnsAConvention starts two tiny agents from a base model, a warm start on
// demos=varied (each agent learns every correct way to write its own function, with no
// convention between them), and checks that CoLLM-CC teaches them to fit their parts together:
// on the held-out tasks the share of episodes that earn the maximum rises by at least 0.4, to
// at least 0.6. Tiny agents at lr 3e-4 need two settings off the reference's defaults: a
// rollout buffer of 32 responses (one step per update on all 8 tasks' samples) and gradient
// clipping at 1.0; with the reference's buffer of 8 and no clipping their policies collapse.
// The seeds come from maactest.Seeds; the measured curves are in docs/EXPERIMENTS.md.
func TestMiniLearnsAConvention(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny agents for 400 updates")
	}
	for _, seed := range maactest.Seeds(t) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { learnAConvention(t, seed) })
	}
}

// conventionConfig is the setting of TestMiniLearnsAConvention and of
// notebooks/03-coding-collaboration.ipynb.
func conventionConfig(seed uint64) maac.RunConfig {
	return maac.RunConfig{
		Env: "coding-mini", EnvOptions: map[string]string{"turns": "1", "demos": "varied"}, Algorithm: "cc",
		CC: &maac.CCConfig{
			Common: maac.Common{NumGenerations: 4, TasksPerUpdate: 8, MaxNewTokens: 10, Temperature: 1, TopP: 1,
				ActorLR: 3e-4, RolloutBufferSize: 32, MaxGradNorm: 1, PositiveAdvantages: true, Seed: seed,
				GradVarMicroBatches: -1},
			ActorCritic: maac.ActorCritic{CriticLR: 3e-4},
		},
	}
}

func learnAConvention(t *testing.T, seed uint64) {
	tr, err := maac.Build(conventionConfig(seed))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.WarmStart(300); err != nil {
		t.Fatal(err)
	}
	before := solvedShare(t, tr)
	if err := tr.Train(t.Context(), 400); err != nil {
		t.Fatal(err)
	}
	after := solvedShare(t, tr)
	t.Logf("seed %d: held-out episodes earning the maximum: %.2f after the warm start, %.2f after 400 updates", seed, before, after)
	if after < before+0.4 || after < 0.6 {
		t.Errorf("no convention learned: held-out share earning the maximum %.2f -> %.2f (want a rise of >= 0.4, to >= 0.6)", before, after)
	}
}
