package maac

import "fmt"

// CoLLM-DC: decentralized actors, each agent i with a critic on its OWN history h_{i,t}.
//
//	V_{phi_i}(h_{i,t})  agent i's critic, read at the last token of its prompt
//	values              V_old(h_{i,t}), agent i's critic at rollout time (no gradient)
//	td_targets          y_{i,t} = r_{i,t} + gamma * V_old(h_{i,t+1}), r_{i,T} at the last turn
//	advantages          A_{i,t} = y_{i,t} - V_old(h_{i,t}), normalized over each step's samples
//	actor i             loss -(sum of response log-probs) * A_{i,t}
//
// Two critic topologies behind the same critic interface: dc has a separate critic model per
// agent (lmCritic), stepped after each of its actor's steps on the same joint actions; dc-shared
// has a value head on each actor's backbone (headCritic), trained inside the actor's step with
// PPO-style value clipping L = max((V - y)^2, (V_clip - y)^2), V_clip = V_old + clip(V - V_old,
// -eps, eps). With critic_type q (dc only) agent i's critic reads its prompt and its response.

type dcAlgo struct {
	cfg       DCConfig
	valueHead bool     // dc-shared
	critics   []critic // one per agent
}

func newDC(t *Trainer) (algorithm, error) {
	cfg := *t.config.DC
	a := &dcAlgo{cfg: cfg, valueHead: t.info.Critic == CriticDecentralizedShared}
	lc := actorLossConfig{ppoClip: cfg.PPOClip}
	if a.valueHead {
		lc.valueHead, lc.valueClip, lc.valueLossCoef = true, cfg.ValueClip, cfg.ValueLossCoef
	}
	for i, agent := range t.Agents {
		seed := mix(cfg.Seed, 0xdc, uint64(i))
		if a.valueHead {
			if !agent.Model.HasValueHead() {
				if err := agent.Model.AddValueHead(seed); err != nil {
					return nil, err
				}
			}
			exec, err := valueExec(t, agent.Model)
			if err != nil {
				return nil, err
			}
			a.critics = append(a.critics, &headCritic{agent: i, actor: agent, value: exec,
				steps: func() (int, error) { return t.actors[i].Steps() }})
		} else {
			history := func(nd *node) string { return nd.prompts[i] }
			action := func(e *edge) string {
				return e.parent.prompts[i] + "\n" + e.parent.samples[i][e.pick[i]].Text
			}
			c, err := newLMCritic(t, fmt.Sprintf("critic_%d", i), cfg.ActorCritic, seed, history, action)
			if err != nil {
				return nil, err
			}
			a.critics = append(a.critics, c)
		}
		if err := t.addActor(i, agent, lc); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *dcAlgo) update(t *Trainer, r *rollout, m Metrics) error {
	// 1. values: each agent i's V_old(h_{i,t}) of every node (or Q_old(h_{i,t}, a_{i,t})).
	values := make([]*criticValues, len(t.Agents))
	for i := range t.Agents {
		done := timed(m, MetricTimeScoring)
		var err error
		values[i], err = oldValues(r, a.critics[i], a.cfg.CriticType == CriticQ)
		done()
		if err != nil {
			return fmt.Errorf("critic of agent %d: %w", i, err)
		}
	}

	// 2. Each agent's td_targets and advantages, and 3. its steps, each followed by its critic's
	// step (dc) or with its value head's clipped loss inside (dc-shared). An actor's steps and
	// its critic's read and train only their own model: they run as separate tasks.
	targets := make([]edgeTargets, len(t.Agents))
	actorLosses, criticLosses := make([]fitStats, len(t.Agents)), make([]fitStats, len(t.Agents))
	var tasks []func(Metrics) error
	for i := range t.Agents {
		targets[i] = agentTargets(r, &a.cfg.ActorCritic, a.cfg.Gamma, values[i], i)
		p := t.planAgentSteps(i, r, &a.cfg.ActorCritic, values[i], targets[i], !a.valueHead, a.valueHead)
		tasks = append(tasks, func(m Metrics) error { return t.actorSteps(p, m, &actorLosses[i]) })
		if len(p.criticSteps) > 0 {
			tasks = append(tasks, func(m Metrics) error { return fitCritic(a.critics[i], p.criticSteps, m, &criticLosses[i]) })
		}
	}
	if err := t.concurrently(m, tasks...); err != nil {
		return err
	}

	var lossSum float64
	var fitted int
	var allTargets, allValues []float64
	for i := range t.Agents {
		for _, level := range r.edges {
			for _, e := range level {
				allTargets = append(allTargets, targets[i].tdTargets[e])
				allValues = append(allValues, values[i].of(e))
			}
		}
		losses := fitStats{sum: actorLosses[i].sum + criticLosses[i].sum, steps: actorLosses[i].steps + criticLosses[i].steps}
		if loss, ok := losses.mean(); ok {
			m[criticMetric(i, "value_loss")] = loss
			lossSum += loss
			fitted++
		}
		steps, err := a.critics[i].optimizerSteps()
		if err != nil {
			return err
		}
		m[optimCriticMetric(i)] = float64(steps)
	}
	if fitted > 0 {
		m[MetricValueLoss] = lossSum / float64(fitted)
	}
	criticFitMetrics(m, allTargets, allValues)
	return nil
}
