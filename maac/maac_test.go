package maac

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
	_ "github.com/collm/collm/envs/toy"
	"github.com/collm/collm/maac/lm"
)

// fast is a config for tiny agents on toy-coord: one-token actions, full-temperature sampling
// (a model from scratch must explore) and a learning rate that moves a tiny model.
func fast(seed uint64) Common {
	return Common{NumGenerations: 4, TasksPerUpdate: 4, MaxNewTokens: 1, Temperature: 1, TopP: 1,
		ActorLR: 3e-3, Seed: seed}
}

func runConfig(algo string, envOpts map[string]string, seed uint64) RunConfig {
	cfg := RunConfig{Env: "toy-coord", EnvOptions: envOpts, Algorithm: algo}
	ac := ActorCritic{CriticLR: 3e-3}
	switch algo {
	case "cc", "ac":
		cfg.CC = &CCConfig{Common: fast(seed), ActorCritic: ac}
	case "dc", "dc-shared":
		cfg.DC = &DCConfig{Common: fast(seed), ActorCritic: ac}
	default:
		cfg.MC = &MCConfig{Common: fast(seed)}
	}
	return cfg
}

func mustAlgorithm(t *testing.T, name string) Algorithm {
	t.Helper()
	a, err := LookupAlgorithm(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustBuild(t *testing.T, cfg RunConfig) *Trainer {
	t.Helper()
	tr, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *MCConfig)
		want   string
	}{
		{"joint mode", func(c *MCConfig) { c.JointMode = "zip" }, "joint_mode"},
		{"gamma", func(c *MCConfig) { c.Gamma = 1.5 }, "gamma=1.5"},
		{"top_p", func(c *MCConfig) { c.TopP = 2 }, "top_p"},
		{"epochs without clip", func(c *MCConfig) { c.Epochs = 3 }, "needs ppo_clip"},
		{"micro-batches", func(c *MCConfig) { c.GradVarMicroBatches = 1 }, "grad_var_micro_batches"},
		{"rloo with one sample", func(c *MCConfig) { c.NumGenerations = 1; c.Baseline = BaselineRLOO }, "needs num_generations >= 2"},
		{"chains with a baseline", func(c *MCConfig) { c.Branching = "chains" }, "use branching=tree"},
		{"cross explosion", func(c *MCConfig) { c.JointMode = "cross"; c.NumGenerations = 100 }, "lower num_generations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := MCConfig{}
			tt.mutate(&c)
			c.setDefaults(mustAlgorithm(t, "magrpo"), false)
			err := c.Validate(2)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	var zero MCConfig
	zero.setDefaults(mustAlgorithm(t, "magrpo"), true)
	if err := zero.Validate(2); err != nil || zero.Gamma != 0.9 || zero.NumGenerations != 4 {
		t.Errorf("zero config + defaults: %v, %+v", err, zero)
	}
	cc := CCConfig{ActorCritic: ActorCritic{Targets: "gae"}}
	cc.setDefaults(mustAlgorithm(t, "cc"), true)
	if err := cc.Validate(2); err != nil {
		t.Errorf("gae on chains: %v", err)
	}
	cc.Branching = "tree"
	if err := cc.Validate(2); err == nil || !strings.Contains(err.Error(), "branching=chains") {
		t.Errorf("gae on a tree: err = %v", err)
	}
}

func TestTopologyAndAgents(t *testing.T) {
	tests := []struct {
		algo     string
		topology Topology
		env      map[string]string
		want     string
	}{
		{"cc", CriticNone, nil, "needs a critic"},
		{"magrpo", CriticCentralized, nil, "uses no critic"},
		{"cc", CriticDecentralized, nil, "use algorithm dc"},
		{"cc", "sideways", nil, "want centralized"},
		{"grpo", "", nil, "single-agent baseline"},
		{"pgpo", "", nil, "unknown algorithm"},
	}
	for _, tt := range tests {
		cfg := runConfig(tt.algo, tt.env, 1)
		cfg.Topology = tt.topology
		_, err := Build(cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s with %q: err = %v, want %q", tt.algo, tt.topology, err, tt.want)
		}
		if tt.topology != "" && tt.topology != "sideways" && !errors.Is(err, errInvalidTopology) {
			t.Errorf("%s with %q: error does not wrap errInvalidTopology", tt.algo, tt.topology)
		}
	}
	tr, err := NewRun().Env("toy-coord", nil).Algorithm("dc").Critic(CriticDecentralizedShared).
		DC(DCConfig{Common: fast(1)}).Agents(AgentSpec{Model: "tiny"}, AgentSpec{Model: "tiny"}).Done()
	if err != nil {
		t.Fatal(err)
	}
	if tr.Algorithm() != "dc-shared" || !tr.Agents[0].Model.HasValueHead() || tr.Config().Topology != CriticDecentralizedShared {
		t.Errorf("dc with the shared topology built %s (value head %v, topology %s)", tr.Algorithm(), tr.Agents[0].Model.HasValueHead(), tr.Config().Topology)
	}
	for _, tc := range []struct {
		cfg  RunConfig
		want string
	}{
		{RunConfig{Env: "toy-coord", Algorithm: "magrpo", CC: &CCConfig{}}, `configured by the "mc" section, but the config has a "cc" section`},
		{RunConfig{Env: "toy-coord", Algorithm: "magrpo", MC: &MCConfig{Baseline: BaselineRLOO}}, "does not fit algorithm magrpo"},
		{RunConfig{Env: "toy-coord", Algorithm: "dc-shared", DC: &DCConfig{ActorCritic: ActorCritic{CriticType: CriticQ}}}, "needs a separate critic"},
	} {
		if _, err := ResolveConfig(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.cfg.Algorithm, err, tc.want)
		}
	}
	cfg := runConfig("cc", nil, 1)
	cfg.Agents = []AgentSpec{{Model: "tiny"}}
	if _, err := Build(cfg); err == nil || !strings.Contains(err.Error(), "needs 2 agents, got 1") {
		t.Errorf("agent count mismatch: err = %v", err)
	}
}

func TestRolloutShapes(t *testing.T) {
	env := map[string]string{"turns": "2"}
	tests := []struct {
		joint, branching string
		envSteps         int // per task
	}{
		{"aligned", "tree", 2 + 2*2}, // root: K=2 joint actions; each child: 2 more
		{"cross", "tree", 4 + 4*4},   // K^n = 4 per node
		{"aligned", "chains", 2 + 2}, // root expands, then one sample per node
	}
	for _, tt := range tests {
		cfg := runConfig("mareinforce", env, 1)
		cfg.MC.NumGenerations, cfg.MC.TasksPerUpdate = 2, 3
		cfg.MC.JointMode, cfg.MC.Branching = JointMode(tt.joint), Branching(tt.branching)
		tr := mustBuild(t, cfg)
		r, err := tr.rollout(context.Background(), tr.trainingPlay(0))
		if err != nil {
			t.Fatal(err)
		}
		if r.envSteps != 3*tt.envSteps || len(r.levels) != 2 {
			t.Errorf("%s/%s: %d env steps over %d levels, want %d over 2", tt.joint, tt.branching, r.envSteps, len(r.levels), 3*tt.envSteps)
		}
		for _, e := range r.edges[1] {
			if e.child != nil {
				t.Errorf("%s/%s: an edge of the last turn has a child", tt.joint, tt.branching)
			}
		}
	}
}

func metricsOf(t *testing.T, tr *Trainer, n int) []Metrics {
	t.Helper()
	var out []Metrics
	for range n {
		m, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		clean := Metrics{}
		for k, v := range m {
			if !strings.HasPrefix(k, "time/") && !strings.HasPrefix(k, "throughput/") {
				clean[k] = v
			}
		}
		out = append(out, clean)
	}
	return out
}

func sameMetrics(t *testing.T, what string, a, b []Metrics) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d updates", what, len(a), len(b))
	}
	for i := range a {
		for _, k := range slices.Sorted(maps.Keys(a[i])) {
			if va, vb := a[i][k], b[i][k]; va != vb && !(math.IsNaN(va) && math.IsNaN(vb)) {
				t.Fatalf("%s: update %d metric %s: %v vs %v", what, i+1, k, va, vb)
			}
		}
		if len(a[i]) != len(b[i]) {
			t.Fatalf("%s: update %d has %d vs %d metrics", what, i+1, len(a[i]), len(b[i]))
		}
	}
}

