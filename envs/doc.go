// Package envs holds the environments collm agents are trained in: the Env interface (multi-turn,
// per-agent prompts, one shared reward, per-agent feedback), a registry filled in init(), the
// writing, coding and building-game domains of the paper, their small CPU-scale variants, and a
// composable API for reward schemes.
//
// Derive registers a copy of a registered env whose reward a reward.Scheme replaces or adds to
// (reward prototyping without a new env); Wrap does the same to an env value, e.g. with a Python
// reward (package pyreward). ScoreRows scores hand-written joint answers side by side. Optional
// capabilities (TaskNamer, Vocab, Stopper, ...) are separate interfaces; As finds them through
// wrappers such as derived envs.
//
// Envs never import the training code (package maac) or the notebook side (widgets, kernel).
package envs
