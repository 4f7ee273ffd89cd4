package building

import (
	"fmt"
	"math"
)

// Format-shaping weights of the mini variants with option shaping=true. Each stays below what
// one correct block earns in one turn on every task, so well-formed but useless commands never
// pay more than building: one letter cell is worth 2/14 ≈ 0.143 on the largest strbuild-mini
// target (IC, 14 cells) and one cell 1/18 ≈ 0.056 of a housebuild-mini hut (18 cells).
//
// The shaping is off by default. It was made for byte-level agents, which start from random
// bytes and must first learn what a command looks like. Agents with the word-level tokenizer
// over the env's vocabulary (maac's default for tiny models) sample whole commands, so nearly
// every token is already well formed and the shaping only says whether the game accepted it;
// with MAGRPO it made no measurable difference (see the package documentation), so the default
// is the exact game reward. Use shaping=true with byte-level agents (maac AgentSpec.Tokenizer
// "bytes").
const (
	MiniStrShaping   = 0.1
	MiniHouseShaping = 0.05
)

// Token credits of FormatQuality: an accepted command, a command the game rejects (outside the
// box, another agent's block, over a limit), and the most an unparsable token earns for its
// shape. Each rung is worth more than the one below.
const (
	creditAccepted = 1.0
	creditParsed   = 0.5
	creditShape    = 0.4
)

// Weights of FormatQuality's two parts: characters of the command alphabet and token credit.
const (
	alphabetWeight = 0.1
	tokenWeight    = 0.9
)

// FormatQuality grades how close one agent's response is to commands the game accepts, in the
// compact mini syntax, as a number in [0, 1]. It reads the tokens the parser saw this turn (the
// accepted commands and the rejected tokens of agent in tr, so fenced blocks and list markers
// are handled as by ExtractLines) and returns 0 when there are none, else
//
//	q = 0.1 * A + 0.9 * T
//
// where A is the share of the tokens' bytes in the game's alphabet (digits, the dialect's block
// codes, and k when the game offers /kill), and T is the length-weighted mean token credit
// sum(len(t)*credit(t)) / sum(len(t)) with
//
//	credit = 1    for an accepted command,
//	         0.5  for a well-formed command the game rejects (outside the box, another agent's
//	              block, over the per-turn or resource limits, or a form the game does not offer),
//	         0.4 * s  otherwise, where s is the best shape match over the forms the game offers
//	              (xyzC for /setblock, xyzXYZC for /fill, k for /kill): the number of positions
//	              i < len(form) where t[i] is what the form allows there (a digit of that axis
//	              inside the box, a code of the agent's blocks or air, k), divided by
//	              max(len(t), len(form)).
//
// So q = 1 exactly when every token is an accepted command, and each step from random bytes
// raises q: alphabet bytes, then tokens of the right length and shape (e.g. splitting
// "00000000" into "000 0000"), then parsable commands, then commands the game accepts. r holds
// the game's rules of the turn (ops, box, palettes); d must be the compact dialect (Codes non-nil).
func FormatQuality(tr *TurnResult, agent int, d Dialect, r *Rules) float64 {
	// The kinds of a form's positions: 0, 1, 2 a coordinate digit of that axis inside the box,
	// 'c' a code of the agent's blocks (or air), 'k' the letter k.
	var forms [][]byte
	kill := false
	for _, op := range r.Ops {
		switch op {
		case SetBlock:
			forms = append(forms, []byte{0, 1, 2, 'c'})
		case Fill:
			forms = append(forms, []byte{0, 1, 2, 0, 1, 2, 'c'})
		case Kill:
			forms = append(forms, []byte{'k'})
			kill = true
		}
	}
	own := map[byte]bool{}
	for c, b := range d.Codes {
		if b == Air || contains(r.Palettes[agent], b) {
			own[c] = true
		}
	}
	kindOK := func(kind, ch byte) bool {
		switch kind {
		case 'c':
			return own[ch]
		case 'k':
			return ch == 'k'
		}
		v := int(ch) - '0'
		return v >= r.Box.Min[kind] && v <= r.Box.Max[kind] && ch >= '0' && ch <= '9'
	}
	var bytes, alphabet int
	credit := 0.0
	add := func(tok string, c float64) {
		bytes += len(tok)
		credit += float64(len(tok)) * c
		for i := range len(tok) {
			if ch := tok[i]; ch >= '0' && ch <= '9' || ch == 'k' && kill || isCode(ch, d) {
				alphabet++
			}
		}
	}
	for _, c := range tr.Accepted[agent] {
		add(c.Text, creditAccepted)
	}
	for _, e := range tr.Rejected[agent] {
		if _, reason := parseCompact(e.Text, d.Codes); reason == "" {
			add(e.Text, creditParsed)
			continue
		}
		best := 0.0
		for _, f := range forms {
			n := 0
			for i := range min(len(e.Text), len(f)) {
				if kindOK(f[i], e.Text[i]) {
					n++
				}
			}
			best = max(best, float64(n)/float64(max(len(e.Text), len(f))))
		}
		add(e.Text, creditShape*best)
	}
	if bytes == 0 {
		return 0
	}
	return alphabetWeight*float64(alphabet)/float64(bytes) + tokenWeight*credit/float64(bytes)
}

func isCode(c byte, d Dialect) bool {
	_, ok := d.Codes[c]
	return ok
}

// checkShaping validates a shaping weight against the value of one correct block.
func checkShaping(field string, w float64, compact bool) error {
	switch {
	case math.IsNaN(w) || w < 0:
		return fmt.Errorf("%s = %v: want >= 0 (0 turns the format shaping off)", field, w)
	case w > 0 && !compact:
		return fmt.Errorf("%s = %v: the format shaping grades the compact syntax; set Compact or use 0", field, w)
	}
	return nil
}
