package envs

import "fmt"

// Env is a task family: a set of tasks, each the start of a multi-turn episode for NumAgents agents.
//
// An Env is immutable after construction and safe for concurrent use; all episode state lives in
// State values. Implementations must be deterministic: the same (task, seed) and the same
// responses give the same prompts, rewards and feedback.
type Env interface {
	// Spec describes the environment: name, number of agents, number of turns.
	Spec() Spec
	// NumTasks is the number of tasks (prompts, problems, blueprints) the env holds; >= 1.
	NumTasks() int
	// Reset starts an episode on task index task in [0, NumTasks()). The seed drives any
	// randomness inside the episode (e.g. attacks in the building game).
	Reset(task int, seed int64) (State, error)
}

// Spec is the static description of an Env.
type Spec struct {
	Name      string // registry name, e.g. "tldr"
	NumAgents int    // agents that act each turn; every prompt/response slice has this length
	MaxTurns  int    // an episode ends after at most this many turns (H in the paper)
}

// State is a node of an episode: the per-agent prompts of one turn. States are immutable:
// Step returns a new Transition and never changes its receiver, so a rollout may step the same
// state with several joint responses (tree rollouts, K samples per node).
type State interface {
	// Turn is the 0-based turn index of this state.
	Turn() int
	// Prompts returns one prompt (the agent's observation o_{i,t}) per agent.
	Prompts() []string
	// Step scores the joint response (one string per agent) and returns the shared reward and
	// the next state. A response the env cannot parse is a penalty with a reason in
	// Transition.Parts, never an error; errors are for programming mistakes such as the wrong
	// number of responses.
	Step(responses []string) (Transition, error)
}

// Transition is the outcome of one joint action.
type Transition struct {
	// Reward is the shared reward r_t of the joint response.
	Reward float64
	// Parts are the named components of Reward (e.g. "length_ratio", "tests_passed"), each logged
	// as reward/<name>/mean. They need not sum to Reward (gates, shifts).
	Parts map[string]float64
	// Stopped names the reward component that ended the scoring (a failed level gate, see
	// reward.Result.Stopped); "" when every component ran or the reward has no levels.
	Stopped string
	// Info holds extra episode metrics that are not part of the reward (e.g. "iou").
	Info map[string]float64
	// Done is true when the episode ended with this step; Next is nil then.
	Done bool
	// Next is the state of the next turn, whose prompts carry the external feedback.
	Next State
}

// Optional capabilities. An Env or State implements them when it can.

// TaskNamer maps task indices to the dataset's own ids (e.g. "HumanEval/0", "ICML").
type TaskNamer interface {
	TaskID(task int) string
	// TaskIndex returns the index of a task id, or an error naming the id.
	TaskIndex(id string) (int, error)
}

// EvalSplitter is an Env with a held-out evaluation split (e.g. StrBuild evaluates on ICML and
// CLIM). TrainTasks and EvalTasks return task indices.
type EvalSplitter interface {
	TrainTasks() []int
	EvalTasks() []int
}

// Demonstrator is an Env that knows good first-turn responses for a task. Demonstrations
// returns, for each agent, the responses it may be shown (at least one each); trainers draw one
// per agent, independently of the other agents' draws. One response per agent is one joint
// answer, such as a canonical solution; several stand for authors who each know several correct
// ways to write their own part but share no convention. Trainers use them for a supervised warm
// start of agents that cannot yet produce well-formed answers.
type Demonstrator interface {
	Demonstrations(task int) ([][]string, error)
}

// Vocab is an Env whose prompts and responses are written in a small fixed set of pieces
// (words, symbols, digits, the fixed phrases of its prompts), such as the mini variants. Agents
// trained from scratch use the pieces as their tokenizer's vocabulary (see
// tokenizer.WordLevel), so each sampled token is a meaningful unit and the action space is small.
// Text outside the pieces is still valid: it becomes an unknown token.
type Vocab interface {
	Vocab() []string
}

// Stopper is an Env whose responses end at stop sequences, as code benchmarks end completions
// at "\ndef" or "\n": the env ignores everything from the first occurrence of any of them on.
// Trainers stop sampling a response as soon as its text contains one, so the tokens after it,
// which cannot change the reward, are neither generated nor trained on.
type Stopper interface {
	StopSequences() []string
}

// Terminator is an Env that declares its early termination (the reference library's
// early_termination_threshold): trainers end an episode after a turn whose reward exceeds the
// threshold, strictly, since later turns cannot improve a solved task. Actor-critic rollouts
// decide per episode; Monte Carlo trees stop expanding a node whose joint actions' mean reward
// exceeds it. The threshold is on the scale of Transition.Reward, after the env's own reward
// shift, and follows the env's options (a shift option moves it). ok is false where ending early
// does not fit the env's reward: every turn pays a new positive reward (ending early would
// forfeit it), turns before the last pay a constant that would always exceed the threshold
// (sparse rewards), or the env never has more than one turn. (An env configured with one turn
// may still return ok; ending after the last turn changes nothing.) An Env without the
// capability never ends early.
type Terminator interface {
	TerminationThreshold() (threshold float64, ok bool)
}

// CheckResponses returns an error unless there is exactly one response per agent.
// Env implementations call it first in Step.
func CheckResponses(spec Spec, responses []string) error {
	if len(responses) != spec.NumAgents {
		return fmt.Errorf("env %s: got %d responses, want one per agent (%d)", spec.Name, len(responses), spec.NumAgents)
	}
	return nil
}
