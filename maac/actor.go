package maac

import (
	"fmt"
	"time"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/collm/collm/maac/lm"
)

// The policy-gradient step shared by every algorithm. An algorithm decides each sample's
// advantage; this file turns samples into a padded batch and applies
//
//	loss_i = -sum_n w_n * A_n * log pi_i(a_n | h_n)         (plain, the paper)
//	loss_i = -sum_n w_n * min(rho_n A_n, clip(rho_n, 1-eps, 1+eps) A_n)   (PPOClip > 0)
//
// with log pi_i(a|h) the SUM of the response's token log-probs (a response is one action),
// rho = pi/pi_old of the whole response, and w_n = 1/N (0 on padding rows), N the samples of
// the step. An entropy bonus (EntropyCoef) is the mean over the step's response tokens, and a
// value head's loss (dc-shared) the w_n-weighted sum over samples. Every term is thus a sum over
// samples with weights fixed by the whole step (1/N per sample, 1/tokens per token): a part of
// the step packed with the step's weights (partInputs) has a loss, and a gradient, that is its
// share of the step's, and the shares of disjoint parts add up to the step's.
//
// Gradient accumulation: when the gradient-variance measurement splits an update's samples
// into M micro-batches and the update is one step on those samples, the step applies the sum
// of the micro-batches' shares (lm.Trainer.ApplyGradient) instead of a backward pass of its
// own, so the measurement costs no extra backward pass.

// actorBatch is the samples of one actor step.
type actorBatch struct {
	prompts, responses [][]int
	advantages         []float64
	oldLogp            []float64 // sum of behavior log-probs of each response
	// A value head on the actor (dc-shared) only: value targets and rollout-time values at the
	// prompt's end.
	targets, oldValues []float64
}

func (b *actorBatch) add(prompt []int, s lm.Sample, adv float64) {
	b.prompts = append(b.prompts, prompt)
	b.responses = append(b.responses, s.Tokens)
	b.advantages = append(b.advantages, adv)
	sum := 0.0
	for _, lp := range s.LogProbs {
		sum += lp
	}
	b.oldLogp = append(b.oldLogp, sum)
}

// subset returns the rows idx of b.
func (b *actorBatch) subset(idx []int) *actorBatch {
	out := &actorBatch{}
	for _, i := range idx {
		out.prompts = append(out.prompts, b.prompts[i])
		out.responses = append(out.responses, b.responses[i])
		out.advantages = append(out.advantages, b.advantages[i])
		out.oldLogp = append(out.oldLogp, b.oldLogp[i])
		if b.targets != nil {
			out.targets = append(out.targets, b.targets[i])
			out.oldValues = append(out.oldValues, b.oldValues[i])
		}
	}
	return out
}

// actorLossConfig selects the terms of an actor's loss.
type actorLossConfig struct {
	ppoClip       float64 // 0: plain policy gradient
	valueHead     bool    // add the clipped value loss of a value head on the actor (dc-shared)
	valueClip     float64
	valueLossCoef float64
}

// newActorTrainer builds agent a's optimizer and loss. Inputs of the loss, in order: ids, mask
// [N,T] int32; response mask [N,T]; advantages, sample weights, token weights, old log-probs
// [N]; with valueHead also prompt-end index [N] int32, value targets [N], old values [N].
func newActorTrainer(t *Trainer, a *Agent, name string, lc actorLossConfig) (*lm.Trainer, error) {
	m := a.Model
	cfg := t.trainConfig(name, t.common.ActorLR)
	loss := func(g *Graph, in []*Node) (*Node, []*Node) {
		ids, mask, respMask, adv, weights, tokenWeights, oldLogp := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
		hidden := m.Hidden(ids, mask)
		logp, entropy := m.TokenLogProbsFromLogits(m.Logits(hidden), ids, mask)
		seqLogp := ReduceSum(Mul(logp, respMask), 1) // log pi(a|h) of each response [N]
		var objective *Node
		if lc.ppoClip > 0 {
			ratio := Exp(Sub(seqLogp, oldLogp))
			clipped := ClipScalar(ratio, 1-lc.ppoClip, 1+lc.ppoClip)
			objective = Min(Mul(ratio, adv), Mul(clipped, adv))
		} else {
			objective = Mul(seqLogp, adv)
		}
		policyLoss := Neg(ReduceAllSum(Mul(objective, weights)))
		meanEntropy := ReduceAllSum(Mul(ReduceSum(Mul(entropy, respMask), 1), tokenWeights))
		total := policyLoss
		if t.common.EntropyCoef > 0 {
			total = Sub(total, MulScalar(meanEntropy, t.common.EntropyCoef))
		}
		extra := []*Node{policyLoss, meanEntropy}
		if lc.valueHead {
			// L = max((V - y)^2, (V_clip - y)^2), V_clip = V_old + clip(V - V_old, -eps, eps)
			index, targets, oldValues := in[7], in[8], in[9]
			values := m.Values(hidden, index)
			clippedValues := Add(oldValues, ClipScalar(Sub(values, oldValues), -lc.valueClip, lc.valueClip))
			valueLoss := ReduceAllSum(Mul(Max(Square(Sub(values, targets)), Square(Sub(clippedValues, targets))), weights))
			total = Add(total, MulScalar(valueLoss, lc.valueLossCoef))
			extra = append(extra, valueLoss)
		}
		return total, extra
	}
	return lm.NewTrainer(t.Backend, t.Store, []string{m.Scope}, cfg, loss)
}

