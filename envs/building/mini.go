package building

// MiniStrTasks are the strbuild-mini strings; the last two are held out for evaluation.
var MiniStrTasks = []StrTask{
	{ID: "I", Text: "I", Difficulty: 1},
	{ID: "C", Text: "C", Difficulty: 1},
	{ID: "L", Text: "L", Difficulty: 1},
	{ID: "T", Text: "T", Difficulty: 1},
	{ID: "H", Text: "H", Difficulty: 1},
	{ID: "U", Text: "U", Difficulty: 1},
	{ID: "LI", Text: "LI", Difficulty: 2},
	{ID: "IC", Text: "IC", Difficulty: 2},
	{ID: "CL", Text: "CL", Difficulty: 2},
	{ID: "TI", Text: "TI", Difficulty: 2},
}

// MiniStrEval are the held-out strbuild-mini tasks.
var MiniStrEval = []string{"CL", "TI"}

// miniLegend are the block codes of housebuild-mini; 'a' is air ('.' in prompts).
var miniLegend = []LegendEntry{
	{'c', "white_concrete"}, {'b', "stone_bricks"}, {'o', "obsidian"}, {'d', "planks"}, {'a', Air},
}

// miniHouse builds a 3x2x3 blueprint from two layers of three z rows each.
func miniHouse(id string, y0, y1 [3]string) Blueprint {
	return Blueprint{ID: id, Box: BoxOfSize(3, 2, 3), Legend: miniLegend, Layers: [][]string{y0[:], y1[:]}}
}

// MiniBlueprints are the housebuild-mini huts; the last two are held out for evaluation.
var MiniBlueprints = []Blueprint{
	miniHouse("mini_house_01", [3]string{"ccc", "ccc", "ccc"}, [3]string{"ccc", "cac", "ccc"}),
	miniHouse("mini_house_02", [3]string{"ccc", "ccc", "ccc"}, [3]string{"cac", "cac", "ccc"}),
	miniHouse("mini_house_03", [3]string{"bbb", "bbb", "bbb"}, [3]string{"bbb", "bab", "bbb"}),
	miniHouse("mini_house_04", [3]string{"ccc", "ccc", "ccc"}, [3]string{"oao", "aaa", "oao"}),
	miniHouse("mini_house_05", [3]string{"bbb", "bbb", "bbb"}, [3]string{"ccc", "cac", "ccc"}),
	miniHouse("mini_house_06", [3]string{"ccc", "cac", "ccc"}, [3]string{"bbb", "bbb", "bbb"}),
	miniHouse("mini_house_07", [3]string{"ddd", "ddd", "ddd"}, [3]string{"dad", "aaa", "dad"}),
	miniHouse("mini_house_08", [3]string{"ccc", "ccc", "ccc"}, [3]string{"oco", "cac", "oco"}),
	miniHouse("mini_house_09", [3]string{"bbb", "bbb", "bbb"}, [3]string{"bab", "bab", "bbb"}),
	miniHouse("mini_house_10", [3]string{"ddd", "ddd", "ddd"}, [3]string{"obo", "bab", "obo"}),
}

// MiniHouseEval are the held-out housebuild-mini tasks.
var MiniHouseEval = []string{"mini_house_09", "mini_house_10"}

// MiniStrConfig returns the strbuild-mini configuration (before options): the compact syntax
// and prompts with a word-level vocabulary (see miniStrEnv.Vocab), 2 turns, 24 commands per
// turn, the exact game reward (no format shaping; see MiniStrShaping).
func MiniStrConfig() StrConfig {
	return StrConfig{
		Name: "strbuild-mini", Tasks: MiniStrTasks, EvalIDs: MiniStrEval, Font: Font3x3, Spacing: 1,
		Turns: 2, MaxCommands: 24, Compact: true,
	}
}

// MiniHouseConfig returns the housebuild-mini configuration (before options): the compact
// syntax and prompts with a word-level vocabulary (see miniHouseEnv.Vocab), 2 turns, 16
// commands per turn, the exact game reward (no format shaping; see MiniHouseShaping).
func MiniHouseConfig() HouseConfig {
	return HouseConfig{
		Name: "housebuild-mini", Blueprints: MiniBlueprints, EvalIDs: MiniHouseEval,
		Turns: 2, MaxCommands: 16, Compact: true,
	}
}
