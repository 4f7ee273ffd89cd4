package building

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/collm/collm/envs/reward"
)

//go:embed data/strbuild.csv
var embeddedStrCSV []byte

// AgentPalettes are the StrBuild palettes of agents 1..4 (air is always allowed besides). Agents
// 1 and 2 are the paper's; 3 and 4 extend the game to more agents.
var AgentPalettes = [][]string{
	{"oak_planks", "stone"},
	{"white_concrete", "obsidian"},
	{"red_wool", "blue_wool"},
	{"gold_block", "diamond_block"},
}

// strCodes are the one-letter codes of the StrBuild blocks (compact syntax and renders).
var strCodes = map[byte]string{
	'o': "oak_planks", 's': "stone", 'w': "white_concrete", 'b': "obsidian",
	'r': "red_wool", 'u': "blue_wool", 'g': "gold_block", 'd': "diamond_block", 'a': Air,
}

// StrTask is one StrBuild task: a string to build. ID is the string itself, as the dataset
// names its rows (e.g. "ICML").
type StrTask struct {
	ID         string
	Text       string
	Difficulty int
}

// StrTarget is the goal of a StrBuild task: the string drawn in the vertical x-y plane at z=0,
// x growing to the right from 0 and y growing up from 0.
type StrTarget struct {
	Rows []string // top row (y = height-1) first; '#' a letter cell, '.' a background cell
	Box  Box      // exactly the drawing: width x height x 1
}

// NewStrTarget draws text with font and spacing empty columns between letters.
func NewStrTarget(text string, font Font, spacing int) (StrTarget, error) {
	rows, err := font.Render(text, spacing)
	if err != nil {
		return StrTarget{}, err
	}
	return StrTarget{Rows: rows, Box: BoxOfSize(len(rows[0]), len(rows), 1)}, nil
}

// IsLetter reports whether (x, y, z) is a letter cell.
func (t StrTarget) IsLetter(x, y, z int) bool {
	if !t.Box.Contains(x, y, z) {
		return false
	}
	return t.Rows[len(t.Rows)-1-y][x] == '#'
}

// Positions returns the letter cells, top row first and left to right within a row.
func (t StrTarget) Positions() [][3]int {
	var out [][3]int
	for r, row := range t.Rows {
		for x := range len(row) {
			if row[x] == '#' {
				out = append(out, [3]int{x, len(t.Rows) - 1 - r, 0})
			}
		}
	}
	return out
}

// StrMetrics are the StrBuild measurements of a world; see ScoreStr.
type StrMetrics struct {
	Target, Covered, Background, Extra int
	AdjacentPairs, AdjacentSame        int
	UnusedPalettes                     int
	Invalid                            int     // rejected lines/commands of the turn (logged, not scored)
	Format                             float64 // mean FormatQuality of the agents; set when shaping is on

	Coverage, ExtraRatio, AdjacencyRatio float64
	Score                                float64 // the unshifted reward
	IoU                                  float64
}

// ScoreStr measures world (whose box must be target.Box) against target, as the reference does:
//
//   - coverage = covered / target, where a letter cell is covered by any non-air block (its
//     colour does not matter);
//   - extra_ratio = extra / background, where extra counts non-air blocks on background cells
//     (the cells of the box that are not letter cells); 0 when there is no background;
//   - adjacency_ratio = same / pairs over all pairs of non-air blocks that are neighbours along
//     +x or +y (each unordered pair once), where same counts pairs of the same block (every
//     block name is its own colour); 0 when there are no pairs;
//   - unused_palettes counts the agents whose palette is not used, where a palette counts as
//     used only when every one of its (non-air) blocks appears somewhere in the world;
//   - score = 2*coverage - 1.5*extra_ratio - 1.0*adjacency_ratio - 0.25*unused_palettes;
//   - iou = covered / (target + extra).
func ScoreStr(target StrTarget, world *Grid, palettes [][]string) StrMetrics {
	var m StrMetrics
	b := world.Box()
	present := map[string]bool{}
	for y := b.Min[1]; y <= b.Max[1]; y++ {
		for z := b.Min[2]; z <= b.Max[2]; z++ {
			for x := b.Min[0]; x <= b.Max[0]; x++ {
				block := world.At(x, y, z)
				letter := target.IsLetter(x, y, z)
				solid := block != Air
				switch {
				case letter:
					m.Target++
					if solid {
						m.Covered++
					}
				default:
					m.Background++
					if solid {
						m.Extra++
					}
				}
				if !solid {
					continue
				}
				present[block] = true
				for _, n := range [2][3]int{{x + 1, y, z}, {x, y + 1, z}} {
					nb := world.At(n[0], n[1], n[2])
					if nb == Air {
						continue
					}
					m.AdjacentPairs++
					if nb == block {
						m.AdjacentSame++
					}
				}
			}
		}
	}
	for _, p := range palettes {
		for _, block := range p {
			if block != Air && !present[block] {
				m.UnusedPalettes++
				break
			}
		}
	}
	m.Coverage = ratio(m.Covered, m.Target)
	m.ExtraRatio = ratio(m.Extra, m.Background)
	m.AdjacencyRatio = ratio(m.AdjacentSame, m.AdjacentPairs)
	m.Score = 2*m.Coverage - 1.5*m.ExtraRatio - 1.0*m.AdjacencyRatio - 0.25*float64(m.UnusedPalettes)
	m.IoU = ratio(m.Covered, m.Target+m.Extra)
	return m
}

