// Package toy holds toy-coord, a small multi-agent coordination game with a known optimum. It is
// the deterministic test bed of the algorithms: tiny agents learn it on a CPU in minutes, and its
// knobs (agents, turns, sparse reward, vocabulary) reach from a one-step bandit to a long-horizon
// game whose only reward arrives at the end.
//
// Each task k and turn t have a set of allowed symbols (a deterministic function of k and t,
// unknown to the agents). Agent i sees "task k turn t" and, after the first turn, its own previous
// action and the turn's score. Its action is the first byte of its response taken modulo vocab,
// shown as a letter 'a'+index: every response is a valid action, so a random byte-level policy
// starts at the chance level (allowed/vocab) and learning moves probability between classes of
// bytes, as it would for a pretrained model choosing among a few answers. The turn's score is
//
//	allowed   = share of agents whose symbol is allowed          (weight 0.5)
//	agreement = 1 if every agent chose the same allowed symbol   (weight 0.5)
//
// so the optimum, 1 per turn, needs the agents to coordinate on one of the allowed symbols. Dense
// reward pays the score every turn (optimal return = turns with gamma 1); sparse reward pays
// nothing until the last turn and then the mean score over the episode (optimal return 1), which
// makes credit assignment over the turns the hard part.
package toy

import (
	"fmt"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
)

func init() {
	envs.Register(envs.Registration{
		Name:    "toy-coord",
		Summary: "coordination game with a known optimum: agents agree on an allowed symbol each turn (test bed of the algorithms)",
		Options: []envs.Option{
			{Name: "agents", Default: "2", Help: "number of agents, 1..10"},
			{Name: "turns", Default: "1", Help: "turns per episode (horizon), 1..8"},
			{Name: "sparse", Default: "false", Help: "true: reward only at the last turn (mean score of the episode); false: score every turn"},
			{Name: "vocab", Default: "4", Help: "number of symbols a..z the agents choose from, 2..26"},
			{Name: "allowed", Default: "2", Help: "allowed symbols per task and turn, 1..vocab"},
			{Name: "tasks", Default: "8", Help: "number of tasks, 1..1000"},
		},
		New: func(o *envs.Options) (envs.Env, error) {
			return New(Config{
				Agents:  o.IntRange("agents", 1, 10),
				Turns:   o.IntRange("turns", 1, 8),
				Sparse:  o.Bool("sparse"),
				Vocab:   o.IntRange("vocab", 2, 26),
				Allowed: o.IntRange("allowed", 1, 26),
				Tasks:   o.IntRange("tasks", 1, 1000),
			})
		},
	})
}

// Config of a toy-coord env; see the registry options for meanings and defaults.
type Config struct {
	Agents, Turns, Vocab, Allowed, Tasks int
	Sparse                               bool
}

// Env is the toy-coord env.
type Env struct {
	cfg    Config
	scheme *reward.Composite
}

// New returns a toy-coord env.
func New(cfg Config) (*Env, error) {
	if cfg.Allowed > cfg.Vocab || cfg.Allowed < 1 {
		return nil, fmt.Errorf("allowed=%d must be in [1, vocab=%d]", cfg.Allowed, cfg.Vocab)
	}
	if cfg.Agents < 1 || cfg.Turns < 1 || cfg.Tasks < 1 || cfg.Vocab < 2 || cfg.Vocab > 26 {
		return nil, fmt.Errorf("bad toy-coord config %+v: agents, turns, tasks >= 1 and vocab in [2, 26]", cfg)
	}
	e := &Env{cfg: cfg}
	e.scheme = reward.New(
		reward.Term("allowed", func(in reward.Input) float64 {
			hits := 0
			for _, a := range e.actions(in.Responses) {
				if e.isAllowed(in.Task, in.Turn, a) {
					hits++
				}
			}
			return float64(hits) / float64(len(in.Responses))
		}).Times(0.5),
		reward.Term("agreement", func(in reward.Input) float64 {
			acts := e.actions(in.Responses)
			for _, a := range acts {
				if a != acts[0] || !e.isAllowed(in.Task, in.Turn, a) {
					return 0
				}
			}
			return 1
		}).Times(0.5),
	).Done()
	return e, nil
}

