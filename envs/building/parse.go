package building

import (
	"fmt"
	"strconv"
	"strings"
)

// Op is the kind of a command.
type Op uint8

// The commands of the building games.
const (
	SetBlock Op = iota + 1 // /setblock x y z block
	Fill                   // /fill x1 y1 z1 x2 y2 z2 block
	Kill                   // /kill [selector]
)

// String returns the command's name with its slash, e.g. "/fill".
func (o Op) String() string {
	switch o {
	case SetBlock:
		return "/setblock"
	case Fill:
		return "/fill"
	case Kill:
		return "/kill"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Command is one parsed command. A SetBlock has From == To; a Kill has no cells and no block.
type Command struct {
	Op       Op
	From, To [3]int
	Block    string // block name without a "minecraft:" prefix; "" for Kill
	Line     int    // 1-based line of the response it came from
	Text     string // the source text: the line (full syntax) or the token (compact syntax)
}

// Volume returns the number of cells the command writes: 1 for SetBlock, the box volume for
// Fill, 0 for Kill.
func (c Command) Volume() int {
	if c.Op == Kill {
		return 0
	}
	v := 1
	for i := range 3 {
		d := c.To[i] - c.From[i]
		if d < 0 {
			d = -d
		}
		v *= d + 1
	}
	return v
}

// String formats the command in the full syntax.
func (c Command) String() string {
	switch c.Op {
	case SetBlock:
		return fmt.Sprintf("/setblock %d %d %d %s", c.From[0], c.From[1], c.From[2], c.Block)
	case Fill:
		return fmt.Sprintf("/fill %d %d %d %d %d %d %s", c.From[0], c.From[1], c.From[2], c.To[0], c.To[1], c.To[2], c.Block)
	}
	return c.Op.String()
}

// LineError is a rejected line or command: where it was, what it said and why it was rejected.
type LineError struct {
	Line   int // 1-based line of the response
	Text   string
	Reason string
}

func (e LineError) Error() string {
	return fmt.Sprintf("line %d %q: %s", e.Line, e.Text, e.Reason)
}

// Dialect selects the command syntax of a response.
//
// The full syntax (Codes == nil) has one command per line, exactly as in Minecraft:
//
//	/setblock <x> <y> <z> <block>
//	/fill <x1> <y1> <z1> <x2> <y2> <z2> <block>
//	/kill            (or /kill <selector>, one token starting with @, e.g. @e[type=spider])
//
// with the leading slash, lower-case command names, single-space-or-more separators, absolute
// integer coordinates (no ~ or ^), no fill modes, and block names of lower-case letters, digits
// and '_' (an optional "minecraft:" prefix is dropped).
//
// The compact syntax (Codes != nil), for tiny byte-level models, has whitespace-separated tokens:
// "xyzC" is /setblock x y z, "xyzXYZC" is /fill x y z X Y Z, and "k" is /kill, where each
// coordinate is one digit and C is a one-letter block code looked up in Codes.
type Dialect struct {
	Codes map[byte]string
}

// Line is one candidate command line of a response after extraction.
type Line struct {
	No   int // 1-based line number in the response
	Text string
}

// ExtractLines returns the lines of a response that are parsed as commands:
//
//   - when a line starting with ``` opens a fenced block that a later ``` line closes, only the
//     lines inside the first such block are kept (prose around a code block is skipped and not
//     counted); without a closing fence every line is kept;
//   - blank lines are skipped;
//   - leading and trailing spaces and one leading list marker ("-", "*", "1.", "2)") are removed.
//
// Every other line is a command candidate; prose between commands therefore counts as an
// invalid line, as in the reference implementation.
func ExtractLines(text string) []Line {
	raw := strings.Split(text, "\n")
	start, end := 0, len(raw)
	for i, l := range raw {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			for j := i + 1; j < len(raw); j++ {
				if strings.HasPrefix(strings.TrimSpace(raw[j]), "```") {
					start, end = i+1, j
					break
				}
			}
			break
		}
	}
	var out []Line
	for i := start; i < end; i++ {
		s := stripListMarker(strings.TrimSpace(raw[i]))
		if s == "" {
			continue
		}
		out = append(out, Line{No: i + 1, Text: s})
	}
	return out
}

// stripListMarker removes one leading markdown list marker and the spaces after it.
func stripListMarker(s string) string {
	switch {
	case strings.HasPrefix(s, "-") || strings.HasPrefix(s, "*"):
		s = strings.TrimLeft(s, "-*")
	default:
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || (s[i] != '.' && s[i] != ')') {
			return s
		}
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

// ParseCommands parses a response in dialect d. It never fails as a whole: every line (full
// syntax) or token (compact syntax) that is not exactly one command becomes a LineError with its
// reason. Whether a command is allowed (box, palette, limits) is checked later by the game.
func ParseCommands(text string, d Dialect) ([]Command, []LineError) {
	var cmds []Command
	var errs []LineError
	for _, l := range ExtractLines(text) {
		if d.Codes == nil {
			c, reason := parseFull(l.Text)
			if reason != "" {
				errs = append(errs, LineError{Line: l.No, Text: l.Text, Reason: reason})
				continue
			}
			c.Line, c.Text = l.No, l.Text
			cmds = append(cmds, c)
			continue
		}
		for _, tok := range strings.Fields(l.Text) {
			c, reason := parseCompact(tok, d.Codes)
			if reason != "" {
				errs = append(errs, LineError{Line: l.No, Text: tok, Reason: reason})
				continue
			}
			c.Line, c.Text = l.No, tok
			cmds = append(cmds, c)
		}
	}
	return cmds, errs
}

// parseFull parses one line of the full syntax; a non-empty reason reports a rejection.
func parseFull(line string) (Command, string) {
	f := strings.Fields(line)
	switch f[0] {
	case "/setblock":
		if len(f) != 5 {
			return Command{}, fmt.Sprintf("/setblock takes 4 arguments (x y z block), got %d", len(f)-1)
		}
		var c Command
		for i := range 3 {
			v, reason := parseCoord(f[1+i])
			if reason != "" {
				return Command{}, reason
			}
			c.From[i] = v
		}
		block, reason := parseBlock(f[4])
		if reason != "" {
			return Command{}, reason
		}
		c.Op, c.To, c.Block = SetBlock, c.From, block
		return c, ""
	case "/fill":
		if len(f) != 8 {
			return Command{}, fmt.Sprintf("/fill takes 7 arguments (x1 y1 z1 x2 y2 z2 block, no fill modes), got %d", len(f)-1)
		}
		var c Command
		for i := range 6 {
			v, reason := parseCoord(f[1+i])
			if reason != "" {
				return Command{}, reason
			}
			if i < 3 {
				c.From[i] = v
			} else {
				c.To[i-3] = v
			}
		}
		block, reason := parseBlock(f[7])
		if reason != "" {
			return Command{}, reason
		}
		c.Op, c.Block = Fill, block
		return c, ""
	case "/kill":
		if len(f) > 2 || (len(f) == 2 && !strings.HasPrefix(f[1], "@")) {
			return Command{}, "/kill takes no argument or one target selector starting with @"
		}
		return Command{Op: Kill}, ""
	}
	if strings.HasPrefix(f[0], "/") {
		return Command{}, fmt.Sprintf("unknown command %q (want /setblock, /fill or /kill)", f[0])
	}
	return Command{}, "not a command: a command line starts with /"
}

func parseCoord(tok string) (int, string) {
	if strings.HasPrefix(tok, "~") || strings.HasPrefix(tok, "^") {
		return 0, fmt.Sprintf("coordinate %q is relative; use absolute integers", tok)
	}
	v, err := strconv.Atoi(tok)
	if err != nil {
		return 0, fmt.Sprintf("coordinate %q is not an integer", tok)
	}
	return v, ""
}

func parseBlock(tok string) (string, string) {
	name := strings.TrimPrefix(tok, "minecraft:")
	if name == "" {
		return "", fmt.Sprintf("block %q has no name", tok)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return "", fmt.Sprintf("block %q: a block name has lower-case letters, digits and _ only (no block states)", tok)
		}
	}
	return name, ""
}

// parseCompact parses one token of the compact syntax.
func parseCompact(tok string, codes map[byte]string) (Command, string) {
	if tok == "k" {
		return Command{Op: Kill}, ""
	}
	n := len(tok) - 1
	if n != 3 && n != 6 {
		return Command{}, "want xyzC (setblock), xyzXYZC (fill) or k (kill)"
	}
	var xyz [6]int
	for i := range n {
		if tok[i] < '0' || tok[i] > '9' {
			return Command{}, fmt.Sprintf("character %d must be a coordinate digit", i+1)
		}
		xyz[i] = int(tok[i] - '0')
	}
	block, ok := codes[tok[n]]
	if !ok {
		return Command{}, fmt.Sprintf("unknown block code %q", tok[n:])
	}
	c := Command{Op: SetBlock, Block: block}
	copy(c.From[:], xyz[:3])
	c.To = c.From
	if n == 6 {
		c.Op = Fill
		copy(c.To[:], xyz[3:])
	}
	return c, ""
}
