package maac

import (
	"fmt"
	"math"
)

// The settings of the algorithms. Every struct's zero value plus defaults works, and the defaults
// are the reference library's (CoMLRL: MAACConfig, IACConfig, MAGRPOConfig and the authors' task
// configs) unless a field's doc says otherwise; each field names where its default comes from.
// Zero means "use the default" for every numeric and string field; where zero is also a value one
// may want, a negative value or a separate switch turns the feature off, as its doc says.

// JointMode says how the agents' samples at a node pair into joint actions.
type JointMode string

const (
	// JointAligned pairs the k-th responses of all agents: K joint actions per node.
	JointAligned JointMode = "aligned"
	// JointCross takes the Cartesian product: K^n joint actions per node.
	JointCross JointMode = "cross"
)

// Branching is the shape of a rollout.
type Branching string

const (
	// BranchTree expands every node into its joint actions' children: the Monte Carlo family's
	// per-node baselines need the siblings.
	BranchTree Branching = "tree"
	// BranchChains expands only the root and then follows one sample per node: K independent
	// episodes per task, as the reference's actor-critic trainers sample.
	BranchChains Branching = "chains"
)

// Minibatch is the training cadence: which samples each optimizer step uses.
type Minibatch string

const (
	// MinibatchReference is the reference's cadence: each agent's samples fill its own buffer
	// (actor-critic: one sample is one response, and a buffer is checked after each task's
	// rollout; Monte Carlo: one sample is one expanded node with its K responses, checked after
	// each node); a buffer holding RolloutBufferSize samples is split by turn and each turn group
	// is one optimizer step (a group larger than the buffer size is shuffled and cut into steps
	// of that size: the reference's train_batch_size). Samples left in a buffer at the end of an
	// update are trained on then, as the reference flushes its buffers at the end of an epoch,
	// so a checkpoint never holds pending samples. The update's rollout is generated at its
	// start, so later steps of an update train on samples a few steps old, as the reference's
	// later turn groups do.
	MinibatchReference Minibatch = "reference"
	// MinibatchUpdate is one step per agent per update on all its samples (and one critic step
	// on all joint actions): collm's former cadence, an order of magnitude fewer optimizer
	// steps per env step.
	MinibatchUpdate Minibatch = "update"
)

// KLPenalty says whose KL a reference-KL penalty charges.
type KLPenalty string

const (
	// KLOwn penalizes each agent's reward by its own KL, r_i = r - beta KL_i (the reference).
	KLOwn KLPenalty = "own"
	// KLTeam subtracts beta times the sum of all agents' KLs from the shared reward, which stays
	// shared (collm's former choice).
	KLTeam KLPenalty = "team"
)

// Normalization is how advantages are rescaled before a policy-gradient step.
type Normalization string

const (
	// NormZScore is (A - mean) / max(std, 1e-6) with the population std (torch's
	// std(unbiased=False)); a group of one sample keeps its raw advantage (the reference).
	NormZScore Normalization = "zscore"
	// NormStd divides by the population std without re-centring, so the baseline's centring
	// (e.g. MAREMAX's A <= 0) survives (Monte Carlo only; collm's former normalize_std).
	NormStd Normalization = "std"
	// NormNone uses the raw advantages.
	NormNone Normalization = "none"
)

