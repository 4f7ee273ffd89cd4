package maac

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	_ "github.com/collm/collm/envs/building"
	"github.com/collm/collm/maac/lm"
)

// The core arithmetic of the algorithms on a hand-built two-turn tree whose rewards and critic
// values are known. Every expected number is worked out here by hand from the formulas.
//
// Two agents, K=2, aligned, gamma 0.9:
//
//	root R ── a (picks 0,0; r=1)   ── A ── aa (r=1), ab (r=0.5)
//	       └─ b (picks 1,1; r=0)   ── B ── ba (r=0), bb (r=1)

const gamma = 0.9

type testTree struct {
	r                      *rollout
	R, A, B                *node
	a, b, aa, ab, ba, bb   *edge
	values                 *criticValues // V_old: R 0.5, A 0.8, B 0.2
	qValues                *criticValues // Q_old: a .9, b .1, aa .7, ab .6, ba .3, bb .5
	allNodes               []*node
	allEdges               []*edge
	sampleCount, numAgents int
}

func newNode(depth, agents, k int) *node {
	nd := &node{depth: depth, samples: make([][]lm.Sample, agents), promptIDs: make([][]int, agents)}
	for i := range agents {
		nd.samples[i] = make([]lm.Sample, k)
		for j := range nd.samples[i] {
			nd.samples[i][j] = lm.Sample{Tokens: []int{j}}
		}
	}
	return nd
}

func addEdge(nd *node, reward float64, pick ...int) *edge {
	e := &edge{parent: nd, pick: pick, envReward: reward, rewards: make([]float64, len(pick))}
	for i := range e.rewards {
		e.rewards[i] = reward
	}
	nd.edges = append(nd.edges, e)
	return e
}

func buildTestTree() *testTree {
	tt := &testTree{numAgents: 2}
	tt.R, tt.A, tt.B = newNode(0, 2, 2), newNode(1, 2, 2), newNode(1, 2, 2)
	tt.a, tt.b = addEdge(tt.R, 1, 0, 0), addEdge(tt.R, 0, 1, 1)
	tt.a.child, tt.b.child = tt.A, tt.B
	tt.aa, tt.ab = addEdge(tt.A, 1, 0, 0), addEdge(tt.A, 0.5, 1, 1)
	tt.ba, tt.bb = addEdge(tt.B, 0, 0, 0), addEdge(tt.B, 1, 1, 1)
	tt.r = &rollout{roots: []*node{tt.R}, levels: [][]*node{{tt.R}, {tt.A, tt.B}},
		edges: [][]*edge{{tt.a, tt.b}, {tt.aa, tt.ab, tt.ba, tt.bb}}}
	tt.values = &criticValues{nodes: map[*node]float64{tt.R: 0.5, tt.A: 0.8, tt.B: 0.2}}
	tt.qValues = &criticValues{q: true, edges: map[*edge]float64{tt.a: 0.9, tt.b: 0.1, tt.aa: 0.7, tt.ab: 0.6, tt.ba: 0.3, tt.bb: 0.5}}
	return tt
}

func TestTreeReturnsOnTheTestTree(t *testing.T) {
	tt := buildTestTree()
	treeReturns(tt.r, gamma)
	want := map[*edge]float64{
		tt.aa: 1, tt.ab: 0.5, tt.ba: 0, tt.bb: 1,
		tt.a: 1 + 0.9*(1+0.5)/2, // 1.675
		tt.b: 0 + 0.9*(0+1)/2,   // 0.45
	}
	for e, w := range want {
		for i := range 2 {
			if !near(e.returns[i], w) {
				t.Errorf("R_%d of edge with reward %v = %v, want %v", i, e.envReward, e.returns[i], w)
			}
		}
	}
	// The undiscounted episode return: 1 + (1+0.5)/2 = 1.75 and 0 + 0.5.
	if !near(tt.a.episodeReturn, 1.75) || !near(tt.b.episodeReturn, 0.5) {
		t.Errorf("episode returns %v, %v, want 1.75, 0.5", tt.a.episodeReturn, tt.b.episodeReturn)
	}
}

