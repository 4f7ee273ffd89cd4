package maac

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/lm"
)

// A rollout is a forest: one tree per task. A node is a state (the agents' prompts of one turn);
// each agent samples k responses at it; the joint actions formed from them are the node's edges,
// and each edge's environment transition creates a child node (or ends the episode). Training
// and evaluation play episodes with the same code, so both apply the same checks and the same
// early termination.

type node struct {
	state     envs.State
	task      int
	depth     int
	prompts   []string      // [agent] the prompt (observation o_{i,t})
	promptIDs [][]int       // [agent] the prompt tokens
	samples   [][]lm.Sample // [agent][k] the sampled responses
	edges     []*edge
}

type edge struct {
	parent    *node
	pick      []int   // [agent] the index into parent.samples[agent] of the joint action
	envReward float64 // the environment's reward r_t
	// rewards[i] is r_t for agent i after the reward shift and the KL penalty: what the
	// algorithms use. The rewards differ between agents only under a per-agent KL penalty.
	rewards []float64
	parts   map[string]float64
	info    map[string]float64
	child   *node // nil when the episode ended with this joint action
	// returns[i] is agent i's tree Monte Carlo return R_t (discounted), and episodeReturn the
	// undiscounted return of envReward, for logging (treeReturns).
	returns       []float64
	episodeReturn float64
}

type rollout struct {
	roots     []*node
	levels    [][]*node // nodes by depth
	edges     [][]*edge // edges by depth
	envSteps  int
	tokens    int // generated tokens
	truncated int // prompts and critic inputs cut from the left to fit the context
	genTime   time.Duration
	envTime   time.Duration
}

// play says which episodes a rollout plays and how the agents sample.
type play struct {
	tasks []int
	// envSeed is the seed of episode b's randomness inside the env.
	envSeed func(b int) int64
	// samplesPerNode is k at a node of the given depth.
	samplesPerNode func(depth int) int
	// sampling is agent a's generation config at the given depth.
	sampling func(a *Agent, agent, depth int) lm.GenerateConfig
}

// trainingPlay is the rollout of an update: the update's tasks, K samples per node (one after
// the root with chains), the run's sampling settings, all from streams of (seed, update).
func (t *Trainer) trainingPlay(update int) play {
	c := t.common
	return play{
		tasks:   t.sampleTasks(update),
		envSeed: func(b int) int64 { return int64(mix(c.Seed, uint64(update), uint64(b))) },
		samplesPerNode: func(depth int) int {
			if c.Branching == BranchChains && depth > 0 {
				return 1
			}
			return c.NumGenerations
		},
		sampling: func(a *Agent, agent, depth int) lm.GenerateConfig {
			cfg := t.generateConfig(a, mix(c.Seed, uint64(update), uint64(depth), uint64(agent), 0x9e11))
			cfg.Temperature, cfg.TopP, cfg.TopK = c.Temperature, c.TopP, c.TopK
			return cfg
		},
	}
}

