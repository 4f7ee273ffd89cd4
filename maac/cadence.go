package maac

import (
	"math/rand/v2"
	"slices"
)

// The training cadence: how an update's samples become optimizer steps (Common.Minibatch).
//
// With the reference cadence every agent has a rollout buffer. Samples enter it task by task,
// in the order the reference collects them; whenever it holds RolloutBufferSize samples it is
// split by turn and each turn group becomes one step (a group larger than the buffer is
// shuffled and cut into steps of the buffer size, the reference's train_batch_size). The
// actor-critic trainers check the buffer after each task's samples, the Monte Carlo trainer
// after each node. What is left at the end of the update is trained on then. With the update
// cadence all of an agent's samples of the update form one step.

// planSteps groups one agent's entries into optimizer steps. items are the entries task by task,
// turn gives an entry's turn, checkEach makes the buffer drain as soon as it is full (Monte Carlo)
// rather than after each item (actor-critic), and rng shuffles oversized turn groups.
func planSteps[E any](c *Common, items [][]E, turn func(E) int, checkEach bool, rng *rand.Rand) [][]E {
	if c.Minibatch == MinibatchUpdate {
		var all []E
		for _, item := range items {
			all = append(all, item...)
		}
		if len(all) == 0 {
			return nil
		}
		return [][]E{all}
	}
	size := c.RolloutBufferSize
	var steps [][]E
	var buffer []E
	drain := func() {
		groups := map[int][]E{}
		for _, e := range buffer {
			groups[turn(e)] = append(groups[turn(e)], e)
		}
		turns := make([]int, 0, len(groups))
		for t := range groups {
			turns = append(turns, t)
		}
		slices.Sort(turns)
		for _, t := range turns {
			group := groups[t]
			if len(group) > size {
				rng.Shuffle(len(group), func(i, j int) { group[i], group[j] = group[j], group[i] })
			}
			for start := 0; start < len(group); start += size {
				steps = append(steps, group[start:min(start+size, len(group))])
			}
		}
		buffer = nil
	}
	for _, item := range items {
		for _, e := range item {
			buffer = append(buffer, e)
			if checkEach && len(buffer) >= size {
				drain()
			}
		}
		if !checkEach && len(buffer) >= size {
			drain()
		}
	}
	if len(buffer) > 0 {
		drain()
	}
	return steps
}

// stepRand is the stream that shuffles agent i's oversized turn groups in an update.
func (t *Trainer) stepRand(agent int) *rand.Rand {
	return rand.New(rand.NewPCG(t.common.Seed, mix(uint64(t.update), uint64(agent), 0x5b)))
}

// treeOrder returns the nodes of one task's tree in the order the reference creates them:
// depth first, each node before its children, children in the order of their joint actions.
func treeOrder(root *node) []*node {
	out := []*node{root}
	for _, e := range root.edges {
		if e.child != nil {
			out = append(out, treeOrder(e.child)...)
		}
	}
	return out
}

// A sampleRef is one response of one agent: node nd's k-th sample of the agent.
type sampleRef struct {
	nd *node
	k  int
}

// agentSamples returns agent i's samples of a rollout task by task (each task's tree in the
// reference's order).
func agentSamples(r *rollout, agent int) [][]sampleRef {
	items := make([][]sampleRef, len(r.roots))
	for b, root := range r.roots {
		for _, nd := range treeOrder(root) {
			for k := range nd.samples[agent] {
				items[b] = append(items[b], sampleRef{nd, k})
			}
		}
	}
	return items
}

func sampleTurn(s sampleRef) int { return s.nd.depth }

// normalize rescales the advantages of one step group in place (see Normalization).
func normalize(xs []float64, how Normalization) {
	if how == NormNone || len(xs) < 2 {
		return
	}
	mean, std := meanPopStd(xs)
	std = max(std, 1e-6)
	for i := range xs {
		if how == NormStd {
			xs[i] /= std
		} else {
			xs[i] = (xs[i] - mean) / std
		}
	}
}
