// Package envs holds the environments collm agents are trained in: the Env interface (multi-turn,
// per-agent prompts, one shared reward, per-agent feedback), a registry filled in init(), the
// writing, coding and building-game domains of the paper, their small CPU-scale variants, and a
// composable API for reward schemes.
//
// Envs never import the training code (package maac) or the notebook side (widgets, kernel).
package envs
