package maac

import "fmt"

// Metrics are the named numbers of one update. Every name is defined once, here, and the x-axis
// of all of them is env_step.
//
//	update                          number of the update (1-based)
//	env_step                        joint-action reward evaluations so far (the reference's x-axis)
//	return/mean, return/std         the tree Monte Carlo return R_0 of the root joint actions, with
//	                                the algorithm's discount, reward shift and KL penalty (the mean
//	                                over agents when a per-agent KL penalty makes them differ)
//	episode/return/mean             the undiscounted sum of environment rewards of an episode,
//	                                averaged over the rollout tree: comparable across algorithms
//	return/turn/<t>/mean, .../std   R_t of the joint actions at turn t
//	reward/mean                     mean environment reward r_t over all joint actions
//	reward/<name>/mean              mean of each named reward part (Transition.Parts)
//	info/<name>/mean                mean of each extra env metric (Transition.Info, e.g. iou)
//	rollout/truncated_prompts       prompts and critic inputs cut from the left to fit the
//	                                model's context
//	agent/<i>/policy_loss           the actor loss of agent i, mean over the update's steps (the
//	                                last epoch of each)
//	agent/<i>/entropy               mean predictive entropy over agent i's response tokens (nats),
//	                                mean over the update's steps
//	agent/<i>/kl                    mean k3 KL of agent i's responses to its initial policy (KL on)
//	agent/<i>/grad_norm             global gradient norm of agent i's steps before clipping, mean
//	                                over the update's steps
//	agent/<i>/response_length       mean tokens per response of agent i
//	agent/<i>/advantage/mean, /std  the advantages agent i's policy gradient used, after each
//	                                step's normalization (negative ones set to 0 with
//	                                positive_advantages)
//	optim/agent/<i>/steps           optimizer steps agent i's actor has taken since the run began
//	                                (cumulative; the cadence decides how many per update)
//	optim/critic/steps              optimizer steps of the centralized critic (CC), cumulative
//	optim/critic/<i>/steps          optimizer steps of agent i's critic (DC), cumulative; a value
//	                                head on the actor (dc-shared) steps with its actor
//	grad/agent/<i>/variance         1/(M-1) sum_m ||g_m - mean_g||^2 over M micro-batch gradients
//	                                of all of agent i's samples of the update, before its first step
//	grad/agent/<i>/relative_variance   variance / ||mean_g||^2
//	grad/agent/<i>/norm             ||mean_g|| of the micro-batch gradients
//	critic/value_loss               the centralized critic's loss (CC), or the mean over agents (DC),
//	                                mean over the update's critic steps
//	critic/<i>/value_loss           agent i's critic loss (DC), likewise
//	critic/explained_variance       1 - Var(y - V_old)/Var(y) over the update's joint actions and
//	                                agents, targets y and rollout-time values V_old (Q_old)
//	critic/value/mean               mean V_old (Q_old) over the same pairs
//	warm_start/loss_first, /loss_last   mean supervised loss of the first and last warm-start
//	                                step (warm_start_steps; logged with the first update only)
//	time/update_s, time/generation_s, time/env_s, time/scoring_s, time/critic_s, time/optimizer_s
//	                                wall time of the update and of its parts; critic and optimizer
//	                                add up the agents' and critics' steps, which run as concurrent
//	                                tasks (Common.Sequential), so the parts can add up to more than
//	                                time/update_s
//	time/warm_start_s               wall time of the warm start (first update only; not in
//	                                time/update_s)
//	throughput/env_steps_per_s      env steps per second of the whole update
//	throughput/tokens_per_s         generated tokens per second of generation
//	perf/compiles                   graphs compiled since the trainer was built (cumulative;
//	                                a resumed run counts from its resume): every graph reading
//	                                the run's model variables (generation, scoring, values,
//	                                optimizer steps), counted when GoMLX builds it, which it does
//	                                only to compile it (lm.Compiles). Shapes are padded to
//	                                buckets (lm.Model.SeqBucket, RowBucket), so it stops growing
//	                                once a run has met its lengths
type Metrics map[string]float64

