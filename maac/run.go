package maac

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/backend"
	"github.com/collm/collm/maac/lm"
)

// AlgorithmInfo describes a registered algorithm.
type AlgorithmInfo struct {
	Name    string
	Summary string
	// Topology is the critic topology the algorithm uses by default; the MC family uses none.
	Topology Topology
	// SingleAgent algorithms need an env with one agent (the paper's single-agent baselines).
	SingleAgent bool
}

// Algorithms lists every algorithm `collm train --algo` and RunConfig.Algorithm accept.
func Algorithms() []AlgorithmInfo {
	return []AlgorithmInfo{
		{"cc", "CoLLM-CC: decentralized actors, one centralized critic on the joint history (TD(0) targets)", CriticCentralized, false},
		{"dc", "CoLLM-DC: decentralized actors, a separate critic LM per agent on its own history", CriticDecentralized, false},
		{"dc-shared", "CoLLM-DC with each agent's value head on its actor's backbone (value clipping)", CriticDecentralizedShared, false},
		{"magrpo", "MAGRPO: Monte Carlo tree returns with the group-mean baseline, no critic", CriticNone, false},
		{"marloo", "MARLOO: Monte Carlo with the leave-one-out baseline", CriticNone, false},
		{"maremax", "MAREMAX: Monte Carlo with the group-max baseline", CriticNone, false},
		{"mareinforce", "MA-REINFORCE: Monte Carlo returns with no baseline", CriticNone, false},
		{"grpo", "single-agent GRPO: one agent writes the whole answer, group-mean baseline", CriticNone, true},
		{"ac", "single-agent actor-critic: one actor, one critic on its history", CriticCentralized, true},
	}
}

func algorithmInfo(name string) (AlgorithmInfo, error) {
	var names []string
	for _, a := range Algorithms() {
		if a.Name == name {
			return a, nil
		}
		names = append(names, a.Name)
	}
	return AlgorithmInfo{}, fmt.Errorf("unknown algorithm %q; choose one of %s", name, strings.Join(names, ", "))
}

// RunConfig is the complete, serializable description of a run: what `collm train` writes to
// DIR/config.json and what Resume rebuilds the run from.
type RunConfig struct {
	// Env is the registry name of the environment and EnvOptions its options.
	Env        string            `json:"env"`
	EnvOptions map[string]string `json:"env_options,omitempty"`
	// Agents are the agents' models, one per env agent. Default: "tiny" for each.
	Agents []AgentSpec `json:"agents,omitempty"`
	// Algorithm is a name from Algorithms(). Default "cc".
	Algorithm string `json:"algorithm"`
	// Topology overrides the algorithm's critic topology (see Topology); "" keeps the default.
	Topology Topology `json:"topology,omitempty"`
	// The algorithm's config: CC for cc and ac, DC for dc and dc-shared, MC for the Monte Carlo
	// family and grpo. Nil means all defaults.
	CC *CCConfig `json:"cc,omitempty"`
	DC *DCConfig `json:"dc,omitempty"`
	MC *MCConfig `json:"mc,omitempty"`
}

// RunBuilder builds a Trainer in a few notebook lines:
//
//	trainer, err := maac.NewRun().Env("toy-coord", map[string]string{"turns": "2"}).
//		Algorithm("cc").Seed(1).Done()
type RunBuilder struct {
	cfg       RunConfig
	seed      *uint64
	warmStart *int
	env       envs.Env
}

// NewRun starts a builder with the defaults: CoLLM-CC, tiny agents.
func NewRun() *RunBuilder { return &RunBuilder{cfg: RunConfig{Algorithm: "cc"}} }

// Env picks a registered environment with options (nil for defaults).
func (b *RunBuilder) Env(name string, options map[string]string) *RunBuilder {
	b.cfg.Env, b.cfg.EnvOptions = name, options
	return b
}

// EnvValue uses an environment built by the caller (e.g. a custom env in a notebook cell); such a
// run cannot be resumed from its config.json alone.
func (b *RunBuilder) EnvValue(env envs.Env) *RunBuilder {
	b.env = env
	b.cfg.Env = env.Spec().Name
	return b
}

// Agents sets every agent's model (preset name or checkpoint directory), one spec per agent.
func (b *RunBuilder) Agents(specs ...AgentSpec) *RunBuilder {
	b.cfg.Agents = specs
	return b
}

// Algorithm picks the algorithm by name (see Algorithms).
func (b *RunBuilder) Algorithm(name string) *RunBuilder {
	b.cfg.Algorithm = name
	return b
}

// Critic overrides the critic topology.
func (b *RunBuilder) Critic(t Topology) *RunBuilder {
	b.cfg.Topology = t
	return b
}

// CC, DC and MC set the algorithm's config.
func (b *RunBuilder) CC(c CCConfig) *RunBuilder { b.cfg.CC = &c; return b }
func (b *RunBuilder) DC(c DCConfig) *RunBuilder { b.cfg.DC = &c; return b }
func (b *RunBuilder) MC(c MCConfig) *RunBuilder { b.cfg.MC = &c; return b }

