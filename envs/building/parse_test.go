package building

import (
	"reflect"
	"strings"
	"testing"
)

func TestExtractLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Line
	}{
		{"plain", "/kill\n\n  /kill  \n", []Line{{1, "/kill"}, {3, "/kill"}}},
		{"list markers", "- /kill\n* /kill\n1. /kill\n2) /kill\n--/kill", []Line{{1, "/kill"}, {2, "/kill"}, {3, "/kill"}, {4, "/kill"}, {5, "/kill"}}},
		{"fenced block only", "Here you go:\n```mcfunction\n/kill\n\n/fill 0 0 0 1 1 1 stone\n```\nDone!", []Line{{3, "/kill"}, {5, "/fill 0 0 0 1 1 1 stone"}}},
		{"only the first fenced block", "```\n/kill\n```\ntext\n```\n/kill\n```", []Line{{2, "/kill"}}},
		{"unclosed fence keeps everything", "```\n/kill", []Line{{1, "```"}, {2, "/kill"}}},
		{"crlf", "/kill\r\n/kill\r\n", []Line{{1, "/kill"}, {2, "/kill"}}},
		{"digits without a marker stay", "012o 2)", []Line{{1, "012o 2)"}}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExtractLines(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ExtractLines(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseFull(t *testing.T) {
	tests := []struct {
		line   string
		want   Command // zero Op: a rejection whose reason contains reason
		reason string
	}{
		{line: "/setblock 1 2 3 stone", want: Command{Op: SetBlock, From: [3]int{1, 2, 3}, To: [3]int{1, 2, 3}, Block: "stone"}},
		{line: "/setblock  -1 0 +2   minecraft:oak_planks", want: Command{Op: SetBlock, From: [3]int{-1, 0, 2}, To: [3]int{-1, 0, 2}, Block: "oak_planks"}},
		{line: "/fill 5 0 0 0 6 6 white_concrete", want: Command{Op: Fill, From: [3]int{5, 0, 0}, To: [3]int{0, 6, 6}, Block: "white_concrete"}},
		{line: "/fill 0 0 0 1 1 1 air", want: Command{Op: Fill, To: [3]int{1, 1, 1}, Block: "air"}},
		{line: "/kill", want: Command{Op: Kill}},
		{line: "/kill @e[type=spider]", want: Command{Op: Kill}},
		{line: "/kill spiders", reason: "selector"},
		{line: "/kill @e @a", reason: "selector"},
		{line: "/setblock 1 2 stone", reason: "4 arguments"},
		{line: "/setblock 1 2 3 stone extra", reason: "4 arguments"},
		{line: "/setblock ~ 2 3 stone", reason: "relative"},
		{line: "/setblock ^1 2 3 stone", reason: "relative"},
		{line: "/setblock 1.5 2 3 stone", reason: "not an integer"},
		{line: "/setblock x 2 3 stone", reason: "not an integer"},
		{line: "/setblock 1 2 3 Stone", reason: "lower-case"},
		{line: "/setblock 1 2 3 oak_stairs[facing=north]", reason: "lower-case"},
		{line: "/setblock 1 2 3 minecraft:", reason: "no name"},
		{line: "/fill 0 0 0 1 1 1 stone replace", reason: "no fill modes"},
		{line: "/fill 0 0 0 1 1 stone", reason: "7 arguments"},
		{line: "/SETBLOCK 1 2 3 stone", reason: "unknown command"},
		{line: "/give @p stone", reason: "unknown command"},
		{line: "setblock 1 2 3 stone", reason: "starts with /"},
		{line: "I will now build the letter.", reason: "starts with /"},
	}
	for _, tc := range tests {
		cmds, errs := ParseCommands(tc.line, Dialect{})
		if tc.want.Op == 0 {
			if len(cmds) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Reason, tc.reason) || errs[0].Line != 1 || errs[0].Text != strings.TrimSpace(tc.line) {
				t.Errorf("%q: got cmds %v errs %v, want one rejection mentioning %q", tc.line, cmds, errs, tc.reason)
			}
			continue
		}
		tc.want.Line, tc.want.Text = 1, tc.line
		if len(errs) != 0 || len(cmds) != 1 || !reflect.DeepEqual(cmds[0], tc.want) {
			t.Errorf("%q: got cmds %+v errs %v, want %+v", tc.line, cmds, errs, tc.want)
		}
	}
}

func TestParseCompact(t *testing.T) {
	d := Dialect{Codes: map[byte]string{'o': "oak_planks", 'a': Air}}
	cmds, errs := ParseCommands("012o 000212a\nk 12o 0123456o 01xo 000q", d)
	want := []Command{
		{Op: SetBlock, From: [3]int{0, 1, 2}, To: [3]int{0, 1, 2}, Block: "oak_planks", Line: 1, Text: "012o"},
		{Op: Fill, To: [3]int{2, 1, 2}, Block: Air, Line: 1, Text: "000212a"},
		{Op: Kill, Line: 2, Text: "k"},
	}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("commands = %+v, want %+v", cmds, want)
	}
	reasons := []string{"want xyzC", "want xyzC", "coordinate digit", "unknown block code"}
	if len(errs) != len(reasons) {
		t.Fatalf("errors = %v, want %d", errs, len(reasons))
	}
	for i, r := range reasons {
		if !strings.Contains(errs[i].Reason, r) || errs[i].Line != 2 {
			t.Errorf("error %d = %v, want line 2 mentioning %q", i, errs[i], r)
		}
	}
}

func TestCommandVolumeAndString(t *testing.T) {
	c := Command{Op: Fill, From: [3]int{2, 0, 5}, To: [3]int{0, 1, 5}, Block: "stone"}
	if c.Volume() != 6 {
		t.Errorf("volume = %d, want 6", c.Volume())
	}
	back, errs := ParseCommands(c.String(), Dialect{})
	if len(errs) != 0 || back[0].From != c.From || back[0].To != c.To || back[0].Block != c.Block {
		t.Errorf("round trip of %q: %v %v", c.String(), back, errs)
	}
	if (Command{Op: Kill}).Volume() != 0 || (Command{Op: SetBlock}).Volume() != 1 {
		t.Error("kill volume must be 0 and setblock volume 1")
	}
}

func TestRulesPlay(t *testing.T) {
	box := BoxOfSize(3, 3, 1)
	r := &Rules{Box: box, Ops: []Op{SetBlock, Fill}, Palettes: [][]string{{"stone"}, {"obsidian"}}, MaxCommands: 5}
	if got := r.AgentLimits(); !reflect.DeepEqual(got, []int{3, 2}) {
		t.Fatalf("limits = %v, want [3 2]", got)
	}
	world, err := NewGrid(box, []string{"stone", "obsidian"})
	if err != nil {
		t.Fatal(err)
	}
	inv := []map[string]int{{"stone": 3}, {"obsidian": 10}}
	tr, err := r.Play(world, inv, []string{
		"/setblock 0 0 0 stone\nhello\n/setblock 0 0 0 obsidian\n/setblock 3 0 0 stone\n/kill\n/fill 0 1 0 2 1 0 stone\n/setblock 2 2 0 stone",
		"/setblock 0 0 0 obsidian\n/setblock 1 1 0 air\n/setblock 2 2 0 obsidian",
	}, Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	// Agent 1: the first setblock is accepted; "hello" fails to parse; obsidian is not its
	// block; x=3 is outside; /kill is not offered; the fill needs 3 stone but 2 are left;
	// the last setblock is its 2nd accepted command. Agent 2: two accepted, the third is past
	// its share of 2.
	if got := [2]int{len(tr.Accepted[0]), len(tr.Accepted[1])}; got != [2]int{2, 2} {
		t.Errorf("accepted = %v, want [2 2]", got)
	}
	if tr.Invalid() != 6 || tr.AcceptedCount() != 4 || tr.Killed {
		t.Errorf("invalid %d accepted %d killed %v, want 6 4 false; rejected %v", tr.Invalid(), tr.AcceptedCount(), tr.Killed, tr.Rejected)
	}
	wantReasons := []string{"not a command", "palette", "outside", "not available", "needs 3 stone, agent 1 has 2 left", "limit of 2"}
	var got []string
	for _, rej := range tr.Rejected {
		for _, e := range rej {
			got = append(got, e.Reason)
		}
	}
	for i, w := range wantReasons {
		if i >= len(got) || !strings.Contains(got[i], w) {
			t.Errorf("rejection %d = %q, want it to mention %q (all: %q)", i, got, w, got)
		}
	}
	// Agent 2 runs after agent 1, so it overwrites (0,0,0).
	if world.At(0, 0, 0) != "obsidian" || world.At(2, 2, 0) != "stone" || world.At(1, 1, 0) != Air {
		t.Errorf("world:\n%s", world.Render(func(b string) byte { return b[0] }))
	}
	if inv[0]["stone"] != 1 || inv[1]["obsidian"] != 9 {
		t.Errorf("inventories = %v, want stone 1, obsidian 9 (air is free)", inv)
	}
	if _, err := r.Play(world, nil, []string{"one"}, Dialect{}); err == nil {
		t.Error("one response for two agents: want an error")
	}
}

func TestGrid(t *testing.T) {
	box := Box{Min: [3]int{-1, 0, 2}, Max: [3]int{1, 1, 3}}
	g, err := NewGrid(box, []string{"stone", "stone", "dirt"})
	if err != nil {
		t.Fatal(err)
	}
	if box.Volume() != 12 || len(g.Blocks()) != 3 {
		t.Fatalf("volume %d blocks %v", box.Volume(), g.Blocks())
	}
	if err := g.Fill(1, 1, 3, -1, 0, 2, "stone"); err != nil {
		t.Fatal(err)
	}
	c := g.Clone()
	if err := c.Set(0, 1, 2, "dirt"); err != nil {
		t.Fatal(err)
	}
	if g.Count("stone") != 12 || c.Count("stone") != 11 || c.Count("dirt") != 1 || c.At(0, 1, 2) != "dirt" {
		t.Errorf("counts: original %d, clone %d/%d", g.Count("stone"), c.Count("stone"), c.Count("dirt"))
	}
	if g.Set(2, 0, 2, "stone") == nil || g.Set(0, 0, 2, "gold") == nil {
		t.Error("want errors outside the box and for unknown blocks")
	}
	if g.At(5, 5, 5) != Air {
		t.Error("outside the box is air")
	}
	if _, err := NewGrid(Box{Max: [3]int{-1, 0, 0}}, nil); err == nil {
		t.Error("want an error for an empty box")
	}
	flat, _ := NewGrid(BoxOfSize(2, 2, 1), []string{"stone"})
	_ = flat.Set(0, 1, 0, "stone")
	if got := flat.Render(func(string) byte { return 'S' }); got != "S.\n..\n" {
		t.Errorf("render = %q", got)
	}
}
