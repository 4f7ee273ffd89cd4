package building

import (
	"fmt"
	"strings"
)

// Font maps upper-case letters to glyphs: equal-length rows, top row first, '#' for a block.
type Font struct {
	Name          string
	Width, Height int
	Glyphs        map[rune][]string
}

// Font5x5 is the StrBuild font: every letter A-Z in a 5x5 cell box. (Our own drawing; the
// reference uses a 5x5 font of the same size, so target sizes match.)
var Font5x5 = Font{Name: "5x5", Width: 5, Height: 5, Glyphs: map[rune][]string{
	'A': {".###.", "#...#", "#####", "#...#", "#...#"},
	'B': {"####.", "#...#", "####.", "#...#", "####."},
	'C': {".####", "#....", "#....", "#....", ".####"},
	'D': {"####.", "#...#", "#...#", "#...#", "####."},
	'E': {"#####", "#....", "####.", "#....", "#####"},
	'F': {"#####", "#....", "####.", "#....", "#...."},
	'G': {".####", "#....", "#..##", "#...#", ".###."},
	'H': {"#...#", "#...#", "#####", "#...#", "#...#"},
	'I': {"#####", "..#..", "..#..", "..#..", "#####"},
	'J': {"..###", "...#.", "...#.", "#..#.", ".##.."},
	'K': {"#...#", "#..#.", "###..", "#..#.", "#...#"},
	'L': {"#....", "#....", "#....", "#....", "#####"},
	'M': {"#...#", "##.##", "#.#.#", "#...#", "#...#"},
	'N': {"#...#", "##..#", "#.#.#", "#..##", "#...#"},
	'O': {".###.", "#...#", "#...#", "#...#", ".###."},
	'P': {"####.", "#...#", "####.", "#....", "#...."},
	'Q': {".###.", "#...#", "#.#.#", "#..#.", ".##.#"},
	'R': {"####.", "#...#", "####.", "#..#.", "#...#"},
	'S': {".####", "#....", ".###.", "....#", "####."},
	'T': {"#####", "..#..", "..#..", "..#..", "..#.."},
	'U': {"#...#", "#...#", "#...#", "#...#", ".###."},
	'V': {"#...#", "#...#", ".#.#.", ".#.#.", "..#.."},
	'W': {"#...#", "#...#", "#.#.#", "#.#.#", ".#.#."},
	'X': {"#...#", ".#.#.", "..#..", ".#.#.", "#...#"},
	'Y': {"#...#", ".#.#.", "..#..", "..#..", "..#.."},
	'Z': {"#####", "...#.", "..#..", ".#...", "#####"},
}}

// Font3x3 is the strbuild-mini font: the eight letters that stay distinct in a 3x3 box.
var Font3x3 = Font{Name: "3x3", Width: 3, Height: 3, Glyphs: map[rune][]string{
	'C': {"###", "#..", "###"},
	'E': {"###", "##.", "###"},
	'H': {"#.#", "###", "#.#"},
	'I': {"###", ".#.", "###"},
	'L': {"#..", "#..", "###"},
	'O': {"###", "#.#", "###"},
	'T': {"###", ".#.", ".#."},
	'U': {"#.#", "#.#", "###"},
}}

// Render draws text (letters, case-insensitive) as rows, top row first, with spacing empty
// columns between letters. It returns an error naming the first letter the font lacks.
func (f Font) Render(text string, spacing int) ([]string, error) {
	text = strings.ToUpper(strings.TrimSpace(text))
	if text == "" {
		return nil, fmt.Errorf("font %s: empty text", f.Name)
	}
	if spacing < 0 {
		return nil, fmt.Errorf("font %s: negative spacing %d", f.Name, spacing)
	}
	rows := make([]string, f.Height)
	for i, ch := range text {
		g, ok := f.Glyphs[ch]
		if !ok {
			return nil, fmt.Errorf("font %s has no glyph for %q in %q", f.Name, ch, text)
		}
		for r := range rows {
			if i > 0 {
				rows[r] += strings.Repeat(".", spacing)
			}
			rows[r] += g[r]
		}
	}
	return rows, nil
}
