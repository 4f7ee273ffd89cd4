package building

import (
	"fmt"

	"github.com/collm/collm/envs"
)

// miniStrEnv is StrBuild in the compact dialect (strbuild-mini, and any StrConfig with Compact):
// a strEnv that also implements envs.Vocab. The full games have no vocabulary, so a tiny agent
// keeps its byte tokenizer there.
type miniStrEnv struct{ *strEnv }

// miniHouseEnv is HouseBuild in the compact dialect (housebuild-mini), with envs.Vocab.
type miniHouseEnv struct{ *houseEnv }

var (
	_ envs.Vocab = (*miniStrEnv)(nil)
	_ envs.Vocab = (*miniHouseEnv)(nil)
)

// Vocab implements envs.Vocab for strbuild-mini: every answer and prompt is a short sequence
// of these pieces. They are
//
//   - one piece per command " xyzC", with its leading space so that any sequence of them is a
//     well-formed answer, for every cell of the largest target's box and every code an agent
//     may use (the configured palettes and air): 7*3*1*5 = 105 with the default 2 agents. The
//     agent still chooses the cell and the block of each command; a piece is one move.
//   - the fixed parts of the prompts: the letters of the tasks' strings, each agent's codes
//     (" os", " wb"), the turn (" t1/2", " t2/2"), "\n=" (the world's blocks follow) and "\n>"
//     (the previous answer follows), " r" (the previous score, with digits, "." and "-").
//   - every single character of the pieces above, so that any text the game reads or echoes
//     (a command spelled out character by character, a cut answer) tokenizes without an
//     unknown token.
//
// With the default options that is 142 pieces.
func (e *miniStrEnv) Vocab() []string {
	g := e.game.(*strGame)
	v := newPieceSet()
	for _, t := range g.cfg.Tasks {
		for _, r := range t.Text {
			v.add(string(r))
		}
	}
	var codes []byte
	for a, p := range g.palettes {
		v.add(" " + g.codes(a))
		for _, b := range p {
			codes = append(codes, g.code(b))
		}
	}
	codes = append(codes, g.code(Air))
	v.addTurns(" t", g.cfg.Turns)
	v.add("\n=", "\n>", " r", ".", "-")
	box := g.targets[0].Box
	for _, t := range g.targets {
		box = unionBox(box, t.Box)
	}
	for y := box.Min[1]; y <= box.Max[1]; y++ {
		for z := box.Min[2]; z <= box.Max[2]; z++ {
			for x := box.Min[0]; x <= box.Max[0]; x++ {
				for _, c := range codes {
					v.add(fmt.Sprintf(" %d%d%d%c", x, y, z, c))
				}
			}
		}
	}
	return v.withChars()
}

