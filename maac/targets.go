package maac

// Targets and advantages of the actor-critic algorithms over a rollout forest, from the critic's
// values at rollout time (no gradient), for one agent's rewards.

// edgeTargets holds, per joint action, the critic target y_{i,t} and the advantage A_{i,t} of
// one agent.
type edgeTargets struct {
	tdTargets  map[*edge]float64
	advantages map[*edge]float64
}

// agentTargets computes agent i's targets and advantages:
//
//	V critic, td0:  y = r_{i,t} + gamma V_old(h_{t+1}) (y = r_{i,t} at an episode's end),
//	                A = y - V_old(h_t)
//	V critic, nstep / gae: along each chain from the root (NStepTargets, GAE)
//	Q critic:       y = r_{i,t} + gamma mean over h_{t+1}'s sampled joint actions a' of
//	                Q_old(h_{t+1}, a') (chains sample one: the reference's target),
//	                A = y - Q_old(h_t, a_t) (QSampled) or y - mean_k Q_old(h_t, a^k_t) (QMean)
func agentTargets(r *rollout, ac *ActorCritic, gamma float64, cv *criticValues, agent int) edgeTargets {
	et := edgeTargets{tdTargets: map[*edge]float64{}, advantages: map[*edge]float64{}}
	if ac.Targets == TargetsTD0 {
		for _, level := range r.edges {
			for _, e := range level {
				next, done := 0.0, e.child == nil
				if !done {
					next = cv.node(e.child)
				}
				y := TDTargets([]float64{e.rewards[agent]}, []float64{next}, []bool{done}, gamma)[0]
				baseline := cv.of(e)
				if cv.q && ac.QAdvantage == QMean {
					baseline = cv.node(e.parent)
				}
				et.tdTargets[e], et.advantages[e] = y, y-baseline
			}
		}
		return et
	}
	for _, root := range r.roots {
		for _, first := range root.edges {
			var path []*edge
			for e := first; ; e = e.child.edges[0] {
				path = append(path, e)
				if e.child == nil {
					break
				}
			}
			T := len(path)
			rewards, values, nextValues, done := make([]float64, T), make([]float64, T), make([]float64, T), make([]bool, T)
			for t, e := range path {
				rewards[t], values[t], done[t] = e.rewards[agent], cv.of(e), e.child == nil
				if !done[t] {
					nextValues[t] = cv.node(e.child)
				}
			}
			var y, adv []float64
			if ac.Targets == TargetsGAE {
				adv, y = GAE(rewards, values, nextValues, done, gamma, ac.Lambda)
			} else {
				y = NStepTargets(rewards, values, done, nextValues[T-1], gamma, ac.NSteps)
				adv = make([]float64, T)
				for t := range y {
					adv[t] = y[t] - values[t]
				}
			}
			for t, e := range path {
				et.tdTargets[e], et.advantages[e] = y[t], adv[t]
			}
		}
	}
	return et
}

// sampleMeans averages per-joint-action values into one value per sample of agent i at nd: in
// cross mode a response takes part in several joint actions, in aligned mode in exactly one.
func sampleMeans(nd *node, agent int, value map[*edge]float64) []float64 {
	out := make([]float64, len(nd.samples[agent]))
	for k, edges := range sampleEdges(nd, agent) {
		for _, e := range edges {
			out[k] += value[e] / float64(len(edges))
		}
	}
	return out
}