// Spec implements envs.Env.
func (e *Env) Spec() envs.Spec {
	return envs.Spec{Name: "toy-coord", NumAgents: e.cfg.Agents, MaxTurns: e.cfg.Turns}
}

// NumTasks implements envs.Env.
func (e *Env) NumTasks() int { return e.cfg.Tasks }

// TerminationThreshold implements envs.Terminator: toy-coord never ends early. Each turn is a
// new coordination game (its own allowed symbols) paying a score up to 1 with the dense
// reward, so ending after a solved turn would forfeit the later turns' rewards; the sparse
// reward pays 0 before the last turn, which any threshold it could use would exceed.
func (e *Env) TerminationThreshold() (float64, bool) { return 0, false }

// Reset implements envs.Env. The game has no randomness: the seed is unused.
func (e *Env) Reset(task int, _ int64) (envs.State, error) {
	if task < 0 || task >= e.cfg.Tasks {
		return nil, fmt.Errorf("toy-coord: task %d out of range [0, %d)", task, e.cfg.Tasks)
	}
	return &state{env: e, task: task, prev: make([]byte, e.cfg.Agents)}, nil
}

// AllowedSymbols returns the allowed symbols of a task and turn (for tests and evaluation).
func (e *Env) AllowedSymbols(task, turn int) []byte {
	out := make([]byte, 0, e.cfg.Allowed)
	for s := 0; s < e.cfg.Vocab; s++ {
		if e.isAllowed(task, turn, byte('a'+s)) {
			out = append(out, byte('a'+s))
		}
	}
	return out
}

// isAllowed: a window of Allowed consecutive symbols (cyclic) starting at a hash of (task, turn).
func (e *Env) isAllowed(task, turn int, a byte) bool {
	if a < 'a' || int(a-'a') >= e.cfg.Vocab {
		return false
	}
	start := (task*5 + turn*3 + (task*turn)%7) % e.cfg.Vocab
	offset := (int(a-'a') - start + e.cfg.Vocab) % e.cfg.Vocab
	return offset < e.cfg.Allowed
}

// actions reads each agent's symbol: 'a' + (first byte mod vocab); 0 for an empty response.
func (e *Env) actions(responses []string) []byte {
	acts := make([]byte, len(responses))
	for i, r := range responses {
		if r != "" {
			acts[i] = byte('a' + int(r[0])%e.cfg.Vocab)
		}
	}
	return acts
}

type state struct {
	env      *Env
	task     int
	turn     int
	prev     []byte  // each agent's previous action (0 at the first turn)
	score    float64 // the previous turn's score
	scoreSum float64 // sum of the scores so far (the sparse reward)
}

func (s *state) Turn() int { return s.turn }

func (s *state) Prompts() []string {
	prompts := make([]string, s.env.cfg.Agents)
	for i := range prompts {
		p := fmt.Sprintf("task %d turn %d", s.task, s.turn)
		if s.turn > 0 {
			prev := "-"
			if s.prev[i] != 0 {
				prev = string(s.prev[i])
			}
			p += fmt.Sprintf(" last %s %.2f", prev, s.score)
		}
		prompts[i] = p + ":"
	}
	return prompts
}

func (s *state) Step(responses []string) (envs.Transition, error) {
	if err := envs.CheckResponses(s.env.Spec(), responses); err != nil {
		return envs.Transition{}, err
	}
	last := s.turn == s.env.cfg.Turns-1
	res := s.env.scheme.Score(reward.Input{Responses: responses, Task: s.task, Turn: s.turn, Last: last})
	tr := envs.Transition{Parts: res.Parts, Reward: res.Total, Stopped: res.Stopped, Done: last}
	sum := s.scoreSum + res.Total
	if s.env.cfg.Sparse {
		tr.Reward = 0
		if last {
			tr.Reward = sum / float64(s.env.cfg.Turns)
		}
	}
	tr.Info = map[string]float64{"score": res.Total}
	if !last {
		tr.Next = &state{env: s.env, task: s.task, turn: s.turn + 1, prev: s.env.actions(responses),
			score: res.Total, scoreSum: sum}
	}
	return tr, nil
}

// RewardParts implements envs.PartNamer: the reward's components in evaluation order.
func (e *Env) RewardParts() []string { return e.scheme.Names() }
