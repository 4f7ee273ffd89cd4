package building

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/collm/collm/envs/reward"
)

//go:embed data/housebuild.json
var embeddedHouseJSON []byte

// LegendEntry maps one blueprint character to a block.
type LegendEntry struct {
	Char  byte
	Block string
}

// Blueprint is one HouseBuild task: a target block for every cell of Box, given as y layers.
type Blueprint struct {
	ID     string
	Box    Box
	Legend []LegendEntry // in the dataset's order
	// Layers[y][z][x] is the character of cell (Min.x+x, Min.y+y, Min.z+z): one layer per y from
	// the bottom, one row per z, one character per x, as in the dataset's "y_layers".
	Layers [][]string
}

// BlockOf returns the block of a legend character ("" when unknown).
func (b *Blueprint) BlockOf(ch byte) string {
	for _, l := range b.Legend {
		if l.Char == ch {
			return l.Block
		}
	}
	return ""
}

// BlockAt returns the target block of a cell inside Box.
func (b *Blueprint) BlockAt(x, y, z int) string {
	return b.BlockOf(b.Layers[y-b.Box.Min[1]][z-b.Box.Min[2]][x-b.Box.Min[0]])
}

// Blocks returns the distinct non-air blocks the layers use, in legend order. They are what
// the agents may place.
func (b *Blueprint) Blocks() []string {
	counts := b.Counts()
	var out []string
	for _, l := range b.Legend {
		if l.Block != Air && counts[l.Block] > 0 && !contains(out, l.Block) {
			out = append(out, l.Block)
		}
	}
	return out
}

// Counts returns how many cells of the blueprint hold each block (air included).
func (b *Blueprint) Counts() map[string]int {
	out := map[string]int{}
	for _, layer := range b.Layers {
		for _, row := range layer {
			for i := range len(row) {
				out[b.BlockOf(row[i])]++
			}
		}
	}
	return out
}

// ResourceLimits returns each agent's allowance of every non-air block, as the reference
// computes it: for a block the blueprint holds c times, ceil(c/n) + floor(c/(2n)) with n agents,
// i.e. an even share plus 50% slack.
func (b *Blueprint) ResourceLimits(agents int) map[string]int {
	counts := b.Counts()
	out := map[string]int{}
	for _, block := range b.Blocks() {
		c := counts[block]
		out[block] = (c+agents-1)/agents + c/(2*agents)
	}
	return out
}

type blueprintJSON struct {
	TaskID     string          `json:"task_id"`
	Inventory  json.RawMessage `json:"inventory"`
	Count      map[string]int  `json:"count"`
	TargetSpec struct {
		Type   string `json:"type"`
		Size   []int  `json:"size"`
		Layers []struct {
			Y    *int     `json:"y"`
			Rows []string `json:"rows"`
		} `json:"layers"`
	} `json:"target_spec"`
	BBox *struct {
		From []int `json:"from"`
		To   []int `json:"to"`
	} `json:"bbox"`
}

// ParseBlueprints reads the HouseBuild JSON: a list of objects with task_id, inventory (one
// character -> block name, in order), optional count (character -> cells, checked against the
// layers), target_spec {type "y_layers", optional size [x, y, z], layers [{y, rows}]} and an
// optional bbox {from, to}. Errors name the task and field.
func ParseBlueprints(r io.Reader) ([]Blueprint, error) {
	var raw []blueprintJSON
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("housebuild json: %w", err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("housebuild json: no blueprints")
	}
	out := make([]Blueprint, 0, len(raw))
	seen := map[string]bool{}
	for i, bj := range raw {
		bp, err := bj.blueprint()
		if err != nil {
			id := bj.TaskID
			if id == "" {
				id = fmt.Sprintf("#%d", i+1)
			}
			return nil, fmt.Errorf("housebuild json, task %s: %w", id, err)
		}
		if seen[bp.ID] {
			return nil, fmt.Errorf("housebuild json: duplicate task_id %q", bp.ID)
		}
		seen[bp.ID] = true
		out = append(out, bp)
	}
	return out, nil
}

