package maac

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/lm"
)

// algorithm is one training method: it turns a rollout into optimizer steps. Each lives in its own
// file (cc.go, dc.go, mc.go) and reads top to bottom with the paper's names; the algorithm table
// (algorithms.go) builds them.
type algorithm interface {
	// update runs the optimization of one update on rollout r and records its metrics in m.
	update(t *Trainer, r *rollout, m Metrics) error
}

// Trainer trains a team of agents in an environment with one algorithm. Build it with NewRun.
type Trainer struct {
	Env     envs.Env
	Agents  []*Agent
	Backend compute.Backend
	Store   *model.Store

	algo   algorithm
	info   Algorithm // the algorithm's table row
	config RunConfig // with every default filled in
	common *Common   // the algorithm config's Common
	hooks  hooks

	// Progress counters, saved in checkpoints.
	update  int // completed updates
	envStep int // joint-action reward evaluations so far (the x-axis of every metric)
	// warmStarted: WarmStart has run (Common.WarmStartSteps then does not run it again).
	warmStarted bool

	actors  []*lm.Trainer // one optimizer per agent
	gradVar []*lm.Trainer // gradient-only twins of actors, for the variance measurement
	refs    []*lm.Model   // frozen initial actors, for the KL penalty (KLBeta > 0)
	sft     []*lm.Trainer // supervised warm-start optimizers, created by WarmStart
}

// UpdateInfo is what OnUpdate hooks receive after every update.
type UpdateInfo struct {
	Update  int     // 1-based number of the update just finished
	EnvStep int     // env_step after it
	Metrics Metrics // every metric of the update, see metrics.go
	Samples []EpisodeSample
}

// EpisodeSample is one joint action of the update for sample viewers: the prompts the agents
// saw, their responses and the reward.
type EpisodeSample struct {
	Task      int
	Turn      int
	Prompts   []string
	Responses []string
	Reward    float64
	Parts     map[string]float64
}

// Episode is one played episode of an update: the first path from a root, turn by turn.
type Episode struct {
	Update int
	Task   int
	Turns  []EpisodeSample
	Return float64 // the undiscounted sum of the environment rewards along the path
}

type hooks struct {
	onUpdate  []*func(UpdateInfo) error
	onEpisode []*func(Episode) error
}

// OnUpdate registers fn to run after every update (widgets, loggers, checkpointing). An error
// stops training and is returned by Train. The returned function unregisters fn.
func (t *Trainer) OnUpdate(fn func(UpdateInfo) error) (remove func()) {
	return addHook(&t.hooks.onUpdate, fn)
}

// OnEpisode registers fn to run after every update for one episode per task of the update (the
// first path of each rollout tree), for transcripts and sample viewers. The returned function
// unregisters fn.
func (t *Trainer) OnEpisode(fn func(Episode) error) (remove func()) {
	return addHook(&t.hooks.onEpisode, fn)
}

func addHook[T any](list *[]*func(T) error, fn func(T) error) (remove func()) {
	h := &fn
	*list = append(*list, h)
	return func() {
		*list = slices.DeleteFunc(*list, func(x *func(T) error) bool { return x == h })
	}
}

// Updates is the number of completed updates; EnvSteps the env_step counter.
func (t *Trainer) Updates() int  { return t.update }
func (t *Trainer) EnvSteps() int { return t.envStep }

// Algorithm is the registry name of the trainer's algorithm.
func (t *Trainer) Algorithm() string { return t.info.Name }

// Config returns the run's configuration with every default filled in.
func (t *Trainer) Config() RunConfig { return t.config }

