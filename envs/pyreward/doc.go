// Package pyreward serves a reward function written in Python to the Go trainer: the form
// "FILE.py:FUNC" of the --reward flag.
//
// Open starts one persistent Python process per Scheme. It imports FILE (with FILE's directory
// first on sys.path, as `python FILE.py` has it, so that the file can import its neighbours;
// the working directory is the trainer's; the module is not __main__, so an
// `if __name__ == "__main__":` block does not run) and checks that FUNC is a callable that
// takes one argument. Module-level state (a loaded model, a cache, a counter) lives as long as
// the Scheme. Every ScoreBatch is one call of FUNC with one argument, the list of the batch's
// joint turns, each a dict:
//
//	{"task": "sum-7",        # reward.Input.TaskID, else the task index as decimal text
//	 "turn": 0,              # 0-based turn of the episode
//	 "last": True,           # the episode's final turn
//	 "prompts": [str, ...],  # one per agent ([] when the env gives none)
//	 "responses": [str, ...],  # one per agent
//	 "env_reward": 0.5,      # the env's own reward of this turn (reward.Input.EnvReward)
//	 "env_parts": {...}}     # and its named parts (reward.Input.EnvParts)
//
// The env's own reward lets a function shape it rather than replace it:
// return [{"env": t["env_reward"], "bonus": ...} for t in turns]. Input.Data is not passed.
//
// FUNC returns a list (or tuple, or anything with a tolist() method
// giving a list, such as a NumPy array) with one item per turn, in order. An item is either
//   - a number: int, float, or anything numbers.Real-like or with __float__ (NumPy scalars), but
//     not a bool nor a str. It becomes Result{Total: v, Parts: {FUNC: v}}, logged under FUNC;
//   - a dict of named numbers, {"format": 1.0, "length": 0.5}: str keys, non-empty. It becomes
//     Result{Total: sum of the values, Parts: the dict}; an empty dict is a total of 0.
//
// NaN and ±Inf are refused. Example:
//
//	def score(turns):
//	    return [{"short": float(len(t["responses"][0]) < 200), "ends": float(t["last"])}
//	            for t in turns]
//
// Errors are *Error (use errors.As); their messages start with "reward FILE.py:FUNC", or
// "bad reward spec" for a spec ParseSpec refuses:
//   - at Open: no file, no interpreter, an exception or syntax error while importing (with the
//     traceback's last frames), no such function (the module's callables are listed), not
//     callable, a function that cannot take one argument, or no "ready" within the timeout;
//   - an exception raised by FUNC: its type, message and the traceback's last frames (at most
//     8, the runner's own left out); the process serves on;
//   - a value that is not one item per turn as above: the item's index, Python repr and type
//     name; the process serves on (the runner checks the values, and Go checks them again);
//   - no answer within Options.Timeout (60s by default): the process group is killed;
//   - the process's death (sys.exit, os._exit, a crash, a kill): its exit status and the last
//     lines it wrote to stderr.
//
// After a timeout or the process's death every later call fails saying the process is gone:
// nothing is restarted, as a reward that failed once cannot be trusted to score the rest of a
// run consistently. Open the spec again for a new process.
//
// The process runs the runner embedded from runner.py as `python -u -c SOURCE FILE FUNC`.
// Requests and answers are JSON lines on stdin and on a private duplicate of the original
// stdout; the function's own output (print, sys.stdout, fd 1 and stderr) goes to stderr, which
// is copied to Options.Stderr, and stdin reads /dev/null, so prints cannot break the protocol.
// The interpreter is Options.Python, else $COLLM_REWARD_PYTHON, else python3 on PATH; the
// process has its own process group (a kill stops what it started too) and, on Linux, dies
// with the Go process. A Scheme serializes its calls and is safe for concurrent use.
//
// The file is the user's own trusted code: it runs with the trainer's permissions, environment
// and working directory, and is NOT sandboxed, unlike the candidate programs of
// the coding env (package sandbox), which are model-written and untrusted.
package pyreward