// Common holds the settings every algorithm shares.
type Common struct {
	// NumGenerations is K, the responses each agent samples per node. Default 4 (MAGRPOConfig;
	// the actor-critic trainers sample one response per episode, which chains with K episodes
	// per task reproduce). Bounded with tasks_per_update: one turn of a rollout samples
	// tasks_per_update x K responses per agent at its first turn, and in a tree K per node at
	// every later turn, whose nodes multiply by the joint actions per node (K aligned, K^agents
	// cross) at each turn; one turn's responses are one generation batch, whose memory grows
	// with them, so they may be at most 4096 (maxTurnResponses, a collm limit: a tiny model's KV
	// cache at full context is 256 KiB per response, 1 GiB at the limit).
	NumGenerations int `json:"num_generations,omitempty"`
	// JointMode pairs the agents' samples into joint actions. Default aligned (the reference).
	JointMode JointMode `json:"joint_mode,omitempty"`
	// Branching is the rollout shape. Default tree for the Monte Carlo family and chains for
	// actor-critic, whose critics need no siblings.
	Branching Branching `json:"branching,omitempty"`
	// TasksPerUpdate is the number of tasks (root prompts) rolled out per update, the unit of
	// metrics and checkpoints. Default 4 (a collm setting: the reference rolls out one task at
	// a time). Bounded with num_generations (see there).
	TasksPerUpdate int `json:"tasks_per_update,omitempty"`
	// Minibatch is the training cadence. Default reference.
	Minibatch Minibatch `json:"minibatch,omitempty"`
	// RolloutBufferSize is the reference's rollout_buffer_size, the samples per agent buffer
	// that trigger the optimizer steps (Minibatch reference): a sample is one response for
	// actor-critic, one expanded node for the Monte Carlo family. Default 8 for actor-critic
	// (MAACConfig, IACConfig) and 2 for the Monte Carlo family (MAGRPOConfig); the authors'
	// Minecraft configs use 1.
	RolloutBufferSize int `json:"rollout_buffer_size,omitempty"`
	// Gamma is the discount, in (0, 1]. Default 1.0 for single-turn envs and 0.9 for multi-turn
	// ones (the reference's multi-turn task configs).
	Gamma float64 `json:"gamma,omitempty"`
	// Temperature and TopP of sampling. Defaults 0.6 and 0.6 (the reference); tiny models from
	// scratch explore better at 1.0 and 1.0. TopK 0 keeps every token, the default for every
	// algorithm so that the methods sample alike (MAGRPOConfig's top_k is 50, MAACConfig's and
	// IACConfig's none).
	Temperature float64 `json:"temperature,omitempty"`
	TopP        float64 `json:"top_p,omitempty"`
	TopK        int     `json:"top_k,omitempty"`
	// MaxNewTokens caps each response. Default 32 (a collm setting for tiny models; the
	// reference uses 256). It must leave at least 8 tokens of every agent's context
	// (max_position_embeddings of its config.json: 256 for tiny, 512 for small) for the prompt,
	// which building the run checks.
	MaxNewTokens int `json:"max_new_tokens,omitempty"`
	// ActorLR is the AdamW learning rate of every actor. Default 5e-6 (the reference, for full
	// fine-tuning of 1.5B models; tiny models from scratch want 3e-4 to 1e-3). It must be
	// below 1 (maxLearningRate, a sanity bound: AdamW moves each weight by about the learning
	// rate per step). A rate that still diverges stops training with a DivergedError.
	ActorLR float64 `json:"actor_lr,omitempty"`
	// WeightDecay of AdamW on every trained parameter. Default 0.01 (torch.optim.AdamW's, which
	// the reference uses); negative turns decay off (collm's former default). Each step
	// multiplies a weight by 1 - lr x weight_decay, so that product must stay below 1 for
	// actor_lr and critic_lr.
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// MaxGradNorm clips the global gradient norm of each optimizer step when > 0. Default 0: no
	// clipping (the reference; collm formerly clipped at 1.0).
	MaxGradNorm float64 `json:"max_grad_norm,omitempty"`
	// RewardShift is added to every reward on top of the env's own reward. The envs already
	// apply the paper's shifts (-4 coding, -2 StrBuild, -1 HouseBuild), so the reference's
	// behaviour is the default 0; set it only for a custom env that lacks its shift.
	RewardShift float64 `json:"reward_shift,omitempty"`
	// KLBeta shapes rewards with the k3 estimate of each agent's KL to its frozen initial
	// policy, summed over its response tokens (see KLPenalty). Default 0 (off, the reference's
	// default); the reference uses 0.1 when on.
	KLBeta float64 `json:"kl_beta,omitempty"`
	// KLPenalty says whose KL the penalty charges. Default own (the reference).
	KLPenalty KLPenalty `json:"kl_penalty,omitempty"`
	// EntropyCoef adds -EntropyCoef * H to each actor's loss, H the mean entropy of its policy
	// over the sampled response tokens (CleanRL's ent_coef), so policies keep exploring.
	// Default 0 (off, as the paper).
	EntropyCoef float64 `json:"entropy_coef,omitempty"`
	// PositiveAdvantages trains each actor on its samples with a positive advantage only
	// (negative advantages become 0, after normalization), as rejection-sampling fine-tuning
	// (RAFT, ReST) keeps the better samples: a failed attempt is not pushed down. Default false
	// (the paper's policy gradient).
	PositiveAdvantages bool `json:"positive_advantages,omitempty"`
	// WarmStartSteps supervised steps on the env's demonstrations (envs.Demonstrator) run at the
	// start of the first update (Trainer.WarmStart: TasksPerUpdate tasks per step, at ActorLR),
	// giving agents from random weights a base model to start from. A resumed run does not repeat
	// it. Default 0 (none).
	WarmStartSteps int `json:"warm_start_steps,omitempty"`
	// EarlyTerminationThreshold ends episodes early (the reference's
	// early_termination_threshold): with chains an episode ends after a turn whose reward
	// exceeds it; in a tree a node whose joint actions' mean reward exceeds it is not expanded.
	// The reward is the env's (after its own shift, before RewardShift and the KL penalty). Nil
	// takes the env's declared threshold (envs.Terminator, as the reference's task configs set
	// it); the resolved config records the value used.
	EarlyTerminationThreshold *float64 `json:"early_termination_threshold,omitempty"`
	// NoEarlyTermination turns early termination off. Resolving sets it for an env that declares
	// no threshold.
	NoEarlyTermination bool `json:"no_early_termination,omitempty"`
	// PPOClip, when > 0, replaces the plain policy gradient by PPO's clipped surrogate with the
	// sequence-level ratio pi/pi_old of each response, and Epochs passes are made over each
	// step's samples. Default 0 (off: strictly on-policy, one pass, as the paper). Epochs
	// default 1.
	PPOClip float64 `json:"ppo_clip,omitempty"`
	Epochs  int     `json:"epochs,omitempty"`
	// GradVarMicroBatches is M, the micro-batches of the gradient-variance measurement
	// (grad/agent/<i>/variance), taken once per update on all of an agent's samples before its
	// first step. When the update is one step on those samples (Minibatch update, or a
	// reference cadence whose one step takes them all) the step applies the mean of the M
	// micro-batch gradients weighted by their sizes, which is the full batch's gradient
	// (gradient accumulation): the measurement comes at no extra backward passes. With several steps per update, each at
	// the weights the last one left, or a value head on the actor (dc-shared, whose step also
	// trains the value loss), it costs its M backward passes on top of the steps'. Default 4
	// (on); -1 turns the measurement off (a collm measurement).
	GradVarMicroBatches int `json:"grad_var_micro_batches,omitempty"`
	// GradVarEvery measures the gradient variance every this many updates. Default 1.
	GradVarEvery int `json:"grad_var_every,omitempty"`
	// Sequential runs an update's agents and critics one after another, as the reference does,
	// instead of as concurrent tasks. Their results are the same either way (no task reads what
	// another trains); concurrent tasks use cores one graph leaves idle, at the cost of several
	// models' activations in memory at once. Default false.
	Sequential bool `json:"sequential,omitempty"`
	// Seed makes the run reproducible: model initialization, task order and sampling all derive
	// from it. Default 0.
	Seed uint64 `json:"seed"`
}