func (bj *blueprintJSON) blueprint() (Blueprint, error) {
	bp := Blueprint{ID: bj.TaskID}
	if bp.ID == "" {
		return bp, fmt.Errorf("task_id is missing")
	}
	legend, err := orderedInventory(bj.Inventory)
	if err != nil {
		return bp, err
	}
	bp.Legend = legend
	ts := bj.TargetSpec
	if ts.Type != "" && ts.Type != "y_layers" {
		return bp, fmt.Errorf("target_spec.type %q: only y_layers is supported", ts.Type)
	}
	if len(ts.Layers) == 0 {
		return bp, fmt.Errorf("target_spec.layers is empty")
	}
	layers := map[int][]string{}
	minY, maxY := 1<<30, -1<<30
	width, depth := -1, -1
	for _, l := range ts.Layers {
		if l.Y == nil {
			return bp, fmt.Errorf("target_spec.layers: a layer has no y")
		}
		y := *l.Y
		if _, dup := layers[y]; dup {
			return bp, fmt.Errorf("target_spec.layers: duplicate layer y=%d", y)
		}
		if depth == -1 {
			depth = len(l.Rows)
		}
		if len(l.Rows) == 0 || len(l.Rows) != depth {
			return bp, fmt.Errorf("layer y=%d has %d rows, want %d (and at least 1)", y, len(l.Rows), depth)
		}
		for _, row := range l.Rows {
			if width == -1 {
				width = len(row)
			}
			if len(row) == 0 || len(row) != width {
				return bp, fmt.Errorf("layer y=%d: row %q has %d characters, want %d", y, row, len(row), width)
			}
			for i := range len(row) {
				if bp.BlockOf(row[i]) == "" {
					return bp, fmt.Errorf("layer y=%d: character %q is not in the inventory", y, row[i])
				}
			}
		}
		layers[y] = l.Rows
		minY, maxY = min(minY, y), max(maxY, y)
	}
	for y := minY; y <= maxY; y++ {
		if layers[y] == nil {
			return bp, fmt.Errorf("target_spec.layers: layer y=%d is missing", y)
		}
		bp.Layers = append(bp.Layers, layers[y])
	}
	bp.Box = Box{Min: [3]int{0, minY, 0}, Max: [3]int{width - 1, maxY, depth - 1}}
	if bj.BBox != nil {
		if len(bj.BBox.From) != 3 || len(bj.BBox.To) != 3 {
			return bp, fmt.Errorf("bbox.from and bbox.to must have 3 integers")
		}
		var b Box
		for i := range 3 {
			b.Min[i], b.Max[i] = min(bj.BBox.From[i], bj.BBox.To[i]), max(bj.BBox.From[i], bj.BBox.To[i])
		}
		if b.Size() != bp.Box.Size() || b.Min[1] != minY {
			return bp, fmt.Errorf("bbox %s does not match the layers (%s)", b, bp.Box)
		}
		bp.Box = b
	}
	if len(ts.Size) != 0 && (len(ts.Size) != 3 || [3]int(ts.Size) != bp.Box.Size()) {
		return bp, fmt.Errorf("target_spec.size %v does not match the layers (%v)", ts.Size, bp.Box.Size())
	}
	if bj.Count != nil {
		chars := map[byte]int{}
		for _, layer := range bp.Layers {
			for _, row := range layer {
				for i := range len(row) {
					chars[row[i]]++
				}
			}
		}
		keys := slices.Sorted(maps.Keys(bj.Count))
		for _, ch := range keys {
			n := bj.Count[ch]
			if len(ch) != 1 || bp.BlockOf(ch[0]) == "" {
				return bp, fmt.Errorf("count has key %q that is not an inventory character", ch)
			}
			if got := chars[ch[0]]; got != n {
				return bp, fmt.Errorf("count[%s] = %d but the layers hold %d", ch, n, got)
			}
		}
	}
	return bp, nil
}

// orderedInventory decodes the inventory object keeping its key order.
func orderedInventory(raw json.RawMessage) ([]LegendEntry, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("inventory is missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("inventory must be an object of character -> block")
	}
	var out []LegendEntry
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("inventory: %w", err)
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("inventory[%v]: want a block name: %w", kt, err)
		}
		k := kt.(string)
		if len(k) != 1 {
			return nil, fmt.Errorf("inventory key %q: want a single character", k)
		}
		block, reason := parseBlock(strings.TrimSpace(v))
		if reason != "" {
			return nil, fmt.Errorf("inventory[%s]: %s", k, reason)
		}
		if block == "cave_air" || block == "void_air" {
			block = Air
		}
		for _, l := range out {
			if l.Char == k[0] {
				return nil, fmt.Errorf("inventory key %q appears twice", k)
			}
		}
		out = append(out, LegendEntry{Char: k[0], Block: block})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("inventory is empty")
	}
	return out, nil
}