func TestActorCriticTargets(t *testing.T) {
	type want struct{ y, adv float64 }
	tests := []struct {
		name   string
		q      bool
		qAdv   QAdvantage
		expect func(tt *testTree) map[*edge]want
	}{
		{"V, td0", false, "", func(tt *testTree) map[*edge]want {
			return map[*edge]want{
				tt.a:  {1 + 0.9*0.8, 1 + 0.9*0.8 - 0.5}, // y = r + gamma V(A); A = y - V(R)
				tt.b:  {0 + 0.9*0.2, 0.9*0.2 - 0.5},
				tt.aa: {1, 1 - 0.8}, // last turn: y = r
				tt.ab: {0.5, 0.5 - 0.8},
				tt.ba: {0, 0 - 0.2},
				tt.bb: {1, 1 - 0.2},
			}
		}},
		{"Q, sampled action", true, QSampled, func(tt *testTree) map[*edge]want {
			return map[*edge]want{
				tt.a:  {1 + 0.9*(0.7+0.6)/2, 1 + 0.9*0.65 - 0.9}, // y bootstraps from the mean Q at A
				tt.b:  {0 + 0.9*(0.3+0.5)/2, 0.9*0.4 - 0.1},
				tt.aa: {1, 1 - 0.7},
				tt.bb: {1, 1 - 0.5},
			}
		}},
		{"Q, mean baseline", true, QMean, func(tt *testTree) map[*edge]want {
			return map[*edge]want{
				tt.a:  {1 + 0.9*0.65, 1 + 0.9*0.65 - (0.9+0.1)/2},
				tt.aa: {1, 1 - (0.7+0.6)/2},
				tt.ba: {0, 0 - (0.3+0.5)/2},
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tt := buildTestTree()
			cv := tt.values
			if tc.q {
				cv = tt.qValues
			}
			ac := &ActorCritic{Targets: TargetsTD0, QAdvantage: tc.qAdv}
			for agent := range 2 {
				et := agentTargets(tt.r, ac, gamma, cv, agent)
				for e, w := range tc.expect(tt) {
					if !near(et.tdTargets[e], w.y) || !near(et.advantages[e], w.adv) {
						t.Errorf("agent %d, edge r=%v: y %v A %v, want y %v A %v", agent, e.envReward, et.tdTargets[e], et.advantages[e], w.y, w.adv)
					}
				}
			}
		})
	}
}

// chainTree is the test tree with chains: A and B keep one joint action each (aa, ba).
func chainTree() *testTree {
	tt := buildTestTree()
	tt.A.edges, tt.B.edges = tt.A.edges[:1], tt.B.edges[:1]
	tt.r.edges[1] = []*edge{tt.aa, tt.ba}
	return tt
}

func TestPathTargets(t *testing.T) {
	tt := chainTree()
	tests := []struct {
		name string
		ac   ActorCritic
		// y and A of (a, aa) and (b, ba)
		ya, aa, yaa, aaa, yb, ab float64
	}{
		// n=2, gamma .9: y(a) = 1 + .9*1 (the episode ends inside the window); y(aa) = 1.
		// y(b) = 0 + .9*0 = 0.
		{"nstep 2", ActorCritic{Targets: TargetsNStep, NSteps: 2}, 1.9, 1.9 - 0.5, 1, 1 - 0.8, 0, 0 - 0.5},
		// GAE lambda .5: delta(aa) = 1 - .8 = .2, delta(a) = 1 + .9*.8 - .5 = 1.22,
		// A(a) = 1.22 + .9*.5*.2 = 1.31, y = A + V. delta(ba) = 0 - .2, delta(b) = .18 - .5 = -.32,
		// A(b) = -.32 + .45*(-.2) = -.41.
		{"gae 0.5", ActorCritic{Targets: TargetsGAE, Lambda: 0.5}, 1.31 + 0.5, 1.31, 0.2 + 0.8, 0.2, -0.41 + 0.5, -0.41},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			et := agentTargets(tt.r, &tc.ac, gamma, tt.values, 0)
			got := []float64{et.tdTargets[tt.a], et.advantages[tt.a], et.tdTargets[tt.aa], et.advantages[tt.aa], et.tdTargets[tt.b], et.advantages[tt.b]}
			want := []float64{tc.ya, tc.aa, tc.yaa, tc.aaa, tc.yb, tc.ab}
			nearAll(t, tc.name, got, want)
		})
	}
}