// CriticType is what a critic estimates.
type CriticType string

const (
	// CriticV is V(h_t), the value of the history.
	CriticV CriticType = "v"
	// CriticQ is Q(h_t, a_t), the value of the history and the action (the joint action for
	// CC, the agent's own for DC).
	CriticQ CriticType = "q"
)

// Targets are the critic targets of the actor-critic algorithms.
type Targets string

const (
	// TargetsTD0 is y_t = r_t + gamma V_old(h_{t+1}), y_T = r_T (the paper).
	TargetsTD0 Targets = "td0"
	// TargetsNStep is the n-step return bootstrapped from V_old(h_{t+n}).
	TargetsNStep Targets = "nstep"
	// TargetsGAE is GAE(lambda): advantages A_t and targets A_t + V_old(h_t).
	TargetsGAE Targets = "gae"
)

// QAdvantage is the advantage of a Q critic.
type QAdvantage string

const (
	// QSampled is y_t - Q_old(h_t, a_t) of the sampled action (the reference).
	QSampled QAdvantage = "sampled"
	// QMean is y_t - mean_k Q_old(h_t, a^k_t) over the node's sampled actions, an estimate of
	// V(h_t) as baseline (collm's former choice).
	QMean QAdvantage = "mean"
)

// ActorCritic holds the settings of the critic-based algorithms (CoLLM-CC, CoLLM-DC).
type ActorCritic struct {
	// CriticType is v or q. Default v (the reference).
	CriticType CriticType `json:"critic_type,omitempty"`
	// QAdvantage is the advantage with critic_type q. Default sampled (the reference).
	QAdvantage QAdvantage `json:"q_advantage,omitempty"`
	// CriticLR is the critic's AdamW learning rate. Default 5e-6 (the reference). Below 1, as
	// actor_lr.
	CriticLR float64 `json:"critic_lr,omitempty"`
	// ValueLossCoef scales the critic loss. Default 0.6 (the reference).
	ValueLossCoef float64 `json:"value_loss_coef,omitempty"`
	// AdvantageNormalization rescales the advantages of each optimizer step (one agent, one
	// turn group; with minibatch update all of an agent's samples of the update): zscore or
	// none. Default zscore (the reference's advantage_normalization).
	AdvantageNormalization Normalization `json:"advantage_normalization,omitempty"`
	// CriticWarmup is the number of first updates that train only the critics: the actors keep
	// their weights (with a shared value head, only its value loss trains), so a freshly
	// initialized critic's errors do not act as advantages on actors that start from a good
	// policy. Default 0 (the paper; a collm option).
	CriticWarmup int `json:"critic_warmup,omitempty"`
	// Targets: td0 (default, the paper), nstep (NSteps, default 3) or gae (Lambda, default
	// 0.95), computed along each rollout path (collm options).
	Targets Targets `json:"targets,omitempty"`
	NSteps  int     `json:"n_steps,omitempty"`
	Lambda  float64 `json:"lambda,omitempty"`
}

