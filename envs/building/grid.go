package building

import (
	"fmt"
	"strings"
)

// Air is the empty block. Every grid knows it; placing it removes a block.
const Air = "air"

// Box is an inclusive axis-aligned box of integer cells: Min[i] <= c[i] <= Max[i] for x, y, z.
type Box struct {
	Min, Max [3]int
}

// BoxOfSize returns the box from (0,0,0) with sx*sy*sz cells.
func BoxOfSize(sx, sy, sz int) Box {
	return Box{Max: [3]int{sx - 1, sy - 1, sz - 1}}
}

// Size returns the number of cells along x, y and z.
func (b Box) Size() [3]int {
	return [3]int{b.Max[0] - b.Min[0] + 1, b.Max[1] - b.Min[1] + 1, b.Max[2] - b.Min[2] + 1}
}

// Volume returns the number of cells.
func (b Box) Volume() int {
	s := b.Size()
	return s[0] * s[1] * s[2]
}

// Contains reports whether the cell (x, y, z) lies inside the box.
func (b Box) Contains(x, y, z int) bool {
	return x >= b.Min[0] && x <= b.Max[0] && y >= b.Min[1] && y <= b.Max[1] && z >= b.Min[2] && z <= b.Max[2]
}

// String formats the box as "x 0..5, y 0..6, z 0..6".
func (b Box) String() string {
	return fmt.Sprintf("x %d..%d, y %d..%d, z %d..%d", b.Min[0], b.Max[0], b.Min[1], b.Max[1], b.Min[2], b.Max[2])
}

// Grid is a bounded voxel world: one block name per cell of its Box, air everywhere at first.
// Blocks are stored as small ids into a table fixed at construction, so a clone is one copy of
// a byte slice. A Grid is not safe for concurrent mutation; environments clone it per step and
// never change a grid that a State holds.
type Grid struct {
	box   Box
	size  [3]int
	names []string         // id -> name; id 0 is Air
	ids   map[string]uint8 // name -> id; shared by clones, read-only
	cells []uint8          // index ((y*sz)+z)*sx + x, relative to box.Min
}

// NewGrid returns an all-air grid over box that can hold the given block names (air is added).
// It returns an error for an empty box, an empty name or more than 255 block kinds.
func NewGrid(box Box, blocks []string) (*Grid, error) {
	size := box.Size()
	if size[0] <= 0 || size[1] <= 0 || size[2] <= 0 {
		return nil, fmt.Errorf("grid: empty box (%s)", box)
	}
	g := &Grid{box: box, size: size, names: []string{Air}, ids: map[string]uint8{Air: 0}}
	for _, b := range blocks {
		if b == "" {
			return nil, fmt.Errorf("grid: empty block name")
		}
		if _, ok := g.ids[b]; ok {
			continue
		}
		if len(g.names) == 256 {
			return nil, fmt.Errorf("grid: more than 255 block kinds")
		}
		g.ids[b] = uint8(len(g.names))
		g.names = append(g.names, b)
	}
	g.cells = make([]uint8, box.Volume())
	return g, nil
}

// Box returns the grid's bounds.
func (g *Grid) Box() Box { return g.box }

// Blocks returns the block names the grid can hold, air first.
func (g *Grid) Blocks() []string { return append([]string(nil), g.names...) }

// Clone returns an independent copy.
func (g *Grid) Clone() *Grid {
	c := *g
	c.cells = append([]uint8(nil), g.cells...)
	return &c
}

func (g *Grid) index(x, y, z int) int {
	x, y, z = x-g.box.Min[0], y-g.box.Min[1], z-g.box.Min[2]
	return (y*g.size[2]+z)*g.size[0] + x
}

// At returns the block at (x, y, z); Air outside the box.
func (g *Grid) At(x, y, z int) string {
	if !g.box.Contains(x, y, z) {
		return Air
	}
	return g.names[g.cells[g.index(x, y, z)]]
}

// Set places block at (x, y, z). It returns an error outside the box or for a block the grid
// does not know.
func (g *Grid) Set(x, y, z int, block string) error {
	return g.Fill(x, y, z, x, y, z, block)
}

// Fill sets every cell of the box spanned by the two corners (in any order) to block. It returns
// an error, and changes nothing, when a corner is outside the grid or the block is unknown.
func (g *Grid) Fill(x1, y1, z1, x2, y2, z2 int, block string) error {
	id, ok := g.ids[block]
	if !ok {
		return fmt.Errorf("grid: unknown block %q", block)
	}
	if !g.box.Contains(x1, y1, z1) || !g.box.Contains(x2, y2, z2) {
		return fmt.Errorf("grid: fill (%d %d %d)-(%d %d %d) leaves the box %s", x1, y1, z1, x2, y2, z2, g.box)
	}
	x1, x2 = min(x1, x2), max(x1, x2)
	y1, y2 = min(y1, y2), max(y1, y2)
	z1, z2 = min(z1, z2), max(z1, z2)
	for y := y1; y <= y2; y++ {
		for z := z1; z <= z2; z++ {
			row := g.index(x1, y, z)
			for i := range x2 - x1 + 1 {
				g.cells[row+i] = id
			}
		}
	}
	return nil
}

// Count returns the number of cells holding block.
func (g *Grid) Count(block string) int {
	id, ok := g.ids[block]
	if !ok {
		return 0
	}
	n := 0
	for _, c := range g.cells {
		if c == id {
			n++
		}
	}
	return n
}

// Render draws the grid as text; code maps a block name to its character and air is '.'. A
// grid one cell deep in z is a picture in the x-y plane: one row per y from the top, one
// character per x. A deeper grid is drawn as y layers from the bottom ("y=0:"), each row one z
// value and each character one x value, like the HouseBuild blueprints.
func (g *Grid) Render(code func(block string) byte) string {
	var sb strings.Builder
	cell := func(x, y, z int) {
		if b := g.At(x, y, z); b == Air {
			sb.WriteByte('.')
		} else {
			sb.WriteByte(code(b))
		}
	}
	if g.size[2] == 1 {
		for y := g.box.Max[1]; y >= g.box.Min[1]; y-- {
			for x := g.box.Min[0]; x <= g.box.Max[0]; x++ {
				cell(x, y, g.box.Min[2])
			}
			sb.WriteByte('\n')
		}
		return sb.String()
	}
	for y := g.box.Min[1]; y <= g.box.Max[1]; y++ {
		fmt.Fprintf(&sb, "y=%d:\n", y)
		for z := g.box.Min[2]; z <= g.box.Max[2]; z++ {
			for x := g.box.Min[0]; x <= g.box.Max[0]; x++ {
				cell(x, y, z)
			}
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}
