package building

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
)

// game is what differs between StrBuild and HouseBuild; engine runs the episodes of both.
type game interface {
	numTasks() int
	taskID(task int) string
	// start returns the empty world and each agent's starting inventory (nil: unlimited).
	start(task int) (*Grid, []map[string]int)
	rules(task int) *Rules
	// measure scores the world after a turn. data goes to the reward scheme as Input.Data;
	// score is the unshifted reward of the game's formula (shown by score feedback). format is
	// the agents' mean FormatQuality (0 when shaping is off), for the scheme's format_shaping.
	measure(task int, seed int64, turn int, world *Grid, tr *TurnResult, format float64) (data any, score float64, info map[string]float64)
	prompt(s *state, agent int) string
	// code is the character a block is drawn with.
	code(block string) byte
}

// engine is the Env shared by the building games.
type engine struct {
	spec    envs.Spec
	game    game
	scheme  *reward.Composite
	dialect Dialect
	carry   bool // the world and inventories persist across turns
	shaping bool // the scheme has format_shaping (compact dialect only)
	evalIDs []int
}

func (e *engine) Spec() envs.Spec { return e.spec }
func (e *engine) NumTasks() int   { return e.game.numTasks() }

// TaskID returns the dataset's id of a task index ("" when out of range).
func (e *engine) TaskID(task int) string {
	if task < 0 || task >= e.game.numTasks() {
		return ""
	}
	return e.game.taskID(task)
}

// TaskIndex returns the index of a task id.
func (e *engine) TaskIndex(id string) (int, error) {
	for i := range e.game.numTasks() {
		if e.game.taskID(i) == id {
			return i, nil
		}
	}
	return 0, fmt.Errorf("env %s: no task %q", e.spec.Name, id)
}

// EvalTasks returns the held-out task indices.
func (e *engine) EvalTasks() []int { return append([]int(nil), e.evalIDs...) }

// TrainTasks returns the task indices not held out.
func (e *engine) TrainTasks() []int {
	var out []int
	for i := range e.game.numTasks() {
		if !containsInt(e.evalIDs, i) {
			out = append(out, i)
		}
	}
	return out
}

// Reset starts an episode on task.
func (e *engine) Reset(task int, seed int64) (envs.State, error) {
	if task < 0 || task >= e.game.numTasks() {
		return nil, fmt.Errorf("env %s: task %d out of range [0, %d)", e.spec.Name, task, e.game.numTasks())
	}
	world, inv := e.game.start(task)
	s := &state{env: e, task: task, seed: seed, world: world, inv: inv}
	s.makePrompts()
	return s, nil
}

// resolveEval turns eval ids into indices.
func (e *engine) resolveEval(ids []string) error {
	e.evalIDs = nil
	for _, id := range ids {
		i, err := e.TaskIndex(id)
		if err != nil {
			return fmt.Errorf("eval split: %w (set the eval option to task ids of the data, or to empty)", err)
		}
		if !containsInt(e.evalIDs, i) {
			e.evalIDs = append(e.evalIDs, i)
		}
	}
	sort.Ints(e.evalIDs)
	return nil
}

// state is one turn of an episode. It is never changed after construction.
type state struct {
	env       *engine
	task      int
	seed      int64
	turn      int
	world     *Grid            // the world the agents see at the start of this turn
	inv       []map[string]int // remaining blocks per agent (nil: unlimited)
	prev      []string         // the previous turn's responses; nil at turn 0
	prevScore float64          // the previous turn's unshifted reward
	prompts   []string
}

func (s *state) Turn() int { return s.turn }

// Prompts returns a copy of the per-agent prompts.
func (s *state) Prompts() []string { return append([]string(nil), s.prompts...) }

func (s *state) makePrompts() {
	s.prompts = make([]string, s.env.spec.NumAgents)
	for i := range s.prompts {
		s.prompts[i] = s.env.game.prompt(s, i)
	}
}

// Step plays one joint response.
func (s *state) Step(responses []string) (envs.Transition, error) {
	e := s.env
	if err := envs.CheckResponses(e.spec, responses); err != nil {
		return envs.Transition{}, err
	}
	var world *Grid
	var inv []map[string]int
	if e.carry {
		world = s.world.Clone()
		inv = cloneInventories(s.inv)
	} else {
		world, inv = e.game.start(s.task)
	}
	tr, err := e.game.rules(s.task).Play(world, inv, responses, e.dialect)
	if err != nil {
		return envs.Transition{}, fmt.Errorf("env %s: %w", e.spec.Name, err)
	}
	format := 0.0
	if e.shaping {
		for agent := range responses {
			format += FormatQuality(tr, agent, e.dialect, e.game.rules(s.task)) / float64(len(responses))
		}
	}
	data, score, info := e.game.measure(s.task, s.seed, s.turn, world, tr, format)
	last := s.turn+1 >= e.spec.MaxTurns
	res := e.scheme.Score(reward.Input{Responses: responses, Prompts: s.prompts, Task: s.task, Turn: s.turn, Last: last, Data: data})
	info["score"] = score
	info["accepted_commands"] = float64(tr.AcceptedCount())
	t := envs.Transition{Reward: res.Total, Parts: res.Parts, Stopped: res.Stopped, Info: info, Done: last}
	if !last {
		next := &state{env: e, task: s.task, seed: s.seed, turn: s.turn + 1, world: world, inv: inv,
			prev: append([]string(nil), responses...), prevScore: score}
		next.makePrompts()
		t.Next = next
	}
	return t, nil
}

func cloneInventories(inv []map[string]int) []map[string]int {
	if inv == nil {
		return nil
	}
	out := make([]map[string]int, len(inv))
	for i, m := range inv {
		out[i] = maps.Clone(m)
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// maxEcho bounds the previous response echoed in a compact prompt, so mini prompts stay short
// whatever a model wrote.
const maxEcho = 64

// echo writes a response's whitespace-separated fields each after one space (" 000o 020s"), so
// that every command reads as the vocabulary piece an agent emits for it, keeping whole fields
// up to maxEcho bytes (one longer first field is cut to maxEcho).
func echo(s string) string {
	var sb strings.Builder
	for _, f := range strings.Fields(s) {
		if sb.Len()+1+len(f) > maxEcho {
			if sb.Len() == 0 {
				sb.WriteString(" " + f[:maxEcho-1])
			}
			break
		}
		sb.WriteString(" " + f)
	}
	return sb.String()
}

// RewardParts implements envs.PartNamer: the reward's components in evaluation order.
func (e *engine) RewardParts() []string { return e.scheme.Names() }