// CCConfig configures CoLLM-CC (and the single-agent actor-critic): decentralized actors and
// one centralized critic that reads the joint history.
type CCConfig struct {
	Common
	ActorCritic
}

// DCConfig configures CoLLM-DC: decentralized actors, each with a critic on its own history.
type DCConfig struct {
	Common
	ActorCritic
	// ValueClip is eps of the PPO-style value clipping of a value head on the actor's backbone
	// (algorithm dc-shared). Default 0.2 (IACConfig's value_clip_range; the authors' Minecraft
	// configs use 0.05).
	ValueClip float64 `json:"value_clip,omitempty"`
}

// MCConfig configures the Monte Carlo family (MAGRPO, MARLOO, MAREMAX, MA-REINFORCE) and
// single-agent GRPO.
type MCConfig struct {
	Common
	// Baseline is set by the algorithm: mean (magrpo, grpo), rloo (marloo), max (maremax) or
	// raw (mareinforce); a different value is an error that names the algorithm to use.
	Baseline Baseline `json:"baseline,omitempty"`
	// AdvantageNormalization rescales each node's K advantages after the baseline: zscore,
	// std or none. Default zscore (the reference's advantage_normalization), under which the
	// four baselines train identically; none makes them differ.
	AdvantageNormalization Normalization `json:"advantage_normalization,omitempty"`
}

