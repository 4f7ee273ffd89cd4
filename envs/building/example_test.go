package building_test

import (
	"fmt"

	"github.com/collm/collm/envs"
	_ "github.com/collm/collm/envs/building"
)

// Two agents build the 3x3 letter L of strbuild-mini in one turn: each takes alternate cells
// and alternates its two blocks, so no two touching blocks match and both palettes are used.
func Example() {
	env, err := envs.New("strbuild-mini", map[string]string{"turns": "1"})
	if err != nil {
		panic(err)
	}
	task, _ := env.(envs.TaskNamer).TaskIndex("L")
	s, _ := env.Reset(task, 1)
	fmt.Println(s.Prompts()[0])
	tr, _ := s.Step([]string{"000o 020s 200o", "010w 100b"})
	fmt.Printf("reward %.2f coverage %.2f adjacency %.2f unused %.0f iou %.2f done %v\n",
		tr.Reward, tr.Parts["coverage"], tr.Parts["adjacency_ratio"], tr.Parts["unused_palettes"], tr.Info["iou"], tr.Done)
	// Output:
	// L os t1/1
	// reward 0.00 coverage 1.00 adjacency 0.00 unused 0 iou 1.00 done true
}