// Fixed metric names.
const (
	MetricUpdate             = "update"
	MetricEnvStep            = "env_step"
	MetricReturnMean         = "return/mean"
	MetricReturnStd          = "return/std"
	MetricEpisodeReturnMean  = "episode/return/mean"
	MetricRewardMean         = "reward/mean"
	MetricTruncatedPrompts   = "rollout/truncated_prompts"
	MetricValueLoss          = "critic/value_loss"
	MetricExplainedVariance  = "critic/explained_variance"
	MetricValueMean          = "critic/value/mean"
	MetricCriticSteps        = "optim/critic/steps"
	MetricWarmStartLossFirst = "warm_start/loss_first"
	MetricWarmStartLossLast  = "warm_start/loss_last"
	MetricTimeWarmStart      = "time/warm_start_s"
	MetricTimeUpdate         = "time/update_s"
	MetricTimeGeneration     = "time/generation_s"
	MetricTimeEnv            = "time/env_s"
	MetricTimeScoring        = "time/scoring_s"
	MetricTimeCritic         = "time/critic_s"
	MetricTimeOptimizer      = "time/optimizer_s"
	MetricEnvStepsPerSec     = "throughput/env_steps_per_s"
	MetricTokensPerSec       = "throughput/tokens_per_s"
	MetricCompiles           = "perf/compiles"
)

// agentMetric names a per-agent metric: agent/<i>/<name>.
func agentMetric(i int, name string) string { return fmt.Sprintf("agent/%d/%s", i, name) }

// gradMetric names a gradient-variance metric: grad/agent/<i>/<name>.
func gradMetric(i int, name string) string { return fmt.Sprintf("grad/agent/%d/%s", i, name) }

// optimAgentMetric names agent i's cumulative optimizer steps: optim/agent/<i>/steps.
func optimAgentMetric(i int) string { return fmt.Sprintf("optim/agent/%d/steps", i) }

// optimCriticMetric names agent i's critic's cumulative optimizer steps: optim/critic/<i>/steps.
func optimCriticMetric(i int) string { return fmt.Sprintf("optim/critic/%d/steps", i) }

// criticMetric names a per-critic metric: critic/<i>/<name>.
func criticMetric(i int, name string) string { return fmt.Sprintf("critic/%d/%s", i, name) }

// rolloutMetrics records returns per turn, rewards and their parts.
func rolloutMetrics(r *rollout, m Metrics) {
	var rootRet, rootEp []float64
	for _, nd := range r.roots {
		for _, e := range nd.edges {
			rootRet = append(rootRet, agentMean(e.returns))
			rootEp = append(rootEp, e.episodeReturn)
		}
	}
	m[MetricReturnMean], m[MetricReturnStd] = MeanStd(rootRet)
	m[MetricEpisodeReturnMean], _ = MeanStd(rootEp)
	var rewards []float64
	parts, infos := map[string][]float64{}, map[string][]float64{}
	for t, level := range r.edges {
		var rets []float64
		for _, e := range level {
			rets = append(rets, agentMean(e.returns))
			rewards = append(rewards, e.envReward)
			for k, v := range e.parts {
				parts[k] = append(parts[k], v)
			}
			for k, v := range e.info {
				infos[k] = append(infos[k], v)
			}
		}
		m[fmt.Sprintf("return/turn/%d/mean", t)], m[fmt.Sprintf("return/turn/%d/std", t)] = MeanStd(rets)
	}
	m[MetricRewardMean], _ = MeanStd(rewards)
	for k, vs := range parts {
		m["reward/"+k+"/mean"], _ = MeanStd(vs)
	}
	for k, vs := range infos {
		m["info/"+k+"/mean"], _ = MeanStd(vs)
	}
	m[MetricTruncatedPrompts] = float64(r.truncated)
}

// agentMean is the mean of per-agent values.
func agentMean(xs []float64) float64 {
	mean, _ := MeanStd(xs)
	return mean
}

// explainedVariance is 1 - Var(y - v)/Var(y); ok is false when the targets do not vary.
func explainedVariance(y, v []float64) (ev float64, ok bool) {
	diff := make([]float64, len(y))
	for i := range y {
		diff[i] = y[i] - v[i]
	}
	_, sy := MeanStd(y)
	_, sd := MeanStd(diff)
	if sy == 0 {
		return 0, false
	}
	return 1 - sd*sd/(sy*sy), true
}