// sectionConfig is one algorithm config section (CCConfig, DCConfig, MCConfig).
type sectionConfig interface {
	common() *Common
	// setDefaults fills the unset fields for algorithm a.
	setDefaults(a Algorithm, multiTurn bool)
	// Validate reports the first bad field and how to fix it.
	Validate(numAgents int) error
}

func (c *CCConfig) common() *Common { return &c.Common }
func (c *DCConfig) common() *Common { return &c.Common }
func (c *MCConfig) common() *Common { return &c.Common }

func (c *Common) defaults(a Algorithm, multiTurn bool) {
	setInt(&c.NumGenerations, 4)
	setStr(&c.JointMode, JointAligned)
	setInt(&c.TasksPerUpdate, 4)
	setStr(&c.Minibatch, MinibatchReference)
	if a.Critic == CriticNone {
		setStr(&c.Branching, BranchTree)
		setInt(&c.RolloutBufferSize, 2)
	} else {
		setStr(&c.Branching, BranchChains)
		setInt(&c.RolloutBufferSize, 8)
	}
	if multiTurn {
		setFloat(&c.Gamma, 0.9)
	} else {
		setFloat(&c.Gamma, 1.0)
	}
	setFloat(&c.Temperature, 0.6)
	setFloat(&c.TopP, 0.6)
	setInt(&c.MaxNewTokens, 32)
	setFloat(&c.ActorLR, 5e-6)
	setFloat(&c.WeightDecay, 0.01)
	setStr(&c.KLPenalty, KLOwn)
	setInt(&c.Epochs, 1)
	setInt(&c.GradVarMicroBatches, 4)
	setInt(&c.GradVarEvery, 1)
}

