package tokenizer

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// BPE is a byte-level BPE tokenizer loaded from a Hugging Face tokenizer.json (GPT-2, Qwen2,
// Llama-3 style). Encode and Decode are safe for concurrent use.
type BPE struct {
	vocab        map[string]int // byte-level token string -> id
	tokens       []string       // id -> token string as stored in the file ("" where unused)
	merges       map[[2]int]merge
	ignoreMerges bool // emit a whole pre-token directly when it is in the vocabulary (Llama-3)
	byteIDs      [256]int

	nfc   bool
	steps []preStep

	added      []addedToken
	addedByID  map[int]*addedToken
	raw, normd matcher // added tokens matched before / after normalization

	vocabSize     int
	bos, eos, pad int

	mu    sync.Mutex
	cache map[string][]int
}

// merge is the rank of a merge rule (its index in the file; lower merges first) and the id of
// the merged token.
type merge struct{ rank, id int }

// preStep is one pre-tokenizer step: a Split by a known regex, or the ByteLevel step.
type preStep struct {
	split          splitter // non-nil for a Split step, or for ByteLevel with use_regex
	addPrefixSpace bool     // ByteLevel: prepend ' ' to each piece that does not start with one
}

// cacheMax bounds the per-pre-token cache; pieces longer than cacheMaxLen are not cached.
const (
	cacheMax    = 20000
	cacheMaxLen = 256
)

// Encode returns the ids of text: added tokens found in the text become their ids, the rest is
// normalized, pre-tokenized and merged. No BOS or EOS is added, whatever the file's
// post_processor says; see BOS.
func (t *BPE) Encode(text string) []int {
	var ids []int
	t.raw.split(text, func(seg string, tok *addedToken) {
		if tok != nil {
			ids = append(ids, tok.ID)
			return
		}
		if t.nfc {
			seg = norm.NFC.String(seg)
		}
		t.normd.split(seg, func(seg string, tok *addedToken) {
			if tok != nil {
				ids = append(ids, tok.ID)
				return
			}
			ids = t.encodeText(ids, seg)
		})
	})
	return ids
}

// encodeText pre-tokenizes normalized text without added tokens and appends the BPE ids.
func (t *BPE) encodeText(ids []int, s string) []int {
	pieces := []string{s}
	for _, st := range t.steps {
		var next []string
		for _, p := range pieces {
			if st.addPrefixSpace && !strings.HasPrefix(p, " ") {
				p = " " + p
			}
			if st.split == nil {
				next = append(next, p)
				continue
			}
			next = append(next, split(p, st.split)...)
		}
		pieces = next
	}
	for _, p := range pieces {
		ids = t.encodePiece(ids, p)
	}
	return ids
}

// encodePiece appends the BPE ids of one pre-token (raw bytes, not yet byte-level mapped).
func (t *BPE) encodePiece(ids []int, piece string) []int {
	if len(piece) <= cacheMaxLen {
		t.mu.Lock()
		cached, ok := t.cache[piece]
		t.mu.Unlock()
		if ok {
			return append(ids, cached...)
		}
	}
	out := t.bpe(piece)
	if len(piece) <= cacheMaxLen {
		t.mu.Lock()
		if len(t.cache) >= cacheMax {
			clear(t.cache)
		}
		t.cache[strings.Clone(piece)] = out // a substring key would pin the whole input text
		t.mu.Unlock()
	}
	return append(ids, out...)
}

// bpe applies the merges to the bytes of piece: repeatedly merge the adjacent pair with the
// lowest rank, the leftmost one among equals, until no pair has a merge. A binary heap of
// candidate pairs over a linked list of symbols keeps this O(n log n) for long pieces.
func (t *BPE) bpe(piece string) []int {
	if t.ignoreMerges {
		if id, ok := t.vocab[byteLevelString(piece)]; ok {
			return []int{id}
		}
	}
	n := len(piece)
	if n == 1 {
		return []int{t.byteIDs[piece[0]]}
	}
	sym := make([]int, n) // token id of the symbol starting at i, -1 once merged away
	next := make([]int, n)
	prev := make([]int, n)
	for i := 0; i < n; i++ {
		sym[i] = t.byteIDs[piece[i]]
		next[i] = i + 1
		prev[i] = i - 1
	}
	var h pairHeap
	for i := 0; i+1 < n; i++ {
		if m, ok := t.merges[[2]int{sym[i], sym[i+1]}]; ok {
			h.push(candidate{m.rank, i, sym[i], sym[i+1], m.id})
		}
	}
	for len(h) > 0 {
		c := h.pop()
		j := next[c.pos]
		// Skip candidates made stale by an earlier merge of one of their symbols.
		if sym[c.pos] != c.left || j >= n || sym[j] != c.right {
			continue
		}
		sym[c.pos] = c.id
		sym[j] = -1
		next[c.pos] = next[j]
		if next[j] < n {
			prev[next[j]] = c.pos
		}
		if p := prev[c.pos]; p >= 0 {
			if m, ok := t.merges[[2]int{sym[p], c.id}]; ok {
				h.push(candidate{m.rank, p, sym[p], c.id, m.id})
			}
		}
		if k := next[c.pos]; k < n {
			if m, ok := t.merges[[2]int{c.id, sym[k]}]; ok {
				h.push(candidate{m.rank, c.pos, c.id, sym[k], m.id})
			}
		}
	}
	var out []int
	for i := 0; i < n; i = next[i] {
		out = append(out, sym[i])
	}
	return out
}

