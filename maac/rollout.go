package maac

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/lm"
)

// A rollout is a forest: one tree per task of the update. A node is a state (the agents' prompts
// of one turn); each agent samples k responses at it; the joint actions formed from them are the
// node's edges, and each edge's environment transition creates a child node (or ends the episode).

type node struct {
	state     envs.State
	task      int
	depth     int
	prompts   []string      // [agent] the prompt (observation o_{i,t})
	promptIDs [][]int       // [agent] the prompt tokens
	samples   [][]lm.Sample // [agent][k] the sampled responses
	edges     []*edge
	// Critic values at rollout time (no gradient): value is the centralized V_old(h_t),
	// agentValues[i] the decentralized V_old(h_{i,t}).
	value       float64
	agentValues []float64
}

type edge struct {
	parent    *node
	pick      []int   // [agent] the index into parent.samples[agent] of the joint action
	envReward float64 // the environment's reward r_t
	reward    float64 // r_t after the reward shift and the KL penalty: what the algorithms use
	parts     map[string]float64
	info      map[string]float64
	child     *node // nil when the episode ended with this joint action
	// Filled by the algorithms.
	ret        float64 // R_t, the tree Monte Carlo return (discounted)
	episodeRet float64 // the undiscounted return of envReward, for logging
}

type rollout struct {
	roots     []*node
	levels    [][]*node // nodes by depth
	edges     [][]*edge // edges by depth
	envSteps  int
	tokens    int // generated tokens
	truncated int // prompts cut from the left to fit the context
	genTime   time.Duration
	envTime   time.Duration
}

// samplesPerNode is k at a node of the given depth.
func (t *Trainer) samplesPerNode(depth int) int {
	if t.common.Branching == "chains" && depth > 0 {
		return 1
	}
	return t.common.NumGenerations
}

// jointPicks returns the joint actions of a node with k samples per agent.
func (t *Trainer) jointPicks(k int) [][]int {
	n := len(t.Agents)
	if t.common.JointMode == "aligned" || k == 1 {
		picks := make([][]int, k)
		for j := range picks {
			picks[j] = make([]int, n)
			for i := range n {
				picks[j][i] = j
			}
		}
		return picks
	}
	picks := [][]int{{}}
	for range n {
		var next [][]int
		for _, p := range picks {
			for j := range k {
				next = append(next, append(append([]int(nil), p...), j))
			}
		}
		picks = next
	}
	return picks
}

// rollout plays the update's tasks as trees, one turn (depth) at a time, batching every agent's
// generations of a turn across all nodes.
func (t *Trainer) rollout(ctx context.Context, update int, tasks []int) (*rollout, error) {
	r := &rollout{}
	for b, task := range tasks {
		st, err := t.Env.Reset(task, int64(mix(t.common.Seed, uint64(update), uint64(b))))
		if err != nil {
			return nil, fmt.Errorf("env %s: reset of task %d: %w", t.Env.Spec().Name, task, err)
		}
		r.roots = append(r.roots, &node{state: st, task: task})
	}
	frontier := r.roots
	for depth := 0; len(frontier) > 0; depth++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.levels = append(r.levels, frontier)
		k := t.samplesPerNode(depth)
		start := time.Now()
		if err := t.sampleTurn(r, update, depth, frontier, k); err != nil {
			return nil, err
		}
		r.genTime += time.Since(start)
		start = time.Now()
		var next []*node
		var level []*edge
		picks := t.jointPicks(k)
		for _, nd := range frontier {
			for _, pick := range picks {
				e, err := t.step(nd, pick)
				if err != nil {
					return nil, err
				}
				nd.edges = append(nd.edges, e)
				level = append(level, e)
				r.envSteps++
			}
			t.earlyStop(nd)
			for _, e := range nd.edges {
				if e.child != nil {
					next = append(next, e.child)
				}
			}
		}
		r.envTime += time.Since(start)
		r.edges = append(r.edges, level)
		frontier = next
	}
	return r, nil
}

// sampleTurn makes every agent sample k responses at every node of the frontier.
func (t *Trainer) sampleTurn(r *rollout, update, depth int, frontier []*node, k int) error {
	for _, nd := range frontier {
		prompts := nd.state.Prompts()
		if len(prompts) != len(t.Agents) {
			return fmt.Errorf("env %s: %d prompts at turn %d for %d agents", t.Env.Spec().Name, len(prompts), depth, len(t.Agents))
		}
		nd.depth = depth
		nd.prompts = prompts
		nd.promptIDs = make([][]int, len(t.Agents))
		nd.samples = make([][]lm.Sample, len(t.Agents))
		for i, a := range t.Agents {
			room := a.Model.Config.MaxPositionEmbeddings - t.common.MaxNewTokens
			ids, cut := encodePrompt(a.Tokenizer, prompts[i], room)
			if cut {
				r.truncated++
			}
			nd.promptIDs[i] = ids
		}
	}
	for i, a := range t.Agents {
		rows := make([][]int, 0, len(frontier)*k)
		for _, nd := range frontier {
			for range k {
				rows = append(rows, nd.promptIDs[i])
			}
		}
		cfg := t.generateConfig(a, mix(t.common.Seed, uint64(update), uint64(depth), uint64(i), 0x9e11))
		samples, err := a.Model.Generate(rows, cfg)
		if err != nil {
			return fmt.Errorf("%s: generating turn %d: %w", a.Name, depth, err)
		}
		for j, nd := range frontier {
			nd.samples[i] = samples[j*k : (j+1)*k]
			for s := range nd.samples[i] {
				smp := &nd.samples[i][s]
				smp.Text = a.responseText(*smp, cfg)
				r.tokens += len(smp.Tokens)
			}
		}
	}
	return nil
}

