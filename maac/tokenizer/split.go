package tokenizer

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

// Go's regexp has no lookahead, so the split regexes of byte-level BPE tokenizers are
// implemented as scanners. Each one returns the length in bytes of the match at the start of s,
// reproducing the leftmost-first alternation and greedy backtracking of the regex engine that
// Hugging Face tokenizers uses (Oniguruma). Character classes follow it: \s is Unicode
// White_Space (what unicode.IsSpace tests), \p{L} is unicode.IsLetter and \p{N} is
// unicode.IsNumber, with classOverrides correcting the code points where Go's newer Unicode tables
// disagree with the reference's (see class). Every pattern below matches at least one character
// at every position, so splitting never leaves gaps.

// Pattern strings exactly as they appear in tokenizer.json files (after JSON decoding).
const (
	// PatternGPT2 is the ByteLevel pre-tokenizer's built-in regex (use_regex: true); some
	// tokenizer.json files also give it as a Split pattern.
	PatternGPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	// PatternQwen2 is the Split regex of Qwen2 / Qwen2.5 / Qwen3 tokenizers.
	PatternQwen2 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// PatternLlama3 is the Split regex of Llama-3 tokenizers: Qwen2's with up to 3 digits per piece.
	PatternLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// splitter returns the length of the match at the start of s (always >= 1 for non-empty s).
type splitter func(s string) int

var splitters = map[string]splitter{
	PatternGPT2:   matchGPT2,
	PatternQwen2:  func(s string) int { return matchQwen(s, 1) },
	PatternLlama3: func(s string) int { return matchQwen(s, 3) },
}

// split cuts s into the consecutive matches of m.
func split(s string, m splitter) []string {
	var out []string
	for len(s) > 0 {
		n := m(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// decode returns the rune at the start of s and its width, -1 for an empty s, and -2 with width
// 1 for an invalid byte, which is then in the class "other" (so invalid UTF-8 still splits, one
// bad byte at a time).
func decode(s string) (rune, int) {
	if len(s) == 0 {
		return -1, 0
	}
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n == 1 {
		return -2, 1 // not a letter, number or space
	}
	return r, n
}

// Character classes of the split patterns.
const (
	classOther  = 'O' // [^\s\p{L}\p{N}], also invalid UTF-8
	classLetter = 'L'
	classNumber = 'N'
	classSpace  = 'S'
)

// asciiClass caches the class of the ASCII characters, the common case.
var asciiClass [128]byte

func init() {
	for r := rune(0); r < 128; r++ {
		asciiClass[r] = unicodeClass(r)
	}
}

// class returns the class of r under the reference engine's Unicode tables: Go's tables
// (Unicode 17 in Go 1.27) corrected by classOverrides where the reference (Unicode 16) differs,
// i.e. for characters assigned after it, which it treats as "other".
func class(r rune) byte {
	if r >= 0 && r < 128 {
		return asciiClass[r]
	}
	if r < 0 {
		return classOther
	}
	if c, ok := overrideClass(r); ok {
		return c
	}
	return unicodeClass(r)
}

func unicodeClass(r rune) byte {
	switch {
	case unicode.IsSpace(r):
		return classSpace
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	}
	return classOther
}

func overrideClass(r rune) (byte, bool) {
	i := sort.Search(len(classOverrides), func(i int) bool { return classOverrides[i].hi >= r })
	if i < len(classOverrides) && classOverrides[i].lo <= r {
		return classOverrides[i].class, true
	}
	return 0, false
}

// classRange gives the class of the code points lo..hi (inclusive).
type classRange struct {
	lo, hi rune
	class  byte
}

func isSpace(r rune) bool  { return class(r) == classSpace }
func isLetter(r rune) bool { return class(r) == classLetter }
func isNumber(r rune) bool { return class(r) == classNumber }

// isOther is [^\s\p{L}\p{N}].
func isOther(r rune) bool { return r != -1 && class(r) == classOther }

// run returns the byte length of the longest prefix of s whose runes satisfy ok, stopping after
// max runes when max > 0.
func run(s string, ok func(rune) bool, max int) int {
	n, count := 0, 0
	for n < len(s) && (max <= 0 || count < max) {
		r, w := decode(s[n:])
		if !ok(r) {
			break
		}
		n += w
		count++
	}
	return n
}

// contraction matches 's|'t|'re|'ve|'m|'ll|'d at the start of s, case-insensitively if fold.
// Oniguruma's case-insensitive matching uses Unicode case folding, under which U+017F (ſ, long
// s) equals s; no other non-ASCII character folds to one of these letters (TestReferenceSplit
// probes every code point after an apostrophe).
func contraction(s string, fold bool) int {
	if len(s) < 2 || s[0] != '\'' {
		return 0
	}
	for _, suf := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
		if n := matchFold(s[1:], suf, fold); n > 0 {
			return 1 + n
		}
	}
	return 0
}

// matchFold returns the byte length of the prefix of s equal to the ASCII word w (folding case if
// fold), or 0.
func matchFold(s, w string, fold bool) int {
	n := 0
	for i := 0; i < len(w); i++ {
		r, width := decode(s[n:])
		c := rune(w[i])
		switch {
		case r == c:
		case fold && r == unicode.ToUpper(c):
		case fold && c == 's' && r == 'ſ':
		default:
			return 0
		}
		n += width
	}
	return n
}

// whitespaceTail implements `\s+(?!\S)|\s+` at the start of s, which starts with a space
// character: the whole whitespace run if it ends the text or is a single character, otherwise
// the run minus its last character (which then starts the next piece, e.g. " world").
func whitespaceTail(s string, runLen int) int {
	if runLen == len(s) {
		return runLen
	}
	_, lastW := utf8.DecodeLastRuneInString(s[:runLen])
	if runLen-lastW > 0 {
		return runLen - lastW
	}
	return runLen
}

// matchGPT2 implements PatternGPT2.
func matchGPT2(s string) int {
	if n := contraction(s, false); n > 0 {
		return n
	}
	r, _ := decode(s)
	// ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
	for _, class := range [...]func(rune) bool{isLetter, isNumber, isOther} {
		if r == ' ' {
			if n := run(s[1:], class, 0); n > 0 {
				return 1 + n
			}
		}
		if class(r) {
			return run(s, class, 0)
		}
	}
	return whitespaceTail(s, run(s, isSpace, 0))
}

// matchQwen implements PatternQwen2 (maxDigits 1) and PatternLlama3 (maxDigits 3).
func matchQwen(s string, maxDigits int) int {
	if n := contraction(s, true); n > 0 {
		return n
	}
	r, w := decode(s)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if r != '\r' && r != '\n' && !isLetter(r) && !isNumber(r) {
		if n := run(s[w:], isLetter, 0); n > 0 {
			return w + n
		}
	}
	if isLetter(r) {
		return run(s, isLetter, 0)
	}
	// \p{N}{1,maxDigits}
	if isNumber(r) {
		return run(s, isNumber, maxDigits)
	}
	// ` ?[^\s\p{L}\p{N}]+[\r\n]*`
	start := 0
	if r == ' ' {
		start = 1
	}
	if n := run(s[start:], isOther, 0); n > 0 {
		end := start + n
		return end + run(s[end:], func(r rune) bool { return r == '\r' || r == '\n' }, 0)
	}
	// Here s starts with whitespace. `\s*[\r\n]+`: backtracking gives the whitespace run up to
	// and including its last \r or \n.
	runLen := run(s, isSpace, 0)
	for i := runLen - 1; i >= 0; i-- {
		if s[i] == '\r' || s[i] == '\n' {
			return i + 1
		}
	}
	// `\s+(?!\S)|\s+`
	return whitespaceTail(s, runLen)
}