// LoadBlueprints reads the HouseBuild JSON at path, or the embedded copy of the paper's 10
// blueprints (housebuild.json of OpenMLRL, MIT licence, see data/LICENSE) when path is "".
func LoadBlueprints(path string) ([]Blueprint, error) {
	if path == "" {
		return ParseBlueprints(bytes.NewReader(embeddedHouseJSON))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("housebuild data: %w", err)
	}
	defer f.Close()
	bps, err := ParseBlueprints(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return bps, nil
}

// SpiderDamage returns the total damage of spiders attacks in a turn: each spider hits for an
// integer in [lo, hi], drawn from a PCG stream keyed by (seed, turn), so the same episode seed
// and turn always give the same attack.
func SpiderDamage(seed int64, turn, spiders, lo, hi int) int {
	if spiders <= 0 || hi < lo {
		return 0
	}
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(turn)))
	total := 0
	for range spiders {
		total += lo + rng.IntN(hi-lo+1)
	}
	return total
}

// HouseMetrics are the HouseBuild measurements of a world; see ScoreHouse.
type HouseMetrics struct {
	Cells, Matched                        int
	ExpectedSolid, ObservedSolid, Overlap int
	SpiderDamage                          int
	Killed                                bool
	Invalid                               int     // rejected lines/commands of the turn (logged, not scored)
	ResourceRejections                    int     // commands rejected for lack of blocks
	Format                                float64 // mean FormatQuality of the agents; set when shaping is on

	MatchFraction float64
	SpiderPenalty float64
	Score         float64 // the unshifted reward
	IoU           float64
}

// ScoreHouse measures world (whose box must be bp.Box) against the blueprint:
//
//   - match_fraction = cells whose block equals the blueprint's / all cells (air included);
//   - spider_penalty = 0.1*min(1, damage/hp) when no agent issued an accepted /kill this turn
//     (0 when damage or hp is not positive);
//   - score = match_fraction - spider_penalty;
//   - iou = |expected non-air ∩ observed non-air| / |expected non-air ∪ observed non-air|, where
//     any non-air block counts (0 when both are empty).
func ScoreHouse(bp *Blueprint, world *Grid, damage, hp int, killed bool) HouseMetrics {
	m := HouseMetrics{SpiderDamage: damage, Killed: killed}
	b := bp.Box
	for y := b.Min[1]; y <= b.Max[1]; y++ {
		for z := b.Min[2]; z <= b.Max[2]; z++ {
			for x := b.Min[0]; x <= b.Max[0]; x++ {
				want, got := bp.BlockAt(x, y, z), world.At(x, y, z)
				m.Cells++
				if want == got {
					m.Matched++
				}
				if want != Air {
					m.ExpectedSolid++
				}
				if got != Air {
					m.ObservedSolid++
					if want != Air {
						m.Overlap++
					}
				}
			}
		}
	}
	m.MatchFraction = ratio(m.Matched, m.Cells)
	if !killed && damage > 0 && hp > 0 {
		m.SpiderPenalty = 0.1 * min(1, float64(damage)/float64(hp))
	}
	m.Score = m.MatchFraction - m.SpiderPenalty
	m.IoU = ratio(m.Overlap, m.ExpectedSolid+m.ObservedSolid-m.Overlap)
	return m
}

// houseScheme is the HouseBuild reward through envs/reward. With shaping w > 0 the part
// format_shaping (HouseMetrics.Format) adds w*(format_shaping-1), 0 for answers made of accepted
// commands only.
func houseScheme(shift float64, sparse bool, shaping float64) *reward.Composite {
	get := func(f func(*HouseMetrics) float64) reward.TermFunc {
		return func(in reward.Input) float64 { return f(in.Data.(*HouseMetrics)) }
	}
	b := reward.New(
		reward.Term("match_fraction", get(func(m *HouseMetrics) float64 { return m.MatchFraction })),
		reward.Term("spider_penalty", get(func(m *HouseMetrics) float64 { return m.SpiderPenalty })).Times(-1),
		reward.Term("invalid_commands", get(func(m *HouseMetrics) float64 { return float64(m.Invalid) })).Times(0),
	)
	if shaping > 0 {
		b.Then(reward.Term("format_shaping", get(func(m *HouseMetrics) float64 { return m.Format })).Times(shaping)).Shift(-shaping)
	}
	return b.Shift(shift).Sparse(sparse).Done()
}
