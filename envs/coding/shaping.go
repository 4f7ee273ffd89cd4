package coding

import (
	"strings"

	"github.com/collm/collm/envs/reward"
)

// Format shaping of coding-mini (option shaping, on by default): partial credit, before level 1
// passes, for responses on their way to a well-formed answer of the mini grammar
// "def NAME(PARAMS):return EXPR". A byte-level model from random init never writes `def f(` by
// chance, so without it every sample scores the same and its advantages are all zero.
//
// For each function not yet defined with a return value (aux for agent 0 with two agents, f
// for the last agent), the part format_shaping adds weight * FormatQuality(response, target),
// target "def aux(x):return " or "def f(PARAMS):return " with the statement's parameters,
// with weight ShapingAux = 0.2 (< the 0.4 of aux_defined) and ShapingMain = 0.3 (< the 0.6 of
// main_defined). A function that reaches level 1 gets no shaping, so passing a level always
// pays more than any shaped failure, and the shaping is at most 0.5 points, below level 1.
const (
	ShapingAux  = 0.2
	ShapingMain = 0.3
)

// formatAlphabet are the characters of mini answers: lower-case letters, digits, the
// operators and punctuation of "def f(x,y):return aux(x)*2-3", space and newline.
const formatAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789()*+,-: \n"

// FormatQuality scores how close response (markdown stripped as by the judge) comes to
// starting with target, the canonical start of an answer such as "def f(x,y):return ", in
// [0, 1]: 0 for an empty response, 1 when it starts with target and otherwise uses only the
// alphabet and target's byte pairs. It is
//
//	0.1 * (share of its bytes in the answer alphabet: a-z 0-9 ( ) * + , - : space newline)
//	+ 0.4 * (share of its adjacent byte pairs that are adjacent in target, e.g. "de", "):")
//	+ 0.5 * (longest common prefix with target, as a fraction of len(target)).
//
// The pair share rewards what a model can learn locally (which byte follows which) and pays
// nothing for a byte repeated over and over, a trap of per-byte scores; the prefix puts the
// pairs in order. Every byte that extends a match raises the score. It runs in Go, without
// the sandbox; only the first 256 bytes count.
func FormatQuality(response, target string) float64 {
	s := ExtractCode(response)
	if len(s) > 256 {
		s = s[:256]
	}
	if s == "" || target == "" {
		return 0
	}
	good, pairs := 0, 0
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(formatAlphabet, s[i]) >= 0 {
			good++
		}
		if i+1 < len(s) && strings.Contains(target, s[i:i+2]) {
			pairs++
		}
	}
	q := 0.1*float64(good)/float64(len(s)) + 0.5*float64(commonPrefix(s, target))/float64(len(target))
	if len(s) > 1 {
		q += 0.4 * float64(pairs) / float64(len(s)-1)
	}
	return q
}

func commonPrefix(s, p string) int {
	n := 0
	for n < len(s) && n < len(p) && s[n] == p[n] {
		n++
	}
	return n
}

// miniTargets are the FormatQuality targets of f, one per problem: "def f(PARAMS):return "
// with the parameters of the problem's statement "f(PARAMS)=...".
func miniTargets(problems []Problem) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		params, _, _ := strings.Cut(strings.TrimPrefix(p.Prompt, p.EntryPoint+"("), ")=")
		out[i] = "def " + p.EntryPoint + "(" + params + "):return "
	}
	return out
}

// auxTarget is the FormatQuality target of aux: every mini aux takes x.
const auxTarget = "def aux(x):return "

// formatShaping is the format_shaping part (see ShapingAux): it reads the Judgment's level 1
// for aux and f, the responses' text and the task's f target (Input.Task indexes targets).
func formatShaping(agents int, targets []string) reward.Component {
	return reward.Term("format_shaping", func(in reward.Input) float64 {
		j := judgmentOf(in)
		if len(in.Responses) == 0 {
			return 0
		}
		s := 0.0
		if agents == 2 && len(in.Responses) == 2 && !(j.AuxDefined && j.AuxReturns) {
			s += ShapingAux * FormatQuality(in.Responses[0], auxTarget)
		}
		if !(j.MainDefined && j.MainReturns) {
			s += ShapingMain * FormatQuality(in.Responses[len(in.Responses)-1], targets[in.Task])
		}
		return s
	})
}
