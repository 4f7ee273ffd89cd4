package maac

import "fmt"

// CoLLM-CC: decentralized actors, one centralized critic on the joint history.
//
//	V_phi(h_t)     critic value of the joint history h_t = (h_{0,t}, ..., h_{n-1,t}), read at
//	               the last token of "[Agent 0] <prompt_0>\n\n[Agent 1] <prompt_1>..."
//	values         V_old(h_t), the critic at rollout time (no gradient)
//	td_targets     y_{i,t} = r_{i,t} + gamma * V_old(h_{t+1}), and r_{i,T} at the last turn
//	               (r_{i,t} is the shared reward, or agent i's own under a per-agent KL penalty)
//	advantages     A_{i,t} = y_{i,t} - V_old(h_t), normalized over each step's samples
//	actor i        loss -(sum of response log-probs) * A_{i,t}, its own AdamW optimizer
//	critic         loss value_loss_coef * mean((y_{i,t} - V_phi(h_t))^2), stepped after each of
//	               agent i's steps on the same joint actions (the reference's cadence: n critic
//	               steps per turn group); with minibatch update one step per update on all joint
//	               actions, with the agents' mean targets
//
// With critic_type q the critic reads the history and the joint action, Q_phi(h_t, a_t) (the
// joint history, "[Joint Action]" and "[Agent i action]\n<response>" blocks), and the advantage
// is y_{i,t} - Q_old(h_t, a_t) (see agentTargets).

type ccAlgo struct {
	cfg    CCConfig
	critic *lmCritic
}

func newCC(t *Trainer) (algorithm, error) {
	cfg := *t.config.CC
	history := func(nd *node) string { return jointHistory(nd.prompts) }
	action := func(e *edge) string { return jointAction(jointHistory(e.parent.prompts), edgeResponses(e)) }
	critic, err := newLMCritic(t, "critic", cfg.ActorCritic, mix(cfg.Seed, 0xc71c), history, action)
	if err != nil {
		return nil, err
	}
	for i, agent := range t.Agents {
		if err := t.addActor(i, agent, actorLossConfig{ppoClip: cfg.PPOClip}); err != nil {
			return nil, err
		}
	}
	return &ccAlgo{cfg: cfg, critic: critic}, nil
}

func (a *ccAlgo) update(t *Trainer, r *rollout, m Metrics) error {
	// 1. values: V_old(h_t) of every node, or Q_old(h_t, a_t) of every joint action.
	done := timed(m, MetricTimeScoring)
	values, err := oldValues(r, a.critic, a.cfg.CriticType == CriticQ)
	done()
	if err != nil {
		return fmt.Errorf("critic values: %w", err)
	}

	// 2. td_targets and advantages of each agent.
	targets := make([]edgeTargets, len(t.Agents))
	var allTargets, allValues []float64
	for i := range t.Agents {
		targets[i] = agentTargets(r, &a.cfg.ActorCritic, a.cfg.Gamma, values, i)
		for _, level := range r.edges {
			for _, e := range level {
				allTargets = append(allTargets, targets[i].tdTargets[e])
				allValues = append(allValues, values.of(e))
			}
		}
	}
	criticFitMetrics(m, allTargets, allValues)

	// 3. Each agent's steps, each followed by the critic's step on the same joint actions
	// (reference cadence), or one critic step on all joint actions (minibatch update). The
	// actors and the critic run as separate tasks: none reads what another writes.
	fitEach := a.cfg.Minibatch == MinibatchReference
	fits := &fitStats{}
	var tasks []func(Metrics) error
	var criticSteps []criticStep
	for i := range t.Agents {
		p := t.planAgentSteps(i, r, &a.cfg.ActorCritic, values, targets[i], fitEach, false)
		tasks = append(tasks, func(m Metrics) error { return t.actorSteps(p, m, nil) })
		criticSteps = append(criticSteps, p.criticSteps...)
	}
	if !fitEach {
		all := criticStep{agent: -1}
		for _, level := range r.edges {
			for _, e := range level {
				mean := 0.0
				for i := range t.Agents {
					mean += targets[i].tdTargets[e] / float64(len(t.Agents))
				}
				all.edges, all.targets = append(all.edges, e), append(all.targets, mean)
			}
		}
		criticSteps = append(criticSteps, all)
	}
	tasks = append(tasks, func(m Metrics) error { return fitCritic(a.critic, criticSteps, m, fits) })
	if err := t.concurrently(m, tasks...); err != nil {
		return err
	}
	if loss, ok := fits.mean(); ok {
		m[MetricValueLoss] = loss
	}
	steps, err := a.critic.optimizerSteps()
	if err != nil {
		return err
	}
	m[MetricCriticSteps] = float64(steps)
	return nil
}