func (c *Common) validate(numAgents int) error {
	switch {
	case c.NumGenerations < 1:
		return fmt.Errorf("num_generations=%d: want >= 1", c.NumGenerations)
	case c.JointMode != JointAligned && c.JointMode != JointCross:
		return fmt.Errorf("joint_mode=%q: want aligned or cross", c.JointMode)
	case c.Branching != BranchTree && c.Branching != BranchChains:
		return fmt.Errorf("branching=%q: want tree or chains", c.Branching)
	case c.TasksPerUpdate < 1:
		return fmt.Errorf("tasks_per_update=%d: want >= 1", c.TasksPerUpdate)
	case c.Minibatch != MinibatchReference && c.Minibatch != MinibatchUpdate:
		return fmt.Errorf("minibatch=%q: want reference (the reference's buffer cadence) or update (one step per update)", c.Minibatch)
	case c.RolloutBufferSize < 1:
		return fmt.Errorf("rollout_buffer_size=%d: want >= 1", c.RolloutBufferSize)
	case !(c.Gamma > 0 && c.Gamma <= 1):
		return fmt.Errorf("gamma=%g: want a discount in (0, 1]", c.Gamma)
	case !(c.Temperature >= 0) || math.IsInf(c.Temperature, 0) || !(c.TopP >= 0 && c.TopP <= 1) || c.TopK < 0:
		return fmt.Errorf("temperature=%g top_p=%g top_k=%d: want a finite temperature >= 0, top_p in [0,1], top_k >= 0", c.Temperature, c.TopP, c.TopK)
	case c.MaxNewTokens < 1:
		return fmt.Errorf("max_new_tokens=%d: want >= 1", c.MaxNewTokens)
	case !(c.ActorLR > 0 && c.ActorLR < maxLearningRate):
		return fmt.Errorf("actor_lr=%g: want a learning rate in (0, %g): AdamW moves each weight by about it per step (tiny models from scratch train at 3e-4 to 1e-3, fine-tuning at 5e-6)", c.ActorLR, maxLearningRate)
	case math.IsNaN(c.WeightDecay) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("weight_decay=%g: want a finite number >= 0 (negative turns decay off)", c.WeightDecay)
	case c.WeightDecay*c.ActorLR >= 1:
		return fmt.Errorf("weight_decay=%g with actor_lr=%g: each step multiplies the weights by 1 - lr x weight_decay, so the product must be below 1: lower weight_decay (default 0.01)", c.WeightDecay, c.ActorLR)
	case c.MaxGradNorm < 0 || math.IsNaN(c.MaxGradNorm):
		return fmt.Errorf("max_grad_norm=%g: want >= 0 (0 = no clipping)", c.MaxGradNorm)
	case c.WarmStartSteps < 0:
		return fmt.Errorf("warm_start_steps=%d: want >= 0 (0 = no warm start)", c.WarmStartSteps)
	case !(c.KLBeta >= 0) || math.IsInf(c.KLBeta, 0):
		return fmt.Errorf("kl_beta=%g: want a finite number >= 0 (0 = off)", c.KLBeta)
	case c.KLPenalty != KLOwn && c.KLPenalty != KLTeam:
		return fmt.Errorf("kl_penalty=%q: want own (each agent its own KL) or team (the shared reward pays the sum)", c.KLPenalty)
	case !(c.EntropyCoef >= 0) || math.IsInf(c.EntropyCoef, 0):
		return fmt.Errorf("entropy_coef=%g: want a finite number >= 0 (0 = off)", c.EntropyCoef)
	case !(c.PPOClip >= 0) || math.IsInf(c.PPOClip, 0) || c.Epochs < 1:
		return fmt.Errorf("ppo_clip=%g epochs=%d: want ppo_clip >= 0 and epochs >= 1", c.PPOClip, c.Epochs)
	case c.Epochs > 1 && c.PPOClip == 0:
		return fmt.Errorf("epochs=%d needs ppo_clip > 0: several passes over a batch are off-policy", c.Epochs)
	case c.GradVarMicroBatches == 0 || c.GradVarMicroBatches == 1 || c.GradVarMicroBatches < -1:
		return fmt.Errorf("grad_var_micro_batches=%d: want >= 2, or -1 to turn the measurement off", c.GradVarMicroBatches)
	case c.GradVarEvery < 1:
		return fmt.Errorf("grad_var_every=%d: want >= 1", c.GradVarEvery)
	case math.IsNaN(c.RewardShift) || math.IsInf(c.RewardShift, 0):
		return fmt.Errorf("reward_shift=%g: want a finite number", c.RewardShift)
	case c.EarlyTerminationThreshold != nil && (math.IsNaN(*c.EarlyTerminationThreshold) || math.IsInf(*c.EarlyTerminationThreshold, 0)):
		return fmt.Errorf("early_termination_threshold=%g: want a finite reward (or no_early_termination: true)", *c.EarlyTerminationThreshold)
	case c.JointMode == JointCross && pow(c.NumGenerations, numAgents) > 4096:
		return fmt.Errorf("joint_mode=cross with K=%d and %d agents makes %d joint actions per node: lower num_generations or use aligned",
			c.NumGenerations, numAgents, pow(c.NumGenerations, numAgents))
	}
	return c.checkRollout(numAgents, 1)
}

// maxTurnResponses bounds the responses one agent samples in one turn of a rollout (see
// Common.NumGenerations).
const maxTurnResponses = 4096

// maxLearningRate bounds every learning rate (see Common.ActorLR).
const maxLearningRate = 1.0

