package maac

import (
	"fmt"
	"time"

	"github.com/gomlx/gomlx/ml/model"
)

// CoLLM-DC: decentralized actors, each agent i with a critic on its OWN history h_{i,t}.
//
//	V_{phi_i}(h_{i,t})  agent i's critic, read at the last token of its prompt
//	delta_{i,t}         r_t + gamma * V_{phi_i}(h_{i,t+1}) - V_{phi_i}(h_{i,t})  (the shared reward r_t)
//	y_{i,t}, A_{i,t}    td_targets and advantages as in CC, per agent, normalized per agent
//	actor i             loss -(sum of response log-probs) * A_{i,t}
//
// Two topologies: (a) a separate critic LM per agent, trained like CC's critic; (b) shared: a value
// head on the actor's own backbone, trained in the actor's step with PPO-style value clipping
// L = max((V - y)^2, (V_clip - y)^2), V_clip = V_old + clip(V - V_old, -eps, eps).
// With critic_type q (separate critics only) agent i's critic reads its prompt and its response.

type dcAlgo struct {
	cfg     DCConfig
	critics []*critic     // topology (a)
	values  []*model.Exec // topology (b): the value head of each actor, for rollout-time values
}

func (a *dcAlgo) Name() string {
	if a.cfg.Shared {
		return "dc-shared"
	}
	return "dc"
}

func newDC(t *Trainer, cfg DCConfig, spec AgentSpec) (*dcAlgo, error) {
	a := &dcAlgo{cfg: cfg}
	lc := actorLossConfig{ppoClip: cfg.PPOClip}
	if cfg.Shared {
		lc.sharedValue, lc.valueClip, lc.valueLossCoef = true, cfg.ValueClip, cfg.ValueLossCoef
	}
	for i, agent := range t.Agents {
		if cfg.Shared {
			if !agent.Model.HasValueHead() {
				if err := agent.Model.AddValueHead(mix(cfg.Seed, 0xdc, uint64(i))); err != nil {
					return nil, err
				}
			}
			exec, err := valueExec(t, agent.Model)
			if err != nil {
				return nil, err
			}
			a.values = append(a.values, exec)
		} else {
			c, err := newCritic(t, fmt.Sprintf("critic_%d", i), spec, cfg.CriticLR, cfg.ValueLossCoef, mix(cfg.Seed, 0xdc, uint64(i)))
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
	var valueLossSum float64
	var allTargets, allValues []float64
	for i := range t.Agents {
		// 1. Agent i's critic values at rollout time and its targets and advantages.
		var et edgeTargets
		var oldValue func(e *edge) float64
		err := timed(m, MetricTimeScoring, func() error {
			if a.cfg.CriticType == "q" {
				q, err := a.qValues(r, i)
				if err != nil {
					return err
				}
				oldValue = func(e *edge) float64 { return q[e] }
				et = qTargets(r, a.cfg.Gamma, oldValue)
				return nil
			}
			if err := a.nodeValues(t, r, i); err != nil {
				return err
			}
			oldValue = func(e *edge) float64 { return e.parent.agentValues[i] }
			et = valueTargets(r, &a.cfg.ActorCritic, a.cfg.Gamma, func(nd *node) float64 { return nd.agentValues[i] })
			return nil
		})
		if err != nil {
			return err
		}
		var texts []string
		var tdTargets []float64
		for _, level := range r.edges {
			for _, e := range level {
				texts = append(texts, a.criticInput(e, i))
				tdTargets = append(tdTargets, et.tdTargets[e])
				allTargets = append(allTargets, et.tdTargets[e])
				allValues = append(allValues, oldValue(e))
			}
		}
		// 2. Per-agent advantage normalization.
		if !a.cfg.NoAdvantageNormalization {
			et.normalizeAdvantages(r)
		}
		// 3. Actor i (with its value head's clipped loss in the shared topology). While the critics
		// warm up, a separate-critic actor is not trained and a shared one sees zero advantages,
		// so only its value loss moves it.
		warmingUp := t.update < a.cfg.CriticWarmup
		batch := &actorBatch{}
		if a.cfg.Shared {
			batch.targets, batch.oldValues = []float64{}, []float64{}
		}
		for _, level := range r.levels {
			for _, nd := range level {
				adv := sampleAdvantages(nd, i, func(e *edge) float64 { return et.advantages[e] })
				y := sampleAdvantages(nd, i, func(e *edge) float64 { return et.tdTargets[e] })
				for k, s := range nd.samples[i] {
					if warmingUp {
						adv[k] = 0
					}
					batch.add(nd.promptIDs[i], s, adv[k])
					if a.cfg.Shared {
						batch.targets = append(batch.targets, y[k])
						batch.oldValues = append(batch.oldValues, nd.agentValues[i])
					}
				}
			}
		}
		if !warmingUp || a.cfg.Shared {
			if err := t.trainActor(i, batch, m); err != nil {
				return err
			}
		}
		// 4. Agent i's separate critic.
		if !a.cfg.Shared {
			start := time.Now()
			loss, err := a.critics[i].train(texts, tdTargets)
			if err != nil {
				return err
			}
			m[criticMetric(i, "value_loss")] = loss
			m[MetricTimeCritic] += time.Since(start).Seconds()
		}
		valueLossSum += m[criticMetric(i, "value_loss")]
	}
	m[MetricValueLoss] = valueLossSum / float64(len(t.Agents))
	if ev, ok := explainedVariance(allTargets, allValues); ok {
		m[MetricExplainedVariance] = ev
	}
	m[MetricValueMean], _ = MeanStd(allValues)
	return nil
}

// criticInput is agent i's critic text for edge e: its own prompt, plus its response for Q.
func (a *dcAlgo) criticInput(e *edge, i int) string {
	prompt := e.parent.prompts[i]
	if a.cfg.CriticType == "q" {
		return prompt + "\n" + e.parent.samples[i][e.pick[i]].Text
	}
	return prompt
}

// nodeValues sets V_old(h_{i,t}) (agentValues[i]) on every node.
func (a *dcAlgo) nodeValues(t *Trainer, r *rollout, i int) error {
	var nodes []*node
	var texts []string
	var rows [][]int
	for _, level := range r.levels {
		for _, nd := range level {
			if nd.agentValues == nil {
				nd.agentValues = make([]float64, len(t.Agents))
			}
			nodes = append(nodes, nd)
			texts = append(texts, nd.prompts[i])
			rows = append(rows, nd.promptIDs[i])
		}
	}
	var values []float64
	var err error
	if a.cfg.Shared {
		values, err = readValues(t.Agents[i].Model, a.values[i], rows)
	} else {
		values, err = a.critics[i].values(texts)
	}
	if err != nil {
		return fmt.Errorf("critic of agent %d: %w", i, err)
	}
	for k, nd := range nodes {
		nd.agentValues[i] = values[k]
	}
	return nil
}

// qValues returns agent i's Q_old(h_{i,t}, a_{i,t}) of every edge.
func (a *dcAlgo) qValues(r *rollout, i int) (map[*edge]float64, error) {
	var edges []*edge
	var texts []string
	for _, level := range r.edges {
		for _, e := range level {
			edges = append(edges, e)
			texts = append(texts, a.criticInput(e, i))
		}
	}
	values, err := a.critics[i].values(texts)
	if err != nil {
		return nil, fmt.Errorf("critic of agent %d: %w", i, err)
	}
	q := make(map[*edge]float64, len(edges))
	for k, e := range edges {
		q[e] = values[k]
	}
	return q, nil
}
