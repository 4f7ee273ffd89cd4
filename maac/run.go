package maac

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/pyreward"
	"github.com/collm/collm/maac/backend"
	"github.com/collm/collm/maac/lm"
)

// configVersion is written to config.json. Version 2 made the reference's training setup the
// default (cadence, normalization, early termination, per-agent KL, optimizer, critic input);
// a run written before it would resume under other defaults, so Resume refuses it.
const configVersion = 2

// RunConfig is the complete, serializable description of a run: what `collm train` writes to
// DIR/config.json and what Resume rebuilds the run from.
type RunConfig struct {
	// Version is the config format; Create records the current one, Resume refuses older ones.
	Version int `json:"version,omitempty"`
	// Env is the registry name of the environment and EnvOptions its options.
	Env        string            `json:"env"`
	EnvOptions map[string]string `json:"env_options,omitempty"`
	// EnvBase is the env a derived env (envs.Derive) is built on, recorded so that a process
	// that has not declared the derivation gets an error saying how to; "" for the others.
	// Filled in from the registry.
	EnvBase string `json:"env_base,omitempty"`
	// Reward replaces the env's reward by a Python function, "FILE.py:FUNC" (package pyreward;
	// `collm train --reward`), served by one Python process per run; the env's own reward is
	// logged as info/env_reward/mean. FILE is relative to the working directory. "" keeps the
	// env's reward.
	Reward string `json:"reward,omitempty"`
	// RewardTimeout is the most seconds one call of the Reward function (a turn of a rollout) may
	// take before the run stops with a RolloutError (its checkpoint saved). Default 60 when Reward
	// is set. Like SaveEvery it changes no result, so the settings hash leaves it out and
	// `collm train --resume --reward-timeout` may change it.
	RewardTimeout float64 `json:"reward_timeout,omitempty"`
	// RewardSHA256 is the hex SHA-256 of the Reward file when the run started, filled in by
	// Create. A resume whose file differs warns that the run's reward changed; the settings hash
	// leaves it out, so an edited reward file never blocks a resume.
	RewardSHA256 string `json:"reward_sha256,omitempty"`
	// Agents are the agents' models, one per env agent. Default: "tiny" for each.
	Agents []AgentSpec `json:"agents,omitempty"`
	// Algorithm is a name from Algorithms(). Default "cc".
	Algorithm string `json:"algorithm"`
	// Topology picks the algorithm of the same family with this critic topology (e.g. dc with
	// decentralized-shared is dc-shared); "" keeps the algorithm's.
	Topology Topology `json:"topology,omitempty"`
	// The algorithm's settings, in the section its table row names (Algorithm.Section). Nil
	// means all defaults.
	CC *CCConfig `json:"cc,omitempty"`
	DC *DCConfig `json:"dc,omitempty"`
	MC *MCConfig `json:"mc,omitempty"`
	// SaveEvery is the checkpoint cadence of `collm train`, widgets.Train and Compare: a
	// checkpoint every this many updates, and always at the end and on an interrupt. Default 10
	// (a collm choice: the reference library saves at the end of training, per its own output
	// options). `collm train --save-every` and TrainOptions.SaveEvery set it, also on a resume,
	// where it is stored for the next one; it changes no result, so the settings hash leaves it out.
	SaveEvery int `json:"save_every,omitempty"`
	// SettingsSHA256 is the hex SHA-256 of config.json's canonical JSON (keys sorted, numbers as
	// written) without version, save_every and this field. Create records it and Resume refuses
	// a config.json that no longer matches, naming the edited fields (settings.go). A given
	// value is ignored. A config.json without it, written before collm recorded it at this
	// config version, resumes as it is and gets one.
	SettingsSHA256 string `json:"settings_sha256,omitempty"`
}

// section returns the algorithm's config section, nil when it is absent.
func (c *RunConfig) section(s Section) sectionConfig {
	switch s {
	case SectionCC:
		if c.CC != nil {
			return c.CC
		}
	case SectionDC:
		if c.DC != nil {
			return c.DC
		}
	case SectionMC:
		if c.MC != nil {
			return c.MC
		}
	}
	return nil
}

// ensureSection returns the algorithm's config section, creating it (all defaults) when absent.
func (c *RunConfig) ensureSection(s Section) sectionConfig {
	if sc := c.section(s); sc != nil {
		return sc
	}
	switch s {
	case SectionCC:
		c.CC = &CCConfig{}
	case SectionDC:
		c.DC = &DCConfig{}
	default:
		c.MC = &MCConfig{}
	}
	return c.section(s)
}

// Common returns a copy of the settings the algorithm's config section shares with every
// algorithm (the zero Common when the section is absent).
func (c RunConfig) Common() (Common, error) {
	a, err := c.algorithm()
	if err != nil {
		return Common{}, err
	}
	if sc := c.section(a.Section); sc != nil {
		return *sc.common(), nil
	}
	return Common{}, nil
}

