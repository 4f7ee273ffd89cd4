package maac

import (
	"fmt"
	"math"
)

// Common holds the settings every algorithm shares. Its zero value plus defaults works; the
// defaults are the reference library's (CoMLRL) unless said otherwise. Zero means "use the
// default" for every numeric field.
type Common struct {
	// NumGenerations is K, the responses each agent samples per node. Default 4.
	NumGenerations int `json:"num_generations,omitempty"`
	// JointMode pairs the agents' samples into joint actions: "aligned" pairs the k-th responses
	// (K children per node), "cross" takes the Cartesian product (K^n children). Default "aligned".
	JointMode string `json:"joint_mode,omitempty"`
	// Branching is the rollout shape: "tree" expands every node into K (or K^n) children, as the
	// MC family needs for its per-node baselines; "chains" expands only the root and follows one
	// sample per node afterwards (K episodes per task). Default "tree" for the MC family and
	// "chains" for actor-critic, whose critics need no siblings.
	Branching string `json:"branching,omitempty"`
	// TasksPerUpdate is the number of tasks (root prompts) rolled out per update. Default 4.
	TasksPerUpdate int `json:"tasks_per_update,omitempty"`
	// Gamma is the discount. Default 1.0 for single-turn envs and 0.9 for multi-turn ones (the
	// reference's task configs). Values in (0, 1].
	Gamma float64 `json:"gamma,omitempty"`
	// Temperature and TopP of sampling. Defaults 0.6 and 0.6; tiny models from scratch explore
	// better at 1.0 and 1.0. TopK 0 keeps every token.
	Temperature float64 `json:"temperature,omitempty"`
	TopP        float64 `json:"top_p,omitempty"`
	TopK        int     `json:"top_k,omitempty"`
	// MaxNewTokens caps each response. Default 32.
	MaxNewTokens int `json:"max_new_tokens,omitempty"`
	// ActorLR is the AdamW learning rate of every actor. Default 5e-6 (full fine-tuning of 1.5B
	// models in the paper; tiny models from scratch want 3e-4 to 1e-3).
	ActorLR float64 `json:"actor_lr,omitempty"`
	// WeightDecay of AdamW (matrices only). Default 0.
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// MaxGradNorm clips the global gradient norm of each optimizer step. Default 1.0; negative
	// turns clipping off.
	MaxGradNorm float64 `json:"max_grad_norm,omitempty"`
	// RewardShift is added to every reward (the reference uses -4 coding, -2 StrBuild, -1
	// HouseBuild). Default 0.
	RewardShift float64 `json:"reward_shift,omitempty"`
	// KLBeta shapes the reward r' = r - KLBeta * sum_i KL_i with the k3 estimate of each agent's
	// KL to its frozen initial policy. Default 0 (off); the reference uses 0.1 when on.
	KLBeta float64 `json:"kl_beta,omitempty"`
	// EntropyCoef adds -EntropyCoef * H to each actor's loss, H the mean entropy of its policy
	// over the sampled response tokens (CleanRL's ent_coef), so policies keep exploring instead of
	// collapsing onto one answer. Default 0 (off, as the paper); tiny agents from scratch may
	// want about 0.01.
	EntropyCoef float64 `json:"entropy_coef,omitempty"`
	// PositiveAdvantages trains each actor on its samples with a positive advantage only
	// (negative advantages become 0, after any normalization), as rejection-sampling fine-tuning
	// (RAFT, ReST) keeps the better samples only: a failed attempt at a long answer is not pushed
	// down, so a policy from scratch retreats less onto the answers that are safest to sample (on
	// coding-mini agents learned to copy a constant from the statement where the plain gradient
	// did not), and after a warm start a correct part whose partner's part did not fit is not
	// pushed down (coding-mini from a base model: see envs/coding/mini.go). Default false (the
	// paper's policy gradient).
	PositiveAdvantages bool `json:"positive_advantages,omitempty"`
	// WarmStartSteps supervised steps on the env's demonstrations (envs.Demonstrator) run at the
	// start of the first update (Trainer.WarmStart: TasksPerUpdate tasks per step, at ActorLR;
	// their mean losses are logged as warm_start/loss_first and warm_start/loss_last). This is
	// how agents from random weights get the base model the paper starts from: with coding-mini's
	// demos=varied they learn to write each function but no convention between them. A resumed
	// run does not repeat it. Default 0 (none).
	WarmStartSteps int `json:"warm_start_steps,omitempty"`
	// EarlyStopReward, when non-zero, ends the episodes of a task after a turn whose mean reward
	// exceeds it (later turns are skipped). Default 0 (off).
	EarlyStopReward float64 `json:"early_stop_reward,omitempty"`
	// PPOClip, when > 0, replaces the plain policy gradient by PPO's clipped surrogate with the
	// sequence-level ratio pi/pi_old of each response, and Epochs passes are made over each batch.
	// Default 0 (off: strictly on-policy, one pass, as the paper). Epochs default 1.
	PPOClip float64 `json:"ppo_clip,omitempty"`
	Epochs  int     `json:"epochs,omitempty"`
	// GradVarMicroBatches is M, the micro-batches of the gradient-variance measurement
	// (grad/agent/<i>/variance). Default 4; -1 turns the measurement off.
	GradVarMicroBatches int `json:"grad_var_micro_batches,omitempty"`
	// GradVarEvery measures the gradient variance every this many updates. Default 1.
	GradVarEvery int `json:"grad_var_every,omitempty"`
	// Seed makes the run reproducible: model initialization, task order and sampling all derive
	// from it. Default 0.
	Seed uint64 `json:"seed"`
}

