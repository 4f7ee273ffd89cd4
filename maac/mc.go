package maac

// The Monte Carlo family: MAGRPO (mean baseline), MARLOO (leave-one-out), MAREMAX (max) and
// MA-REINFORCE (no baseline), and single-agent GRPO (n = 1). No critic, no ratio, no clipping:
// strictly on-policy, one pass over fresh samples.
//
//	returns     R_{i,t}: tree returns r_{i,t} + gamma * mean(children's R_{i,t+1}) (treeReturns);
//	            a response's return R^k_{i,t} is the sum over the joint actions it takes part
//	            in (one in aligned mode; the reference's cross mode sums)
//	b_{i,t}     the node's baseline over its K returns: mean / leave-one-out / max / 0
//	advantages  A^k_{i,t} = R^k_{i,t} - b_{i,t}, then z-scored over the node's K samples
//	            (advantage_normalization, the reference's default, under which the four
//	            baselines train identically)
//	agent i     loss -(1/N) sum over the step's samples of A^k_{i,t} * log pi_i(a^k_{i,t} | h_{i,t})
//
// Each expanded node is one sample of an agent's buffer (the reference's cadence): a step takes
// rollout_buffer_size nodes of one turn.

type mcAlgo struct {
	cfg MCConfig
}

func newMC(t *Trainer) (algorithm, error) {
	cfg := *t.config.MC
	for i, agent := range t.Agents {
		if err := t.addActor(i, agent, actorLossConfig{ppoClip: cfg.PPOClip}); err != nil {
			return nil, err
		}
	}
	return &mcAlgo{cfg: cfg}, nil
}

func (a *mcAlgo) update(t *Trainer, r *rollout, m Metrics) error {
	// Each agent's steps read and train only its own actor: the agents run as separate tasks.
	tasks := make([]func(Metrics) error, len(t.Agents))
	for i := range t.Agents {
		// 1. Every node's advantages of agent i's K responses.
		advantages := map[*node][]float64{}
		for _, level := range r.levels {
			for _, nd := range level {
				advantages[nd] = a.nodeAdvantages(nd, i)
			}
		}

		// 2. The cadence's steps over the nodes, task by task in the reference's order.
		items := make([][]*node, len(r.roots))
		for b, root := range r.roots {
			items[b] = treeOrder(root)
		}
		steps := planSteps(t.common, items, func(nd *node) int { return nd.depth }, true, t.stepRand(i))
		batches := make([]*actorBatch, len(steps))
		all := &actorBatch{}
		for s, step := range steps {
			b := &actorBatch{}
			for _, nd := range step {
				for k, smp := range nd.samples[i] {
					b.add(nd.promptIDs[i], smp, advantages[nd][k])
				}
			}
			t.positiveOnly(b.advantages)
			batches[s] = b
			all.extend(b)
		}

		// 3. Agent i's policy-gradient steps; one step on all the samples applies the measured
		// micro-batches' gradient.
		tasks[i] = func(m Metrics) error {
			acc, err := t.measureGradVariance(i, all, len(batches) == 1, m)
			if err != nil {
				return err
			}
			stats := &agentStats{}
			for _, b := range batches {
				res, err := t.stepActor(i, b, acc, m)
				if err != nil {
					return err
				}
				stats.addStep(res, b)
			}
			stats.record(i, m)
			return nil
		}
	}
	return t.concurrently(m, tasks...)
}

// nodeAdvantages returns agent i's advantages of its K responses at nd.
func (a *mcAlgo) nodeAdvantages(nd *node, agent int) []float64 {
	returns := make([]float64, len(nd.samples[agent]))
	for k, edges := range sampleEdges(nd, agent) {
		for _, e := range edges {
			returns[k] += e.returns[agent]
		}
	}
	advantages := GroupAdvantages(returns, a.cfg.Baseline)
	normalize(advantages, a.cfg.AdvantageNormalization)
	return advantages
}
