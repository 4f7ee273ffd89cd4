package writing

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/collm/collm/envs/reward"
)

// gen describes a synthetic text for the golden tests. Its words use only the letters
// x z q k j v w, so no transition phrase and no stopword can occur by accident; every word has
// 4 letters and its first letter is a namespace (x: text 1, z: text 2, q: shared).
type gen struct {
	ns      byte     // namespace of the private words
	private int      // distinct private words (>= 2)
	shared  int      // distinct words shared with the other text (namespace q)
	first   []string // literal tokens put first
	extra   []string // literal tokens put last
	tokens  int      // total tokens; filled by repeating the last private word
	chars   int      // total characters; reached by lengthening the first private word
}

const letters = "xzqkjvw"

func code(ns byte, i int) string {
	return string([]byte{ns, letters[i/49%7], letters[i/7%7], letters[i%7]})
}

func (g gen) text(t *testing.T) string {
	t.Helper()
	var toks []string
	toks = append(toks, g.first...)
	for i := range g.private {
		toks = append(toks, code(g.ns, i))
	}
	for i := range g.shared {
		toks = append(toks, code('q', i))
	}
	for len(toks)+len(g.extra) < g.tokens {
		toks = append(toks, code(g.ns, g.private-1))
	}
	toks = append(toks, g.extra...)
	s := strings.Join(toks, " ")
	pad := g.chars - Chars(s)
	if g.private < 2 || len(toks) != g.tokens || pad < 0 {
		t.Fatalf("bad generator %+v: %d tokens, %d chars before padding", g, len(toks), Chars(s))
	}
	first := code(g.ns, 0)
	return strings.Replace(s, first, first+strings.Repeat("k", pad), 1)
}

type golden struct {
	name   string
	c1, c2 gen
	raw    [2]string // used instead of c1, c2 when set
	total  float64
	levels int
}

func runGolden(t *testing.T, rules Rules, cases []golden) {
	s := rules.Scheme(DefaultLexicon())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c1, c2 := tc.raw[0], tc.raw[1]
			if tc.raw == [2]string{} {
				c1, c2 = tc.c1.text(t), tc.c2.text(t)
			}
			res := s.Score(reward.Input{Responses: []string{c1, c2}, Last: true})
			if math.Abs(res.Total-tc.total) > 1e-9 || res.Levels != tc.levels {
				t.Errorf("total %.12f, levels %d; want %.12f, %d\nparts %v stopped %q\nmetrics %v",
					res.Total, res.Levels, tc.total, tc.levels, res.Parts, res.Stopped, rules.Metrics(DefaultLexicon(), c1, c2))
			}
		})
	}
}