// ActorCritic holds the settings of the critic-based algorithms (CoLLM-CC, CoLLM-DC).
type ActorCritic struct {
	// CriticType is "v" (value of the history) or "q" (value of the history and the joint action,
	// CC; the agent's own action, DC). With "q" the advantage is y_t - mean_k Q_old(h_t, a^k_t)
	// over the node's sampled actions. Default "v".
	CriticType string `json:"critic_type,omitempty"`
	// CriticLR is the critic's AdamW learning rate. Default 5e-6.
	CriticLR float64 `json:"critic_lr,omitempty"`
	// ValueLossCoef scales the critic loss. Default 0.6.
	ValueLossCoef float64 `json:"value_loss_coef,omitempty"`
	// NoAdvantageNormalization turns off (A - mean)/max(std, 1e-6) over the update buffer.
	NoAdvantageNormalization bool `json:"no_advantage_normalization,omitempty"`
	// CriticWarmup is the number of first updates that train only the critics: the actors keep
	// their weights (with a shared value head, only its value loss trains). A freshly initialized
	// critic's errors would otherwise act as advantages and can wreck actors that start from a
	// good policy (a warm start or a pretrained checkpoint). Default 0 (the paper).
	CriticWarmup int `json:"critic_warmup,omitempty"`
	// Targets: "td0" (default, the paper), "nstep" (NSteps, default 3) or "gae" (Lambda, default
	// 0.95), computed along each rollout path.
	Targets string  `json:"targets,omitempty"`
	NSteps  int     `json:"n_steps,omitempty"`
	Lambda  float64 `json:"lambda,omitempty"`
}

// CCConfig configures CoLLM-CC: decentralized actors and one centralized critic that reads the
// joint history.
type CCConfig struct {
	Common
	ActorCritic
}

// DCConfig configures CoLLM-DC: decentralized actors, each with a critic on its own history.
type DCConfig struct {
	Common
	ActorCritic
	// Shared puts each agent's value head on its actor's backbone (topology b) instead of a
	// separate critic model per agent (topology a). Default false.
	Shared bool `json:"shared,omitempty"`
	// ValueClip is eps of PPO-style value clipping, used with Shared. Default 0.2 (the reference
	// uses 0.05 on Minecraft).
	ValueClip float64 `json:"value_clip,omitempty"`
}

// MCConfig configures the Monte Carlo family (MAGRPO, MARLOO, MAREMAX, MA-REINFORCE) and
// single-agent GRPO.
type MCConfig struct {
	Common
	// Baseline: "mean" (MAGRPO, default), "rloo", "max" or "raw".
	Baseline Baseline `json:"baseline,omitempty"`
	// NormalizeStd divides each node's advantages by their standard deviation (GRPO-style).
	NormalizeStd bool `json:"normalize_std,omitempty"`
}

