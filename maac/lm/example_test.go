package lm_test

import (
	"fmt"

	"github.com/collm/collm/maac/lm"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// backend is shared by the examples; it is created outside them because the go backend prints
// its settings when $GOMLX_BACKEND configures them.
var backend = func() compute.Backend {
	b, err := lm.NewBackend() // $GOMLX_BACKEND, default "go"
	if err != nil {
		panic(err)
	}
	return b
}()

// Two agents and a centralized critic in one Store: sample, then one actor-critic update.
func Example() {
	store := model.NewStore()
	cfg, _ := lm.Preset("tiny")
	var agents []*lm.Model
	for i := range 2 {
		a, err := lm.NewRandom(backend, store, fmt.Sprintf("agent_%d", i), cfg, uint64(i))
		if err != nil {
			panic(err)
		}
		agents = append(agents, a)
	}
	critic, _ := lm.NewRandom(backend, store, "critic", cfg, 100)
	_ = critic.AddValueHead(101)

	// Rollout: sample a batch of responses from agent 0.
	tok := lm.PresetTokenizer()
	prompts := []string{"2+2=", "3+4="}
	samples, err := agents[0].GenerateText(tok, prompts, lm.GenerateConfig{MaxNewTokens: 4, Temperature: 0.6, TopP: 0.6, Seed: 1})
	if err != nil {
		panic(err)
	}
	var promptIDs, responseIDs [][]int
	for i, s := range samples {
		promptIDs, responseIDs = append(promptIDs, tok.Encode(prompts[i])), append(responseIDs, s.Tokens)
	}
	batch, _ := agents[0].PackBatch(promptIDs, responseIDs)
	advantages := []float32{1, -1}

	// Actor loss -(sum of response-token log-probs) * A, averaged over the batch.
	actor := agents[0]
	pg, _ := lm.NewTrainer(backend, store, []string{actor.Scope}, lm.TrainConfig{Name: "agent_0", LearningRate: 1e-3, MaxGradNorm: 1},
		func(g *Graph, in []*Node) (*Node, []*Node) {
			logp, _ := actor.TokenLogProbs(in[0], in[1])
			seqLogp := ReduceSum(Mul(logp, in[2]), 1) // [B]
			return Neg(ReduceAllMean(Mul(seqLogp, in[3]))), nil
		})
	r, err := pg.Step(batch.IDs, batch.Mask, batch.ResponseMask, advantages)
	if err != nil {
		panic(err)
	}
	fmt.Println("actor grad norm > 0:", r.GradNorm > 0)

	// Critic loss: squared error of V(prompt) read at the last prompt token.
	vb, _ := critic.PackBatch(promptIDs, nil)
	vt, _ := lm.NewTrainer(backend, store, []string{critic.Scope}, lm.TrainConfig{Name: "critic", LearningRate: 1e-3},
		func(g *Graph, in []*Node) (*Node, []*Node) {
			v := critic.Values(critic.Hidden(in[0], in[1]), in[2])
			return ReduceAllMean(Square(Sub(v, in[3]))), []*Node{v}
		})
	var losses []float64
	for range 3 {
		r, err := vt.Step(vb.IDs, vb.Mask, vb.PromptEnd, []float32{1, 0})
		if err != nil {
			panic(err)
		}
		losses = append(losses, r.Loss)
	}
	fmt.Println("critic loss decreases:", losses[2] < losses[0])
	// Output:
	// actor grad norm > 0: true
	// critic loss decreases: true
}
