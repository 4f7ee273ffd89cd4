package building

import (
	"fmt"
	"strings"

	"github.com/collm/collm/envs"
)

// Feedback modes: what the prompts of turns after the first say.
const (
	// FeedbackPosition (StrBuild's default) lists the letter positions and asks each agent to
	// take about half of them with no two side-by-side cells of its own; it also shows the
	// current world and appends the agent's previous commands.
	FeedbackPosition = "position"
	// FeedbackScore (HouseBuild's default) says "Previous reward: x.xxxx" (the unshifted reward
	// of the previous turn), repeats the original prompt and appends the previous commands.
	FeedbackScore = "score"
	// FeedbackNone repeats the original prompt.
	FeedbackNone = "none"
)

// StrConfig configures a StrBuild environment. Its zero value, after defaults, is the paper's
// task: the embedded dataset, 2 agents, 4 turns, 300 commands, position feedback, dense reward,
// a world that persists across turns, shift -2.
type StrConfig struct {
	// Name is the env name in Spec; default "strbuild".
	Name string
	// Tasks are the strings to build; default: the embedded strbuild.csv.
	Tasks []StrTask
	// EvalIDs are the task ids held out for evaluation. Nil means the default ICML and CLIM
	// when Tasks is nil, none otherwise; an empty non-nil slice means none.
	EvalIDs []string
	// Font draws the letters; default Font5x5.
	Font Font
	// Spacing is the number of empty columns between letters; default 2 (the reference's).
	// Use -1 for no spacing.
	Spacing int
	// Agents is the number of agents, 1..4; default 2. Agent i gets AgentPalettes[i].
	Agents int
	// Turns is the number of turns, 1..8; default 4.
	Turns int
	// MaxCommands is the per-turn command budget of all agents together; default 300.
	MaxCommands int
	// Feedback is FeedbackPosition (default), FeedbackScore or FeedbackNone.
	Feedback string
	// Sparse pays the reward only at the last turn (earlier turns get 0, parts still logged).
	Sparse bool
	// ResetWorld starts every turn from an empty world (the reference scores each turn's
	// commands alone). By default the world persists across turns.
	ResetWorld bool
	// Shift is added to the score; nil means -2.
	Shift *float64
	// Compact selects the compact command syntax and short prompts of strbuild-mini; the env
	// then also has a vocabulary (envs.Vocab, see miniStrEnv.Vocab). Every target must fit the
	// one-digit coordinates 0..9.
	Compact bool
	// Shaping is the weight w of the format shaping (needs Compact): the reward gains
	// w*(format_shaping-1), where the part format_shaping in [0, 1] is the agents' mean
	// FormatQuality. 0 (the zero value, also strbuild-mini's default) turns it off; the option
	// shaping=true sets MiniStrShaping, for byte-level agents. It may not exceed what one correct
	// block earns, 2/(letter cells), on any task.
	Shaping float64
}

func (c *StrConfig) setDefaults() error {
	if c.Name == "" {
		c.Name = "strbuild"
	}
	if c.Tasks == nil {
		tasks, err := LoadStrTasks("")
		if err != nil {
			return err
		}
		c.Tasks = tasks
		if c.EvalIDs == nil {
			c.EvalIDs = []string{"ICML", "CLIM"}
		}
	}
	if c.Font.Glyphs == nil {
		c.Font = Font5x5
	}
	switch {
	case c.Spacing == 0:
		c.Spacing = 2
	case c.Spacing == -1:
		c.Spacing = 0
	}
	if c.Agents == 0 {
		c.Agents = 2
	}
	if c.Turns == 0 {
		c.Turns = 4
	}
	if c.MaxCommands == 0 {
		c.MaxCommands = 300
	}
	if c.Feedback == "" {
		c.Feedback = FeedbackPosition
	}
	if c.Shift == nil {
		s := -2.0
		c.Shift = &s
	}
	return nil
}

// Validate reports the first bad field, saying how to fix it. Call it after defaults.
func (c *StrConfig) Validate() error {
	switch {
	case c.Agents < 1 || c.Agents > len(AgentPalettes):
		return fmt.Errorf("StrConfig.Agents = %d: want 1..%d", c.Agents, len(AgentPalettes))
	case c.Turns < 1 || c.Turns > 8:
		return fmt.Errorf("StrConfig.Turns = %d: want 1..8", c.Turns)
	case c.MaxCommands < c.Agents:
		return fmt.Errorf("StrConfig.MaxCommands = %d: want at least one command per agent (%d)", c.MaxCommands, c.Agents)
	case c.Spacing < 0:
		return fmt.Errorf("StrConfig.Spacing = %d: want >= 0 (or -1 for none)", c.Spacing)
	case len(c.Tasks) == 0:
		return fmt.Errorf("StrConfig.Tasks is empty: give at least one string")
	}
	switch c.Feedback {
	case FeedbackPosition, FeedbackScore, FeedbackNone:
	default:
		return fmt.Errorf("StrConfig.Feedback = %q: want %s, %s or %s", c.Feedback, FeedbackPosition, FeedbackScore, FeedbackNone)
	}
	return checkShaping("StrConfig.Shaping", c.Shaping, c.Compact)
}

