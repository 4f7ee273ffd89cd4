package building

import (
	"fmt"
	"strings"

	"github.com/collm/collm/envs"
)

// HouseConfig configures a HouseBuild environment. Its zero value, after defaults, is the
// paper's task: the embedded 10 blueprints, 2 agents, 4 turns, 600 commands, limited resources,
// player hp 5, 3 spiders hitting for 1-3 each, score feedback, dense reward, a world (and
// inventories) that persist across turns, shift -1.
type HouseConfig struct {
	// Name is the env name in Spec; default "housebuild".
	Name string
	// Blueprints are the tasks; default: the embedded housebuild.json.
	Blueprints []Blueprint
	// EvalIDs are the task ids held out for evaluation. Nil means house_build_0108 and
	// house_build_0109 (the last two, an 80/20 split like the reference's) when Blueprints is
	// nil, none otherwise; an empty non-nil slice means none.
	EvalIDs []string
	// Agents is the number of agents, 1..4; default 2. Every agent may use every block.
	Agents int
	// Turns is the number of turns, 1..8; default 4.
	Turns int
	// MaxCommands is the per-turn command budget of all agents together; default 600.
	MaxCommands int
	// Feedback is FeedbackScore (default) or FeedbackNone.
	Feedback string
	// Sparse pays the reward only at the last turn.
	Sparse bool
	// ResetWorld starts every turn from an empty world and full inventories, as the reference
	// scores each turn alone. By default world and inventories persist.
	ResetWorld bool
	// Unlimited lifts the resource limits (Blueprint.ResourceLimits per agent otherwise).
	Unlimited bool
	// HP is the player's hit points; default 5.
	HP int
	// Spiders is the number of spiders attacking each turn; default 3. NoSpiders disables them.
	Spiders   int
	NoSpiders bool
	// SpiderMin and SpiderMax bound each spider's damage; default 1 and 3.
	SpiderMin, SpiderMax int
	// Shift is added to the score; nil means -1.
	Shift *float64
	// Compact selects the compact command syntax and short prompts of housebuild-mini; the
	// legend characters of the blueprints are then the block codes, and the env also has a
	// vocabulary (envs.Vocab, see miniHouseEnv.Vocab). Every box must fit the one-digit
	// coordinates 0..9.
	Compact bool
	// Shaping is the weight w of the format shaping (needs Compact): the reward gains
	// w*(format_shaping-1), where the part format_shaping in [0, 1] is the agents' mean
	// FormatQuality. 0 (the zero value, also housebuild-mini's default) turns it off; the option
	// shaping=true sets MiniHouseShaping, for byte-level agents. It may not exceed what one correct
	// block earns, 1/(cells of the box), on any blueprint.
	Shaping float64
}

func (c *HouseConfig) setDefaults() error {
	if c.Name == "" {
		c.Name = "housebuild"
	}
	if c.Blueprints == nil {
		bps, err := LoadBlueprints("")
		if err != nil {
			return err
		}
		c.Blueprints = bps
		if c.EvalIDs == nil {
			c.EvalIDs = []string{"house_build_0108", "house_build_0109"}
		}
	}
	if c.Agents == 0 {
		c.Agents = 2
	}
	if c.Turns == 0 {
		c.Turns = 4
	}
	if c.MaxCommands == 0 {
		c.MaxCommands = 600
	}
	if c.Feedback == "" {
		c.Feedback = FeedbackScore
	}
	if c.HP == 0 {
		c.HP = 5
	}
	if c.Spiders == 0 {
		c.Spiders = 3
	}
	if c.SpiderMin == 0 && c.SpiderMax == 0 {
		c.SpiderMin, c.SpiderMax = 1, 3
	}
	if c.Shift == nil {
		s := -1.0
		c.Shift = &s
	}
	return nil
}