func TestMonteCarloBaselinesAndNodeZScore(t *testing.T) {
	// One node, K=3, aligned: returns 1, 2, 6 (mean 3, population std sqrt(14/3)).
	nd := newNode(0, 1, 3)
	for k, ret := range []float64{1, 2, 6} {
		e := addEdge(nd, ret, k)
		e.returns = []float64{ret}
	}
	std := math.Sqrt((4 + 1 + 9) / 3.0)
	z := []float64{-2 / std, -1 / std, 3 / std}
	tests := []struct {
		baseline Baseline
		norm     Normalization
		want     []float64
	}{
		{BaselineMean, NormNone, []float64{-2, -1, 3}},
		{BaselineRLOO, NormNone, []float64{1 - 4, 2 - 3.5, 6 - 1.5}},
		{BaselineMax, NormNone, []float64{-5, -4, 0}},
		{BaselineRaw, NormNone, []float64{1, 2, 6}},
		// z-scoring re-centres: every baseline trains identically (the reference's default).
		{BaselineMean, NormZScore, z},
		{BaselineRLOO, NormZScore, z},
		{BaselineMax, NormZScore, z},
		{BaselineRaw, NormZScore, z},
		// std divides only: MAREMAX keeps A <= 0.
		{BaselineMax, NormStd, []float64{-5 / std, -4 / std, 0}},
	}
	for _, tc := range tests {
		a := &mcAlgo{cfg: MCConfig{Baseline: tc.baseline, AdvantageNormalization: tc.norm}}
		nearAll(t, string(tc.baseline)+"/"+string(tc.norm), a.nodeAdvantages(nd, 0), tc.want)
	}
}

func TestCrossModeSumsJointReturns(t *testing.T) {
	// K=2, 2 agents, cross: joint actions (0,0) (0,1) (1,0) (1,1) with returns 1, 2, 3, 5.
	tr := &Trainer{Agents: make([]*Agent, 2), common: &Common{JointMode: JointCross}}
	picks := tr.jointPicks(2)
	wantPicks := [][]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
	nd := newNode(0, 2, 2)
	for j, ret := range []float64{1, 2, 3, 5} {
		if picks[j][0] != wantPicks[j][0] || picks[j][1] != wantPicks[j][1] {
			t.Fatalf("cross picks %v, want %v", picks, wantPicks)
		}
		e := addEdge(nd, ret, picks[j]...)
		e.returns = []float64{ret, ret}
	}
	a := &mcAlgo{cfg: MCConfig{Baseline: BaselineMean, AdvantageNormalization: NormNone}}
	// Agent 0's response 0 is in (0,0) and (0,1): sum 3; response 1: 3 + 5 = 8; mean 5.5.
	nearAll(t, "agent 0", a.nodeAdvantages(nd, 0), []float64{3 - 5.5, 8 - 5.5})
	// Agent 1's response 0 is in (0,0) and (1,0): 4; response 1: 2 + 5 = 7; mean 5.5.
	nearAll(t, "agent 1", a.nodeAdvantages(nd, 1), []float64{4 - 5.5, 7 - 5.5})
	// Aligned pairs the k-th responses: K joint actions.
	tr.common.JointMode = JointAligned
	if got := tr.jointPicks(3); len(got) != 3 || got[2][0] != 2 || got[2][1] != 2 {
		t.Errorf("aligned picks %v", got)
	}
}

func TestPerTurnNormalization(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		how  Normalization
		want []float64
	}{
		// mean .45, population std .77: the two values become -1 and 1 (n, not n-1).
		{"two samples", []float64{1.22, -0.32}, NormZScore, []float64{1, -1}},
		// mean .125; squared deviations .005625 .180625 .105625 .455625, population var .186875.
		{"four samples", []float64{0.2, -0.3, -0.2, 0.8}, NormZScore, []float64{
			0.075 / math.Sqrt(0.186875), -0.425 / math.Sqrt(0.186875), -0.325 / math.Sqrt(0.186875), 0.675 / math.Sqrt(0.186875)}},
		// A group of one sample keeps its raw advantage (the reference), not 0.
		{"one sample", []float64{-0.7}, NormZScore, []float64{-0.7}},
		// Equal advantages: std clamped at 1e-6, all zero.
		{"constant", []float64{3, 3}, NormZScore, []float64{0, 0}},
		{"none", []float64{1.22, -0.32}, NormNone, []float64{1.22, -0.32}},
	}
	for _, tc := range tests {
		xs := append([]float64(nil), tc.xs...)
		normalize(xs, tc.how)
		nearAll(t, tc.name, xs, tc.want)
	}
}

