package maac

import (
	"fmt"

	"github.com/collm/collm/envs"
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

// Evaluate plays episodes with the current agents (one response per agent per turn, batched
// across episodes) without training, and returns their transcripts and undiscounted returns.
func (t *Trainer) Evaluate(o EvalOptions) (*EvalResult, error) {
	tasks := make([]int, t.Env.NumTasks())
	for i := range tasks {
		tasks[i] = i
	}
	if s, ok := t.Env.(envs.EvalSplitter); ok && len(s.EvalTasks()) > 0 {
		tasks = s.EvalTasks()
	}
	if o.Episodes <= 0 {
		o.Episodes = len(tasks)
	}
	type episode struct {
		state envs.State
		ep    Episode
	}
	eps := make([]*episode, o.Episodes)
	for i := range eps {
		task := tasks[i%len(tasks)]
		st, err := t.Env.Reset(task, int64(mix(o.Seed, uint64(i), 0xe7a1)))
		if err != nil {
			return nil, fmt.Errorf("evaluate: reset task %d: %w", task, err)
		}
		eps[i] = &episode{state: st, ep: Episode{Update: t.update, Task: task}}
	}
	for depth := 0; ; depth++ {
		var alive []*episode
		for _, e := range eps {
			if e.state != nil {
				alive = append(alive, e)
			}
		}
		if len(alive) == 0 {
			break
		}
		responses := make([][]string, len(alive))
		for j := range responses {
			responses[j] = make([]string, len(t.Agents))
		}
		for i, a := range t.Agents {
			rows := make([][]int, len(alive))
			for j, e := range alive {
				room := a.Model.Config.MaxPositionEmbeddings - t.common.MaxNewTokens
				rows[j], _ = encodePrompt(a.Tokenizer, e.state.Prompts()[i], room)
			}
			cfg := t.generateConfig(a, mix(o.Seed, uint64(depth), uint64(i), 0xe7a2))
			cfg.Temperature, cfg.TopP, cfg.TopK = o.Temperature, 0, 0
			samples, err := a.Model.Generate(rows, cfg)
			if err != nil {
				return nil, fmt.Errorf("evaluate: %s: %w", a.Name, err)
			}
			for j, s := range samples {
				responses[j][i] = a.responseText(s, cfg)
			}
		}
		for j, e := range alive {
			prompts := e.state.Prompts()
			tr, err := e.state.Step(responses[j])
			if err != nil {
				return nil, fmt.Errorf("evaluate: env %s task %d turn %d: %w", t.Env.Spec().Name, e.ep.Task, depth, err)
			}
			e.ep.Turns = append(e.ep.Turns, EpisodeSample{Task: e.ep.Task, Turn: depth, Prompts: prompts,
				Responses: responses[j], Reward: tr.Reward, Parts: tr.Parts})
			e.ep.Return += tr.Reward
			e.state = tr.Next
			if tr.Done {
				e.state = nil
			}
		}
	}
	res := &EvalResult{}
	var returns []float64
	for _, e := range eps {
		res.Episodes = append(res.Episodes, e.ep)
		returns = append(returns, e.ep.Return)
	}
	res.MeanReturn, res.StdReturn = MeanStd(returns)
	return res, nil
}