func (t *Trainer) generateConfig(a *Agent, seed uint64) lm.GenerateConfig {
	var stops []int
	if eos := a.Tokenizer.EOS(); eos >= 0 {
		stops = append(stops, eos)
	}
	cfg := lm.GenerateConfig{
		MaxNewTokens: t.common.MaxNewTokens,
		Temperature:  t.common.Temperature,
		TopK:         t.common.TopK,
		TopP:         t.common.TopP,
		StopTokens:   stops,
		Seed:         seed,
	}
	if s, ok := t.Env.(envs.Stopper); ok {
		if seqs := s.StopSequences(); len(seqs) > 0 {
			cfg.StopStrings, cfg.Decode = seqs, a.Tokenizer.Decode
		}
	}
	return cfg
}

// step plays one joint action of nd in the environment.
func (t *Trainer) step(nd *node, pick []int) (*edge, error) {
	responses := make([]string, len(t.Agents))
	for i := range t.Agents {
		responses[i] = nd.samples[i][pick[i]].Text
	}
	tr, err := nd.state.Step(responses)
	spec := t.Env.Spec()
	if err != nil {
		return nil, fmt.Errorf("env %s: task %d turn %d: %w", spec.Name, nd.task, nd.depth, err)
	}
	if math.IsNaN(tr.Reward) || math.IsInf(tr.Reward, 0) {
		return nil, fmt.Errorf("env %s: task %d turn %d returned reward %v: rewards must be finite", spec.Name, nd.task, nd.depth, tr.Reward)
	}
	if !tr.Done && tr.Next == nil {
		return nil, fmt.Errorf("env %s: task %d turn %d: transition is not done but has no next state", spec.Name, nd.task, nd.depth)
	}
	if !tr.Done && nd.depth+1 >= spec.MaxTurns {
		return nil, fmt.Errorf("env %s: task %d: episode goes past MaxTurns=%d", spec.Name, nd.task, spec.MaxTurns)
	}
	e := &edge{parent: nd, pick: pick, envReward: tr.Reward, parts: tr.Parts, info: tr.Info}
	e.reward = tr.Reward + t.common.RewardShift
	if !tr.Done {
		e.child = &node{state: tr.Next, task: nd.task}
	}
	return e, nil
}

// earlyStop ends the node's episodes after this turn when their mean reward exceeds the
// threshold (the reference's early termination).
func (t *Trainer) earlyStop(nd *node) {
	if t.common.EarlyStopReward == 0 || len(nd.edges) == 0 {
		return
	}
	mean := 0.0
	for _, e := range nd.edges {
		mean += e.envReward
	}
	if mean/float64(len(nd.edges)) > t.common.EarlyStopReward {
		for _, e := range nd.edges {
			e.child = nil
		}
	}
}

// treeReturns fills R_t = r_t + gamma * mean(children's R_{t+1}) and the undiscounted episode
// return of every edge, bottom-up.
func treeReturns(r *rollout, gamma float64) {
	for d := len(r.edges) - 1; d >= 0; d-- {
		for _, e := range r.edges[d] {
			e.ret, e.episodeRet = e.reward, e.envReward
			if e.child != nil && len(e.child.edges) > 0 {
				sum, sumEp := 0.0, 0.0
				for _, c := range e.child.edges {
					sum += c.ret
					sumEp += c.episodeRet
				}
				n := float64(len(e.child.edges))
				e.ret += gamma * sum / n
				e.episodeRet += sumEp / n
			}
		}
	}
}

// sampleAdvantages averages per-edge advantages into one advantage per agent sample: in cross
// mode a response takes part in several joint actions, in aligned mode in exactly one.
// adv(e, i) gives edge e's advantage for agent i.
func sampleAdvantages(nd *node, agent int, adv func(e *edge) float64) []float64 {
	k := len(nd.samples[agent])
	sum, count := make([]float64, k), make([]float64, k)
	for _, e := range nd.edges {
		j := e.pick[agent]
		sum[j] += adv(e)
		count[j]++
	}
	for j := range sum {
		if count[j] > 0 {
			sum[j] /= count[j]
		}
	}
	return sum
}

// mix hashes its arguments into a seed (splitmix64 steps), so every update, turn and agent draws
// from its own reproducible stream and a resumed run repeats the same draws.
func mix(xs ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, x := range xs {
		h ^= x + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}
