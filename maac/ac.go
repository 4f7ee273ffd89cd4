package maac

import "fmt"

// The optimizer steps CoLLM-CC and CoLLM-DC share: one agent's steps of an update, each with its
// critic's step on the same samples, as the reference's actor-critic trainers take them.

// agentPlan is agent i's part of an actor-critic update, planned before any step runs. The
// samples are split by the cadence; each step's advantages (the mean over a response's joint
// actions of A_{i,t}) are normalized over the step, and its actor takes one policy-gradient step
// on it. When fitEach, the critic then takes one step on the step's joint actions with agent i's
// targets (criticSteps; the reference steps the shared CC critic inside each agent's step). A
// value head on the actor (valueHead) trains inside the actor's step instead. While the critics
// warm up the actors do not train (a value head still fits, with zero advantages).
//
// The critic's steps read only the rollout-time values and targets, never the actor's new
// weights, and the actor's steps never read the critic: the two run as separate tasks
// (Trainer.concurrently) with the results of running them in the reference's interleaved order.
type agentPlan struct {
	agent       int
	batches     []*actorBatch
	all         *actorBatch // every batch's samples, for the gradient-variance measurement
	warmingUp   bool
	valueHead   bool
	criticSteps []criticStep
}

// criticStep is one critic step: its joint actions and their targets, agent's (or, for -1,
// the mean over the agents).
type criticStep struct {
	agent   int
	edges   []*edge
	targets []float64
}

// planAgentSteps plans agent i's steps of an update (agentPlan).
func (t *Trainer) planAgentSteps(i int, r *rollout, ac *ActorCritic, cv *criticValues, et edgeTargets, fitEach, valueHead bool) *agentPlan {
	advantages, targets := map[*node][]float64{}, map[*node][]float64{}
	for _, level := range r.levels {
		for _, nd := range level {
			advantages[nd] = sampleMeans(nd, i, et.advantages)
			targets[nd] = sampleMeans(nd, i, et.tdTargets)
		}
	}
	p := &agentPlan{agent: i, all: &actorBatch{}, warmingUp: t.update < ac.CriticWarmup, valueHead: valueHead}
	for _, step := range planSteps(t.common, agentSamples(r, i), sampleTurn, false, t.stepRand(i)) {
		b := &actorBatch{}
		if valueHead {
			b.targets, b.oldValues = []float64{}, []float64{}
		}
		fit := criticStep{agent: i}
		for _, ref := range step {
			b.add(ref.nd.promptIDs[i], ref.nd.samples[i][ref.k], advantages[ref.nd][ref.k])
			if valueHead {
				b.targets = append(b.targets, targets[ref.nd][ref.k])
				b.oldValues = append(b.oldValues, cv.nodes[ref.nd])
			}
			for _, e := range sampleEdges(ref.nd, i)[ref.k] {
				fit.edges, fit.targets = append(fit.edges, e), append(fit.targets, et.tdTargets[e])
			}
		}
		normalize(b.advantages, ac.AdvantageNormalization)
		t.positiveOnly(b.advantages)
		if p.warmingUp {
			clear(b.advantages)
		}
		p.batches = append(p.batches, b)
		p.all.extend(b)
		if fitEach {
			p.criticSteps = append(p.criticSteps, fit)
		}
	}
	return p
}

// actorSteps runs the actor's steps of p; a value head's losses go to fits (nil without one).
func (t *Trainer) actorSteps(p *agentPlan, m Metrics, fits *fitStats) error {
	i := p.agent
	var acc *batchGradient // the measured gradient, when one step takes all the samples
	if !p.warmingUp {
		var err error
		if acc, err = t.measureGradVariance(i, p.all, len(p.batches) == 1, m); err != nil {
			return err
		}
	}
	stats := &agentStats{}
	for _, b := range p.batches {
		if p.warmingUp && !p.valueHead {
			stats.addSamples(b)
			continue
		}
		res, err := t.stepActor(i, b, acc, m)
		if err != nil {
			return err
		}
		stats.addStep(res, b)
		if res.hasValueLoss {
			fits.add(res.valueLoss)
		}
	}
	stats.record(i, m)
	return nil
}

// fitCritic runs critic c's steps in order.
func fitCritic(c critic, steps []criticStep, m Metrics, fits *fitStats) error {
	for _, step := range steps {
		if err := fits.fit(c, step.edges, step.targets, m); err != nil {
			if step.agent < 0 {
				return fmt.Errorf("critic: %w", err)
			}
			return fmt.Errorf("critic of agent %d: %w", step.agent, err)
		}
	}
	return nil
}

// fitStats averages a critic's value losses over the steps of an update (a value head's
// losses come from its actor's steps).
type fitStats struct {
	sum   float64
	steps int
}

// fit takes critic c's step on edges and targets and records its loss.
func (s *fitStats) fit(c critic, edges []*edge, targets []float64, m Metrics) error {
	defer timed(m, MetricTimeCritic)()
	loss, trained, err := c.fit(edges, targets)
	if err != nil {
		return err
	}
	if trained {
		s.add(loss)
	}
	return nil
}

func (s *fitStats) add(loss float64) {
	s.sum += loss
	s.steps++
}

// mean is the mean loss of the update's steps; ok is false when none was taken.
func (s *fitStats) mean() (float64, bool) {
	if s.steps == 0 {
		return 0, false
	}
	return s.sum / float64(s.steps), true
}

// criticFitMetrics records how well the rollout-time values predicted the targets: the
// explained variance and the mean value over all agents' (target, value) pairs.
func criticFitMetrics(m Metrics, targets, values []float64) {
	if ev, ok := explainedVariance(targets, values); ok {
		m[MetricExplainedVariance] = ev
	}
	m[MetricValueMean], _ = MeanStd(values)
}

// extend appends o's samples to b.
func (b *actorBatch) extend(o *actorBatch) {
	b.prompts = append(b.prompts, o.prompts...)
	b.responses = append(b.responses, o.responses...)
	b.advantages = append(b.advantages, o.advantages...)
	b.oldLogp = append(b.oldLogp, o.oldLogp...)
	if o.targets != nil {
		b.targets = append(b.targets, o.targets...)
		b.oldValues = append(b.oldValues, o.oldValues...)
	}
}