// SetCommon applies set to the Common settings of the algorithm's config section, creating the
// section (all defaults) when it is absent: the way to set what every algorithm shares, such
// as the seed, whatever the algorithm.
func (c *RunConfig) SetCommon(set func(*Common)) error {
	a, err := c.algorithm()
	if err != nil {
		return err
	}
	set(c.ensureSection(a.Section).common())
	return nil
}

// algorithm returns the table row of c.Algorithm (default cc) with c.Topology applied.
func (c RunConfig) algorithm() (Algorithm, error) {
	name := c.Algorithm
	if name == "" {
		name = "cc"
	}
	a, err := LookupAlgorithm(name)
	if err != nil {
		return a, err
	}
	return a.withTopology(c.Topology)
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

// Critic picks the critic topology (see RunConfig.Topology).
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
	cfg := b.cfg.clone()
	if b.seed != nil || b.warmStart != nil {
		err := cfg.SetCommon(func(c *Common) {
			if b.seed != nil {
				c.Seed = *b.seed
			}
			if b.warmStart != nil {
				c.WarmStartSteps = *b.warmStart
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return build(cfg, b.env)
}

// Build builds the trainer a RunConfig describes.
func Build(cfg RunConfig) (*Trainer, error) { return build(cfg, nil) }

// ResolveConfig validates cfg and returns it with every default filled in, as the trainer it
// describes would run (and as config.json records it), without building any model.
func ResolveConfig(cfg RunConfig) (RunConfig, error) {
	cfg, env, _, err := resolve(cfg, nil)
	closeEnv(env)
	return cfg, err
}

// closeEnv releases what an env built here holds (a derived env's reward process).
func closeEnv(env envs.Env) {
	if c, ok := env.(io.Closer); ok {
		c.Close()
	}
}

// clone copies c deeply enough that filling defaults never changes the caller's structs.
func (c RunConfig) clone() RunConfig {
	c.Agents = slices.Clone(c.Agents)
	if c.CC != nil {
		cc := *c.CC
		c.CC = &cc
	}
	if c.DC != nil {
		dc := *c.DC
		c.DC = &dc
	}
	if c.MC != nil {
		mc := *c.MC
		c.MC = &mc
	}
	return c
}

// resolve copies cfg, fills its defaults and validates it against the environment, which it
// builds unless env is given (and closes again on an error).
func resolve(cfg RunConfig, env envs.Env) (RunConfig, envs.Env, Algorithm, error) {
	resolved, built, algo, err := resolveEnv(cfg, env)
	if err != nil && env == nil {
		closeEnv(built)
	}
	return resolved, built, algo, err
}

func resolveEnv(cfg RunConfig, env envs.Env) (RunConfig, envs.Env, Algorithm, error) {
	cfg = cfg.clone()
	algo, err := cfg.algorithm()
	if err != nil {
		return cfg, nil, algo, err
	}
	cfg.Version, cfg.Algorithm, cfg.Topology = configVersion, algo.Name, algo.Critic
	cfg.SettingsSHA256 = "" // a run's own is computed when config.json is written
	setInt(&cfg.SaveEvery, 10)
	if cfg.SaveEvery < 0 {
		return cfg, nil, algo, fmt.Errorf("save_every=%d: want >= 1 updates between checkpoints (default 10)", cfg.SaveEvery)
	}
	if err := checkReward(&cfg); err != nil {
		return cfg, nil, algo, err
	}
	if env == nil {
		if cfg.Env == "" {
			return cfg, nil, algo, errors.New("no environment: call Env(name, options) (see `collm envs`)")
		}
		reg, err := envs.Lookup(cfg.Env)
		if err != nil && cfg.EnvBase != "" {
			return cfg, nil, algo, envs.MissingDerivedError(cfg.Env, cfg.EnvBase)
		}
		if err != nil {
			return cfg, nil, algo, err
		}
		cfg.EnvBase = reg.Base
		if env, err = envs.New(cfg.Env, cfg.EnvOptions); err != nil {
			return cfg, nil, algo, err
		}
	}
	spec := env.Spec()
	if algo.SingleAgent && spec.NumAgents != 1 {
		return cfg, nil, algo, fmt.Errorf("%s is a single-agent baseline but env %s has %d agents: use an env with one agent (e.g. --env-opt agents=1)",
			algo.Name, spec.Name, spec.NumAgents)
	}
	if len(cfg.Agents) == 0 {
		for range spec.NumAgents {
			cfg.Agents = append(cfg.Agents, AgentSpec{Model: "tiny"})
		}
	}
	if len(cfg.Agents) != spec.NumAgents {
		return cfg, nil, algo, fmt.Errorf("env %s needs %d agents, got %d agent specs", spec.Name, spec.NumAgents, len(cfg.Agents))
	}
	for i := range cfg.Agents {
		if cfg.Agents[i], err = resolveTokenizer(cfg.Agents[i], env); err != nil {
			return cfg, nil, algo, fmt.Errorf("agent %d: %w", i, err)
		}
	}
	for _, s := range []Section{SectionCC, SectionDC, SectionMC} {
		if s != algo.Section && cfg.section(s) != nil {
			return cfg, nil, algo, fmt.Errorf("algorithm %s is configured by the %q section, but the config has a %q section: move its settings", algo.Name, algo.Section, s)
		}
	}
	sc := cfg.ensureSection(algo.Section)
	sc.setDefaults(algo, spec.MaxTurns > 1)
	common := sc.common()
	if mc, ok := sc.(*MCConfig); ok && mc.Baseline != algo.baseline {
		return cfg, nil, algo, fmt.Errorf("mc config: baseline %s does not fit algorithm %s (baseline %s): pick the algorithm of that baseline (magrpo mean, marloo rloo, maremax max, mareinforce raw)",
			mc.Baseline, algo.Name, algo.baseline)
	}
	if algo.Critic == CriticDecentralizedShared && cfg.DC.CriticType == CriticQ {
		return cfg, nil, algo, errors.New("dc config: dc-shared reads the value at the prompt; critic_type=q needs a separate critic (algorithm dc)")
	}
	if _, ok := envs.As[envs.Demonstrator](env); common.WarmStartSteps > 0 && !ok {
		return cfg, nil, algo, fmt.Errorf("warm_start_steps=%d: env %s has no demonstrations (it does not implement envs.Demonstrator): set it to 0",
			common.WarmStartSteps, spec.Name)
	}
	if common.EarlyTerminationThreshold == nil && !common.NoEarlyTermination {
		threshold, ok := 0.0, false
		if term, isTerm := envs.As[envs.Terminator](env); isTerm {
			threshold, ok = term.TerminationThreshold()
		}
		if ok {
			common.EarlyTerminationThreshold = &threshold
		} else {
			common.NoEarlyTermination = true
		}
	}
	if err := sc.Validate(spec.NumAgents); err != nil {
		return cfg, env, algo, err
	}
	// Validate bounds the first turn; the env's turns grow a tree.
	if err := common.checkRollout(spec.NumAgents, spec.MaxTurns); err != nil {
		return cfg, env, algo, fmt.Errorf("%s config: env %s: %w", algo.Section, spec.Name, err)
	}
	return cfg, env, algo, nil
}

// checkReward checks the Python reward's spec and file, and fills its timeout's default.
func checkReward(cfg *RunConfig) error {
	if cfg.Reward == "" {
		if cfg.RewardTimeout != 0 || cfg.RewardSHA256 != "" {
			return errors.New("reward_timeout or reward_sha256 is set but reward is empty: set reward to FILE.py:FUNC, or drop them")
		}
		return nil
	}
	file, _, err := pyreward.ParseSpec(cfg.Reward)
	if err != nil {
		return fmt.Errorf("reward: %w", err)
	}
	sum, err := fileSHA256(file)
	if err != nil {
		return fmt.Errorf("reward %s: %w", cfg.Reward, err)
	}
	if cfg.RewardSHA256 == "" {
		cfg.RewardSHA256 = sum
	}
	if cfg.RewardTimeout == 0 {
		cfg.RewardTimeout = 60
	}
	if !(cfg.RewardTimeout > 0) || math.IsInf(cfg.RewardTimeout, 0) {
		return fmt.Errorf("reward_timeout=%g: want a positive number of seconds (default 60)", cfg.RewardTimeout)
	}
	return nil
}

// fileSHA256 returns the hex SHA-256 of the file at path (RunConfig.RewardSHA256).
func fileSHA256(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(data)), nil
}

// withReward wraps env with the run's Python reward, when it has one.
func withReward(cfg RunConfig, env envs.Env) (envs.Env, error) {
	if cfg.Reward == "" {
		return env, nil
	}
	timeout := time.Duration(cfg.RewardTimeout * float64(time.Second))
	return envs.Wrap(env, envs.WithRewardFrom(pyreward.Opener(cfg.Reward, pyreward.Options{Timeout: timeout})))
}

func build(cfg RunConfig, env envs.Env) (t *Trainer, err error) {
	cfg, env, algo, err := resolve(cfg, env)
	if err != nil {
		return nil, err
	}
	wrapped, err := withReward(cfg, env)
	if err != nil {
		closeEnv(env)
		return nil, err
	}
	env = wrapped
	defer func() {
		if err != nil {
			closeEnv(env)
		}
	}()
	be, err := backend.New()
	if err != nil {
		return nil, err
	}
	common := cfg.section(algo.Section).common()
	t = &Trainer{Env: env, Backend: be, Store: model.NewStore(), info: algo, common: common, config: cfg}
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
	if t.algo, err = algo.build(t); err != nil {
		return nil, err
	}
	return t, nil
}

// trainConfig is the AdamW setup of every optimizer of the run at learning rate lr.
func (t *Trainer) trainConfig(name string, lr float64) lm.TrainConfig {
	return lm.TrainConfig{Name: name, LearningRate: lr, WeightDecay: max(t.common.WeightDecay, 0), MaxGradNorm: t.common.MaxGradNorm}
}

// errInvalidTopology is wrapped by errors about a critic topology that does not fit the
// algorithm.
var errInvalidTopology = errors.New("invalid critic topology")
