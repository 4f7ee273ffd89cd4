package writing_test

import (
	"fmt"

	"github.com/collm/collm/envs"
	_ "github.com/collm/collm/envs/writing"
)

// Score one joint answer of writing-mini: the levels and the parts of the reward.
func Example() {
	env, err := envs.New("writing-mini", map[string]string{"tasks": "8"})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := env.Reset(0, 0)
	fmt.Printf("%q\n", st.Prompts())
	// Agent 1 is concise; agent 2 is about twice as long, uses twice the distinct words, reuses
	// "hill" and adds the transition word "so".
	tr, _ := st.Step([]string{"hill dog", "so hill road sun"})
	fmt.Printf("reward %.2f levels %v\n", tr.Reward, tr.Info["levels_passed"])
	for _, part := range []string{"tokens", "length_ratio", "unique_ratio", "transition", "jaccard"} {
		fmt.Printf("%s %.2f\n", part, tr.Parts[part])
	}
	// Output:
	// ["post: hill dog road sun\nshort:" "post: hill dog road sun\nlong:"]
	// reward 2.76 levels 3
	// tokens 0.50
	// length_ratio 1.00
	// unique_ratio 0.50
	// transition 0.40
	// jaccard 1.00
}
