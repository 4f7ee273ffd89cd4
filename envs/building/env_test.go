package building

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
)

// sharedData is the repository's test data, relative to this package.
const sharedData = "../../../shared/data/minecraft"

func TestRegistry(t *testing.T) {
	for _, tc := range []struct {
		name          string
		agents, turns int
		tasks         int
		eval          []string
	}{
		{"strbuild", 2, 4, 10, []string{"ICML", "CLIM"}},
		{"housebuild", 2, 4, 10, []string{"house_build_0108", "house_build_0109"}},
		{"strbuild-mini", 2, 2, len(MiniStrTasks), MiniStrEval},
		{"housebuild-mini", 2, 2, len(MiniBlueprints), MiniHouseEval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := envs.New(tc.name, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s := e.Spec(); s.Name != tc.name || s.NumAgents != tc.agents || s.MaxTurns != tc.turns || e.NumTasks() != tc.tasks {
				t.Errorf("spec %+v with %d tasks", s, e.NumTasks())
			}
			split := e.(envs.EvalSplitter)
			namer := e.(envs.TaskNamer)
			var evalIDs []string
			for _, i := range split.EvalTasks() {
				evalIDs = append(evalIDs, namer.TaskID(i))
			}
			if !sameSet(evalIDs, tc.eval) || len(split.TrainTasks())+len(split.EvalTasks()) != tc.tasks {
				t.Errorf("eval %v, train %v; want eval %v", evalIDs, split.TrainTasks(), tc.eval)
			}
			for i := range e.NumTasks() {
				if j, err := namer.TaskIndex(namer.TaskID(i)); err != nil || j != i {
					t.Errorf("TaskIndex(TaskID(%d)) = %d, %v", i, j, err)
				}
			}
			if _, err := namer.TaskIndex("nope"); err == nil {
				t.Error("want an error for an unknown task id")
			}
			e2, err := envs.New(tc.name, map[string]string{"agents": "3", "turns": "5", "dense": "false", "carry": "false", "eval": ""})
			if err != nil {
				t.Fatal(err)
			}
			if s := e2.Spec(); s.NumAgents != 3 || s.MaxTurns != 5 || len(e2.(envs.EvalSplitter).EvalTasks()) != 0 {
				t.Errorf("options not applied: %+v", s)
			}
			for _, bad := range []map[string]string{{"agents": "9"}, {"turns": "0"}, {"dense": "maybe"}, {"feedback": "loud"}, {"color": "red"}, {"eval": "ZZZ"}} {
				if _, err := envs.New(tc.name, bad); err == nil {
					t.Errorf("options %v: want an error", bad)
				}
			}
		})
	}
	if _, err := envs.New("strbuild", map[string]string{"data": "/nonexistent.csv"}); err == nil || !strings.Contains(err.Error(), "nonexistent") {
		t.Errorf("bad data path: %v", err)
	}
	if _, err := envs.New("housebuild", map[string]string{"spider_min": "3", "spider_max": "1"}); err == nil {
		t.Error("spider_max < spider_min: want an error")
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

// TestSharedData checks the embedded copies against the repository's data and the data option.
func TestSharedData(t *testing.T) {
	for _, f := range []struct {
		file     string
		embedded []byte
	}{{"strbuild.csv", embeddedStrCSV}, {"housebuild.json", embeddedHouseJSON}} {
		b, err := os.ReadFile(sharedData + "/" + f.file)
		if err != nil {
			t.Skipf("shared data not available: %v", err)
		}
		if !bytes.Equal(b, f.embedded) {
			t.Errorf("embedded %s differs from %s", f.file, sharedData)
		}
	}
	e, err := envs.New("strbuild", map[string]string{"data": sharedData + "/strbuild.csv"})
	if err != nil || e.NumTasks() != 10 {
		t.Fatalf("strbuild from the data option: %v", err)
	}
	h, err := envs.New("housebuild", map[string]string{"data": sharedData + "/housebuild.json"})
	if err != nil || h.NumTasks() != 10 || h.(envs.TaskNamer).TaskID(0) != "house_build_0002" {
		t.Fatalf("housebuild from the data option: %v", err)
	}
}

func TestParseDataErrors(t *testing.T) {
	for _, tc := range []struct{ csv, want string }{
		{"text,difficulty\nI,1\n", "columns string and difficulty"},
		{"string,difficulty\nI,x\n", "row 2"},
		{"string,difficulty\nI,1\ni,2\n", "duplicate"},
		{"string,difficulty\n", "no tasks"},
	} {
		if _, err := ParseStrTasks(strings.NewReader(tc.csv)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("csv %q: error %v, want %q", tc.csv, err, tc.want)
		}
	}
	if _, err := NewStrBuild(StrConfig{Tasks: []StrTask{{ID: "X1", Text: "X1"}}}); err == nil || !strings.Contains(err.Error(), "no glyph") {
		t.Errorf("a digit: error %v, want no glyph", err)
	}
	good := `{"task_id":"h","inventory":{"C":"stone","A":"air"},"count":{"C":1,"A":1},"target_spec":{"type":"y_layers","size":[2,1,1],"layers":[{"y":0,"rows":["CA"]}]}}`
	if bps, err := ParseBlueprints(strings.NewReader("[" + good + "]")); err != nil || bps[0].Box != BoxOfSize(2, 1, 1) {
		t.Fatalf("good blueprint: %v %v", bps, err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`"C":1,"A":1`, `"C":2,"A":0`, "count[A]"},
		{`"rows":["CA"]`, `"rows":["CX"]`, "not in the inventory"},
		{`"rows":["CA"]`, `"rows":["CAA"]`, "size"},
		{`"y":0,`, ``, "no y"},
		{`"C":"stone"`, `"C":"Stone"`, "inventory[C]"},
		{`"type":"y_layers"`, `"type":"voxels"`, "only y_layers"},
	} {
		bad := strings.Replace(good, tc.from, tc.to, 1)
		if _, err := ParseBlueprints(strings.NewReader("[" + bad + "]")); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", bad, err, tc.want)
		}
	}
}

func TestFonts(t *testing.T) {
	for _, f := range []Font{Font5x5, Font3x3} {
		seen := map[string]rune{}
		for r, g := range f.Glyphs {
			if len(g) != f.Height {
				t.Errorf("font %s %c: %d rows", f.Name, r, len(g))
			}
			for _, row := range g {
				if len(row) != f.Width || strings.Trim(row, "#.") != "" {
					t.Errorf("font %s %c: bad row %q", f.Name, r, row)
				}
			}
			key := strings.Join(g, "/")
			if other, dup := seen[key]; dup {
				t.Errorf("font %s: %c and %c look the same", f.Name, r, other)
			}
			seen[key] = r
		}
	}
	if len(Font5x5.Glyphs) != 26 {
		t.Errorf("Font5x5 has %d letters, want 26", len(Font5x5.Glyphs))
	}
	rows, err := Font5x5.Render("ICML", 2)
	if err != nil || len(rows[0]) != 4*5+3*2 {
		t.Errorf("ICML: %v %v", rows, err)
	}
}

// TestEpisode checks immutability, carry, reset, sparse rewards and the feedback prompts.
func TestEpisode(t *testing.T) {
	e, err := NewStrBuild(StrConfig{Tasks: []StrTask{{ID: "L", Text: "L"}}, Font: Font3x3, Spacing: 1, Turns: 3})
	if err != nil {
		t.Fatal(err)
	}
	s0, _ := e.Reset(0, 3)
	p0 := s0.Prompts()
	turn1 := []string{"/setblock 0 0 0 oak_planks\n/setblock 2 0 0 stone", "/setblock 1 0 0 white_concrete"}
	a, _ := s0.Step(turn1)
	b, _ := s0.Step(turn1)
	if !reflect.DeepEqual(a.Parts, b.Parts) || a.Reward != b.Reward || !reflect.DeepEqual(a.Next.Prompts(), b.Next.Prompts()) {
		t.Error("stepping the same state twice must give the same transition")
	}
	if _, err := s0.Step([]string{"only one"}); err == nil {
		t.Error("want an error for the wrong number of responses")
	}
	if !reflect.DeepEqual(s0.Prompts(), p0) || s0.Turn() != 0 {
		t.Error("Step changed its receiver")
	}
	// Position feedback: positions, the world so far, the previous commands.
	next := a.Next.Prompts()[0]
	for _, want := range []string{"Position feedback (turn 2 of 3)", "- (0, 2, 0)", "about 2", "o=oak_planks s=stone w=white_concrete b=obsidian", "Your previous commands:\n/setblock 0 0 0 oak_planks"} {
		if !strings.Contains(next, want) {
			t.Errorf("turn-2 prompt lacks %q:\n%s", want, next)
		}
	}
	if !strings.Contains(next, "\nows\n") {
		t.Errorf("turn-2 prompt should show the world's bottom row \"ows\":\n%s", next)
	}
	// Carry: turn 2 adds (0,1) and (0,2) to the world of turn 1.
	c, _ := a.Next.Step([]string{"/setblock 0 2 0 oak_planks", "/setblock 0 1 0 obsidian"})
	if c.Parts["coverage"] != 1 || c.Info["score"] != 2 {
		t.Errorf("carried world: parts %v", c.Parts)
	}
	if p := c.Next.Prompts()[0]; !strings.Contains(p, "o..\nb..\nows\n") {
		t.Errorf("turn-3 prompt should show the carried world (\"o..\", \"b..\", \"ows\"):\n%s", p)
	}
	final, _ := c.Next.Step([]string{"", ""})
	if !final.Done || final.Next != nil || final.Reward != 0 {
		t.Errorf("final turn: %+v", final)
	}

	// carry=false: turn 2 is scored alone.
	r, _ := NewStrBuild(StrConfig{Tasks: []StrTask{{ID: "L", Text: "L"}}, Font: Font3x3, Spacing: 1, Turns: 2, ResetWorld: true})
	rs, _ := r.Reset(0, 3)
	ra, _ := rs.Step(turn1)
	rb, _ := ra.Next.Step([]string{"/setblock 0 2 0 oak_planks", "/setblock 0 1 0 obsidian"})
	if math.Abs(rb.Parts["coverage"]-0.4) > eps {
		t.Errorf("reset world: coverage %v, want 0.4", rb.Parts["coverage"])
	}

	// Sparse: 0 until the last turn, parts still reported.
	sp, _ := NewStrBuild(StrConfig{Tasks: []StrTask{{ID: "L", Text: "L"}}, Font: Font3x3, Spacing: 1, Turns: 2, Sparse: true})
	ss, _ := sp.Reset(0, 3)
	sa, _ := ss.Step(turn1)
	sb, _ := sa.Next.Step([]string{"/setblock 0 2 0 oak_planks", "/setblock 0 1 0 obsidian"})
	if sa.Reward != 0 || sa.Parts["coverage"] != 0.6 || sb.Reward != 0 {
		t.Errorf("sparse: rewards %v %v, parts %v", sa.Reward, sb.Reward, sa.Parts)
	}
}

func TestHouseEpisode(t *testing.T) {
	e := hutEnv(t, 1, 2)
	s0, _ := e.Reset(0, 9)
	a, _ := s0.Step([]string{"/fill 0 0 0 2 0 2 white_concrete", "/kill"})
	p := a.Next.Prompts()[0]
	want := fmt.Sprintf("Score feedback:\n- Turn: 2\n- Previous reward: %.4f\n\nYou are agent 1", 10.0/18)
	if !strings.Contains(p, want) || !strings.Contains(p, "white_concrete 4") || !strings.HasSuffix(p, "Your previous commands:\n/fill 0 0 0 2 0 2 white_concrete") {
		t.Errorf("turn-2 prompt:\n%s", p)
	}
	// Inventories persist: agent 1 has 4 concrete left, so the ring (9) is rejected for it
	// but not for agent 2.
	b, _ := a.Next.Step([]string{"/fill 0 1 0 2 1 2 white_concrete", "/fill 0 1 0 2 1 2 white_concrete\n/fill 1 1 1 1 1 1 air\n/kill"})
	if b.Parts["match_fraction"] != 1 || b.Parts["invalid_commands"] != 1 || b.Info["resource_rejections"] != 1 || !b.Done {
		t.Errorf("turn 2: %+v", b)
	}
}

// oracleStr returns responses that build a StrBuild target perfectly: letter cells alternate
// between agents like a checkerboard (touching cells always belong to different agents), and
// each agent alternates its two blocks.
func oracleStr(target StrTarget, agents int, compact bool) []string {
	out := make([]string, agents)
	used := make([]int, agents)
	for _, p := range target.Positions() {
		a := (p[0] + p[1]) % agents
		block := AgentPalettes[a][used[a]%2]
		used[a]++
		if compact {
			out[a] += fmt.Sprintf("%d%d%d%c ", p[0], p[1], p[2], codeOf(strCodes, block))
		} else {
			out[a] += fmt.Sprintf("/setblock %d %d %d %s\n", p[0], p[1], p[2], block)
		}
	}
	return out
}

// oracleHouse builds a blueprint with compact fills: per layer, runs of equal blocks along x
// are merged across z into rectangles; each rectangle goes to the agent with the most of its
// block left, and one that no agent can afford is split into its rows, then cells. Air needs
// nothing (the world starts empty). The agent with the fewest commands adds a /kill.
func oracleHouse(bp *Blueprint, agents int, inv []map[string]int, codes func(string) byte) []string {
	type rect struct {
		x1, z1, x2, z2 int
		block          string
	}
	out := make([]string, agents)
	var place func(y int, r rect)
	place = func(y int, r rect) {
		vol := (r.x2 - r.x1 + 1) * (r.z2 - r.z1 + 1)
		a := -1 // the agent with the fewest commands among those that can afford it
		for j := range agents {
			if inv[j][r.block] >= vol && (a < 0 || strings.Count(out[j], " ") < strings.Count(out[a], " ")) {
				a = j
			}
		}
		switch {
		case a >= 0:
			inv[a][r.block] -= vol
			out[a] += fmt.Sprintf("%d%d%d%d%d%d%c ", r.x1, y, r.z1, r.x2, y, r.z2, codes(r.block))
		case r.z1 < r.z2:
			for z := r.z1; z <= r.z2; z++ {
				place(y, rect{r.x1, z, r.x2, z, r.block})
			}
		default:
			for x := r.x1; x <= r.x2; x++ {
				place(y, rect{x, r.z1, x, r.z1, r.block})
			}
		}
	}
	for i, layer := range bp.Layers {
		var open []rect // rectangles that end at the previous row
		var done []rect
		for z, row := range layer {
			var next []rect
			for x1 := 0; x1 < len(row); {
				x2 := x1
				for x2+1 < len(row) && row[x2+1] == row[x1] {
					x2++
				}
				r := rect{x1, z, x2, z, bp.BlockOf(row[x1])}
				for k, o := range open {
					if o.x1 == x1 && o.x2 == x2 && o.block == r.block {
						r.z1 = o.z1
						open = append(open[:k], open[k+1:]...)
						break
					}
				}
				next = append(next, r)
				x1 = x2 + 1
			}
			done = append(done, open...)
			open = next
		}
		for _, r := range append(done, open...) {
			if r.block != Air {
				place(bp.Box.Min[1]+i, r)
			}
		}
	}
	k := 0
	for j := range agents {
		if strings.Count(out[j], " ") < strings.Count(out[k], " ") {
			k = j
		}
	}
	out[k] += "k"
	return out
}

// TestMiniSolvable shows that every mini task can reach the best reward (0) with short
// answers, so a tiny model has something to learn all the way up.
func TestMiniSolvable(t *testing.T) {
	longest := 0
	se, _ := envs.New("strbuild-mini", nil)
	g := se.(*miniStrEnv).game.(*strGame)
	for task := range se.NumTasks() {
		resp := oracleStr(g.targets[task], 2, true)
		s, _ := se.Reset(task, 1)
		tr, _ := s.Step(resp)
		if math.Abs(tr.Reward) > eps || tr.Parts["invalid_commands"] != 0 {
			t.Errorf("strbuild-mini %s: reward %v parts %v for %q", g.taskID(task), tr.Reward, tr.Parts, resp)
		}
		for _, r := range resp {
			longest = max(longest, len(r))
		}
	}
	he, _ := envs.New("housebuild-mini", nil)
	hg := he.(*miniHouseEnv).game.(*houseGame)
	for task := range he.NumTasks() {
		_, inv := hg.start(task)
		resp := oracleHouse(&hg.cfg.Blueprints[task], 2, inv, hg.code)
		s, _ := he.Reset(task, 1)
		tr, _ := s.Step(resp)
		if math.Abs(tr.Reward) > eps || tr.Parts["invalid_commands"] != 0 {
			t.Errorf("housebuild-mini %s: reward %v parts %v for %q", hg.taskID(task), tr.Reward, tr.Parts, resp)
		}
		for _, r := range resp {
			longest = max(longest, len(r))
		}
	}
	t.Logf("longest oracle response: %d bytes", longest)
	if longest > 48 {
		t.Errorf("oracle responses up to %d bytes: the mini tasks should fit ~40", longest)
	}
	// The real StrBuild tasks are solvable too (2 agents, full syntax).
	re, _ := envs.New("strbuild", nil)
	rg := re.(*strEnv).game.(*strGame)
	for task := range re.NumTasks() {
		s, _ := re.Reset(task, 1)
		tr, _ := s.Step(oracleStr(rg.targets[task], 2, false))
		if math.Abs(tr.Reward) > eps {
			t.Errorf("strbuild %s: reward %v parts %v", rg.taskID(task), tr.Reward, tr.Parts)
		}
	}
}

// TestMiniPrompts checks the compact prompts of every feedback mode against hand-written ones.
func TestMiniPrompts(t *testing.T) {
	step := func(e envs.Env, task int, answers ...[]string) envs.State {
		s, err := e.Reset(task, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range answers {
			tr, err := s.Step(a)
			if err != nil {
				t.Fatal(err)
			}
			s = tr.Next
		}
		return s
	}
	se, _ := envs.New("strbuild-mini", nil)
	ss, _ := envs.New("strbuild-mini", map[string]string{"feedback": "score", "turns": "3"})
	sr, _ := envs.New("strbuild-mini", map[string]string{"carry": "false"})
	sn, _ := envs.New("strbuild-mini", map[string]string{"feedback": "none"})
	he, _ := envs.New("housebuild-mini", nil)
	hu, _ := envs.New("housebuild-mini", map[string]string{"resources": "false", "spiders": "0", "feedback": "none"})
	// On L (task 2) the 4 blocks are letter cells with no equal neighbours: score 2*4/5 = 1.6 on L,
	// 2*4/12 = 0.67 on LI (task 6). Agent 2's k is not a StrBuild command.
	l := []string{"000o 020s", "010w\n\n100b  k"}
	// Agent 1 can pay for the bottom layer (9 of its 13 blocks) but not the ring (9 more); with
	// the bottom and the air in the middle, 10 of 18 cells match.
	hut := []string{"000202c 010212c k", "111111a"}
	d0, d1 := SpiderDamage(1, 0, 3, 1, 3), SpiderDamage(1, 1, 3, 1, 3)
	for _, tc := range []struct {
		name  string
		state envs.State
		agent int
		want  string
	}{
		{"strbuild-mini turn 1", step(se, 2), 0, "L os t1/2"},
		{"strbuild-mini position feedback", step(se, 2, l), 1, "L wb t2/2\n= 020s 010w 000o 100b"},
		{"strbuild-mini score feedback", step(ss, 6, l, l), 0, "LI os t3/3 r0.67\n> 000o 020s"},
		{"strbuild-mini carry=false", step(sr, 2, l), 1, "L wb t2/2\n> 010w 100b k"},
		{"strbuild-mini feedback=none", step(sn, 2, l), 0, "L os t2/2"},
		{"housebuild-mini turn 1", step(he, 0), 0, fmt.Sprintf("t1/2 c13 s%d\n ccc ccc ccc\n ccc c.c ccc", d0)},
		{"housebuild-mini score feedback", step(he, 0, hut), 1,
			fmt.Sprintf("t2/2 c13 s%d r0.56\n ccc ccc ccc\n ccc c.c ccc\n> 111111a", d1)},
		{"housebuild-mini unlimited, no spiders", step(hu, 3, hut), 0, "t2/2\n ccc ccc ccc\n o.o ... o.o"},
	} {
		if got := tc.state.Prompts()[tc.agent]; got != tc.want {
			t.Errorf("%s: prompt %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestHouseResetWorld checks that with carry=false every turn starts from an empty world and
// the full allowance, and that the prompt says so.
func TestHouseResetWorld(t *testing.T) {
	e, err := NewHouseBuild(HouseConfig{Blueprints: MiniBlueprints[:1], Turns: 2, ResetWorld: true})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.Reset(0, 1)
	a, _ := s.Step([]string{"/fill 0 0 0 2 0 2 white_concrete", "/kill"})
	if p := a.Next.Prompts()[0]; !strings.Contains(p, "Your blocks for each turn (air is free): white_concrete 13.") {
		t.Errorf("turn-2 prompt:\n%s", p)
	}
	b, _ := a.Next.Step([]string{"/fill 0 1 0 2 1 2 white_concrete", "/kill"})
	// Only the ring layer (and the middle, now concrete) is built: 8 of 18 cells match.
	if math.Abs(b.Parts["match_fraction"]-8.0/18) > eps || b.Parts["invalid_commands"] != 0 {
		t.Errorf("turn 2 of a reset world: %v", b.Parts)
	}
}