// Validate reports the first bad field, saying how to fix it. Call it after defaults.
func (c *HouseConfig) Validate() error {
	switch {
	case c.Agents < 1 || c.Agents > 4:
		return fmt.Errorf("HouseConfig.Agents = %d: want 1..4", c.Agents)
	case c.Turns < 1 || c.Turns > 8:
		return fmt.Errorf("HouseConfig.Turns = %d: want 1..8", c.Turns)
	case c.MaxCommands < c.Agents:
		return fmt.Errorf("HouseConfig.MaxCommands = %d: want at least one command per agent (%d)", c.MaxCommands, c.Agents)
	case c.HP < 1:
		return fmt.Errorf("HouseConfig.HP = %d: want >= 1", c.HP)
	case c.Spiders < 0:
		return fmt.Errorf("HouseConfig.Spiders = %d: want >= 0 (or NoSpiders)", c.Spiders)
	case c.SpiderMin < 0 || c.SpiderMax < c.SpiderMin:
		return fmt.Errorf("HouseConfig.SpiderMin/SpiderMax = %d/%d: want 0 <= min <= max", c.SpiderMin, c.SpiderMax)
	case len(c.Blueprints) == 0:
		return fmt.Errorf("HouseConfig.Blueprints is empty: give at least one blueprint")
	case c.Feedback != FeedbackScore && c.Feedback != FeedbackNone:
		return fmt.Errorf("HouseConfig.Feedback = %q: want %s or %s", c.Feedback, FeedbackScore, FeedbackNone)
	}
	return checkShaping("HouseConfig.Shaping", c.Shaping, c.Compact)
}

// NewHouseBuild builds a HouseBuild environment (also housebuild-mini, with a mini config).
func NewHouseBuild(cfg HouseConfig) (envs.Env, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.NoSpiders {
		cfg.Spiders = 0
	}
	g := &houseGame{cfg: cfg}
	for i := range cfg.Blueprints {
		bp := &cfg.Blueprints[i]
		blocks := bp.Blocks()
		if sz := bp.Box.Size(); cfg.Shaping > 1/float64(sz[0]*sz[1]*sz[2]) {
			return nil, fmt.Errorf("HouseConfig.Shaping = %v exceeds what one correct block earns on %s (1/%d): lower it",
				cfg.Shaping, bp.ID, sz[0]*sz[1]*sz[2])
		}
		empty, err := NewGrid(bp.Box, blocks)
		if err != nil {
			return nil, fmt.Errorf("%s task %s: %w", cfg.Name, bp.ID, err)
		}
		palettes := make([][]string, cfg.Agents)
		for a := range palettes {
			palettes[a] = blocks
		}
		if err := checkCompactBox(cfg.Compact, bp.Box, bp.ID); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Name, err)
		}
		g.empty = append(g.empty, empty)
		g.rulesets = append(g.rulesets, &Rules{Box: bp.Box, Ops: []Op{Fill, Kill}, Palettes: palettes, MaxCommands: cfg.MaxCommands})
		g.limits = append(g.limits, bp.ResourceLimits(cfg.Agents))
	}
	e := &houseEnv{engine{
		spec:    envs.Spec{Name: cfg.Name, NumAgents: cfg.Agents, MaxTurns: cfg.Turns},
		game:    g,
		scheme:  houseScheme(*cfg.Shift, cfg.Sparse, cfg.Shaping),
		carry:   !cfg.ResetWorld,
		shaping: cfg.Shaping > 0,
	}}
	if cfg.Compact {
		codes := map[byte]string{}
		for _, bp := range cfg.Blueprints {
			for _, l := range bp.Legend {
				if prev, ok := codes[l.Char]; ok && prev != l.Block {
					return nil, fmt.Errorf("%s: compact code %q means both %s and %s", cfg.Name, l.Char, prev, l.Block)
				}
				codes[l.Char] = l.Block
			}
		}
		e.dialect = Dialect{Codes: codes}
	}
	if err := e.resolveEval(cfg.EvalIDs); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	if cfg.Compact {
		return &miniHouseEnv{e}, nil
	}
	return e, nil
}

// houseEnv is the HouseBuild Env; it also implements envs.TaskNamer and envs.EvalSplitter.
type houseEnv struct{ engine }