func ratio(a, b int) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// strScheme is the StrBuild reward through envs/reward: the components of ScoreStr with their
// weights, shifted. invalid_commands is reported with weight 0. With shaping w > 0 the part
// format_shaping (StrMetrics.Format) adds w*(format_shaping-1), which is 0 for answers made of
// accepted commands only, so the best reward stays 0.
func strScheme(shift float64, sparse bool, shaping float64) *reward.Composite {
	get := func(f func(*StrMetrics) float64) reward.TermFunc {
		return func(in reward.Input) float64 { return f(in.Data.(*StrMetrics)) }
	}
	b := reward.New(
		reward.Term("coverage", get(func(m *StrMetrics) float64 { return m.Coverage })).Times(2),
		reward.Term("extra_ratio", get(func(m *StrMetrics) float64 { return m.ExtraRatio })).Times(-1.5),
		reward.Term("adjacency_ratio", get(func(m *StrMetrics) float64 { return m.AdjacencyRatio })).Times(-1),
		reward.Term("unused_palettes", get(func(m *StrMetrics) float64 { return float64(m.UnusedPalettes) })).Times(-0.25),
		reward.Term("invalid_commands", get(func(m *StrMetrics) float64 { return float64(m.Invalid) })).Times(0),
	)
	if shaping > 0 {
		b.Then(reward.Term("format_shaping", get(func(m *StrMetrics) float64 { return m.Format })).Times(shaping)).Shift(-shaping)
	}
	return b.Shift(shift).Sparse(sparse).Done()
}

// ParseStrTasks reads the StrBuild CSV: a header with the columns "string" and "difficulty",
// then one task per row. Errors name the row.
func ParseStrTasks(r io.Reader) ([]StrTask, error) {
	rd := csv.NewReader(r)
	header, err := rd.Read()
	if err != nil {
		return nil, fmt.Errorf("strbuild csv: reading the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	si, ok1 := col["string"]
	di, ok2 := col["difficulty"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("strbuild csv: header %q must have the columns string and difficulty", header)
	}
	var tasks []StrTask
	seen := map[string]bool{}
	for row := 2; ; row++ {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("strbuild csv row %d: %w", row, err)
		}
		text := strings.ToUpper(strings.TrimSpace(rec[si]))
		if text == "" {
			return nil, fmt.Errorf("strbuild csv row %d: empty string", row)
		}
		d, err := strconv.Atoi(strings.TrimSpace(rec[di]))
		if err != nil {
			return nil, fmt.Errorf("strbuild csv row %d: difficulty %q is not an integer", row, rec[di])
		}
		if seen[text] {
			return nil, fmt.Errorf("strbuild csv row %d: duplicate string %q", row, text)
		}
		seen[text] = true
		tasks = append(tasks, StrTask{ID: text, Text: text, Difficulty: d})
	}
	if len(tasks) == 0 {
		return nil, fmt.Errorf("strbuild csv: no tasks")
	}
	return tasks, nil
}

// LoadStrTasks reads the StrBuild CSV at path, or the embedded copy of the paper's dataset
// (strbuild.csv of OpenMLRL, MIT licence, see data/LICENSE) when path is "".
func LoadStrTasks(path string) ([]StrTask, error) {
	if path == "" {
		return ParseStrTasks(bytes.NewReader(embeddedStrCSV))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("strbuild data: %w", err)
	}
	defer f.Close()
	tasks, err := ParseStrTasks(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tasks, nil
}