// Seed sets the run's seed (overrides the config's).
func (b *RunBuilder) Seed(seed uint64) *RunBuilder {
	b.seed = &seed
	return b
}

// WarmStart sets the supervised steps on the env's demonstrations that begin the first update
// (Common.WarmStartSteps; overrides the config's).
func (b *RunBuilder) WarmStart(steps int) *RunBuilder {
	b.warmStart = &steps
	return b
}

// Done validates everything and builds the trainer.
func (b *RunBuilder) Done() (*Trainer, error) {
	cfg := b.cfg
	if b.seed != nil || b.warmStart != nil {
		common, err := cfg.Common()
		if err != nil {
			return nil, err
		}
		if b.seed != nil {
			common.Seed = *b.seed
		}
		if b.warmStart != nil {
			common.WarmStartSteps = *b.warmStart
		}
	}
	return build(cfg, b.env)
}

// Common returns the Common of the algorithm's config, creating that config (all defaults) when
// nil, so that settings every algorithm shares, such as the seed, can be set whatever the
// algorithm.
func (c *RunConfig) Common() (*Common, error) {
	info, err := algorithmInfo(c.Algorithm)
	if err != nil {
		return nil, err
	}
	switch info.Name {
	case "cc", "ac":
		if c.CC == nil {
			c.CC = &CCConfig{}
		}
		return &c.CC.Common, nil
	case "dc", "dc-shared":
		if c.DC == nil {
			c.DC = &DCConfig{}
		}
		c.DC.Shared = c.DC.Shared || info.Name == "dc-shared"
		return &c.DC.Common, nil
	default:
		if c.MC == nil {
			c.MC = &MCConfig{}
		}
		return &c.MC.Common, nil
	}
}

// Build builds the trainer a RunConfig describes.
func Build(cfg RunConfig) (*Trainer, error) { return build(cfg, nil) }

// ResolveConfig validates cfg and returns it with every default filled in, as the trainer it
// describes would run (and as config.json records it), without building any model.
func ResolveConfig(cfg RunConfig) (RunConfig, error) {
	cfg, _, _, err := resolve(cfg, nil)
	return cfg, err
}

// resolve copies cfg (the caller's config structs are never modified), fills its defaults and
// validates it against the environment, which it builds unless env is given.
func resolve(cfg RunConfig, env envs.Env) (RunConfig, envs.Env, AlgorithmInfo, error) {
	cfg.Agents = slices.Clone(cfg.Agents)
	if cfg.CC != nil {
		c := *cfg.CC
		cfg.CC = &c
	}
	if cfg.DC != nil {
		c := *cfg.DC
		cfg.DC = &c
	}
	if cfg.MC != nil {
		c := *cfg.MC
		cfg.MC = &c
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = "cc"
	}
	info, err := algorithmInfo(cfg.Algorithm)
	if err != nil {
		return cfg, nil, info, err
	}
	if env == nil {
		if cfg.Env == "" {
			return cfg, nil, info, errors.New("no environment: call Env(name, options) (see `collm envs`)")
		}
		if env, err = envs.New(cfg.Env, cfg.EnvOptions); err != nil {
			return cfg, nil, info, err
		}
	}
	spec := env.Spec()
	if info.SingleAgent && spec.NumAgents != 1 {
		return cfg, nil, info, fmt.Errorf("%s is a single-agent baseline but env %s has %d agents: use an env with one agent (e.g. --env-opt agents=1)",
			info.Name, spec.Name, spec.NumAgents)
	}
	if len(cfg.Agents) == 0 {
		for range spec.NumAgents {
			cfg.Agents = append(cfg.Agents, AgentSpec{Model: "tiny"})
		}
	}
	if len(cfg.Agents) != spec.NumAgents {
		return cfg, nil, info, fmt.Errorf("env %s needs %d agents, got %d agent specs", spec.Name, spec.NumAgents, len(cfg.Agents))
	}
	for i := range cfg.Agents {
		if cfg.Agents[i], err = resolveTokenizer(cfg.Agents[i], env); err != nil {
			return cfg, nil, info, fmt.Errorf("agent %d: %w", i, err)
		}
	}
	topology := cfg.Topology
	if topology == "" {
		topology = info.Topology
	}
	if err := checkTopology(info, topology); err != nil {
		return cfg, nil, info, err
	}
	common, err := cfg.Common()
	if err != nil {
		return cfg, nil, info, err
	}
	if _, ok := env.(envs.Demonstrator); common.WarmStartSteps > 0 && !ok {
		return cfg, nil, info, fmt.Errorf("warm_start_steps=%d: env %s has no demonstrations (it does not implement envs.Demonstrator): set it to 0",
			common.WarmStartSteps, spec.Name)
	}
	multiTurn := spec.MaxTurns > 1
	switch {
	case cfg.CC != nil:
		cfg.CC.Defaults(multiTurn)
		err = cfg.CC.Validate(spec.NumAgents)
	case cfg.DC != nil:
		cfg.DC.Defaults(multiTurn)
		cfg.DC.Shared = topology == CriticDecentralizedShared
		err = cfg.DC.Validate(spec.NumAgents)
	default:
		cfg.MC.Defaults(multiTurn)
		switch info.Name {
		case "marloo":
			cfg.MC.Baseline = BaselineRLOO
		case "maremax":
			cfg.MC.Baseline = BaselineMax
		case "mareinforce":
			cfg.MC.Baseline = BaselineRaw
		default:
			cfg.MC.Baseline = BaselineMean
		}
		err = cfg.MC.Validate(spec.NumAgents)
	}
	return cfg, env, info, err
}