// NewStrBuild builds a StrBuild environment (also strbuild-mini, with a mini config).
func NewStrBuild(cfg StrConfig) (envs.Env, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &strGame{cfg: cfg, palettes: AgentPalettes[:cfg.Agents]}
	var blocks []string
	for _, p := range g.palettes {
		blocks = append(blocks, p...)
	}
	for _, t := range cfg.Tasks {
		target, err := NewStrTarget(t.Text, cfg.Font, cfg.Spacing)
		if err != nil {
			return nil, fmt.Errorf("%s task %q: %w", cfg.Name, t.ID, err)
		}
		empty, err := NewGrid(target.Box, blocks)
		if err != nil {
			return nil, err
		}
		if cells := len(target.Positions()); cfg.Shaping > 2/float64(cells) {
			return nil, fmt.Errorf("StrConfig.Shaping = %v exceeds what one correct block earns on task %q (2/%d): lower it",
				cfg.Shaping, t.ID, cells)
		}
		if err := checkCompactBox(cfg.Compact, target.Box, "task "+t.ID); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Name, err)
		}
		g.targets = append(g.targets, target)
		g.empty = append(g.empty, empty)
		g.rulesets = append(g.rulesets, &Rules{Box: target.Box, Ops: []Op{SetBlock}, Palettes: g.palettes, MaxCommands: cfg.MaxCommands})
	}
	e := &strEnv{engine{
		spec:    envs.Spec{Name: cfg.Name, NumAgents: cfg.Agents, MaxTurns: cfg.Turns},
		game:    g,
		scheme:  strScheme(*cfg.Shift, cfg.Sparse, cfg.Shaping),
		carry:   !cfg.ResetWorld,
		shaping: cfg.Shaping > 0,
	}}
	if cfg.Compact {
		e.dialect = Dialect{Codes: strCodes}
	}
	if err := e.resolveEval(cfg.EvalIDs); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	if cfg.Compact {
		return &miniStrEnv{e}, nil
	}
	return e, nil
}

// strEnv is the StrBuild Env; it also implements envs.TaskNamer and envs.EvalSplitter.
type strEnv struct{ engine }

type strGame struct {
	cfg      StrConfig
	palettes [][]string
	targets  []StrTarget
	empty    []*Grid
	rulesets []*Rules
}

func (g *strGame) numTasks() int          { return len(g.cfg.Tasks) }
func (g *strGame) taskID(task int) string { return g.cfg.Tasks[task].ID }
func (g *strGame) rules(task int) *Rules  { return g.rulesets[task] }
func (g *strGame) code(block string) byte { return codeOf(strCodes, block) }

func (g *strGame) start(task int) (*Grid, []map[string]int) { return g.empty[task].Clone(), nil }

func (g *strGame) measure(task int, _ int64, _ int, world *Grid, tr *TurnResult, format float64) (any, float64, map[string]float64) {
	m := ScoreStr(g.targets[task], world, g.palettes)
	m.Invalid = tr.Invalid()
	m.Format = format
	return &m, m.Score, map[string]float64{"iou": m.IoU, "covered": float64(m.Covered), "extra_blocks": float64(m.Extra)}
}

// codeOf returns the one-letter code of block in codes, '?' when it has none.
func codeOf(codes map[byte]string, block string) byte {
	for c, b := range codes {
		if b == block {
			return c
		}
	}
	return '?'
}

func (g *strGame) prompt(s *state, agent int) string {
	if g.cfg.Compact {
		return g.compactPrompt(s, agent)
	}
	original := g.originalPrompt(s.task, agent)
	if s.turn == 0 {
		return original
	}
	var sb strings.Builder
	switch g.cfg.Feedback {
	case FeedbackPosition:
		pos := g.targets[s.task].Positions()
		fmt.Fprintf(&sb, "Position feedback (turn %d of %d):\n", s.turn+1, g.cfg.Turns)
		sb.WriteString("- Coordinates are absolute (x, y, z).\n- Output /setblock commands only (no markdown).\n")
		fmt.Fprintf(&sb, "- Choose a subset of about half of the positions (about %d).\n", max(1, len(pos)/2))
		sb.WriteString("- Avoid choosing two positions that share a side (4-connected) within your subset.\n")
		fmt.Fprintf(&sb, "- Max commands allowed: %d\n\nAll letter positions:\n", g.rulesets[s.task].AgentLimits()[agent])
		for _, p := range pos {
			fmt.Fprintf(&sb, "- (%d, %d, %d)\n", p[0], p[1], p[2])
		}
		fmt.Fprintf(&sb, "\nAvailable blocks (use only these): %s, air\n", strings.Join(g.palettes[agent], ", "))
		sb.WriteString("Format: /setblock <x> <y> <z> <block>\n")
		if !g.cfg.ResetWorld {
			var legend []string
			for _, p := range g.palettes {
				for _, b := range p {
					legend = append(legend, fmt.Sprintf("%c=%s", g.code(b), b))
				}
			}
			fmt.Fprintf(&sb, "\nThe world now (top row is y=%d; %s):\n%s",
				g.targets[s.task].Box.Max[1], strings.Join(legend, " "), s.world.Render(g.code))
		}
	case FeedbackScore:
		fmt.Fprintf(&sb, "Score feedback:\n- Turn: %d\n- Previous reward: %.4f\n", s.turn+1, s.prevScore)
	}
	sb.WriteString("\n")
	sb.WriteString(original)
	if prev := strings.TrimSpace(s.prev[agent]); prev != "" && g.cfg.Feedback != FeedbackNone {
		sb.WriteString("\n\nYour previous commands:\n")
		sb.WriteString(prev)
	}
	return sb.String()
}