// TestTLDRGolden: hand-computed rewards at every band edge of the TLDR rules. The base pair:
// c1 = 8 tokens, 5 distinct words, 40 characters; c2 with 10 distinct words (unique ratio 2.0,
// +0.5), no shared word (Jaccard 0) and no transition word, so the total is
// 0.5 + L2 + 0.5 unless stated.
func TestTLDRGolden(t *testing.T) {
	c1 := gen{ns: 'x', private: 5, tokens: 8, chars: 80}
	c2 := func(chars int) gen { return gen{ns: 'z', private: 10, tokens: 10, chars: chars} }
	cases := []golden{
		// Level 1: tokens 8..256 for both.
		{name: "c1 7 tokens stops", c1: gen{ns: 'x', private: 5, tokens: 7, chars: 40}, c2: c2(64), total: 0, levels: 0},
		{name: "c1 8 tokens passes", c1: c1, c2: c2(128), total: 2.0, levels: 3},
		{name: "c2 7 tokens stops", c1: c1, c2: gen{ns: 'z', private: 7, tokens: 7, chars: 128}, total: 0, levels: 0},
		{name: "c2 256 tokens passes", c1: gen{ns: 'x', private: 5, tokens: 8, chars: 700},
			c2: gen{ns: 'z', private: 10, tokens: 256, chars: 1400}, total: 2.0, levels: 3},
		{name: "c2 257 tokens stops", c1: gen{ns: 'x', private: 5, tokens: 8, chars: 700},
			c2: gen{ns: 'z', private: 10, tokens: 257, chars: 1400}, total: 0, levels: 0},
		{name: "empty c1 stops at level 1", raw: [2]string{"", "a b c d e f g h"}, total: 0, levels: 0},
		// Level 2: r = len(c2)/len(c1), len(c1) = 80.
		{name: "r 1.075 stops", c1: c1, c2: c2(86), total: 0.5, levels: 1},
		{name: "r 1.1 passes with 0", c1: c1, c2: c2(88), total: 1.0, levels: 3},
		{name: "r 1.35 half ramp", c1: c1, c2: c2(108), total: 1.5, levels: 3},
		{name: "r 1.6 plateau", c1: c1, c2: c2(128), total: 2.0, levels: 3},
		{name: "r 3.2 plateau", c1: c1, c2: c2(256), total: 2.0, levels: 3},
		{name: "r 4.1 half ramp down", c1: c1, c2: c2(328), total: 1.5, levels: 3},
		{name: "r 5.0 passes with 0", c1: c1, c2: c2(400), total: 1.0, levels: 3},
		{name: "r 5.025 stops", c1: c1, c2: c2(402), total: 0.5, levels: 1},
		// Level 3: u = unique(c2)/unique(c1), r = 1.6.
		{name: "u 1.4 ramp", c1: c1, c2: gen{ns: 'z', private: 7, tokens: 8, chars: 128}, total: 1.5 + 0.5*0.1/0.7, levels: 3},
		{name: "u 1.2857 stops", c1: gen{ns: 'x', private: 7, tokens: 8, chars: 40},
			c2: gen{ns: 'z', private: 9, tokens: 9, chars: 64}, total: 1.5, levels: 2},
		{name: "u 1.3 passes with 0 and reaches level 4", c1: gen{ns: 'x', private: 10, tokens: 10, chars: 80},
			c2: gen{ns: 'z', private: 12, extra: []string{"however"}, tokens: 13, chars: 128}, total: 1.5 + 0.4*0.45, levels: 3},
		{name: "unique(c1) 0 stops", raw: [2]string{"!! ?? -- .. ,, ;; :: ++", "!!!! ???? ---- .... ,,,, ;;;; :::: ++++"}, total: 1.5, levels: 2},
		// Level 4: T of c2 and Jaccard capped at 0.03.
		{name: "T 1 category", c1: c1, c2: gen{ns: 'z', private: 9, extra: []string{"thus"}, tokens: 10, chars: 128}, total: 2.0 + 0.4*0.4, levels: 3},
		{name: "T also counts so", c1: c1, c2: gen{ns: 'z', private: 9, extra: []string{"also"}, tokens: 10, chars: 128}, total: 2.0 + 0.4*0.45, levels: 3},
		{name: "T of c1 does not count", c1: gen{ns: 'x', private: 4, extra: []string{"thus"}, tokens: 8, chars: 40},
			c2: c2(64), total: 2.0, levels: 3},
		{name: "J 0.02 below cap", c1: gen{ns: 'x', private: 4, shared: 1, tokens: 8, chars: 100},
			c2: gen{ns: 'z', private: 45, shared: 1, tokens: 46, chars: 250}, total: 2.0 + 0.6*0.02/0.03, levels: 3},
		{name: "J 1/30 capped", c1: gen{ns: 'x', private: 4, shared: 1, tokens: 8, chars: 100},
			c2: gen{ns: 'z', private: 25, shared: 1, tokens: 26, chars: 250}, total: 2.6, levels: 3},
		{name: "only stopwords: both Jaccard sets empty give 1; as is time", raw: [2]string{
			"the a an and of to in on",
			"the a an and of to in on is it at by be as or we i you he"}, total: 0.5 + 1 + 0.5 + 0.4*0.4 + 0.6, levels: 3},
	}
	runGolden(t, TLDRRules, cases)
}