func TestSameSeedSameMetrics(t *testing.T) {
	algos := []string{"cc", "dc-shared", "magrpo"}
	if testing.Short() {
		algos = algos[:1]
	}
	for _, algo := range algos {
		cfg := runConfig(algo, map[string]string{"turns": "2"}, 7)
		a := metricsOf(t, mustBuild(t, cfg), 3)
		b := metricsOf(t, mustBuild(t, cfg), 3)
		sameMetrics(t, algo, a, b)
	}
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	algos := []string{"cc", "dc", "magrpo"}
	if testing.Short() {
		algos = algos[:1]
	}
	for _, algo := range algos {
		cfg := runConfig(algo, map[string]string{"turns": "2"}, 11)
		straight := metricsOf(t, mustBuild(t, cfg), 4)

		dir := t.TempDir()
		tr, rd, err := Create(filepath.Join(dir, "run"), cfg)
		if err != nil {
			t.Fatal(err)
		}
		first := metricsOf(t, tr, 2)
		if err := tr.SaveCheckpoint(rd.CheckpointPath()); err != nil {
			t.Fatal(err)
		}
		metricsOf(t, tr, 1) // an update after the checkpoint, lost in the "crash"
		rd.Close()

		resumed, rd2, err := Resume(filepath.Join(dir, "run"))
		if err != nil {
			t.Fatal(err)
		}
		if resumed.Updates() != 2 {
			t.Fatalf("resumed at update %d, want 2", resumed.Updates())
		}
		second := metricsOf(t, resumed, 2)
		rd2.Close()
		sameMetrics(t, algo+" resume", straight, append(first, second...))
		logged, err := ReadMetrics(filepath.Join(dir, "run", "metrics.jsonl"))
		if err != nil || len(logged) != 4 || logged[3][MetricUpdate] != 4 {
			t.Fatalf("metrics.jsonl after resume: %d lines (%v), want updates 1..4", len(logged), err)
		}
	}
}

func TestRunDirErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := runConfig("magrpo", nil, 1)
	_, rd, err := Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Resume(dir); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second open of a locked run: err = %v", err)
	}
	rd.Close()
	if _, _, err := Create(dir, cfg); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("Create over a run: err = %v", err)
	}
	if _, _, err := Resume(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a collm run") {
		t.Errorf("Resume of an empty dir: err = %v", err)
	}
}

// nanEnv wraps toy-coord and returns NaN on turn 1.
type nanEnv struct{ envs.Env }
type nanState struct{ envs.State }

func (e nanEnv) Reset(task int, seed int64) (envs.State, error) {
	s, err := e.Env.Reset(task, seed)
	return nanState{s}, err
}

func (s nanState) Step(r []string) (envs.Transition, error) {
	tr, err := s.State.Step(r)
	tr.Reward = math.NaN()
	return tr, err
}

func TestNaNRewardIsAnError(t *testing.T) {
	base, err := envs.New("toy-coord", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := fast(1)
	tr, err := NewRun().EnvValue(nanEnv{base}).Algorithm("magrpo").MC(MCConfig{Common: c}).Done()
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Step()
	if err == nil || !strings.Contains(err.Error(), "env toy-coord") || !strings.Contains(err.Error(), "rewards must be finite") {
		t.Fatalf("err = %v", err)
	}
}

// longEnv wraps toy-coord with prompts longer than the tiny model's 256-token context.
type longEnv struct{ envs.Env }
type longState struct{ envs.State }

func (e longEnv) Reset(task int, seed int64) (envs.State, error) {
	s, err := e.Env.Reset(task, seed)
	return longState{s}, err
}

func (s longState) Prompts() []string {
	ps := s.State.Prompts()
	for i := range ps {
		ps[i] = strings.Repeat("feedback ", 40) + ps[i]
	}
	return ps
}

func TestLongPromptsAreTruncated(t *testing.T) {
	cfg := runConfig("magrpo", nil, 1)
	cfg.MC.MaxNewTokens = 250 // leaves 6 tokens of the 256-token context for the prompt
	if _, err := Build(cfg); err == nil || !strings.Contains(err.Error(), "lower max_new_tokens") {
		t.Fatalf("err = %v", err)
	}
	base, err := envs.New("toy-coord", nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewRun().EnvValue(longEnv{base}).Algorithm("magrpo").MC(MCConfig{Common: fast(1)}).Done()
	if err != nil {
		t.Fatal(err)
	}
	r, err := tr.rollout(context.Background(), tr.trainingPlay(0))
	if err != nil {
		t.Fatal(err)
	}
	if r.truncated != 2*len(r.roots) {
		t.Errorf("%d prompts reported truncated, want %d", r.truncated, 2*len(r.roots))
	}
	for _, nd := range r.roots {
		ids := nd.promptIDs[0]
		if text := tr.Agents[0].Tokenizer.Decode(ids); len(ids) != 255 || !strings.HasSuffix(text, "turn 0:") {
			t.Errorf("kept %d prompt tokens ending %q; want the last 255, ending with the task line", len(ids), text[len(text)-10:])
		}
	}
	// The centralized critic's joint history of two long prompts is cut too, and counted: per
	// task 2 agent prompts and 1 joint history (one turn, one node).
	cc, err := NewRun().EnvValue(longEnv{base}).Algorithm("cc").CC(CCConfig{Common: fast(1)}).Done()
	if err != nil {
		t.Fatal(err)
	}
	m, err := cc.Step()
	if err != nil {
		t.Fatal(err)
	}
	if got := m[MetricTruncatedPrompts]; got != 4*(2+1) {
		t.Errorf("rollout/truncated_prompts = %v with CC, want %d", got, 4*(2+1))
	}
}

// stopEnv is toy-coord whose responses end at any lowercase letter or digit.
type stopEnv struct{ envs.Env }

func (stopEnv) StopSequences() []string {
	return strings.Split("abcdefghijklmnopqrstuvwxyz0123456789", "")
}

func TestSamplingStopsAtEnvStopSequences(t *testing.T) {
	base, err := envs.New("toy-coord", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := fast(1)
	c.MaxNewTokens = 12
	tr, err := NewRun().EnvValue(stopEnv{base}).Algorithm("magrpo").MC(MCConfig{Common: c}).Done()
	if err != nil {
		t.Fatal(err)
	}
	r, err := tr.rollout(context.Background(), tr.trainingPlay(0))
	if err != nil {
		t.Fatal(err)
	}
	stopped := 0
	for _, nd := range r.roots {
		for i, samples := range nd.samples {
			decode := tr.Agents[i].Tokenizer.Decode
			for _, s := range samples {
				if strings.ContainsAny(s.Text, "abcdefghijklmnopqrstuvwxyz0123456789") {
					t.Errorf("agent %d: text %q holds a stop sequence", i, s.Text)
				}
				if s.FinishReason != lm.FinishStop {
					continue
				}
				stopped++
				if last := decode(s.Tokens[len(s.Tokens)-1:]); !strings.ContainsAny(last, "abcdefghijklmnopqrstuvwxyz0123456789") && s.Tokens[len(s.Tokens)-1] != tr.Agents[i].Tokenizer.EOS() {
					t.Errorf("agent %d: stopped on %q, neither a stop sequence nor EOS (tokens %v)", i, last, s.Tokens)
				}
			}
		}
	}
	if stopped == 0 {
		t.Error("no response stopped early: the stop sequences were not applied")
	}
}

// TestOptionsRun runs two updates with each optional knob and checks a value it must produce.
// On toy-coord with 2 turns, K=4 and 4 tasks, CC's chains make 8 responses per agent and task;
// with the default buffer of 8 each task drains into 2 turn groups: 8 actor steps per update,
// and the critic steps after each of them for both agents: 16.
func TestOptionsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("option runs skipped in -short mode")
	}
	env := map[string]string{"turns": "2"}
	steps := func(ms []Metrics, name string, per float64) error {
		for u, m := range ms {
			if m[name] != per*float64(u+1) {
				return fmt.Errorf("%s after update %d = %v, want %v", name, u+1, m[name], per*float64(u+1))
			}
		}
		return nil
	}
	tests := []struct {
		name  string
		cfg   func() RunConfig
		check func(ms []Metrics) error
	}{
		{"defaults: cadence", func() RunConfig { return runConfig("cc", env, 1) }, func(ms []Metrics) error {
			if err := steps(ms, "optim/agent/1/steps", 8); err != nil {
				return err
			}
			return steps(ms, MetricCriticSteps, 16)
		}},
		{"minibatch update", func() RunConfig { c := runConfig("cc", env, 1); c.CC.Minibatch = MinibatchUpdate; return c }, func(ms []Metrics) error {
			if err := steps(ms, "optim/agent/0/steps", 1); err != nil {
				return err
			}
			return steps(ms, MetricCriticSteps, 1)
		}},
		{"dc critics", func() RunConfig { return runConfig("dc", env, 1) }, func(ms []Metrics) error {
			if ms[1]["critic/1/value_loss"] <= 0 {
				return fmt.Errorf("critic/1/value_loss = %v, want > 0", ms[1]["critic/1/value_loss"])
			}
			return steps(ms, "optim/critic/1/steps", 8)
		}},
		{"kl", func() RunConfig { c := runConfig("magrpo", env, 1); c.MC.KLBeta = 0.1; return c }, func(ms []Metrics) error {
			// The first update samples from the reference policy itself; the second from moved actors.
			if kl0, kl1 := ms[0]["agent/1/kl"], ms[1]["agent/1/kl"]; !(kl0 < 1e-4 && kl1 > 1e-5) {
				return fmt.Errorf("agent/1/kl = %v then %v, want about 0 then > 0", kl0, kl1)
			}
			return nil
		}},
		{"ppo epochs", func() RunConfig { c := runConfig("cc", env, 1); c.CC.PPOClip, c.CC.Epochs = 0.2, 2; return c }, func(ms []Metrics) error {
			return steps(ms, "optim/agent/0/steps", 2*8) // every step makes two passes
		}},
		{"cc q critic", func() RunConfig { c := runConfig("cc", env, 1); c.CC.CriticType = CriticQ; return c }, func(ms []Metrics) error {
			if ms[1][MetricValueLoss] <= 0 {
				return fmt.Errorf("critic/value_loss = %v, want > 0", ms[1][MetricValueLoss])
			}
			return steps(ms, MetricCriticSteps, 16)
		}},
		{"dc q critic", func() RunConfig { c := runConfig("dc", env, 1); c.DC.CriticType = CriticQ; return c }, func(ms []Metrics) error {
			if ms[1]["critic/0/value_loss"] <= 0 {
				return fmt.Errorf("critic/0/value_loss = %v, want > 0", ms[1]["critic/0/value_loss"])
			}
			return nil
		}},
		{"dc-shared value head", func() RunConfig { return runConfig("dc-shared", env, 1) }, func(ms []Metrics) error {
			if ms[1]["critic/0/value_loss"] <= 0 {
				return fmt.Errorf("critic/0/value_loss = %v, want > 0", ms[1]["critic/0/value_loss"])
			}
			return steps(ms, "optim/critic/0/steps", 8) // the value head steps with its actor
		}},
		{"cross joint", func() RunConfig {
			c := runConfig("marloo", env, 1)
			c.MC.JointMode, c.MC.NumGenerations = JointCross, 2
			return c
		}, func(ms []Metrics) error {
			return steps(ms, MetricEnvStep, 4*(4+4*4)) // K^2 = 4 joint actions at the root and at each child
		}},
		{"early termination", func() RunConfig {
			c := runConfig("cc", env, 1)
			below := -1.0 // toy-coord pays >= 0: every episode ends after its first turn
			c.CC.EarlyTerminationThreshold = &below
			return c
		}, func(ms []Metrics) error {
			if _, ok := ms[1]["return/turn/1/mean"]; ok {
				return errors.New("a second turn was played")
			}
			return steps(ms, MetricEnvStep, 4*4)
		}},
		{"positive advantages", func() RunConfig { c := runConfig("cc", env, 1); c.CC.PositiveAdvantages = true; return c }, func(ms []Metrics) error {
			// Normalized advantages have mean 0; without the negative ones it is > 0.
			for _, m := range ms {
				if mean := m["agent/1/advantage/mean"]; mean < 1e-6 {
					return fmt.Errorf("advantages of agent 1 have mean %v, want > 0", mean)
				}
			}
			return nil
		}},
		{"no grad variance", func() RunConfig { c := runConfig("cc", env, 1); c.CC.GradVarMicroBatches = -1; return c }, func(ms []Metrics) error {
			for k := range ms[1] {
				if strings.HasPrefix(k, "grad/") {
					return fmt.Errorf("%s measured with the measurement off", k)
				}
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := metricsOf(t, mustBuild(t, tt.cfg()), 2)
			if err := tt.check(ms); err != nil {
				t.Error(err)
			}
			if _, measured := ms[1]["grad/agent/0/relative_variance"]; !measured && tt.name != "no grad variance" {
				t.Error("gradient variance not measured")
			}
		})
	}
}

// TestNStepOfOneIsTD0 trains the same run with n-step targets for n = 1 and with TD(0): the
// targets are the same numbers, so every metric must be identical.
func TestNStepOfOneIsTD0(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	env := map[string]string{"turns": "3"}
	td0 := runConfig("cc", env, 2)
	nstep := runConfig("cc", env, 2)
	nstep.CC.Targets, nstep.CC.NSteps = TargetsNStep, 1
	sameMetrics(t, "nstep 1 vs td0", metricsOf(t, mustBuild(t, td0), 2), metricsOf(t, mustBuild(t, nstep), 2))
	gae := runConfig("cc", env, 2)
	gae.CC.Targets = TargetsGAE
	a, b := metricsOf(t, mustBuild(t, td0), 2), metricsOf(t, mustBuild(t, gae), 2)
	if a[1]["agent/0/policy_loss"] == b[1]["agent/0/policy_loss"] {
		t.Error("gae targets trained exactly as td0")
	}
}

// TestLoRAFreezesTheBase trains LoRA agents: their base weights stay, the adapters move.
func TestLoRAFreezesTheBase(t *testing.T) {
	c := runConfig("cc", nil, 1)
	c.Agents = []AgentSpec{{Model: "tiny", LoRA: &lm.LoRAConfig{Rank: 4}}, {Model: "tiny", LoRA: &lm.LoRAConfig{Rank: 4}}}
	tr := mustBuild(t, c)
	before, _, err := tr.Agents[1].Model.WeightTensor("model.embed_tokens.weight")
	if err != nil {
		t.Fatal(err)
	}
	ms := metricsOf(t, tr, 1)
	after, _, _ := tr.Agents[1].Model.WeightTensor("model.embed_tokens.weight")
	if !slices.Equal(before, after) {
		t.Error("the frozen base of a LoRA agent changed")
	}
	if ms[0]["agent/1/grad_norm"] <= 0 {
		t.Errorf("agent/1/grad_norm = %v: the adapters got no gradient", ms[0]["agent/1/grad_norm"])
	}
}

// TestOptimizerStepsPerExpandedNode is the reference's MAGRPO cadence on toy-coord with 2 turns,
// K=2 and 2 tasks: each task's tree has 3 expanded nodes (the root and its 2 children), and with
// rollout_buffer_size 1 each node is one optimizer step: 6 per update. With minibatch update
// it is 1 per update.
func TestOptimizerStepsPerExpandedNode(t *testing.T) {
	for _, tc := range []struct {
		minibatch Minibatch
		perUpdate float64
	}{{MinibatchReference, 6}, {MinibatchUpdate, 1}} {
		cfg := runConfig("magrpo", map[string]string{"turns": "2"}, 1)
		cfg.MC.NumGenerations, cfg.MC.TasksPerUpdate, cfg.MC.RolloutBufferSize, cfg.MC.Minibatch = 2, 2, 1, tc.minibatch
		cfg.MC.GradVarMicroBatches = -1
		ms := metricsOf(t, mustBuild(t, cfg), 2)
		for u, m := range ms {
			for i := range 2 {
				if got, want := m[optimAgentMetric(i)], tc.perUpdate*float64(u+1); got != want {
					t.Errorf("%s: optim/agent/%d/steps after update %d = %v, want %v", tc.minibatch, i, u+1, got, want)
				}
			}
		}
	}
}

// TestAlgorithmsLearn trains every algorithm from random tiny agents on toy-coord and checks
// that the episode return rose clearly above the random policy's, on seed 3 or, when that seed
// does not, on seed 4. At learning rate 3e-3 and 60 updates a run can settle in a local optimum
// (the 3-turn toy's return 1 of 3: one turn coordinated) that float-level changes of the
// computation move from seed to seed: measured at b5018b9 and at 3ccb58b, MAGRPO with 3 turns
// learned on 3 of seeds 1-4 both times (seed 4, then seed 3 failing), CoLLM-CC on the sparse
// 3-turn toy on 2 and 3 of 4. A method that does not learn fails on both seeds.
func TestAlgorithmsLearn(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	tests := []struct {
		algo string
		env  map[string]string
	}{
		{"cc", map[string]string{"tasks": "2"}},
		{"dc", map[string]string{"tasks": "2"}},
		{"dc-shared", map[string]string{"tasks": "2"}},
		{"magrpo", map[string]string{"tasks": "2"}},
		{"marloo", map[string]string{"tasks": "2"}},
		{"maremax", map[string]string{"tasks": "2"}},
		{"mareinforce", map[string]string{"tasks": "2"}},
		{"grpo", map[string]string{"tasks": "2", "agents": "1"}},
		{"ac", map[string]string{"tasks": "2", "agents": "1"}},
		{"cc", map[string]string{"tasks": "1", "turns": "3"}},
		{"magrpo", map[string]string{"tasks": "1", "turns": "3"}},
		{"cc", map[string]string{"tasks": "1", "turns": "3", "sparse": "true"}},
	}
	for _, tt := range tests {
		name := tt.algo
		for _, k := range slices.Sorted(maps.Keys(tt.env)) {
			name += "," + k + "=" + tt.env[k]
		}
		t.Run(name, func(t *testing.T) {
			var runs []string
			for _, seed := range []uint64{3, 4} {
				before, after, optimum := learnedReturn(t, tt.algo, tt.env, seed)
				t.Logf("%s seed %d: episode return %.3f -> %.3f (optimum %.0f)", name, seed, before, after, optimum)
				if after >= before+0.15*optimum {
					return
				}
				runs = append(runs, fmt.Sprintf("seed %d: %.3f -> %.3f", seed, before, after))
			}
			t.Errorf("%s did not learn on either seed (%s)", name, strings.Join(runs, "; "))
		})
	}
}

// learnedReturn trains algo on toy-coord with env options env for 60 updates and returns the
// mean episode return of the first and last 5 updates, and the optimum.
func learnedReturn(t *testing.T, algo string, env map[string]string, seed uint64) (before, after, optimum float64) {
	t.Helper()
	cfg := runConfig(algo, env, seed)
	if cfg.MC != nil && env["turns"] != "" {
		cfg.MC.NumGenerations, cfg.MC.TasksPerUpdate = 2, 2 // a tree of K^turns leaves per task
	}
	if a := mustAlgorithm(t, algo); a.Section == SectionMC && a.baseline != BaselineMean {
		// z-scored, every baseline trains as MAGRPO: without it each baseline is its own method
		cfg.MC.AdvantageNormalization = NormNone
	}
	tr := mustBuild(t, cfg)
	ms := metricsOf(t, tr, 60)
	mean := func(ms []Metrics) float64 {
		s := 0.0
		for _, m := range ms {
			s += m[MetricEpisodeReturnMean]
		}
		return s / float64(len(ms))
	}
	optimum = float64(tr.Env.Spec().MaxTurns)
	if env["sparse"] == "true" {
		optimum = 1
	}
	return mean(ms[:5]), mean(ms[len(ms)-5:]), optimum
}

func TestHooksCanBeRemoved(t *testing.T) {
	tr := mustBuild(t, runConfig("magrpo", nil, 1))
	var kept, removed, episodes int
	tr.OnUpdate(func(UpdateInfo) error { kept++; return nil })
	remove := tr.OnUpdate(func(UpdateInfo) error { removed++; return nil })
	tr.OnEpisode(func(ep Episode) error {
		if len(ep.Turns) != 1 || len(ep.Turns[0].Responses) != 2 {
			t.Errorf("episode %+v: want one turn with two responses", ep)
		}
		episodes++
		return nil
	})
	metricsOf(t, tr, 1)
	remove()
	metricsOf(t, tr, 1)
	if kept != 2 || removed != 1 || episodes != 2*4 {
		t.Errorf("hooks ran kept=%d removed=%d episodes=%d, want 2, 1, 8", kept, removed, episodes)
	}
}

func TestCriticWarmupFreezesActors(t *testing.T) {
	for _, algo := range []string{"cc", "dc"} {
		cfg := runConfig(algo, nil, 1)
		if cfg.CC != nil {
			cfg.CC.CriticWarmup = 2
		} else {
			cfg.DC.CriticWarmup = 2
		}
		tr := mustBuild(t, cfg)
		before, _, err := tr.Agents[0].Model.WeightTensor("model.embed_tokens.weight")
		if err != nil {
			t.Fatal(err)
		}
		ms := metricsOf(t, tr, 3)
		after, _, _ := tr.Agents[0].Model.WeightTensor("model.embed_tokens.weight")
		for u, m := range ms[:2] {
			if _, trained := m["agent/0/policy_loss"]; trained {
				t.Errorf("%s: actor trained during warm-up update %d", algo, u+1)
			}
			if _, ok := m[MetricValueLoss]; !ok {
				t.Errorf("%s: critic not trained during warm-up update %d", algo, u+1)
			}
		}
		if _, trained := ms[2]["agent/0/policy_loss"]; !trained {
			t.Errorf("%s: actor not trained after the warm-up", algo)
		}
		if slices.Equal(before, after) {
			t.Errorf("%s: actor weights unchanged after the warm-up", algo)
		}
	}
}

func TestWarmStart(t *testing.T) {
	tr := mustBuild(t, runConfig("cc", nil, 1))
	if _, err := tr.WarmStart(1); err == nil || !strings.Contains(err.Error(), "has no demonstrations") {
		t.Fatalf("toy-coord warm start: err = %v", err)
	}
}

// TestEntropyBonusKeepsExploring trains the same agents with and without the entropy bonus: the
// policy gradient alone sharpens the policies, the bonus keeps their entropy high.
func TestEntropyBonusKeepsExploring(t *testing.T) {
	if testing.Short() {
		t.Skip("training test skipped in -short mode")
	}
	entropy := func(coef float64) float64 {
		cfg := runConfig("magrpo", nil, 1)
		cfg.MC.EntropyCoef, cfg.MC.GradVarMicroBatches = coef, -1
		ms := metricsOf(t, mustBuild(t, cfg), 30)
		return ms[len(ms)-1]["agent/0/entropy"]
	}
	plain, bonus := entropy(0), entropy(0.5)
	t.Logf("agent 0 entropy after 30 updates: %.3f without the bonus, %.3f with entropy_coef 0.5", plain, bonus)
	if bonus < plain+0.2 {
		t.Errorf("entropy bonus had no effect: %.3f with, %.3f without", bonus, plain)
	}
}
