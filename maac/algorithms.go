package maac

import (
	"fmt"
	"strings"
)

// Topology says which critics a run has.
type Topology string

const (
	// CriticCentralized is one critic on the joint history (CoLLM-CC).
	CriticCentralized Topology = "centralized"
	// CriticDecentralized is one separate critic model per agent on its own history (CoLLM-DC, a).
	CriticDecentralized Topology = "decentralized"
	// CriticDecentralizedShared is a value head on each actor's own backbone (CoLLM-DC, b).
	CriticDecentralizedShared Topology = "decentralized-shared"
	// CriticNone is no critic (the Monte Carlo family).
	CriticNone Topology = "none"
)

// Section names the RunConfig field that configures an algorithm.
type Section string

const (
	SectionCC Section = "cc" // RunConfig.CC, a CCConfig
	SectionDC Section = "dc" // RunConfig.DC, a DCConfig
	SectionMC Section = "mc" // RunConfig.MC, an MCConfig
)

// Algorithm is one row of the algorithm table: everything `collm train --algo` and
// RunConfig.Algorithm accept is declared here, once.
type Algorithm struct {
	// Name is the registry name.
	Name string `json:"name"`
	// Critic is the critic topology.
	Critic Topology `json:"critic"`
	// Description says what the algorithm is, in one line.
	Description string `json:"description"`
	// Section is the RunConfig field holding its settings.
	Section Section `json:"config_section"`
	// SingleAgent algorithms need an env with one agent (the paper's single-agent baselines).
	SingleAgent bool `json:"single_agent"`
	// baseline of the Monte Carlo family.
	baseline Baseline
	// build creates the algorithm's critics and optimizers for trainer t.
	build func(t *Trainer) (algorithm, error)
}

// algorithmTable holds every algorithm. Its order is the order of `collm algos`.
var algorithmTable = []Algorithm{
	{Name: "cc", Critic: CriticCentralized, Section: SectionCC,
		Description: "CoLLM-CC: decentralized actors, one centralized critic on the joint history (TD(0) targets)",
		build:       newCC},
	{Name: "dc", Critic: CriticDecentralized, Section: SectionDC,
		Description: "CoLLM-DC: decentralized actors, a separate critic LM per agent on its own history",
		build:       newDC},
	{Name: "dc-shared", Critic: CriticDecentralizedShared, Section: SectionDC,
		Description: "CoLLM-DC with each agent's value head on its actor's backbone (value clipping)",
		build:       newDC},
	{Name: "magrpo", Critic: CriticNone, Section: SectionMC, baseline: BaselineMean,
		Description: "MAGRPO: Monte Carlo tree returns with the group-mean baseline, no critic",
		build:       newMC},
	{Name: "marloo", Critic: CriticNone, Section: SectionMC, baseline: BaselineRLOO,
		Description: "MARLOO: Monte Carlo with the leave-one-out baseline",
		build:       newMC},
	{Name: "maremax", Critic: CriticNone, Section: SectionMC, baseline: BaselineMax,
		Description: "MAREMAX: Monte Carlo with the group-max baseline",
		build:       newMC},
	{Name: "mareinforce", Critic: CriticNone, Section: SectionMC, baseline: BaselineRaw,
		Description: "MA-REINFORCE: Monte Carlo returns with no baseline",
		build:       newMC},
	{Name: "grpo", Critic: CriticNone, Section: SectionMC, SingleAgent: true, baseline: BaselineMean,
		Description: "single-agent GRPO: one agent writes the whole answer, group-mean baseline",
		build:       newMC},
	{Name: "ac", Critic: CriticCentralized, Section: SectionCC, SingleAgent: true,
		Description: "single-agent actor-critic: one actor, one critic on its history",
		build:       newCC},
}

// Algorithms lists every algorithm.
func Algorithms() []Algorithm {
	return append([]Algorithm(nil), algorithmTable...)
}

// LookupAlgorithm returns the algorithm called name.
func LookupAlgorithm(name string) (Algorithm, error) {
	var names []string
	for _, a := range algorithmTable {
		if a.Name == name {
			return a, nil
		}
		names = append(names, a.Name)
	}
	return Algorithm{}, fmt.Errorf("unknown algorithm %q; choose one of %s", name, strings.Join(names, ", "))
}

// withTopology returns the algorithm of a's family (same config section and agent count) whose
// critic topology is t, or an error that says what to change.
func (a Algorithm) withTopology(t Topology) (Algorithm, error) {
	if t == "" || t == a.Critic {
		return a, nil
	}
	var known []string
	for _, b := range algorithmTable {
		if b.Critic == t && b.Section == a.Section && b.SingleAgent == a.SingleAgent {
			return b, nil
		}
		if !strings.Contains(strings.Join(known, ","), string(b.Critic)) {
			known = append(known, string(b.Critic))
		}
	}
	switch {
	case !strings.Contains(strings.Join(known, ","), string(t)):
		return a, fmt.Errorf("%w %q: want %s", errInvalidTopology, t, strings.Join(known, ", "))
	case a.Critic == CriticNone:
		return a, fmt.Errorf("%w: %s is a Monte Carlo method and uses no critic; drop the critic topology (%s) or pick cc or dc", errInvalidTopology, a.Name, t)
	case t == CriticNone:
		return a, fmt.Errorf("%w: %s needs a critic; pick a Monte Carlo method (magrpo, marloo, maremax, mareinforce) to train without one", errInvalidTopology, a.Name)
	}
	for _, b := range algorithmTable {
		if b.Critic == t && b.SingleAgent == a.SingleAgent {
			return a, fmt.Errorf("%w: %s uses a %s critic, not %s; use algorithm %s for that topology", errInvalidTopology, a.Name, a.Critic, t, b.Name)
		}
	}
	return a, fmt.Errorf("%w: %s uses a %s critic; no algorithm with a %s critic fits it", errInvalidTopology, a.Name, a.Critic, t)
}