// TestArxivGolden: hand-computed rewards at the band edges of the arXiv rules. Base pair:
// c1 = 128 tokens, 100 distinct words, 1000 characters; c2 128 tokens, 100 distinct words
// (unique ratio 1.0, +0.5), nothing shared, no transition: total 0.5 + L2 + 0.5 unless stated.
func TestArxivGolden(t *testing.T) {
	c1 := gen{ns: 'x', private: 100, tokens: 128, chars: 1000}
	c2 := func(chars int) gen { return gen{ns: 'z', private: 100, tokens: 128, chars: chars} }
	u := func(distinct int) gen { return gen{ns: 'z', private: distinct, tokens: 200, chars: 1400} } // r = 1.4
	cases := []golden{
		{name: "c1 127 tokens stops", c1: gen{ns: 'x', private: 100, tokens: 127, chars: 1000}, c2: c2(1400), total: 0, levels: 0},
		{name: "c1 128 tokens passes", c1: c1, c2: c2(1400), total: 2.0, levels: 3},
		{name: "c2 256 tokens passes", c1: c1, c2: gen{ns: 'z', private: 100, tokens: 256, chars: 1400}, total: 2.0, levels: 3},
		{name: "c2 257 tokens stops", c1: c1, c2: gen{ns: 'z', private: 100, tokens: 257, chars: 1400}, total: 0, levels: 0},
		{name: "r 0.79 stops", c1: c1, c2: c2(790), total: 0.5, levels: 1},
		{name: "r 0.8 passes with 0", c1: c1, c2: c2(800), total: 1.0, levels: 3},
		{name: "r 1.05 half ramp", c1: c1, c2: c2(1050), total: 1.5, levels: 3},
		{name: "r 1.3 plateau", c1: c1, c2: c2(1300), total: 2.0, levels: 3},
		{name: "r 1.6 plateau", c1: c1, c2: c2(1600), total: 2.0, levels: 3},
		{name: "r 1.8 half ramp down", c1: c1, c2: c2(1800), total: 1.5, levels: 3},
		{name: "r 2.0 passes with 0", c1: c1, c2: c2(2000), total: 1.0, levels: 3},
		{name: "r 2.01 stops", c1: c1, c2: c2(2010), total: 0.5, levels: 1},
		{name: "u 0.49 stops", c1: c1, c2: u(49), total: 1.5, levels: 2},
		{name: "u 0.5 passes with 0", c1: c1, c2: u(50), total: 1.5, levels: 3},
		{name: "u 0.6 half ramp", c1: c1, c2: u(60), total: 1.75, levels: 3},
		{name: "u 0.7 plateau", c1: c1, c2: u(70), total: 2.0, levels: 3},
		{name: "u 1.3 plateau", c1: c1, c2: u(130), total: 2.0, levels: 3},
		{name: "u 1.5 half ramp down", c1: c1, c2: u(150), total: 1.75, levels: 3},
		{name: "u 1.7 passes with 0", c1: c1, c2: u(170), total: 1.5, levels: 3},
		{name: "u 1.71 stops", c1: c1, c2: u(171), total: 1.5, levels: 2},
		// Level 4: T of c1+c2 concatenated as is; Jaccard capped at 0.23.
		{name: "T of c1 counts", c1: gen{ns: 'x', private: 99, extra: []string{"thus"}, tokens: 128, chars: 1000},
			c2: c2(1400), total: 2.0 + 0.4*0.4, levels: 3},
		{name: "T across the seam: c1 ends in s, c2 starts with o", c1: gen{ns: 'x', private: 99, extra: []string{"xs"}, tokens: 128, chars: 1000},
			c2: gen{ns: 'z', private: 99, first: []string{"ozz"}, tokens: 128, chars: 1400}, total: 2.0 + 0.4*0.4, levels: 3},
		{name: "J 0.1 below cap", c1: gen{ns: 'x', private: 80, shared: 20, tokens: 128, chars: 1000},
			c2: gen{ns: 'z', private: 100, shared: 20, tokens: 128, chars: 1400}, total: 2.0 + 0.6*(20.0/200)/0.23, levels: 3},
		{name: "J 0.25 capped", c1: gen{ns: 'x', private: 60, shared: 40, tokens: 128, chars: 1000},
			c2: gen{ns: 'z', private: 60, shared: 40, tokens: 128, chars: 1400}, total: 2.6, levels: 3},
	}
	runGolden(t, ArxivRules, cases)
}

// The seam case above must not count for tldr, which looks at c2 alone.
func TestTransitionSeamOnlyForArxiv(t *testing.T) {
	lex := DefaultLexicon()
	if got := lex.TransitionCategories("xkks" + "ozz"); !reflect.DeepEqual(got, []string{"cause_effect"}) {
		t.Fatalf("seam categories = %q", got)
	}
	if got := lex.TransitionCategories("ozz"); len(got) != 0 {
		t.Fatalf("c2 alone has categories %q", got)
	}
}

func TestLengthRatioStopsOnEmptyC1(t *testing.T) {
	// Unreachable through level 1 with the real rules; a rule set with MinTokens 0 reaches it.
	r := TLDRRules
	r.MinTokens = 0
	res := r.Scheme(DefaultLexicon()).Score(reward.Input{Responses: []string{"", "some words here"}, Last: true})
	if res.Total != 0.5 || res.Stopped != "length_ratio" {
		t.Errorf("got %+v, want 0.5 stopped at length_ratio", res)
	}
}