// jointPicks returns the joint actions of a node with k samples per agent.
func (t *Trainer) jointPicks(k int) [][]int {
	n := len(t.Agents)
	if t.common.JointMode == JointAligned || k == 1 {
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

// rollout plays p's episodes as trees, one turn (depth) at a time, batching every agent's
// generations of a turn across all nodes.
func (t *Trainer) rollout(ctx context.Context, p play) (*rollout, error) {
	r := &rollout{}
	for b, task := range p.tasks {
		st, err := t.Env.Reset(task, p.envSeed(b))
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
		k := p.samplesPerNode(depth)
		start := time.Now()
		if err := t.sampleTurn(r, p, depth, frontier, k); err != nil {
			return nil, err
		}
		r.genTime += time.Since(start)
		start = time.Now()
		var next []*node
		var level []*edge
		picks := t.jointPicks(k)
		steps := make([]envs.Step, 0, len(frontier)*len(picks))
		for _, nd := range frontier {
			for _, pick := range picks {
				steps = append(steps, envs.Step{State: nd.state, Responses: t.responses(nd, pick)})
			}
		}
		trs, err := t.stepAll(steps, frontier, len(picks))
		if err != nil {
			return nil, err
		}
		for j, nd := range frontier {
			for p, pick := range picks {
				e, err := t.edge(nd, pick, trs[j*len(picks)+p])
				if err != nil {
					return nil, err
				}
				nd.edges = append(nd.edges, e)
				level = append(level, e)
				r.envSteps++
			}
			t.terminateEarly(nd)
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
func (t *Trainer) sampleTurn(r *rollout, p play, depth int, frontier []*node, k int) error {
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
			ids, cut, err := a.encodePrompt(prompts[i], room)
			if err != nil {
				return err
			}
			if cut {
				r.truncated++
			}
			nd.promptIDs[i] = ids
		}
	}
	// Each agent generates with its own model and stream: the agents run as separate tasks.
	samples := make([][]lm.Sample, len(t.Agents))
	tasks := make([]func(Metrics) error, len(t.Agents))
	for i, a := range t.Agents {
		rows := make([][]int, 0, len(frontier)*k)
		for _, nd := range frontier {
			for range k {
				rows = append(rows, nd.promptIDs[i])
			}
		}
		cfg := p.sampling(a, i, depth)
		tasks[i] = func(Metrics) error {
			var err error
			if samples[i], err = a.Model.Generate(rows, cfg); err != nil {
				return fmt.Errorf("%s: generating turn %d: %w", a.Name, depth, err)
			}
			for s := range samples[i] {
				samples[i][s].Text = a.responseText(samples[i][s], cfg)
			}
			return nil
		}
	}
	if err := t.concurrently(Metrics{}, tasks...); err != nil {
		return err
	}
	for i := range t.Agents {
		for j, nd := range frontier {
			nd.samples[i] = samples[i][j*k : (j+1)*k]
			for _, smp := range nd.samples[i] {
				r.tokens += len(smp.Tokens)
			}
		}
	}
	return nil
}

// generateConfig is agent a's sampling setup without the sampling knobs: its stop tokens and
// the env's stop sequences.
func (t *Trainer) generateConfig(a *Agent, seed uint64) lm.GenerateConfig {
	var stops []int
	if eos := a.Tokenizer.EOS(); eos >= 0 {
		stops = append(stops, eos)
	}
	cfg := lm.GenerateConfig{MaxNewTokens: t.common.MaxNewTokens, StopTokens: stops, Seed: seed}
	if s, ok := envs.As[envs.Stopper](t.Env); ok {
		if seqs := s.StopSequences(); len(seqs) > 0 {
			cfg.StopStrings, cfg.Decode = seqs, a.Tokenizer.Decode
		}
	}
	return cfg
}

// stepAll plays the joint actions of a turn, picks per node of the frontier in order: in one
// batch when the env steps batches (a derived env's reward is scored in one call), else one by
// one.
func (t *Trainer) stepAll(steps []envs.Step, frontier []*node, picks int) ([]envs.Transition, error) {
	name, depth := t.Env.Spec().Name, frontier[0].depth
	if b, ok := t.Env.(envs.BatchStepper); ok {
		trs, err := b.StepBatch(steps)
		if err != nil {
			return nil, fmt.Errorf("turn %d, a batch of %d joint actions: %w", depth, len(steps), err)
		}
		if len(trs) != len(steps) {
			return nil, fmt.Errorf("env %s: turn %d: StepBatch returned %d transitions for %d joint actions", name, depth, len(trs), len(steps))
		}
		return trs, nil
	}
	trs := make([]envs.Transition, len(steps))
	for j, st := range steps {
		tr, err := st.State.Step(st.Responses)
		if err != nil {
			return nil, fmt.Errorf("env %s: task %d turn %d: %w", name, frontier[j/picks].task, depth, err)
		}
		trs[j] = tr
	}
	return trs, nil
}

// responses returns the joint action pick of nd as text, one response per agent.
func (t *Trainer) responses(nd *node, pick []int) []string {
	out := make([]string, len(t.Agents))
	for i := range t.Agents {
		out[i] = nd.samples[i][pick[i]].Text
	}
	return out
}

// edge checks the environment's transition tr of nd's joint action pick and records it.
func (t *Trainer) edge(nd *node, pick []int, tr envs.Transition) (*edge, error) {
	spec := t.Env.Spec()
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
	e.rewards = make([]float64, len(t.Agents))
	for i := range e.rewards {
		e.rewards[i] = tr.Reward + t.common.RewardShift
	}
	if !tr.Done {
		e.child = &node{state: tr.Next, task: nd.task}
	}
	return e, nil
}

// terminateEarly applies the reference's early termination to node nd, whose joint actions
// were just played: in a tree, a node whose joint actions' mean env reward exceeds the
// threshold is not expanded; with chains each episode decides alone, ending after a turn whose
// env reward exceeds it.
func (t *Trainer) terminateEarly(nd *node) {
	threshold, on := t.common.earlyTermination()
	if !on || len(nd.edges) == 0 {
		return
	}
	if t.common.Branching == BranchChains {
		for _, e := range nd.edges {
			if e.envReward > threshold {
				e.child = nil
			}
		}
		return
	}
	mean := 0.0
	for _, e := range nd.edges {
		mean += e.envReward
	}
	if mean/float64(len(nd.edges)) > threshold {
		for _, e := range nd.edges {
			e.child = nil
		}
	}
}

// treeReturns fills every edge's returns R_{i,t} = r_{i,t} + gamma * mean(children's
// R_{i,t+1}) per agent and its undiscounted episode return, bottom-up.
func treeReturns(r *rollout, gamma float64) {
	for d := len(r.edges) - 1; d >= 0; d-- {
		for _, e := range r.edges[d] {
			e.returns = append([]float64(nil), e.rewards...)
			e.episodeReturn = e.envReward
			if e.child == nil || len(e.child.edges) == 0 {
				continue
			}
			n := float64(len(e.child.edges))
			for _, c := range e.child.edges {
				for i := range e.returns {
					e.returns[i] += gamma * c.returns[i] / n
				}
				e.episodeReturn += c.episodeReturn / n
			}
		}
	}
}

// sampleEdges returns, for each of agent i's samples at nd, the edges (joint actions) it takes
// part in: exactly one in aligned mode, K^(n-1) in cross mode.
func sampleEdges(nd *node, agent int) [][]*edge {
	out := make([][]*edge, len(nd.samples[agent]))
	for _, e := range nd.edges {
		out[e.pick[agent]] = append(out[e.pick[agent]], e)
	}
	return out
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