// tokens is the number of response tokens of b.
func (b *actorBatch) tokens() int {
	n := 0
	for _, r := range b.responses {
		n += len(r)
	}
	return n
}

// inputs packs the batch for the actor's loss as a whole step.
func (b *actorBatch) inputs(m *lm.Model) ([]any, error) {
	return b.partInputs(m, len(b.prompts), b.tokens())
}

// partInputs packs b as a part of a step of n samples with tokens response tokens: each sample
// weighs 1/n, each response token 1/tokens (the entropy's mean), so that the part's loss is its
// share of the step's. The rows are padded to a multiple of 8 with weight-0 copies of row 0 so
// that few distinct shapes are compiled.
func (b *actorBatch) partInputs(m *lm.Model, n, tokens int) ([]any, error) {
	rows := len(b.prompts)
	padded := roundUp(rows, 8)
	prompts, responses := b.prompts, b.responses
	for len(prompts) < padded {
		prompts = append(prompts, b.prompts[0])
		responses = append(responses, b.responses[0])
	}
	packed, err := m.PackBatch(prompts, responses)
	if err != nil {
		return nil, err
	}
	adv, weights, tokenWeights, old := make([]float32, padded), make([]float32, padded), make([]float32, padded), make([]float32, padded)
	for i := range rows {
		adv[i], old[i] = float32(b.advantages[i]), float32(b.oldLogp[i])
		weights[i], tokenWeights[i] = float32(1/float64(n)), float32(1/float64(max(tokens, 1)))
	}
	in := []any{packed.IDs, packed.Mask, packed.ResponseMask, adv, weights, tokenWeights, old}
	if b.targets != nil {
		targets, values := make([]float32, padded), make([]float32, padded)
		for i := range rows {
			targets[i], values[i] = float32(b.targets[i]), float32(b.oldValues[i])
		}
		in = append(in, packed.PromptEnd, targets, values)
	}
	return in, nil
}

// actorStep is the outcome of one actor step.
type actorStep struct {
	policyLoss, entropy, gradNorm float64
	// valueLoss is the clipped value loss of a value head on the actor (dc-shared), if any.
	valueLoss    float64
	hasValueLoss bool
}

// stepActor runs agent i's policy-gradient step on b (Epochs passes). With acc, the measured
// gradient of exactly b's samples (measureGradVariance), the first pass applies it instead of
// computing its own.
func (t *Trainer) stepActor(i int, b *actorBatch, acc *batchGradient, m Metrics) (actorStep, error) {
	a := t.Agents[i]
	if len(b.prompts) == 0 {
		return actorStep{}, fmt.Errorf("%s: no samples to train on", a.Name)
	}
	defer timed(m, MetricTimeOptimizer)()
	var out actorStep
	var in []any
	for epoch := range t.common.Epochs {
		if epoch == 0 && acc != nil {
			res, err := t.actors[i].ApplyGradient(acc.grad)
			if err != nil {
				return actorStep{}, fmt.Errorf("%s: %w", a.Name, err)
			}
			out = actorStep{policyLoss: acc.policyLoss, entropy: acc.entropy, gradNorm: res.GradNorm}
			continue
		}
		if in == nil {
			var err error
			if in, err = b.inputs(a.Model); err != nil {
				return actorStep{}, fmt.Errorf("%s: %w", a.Name, err)
			}
		}
		res, err := t.actors[i].Step(in...)
		if err != nil {
			return actorStep{}, fmt.Errorf("%s: %w", a.Name, err)
		}
		out = actorStep{policyLoss: scalar(res.Extra[0]), entropy: scalar(res.Extra[1]), gradNorm: res.GradNorm}
		if len(res.Extra) > 2 {
			out.valueLoss, out.hasValueLoss = scalar(res.Extra[2]), true
		}
	}
	return out, nil
}

// positiveOnly sets the negative advantages to 0 when PositiveAdvantages is on.
func (t *Trainer) positiveOnly(advantages []float64) {
	if t.common.PositiveAdvantages {
		for k, adv := range advantages {
			advantages[k] = max(adv, 0)
		}
	}
}

// batchGradient is the gradient of an actor's loss on a whole batch, accumulated from its
// micro-batches' shares, with the loss terms it reports.
type batchGradient struct {
	grad                []float32
	policyLoss, entropy float64
}

