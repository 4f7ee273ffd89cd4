package maac

// Targets and advantages of the actor-critic algorithms over a rollout forest, from the critic
// values computed at rollout time (no gradient).

// edgeTargets holds, per edge, the critic target y and the advantage A.
type edgeTargets struct {
	tdTargets  map[*edge]float64
	advantages map[*edge]float64
}

// valueTargets computes y and A = y - V_old(h_t) for a V critic whose rollout-time value of a node
// is value(nd). TD(0) works on trees and chains; n-step and GAE follow each chain from the root.
func valueTargets(r *rollout, ac *ActorCritic, gamma float64, value func(nd *node) float64) edgeTargets {
	et := edgeTargets{tdTargets: map[*edge]float64{}, advantages: map[*edge]float64{}}
	if ac.Targets == "td0" {
		for _, level := range r.edges {
			for _, e := range level {
				next, done := 0.0, e.child == nil
				if !done {
					next = value(e.child)
				}
				y := TDTargets([]float64{e.reward}, []float64{next}, []bool{done}, gamma)[0]
				et.tdTargets[e] = y
				et.advantages[e] = y - value(e.parent)
			}
		}
		return et
	}
	for _, root := range r.roots {
		for _, first := range root.edges {
			var path []*edge
			for e := first; ; e = e.child.edges[0] {
				path = append(path, e)
				if e.child == nil || len(e.child.edges) == 0 {
					break
				}
			}
			T := len(path)
			rewards, values, nextValues, done := make([]float64, T), make([]float64, T), make([]float64, T), make([]bool, T)
			for t, e := range path {
				rewards[t], values[t], done[t] = e.reward, value(e.parent), e.child == nil
				if !done[t] {
					nextValues[t] = value(e.child)
				}
			}
			var y, adv []float64
			if ac.Targets == "gae" {
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

// qTargets computes, for a Q critic with rollout-time values q(e) = Q_old(h_t, a_t),
// y_t = r_t + gamma * mean over the next node's sampled actions of Q_old(h_{t+1}, a_{t+1}) (y_T = r_T)
// and A_t = y_t - mean over the node's sampled actions of Q_old(h_t, a^k_t).
func qTargets(r *rollout, gamma float64, q func(e *edge) float64) edgeTargets {
	et := edgeTargets{tdTargets: map[*edge]float64{}, advantages: map[*edge]float64{}}
	meanQ := func(nd *node) float64 {
		sum := 0.0
		for _, e := range nd.edges {
			sum += q(e)
		}
		return sum / float64(len(nd.edges))
	}
	for _, level := range r.edges {
		for _, e := range level {
			next, done := 0.0, e.child == nil || len(e.child.edges) == 0
			if !done {
				next = meanQ(e.child)
			}
			y := TDTargets([]float64{e.reward}, []float64{next}, []bool{done}, gamma)[0]
			et.tdTargets[e] = y
			et.advantages[e] = y - meanQ(e.parent)
		}
	}
	return et
}

// normalizeAdvantages rescales the advantages of all edges together.
func (et edgeTargets) normalizeAdvantages(r *rollout) {
	var edges []*edge
	var xs []float64
	for _, level := range r.edges {
		for _, e := range level {
			edges = append(edges, e)
			xs = append(xs, et.advantages[e])
		}
	}
	Normalize(xs)
	for i, e := range edges {
		et.advantages[e] = xs[i]
	}
}