// checkRollout reports a rollout over turns turns whose agents would sample more than
// maxTurnResponses responses each in one turn.
func (c *Common) checkRollout(numAgents, turns int) error {
	joint := c.NumGenerations // joint actions per node
	if c.JointMode == JointCross {
		joint = pow(c.NumGenerations, numAgents)
	}
	most := mulCapped(c.TasksPerUpdate, c.NumGenerations) // the first turn
	if turns > 1 && c.Branching == BranchChains {
		most = max(most, mulCapped(c.TasksPerUpdate, joint)) // one response per node after the root
	} else if turns > 1 {
		nodes := c.TasksPerUpdate
		for range turns - 1 {
			nodes = mulCapped(nodes, joint)
		}
		most = mulCapped(nodes, c.NumGenerations)
	}
	if most <= maxTurnResponses {
		return nil
	}
	fix := "lower num_generations or tasks_per_update"
	if turns > 1 && c.Branching == BranchTree {
		fix += ", or use branching=chains (a tree multiplies its nodes by the joint actions per node at every turn)"
	}
	shape := fmt.Sprintf("joint_mode=%s, branching=%s", c.JointMode, c.Branching)
	if turns > 1 {
		shape += fmt.Sprintf(", %d turns", turns)
	}
	return fmt.Errorf("tasks_per_update=%d and num_generations=%d (%s): a rollout would sample more than %d responses per agent in one turn, one generation batch whose memory grows with it: %s",
		c.TasksPerUpdate, c.NumGenerations, shape, maxTurnResponses, fix)
}

// mulCapped is a*b for a, b >= 1, capped at maxTurnResponses+1 (no overflow).
func mulCapped(a, b int) int {
	if a > maxTurnResponses/b {
		return maxTurnResponses + 1
	}
	return a * b
}

// earlyTermination returns the threshold of early termination and whether it is on.
func (c *Common) earlyTermination() (float64, bool) {
	if c.NoEarlyTermination || c.EarlyTerminationThreshold == nil {
		return 0, false
	}
	return *c.EarlyTerminationThreshold, true
}

func (a *ActorCritic) defaults() {
	setStr(&a.CriticType, CriticV)
	setStr(&a.QAdvantage, QSampled)
	setFloat(&a.CriticLR, 5e-6)
	setFloat(&a.ValueLossCoef, 0.6)
	setStr(&a.AdvantageNormalization, NormZScore)
	setStr(&a.Targets, TargetsTD0)
	setInt(&a.NSteps, 3)
	setFloat(&a.Lambda, 0.95)
}

func (a *ActorCritic) validate(c *Common) error {
	switch {
	case a.CriticType != CriticV && a.CriticType != CriticQ:
		return fmt.Errorf("critic_type=%q: want v or q", a.CriticType)
	case a.QAdvantage != QSampled && a.QAdvantage != QMean:
		return fmt.Errorf("q_advantage=%q: want sampled or mean", a.QAdvantage)
	case !(a.CriticLR > 0 && a.CriticLR < maxLearningRate):
		return fmt.Errorf("critic_lr=%g: want a learning rate in (0, %g): AdamW moves each weight by about it per step", a.CriticLR, maxLearningRate)
	case c.WeightDecay*a.CriticLR >= 1:
		return fmt.Errorf("weight_decay=%g with critic_lr=%g: each step multiplies the weights by 1 - lr x weight_decay, so the product must be below 1: lower weight_decay (default 0.01)", c.WeightDecay, a.CriticLR)
	case !(a.ValueLossCoef > 0) || math.IsInf(a.ValueLossCoef, 0):
		return fmt.Errorf("value_loss_coef=%g: want a finite number > 0", a.ValueLossCoef)
	case a.AdvantageNormalization != NormZScore && a.AdvantageNormalization != NormNone:
		return fmt.Errorf("advantage_normalization=%q: want zscore or none", a.AdvantageNormalization)
	case a.CriticWarmup < 0:
		return fmt.Errorf("critic_warmup=%d: want >= 0 updates", a.CriticWarmup)
	case a.Targets != TargetsTD0 && a.Targets != TargetsNStep && a.Targets != TargetsGAE:
		return fmt.Errorf("targets=%q: want td0, nstep or gae", a.Targets)
	case a.NSteps < 1:
		return fmt.Errorf("n_steps=%d: want >= 1", a.NSteps)
	case !(a.Lambda >= 0 && a.Lambda <= 1):
		return fmt.Errorf("lambda=%g: want a value in [0, 1]", a.Lambda)
	case a.CriticType == CriticQ && a.Targets != TargetsTD0:
		return fmt.Errorf("critic_type=q supports targets=td0 only, got %q", a.Targets)
	case a.Targets != TargetsTD0 && c.Branching != BranchChains:
		return fmt.Errorf("targets=%s follows one path per episode: set branching=chains (or targets=td0 for trees)", a.Targets)
	}
	return nil
}