func TestCadence(t *testing.T) {
	tt := buildTestTree()
	nodeTurn := func(nd *node) int { return nd.depth }
	names := map[*node]string{tt.R: "R", tt.A: "A", tt.B: "B"}
	// The reference's node order is depth first: R, A, B.
	order := treeOrder(tt.R)
	if len(order) != 3 || order[0] != tt.R || order[1] != tt.A || order[2] != tt.B {
		t.Fatalf("tree order %v", order)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	mc := []struct {
		minibatch Minibatch
		buffer    int
		want      [][]string
	}{
		// Monte Carlo: a node is one sample; the buffer drains as soon as it is full.
		{MinibatchReference, 1, [][]string{{"R"}, {"A"}, {"B"}}},
		// [R A] drains into its turn groups; B is flushed at the end of the update.
		{MinibatchReference, 2, [][]string{{"R"}, {"A"}, {"B"}}},
		{MinibatchReference, 3, [][]string{{"R"}, {"A", "B"}}},
		{MinibatchUpdate, 1, [][]string{{"R", "A", "B"}}},
	}
	for _, tc := range mc {
		c := &Common{Minibatch: tc.minibatch, RolloutBufferSize: tc.buffer}
		steps := planSteps(c, [][]*node{order}, nodeTurn, true, rng)
		var got [][]string
		for _, s := range steps {
			var names1 []string
			for _, nd := range s {
				names1 = append(names1, names[nd])
			}
			got = append(got, names1)
		}
		if len(got) != len(tc.want) {
			t.Errorf("mc %s buffer %d: steps %v, want %v", tc.minibatch, tc.buffer, got, tc.want)
			continue
		}
		for i := range got {
			if len(got[i]) != len(tc.want[i]) || got[i][0] != tc.want[i][0] {
				t.Errorf("mc %s buffer %d: steps %v, want %v", tc.minibatch, tc.buffer, got, tc.want)
			}
		}
	}
	// Actor-critic: a response is one sample; the buffer is checked after each task. One task of
	// 6 responses per agent (2 at turn 0, 4 at turn 1) across two tasks.
	items := [][]sampleRef{agentSamples(tt.r, 0)[0], agentSamples(tt.r, 0)[0]}
	ac := []struct {
		minibatch Minibatch
		buffer    int
		sizes     []int // samples per step
	}{
		{MinibatchReference, 8, []int{4, 8}},       // 12 samples drain at the end: turn groups 4 and 8
		{MinibatchReference, 6, []int{2, 4, 2, 4}}, // each task drains: 2 + 4 per task
		{MinibatchReference, 1, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{MinibatchReference, 3, []int{2, 3, 1, 2, 3, 1}}, // turn 1's 4 cut into 3 + 1 per task
		{MinibatchUpdate, 8, []int{12}},
	}
	for _, tc := range ac {
		c := &Common{Minibatch: tc.minibatch, RolloutBufferSize: tc.buffer}
		steps := planSteps(c, items, sampleTurn, false, rng)
		var sizes []int
		for _, s := range steps {
			sizes = append(sizes, len(s))
			for _, ref := range s[1:] {
				if tc.minibatch == MinibatchReference && ref.nd.depth != s[0].nd.depth {
					t.Errorf("ac buffer %d: a step mixes turns", tc.buffer)
				}
			}
		}
		if len(sizes) != len(tc.sizes) {
			t.Errorf("ac %s buffer %d: step sizes %v, want %v", tc.minibatch, tc.buffer, sizes, tc.sizes)
			continue
		}
		for i := range sizes {
			if sizes[i] != tc.sizes[i] {
				t.Errorf("ac %s buffer %d: step sizes %v, want %v", tc.minibatch, tc.buffer, sizes, tc.sizes)
				break
			}
		}
	}
}

func TestEarlyTermination(t *testing.T) {
	zero := 0.0
	tests := []struct {
		name      string
		branching Branching
		threshold *float64
		off       bool
		rewards   []float64
		expanded  []bool
	}{
		// A tree stops expanding a node whose mean reward exceeds the threshold: mean .25 > 0.
		{"tree, mean above", BranchTree, &zero, false, []float64{1, -0.5}, []bool{false, false}},
		// Mean exactly 0 does not exceed 0.0: the threshold 0.0 is a value, not "off".
		{"tree, mean at threshold", BranchTree, &zero, false, []float64{0.5, -0.5}, []bool{true, true}},
		// Chains decide per episode.
		{"chains, per episode", BranchChains, &zero, false, []float64{0.5, -0.5}, []bool{false, true}},
		{"off", BranchChains, &zero, true, []float64{0.5, -0.5}, []bool{true, true}},
	}
	for _, tc := range tests {
		tr := &Trainer{common: &Common{Branching: tc.branching, EarlyTerminationThreshold: tc.threshold, NoEarlyTermination: tc.off}}
		nd := newNode(0, 1, len(tc.rewards))
		for k, r := range tc.rewards {
			addEdge(nd, r, k).child = newNode(1, 1, 1)
		}
		tr.terminateEarly(nd)
		for k, e := range nd.edges {
			if (e.child != nil) != tc.expanded[k] {
				t.Errorf("%s: episode %d expanded = %v, want %v", tc.name, k, e.child != nil, tc.expanded[k])
			}
		}
	}
}

func TestPerAgentKL(t *testing.T) {
	// The root's joint actions a (samples 0,0) and b (1,1); KL of agent 0's samples .2 and .4,
	// agent 1's .1 and .3; beta .5. Rewards 1 (a) and 0 (b).
	kls := func(tt *testTree) map[*node][][]float64 {
		return map[*node][][]float64{tt.R: {{0.2, 0.4}, {0.1, 0.3}}, tt.A: {{0, 0}, {0, 0}}, tt.B: {{0, 0}, {0, 0}}}
	}
	tests := []struct {
		mode   KLPenalty
		ra, rb []float64 // [agent] rewards of a and b
	}{
		// own: agent i pays beta * its own KL.
		{KLOwn, []float64{1 - 0.5*0.2, 1 - 0.5*0.1}, []float64{0 - 0.5*0.4, 0 - 0.5*0.3}},
		// team: both pay beta * the sum.
		{KLTeam, []float64{1 - 0.5*0.3, 1 - 0.5*0.3}, []float64{-0.5 * 0.7, -0.5 * 0.7}},
	}
	for _, tc := range tests {
		tt := buildTestTree()
		applyKL(tt.r, kls(tt), 0.5, tc.mode)
		nearAll(t, string(tc.mode)+" a", tt.a.rewards, tc.ra)
		nearAll(t, string(tc.mode)+" b", tt.b.rewards, tc.rb)
		// The env's reward is left alone, for logging and early termination.
		if tt.a.envReward != 1 {
			t.Errorf("%s: env reward changed to %v", tc.mode, tt.a.envReward)
		}
	}
	// With per-agent rewards the returns are per agent: R_0(a) = .9 + .9*(1+.5)/2.
	tt := buildTestTree()
	applyKL(tt.r, kls(tt), 0.5, KLOwn)
	treeReturns(tt.r, gamma)
	if !near(tt.a.returns[0], 0.9+0.9*0.75) || !near(tt.a.returns[1], 0.95+0.9*0.75) {
		t.Errorf("per-agent returns of a: %v", tt.a.returns)
	}
}

func TestCriticInputFormat(t *testing.T) {
	h := jointHistory([]string{"write aux", "write f"})
	if want := "[Agent 0] write aux\n\n[Agent 1] write f"; h != want {
		t.Errorf("joint history %q, want %q", h, want)
	}
	if got, want := jointAction(h, []string{"x+1", "aux(x)"}),
		"[Agent 0] write aux\n\n[Agent 1] write f\n\n[Joint Action]\n\n[Agent 0 action]\nx+1\n\n[Agent 1 action]\naux(x)"; got != want {
		t.Errorf("joint action %q, want %q", got, want)
	}
}

// TestReferenceDefaults checks the resolved defaults against the reference (CoMLRL's
// MAACConfig, IACConfig, MAGRPOConfig and the authors' task configs) on the seven points where
// collm's own choices are now named options.
func TestReferenceDefaults(t *testing.T) {
	resolved := func(algo, env string, opts map[string]string) Common {
		t.Helper()
		cfg, err := ResolveConfig(RunConfig{Env: env, EnvOptions: opts, Algorithm: algo})
		if err != nil {
			t.Fatal(err)
		}
		c, err := cfg.Common()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name, algo, env string
		opts            map[string]string
		check           func(c Common, cfg RunConfig) string
	}{
		// 1. cadence: buffers of 8 (actor-critic) and 2 (MAGRPO), the reference's steps.
		{"cc cadence", "cc", "toy-coord", nil, func(c Common, _ RunConfig) string {
			return want(c.Minibatch == MinibatchReference && c.RolloutBufferSize == 8, "minibatch %s buffer %d", c.Minibatch, c.RolloutBufferSize)
		}},
		{"magrpo cadence", "magrpo", "toy-coord", nil, func(c Common, _ RunConfig) string {
			return want(c.Minibatch == MinibatchReference && c.RolloutBufferSize == 2, "minibatch %s buffer %d", c.Minibatch, c.RolloutBufferSize)
		}},
		// 2. normalization: z-scores for actor-critic and per node for the Monte Carlo family.
		{"cc normalization", "cc", "toy-coord", nil, func(_ Common, cfg RunConfig) string {
			return want(cfg.CC.AdvantageNormalization == NormZScore, "cc advantage_normalization %s", cfg.CC.AdvantageNormalization)
		}},
		{"magrpo normalization", "magrpo", "toy-coord", nil, func(_ Common, cfg RunConfig) string {
			return want(cfg.MC.AdvantageNormalization == NormZScore, "mc advantage_normalization %s", cfg.MC.AdvantageNormalization)
		}},
		// 3. early termination: the env's threshold (StrBuild -0.1 at shift -2), recorded.
		{"strbuild-mini termination", "magrpo", "strbuild-mini", nil, func(c Common, _ RunConfig) string {
			th, on := c.earlyTermination()
			return want(on && near(th, -0.1), "early termination %v at %v", on, th)
		}},
		{"toy-coord termination", "cc", "toy-coord", map[string]string{"turns": "3"}, func(c Common, _ RunConfig) string {
			return want(c.NoEarlyTermination && c.EarlyTerminationThreshold == nil, "toy-coord declares none, got %+v", c.EarlyTerminationThreshold)
		}},
		// 4. KL: each agent its own.
		{"kl", "dc", "toy-coord", nil, func(c Common, _ RunConfig) string {
			return want(c.KLPenalty == KLOwn && c.KLBeta == 0, "kl_penalty %s beta %v", c.KLPenalty, c.KLBeta)
		}},
		// 5. optimizer: torch AdamW's weight decay, no clipping.
		{"optimizer", "magrpo", "toy-coord", nil, func(c Common, _ RunConfig) string {
			return want(c.WeightDecay == 0.01 && c.MaxGradNorm == 0, "weight_decay %v max_grad_norm %v", c.WeightDecay, c.MaxGradNorm)
		}},
		// 6. no second reward shift.
		{"reward shift", "cc", "strbuild-mini", nil, func(c Common, _ RunConfig) string {
			return want(c.RewardShift == 0, "reward_shift %v", c.RewardShift)
		}},
		// 7. the Q advantage of the sampled action (the critic input is TestCriticInputFormat's).
		{"q advantage", "cc", "toy-coord", nil, func(_ Common, cfg RunConfig) string {
			return want(cfg.CC.QAdvantage == QSampled && cfg.CC.CriticType == CriticV, "q_advantage %s critic_type %s", cfg.CC.QAdvantage, cfg.CC.CriticType)
		}},
	}
	for _, tc := range tests {
		cfg, err := ResolveConfig(RunConfig{Env: tc.env, EnvOptions: tc.opts, Algorithm: tc.algo})
		if err != nil {
			t.Fatal(err)
		}
		if msg := tc.check(resolved(tc.algo, tc.env, tc.opts), cfg); msg != "" {
			t.Errorf("%s: %s", tc.name, msg)
		}
	}
	// An explicit 0.0 threshold is a value, kept as given.
	zero := 0.0
	cfg, err := ResolveConfig(RunConfig{Env: "toy-coord", Algorithm: "magrpo", MC: &MCConfig{Common: Common{EarlyTerminationThreshold: &zero}}})
	if err != nil {
		t.Fatal(err)
	}
	if th, on := cfg.MC.earlyTermination(); !on || th != 0 {
		t.Errorf("early_termination_threshold 0.0: on %v at %v", on, th)
	}
}

func want(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, args...)
}
