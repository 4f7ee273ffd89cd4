package writing

import (
	"math"
	"strings"

	"github.com/collm/collm/envs/reward"
)

// Rules are the numbers of a level-gated writing reward over two texts c1 (agent 1) and c2
// (agent 2):
//
//	L1 "tokens": both texts have MinTokens..MaxTokens whitespace tokens -> +0.5, else stop.
//	L2 "length_ratio": Ratio.Score(chars(c2)/chars(c1)); chars(c1) = 0 stops.
//	L3 "unique_ratio": Unique.Score(unique(c2)/unique(c1)); unique(c1) = 0 stops.
//	L4 "transition" (weight 0.4): TransitionScore of the categories in c2 (or c1+c2
//	   concatenated when TransitionOfBoth); "jaccard" (weight 0.6): min(J, JaccardCap)/JaccardCap.
//
// The last fields adapt the rules to writing-mini and are zero for tldr and arxiv.
type Rules struct {
	MinTokens, MaxTokens int
	Ratio, Unique        reward.Band
	JaccardCap           float64
	TransitionOfBoth     bool

	// MaxChars and MaxChars2 > 0 add to L1 that c1 and c2 have at most that many characters.
	MaxChars, MaxChars2 int
	// Grounded adds to L1 that every whitespace token of c1 and c2 is a word of the set passed
	// as reward.Input.Data (a Vocabulary: the post's words and the function words), and that
	// each text uses at least one word of the post.
	Grounded bool
	// Shaping gives a failed L1 partial credit for text on its way to grounded words, at most
	// 0.25 (< the 0.5 of passing); see Vocabulary.shaping. Needs Grounded's Vocabulary.
	Shaping bool
}

// TLDRRules are the reference's TLDR rules (maximum reward 3.0).
var TLDRRules = Rules{
	MinTokens: 8, MaxTokens: 256,
	Ratio:      reward.Band{Lo: 1.1, OptLo: 1.6, OptHi: 3.2, Hi: 5.0, Points: 1},
	Unique:     reward.Band{Lo: 1.3, OptLo: 2.0, OptHi: math.Inf(1), Hi: math.Inf(1), Points: 0.5},
	JaccardCap: 0.03,
}

// ArxivRules are the reference's arXiv expansion rules (maximum reward 3.0).
var ArxivRules = Rules{
	MinTokens: 128, MaxTokens: 256,
	Ratio:            reward.Band{Lo: 0.8, OptLo: 1.3, OptHi: 1.6, Hi: 2.0, Points: 1},
	Unique:           reward.Band{Lo: 0.5, OptLo: 0.7, OptHi: 1.3, Hi: 1.7, Points: 0.5},
	JaccardCap:       0.23,
	TransitionOfBoth: true,
}

// MaxReward is the largest reward any Rules can pay: 0.5 + 1 + 0.5 + 1.
const MaxReward = 3.0

// Scheme returns the level-gated reward of r with the word lists of lex. It scores an Input
// whose Responses are exactly the two texts [c1, c2]; other lengths score 0.
func (r Rules) Scheme(lex *Lexicon) *reward.Composite { return r.schemeWith(lex, false) }

func (r Rules) schemeWith(lex *Lexicon, sparse bool) *reward.Composite {
	pair := func(in reward.Input) (c1, c2 string, ok bool) {
		if len(in.Responses) != 2 {
			return "", "", false
		}
		return in.Responses[0], in.Responses[1], true
	}
	return reward.New(
		reward.Level("tokens", func(in reward.Input) (float64, bool) {
			c1, c2, ok := pair(in)
			if !ok {
				return 0, false
			}
			voc, _ := in.Data.(Vocabulary)
			if !r.inRange(c1, r.MaxChars) || !r.inRange(c2, r.MaxChars2) ||
				(r.Grounded && (!voc.grounded(c1) || !voc.grounded(c2))) {
				if r.Shaping {
					return r.shaping(voc, c1, c2), false
				}
				return 0, false
			}
			return 0.5, true
		}),
		reward.Level("length_ratio", func(in reward.Input) (float64, bool) {
			c1, c2, _ := pair(in)
			n1 := Chars(c1)
			if n1 == 0 {
				return 0, false
			}
			return r.Ratio.Score(float64(Chars(c2)) / float64(n1))
		}),
		reward.Level("unique_ratio", func(in reward.Input) (float64, bool) {
			c1, c2, _ := pair(in)
			u1 := Unique(c1)
			if u1 == 0 {
				return 0, false
			}
			return r.Unique.Score(float64(Unique(c2)) / float64(u1))
		}),
		reward.Term("transition", func(in reward.Input) float64 {
			c1, c2, _ := pair(in)
			text := c2
			if r.TransitionOfBoth {
				text = c1 + c2
			}
			return TransitionScore(len(lex.TransitionCategories(text)))
		}).Times(0.4),
		reward.Term("jaccard", func(in reward.Input) float64 {
			c1, c2, _ := pair(in)
			return min(lex.Jaccard(c1, c2), r.JaccardCap) / r.JaccardCap
		}).Times(0.6),
	).Sparse(sparse).Done()
}

