package writing

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The text measures of the reference rewards, matching Python's semantics: str.split() for
// tokens, re.findall(r"\b\w+\b", text.lower()) for words (Unicode \w), len() in code points.

// isPySpace reports whether Python's str.isspace holds for r: Unicode White_Space plus the
// information separators U+001C..U+001F.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// isWordRune reports whether r matches Python's Unicode \w: a letter, a number or '_'.
func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// Tokens is the number of whitespace-separated tokens of s (Python len(s.split())).
func Tokens(s string) int {
	n, in := 0, false
	for _, r := range s {
		space := isPySpace(r)
		if !space && !in {
			n++
		}
		in = !space
	}
	return n
}

// Chars is the length of s in code points (Python len(s)); an invalid UTF-8 byte counts as one.
func Chars(s string) int { return utf8.RuneCountInString(s) }

// Words returns the words of s lowercased: the maximal runs of word characters, which is what
// \b\w+\b finds.
func Words(s string) []string {
	var out []string
	eachWord(s, func(w string) { out = append(out, w) })
	return out
}

// eachWord calls f with every word of s, lowercased, without collecting them.
func eachWord(s string, f func(string)) {
	lower := strings.ToLower(s)
	start := -1
	for i, r := range lower {
		switch w := isWordRune(r); {
		case w && start < 0:
			start = i
		case !w && start >= 0:
			f(lower[start:i])
			start = -1
		}
	}
	if start >= 0 {
		f(lower[start:])
	}
}

// Unique is the number of distinct words of s, stopwords included (the reference's code counts
// all words although its docstring says otherwise).
func Unique(s string) int {
	set := map[string]bool{}
	eachWord(s, func(w string) { set[w] = true })
	return len(set)
}

// ContentWords returns the set of distinct words of s that are not stopwords.
func (lex *Lexicon) ContentWords(s string) map[string]bool {
	set := map[string]bool{}
	eachWord(s, func(w string) {
		if !lex.Stopwords[w] {
			set[w] = true
		}
	})
	return set
}

// Jaccard is |A∩B| / |A∪B| of the content-word sets of a and b; 1 when both are empty.
func (lex *Lexicon) Jaccard(a, b string) float64 {
	sa, sb := lex.ContentWords(a), lex.ContentWords(b)
	if len(sa) == 0 && len(sb) == 0 {
		return 1
	}
	inter := 0
	for w := range sa {
		if sb[w] {
			inter++
		}
	}
	union := len(sa) + len(sb) - inter
	return float64(inter) / float64(union)
}

// TransitionCategories returns the names of the categories with a phrase occurring as a plain
// substring of the lowercased text, so "so" counts inside "also" and "as" inside "was".
func (lex *Lexicon) TransitionCategories(s string) []string {
	lower := strings.ToLower(s)
	var found []string
	for _, c := range lex.Categories {
		for _, p := range c.Phrases {
			if strings.Contains(lower, p) {
				found = append(found, c.Name)
				break
			}
		}
	}
	return found
}

// TransitionScore maps a number of categories found to [0, 1]: 0 for none, else
// min(0.4 + 0.05*(n-1), 1).
func TransitionScore(categories int) float64 {
	if categories <= 0 {
		return 0
	}
	t := 0.4 + min(float64(categories-1)*0.05, 0.6)
	return min(t, 1.0)
}
