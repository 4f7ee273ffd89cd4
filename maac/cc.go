package maac

import (
	"fmt"
	"time"
)

// CoLLM-CC: decentralized actors, one centralized critic on the joint history.
//
//	V_phi(h_t)   critic value of the joint history h_t = (h_{1,t}, ..., h_{n,t}), read at the last
//	             token of "[Agent 1] <prompt_1>\n\n[Agent 2] <prompt_2>..."
//	y_t          td_targets: r_t + gamma * V_old(h_{t+1}), and r_T at the last turn
//	A_t          advantages: y_t - V_old(h_t), normalized over the update buffer
//	actor i      loss -(sum of response log-probs) * A_t, its own AdamW optimizer
//	critic       loss value_loss_coef * mean((y_t - V_phi(h_t))^2), ONE step per joint minibatch
//	             (the reference steps the shared critic once per agent; we do not)
//
// With critic_type q the critic reads the history and the joint action,
// Q_phi(h_t, a_t), and the advantage is y_t - mean_k Q_old(h_t, a^k_t) (see targets.go).

type ccAlgo struct {
	cfg    CCConfig
	critic *critic
}

func (a *ccAlgo) Name() string {
	if a.cfg.CriticType == "q" {
		return "cc-q"
	}
	return "cc"
}

func newCC(t *Trainer, cfg CCConfig, spec AgentSpec) (*ccAlgo, error) {
	critic, err := newCritic(t, "critic", spec, cfg.CriticLR, cfg.ValueLossCoef, mix(cfg.Seed, 0xc71c))
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
	// 1-2. Critic values at rollout time, V_old(h_t) of every node (or Q_old(h_t, a_t) of every
	// edge), and from them the td_targets y_t and the advantages A_t = y_t - V_old(h_t).
	var et edgeTargets
	var oldValues func(e *edge) float64
	err := timed(m, MetricTimeScoring, func() error {
		if a.cfg.CriticType == "q" {
			qOld, err := a.qValues(r)
			if err != nil {
				return err
			}
			oldValues = func(e *edge) float64 { return qOld[e] }
			et = qTargets(r, a.cfg.Gamma, oldValues)
			return nil
		}
		if err := a.nodeValues(r); err != nil {
			return err
		}
		oldValues = func(e *edge) float64 { return e.parent.value }
		et = valueTargets(r, &a.cfg.ActorCritic, a.cfg.Gamma, func(nd *node) float64 { return nd.value })
		return nil
	})
	if err != nil {
		return err
	}
	var texts []string
	var tdTargets, values []float64
	for _, level := range r.edges {
		for _, e := range level {
			texts = append(texts, a.criticInput(e))
			tdTargets = append(tdTargets, et.tdTargets[e])
			values = append(values, oldValues(e))
		}
	}
	if ev, ok := explainedVariance(tdTargets, values); ok {
		m[MetricExplainedVariance] = ev
	}
	m[MetricValueMean], _ = MeanStd(values)

	// 3. Advantage normalization over the update buffer.
	if !a.cfg.NoAdvantageNormalization {
		et.normalizeAdvantages(r)
	}

	// 4. Each actor's policy gradient with the shared advantages (not while the critic warms up).
	for i := range t.Agents {
		if t.update < a.cfg.CriticWarmup {
			continue
		}
		batch := &actorBatch{}
		for _, level := range r.levels {
			for _, nd := range level {
				adv := sampleAdvantages(nd, i, func(e *edge) float64 { return et.advantages[e] })
				for k, s := range nd.samples[i] {
					batch.add(nd.promptIDs[i], s, adv[k])
				}
			}
		}
		if err := t.trainActor(i, batch, m); err != nil {
			return err
		}
	}

	// 5. One critic step on the joint minibatch.
	start := time.Now()
	loss, err := a.critic.train(texts, tdTargets)
	if err != nil {
		return err
	}
	m[MetricValueLoss] = loss
	m[MetricTimeCritic] += time.Since(start).Seconds()
	return nil
}

// criticInput is the critic's text for edge e: the joint history of its node, plus the joint
// action for a Q critic.
func (a *ccAlgo) criticInput(e *edge) string {
	history := jointHistory(e.parent.prompts)
	if a.cfg.CriticType == "q" {
		return jointAction(history, edgeResponses(e))
	}
	return history
}

// nodeValues sets V_old(h_t) on every node.
func (a *ccAlgo) nodeValues(r *rollout) error {
	var nodes []*node
	var texts []string
	for _, level := range r.levels {
		for _, nd := range level {
			nodes = append(nodes, nd)
			texts = append(texts, jointHistory(nd.prompts))
		}
	}
	values, err := a.critic.values(texts)
	if err != nil {
		return fmt.Errorf("critic values: %w", err)
	}
	for i, nd := range nodes {
		nd.value = values[i]
	}
	return nil
}

// qValues returns Q_old(h_t, a_t) of every edge.
func (a *ccAlgo) qValues(r *rollout) (map[*edge]float64, error) {
	var edges []*edge
	var texts []string
	for _, level := range r.edges {
		for _, e := range level {
			edges = append(edges, e)
			texts = append(texts, a.criticInput(e))
		}
	}
	values, err := a.critic.values(texts)
	if err != nil {
		return nil, fmt.Errorf("critic values: %w", err)
	}
	q := make(map[*edge]float64, len(edges))
	for i, e := range edges {
		q[e] = values[i]
	}
	return q, nil
}