type houseGame struct {
	cfg      HouseConfig
	empty    []*Grid
	rulesets []*Rules
	limits   []map[string]int
}

func (g *houseGame) numTasks() int          { return len(g.cfg.Blueprints) }
func (g *houseGame) taskID(task int) string { return g.cfg.Blueprints[task].ID }
func (g *houseGame) rules(task int) *Rules  { return g.rulesets[task] }

// code draws a block with its legend character in the first blueprint that has it.
func (g *houseGame) code(block string) byte {
	for _, bp := range g.cfg.Blueprints {
		for _, l := range bp.Legend {
			if l.Block == block {
				return l.Char
			}
		}
	}
	return '?'
}

func (g *houseGame) start(task int) (*Grid, []map[string]int) {
	if g.cfg.Unlimited {
		return g.empty[task].Clone(), nil
	}
	inv := make([]map[string]int, g.cfg.Agents)
	for i := range inv {
		inv[i] = map[string]int{}
		for k, v := range g.limits[task] {
			inv[i][k] = v
		}
	}
	return g.empty[task].Clone(), inv
}

func (g *houseGame) measure(task int, seed int64, turn int, world *Grid, tr *TurnResult, format float64) (any, float64, map[string]float64) {
	damage := SpiderDamage(seed, turn, g.cfg.Spiders, g.cfg.SpiderMin, g.cfg.SpiderMax)
	m := ScoreHouse(&g.cfg.Blueprints[task], world, damage, g.cfg.HP, tr.Killed)
	m.Invalid = tr.Invalid()
	m.Format = format
	for _, rej := range tr.Rejected {
		for _, r := range rej {
			if strings.HasPrefix(r.Reason, "needs ") {
				m.ResourceRejections++
			}
		}
	}
	killed := 0.0
	if m.Killed {
		killed = 1
	}
	return &m, m.Score, map[string]float64{
		"iou": m.IoU, "spider_damage": float64(m.SpiderDamage), "killed": killed,
		"resource_rejections": float64(m.ResourceRejections),
	}
}