func (g *strGame) originalPrompt(task, agent int) string {
	t := g.targets[task]
	text := g.cfg.Tasks[task].Text
	n := len(g.palettes)
	var sb strings.Builder
	fmt.Fprintf(&sb, "You are agent %d of %d building the string %q in a Minecraft-style voxel world.\n", agent+1, n, text)
	fmt.Fprintf(&sb, "Each letter is a %dx%d glyph in the vertical x-y plane at z=0, letters %d columns apart.\n",
		g.cfg.Font.Width, g.cfg.Font.Height, g.cfg.Spacing)
	fmt.Fprintf(&sb, "Build area: %s; commands outside it are rejected.\n", t.Box)
	fmt.Fprintf(&sb, "Target (top row is y=%d, left column is x=0; '#' = letter cell, '.' = leave empty):\n", t.Box.Max[1])
	for _, r := range t.Rows {
		sb.WriteString(r)
		sb.WriteByte('\n')
	}
	fmt.Fprintf(&sb, "Your blocks: %s (air removes a block).", strings.Join(g.palettes[agent], ", "))
	for i, p := range g.palettes {
		if i != agent {
			fmt.Fprintf(&sb, " Agent %d uses: %s.", i+1, strings.Join(p, ", "))
		}
	}
	sb.WriteString("\nScoring: cover every '#' cell; blocks on '.' cells are penalized; two touching blocks of the same type " +
		"(side by side along x or y) are penalized, so alternate types; every agent must use each of its block types at least once.\n")
	if g.cfg.ResetWorld {
		sb.WriteString("Each turn is scored on that turn's commands alone.\n")
	} else {
		sb.WriteString("Blocks stay in place from one turn to the next.\n")
	}
	fmt.Fprintf(&sb, "You may issue at most %d commands per turn. Output only commands, one per line, exactly:\n", g.rulesets[task].AgentLimits()[agent])
	sb.WriteString("/setblock <x> <y> <z> <block>")
	return sb.String()
}

// compactPrompt is the strbuild-mini prompt, a few vocabulary pieces (see Vocab):
//
//	<string> <codes> t<turn>/<turns>   the string to build, the agent's block codes and the turn,
//	                                   e.g. "LI os t1/2" (plus " r<score>", the unshifted
//	                                   previous score, after turn 1 under score feedback)
//	=<blocks>                          after turn 1, position feedback with the world kept: the
//	                                   world's blocks as " xyzC", top row first
//	><answer>                          after turn 1 otherwise (score feedback, or a world that
//	                                   starts empty each turn): the agent's previous answer
//
// The letters are drawn with the fixed mini font (Font3x3, one empty column apart), as the real
// game's are with its 5x5 font; the real prompt's picture is left out because every prompt token
// dilutes what a tiny model from scratch attends to (see the package documentation).
func (g *strGame) compactPrompt(s *state, agent int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s t%d/%d", g.cfg.Tasks[s.task].Text, g.codes(agent), s.turn+1, g.cfg.Turns)
	if s.turn == 0 || g.cfg.Feedback == FeedbackNone {
		return sb.String()
	}
	if g.cfg.Feedback == FeedbackScore {
		fmt.Fprintf(&sb, " r%.2f", s.prevScore)
	}
	if g.cfg.Feedback == FeedbackPosition && !g.cfg.ResetWorld {
		sb.WriteString("\n=")
		b := g.targets[s.task].Box
		for y := b.Max[1]; y >= b.Min[1]; y-- {
			for z := b.Min[2]; z <= b.Max[2]; z++ {
				for x := b.Min[0]; x <= b.Max[0]; x++ {
					if block := s.world.At(x, y, z); block != Air {
						fmt.Fprintf(&sb, " %d%d%d%c", x, y, z, g.code(block))
					}
				}
			}
		}
		return sb.String()
	}
	fmt.Fprintf(&sb, "\n>%s", echo(s.prev[agent]))
	return sb.String()
}

// codes returns the block codes of an agent's palette, e.g. "os".
func (g *strGame) codes(agent int) string {
	var sb strings.Builder
	for _, b := range g.palettes[agent] {
		sb.WriteByte(g.code(b))
	}
	return sb.String()
}
