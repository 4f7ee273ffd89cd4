// Package reward builds the reward of an environment from named parts, in a form short enough to
// write in a notebook cell.
//
// A Scheme scores one joint response (an Input) and returns a Result: the total reward and the
// value of every component under its name, which the trainer logs as reward/<name>/mean.
//
// A scheme is a list of components evaluated in order:
//
//   - Level(name, fn): a gate. fn returns its points and whether the level passed; the points are
//     added either way, and a failed level stops the scoring (later components are not evaluated
//     and report 0). This is the level-gated shape of the paper's rewards.
//   - Term(name, fn): a plain term whose value is added.
//   - AgentTerm(name, agent, fn): a term computed from one agent's response only.
//   - Component.Times(w) weights a component: the total adds w*value, the part reports value.
//   - Band{Lo, OptLo, OptHi, Hi, Points}.Score(x) is the plateau-with-ramps shape of the paper's
//     ratio levels; it returns (points, pass), ready to be returned from a level's function.
//
// The builder then applies, in the order they are called, Shift(c) (add c) and Scale(k) (multiply
// by k) to the sum, and Sparse(true) makes the scheme pay only at the last turn of an episode:
// earlier turns get a total of 0 while their parts are still computed and reported.
//
//	s := reward.New(
//		reward.Level("tokens", tokensInRange),
//		reward.Level("length_ratio", lengthRatio),
//		reward.Term("style", style),
//	).Shift(-4).Done()
//	res := s.Score(reward.Input{Responses: responses, Last: true})
//
// Schemes are immutable and safe for concurrent use; component functions must be too.
package reward
