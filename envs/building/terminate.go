package building

// strTerminationScore is the StrBuild score above which an episode ends early: 1.9 of the most,
// 2 (full coverage, no extra blocks, no same-color neighbours, every palette used). It is the
// reference library's StrBuild early_termination_threshold, -0.1 at its shift -2.
const strTerminationScore = 1.9

// houseTerminationScore is the HouseBuild score above which an episode ends early: 1.0, the
// reference library's HouseBuild early_termination_threshold, 0.0 at its shift -1. The score
// (match fraction minus spider penalty) never exceeds 1, so in effect a HouseBuild episode
// never ends early.
const houseTerminationScore = 1.0

// TerminationThreshold implements envs.Terminator for strbuild and strbuild-mini: shift + 1.9,
// -0.1 at the default shift -2 (the reference library's StrBuild config). The mini variant's
// format shaping is 0 on answers of accepted commands only, so it does not move the threshold.
// Off with the sparse reward (dense=false): turns before the last pay 0, which would always
// exceed it.
func (e *strEnv) TerminationThreshold() (float64, bool) {
	cfg := e.game.(*strGame).cfg
	if cfg.Sparse {
		return 0, false
	}
	return *cfg.Shift + strTerminationScore, true
}

// TerminationThreshold implements envs.Terminator for housebuild and housebuild-mini:
// shift + 1.0, 0.0 at the default shift -1 (the reference library's HouseBuild config). The
// score cannot exceed 1, so no turn's reward exceeds the threshold and episodes run every turn;
// it is declared to follow the reference. Off with the sparse reward (dense=false), where turns
// before the last pay 0.
func (e *houseEnv) TerminationThreshold() (float64, bool) {
	cfg := e.game.(*houseGame).cfg
	if cfg.Sparse {
		return 0, false
	}
	return *cfg.Shift + houseTerminationScore, true
}
