package writing

// TerminationThreshold implements envs.Terminator for tldr and arxiv: off, since an episode is
// one turn and there is nothing to end early.
func (e *Env) TerminationThreshold() (float64, bool) { return 0, false }

// TerminationThreshold implements envs.Terminator for writing-mini: off. With the dense
// reward (default) every turn pays a new positive score in [0, 3] for that turn's answer, so
// ending early would forfeit it; with the sparse reward (dense=false) turns before the last pay
// 0, which would exceed any threshold it could use.
func (m *Mini) TerminationThreshold() (float64, bool) { return 0, false }
