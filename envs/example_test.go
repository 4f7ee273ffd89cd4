package envs_test

import (
	"fmt"
	"strings"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
	_ "github.com/collm/collm/envs/writing"
)

// Play one episode of a registered env: reset a task, answer every turn, read the rewards.
func Example() {
	env, err := envs.New("writing-mini", map[string]string{"turns": "2", "tasks": "4"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v, %d tasks\n", env.Spec(), env.NumTasks())
	st, _ := env.Reset(1, 0)
	// The first answer uses words that are not in the post; the second one fixes that.
	answers := [][]string{{"dog", "so dog cake"}, {"king frog", "so king road milk"}}
	for {
		fmt.Printf("turn %d prompt of agent 1: %q\n", st.Turn(), st.Prompts()[0])
		tr, err := st.Step(answers[st.Turn()])
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("reward %.2f done %v\n", tr.Reward, tr.Done)
		if tr.Done {
			break
		}
		st = tr.Next
	}
	// Output:
	// {Name:writing-mini NumAgents:2 MaxTurns:2}, 4 tasks
	// turn 0 prompt of agent 1: "post: king frog road milk red\nshort:"
	// reward 0.13 done false
	// turn 1 prompt of agent 1: "post: king frog road milk red\nlast: dog\nscore: 0.13\nshort:"
	// reward 2.76 done true
}

// Derive a registered env with a reward of your own: writing-mini, minus 0.5 for each agent
// whose answer has more than three words. The base's reward stays in Info["env_reward"].
func ExampleDerive() {
	wordy := reward.New(reward.Term("wordy", func(in reward.Input) float64 {
		n := 0
		for _, r := range in.Responses {
			if len(strings.Fields(r)) > 3 {
				n++
			}
		}
		return -0.5 * float64(n)
	})).Done()
	envs.MustDerive("writing-mini", "writing-mini-terse", envs.AddReward(wordy))

	env, _ := envs.New("writing-mini-terse", nil)
	st, _ := env.Reset(0, 0)
	tr, _ := st.Step([]string{"dog on road", "the dog and sun so hill"})
	fmt.Printf("reward %.2f = env_reward %.2f + wordy %.2f\n", tr.Reward, tr.Info["env_reward"], tr.Parts["wordy"])
	// Output:
	// reward 2.26 = env_reward 2.76 + wordy -0.50
}