func build(cfg RunConfig, env envs.Env) (*Trainer, error) {
	cfg, env, info, err := resolve(cfg, env)
	if err != nil {
		return nil, err
	}
	common, _ := cfg.Common()
	be, err := backend.New()
	if err != nil {
		return nil, err
	}
	t := &Trainer{Env: env, Backend: be, Store: model.NewStore(), common: common, config: cfg}
	for i, as := range cfg.Agents {
		a, err := newAgent(be, t.Store, i, as, env, common.Seed)
		if err != nil {
			return nil, err
		}
		if room := a.Model.Config.MaxPositionEmbeddings - common.MaxNewTokens; room < 8 {
			return nil, fmt.Errorf("agent %d: max_new_tokens=%d leaves %d tokens of its %d-token context for the prompt: lower max_new_tokens",
				i, common.MaxNewTokens, room, a.Model.Config.MaxPositionEmbeddings)
		}
		t.Agents = append(t.Agents, a)
	}
	if common.KLBeta > 0 {
		// The KL reference is a frozen copy of each initial actor.
		for i, a := range t.Agents {
			ref, err := a.Model.Clone(fmt.Sprintf("ref_agent_%d", i))
			if err != nil {
				return nil, fmt.Errorf("KL reference of agent %d: %w", i, err)
			}
			t.refs = append(t.refs, ref)
		}
	}
	t.actors = make([]*lm.Trainer, len(t.Agents))
	t.gradVar = make([]*lm.Trainer, len(t.Agents))
	switch {
	case cfg.CC != nil:
		t.algo, err = newCC(t, *cfg.CC, cfg.Agents[0])
		if err == nil && info.Name == "ac" {
			t.algo = acAlgo{t.algo.(*ccAlgo)}
		}
	case cfg.DC != nil:
		t.algo, err = newDC(t, *cfg.DC, cfg.Agents[0])
	default:
		t.algo, err = newMC(t, info.Name, *cfg.MC)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// acAlgo is CoLLM-CC with one agent: the single-agent actor-critic baseline.
type acAlgo struct{ *ccAlgo }

func (acAlgo) Name() string { return "ac" }

// checkTopology rejects critic topologies that do not fit the algorithm, saying what to change.
func checkTopology(info AlgorithmInfo, t Topology) error {
	switch t {
	case CriticCentralized, CriticDecentralized, CriticDecentralizedShared, CriticNone:
	default:
		return fmt.Errorf("%w %q: want centralized, decentralized, decentralized-shared or none", errInvalidTopology, t)
	}
	if t == info.Topology {
		return nil
	}
	switch {
	case info.Topology == CriticNone:
		return fmt.Errorf("%w: %s is a Monte Carlo method and uses no critic; drop the critic topology (%s) or pick cc or dc", errInvalidTopology, info.Name, t)
	case t == CriticNone:
		return fmt.Errorf("%w: %s needs a critic; pick a Monte Carlo method (magrpo, marloo, maremax, mareinforce) to train without one", errInvalidTopology, info.Name)
	case info.Name == "dc" && t == CriticDecentralizedShared, info.Name == "dc-shared" && t == CriticDecentralized:
		return nil
	default:
		return fmt.Errorf("%w: %s uses a %s critic, not %s; use algorithm %s for that topology", errInvalidTopology, info.Name, info.Topology, t, algorithmFor(t))
	}
}

func algorithmFor(t Topology) string {
	switch t {
	case CriticCentralized:
		return "cc"
	case CriticDecentralized:
		return "dc"
	case CriticDecentralizedShared:
		return "dc-shared"
	}
	return "magrpo"
}

// addActor creates agent i's optimizer and, when the variance measurement is on, its
// gradient-only twin.
func (t *Trainer) addActor(i int, a *Agent, lc actorLossConfig) error {
	var err error
	if t.actors[i], err = newActorTrainer(t, a, a.Name, lc, false); err != nil {
		return err
	}
	if t.common.GradVarMicroBatches > 0 {
		plain := actorLossConfig{ppoClip: lc.ppoClip}
		if t.gradVar[i], err = newActorTrainer(t, a, a.Name+"_gradvar", plain, true); err != nil {
			return err
		}
	}
	return nil
}
