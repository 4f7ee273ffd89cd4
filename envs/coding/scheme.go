package coding

import "github.com/collm/collm/envs/reward"

// judgmentOf returns the Judgment a scheme scores (Input.Data). A scheme used without one is a
// programming error.
func judgmentOf(in reward.Input) *Judgment {
	j, ok := in.Data.(*Judgment)
	if !ok {
		panic("coding: reward.Input.Data must be the *coding.Judgment of the responses")
	}
	return j
}

// bonusEligible is the gate of the bonuses: at least one test passed, aux exists, main calls it.
func bonusEligible(j *Judgment) bool { return j.Passed() >= 1 && j.AuxDefined && j.CallsAux }

// pointsComponents are the spec's levels and bonuses as reward components over a *Judgment;
// each reports the points it adds (see Points, the same rules as a plain function).
func pointsComponents() []reward.Component {
	pts := func(ok bool, p float64) float64 {
		if ok {
			return p
		}
		return 0
	}
	return []reward.Component{
		reward.Term("aux_defined", func(in reward.Input) float64 {
			j := judgmentOf(in)
			return pts(j.AuxDefined && j.AuxReturns, PointsAuxDefined)
		}),
		reward.Level("main_defined", func(in reward.Input) (float64, bool) {
			j := judgmentOf(in)
			ok := j.MainDefined && j.MainReturns
			return pts(ok, PointsMainDefined), ok
		}),
		reward.Level("syntax", func(in reward.Input) (float64, bool) {
			ok := judgmentOf(in).SyntaxOK
			return pts(ok, PointsSyntax), ok
		}),
		reward.Term("tests_passed", func(in reward.Input) float64 {
			j := judgmentOf(in)
			if j.Total == 0 {
				return 0
			}
			return PointsTests * float64(j.Passed()) / float64(j.Total)
		}),
		reward.Term("calls_aux", func(in reward.Input) float64 {
			return pts(bonusEligible(judgmentOf(in)), PointsCallsAux)
		}),
		reward.Term("not_wrapper", func(in reward.Input) float64 {
			j := judgmentOf(in)
			return pts(bonusEligible(j) && !j.Wrapper, PointsNotWrapper)
		}),
		reward.Term("ignored_result", func(in reward.Input) float64 {
			j := judgmentOf(in)
			return pts(bonusEligible(j) && j.IgnoredResult, PointsIgnoredResult)
		}),
	}
}

// SpecScheme is the spec's coding reward: the level-gated points shifted by -4, in [-4, 0].
// Input.Data must be the *Judgment of the responses.
func SpecScheme() *reward.Composite {
	return reward.New(pointsComponents()...).Shift(RewardShift).Done()
}

// MiniScheme is coding-mini's reward (see mini.go). dense: the points normalised to [-1, 0]
// at every turn, (points - max)/max with max 4.0 for two agents and 2.1 for one. Not dense
// (sparse): 0 on every turn but the last, where success pays 0 and anything else -1; success
// is every test passing and, with two agents, f calling aux and using its result. The points'
// parts are reported either way.
func MiniScheme(agents int, dense bool) *reward.Composite {
	maxPts := miniMaxPoints(agents)
	if dense {
		return reward.New(pointsComponents()...).Shift(-maxPts).Scale(1 / maxPts).Done()
	}
	parts := pointsComponents()
	for i := range parts {
		parts[i] = parts[i].Times(0) // reported, not paid
	}
	success := reward.Term("success", func(in reward.Input) float64 {
		j := judgmentOf(in)
		if j.Total > 0 && j.Passed() == j.Total && (agents == 1 || (j.CallsAux && !j.IgnoredResult)) {
			return 1
		}
		return 0
	})
	return reward.New(success).Then(parts...).Shift(-1).Sparse(true).Done()
}

// miniMaxPoints is the most points of coding-mini: 4.0 with two agents, 2.1 with one (no aux,
// so neither the 0.4 of aux nor the bonuses can be earned).
func miniMaxPoints(agents int) float64 {
	if agents == 1 {
		return PointsMainDefined + PointsSyntax + PointsTests
	}
	return MaxPoints
}

// MiniShapedScheme is coding-mini's dense reward with format shaping (see ShapingAux): the
// part format_shaping (negative when junk loses its level-1 credit) is added to the points
// before the normalisation, (points + shaping - max)/max, still in [-1, 0]. The sparse reward
// has no shaped variant: it stays binary. Input.Task indexes problems (the env's problems),
// whose statements give f's header.
func MiniShapedScheme(agents int, problems []Problem) *reward.Composite {
	maxPts := miniMaxPoints(agents)
	return reward.New(formatShaping(agents, miniHeaders(problems))).Then(pointsComponents()...).Shift(-maxPts).Scale(1 / maxPts).Done()
}