func (c *Common) defaults(multiTurn, monteCarlo bool) {
	setInt(&c.NumGenerations, 4)
	setStr(&c.JointMode, "aligned")
	if monteCarlo {
		setStr(&c.Branching, "tree")
	} else {
		setStr(&c.Branching, "chains")
	}
	setInt(&c.TasksPerUpdate, 4)
	if multiTurn {
		setFloat(&c.Gamma, 0.9)
	} else {
		setFloat(&c.Gamma, 1.0)
	}
	setFloat(&c.Temperature, 0.6)
	setFloat(&c.TopP, 0.6)
	setInt(&c.MaxNewTokens, 32)
	setFloat(&c.ActorLR, 5e-6)
	setFloat(&c.MaxGradNorm, 1.0)
	setInt(&c.Epochs, 1)
	setInt(&c.GradVarMicroBatches, 4)
	setInt(&c.GradVarEvery, 1)
}

func (c *Common) validate(numAgents int) error {
	switch {
	case c.NumGenerations < 1:
		return fmt.Errorf("num_generations=%d: want >= 1", c.NumGenerations)
	case c.JointMode != "aligned" && c.JointMode != "cross":
		return fmt.Errorf("joint_mode=%q: want aligned or cross", c.JointMode)
	case c.Branching != "tree" && c.Branching != "chains":
		return fmt.Errorf("branching=%q: want tree or chains", c.Branching)
	case c.TasksPerUpdate < 1:
		return fmt.Errorf("tasks_per_update=%d: want >= 1", c.TasksPerUpdate)
	case !(c.Gamma > 0 && c.Gamma <= 1):
		return fmt.Errorf("gamma=%g: want a discount in (0, 1]", c.Gamma)
	case c.Temperature < 0 || c.TopP < 0 || c.TopP > 1 || c.TopK < 0:
		return fmt.Errorf("temperature=%g top_p=%g top_k=%d: want temperature >= 0, top_p in [0,1], top_k >= 0", c.Temperature, c.TopP, c.TopK)
	case c.MaxNewTokens < 1:
		return fmt.Errorf("max_new_tokens=%d: want >= 1", c.MaxNewTokens)
	case !(c.ActorLR > 0):
		return fmt.Errorf("actor_lr=%g: want > 0", c.ActorLR)
	case c.WeightDecay < 0:
		return fmt.Errorf("weight_decay=%g: want >= 0", c.WeightDecay)
	case c.WarmStartSteps < 0:
		return fmt.Errorf("warm_start_steps=%d: want >= 0 (0 = no warm start)", c.WarmStartSteps)
	case c.KLBeta < 0:
		return fmt.Errorf("kl_beta=%g: want >= 0 (0 = off)", c.KLBeta)
	case c.EntropyCoef < 0:
		return fmt.Errorf("entropy_coef=%g: want >= 0 (0 = off)", c.EntropyCoef)
	case c.PPOClip < 0 || c.Epochs < 1:
		return fmt.Errorf("ppo_clip=%g epochs=%d: want ppo_clip >= 0 and epochs >= 1", c.PPOClip, c.Epochs)
	case c.Epochs > 1 && c.PPOClip == 0:
		return fmt.Errorf("epochs=%d needs ppo_clip > 0: several passes over a batch are off-policy", c.Epochs)
	case c.GradVarMicroBatches == 0 || c.GradVarMicroBatches == 1 || c.GradVarMicroBatches < -1:
		return fmt.Errorf("grad_var_micro_batches=%d: want >= 2, or -1 to turn the measurement off", c.GradVarMicroBatches)
	case c.GradVarEvery < 1:
		return fmt.Errorf("grad_var_every=%d: want >= 1", c.GradVarEvery)
	case math.IsNaN(c.RewardShift) || math.IsInf(c.RewardShift, 0):
		return fmt.Errorf("reward_shift=%g: want a finite number", c.RewardShift)
	case c.JointMode == "cross" && pow(c.NumGenerations, numAgents) > 4096:
		return fmt.Errorf("joint_mode=cross with K=%d and %d agents makes %d joint actions per node: lower num_generations or use aligned",
			c.NumGenerations, numAgents, pow(c.NumGenerations, numAgents))
	}
	return nil
}

func (a *ActorCritic) defaults() {
	setStr(&a.CriticType, "v")
	setFloat(&a.CriticLR, 5e-6)
	setFloat(&a.ValueLossCoef, 0.6)
	setStr(&a.Targets, "td0")
	setInt(&a.NSteps, 3)
	setFloat(&a.Lambda, 0.95)
}

