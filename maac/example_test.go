package maac_test

import (
	"context"
	"fmt"

	_ "github.com/collm/collm/envs/toy" // registers toy-coord
	"github.com/collm/collm/maac"
)

// A run in a few lines: CoLLM-CC on toy-coord with two tiny agents, trained for two updates. With
// 2 turns, K=4 and 4 tasks per update, the chains make 32 joint actions per update; the
// reference's cadence (a buffer of 8 responses per agent) gives each actor 8 optimizer steps per
// update, and the centralized critic a step after each of them.
func Example() {
	trainer, err := maac.NewRun().
		Env("toy-coord", map[string]string{"turns": "2"}).
		Algorithm("cc").
		CC(maac.CCConfig{
			Common:      maac.Common{MaxNewTokens: 1, Temperature: 1, TopP: 1, ActorLR: 3e-3},
			ActorCritic: maac.ActorCritic{CriticLR: 3e-3},
		}).
		Seed(1).Done()
	if err != nil {
		fmt.Println(err)
		return
	}
	trainer.OnUpdate(func(u maac.UpdateInfo) error {
		fmt.Printf("update %d: env_step %d, agent 0 steps %.0f, critic steps %.0f\n",
			u.Update, u.EnvStep, u.Metrics["optim/agent/0/steps"], u.Metrics[maac.MetricCriticSteps])
		return nil
	})
	if err := trainer.Train(context.Background(), 2); err != nil {
		fmt.Println(err)
	}
	// Output:
	// update 1: env_step 32, agent 0 steps 8, critic steps 16
	// update 2: env_step 64, agent 0 steps 16, critic steps 32
}

// The algorithm table: every algorithm, its critic topology and its config section.
func ExampleAlgorithms() {
	for _, a := range maac.Algorithms() {
		fmt.Printf("%-12s %-21s %s\n", a.Name, a.Critic, a.Section)
	}
	// Output:
	// cc           centralized           cc
	// dc           decentralized         dc
	// dc-shared    decentralized-shared  dc
	// magrpo       none                  mc
	// marloo       none                  mc
	// maremax      none                  mc
	// mareinforce  none                  mc
	// grpo         none                  mc
	// ac           centralized           cc
}

// ResolveConfig fills every default as a run would use it: here MAGRPO's buffer of 2 nodes,
// torch's AdamW weight decay, and no early termination, since toy-coord declares none.
func ExampleResolveConfig() {
	cfg := maac.RunConfig{Env: "toy-coord", Algorithm: "magrpo"}
	if err := cfg.SetCommon(func(c *maac.Common) { c.Seed = 7 }); err != nil {
		fmt.Println(err)
		return
	}
	resolved, err := maac.ResolveConfig(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := resolved.Common()
	fmt.Println(c.Seed, c.Minibatch, c.RolloutBufferSize, c.WeightDecay, resolved.MC.Baseline, c.NoEarlyTermination)
	// Output:
	// 7 reference 2 0.01 mean true
}
