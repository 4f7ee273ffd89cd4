package coding

import (
	"strings"

	"github.com/collm/collm/envs/reward"
)

// Format shaping of coding-mini (option shaping, on by default, dense reward only): while
// level 2 (the joint program parses) is not earned, each function's level-1 credit is replaced
// by a graded one that pays for a body that is one complete expression and nothing after it.
//
// Why: coding-mini's prompts end with the function header, so any non-empty body passes the
// judge's tolerant level 1 (a textual "return <something>"), and level 2 needs both agents'
// bodies to parse at once. With the exact reward almost every sample of a tiny agent from
// random init scores the same (-0.75, level 1 only), which gives the policy gradient nothing to
// tell them apart.
//
// The shaped points of a function while level 2 fails are (level 1 + weight) * q, weight
// ShapingAux = 0.2 for aux (agent 0 with two agents) and ShapingMain = 0.25 for f (the last
// agent); q is 1 when the function is well-formed (its response alone parses, defines it and
// returns a value: judged by Python) and FormatQuality(response, header) otherwise. The part
// format_shaping is those shaped points minus the level-1 points the function earned, so it may
// be negative (junk after "return" loses its level-1 credit) and the shaped points lie in
// [0, 1.45], below the 1.5 of both level-1 points and level 2: once both bodies parse the
// program parses, the shaping stops and the exact points are at least as high as any shaped
// failure. The reward stays in [-1, 0].
const (
	ShapingAux  = 0.2
	ShapingMain = 0.25
)

// FormatQuality scores how close response (markdown stripped as by the judge) comes to the
// one-liner header + EXPR, in [0, 1]: 0 unless it starts with header (coding-mini's prompts end
// with the header and the env prepends it, so it always does there) and 1 for header followed
// by one complete expression and nothing else. For the body after the header it is
//
//	0.5 * (1 if the body starts with a complete expression)
//	+ 0.5 * (the share of the body's bytes that the longest such expression covers)
//
// The expressions are those of the mini grammar (see completeExpr): numbers, names that are
// not keywords, calls, parentheses, unary + and -, the binary operators + - * / // % **.
// Text after a complete expression lowers the share, so ending the answer right after it
// pays most. It runs in Go, without the sandbox; only the first 256 bytes count.
func FormatQuality(response, header string) float64 {
	s := ExtractCode(response)
	if len(s) > 256 {
		s = s[:256]
	}
	body, ok := strings.CutPrefix(s, header)
	if !ok || body == "" {
		return 0
	}
	n := completeExpr(body)
	if n == 0 {
		return 0
	}
	return 0.5 + 0.5*float64(n)/float64(len(body))
}

// pyKeywords are Python's keywords that cannot be an operand (True, False and None can).
var pyKeywords = map[string]bool{
	"and": true, "as": true, "assert": true, "async": true, "await": true, "break": true, "class": true,
	"continue": true, "def": true, "del": true, "elif": true, "else": true, "except": true, "finally": true,
	"for": true, "from": true, "global": true, "if": true, "import": true, "in": true, "is": true,
	"lambda": true, "nonlocal": true, "not": true, "or": true, "pass": true, "raise": true, "return": true,
	"try": true, "while": true, "with": true, "yield": true,
}

// completeExpr returns the length of the longest prefix of s that is one complete expression
// of the mini grammar (a subset of Python's): operands are numbers, names and parenthesized
// expressions, an operand may be called with comma-separated arguments, operators are unary
// + -, binary + - * / // % **; spaces and tabs may separate lexemes. It scans lexeme by lexeme
// and stops at the first one that cannot continue the expression.
func completeExpr(s string) int {
	const (
		operand  = iota // an operand (or a unary sign, or a closing parenthesis right after an opening one) is expected
		operator        // an operand just ended
	)
	state, best := operand, 0
	var parens []bool // open parentheses: true for a call's, whose commas separate arguments
	justOpened := false
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		j := i + 1
		opened := false
		switch {
		case isDigit(c) && state == operand:
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			state = operator
		case isNameStart(c) && state == operand:
			for j < len(s) && (isNameStart(s[j]) || isDigit(s[j])) {
				j++
			}
			if pyKeywords[s[i:j]] {
				return best
			}
			state = operator
		case (c == '+' || c == '-') && state == operand: // unary sign
		case c == '(':
			parens = append(parens, state == operator) // after an operand it is a call
			state, opened = operand, true
		case c == ')' && len(parens) > 0 && (state == operator || justOpened):
			parens = parens[:len(parens)-1]
			state = operator
		case c == ',' && state == operator && len(parens) > 0 && parens[len(parens)-1]:
			state = operand
		case state == operator && (c == '+' || c == '-' || c == '%'):
			state = operand
		case state == operator && (c == '*' || c == '/'):
			if j < len(s) && s[j] == c { // ** or //
				j++
			}
			state = operand
		default:
			return best
		}
		justOpened = opened
		i = j
		if state == operator && len(parens) == 0 {
			best = i
		}
	}
	return best
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isNameStart(c byte) bool { return c == '_' || (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// miniHeaders are the FormatQuality headers of f, one per problem (see miniHeader).
func miniHeaders(problems []Problem) []string {
	out := make([]string, len(problems))
	for i := range problems {
		out[i] = miniHeader(&problems[i])
	}
	return out
}

// miniHeader is the header of a mini problem's entry point: "def f(PARAMS):return " with the
// parameters of its statement "f(PARAMS)=...".
func miniHeader(p *Problem) string {
	params, _ := miniStatement(p)
	return "def " + p.EntryPoint + "(" + params + "):return "
}

// auxHeader is the FormatQuality header of aux: every mini aux takes x.
const auxHeader = "def aux(x):return "

// formatShaping is the format_shaping part (see ShapingAux): it reads the Judgment's levels and
// per-response parse results, the responses' text and the task's f header (Input.Task indexes
// headers). While level 2 is not earned the exact points are the level-1 points alone, so the
// part is the shaped value of the functions minus them.
func formatShaping(agents int, headers []string) reward.Component {
	return reward.Term("format_shaping", func(in reward.Input) float64 {
		j := judgmentOf(in)
		if len(in.Responses) == 0 || (j.MainDefined && j.MainReturns && j.SyntaxOK) {
			return 0
		}
		// shaped is (level 1 + weight) * quality minus the level-1 points earned.
		shaped := func(level1, weight float64, defined, returns bool, parseError, response, header string) float64 {
			q := 1.0
			if !defined || !returns || parseError != "" {
				q = FormatQuality(response, header)
			}
			s := (level1 + weight) * q
			if defined && returns {
				s -= level1
			}
			return s
		}
		s := 0.0
		if agents == 2 && len(in.Responses) == 2 {
			s += shaped(PointsAuxDefined, ShapingAux, j.AuxDefined, j.AuxReturns, j.AuxParseError, in.Responses[0], auxHeader)
		}
		return s + shaped(PointsMainDefined, ShapingMain, j.MainDefined, j.MainReturns, j.MainParseError, in.Responses[len(in.Responses)-1], headers[in.Task])
	})
}