func (g *houseGame) prompt(s *state, agent int) string {
	if g.cfg.Compact {
		return g.compactPrompt(s, agent)
	}
	original := g.originalPrompt(s, agent)
	if s.turn == 0 || g.cfg.Feedback == FeedbackNone {
		return original
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Score feedback:\n- Turn: %d\n- Previous reward: %.4f\n\n", s.turn+1, s.prevScore)
	sb.WriteString(original)
	if prev := strings.TrimSpace(s.prev[agent]); prev != "" {
		sb.WriteString("\n\nYour previous commands:\n")
		sb.WriteString(prev)
	}
	return sb.String()
}

func (g *houseGame) originalPrompt(s *state, agent int) string {
	bp := &g.cfg.Blueprints[s.task]
	var sb strings.Builder
	fmt.Fprintf(&sb, "You are agent %d of %d building house %s in a Minecraft-style voxel world.\n", agent+1, g.cfg.Agents, bp.ID)
	fmt.Fprintf(&sb, "Build area: %s; commands outside it are rejected.\n", bp.Box)
	sb.WriteString("Blueprint, one layer per y from the bottom; in a layer each row is one z (first row z=")
	fmt.Fprintf(&sb, "%d) and each character one x (first character x=%d).\nLegend:", bp.Box.Min[2], bp.Box.Min[0])
	for _, l := range bp.Legend {
		fmt.Fprintf(&sb, " %c=%s", l.Char, l.Block)
	}
	sb.WriteByte('\n')
	for i, layer := range bp.Layers {
		fmt.Fprintf(&sb, "y=%d:\n", bp.Box.Min[1]+i)
		for _, row := range layer {
			sb.WriteString(row)
			sb.WriteByte('\n')
		}
	}
	if !g.cfg.Unlimited {
		// With carry=false every turn starts again from the full allowance.
		left := g.limits[s.task]
		if g.cfg.ResetWorld {
			sb.WriteString("Your blocks for each turn (air is free): ")
		} else {
			sb.WriteString("Your blocks left for the rest of the episode (air is free): ")
			left = s.inv[agent]
		}
		var parts []string
		for _, b := range bp.Blocks() {
			parts = append(parts, fmt.Sprintf("%s %d", b, left[b]))
		}
		sb.WriteString(strings.Join(parts, ", "))
		sb.WriteString(". A /fill uses one block per cell of its box.\n")
	}
	if g.cfg.Spiders > 0 {
		fmt.Fprintf(&sb, "Danger: %d spiders attack the player (hp %d) every turn, %d-%d damage each; a /kill from any agent stops them.\n",
			g.cfg.Spiders, g.cfg.HP, g.cfg.SpiderMin, g.cfg.SpiderMax)
	}
	if g.cfg.Agents > 1 {
		sb.WriteString("All agents build at the same time; commands run agent by agent in order (agent 1 first).\n")
	}
	if g.cfg.ResetWorld {
		sb.WriteString("Each turn is scored on that turn's commands alone.\n")
	} else {
		sb.WriteString("Blocks stay in place from one turn to the next.\n")
	}
	sb.WriteString("Score: the fraction of cells (air included) that match the blueprint.\n")
	fmt.Fprintf(&sb, "You may issue at most %d commands per turn. Output only commands, one per line:\n", g.rulesets[s.task].AgentLimits()[agent])
	sb.WriteString("/fill <x1> <y1> <z1> <x2> <y2> <z2> <block>\n/kill")
	return sb.String()
}

// compactPrompt is the housebuild-mini prompt, a few vocabulary pieces (see Vocab):
//
//	t<turn>/<turns> C<n>... s<damage>   the turn, the agent's remaining blocks as code+count
//	                                    (when limited), this turn's spider damage (when spiders
//	                                    attack), plus " r<score>", the unshifted previous score,
//	                                    after turn 1 under score feedback; e.g. "t1/2 c13 s6"
//	 <row> <row> <row>                  one line per y layer of the blueprint from the bottom:
//	                                    its rows z=0.. as x characters, '.' = air
//	><answer>                           after turn 1 (unless feedback=none): the agent's
//	                                    previous answer
//
// E.g. "t1/2 c13 s6\n ccc ccc ccc\n ccc c.c ccc" for mini_house_01.
func (g *houseGame) compactPrompt(s *state, agent int) string {
	bp := &g.cfg.Blueprints[s.task]
	var sb strings.Builder
	fmt.Fprintf(&sb, "t%d/%d", s.turn+1, g.cfg.Turns)
	if !g.cfg.Unlimited {
		left := g.limits[s.task]
		if !g.cfg.ResetWorld {
			left = s.inv[agent]
		}
		for _, b := range bp.Blocks() {
			fmt.Fprintf(&sb, " %c%d", g.code(b), left[b])
		}
	}
	if d := SpiderDamage(s.seed, s.turn, g.cfg.Spiders, g.cfg.SpiderMin, g.cfg.SpiderMax); d > 0 {
		fmt.Fprintf(&sb, " s%d", d)
	}
	if s.turn > 0 && g.cfg.Feedback == FeedbackScore {
		fmt.Fprintf(&sb, " r%.2f", s.prevScore)
	}
	for _, layer := range bp.Layers {
		sb.WriteByte('\n')
		for _, row := range layer {
			sb.WriteString(compactRow(bp, row))
		}
	}
	if s.turn > 0 && g.cfg.Feedback != FeedbackNone {
		fmt.Fprintf(&sb, "\n>%s", echo(s.prev[agent]))
	}
	return sb.String()
}

// compactRow writes a blueprint row as one vocabulary piece: a space, then the row's legend
// characters with '.' for air, e.g. " c.c".
func compactRow(bp *Blueprint, row string) string {
	b := []byte(" " + row)
	for j := 1; j < len(b); j++ {
		if bp.BlockOf(b[j]) == Air {
			b[j] = '.'
		}
	}
	return string(b)
}