// Vocab implements envs.Vocab for housebuild-mini. The pieces are
//
//   - one piece per fill command " xyzXYZC" whose corners lie in the huts' box with x<=X, y<=Y,
//     z<=Z (every sub-box once; the reversed corners of the same box are the same command) and
//     C any legend code, air included: 108 boxes * 5 codes = 540 for the default huts; and " k".
//     The agent still chooses the box and the block of each fill.
//   - the fixed parts of the prompts: the turn ("t1/2", "t2/2"), the remaining blocks as
//     code+count (" c13", each count an agent can hold, up to 40), the spider damage (" s6"), the
//     blueprint rows (" ccc", " c.c", ...: a space and one row of one layer), "\n", "\n>" (the
//     previous answer follows) and " r" (the previous score, with digits, "." and "-").
//   - every single character of the pieces above.
//
// With the default options that is 646 pieces.
func (e *miniHouseEnv) Vocab() []string {
	g := e.game.(*houseGame)
	v := newPieceSet()
	v.addTurns("t", g.cfg.Turns)
	var codes []byte
	box := g.cfg.Blueprints[0].Box
	most := 0 // the most of one block an agent can hold
	for i := range g.cfg.Blueprints {
		bp := &g.cfg.Blueprints[i]
		box = unionBox(box, bp.Box)
		for _, l := range bp.Legend {
			if !containsByte(codes, l.Char) {
				codes = append(codes, l.Char)
			}
		}
		for _, n := range g.limits[i] {
			most = max(most, n)
		}
	}
	if !g.cfg.Unlimited {
		for _, c := range codes {
			if e.dialect.Codes[c] != Air {
				for n := range min(most, maxNumberPiece) + 1 {
					v.add(fmt.Sprintf(" %c%d", c, n))
				}
			}
		}
	}
	for d := range min(g.cfg.Spiders*g.cfg.SpiderMax, maxNumberPiece) + 1 {
		v.add(fmt.Sprintf(" s%d", d))
	}
	v.add("\n", "\n>", " r", ".", "-")
	for i := range g.cfg.Blueprints {
		bp := &g.cfg.Blueprints[i]
		for _, layer := range bp.Layers {
			for _, row := range layer {
				v.add(compactRow(bp, row))
			}
		}
	}
	v.add(" k")
	var corners [][3]int
	for x := box.Min[0]; x <= box.Max[0]; x++ {
		for y := box.Min[1]; y <= box.Max[1]; y++ {
			for z := box.Min[2]; z <= box.Max[2]; z++ {
				corners = append(corners, [3]int{x, y, z})
			}
		}
	}
	for _, a := range corners {
		for _, b := range corners {
			if b[0] < a[0] || b[1] < a[1] || b[2] < a[2] {
				continue
			}
			for _, c := range codes {
				v.add(fmt.Sprintf(" %d%d%d%d%d%d%c", a[0], a[1], a[2], b[0], b[1], b[2], c))
			}
		}
	}
	return v.withChars()
}

// maxNumberPiece is the largest count or damage that is one piece (" c13", " s6"); larger ones
// (only with custom blueprints or spider options) are written with their last digits as
// separate pieces, so the vocabulary stays small whatever the options.
const maxNumberPiece = 40

// pieceSet collects distinct pieces in order.
type pieceSet struct {
	pieces []string
	seen   map[string]bool
}

func newPieceSet() *pieceSet { return &pieceSet{seen: map[string]bool{}} }

func (v *pieceSet) add(pieces ...string) {
	for _, p := range pieces {
		if !v.seen[p] {
			v.seen[p] = true
			v.pieces = append(v.pieces, p)
		}
	}
}

// addTurns adds prefix+"<t>/<turns>" for every turn.
func (v *pieceSet) addTurns(prefix string, turns int) {
	for t := 1; t <= turns; t++ {
		v.add(fmt.Sprintf("%s%d/%d", prefix, t, turns))
	}
}

// withChars returns the pieces followed by every character they use that is not yet a piece,
// and the ten digits, so that any text made of those characters tokenizes.
func (v *pieceSet) withChars() []string {
	chars := newPieceSet()
	for d := range 10 {
		chars.add(fmt.Sprint(d))
	}
	for _, p := range v.pieces {
		for _, r := range p {
			chars.add(string(r))
		}
	}
	v.add(chars.pieces...)
	return v.pieces
}

func unionBox(a, b Box) Box {
	for i := range 3 {
		a.Min[i], a.Max[i] = min(a.Min[i], b.Min[i]), max(a.Max[i], b.Max[i])
	}
	return a
}

// checkCompactBox reports a box the compact syntax cannot address: it has one digit per
// coordinate.
func checkCompactBox(compact bool, b Box, what string) error {
	if !compact {
		return nil
	}
	for i, axis := range "xyz" {
		if b.Min[i] < 0 || b.Max[i] > 9 {
			return fmt.Errorf("%s: box %s: the compact syntax needs %c in 0..9 (use fewer or smaller targets, or the full syntax)", what, b, axis)
		}
	}
	return nil
}

func containsByte(list []byte, c byte) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}