// measureGradVariance splits agent i's samples of the update (with their final advantages) into
// M interleaved micro-batches, computes each one's policy gradient without updating, and records
// GradientStats. It runs every GradVarEvery updates, before the agent's first step.
//
// Each micro-batch is packed as a part of b (partInputs), so its gradient is its share of b's;
// the statistics take each share times N/N_m, the micro-batch's own mean gradient (N_m of its N
// samples; with an entropy bonus, its entropy term is weighted per token of b). When the update
// is one step on b (step), the returned sum of the shares is that step's gradient, so the step
// needs no backward pass of its own; it is nil otherwise (not measured, several steps, or a
// value head on the actor, whose step's loss has a value term the measured policy gradient
// lacks).
func (t *Trainer) measureGradVariance(i int, b *actorBatch, step bool, m Metrics) (*batchGradient, error) {
	M := t.common.GradVarMicroBatches
	if M < 2 || t.update%t.common.GradVarEvery != 0 || len(b.prompts) < M {
		return nil, nil // off, not due, or too few samples for M non-empty micro-batches
	}
	defer timed(m, MetricTimeOptimizer)()
	tr := t.actors[i]
	if t.gradVar[i] != nil {
		tr, step = t.gradVar[i], false // the policy loss alone, without the value head's
	}
	n, tokens := len(b.prompts), b.tokens()
	var sum []float64
	acc := &batchGradient{}
	grads := make([][]float32, M)
	for mb := range M {
		var idx []int
		for r := mb; r < n; r += M {
			idx = append(idx, r)
		}
		sub := b.subset(idx)
		sub.targets, sub.oldValues = nil, nil // the variance is of the policy gradient alone
		in, err := sub.partInputs(t.Agents[i].Model, n, tokens)
		if err != nil {
			return nil, err
		}
		res, err := tr.Gradient(in...)
		if err != nil {
			return nil, fmt.Errorf("%s gradient variance: %w", t.Agents[i].Name, err)
		}
		g := res.Gradient
		if step {
			if sum == nil {
				sum = make([]float64, len(g))
			}
			for j, x := range g {
				sum[j] += float64(x)
			}
			acc.policyLoss += scalar(res.Extra[0])
			acc.entropy += scalar(res.Extra[1])
		}
		scale := float32(float64(n) / float64(len(idx)))
		for j := range g {
			g[j] *= scale
		}
		grads[mb] = g
	}
	stats, err := GradientStats(grads)
	if err != nil {
		return nil, err
	}
	m[gradMetric(i, "variance")] = stats.Variance
	m[gradMetric(i, "relative_variance")] = stats.RelativeVariance
	m[gradMetric(i, "norm")] = stats.Norm
	if !step {
		return nil, nil
	}
	acc.grad = make([]float32, len(sum))
	for j, x := range sum {
		acc.grad[j] = float32(x)
	}
	return acc, nil
}

// addActor creates agent i's optimizer and, when the variance measurement is on and the actor
// has a value head, a gradient-only twin with the policy loss alone for the measurement.
func (t *Trainer) addActor(i int, a *Agent, lc actorLossConfig) error {
	var err error
	if t.actors[i], err = newActorTrainer(t, a, a.Name, lc); err != nil {
		return err
	}
	if t.common.GradVarMicroBatches > 0 && lc.valueHead {
		plain := actorLossConfig{ppoClip: lc.ppoClip}
		if t.gradVar[i], err = newActorTrainer(t, a, a.Name+"_gradvar", plain); err != nil {
			return err
		}
	}
	return nil
}

// agentStats averages an agent's step results over an update and records them.
type agentStats struct {
	steps                         int
	policyLoss, entropy, gradNorm float64
	advantages                    []float64
	tokens, responses             int
}

func (s *agentStats) addStep(r actorStep, b *actorBatch) {
	s.steps++
	s.policyLoss += r.policyLoss
	s.entropy += r.entropy
	s.gradNorm += r.gradNorm
	s.addSamples(b)
}

// addSamples records the advantages and lengths of b's samples (also of steps not taken while
// the critic warms up).
func (s *agentStats) addSamples(b *actorBatch) {
	s.advantages = append(s.advantages, b.advantages...)
	for _, r := range b.responses {
		s.tokens += len(r)
	}
	s.responses += len(b.responses)
}

// record writes agent i's metrics of the update.
func (s *agentStats) record(i int, m Metrics) {
	if s.steps > 0 {
		n := float64(s.steps)
		m[agentMetric(i, "policy_loss")] = s.policyLoss / n
		m[agentMetric(i, "entropy")] = s.entropy / n
		m[agentMetric(i, "grad_norm")] = s.gradNorm / n
	}
	if s.responses > 0 {
		m[agentMetric(i, "advantage/mean")], m[agentMetric(i, "advantage/std")] = MeanStd(s.advantages)
		m[agentMetric(i, "response_length")] = float64(s.tokens) / float64(s.responses)
	}
}

// timed adds the time until the returned function runs to metric name.
func timed(m Metrics, name string) func() {
	start := time.Now()
	return func() { m[name] += time.Since(start).Seconds() }
}

func scalar(t *tensors.Tensor) float64 { return float64(tensors.ToScalar[float32](t)) }

func roundUp(n, q int) int { return (n + q - 1) / q * q }
