package building

import (
	"fmt"
	"strings"

	"github.com/collm/collm/envs"
)

func init() {
	envs.Register(envs.Registration{
		Name:    "strbuild",
		Summary: "StrBuild: 2 agents build the letters of a string with /setblock in a voxel world, 4 turns",
		Options: strOptions(StrConfig{}, "2", "4", "300", "2"),
		New:     func(o *envs.Options) (envs.Env, error) { return newStrFromOptions(StrConfig{}, o, true) },
	})
	envs.Register(envs.Registration{
		Name:    "strbuild-mini",
		Summary: "StrBuild on 3x3 letters with compact xyzC commands and a word-level vocabulary, for tiny CPU models",
		Options: strOptions(MiniStrConfig(), "2", "2", "24", "1"),
		New:     func(o *envs.Options) (envs.Env, error) { return newStrFromOptions(MiniStrConfig(), o, false) },
	})
	envs.Register(envs.Registration{
		Name:    "housebuild",
		Summary: "HouseBuild: 2 agents /fill a layered house blueprint with limited blocks while spiders attack, 4 turns",
		Options: houseOptions("2", "4", "600", true),
		New:     func(o *envs.Options) (envs.Env, error) { return newHouseFromOptions(HouseConfig{}, o, true) },
	})
	envs.Register(envs.Registration{
		Name:    "housebuild-mini",
		Summary: "HouseBuild on 3x2x3 huts with compact xyzXYZC/k commands and a word-level vocabulary, for tiny CPU models",
		Options: houseOptions("2", "2", "16", false),
		New:     func(o *envs.Options) (envs.Env, error) { return newHouseFromOptions(MiniHouseConfig(), o, false) },
	})
}

func commonOptions(agents, turns, maxCommands, feedbackDefault, feedbackHelp string) []envs.Option {
	return []envs.Option{
		{Name: "agents", Default: agents, Help: "number of agents, 1..4"},
		{Name: "turns", Default: turns, Help: "turns per episode, 1..8"},
		{Name: "max_commands", Default: maxCommands, Help: "commands per turn of all agents together, split evenly (agent 1 gets the remainder)"},
		{Name: "feedback", Default: feedbackDefault, Help: feedbackHelp},
		{Name: "dense", Default: "true", Help: "true: a reward every turn; false: only at the last turn (earlier turns pay 0)"},
		{Name: "carry", Default: "true", Help: "true: the world (and inventories) persist across turns; false: each turn starts empty, as the reference scores it"},
	}
}

func strOptions(base StrConfig, agents, turns, maxCommands, spacing string) []envs.Option {
	opts := commonOptions(agents, turns, maxCommands, FeedbackPosition,
		"position (letter positions, current world, previous commands), score (Previous reward: x.xxxx, prompt, previous commands) or none")
	evalDefault := "ICML,CLIM"
	if base.Tasks != nil {
		evalDefault = strings.Join(base.EvalIDs, ",")
	}
	opts = append(opts,
		envs.Option{Name: "eval", Default: evalDefault, Help: "comma-separated task ids held out for evaluation; empty for none"},
		envs.Option{Name: "spacing", Default: spacing, Help: "empty columns between letters, >= 0"},
		envs.Option{Name: "shift", Default: "-2", Help: "constant added to the score (reward = score + shift)"},
	)
	if base.Tasks == nil {
		opts = append(opts, envs.Option{Name: "data", Default: "", Help: "path to a StrBuild CSV (columns string,difficulty); empty: the embedded dataset"})
	} else {
		opts = append(opts, shapingOption(MiniStrShaping))
	}
	return opts
}

