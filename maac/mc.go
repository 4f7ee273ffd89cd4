package maac

// The Monte Carlo family: MAGRPO (mean baseline), MARLOO (leave-one-out), MAREMAX (max) and
// MA-REINFORCE (no baseline), and single-agent GRPO (n = 1). No critic, no ratio, no clipping:
// strictly on-policy, one pass over fresh samples.
//
//	R^k_t       tree returns: r_t + gamma * mean(children's R_{t+1})  (rollout.go, treeReturns)
//	b_t         the node's baseline over its K joint actions: mean / leave-one-out / max / 0
//	A^k_t       R^k_t - b_t, optionally divided by the std of the node's returns (normalize_std)
//	agent i     loss -(1/K) sum_k sum_t A^k_t * log pi_i(a^k_{i,t} | h_{i,t})

type mcAlgo struct {
	name string
	cfg  MCConfig
}

func (a *mcAlgo) Name() string { return a.name }

func newMC(t *Trainer, name string, cfg MCConfig) (*mcAlgo, error) {
	for i, agent := range t.Agents {
		if err := t.addActor(i, agent, actorLossConfig{ppoClip: cfg.PPOClip}); err != nil {
			return nil, err
		}
	}
	return &mcAlgo{name: name, cfg: cfg}, nil
}

func (a *mcAlgo) update(t *Trainer, r *rollout, m Metrics) error {
	// Advantages of every joint action against its siblings' returns.
	advantages := map[*edge]float64{}
	for _, level := range r.levels {
		for _, nd := range level {
			returns := make([]float64, len(nd.edges))
			for k, e := range nd.edges {
				returns[k] = e.ret
			}
			adv := GroupAdvantages(returns, a.cfg.Baseline)
			if a.cfg.NormalizeStd {
				_, std := MeanStd(returns)
				for k := range adv {
					adv[k] /= max(std, 1e-6)
				}
			}
			for k, e := range nd.edges {
				advantages[e] = adv[k]
			}
		}
	}
	// Each agent's policy gradient.
	for i := range t.Agents {
		batch := &actorBatch{}
		for _, level := range r.levels {
			for _, nd := range level {
				adv := sampleAdvantages(nd, i, func(e *edge) float64 { return advantages[e] })
				for k, s := range nd.samples[i] {
					batch.add(nd.promptIDs[i], s, adv[k])
				}
			}
		}
		if err := t.trainActor(i, batch, m); err != nil {
			return err
		}
	}
	return nil
}
