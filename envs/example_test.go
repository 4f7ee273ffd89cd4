package envs_test

import (
	"fmt"

	"github.com/collm/collm/envs"
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