func houseOptions(agents, turns, maxCommands string, real bool) []envs.Option {
	opts := commonOptions(agents, turns, maxCommands, FeedbackScore, "score (Previous reward: x.xxxx, prompt, previous commands) or none")
	evalDefault := strings.Join(MiniHouseEval, ",")
	if real {
		evalDefault = "house_build_0108,house_build_0109"
	}
	opts = append(opts,
		envs.Option{Name: "eval", Default: evalDefault, Help: "comma-separated task ids held out for evaluation; empty for none"},
		envs.Option{Name: "resources", Default: "true", Help: "true: each agent has ceil(c/n)+floor(c/2n) of each block (c in the blueprint); false: unlimited"},
		envs.Option{Name: "hp", Default: "5", Help: "player hit points, >= 1"},
		envs.Option{Name: "spiders", Default: "3", Help: "spiders attacking each turn, >= 0"},
		envs.Option{Name: "spider_min", Default: "1", Help: "least damage of one spider attack"},
		envs.Option{Name: "spider_max", Default: "3", Help: "most damage of one spider attack"},
		envs.Option{Name: "shift", Default: "-1", Help: "constant added to the score (reward = score + shift)"},
	)
	if real {
		opts = append(opts, envs.Option{Name: "data", Default: "", Help: "path to a HouseBuild JSON (list of y_layers blueprints); empty: the embedded 10 blueprints"})
	} else {
		opts = append(opts, shapingOption(MiniHouseShaping))
	}
	return opts
}

func shapingOption(w float64) envs.Option {
	return envs.Option{Name: "shaping", Default: "false", Help: fmt.Sprintf(
		"false: the exact game reward; true: add %g*(format_shaping-1), partial credit for answers closer to accepted commands (less than one correct block), for byte-level agents that must first learn the command format", w)}
}

// splitIDs splits a comma-separated list, dropping blanks; it returns an empty non-nil slice
// for an empty list.
func splitIDs(s string) []string {
	out := []string{}
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func newStrFromOptions(cfg StrConfig, o *envs.Options, real bool) (envs.Env, error) {
	cfg.Agents = o.IntRange("agents", 1, len(AgentPalettes))
	cfg.Turns = o.IntRange("turns", 1, 8)
	cfg.MaxCommands = o.IntRange("max_commands", 1, 1<<20)
	cfg.Feedback = o.Choice("feedback", FeedbackPosition, FeedbackScore, FeedbackNone)
	cfg.Sparse = !o.Bool("dense")
	cfg.ResetWorld = !o.Bool("carry")
	cfg.EvalIDs = splitIDs(o.String("eval"))
	if sp := o.IntRange("spacing", 0, 100); sp == 0 {
		cfg.Spacing = -1
	} else {
		cfg.Spacing = sp
	}
	shift := o.Float("shift")
	cfg.Shift = &shift
	if !real && o.Bool("shaping") {
		cfg.Shaping = MiniStrShaping
	}
	if real {
		tasks, err := LoadStrTasks(o.String("data"))
		if err != nil {
			return nil, err
		}
		cfg.Tasks = tasks
	}
	if err := o.Err(); err != nil {
		return nil, err
	}
	return NewStrBuild(cfg)
}

func newHouseFromOptions(cfg HouseConfig, o *envs.Options, real bool) (envs.Env, error) {
	cfg.Agents = o.IntRange("agents", 1, 4)
	cfg.Turns = o.IntRange("turns", 1, 8)
	cfg.MaxCommands = o.IntRange("max_commands", 1, 1<<20)
	cfg.Feedback = o.Choice("feedback", FeedbackScore, FeedbackNone)
	cfg.Sparse = !o.Bool("dense")
	cfg.ResetWorld = !o.Bool("carry")
	cfg.EvalIDs = splitIDs(o.String("eval"))
	cfg.Unlimited = !o.Bool("resources")
	cfg.HP = o.IntRange("hp", 1, 1<<20)
	spiders := o.IntRange("spiders", 0, 1000)
	cfg.Spiders, cfg.NoSpiders = spiders, spiders == 0
	cfg.SpiderMin = o.IntRange("spider_min", 0, 1<<20)
	cfg.SpiderMax = o.IntRange("spider_max", 0, 1<<20)
	if cfg.SpiderMax == 0 {
		cfg.NoSpiders = true // zero damage; keeps HouseConfig's 1..3 default from applying
	}
	if o.Err() == nil && cfg.SpiderMax < cfg.SpiderMin {
		return nil, fmt.Errorf("option spider_max=%d is below spider_min=%d", cfg.SpiderMax, cfg.SpiderMin)
	}
	shift := o.Float("shift")
	cfg.Shift = &shift
	if !real && o.Bool("shaping") {
		cfg.Shaping = MiniHouseShaping
	}
	if real {
		bps, err := LoadBlueprints(o.String("data"))
		if err != nil {
			return nil, err
		}
		cfg.Blueprints = bps
	}
	if err := o.Err(); err != nil {
		return nil, err
	}
	return NewHouseBuild(cfg)
}