func (r Rules) inRange(s string, maxChars int) bool {
	n := Tokens(s)
	return n >= r.MinTokens && n <= r.MaxTokens && (maxChars <= 0 || Chars(s) <= maxChars)
}

// Vocabulary is the word set of a writing-mini task: word -> true for a word of the post,
// false for a function word (stopword or one-word transition phrase); absent words are not
// allowed.
type Vocabulary map[string]bool

// grounded reports whether every token of s is an allowed word and one is a post word.
func (v Vocabulary) grounded(s string) bool {
	post, ok := false, true
	for _, t := range strings.FieldsFunc(s, isPySpace) {
		isPost, allowed := v[t]
		ok = ok && allowed
		post = post || isPost
	}
	return ok && post
}

// shaping is the partial credit of a failed level 1 (see Rules.Shaping): 0.25 times the mean
// over the two texts of q(text), 0 for an empty text, else
//
//	q = 0.2 * (fraction of characters that are a-z or space)
//	  + 0.2 * (mean over tokens of the best prefix match with a vocabulary word)
//	  + 0.3 * (best prefix match of a token with a post word)
//	  + 0.3 * size,   size = min(1, maxChars/chars) * min(1, MaxTokens/tokens),
//
// where the prefix match of token t and word w is len(common prefix) / max(len(t), len(w)), 1
// for the word itself, and maxChars is the text's character limit (no size penalty without
// one). Every character that moves a token towards a word, and every word less in a text that
// is too long, raises q, so the path from random bytes or random words to a passing text is
// smooth. At most the first 64 tokens of a text count towards the matches.
func (r Rules) shaping(v Vocabulary, c1, c2 string) float64 {
	sum := 0.0
	for i, s := range []string{c1, c2} {
		chars, good := 0, 0
		for _, c := range s {
			chars++
			if c == ' ' || (c >= 'a' && c <= 'z') {
				good++
			}
		}
		if chars == 0 {
			continue
		}
		size := 1.0
		if limit := []int{r.MaxChars, r.MaxChars2}[i]; limit > 0 {
			size = min(1, float64(limit)/float64(chars))
		}
		tokens := strings.FieldsFunc(s, isPySpace)
		if len(tokens) > r.MaxTokens {
			size *= float64(r.MaxTokens) / float64(len(tokens))
		}
		if len(tokens) > 64 {
			tokens = tokens[:64]
		}
		tokSum, post := 0.0, 0.0
		for _, t := range tokens {
			best := 0.0
			for w, isPost := range v {
				m := prefixMatch(t, w)
				best = max(best, m)
				if isPost {
					post = max(post, m)
				}
			}
			tokSum += best
		}
		q := 0.2*float64(good)/float64(chars) + 0.3*size
		if len(tokens) > 0 {
			q += 0.2*tokSum/float64(len(tokens)) + 0.3*post
		}
		sum += q
	}
	return 0.25 * sum / 2
}

func prefixMatch(t, w string) float64 {
	n := 0
	for n < len(t) && n < len(w) && t[n] == w[n] {
		n++
	}
	return float64(n) / float64(max(len(t), len(w)))
}

// Metrics are the ungated measures of a pair of texts, logged as Transition.Info.
func (r Rules) Metrics(lex *Lexicon, c1, c2 string) map[string]float64 {
	text := c2
	if r.TransitionOfBoth {
		text = c1 + c2
	}
	m := map[string]float64{
		"tokens1":               float64(Tokens(c1)),
		"tokens2":               float64(Tokens(c2)),
		"chars1":                float64(Chars(c1)),
		"chars2":                float64(Chars(c2)),
		"unique1":               float64(Unique(c1)),
		"unique2":               float64(Unique(c2)),
		"jaccard_raw":           lex.Jaccard(c1, c2),
		"transition_categories": float64(len(lex.TransitionCategories(text))),
		"length_ratio_raw":      0, // 0 when undefined (empty c1)
		"unique_ratio_raw":      0,
	}
	if m["chars1"] > 0 {
		m["length_ratio_raw"] = m["chars2"] / m["chars1"]
	}
	if m["unique1"] > 0 {
		m["unique_ratio_raw"] = m["unique2"] / m["unique1"]
	}
	return m
}