func (c *CCConfig) setDefaults(a Algorithm, multiTurn bool) {
	c.Common.defaults(a, multiTurn)
	c.ActorCritic.defaults()
}

// Validate reports the first bad field and how to fix it.
func (c *CCConfig) Validate(numAgents int) error {
	if err := c.Common.validate(numAgents); err != nil {
		return fmt.Errorf("cc config: %w", err)
	}
	if err := c.ActorCritic.validate(&c.Common); err != nil {
		return fmt.Errorf("cc config: %w", err)
	}
	return nil
}

func (c *DCConfig) setDefaults(a Algorithm, multiTurn bool) {
	c.Common.defaults(a, multiTurn)
	c.ActorCritic.defaults()
	setFloat(&c.ValueClip, 0.2)
}

// Validate reports the first bad field and how to fix it.
func (c *DCConfig) Validate(numAgents int) error {
	if err := c.Common.validate(numAgents); err != nil {
		return fmt.Errorf("dc config: %w", err)
	}
	if err := c.ActorCritic.validate(&c.Common); err != nil {
		return fmt.Errorf("dc config: %w", err)
	}
	if !(c.ValueClip >= 0) || math.IsInf(c.ValueClip, 0) {
		return fmt.Errorf("dc config: value_clip=%g: want a finite number >= 0", c.ValueClip)
	}
	return nil
}

func (c *MCConfig) setDefaults(a Algorithm, multiTurn bool) {
	c.Common.defaults(a, multiTurn)
	setStr(&c.Baseline, a.baseline)
	setStr(&c.AdvantageNormalization, NormZScore)
}

// Validate reports the first bad field and how to fix it.
func (c *MCConfig) Validate(numAgents int) error {
	if err := c.Common.validate(numAgents); err != nil {
		return fmt.Errorf("mc config: %w", err)
	}
	if err := c.Baseline.Validate(); err != nil {
		return fmt.Errorf("mc config: %w", err)
	}
	switch c.AdvantageNormalization {
	case NormZScore, NormStd, NormNone:
	default:
		return fmt.Errorf("mc config: advantage_normalization=%q: want zscore, std or none", c.AdvantageNormalization)
	}
	if c.Baseline != BaselineRaw && c.NumGenerations < 2 {
		return fmt.Errorf("mc config: baseline %s needs num_generations >= 2 (siblings to compare), got %d", c.Baseline, c.NumGenerations)
	}
	if c.Branching == BranchChains && c.Baseline != BaselineRaw {
		return fmt.Errorf("mc config: branching=chains leaves one sample per non-root node, so baseline %s has no siblings there: use branching=tree", c.Baseline)
	}
	return nil
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setFloat(p *float64, v float64) {
	if *p == 0 {
		*p = v
	}
}

func setStr[S ~string](p *S, v S) {
	if *p == "" {
		*p = v
	}
}

func pow(k, n int) int {
	out := 1
	for range n {
		out *= k
		if out > 1<<20 {
			return out
		}
	}
	return out
}
