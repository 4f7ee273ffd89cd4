package maac

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

func TestConfigBounds(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		mutate func(c *CCConfig)
		want   string // "" = valid
	}{
		{"actor_lr 1e300", func(c *CCConfig) { c.ActorLR = 1e300 }, "actor_lr=1e+300: want a learning rate in (0, 1)"},
		{"actor_lr Inf", func(c *CCConfig) { c.ActorLR = inf }, "actor_lr=+Inf"},
		{"actor_lr 1", func(c *CCConfig) { c.ActorLR = 1 }, "actor_lr=1:"},
		{"actor_lr 0.5", func(c *CCConfig) { c.ActorLR = 0.5 }, ""},
		{"critic_lr 1", func(c *CCConfig) { c.CriticLR = 1 }, "critic_lr=1: want a learning rate in (0, 1)"},
		{"weight decay x lr", func(c *CCConfig) { c.WeightDecay = 1e30; c.ActorLR = 0.99 }, "weight_decay=1e+30 with actor_lr=0.99"},
		{"weight decay x critic lr", func(c *CCConfig) { c.WeightDecay = 100; c.ActorLR = 1e-3; c.CriticLR = 0.01 }, "weight_decay=100 with critic_lr=0.01"},
		{"weight decay Inf", func(c *CCConfig) { c.WeightDecay = inf }, "weight_decay=+Inf"},
		{"num_generations 1e8", func(c *CCConfig) { c.NumGenerations = 100_000_000 }, "tasks_per_update=4 and num_generations=100000000"},
		{"tasks_per_update huge", func(c *CCConfig) { c.TasksPerUpdate = 1 << 62; c.NumGenerations = 4 }, "more than 4096 responses per agent in one turn"},
		{"at the bound", func(c *CCConfig) { c.TasksPerUpdate, c.NumGenerations = 4, 1024 }, ""},
		{"just past it", func(c *CCConfig) { c.TasksPerUpdate, c.NumGenerations = 4, 1025 }, "lower num_generations or tasks_per_update"},
		{"temperature NaN", func(c *CCConfig) { c.Temperature = nan }, "temperature=NaN"},
		{"temperature Inf", func(c *CCConfig) { c.Temperature = inf }, "temperature=+Inf"},
		{"top_p NaN", func(c *CCConfig) { c.TopP = nan }, "top_p=NaN"},
		{"kl_beta NaN", func(c *CCConfig) { c.KLBeta = nan }, "kl_beta=NaN"},
		{"entropy_coef Inf", func(c *CCConfig) { c.EntropyCoef = inf }, "entropy_coef=+Inf"},
		{"ppo_clip NaN", func(c *CCConfig) { c.PPOClip = nan }, "ppo_clip=NaN"},
		{"value_loss_coef Inf", func(c *CCConfig) { c.ValueLossCoef = inf }, "value_loss_coef=+Inf"},
		{"lambda NaN", func(c *CCConfig) { c.Lambda = nan }, "lambda=NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c CCConfig
			tt.mutate(&c)
			c.setDefaults(mustAlgorithm(t, "cc"), false)
			err := c.Validate(2)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	dc := DCConfig{ValueClip: math.NaN()}
	dc.setDefaults(mustAlgorithm(t, "dc"), false)
	if err := dc.Validate(2); err == nil || !strings.Contains(err.Error(), "value_clip=NaN") {
		t.Errorf("value_clip NaN: err = %v", err)
	}
}

// A tree multiplies its nodes by the joint actions per node at every turn: the bound needs the
// env's turns, which ResolveConfig knows.
func TestRolloutBoundCountsTurns(t *testing.T) {
	for _, tt := range []struct {
		turns, k  int
		branching Branching
		want      string
	}{
		{2, 4, BranchTree, ""},                 // 4 tasks x 4 nodes x 4 responses = 64
		{6, 4, BranchTree, "branching=chains"}, // 4 x 4^5 x 4 = 16384
		{8, 4, BranchChains, ""},               // chains: 4 x 4 after the root
	} {
		cfg := runConfig("magrpo", map[string]string{"turns": strconv.Itoa(tt.turns)}, 1)
		cfg.MC.NumGenerations, cfg.MC.Branching = tt.k, tt.branching
		if tt.branching == BranchChains {
			cfg.MC.Baseline = BaselineRaw
			cfg.Algorithm = "mareinforce"
		}
		_, err := ResolveConfig(cfg)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "env toy-coord")) {
			t.Errorf("%d turns, K=%d, %s: err = %v, want %q", tt.turns, tt.k, tt.branching, err, tt.want)
		}
	}
}

// setNaN writes NaN into element 0 of the variable at path.
func setNaN(t *testing.T, tr *Trainer, path string) {
	t.Helper()
	v := tr.Store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	value, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	data := tensors.MustCopyFlatData[float32](value)
	data[0] = float32(math.NaN())
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, value.Shape().Dimensions...)); err != nil {
		t.Fatal(err)
	}
}

// Non-finite logits stop the update with a DivergedError naming the agent and the update, before
// any hook (which would checkpoint) runs; sampling with top-p < 1 panicked on them before.
func TestDivergedAgentStopsBeforeHooks(t *testing.T) {
	cfg := runConfig("cc", nil, 1)
	cfg.CC.TopP = 0.9
	tr := mustBuild(t, cfg)
	hooks := 0
	tr.OnUpdate(func(UpdateInfo) error { hooks++; return nil })
	if _, err := tr.Step(); err != nil || hooks != 1 {
		t.Fatalf("first update: %v, %d hooks", err, hooks)
	}
	setNaN(t, tr, "/agent_1/model.norm.weight")
	_, err := tr.Step()
	var d *DivergedError
	if !errors.As(err, &d) || d.Update != 2 || d.Scope != "agent_1" || hooks != 1 || tr.Updates() != 1 {
		t.Fatalf("got %v (%d hooks, %d updates), want a DivergedError of agent_1 at update 2 before any hook", err, hooks, tr.Updates())
	}
	for _, want := range []string{"agent 1 (scope agent_1): non-finite logits (NaN at token id 0", "at update 2", "lower actor_lr (now 0.003), set max_grad_norm (e.g. 1.0) to clip the gradients, or shrink the rewards"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