// candidate is a possible merge of the symbols at pos and next[pos].
type candidate struct {
	rank, pos   int
	left, right int // the symbol ids when the candidate was made, to detect staleness
	id          int
}

// pairHeap is a min-heap by (rank, pos).
type pairHeap []candidate

func (h pairHeap) less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}

func (h *pairHeap) push(c candidate) {
	*h = append(*h, c)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *pairHeap) pop() candidate {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s.less(l, m) {
			m = l
		}
		if r < len(s) && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// Decode returns the text of ids, mapping byte-level characters back to bytes, as Hugging
// Face's ByteLevel decoder does: a token whose characters are not all byte-level characters
// (typically an added token with a space) contributes its own UTF-8 bytes. Special tokens are
// included. The result holds the exact bytes, so it may be invalid UTF-8 when ids cut a
// multi-byte character (where Hugging Face prints U+FFFD); ids outside the vocabulary decode to
// U+FFFD. An added token with normalized: true decodes to its normalized content as text (Hugging
// Face maps that content through the byte table, which garbles non-ASCII content).
func (t *BPE) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		var tok string
		if a, ok := t.addedByID[id]; ok {
			b.WriteString(a.text)
			continue
		} else if id >= 0 && id < len(t.tokens) && t.tokens[id] != "" {
			tok = t.tokens[id]
		} else {
			b.WriteRune(utf8.RuneError)
			continue
		}
		writeByteLevelDecoded(&b, tok)
	}
	return b.String()
}

// VocabSize returns the largest id in the vocabulary or the added tokens, plus one.
func (t *BPE) VocabSize() int { return t.vocabSize }

// TokenID returns the id of an added token by its content, or of a vocabulary entry by its
// byte-level string (e.g. "Ġthe" for " the").
func (t *BPE) TokenID(token string) (int, bool) {
	for i := range t.added {
		if t.added[i].Content == token {
			return t.added[i].ID, true
		}
	}
	id, ok := t.vocab[token]
	return id, ok
}

// Token returns the string of id (an added token's content or a byte-level vocabulary string).
func (t *BPE) Token(id int) (string, bool) {
	if a, ok := t.addedByID[id]; ok {
		return a.Content, true
	}
	if id >= 0 && id < len(t.tokens) && t.tokens[id] != "" {
		return t.tokens[id], true
	}
	return "", false
}

// EOS returns the end-of-sequence id (see LoadHF for how it is found), or -1.
func (t *BPE) EOS() int { return t.eos }

// Pad returns the padding id, or -1.
func (t *BPE) Pad() int { return t.pad }

// BOS returns the beginning-of-sequence id, or -1. Encode never adds it; prepend it yourself
// where the model expects it (Llama-3 does, GPT-2 and Qwen2 do not).
func (t *BPE) BOS() int { return t.bos }

// SetEOS makes token (an added token's content or a vocabulary string) the EOS token; ""
// removes it.
func (t *BPE) SetEOS(token string) error { return prefixed(t.setSpecial(&t.eos, "EOS", token)) }

// SetPad makes token the padding token; "" removes it.
func (t *BPE) SetPad(token string) error { return prefixed(t.setSpecial(&t.pad, "pad", token)) }

// SetBOS makes token the BOS token; "" removes it.
func (t *BPE) SetBOS(token string) error { return prefixed(t.setSpecial(&t.bos, "BOS", token)) }

func prefixed(err error) error {
	if err != nil {
		return errorf("%w", err)
	}
	return nil
}

func (t *BPE) setSpecial(dst *int, what, token string) error {
	if token == "" {
		*dst = -1
		return nil
	}
	id, ok := t.TokenID(token)
	if !ok {
		return fmt.Errorf("%s token %q is not in the vocabulary", what, token)
	}
	*dst = id
	return nil
}
