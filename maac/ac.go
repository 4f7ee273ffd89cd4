package maac

import "fmt"

// The optimizer steps CoLLM-CC and CoLLM-DC share: one agent's steps of an update, each with its
// critic's step on the same samples, as the reference's actor-critic trainers take them.

// acAgentSteps runs agent i's steps of an update. The samples are split by the cadence; each
// step's advantages (the mean over a response's joint actions of A_{i,t}) are normalized over
// the step, its actor takes one policy-gradient step, and then, when fitEach, critic c takes one
// step on the step's joint actions with agent i's targets (the reference steps the shared CC
// critic inside each agent's step). A value head on the actor (valueHead) trains inside the
// actor's step instead. While the critics warm up the actors do not train (a value head still
// fits, with zero advantages).
func (t *Trainer) acAgentSteps(i int, r *rollout, ac *ActorCritic, cv *criticValues, et edgeTargets, c critic, fitEach, valueHead bool, m Metrics, fits *fitStats) error {
	advantages, targets := map[*node][]float64{}, map[*node][]float64{}
	for _, level := range r.levels {
		for _, nd := range level {
			advantages[nd] = sampleMeans(nd, i, et.advantages)
			targets[nd] = sampleMeans(nd, i, et.tdTargets)
		}
	}
	warmingUp := t.update < ac.CriticWarmup
	steps := planSteps(t.common, agentSamples(r, i), sampleTurn, false, t.stepRand(i))
	batches := make([]*actorBatch, len(steps))
	all := &actorBatch{}
	for s, step := range steps {
		b := &actorBatch{}
		if valueHead {
			b.targets, b.oldValues = []float64{}, []float64{}
		}
		for _, ref := range step {
			b.add(ref.nd.promptIDs[i], ref.nd.samples[i][ref.k], advantages[ref.nd][ref.k])
			if valueHead {
				b.targets = append(b.targets, targets[ref.nd][ref.k])
				b.oldValues = append(b.oldValues, cv.nodes[ref.nd])
			}
		}
		normalize(b.advantages, ac.AdvantageNormalization)
		t.positiveOnly(b.advantages)
		if warmingUp {
			clear(b.advantages)
		}
		batches[s] = b
		all.extend(b)
	}
	var acc *batchGradient // the measured gradient, when one step takes all the samples
	if !warmingUp {
		var err error
		if acc, err = t.measureGradVariance(i, all, len(batches) == 1, m); err != nil {
			return err
		}
	}
	stats := &agentStats{}
	for s, b := range batches {
		if warmingUp && !valueHead {
			stats.addSamples(b)
		} else {
			res, err := t.stepActor(i, b, acc, m)
			if err != nil {
				return err
			}
			stats.addStep(res, b)
			if res.hasValueLoss {
				fits.add(res.valueLoss)
			}
		}
		if !fitEach {
			continue
		}
		var edges []*edge
		var y []float64
		for _, ref := range steps[s] {
			for _, e := range sampleEdges(ref.nd, i)[ref.k] {
				edges = append(edges, e)
				y = append(y, et.tdTargets[e])
			}
		}
		if err := fits.fit(c, edges, y, m); err != nil {
			return fmt.Errorf("critic of agent %d: %w", i, err)
		}
	}
	stats.record(i, m)
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
