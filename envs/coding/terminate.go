package coding

import "github.com/collm/collm/envs/reward"

// terminationGap is how far below the most points a turn's points may fall and still end the
// episode early: the reference library's coding configs (HumanEval, MBPP) set
// early_termination_threshold = -0.2 on the reward points - 4, in [-4, 0], so a turn ends the
// episode when it earns more than 3.8 of the 4 points: every level and bonus with at most a
// small share of the tests failing (under 1 in 5). On coding-mini's three asserts the nearest
// totals below the maximum are 3.67 (two tests pass) and 3.6 (no aux_defined), so there only a
// fully correct joint answer ends the episode.
const terminationGap = 0.2

// TerminationThreshold implements envs.Terminator for humaneval and mbpp: -0.2 on the spec's
// reward in [-4, 0] (points - 4), the reference library's coding configs. ok is false for an
// Env built with a Config.Scheme of the caller's, whose scale this package does not know.
// coding-mini has its own (MiniEnv.TerminationThreshold).
func (e *Env) TerminationThreshold() (float64, bool) {
	if !e.specScheme {
		return 0, false
	}
	return -terminationGap, true
}

// TerminationThreshold implements envs.Terminator for coding-mini. With the dense reward
// (default), (points - max)/max in [-1, 0], it is the reference coding configs' threshold,
// 0.2 points below the most points, on this scale: -0.2/max, -0.05 with two agents (max 4.0)
// and -0.2/2.1 = -0.095 with one (max 2.1). Format shaping only changes rewards while the joint
// program does not parse, far below it. With the sparse reward (dense=false) it is off: turns
// before the last pay 0, which would always exceed it.
func (m *MiniEnv) TerminationThreshold() (float64, bool) {
	if s, ok := m.cfg.Scheme.(*reward.Composite); ok && s.Sparse() {
		return 0, false
	}
	return -terminationGap / miniMaxPoints(m.cfg.Agents), true
}