// Train runs n updates, stopping early (with the updates done so far kept) when ctx is
// cancelled: an interrupted cell or a Ctrl-C loses at most the update in flight.
func (t *Trainer) Train(ctx context.Context, n int) error {
	for range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := t.StepContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// TrainToEnvSteps trains until the first update that brings env_step to n or beyond (none when
// it is there already), stopping early, with the updates done so far kept, when ctx is
// cancelled: the equal sample budget of a comparison.
func (t *Trainer) TrainToEnvSteps(ctx context.Context, n int) error {
	for t.envStep < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := t.StepContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Step runs one update: a rollout on TasksPerUpdate tasks, then the algorithm's optimization.
// The first update of a run with WarmStartSteps > 0 begins with the warm start.
func (t *Trainer) Step() (Metrics, error) { return t.StepContext(context.Background()) }

// StepContext is Step that gives up when ctx is cancelled during the rollout, before any weight
// changed: the trainer is then exactly as after the previous update (and a warm start, once
// done, stays done), and the error is ctx's. NaN or infinite numbers stop the update with a
// *DivergedError before any hook runs.
func (t *Trainer) StepContext(ctx context.Context) (Metrics, error) {
	m := Metrics{}
	if t.update == 0 && t.common.WarmStartSteps > 0 && !t.warmStarted {
		warm := time.Now()
		losses, err := t.WarmStart(t.common.WarmStartSteps)
		if err != nil {
			return nil, t.diverged(err)
		}
		m[MetricWarmStartLossFirst], m[MetricWarmStartLossLast] = losses[0], losses[len(losses)-1]
		m[MetricTimeWarmStart] = time.Since(warm).Seconds()
	}
	start := time.Now()
	r, err := t.rollout(ctx, t.trainingPlay(t.update))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		err = t.diverged(fmt.Errorf("update %d: %w", t.update+1, err))
		if _, ok := err.(*DivergedError); ok {
			return nil, err
		}
		return nil, &RolloutError{Update: t.update + 1, Err: err}
	}
	if t.common.KLBeta > 0 {
		if err := t.klPenalty(r, m); err != nil {
			return nil, t.diverged(fmt.Errorf("update %d: %w", t.update+1, err))
		}
	}
	treeReturns(r, t.common.Gamma)
	if err := t.algo.update(t, r, m); err != nil {
		return nil, t.diverged(fmt.Errorf("update %d (%s): %w", t.update+1, t.info.Name, err))
	}
	for i, actor := range t.actors {
		steps, err := actor.Steps()
		if err != nil {
			return nil, err
		}
		m[optimAgentMetric(i)] = float64(steps)
	}
	t.update++
	t.envStep += r.envSteps
	rolloutMetrics(r, m)
	elapsed := time.Since(start).Seconds()
	m[MetricUpdate] = float64(t.update)
	m[MetricEnvStep] = float64(t.envStep)
	m[MetricTimeUpdate] = elapsed
	m[MetricTimeGeneration] = r.genTime.Seconds()
	m[MetricTimeEnv] = r.envTime.Seconds()
	m[MetricEnvStepsPerSec] = float64(r.envSteps) / elapsed
	m[MetricTokensPerSec] = float64(r.tokens) / r.genTime.Seconds()
	m[MetricCompiles] = float64(lm.Compiles(t.Store))
	for _, root := range r.roots {
		ep := t.episode(root)
		for _, fn := range slices.Clone(t.hooks.onEpisode) {
			if err := (*fn)(ep); err != nil {
				return m, fmt.Errorf("update %d episode hook: %w", t.update, err)
			}
		}
	}
	info := UpdateInfo{Update: t.update, EnvStep: t.envStep, Metrics: m, Samples: t.samples(r, 4)}
	for _, fn := range slices.Clone(t.hooks.onUpdate) {
		if err := (*fn)(info); err != nil {
			return m, fmt.Errorf("update %d hook: %w", t.update, err)
		}
	}
	return m, nil
}

// RolloutError is an update that failed in its rollout, before any weight changed: the env or
// its reward failed (a reward function raised, timed out or returned a bad value). The trainer
// is exactly as after the previous update, so a checkpoint saved now keeps everything trained;
// collm train, widgets.Train and Compare save one, and the run continues from it once the cause
// is fixed.
type RolloutError struct {
	Update int // the 1-based number of the update whose rollout failed
	Err    error
}

func (e *RolloutError) Error() string { return e.Err.Error() }
func (e *RolloutError) Unwrap() error { return e.Err }

// Close releases what the trainer's env holds, such as the process of a Python reward; the
// trainer cannot train afterwards. RunDir.Close calls it for the trainer of its run.
func (t *Trainer) Close() error {
	if c, ok := t.Env.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// sampleTasks draws the update's tasks without replacement where possible, from a stream that
// depends only on the seed and the update number.
func (t *Trainer) sampleTasks(update int) []int {
	pool := t.trainTasks()
	rng := rand.New(rand.NewPCG(t.common.Seed, mix(uint64(update), 0x7a5c)))
	tasks := make([]int, t.common.TasksPerUpdate)
	perm := rng.Perm(len(pool))
	for i := range tasks {
		tasks[i] = pool[perm[i%len(pool)]]
	}
	return tasks
}

// trainTasks returns the tasks training draws from: the env's training split when it has one.
func (t *Trainer) trainTasks() []int {
	if s, ok := envs.As[envs.EvalSplitter](t.Env); ok && len(s.TrainTasks()) > 0 {
		return s.TrainTasks()
	}
	pool := make([]int, t.Env.NumTasks())
	for i := range pool {
		pool[i] = i
	}
	return pool
}

// samples returns up to n joint actions of the first turn, for sample viewers.
func (t *Trainer) samples(r *rollout, n int) []EpisodeSample {
	var out []EpisodeSample
	for _, level := range r.edges {
		for _, e := range level {
			if len(out) == n {
				return out
			}
			out = append(out, sampleOf(e))
		}
	}
	return out
}

func sampleOf(e *edge) EpisodeSample {
	return EpisodeSample{Task: e.parent.task, Turn: e.parent.depth, Prompts: e.parent.prompts,
		Responses: edgeResponses(e), Reward: e.envReward, Parts: e.parts}
}

// episode follows the first joint action of every turn from root.
func (t *Trainer) episode(root *node) Episode {
	ep := Episode{Update: t.update, Task: root.task}
	for nd := root; nd != nil && len(nd.edges) > 0; nd = nd.edges[0].child {
		e := nd.edges[0]
		ep.Turns = append(ep.Turns, sampleOf(e))
		ep.Return += e.envReward
	}
	return ep
}

// klPenalty shapes every joint action's rewards with the k3 estimate of each agent's KL to its
// frozen initial policy, summed over the response's tokens: r_i -= KLBeta * KL_i (KLOwn) or
// r_i -= KLBeta * sum_j KL_j for every agent (KLTeam).
func (t *Trainer) klPenalty(r *rollout, m Metrics) error {
	defer timed(m, MetricTimeScoring)()
	kls := map[*node][][]float64{} // [agent][k]
	for i := range t.Agents {
		var prompts, responses [][]int
		var behavior [][]float64
		for _, level := range r.levels {
			for _, nd := range level {
				for _, s := range nd.samples[i] {
					prompts = append(prompts, nd.promptIDs[i])
					responses = append(responses, s.Tokens)
					behavior = append(behavior, s.LogProbs)
				}
			}
		}
		scores, err := t.refs[i].Score(prompts, responses)
		if err != nil {
			return fmt.Errorf("KL reference of %s: %w", t.Agents[i].Name, err)
		}
		row, sum := 0, 0.0
		for _, level := range r.levels {
			for _, nd := range level {
				if kls[nd] == nil {
					kls[nd] = make([][]float64, len(t.Agents))
				}
				kls[nd][i] = make([]float64, len(nd.samples[i]))
				for k := range kls[nd][i] {
					kls[nd][i][k] = KLk3(scores.LogProbs[row], behavior[row])
					sum += kls[nd][i][k]
					row++
				}
			}
		}
		m[agentMetric(i, "kl")] = sum / float64(row)
	}
	applyKL(r, kls, t.common.KLBeta, t.common.KLPenalty)
	return nil
}

// applyKL subtracts the KL penalty from every joint action's rewards, given kls[node][agent][k],
// the KL of agent's k-th sample at node: r_i -= beta KL_i of agent i's own response (KLOwn), or
// r_i -= beta * sum_j KL_j of the joint action (KLTeam).
func applyKL(r *rollout, kls map[*node][][]float64, beta float64, mode KLPenalty) {
	for _, level := range r.edges {
		for _, e := range level {
			team := 0.0
			for i, k := range e.pick {
				team += kls[e.parent][i][k]
			}
			for i, k := range e.pick {
				if mode == KLTeam {
					e.rewards[i] -= beta * team
				} else {
					e.rewards[i] -= beta * kls[e.parent][i][k]
				}
			}
		}
	}
}
