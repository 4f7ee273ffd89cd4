package tokenizer

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's "added_tokens".
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"` // match only where not inside a word
	LStrip     bool   `json:"lstrip"`      // the match swallows the whitespace on its left
	RStrip     bool   `json:"rstrip"`      // the match swallows the whitespace on its right
	Normalized bool   `json:"normalized"`  // matched in the normalized text rather than the raw text
	Special    bool   `json:"special"`

	// text is what Decode writes: Content, normalized when Normalized (the form that was
	// matched, as the reference decoder does).
	text string
}

// matcher finds added tokens in text the way Hugging Face's AddedVocabulary does: the
// leftmost match wins, the longest among those starting at the same position; a single_word
// token inside a word is skipped (its span stays plain text); lstrip/rstrip extend the match over
// neighbouring whitespace. Where an rstrip-extended match would overlap the next match, the
// next one is not matched (the reference would emit overlapping pieces).
type matcher struct {
	byFirst map[byte][]*addedToken // tokens by first byte, longest first
}

func newMatcher(tokens []*addedToken) matcher {
	m := matcher{byFirst: map[byte][]*addedToken{}}
	for _, t := range tokens {
		m.byFirst[t.Content[0]] = append(m.byFirst[t.Content[0]], t)
	}
	for _, list := range m.byFirst {
		sort.SliceStable(list, func(i, j int) bool { return len(list[i].Content) > len(list[j].Content) })
	}
	return m
}

// split calls emit for each consecutive piece of s, in order: plain text with tok == nil, or
// an added token's span with its token. Empty plain pieces are not emitted.
func (m matcher) split(s string, emit func(piece string, tok *addedToken)) {
	if len(m.byFirst) == 0 {
		if s != "" {
			emit(s, nil)
		}
		return
	}
	done := 0 // s[:done] has been emitted
	for i := 0; i < len(s); {
		tok := m.longestAt(s[i:])
		if tok == nil {
			i++
			continue
		}
		start, stop := i, i+len(tok.Content)
		i = stop
		if tok.SingleWord && (endsWithWord(s[:start]) || startsWithWord(s[stop:])) {
			continue
		}
		if tok.LStrip {
			start = max(done, start-trailingSpace(s[:start]))
		}
		if tok.RStrip {
			stop += leadingSpace(s[stop:])
			i = stop
		}
		if done < start {
			emit(s[done:start], nil)
		}
		emit(s[start:stop], tok)
		done = stop
	}
	if done < len(s) {
		emit(s[done:], nil)
	}
}

func (m matcher) longestAt(s string) *addedToken {
	for _, t := range m.byFirst[s[0]] {
		if len(t.Content) <= len(s) && s[:len(t.Content)] == t.Content {
			return t
		}
	}
	return nil
}

// isWordChar is Rust regex's Unicode \w: letters, marks, decimal digits, connector punctuation
// and the joiners.
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || r == '\u200c' || r == '\u200d'
}

func endsWithWord(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isWordChar(r)
}

func startsWithWord(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isWordChar(r)
}

// trailingSpace returns the byte length of the whitespace at the end of s.
func trailingSpace(s string) int {
	n := 0
	for n < len(s) {
		r, w := utf8.DecodeLastRuneInString(s[:len(s)-n])
		if !unicode.IsSpace(r) {
			break
		}
		n += w
	}
	return n
}

// leadingSpace returns the byte length of the whitespace at the start of s.
func leadingSpace(s string) int {
	n := 0
	for n < len(s) {
		r, w := utf8.DecodeRuneInString(s[n:])
		if !unicode.IsSpace(r) {
			break
		}
		n += w
	}
	return n
}