func (a *ActorCritic) validate() error {
	switch {
	case a.CriticType != "v" && a.CriticType != "q":
		return fmt.Errorf("critic_type=%q: want v or q", a.CriticType)
	case !(a.CriticLR > 0):
		return fmt.Errorf("critic_lr=%g: want > 0", a.CriticLR)
	case !(a.ValueLossCoef > 0):
		return fmt.Errorf("value_loss_coef=%g: want > 0", a.ValueLossCoef)
	case a.CriticWarmup < 0:
		return fmt.Errorf("critic_warmup=%d: want >= 0 updates", a.CriticWarmup)
	case a.Targets != "td0" && a.Targets != "nstep" && a.Targets != "gae":
		return fmt.Errorf("targets=%q: want td0, nstep or gae", a.Targets)
	case a.NSteps < 1:
		return fmt.Errorf("n_steps=%d: want >= 1", a.NSteps)
	case a.Lambda < 0 || a.Lambda > 1:
		return fmt.Errorf("lambda=%g: want a value in [0, 1]", a.Lambda)
	case a.CriticType == "q" && a.Targets != "td0":
		return fmt.Errorf("critic_type=q supports targets=td0 only, got %q", a.Targets)
	}
	return nil
}

func (a *ActorCritic) validateWith(c *Common) error {
	if a.Targets != "td0" && c.Branching != "chains" {
		return fmt.Errorf("targets=%s follows one path per episode: set branching=chains (or targets=td0 for trees)", a.Targets)
	}
	return nil
}

// Defaults fills unset fields; multiTurn selects the discount default.
func (c *CCConfig) Defaults(multiTurn bool) {
	c.Common.defaults(multiTurn, false)
	c.ActorCritic.defaults()
}

// Validate reports the first bad field and how to fix it.
func (c *CCConfig) Validate(numAgents int) error {
	if err := c.Common.validate(numAgents); err != nil {
		return fmt.Errorf("cc config: %w", err)
	}
	if err := c.ActorCritic.validate(); err != nil {
		return fmt.Errorf("cc config: %w", err)
	}
	if err := c.ActorCritic.validateWith(&c.Common); err != nil {
		return fmt.Errorf("cc config: %w", err)
	}
	return nil
}

// Defaults fills unset fields; multiTurn selects the discount default.
func (c *DCConfig) Defaults(multiTurn bool) {
	c.Common.defaults(multiTurn, false)
	c.ActorCritic.defaults()
	setFloat(&c.ValueClip, 0.2)
}

// Validate reports the first bad field and how to fix it.
func (c *DCConfig) Validate(numAgents int) error {
	if err := c.Common.validate(numAgents); err != nil {
		return fmt.Errorf("dc config: %w", err)
	}
	if err := c.ActorCritic.validate(); err != nil {
		return fmt.Errorf("dc config: %w", err)
	}
	if err := c.ActorCritic.validateWith(&c.Common); err != nil {
		return fmt.Errorf("dc config: %w", err)
	}
	if c.ValueClip < 0 {
		return fmt.Errorf("dc config: value_clip=%g: want >= 0", c.ValueClip)
	}
	if c.Shared && c.CriticType == "q" {
		return fmt.Errorf("dc config: shared=true reads the value at the prompt; critic_type=q needs a separate critic (shared=false)")
	}
	return nil
}

// Defaults fills unset fields; multiTurn selects the discount default.
func (c *MCConfig) Defaults(multiTurn bool) {
	c.Common.defaults(multiTurn, true)
	if c.Baseline == "" {
		c.Baseline = BaselineMean
	}
}

// Validate reports the first bad field and how to fix it.
func (c *MCConfig) Validate(numAgents int) error {
	if err := c.Common.validate(numAgents); err != nil {
		return fmt.Errorf("mc config: %w", err)
	}
	if err := c.Baseline.Validate(); err != nil {
		return fmt.Errorf("mc config: %w", err)
	}
	if c.Baseline != BaselineRaw && c.NumGenerations < 2 {
		return fmt.Errorf("mc config: baseline %s needs num_generations >= 2 (siblings to compare), got %d", c.Baseline, c.NumGenerations)
	}
	if c.Branching == "chains" && c.Baseline != BaselineRaw {
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

func setStr(p *string, v string) {
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
