package maac

import (
	"context"
	"fmt"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/lm"
)

// EvalOptions configures Evaluate. The zero value plays one greedy episode per evaluation task.
type EvalOptions struct {
	// Episodes to play. Default: one per evaluation task (the env's EvalTasks when it has a
	// held-out split, else all its tasks).
	Episodes int
	// Temperature of sampling; 0 (the default) decodes greedily.
	Temperature float64
	// Seed of sampling and of the episodes' randomness.
	Seed uint64
}

// EvalResult holds the played episodes and their return statistics.
type EvalResult struct {
	Episodes   []Episode
	MeanReturn float64
	StdReturn  float64
}

// Evaluate plays episodes with the current agents without training: the rollout of an update
// with one response per agent and node, batched across episodes, so the same checks and the
// same early termination apply. It returns the transcripts and undiscounted returns.
func (t *Trainer) Evaluate(o EvalOptions) (*EvalResult, error) {
	pool := make([]int, t.Env.NumTasks())
	for i := range pool {
		pool[i] = i
	}
	if s, ok := envs.As[envs.EvalSplitter](t.Env); ok && len(s.EvalTasks()) > 0 {
		pool = s.EvalTasks()
	}
	if o.Episodes <= 0 {
		o.Episodes = len(pool)
	}
	p := play{
		envSeed:        func(b int) int64 { return int64(mix(o.Seed, uint64(b), 0xe7a1)) },
		samplesPerNode: func(int) int { return 1 },
		sampling: func(a *Agent, agent, depth int) lm.GenerateConfig {
			cfg := t.generateConfig(a, mix(o.Seed, uint64(depth), uint64(agent), 0xe7a2))
			cfg.Temperature = o.Temperature
			return cfg
		},
	}
	for b := range o.Episodes {
		p.tasks = append(p.tasks, pool[b%len(pool)])
	}
	r, err := t.rollout(context.Background(), p)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	res := &EvalResult{}
	var returns []float64
	for _, root := range r.roots {
		ep := t.episode(root)
		res.Episodes = append(res.Episodes, ep)
		returns = append(returns, ep.Return)
	}
	res.MeanReturn, res.StdReturn = MeanStd(returns)
	return res, nil
}
