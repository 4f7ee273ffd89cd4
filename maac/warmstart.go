package maac

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/lm"
)

// WarmStart fine-tunes every agent on the environment's demonstrations (envs.Demonstrator) for
// the given number of supervised steps before reinforcement learning: each step takes
// TasksPerUpdate training tasks and minimizes the negative log-likelihood of each agent's
// demonstrated response (and its end token) after its first-turn prompt. Where the env offers
// an agent several responses, each step draws one per agent independently. Agents trained from
// scratch emit random bytes that no reward can tell apart; after a warm start their samples
// differ in quality and the policy gradient has a signal. It returns the mean loss of each step.
// The warm start uses its own AdamW state (scope "<agent>_sft") at the actors' learning rate and
// does not count as an update. With KLBeta > 0 the KL reference becomes the warmed-up actors.
func (t *Trainer) WarmStart(steps int) ([]float64, error) {
	demo, ok := envs.As[envs.Demonstrator](t.Env)
	if !ok {
		return nil, fmt.Errorf("warm start: env %s has no demonstrations (it does not implement envs.Demonstrator)", t.Env.Spec().Name)
	}
	if steps < 1 {
		return nil, errors.New("warm start: steps must be >= 1")
	}
	if t.sft == nil {
		for _, a := range t.Agents {
			tr, err := newActorTrainer(t, a, a.Name+"_sft", actorLossConfig{})
			if err != nil {
				return nil, err
			}
			t.sft = append(t.sft, tr)
		}
	}
	pool := t.trainTasks()
	rng := rand.New(rand.NewPCG(t.common.Seed, 0x5f7))
	losses := make([]float64, steps)
	for step := range steps {
		batches := make([]*actorBatch, len(t.Agents))
		for i := range batches {
			batches[i] = &actorBatch{}
		}
		for range t.common.TasksPerUpdate {
			task := pool[rng.IntN(len(pool))]
			st, err := t.Env.Reset(task, int64(task))
			if err != nil {
				return nil, fmt.Errorf("warm start: %w", err)
			}
			answers, err := demo.Demonstrations(task)
			if err != nil {
				return nil, fmt.Errorf("warm start: %w", err)
			}
			if len(answers) != len(t.Agents) {
				return nil, fmt.Errorf("warm start: env %s demonstrates responses for %d agents, the run has %d", t.Env.Spec().Name, len(answers), len(t.Agents))
			}
			for i, a := range t.Agents {
				if len(answers[i]) == 0 {
					return nil, fmt.Errorf("warm start: env %s has no demonstration for agent %d of task %d", t.Env.Spec().Name, i, task)
				}
				room := a.Model.Config.MaxPositionEmbeddings - t.common.MaxNewTokens
				prompt, _, err := a.encodePrompt(st.Prompts()[i], room)
				if err != nil {
					return nil, fmt.Errorf("warm start: %w", err)
				}
				response := a.Tokenizer.Encode(answers[i][rng.IntN(len(answers[i]))])
				if eos := a.Tokenizer.EOS(); eos >= 0 {
					response = append(response, eos)
				}
				batches[i].add(prompt, lm.Sample{Tokens: response}, 1)
			}
		}
		for i, a := range t.Agents {
			in, err := batches[i].inputs(a.Model)
			if err != nil {
				return nil, fmt.Errorf("warm start %s: %w", a.Name, err)
			}
			res, err := t.sft[i].Step(in...)
			if err != nil {
				return nil, fmt.Errorf("warm start %s: %w", a.Name, err)
			}
			losses[step] += res.Loss / float64(len(t.Agents))
		}
	}
	t.warmStarted = true
	// The KL penalty keeps the policy near where reinforcement learning starts: the warmed-up
	// actors, as RLHF penalizes the KL to the supervised model.
	for i, ref := range t.refs {
		if err := ref.CopyWeightsFrom(t.Agents[i].Model); err != nil {
			return nil, fmt.Errorf("warm start: KL reference of %s: %w", t.Agents[i].Name, err)
		}
	}
	return losses, nil
}
