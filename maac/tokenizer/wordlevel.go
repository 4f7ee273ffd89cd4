package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// UnkToken is the unknown token of NewWordLevel: one id for each run of text no piece matches.
const UnkToken = "<unk>"

// WordLevel is a tokenizer over a small, fixed list of string pieces, such as the words and
// symbols of a mini environment: text is cut greedily into the longest piece that matches at
// each position, and every run of text that no piece matches becomes one unknown token. Decoding
// concatenates the pieces. It is Hugging Face's WordLevel model behind a Split pre-tokenizer
// whose regex is the alternation of the pieces (longest first) and a Fuse decoder, so MarshalHF
// writes a tokenizer.json that Hugging Face's tokenizers library reads and encodes identically.
//
// Ids: the special tokens first (the first is EOS, the second, if any, pad), then UnkToken, then
// the pieces in the order given. Special tokens are matched in the text before anything else.
type WordLevel struct {
	specials []string
	pieces   []string // the tokens that are neither special nor unk, in id order
	ids      map[string]int
	byID     []string
	unk      int
	eos, pad int
	split    *regexp.Regexp // the pre-tokenizer: by default the pieces, longest first
	special  *regexp.Regexp // the specials, longest first; nil without specials
}

// NewWordLevel returns a WordLevel tokenizer. Pieces must be non-empty and distinct, and neither
// a piece nor a special may equal UnkToken or another special. Without specials it uses
// DefaultSpecial.
func NewWordLevel(pieces []string, specials ...string) (*WordLevel, error) {
	if len(specials) == 0 {
		specials = []string{DefaultSpecial}
	}
	if len(pieces) == 0 {
		return nil, errorf("word-level vocabulary: no pieces")
	}
	vocab := map[string]int{}
	order := append(append([]string(nil), specials...), UnkToken)
	order = append(order, pieces...)
	for id, p := range order {
		if p == "" {
			return nil, errorf("word-level vocabulary: empty token at id %d", id)
		}
		if prev, dup := vocab[p]; dup {
			return nil, errorf("word-level vocabulary: token %q at ids %d and %d", p, prev, id)
		}
		vocab[p] = id
	}
	return newWordLevel(vocab, specials, UnkToken)
}

// newWordLevel builds the tokenizer from a complete vocabulary: the specials and unk are in it,
// every other entry is a piece. Ids must be 0..len(vocab)-1.
func newWordLevel(vocab map[string]int, specials []string, unk string) (*WordLevel, error) {
	byID := make([]string, len(vocab))
	for tok, id := range vocab {
		if id < 0 || id >= len(vocab) || byID[id] != "" {
			return nil, errorf("word-level vocabulary: ids must be 0..%d, each used once (token %q has id %d)", len(vocab)-1, tok, id)
		}
		byID[id] = tok
	}
	unkID, ok := vocab[unk]
	if !ok {
		return nil, errorf("word-level vocabulary: unk_token %q is not in the vocabulary", unk)
	}
	w := &WordLevel{specials: append([]string(nil), specials...), ids: vocab, byID: byID, unk: unkID, eos: -1, pad: -1}
	isSpecial := map[string]bool{unk: true}
	for _, s := range specials {
		if _, ok := vocab[s]; !ok {
			return nil, errorf("word-level vocabulary: special token %q is not in the vocabulary", s)
		}
		isSpecial[s] = true
	}
	for _, tok := range byID {
		if !isSpecial[tok] {
			w.pieces = append(w.pieces, tok)
		}
	}
	if len(specials) > 0 {
		w.eos, w.pad = vocab[specials[0]], vocab[specials[0]]
		if len(specials) > 1 {
			w.pad = vocab[specials[1]]
		}
		w.special = regexp.MustCompile(alternation(specials))
	}
	if len(w.pieces) > 0 {
		w.split = regexp.MustCompile(alternation(w.pieces))
	}
	return w, nil
}

// alternation is a regex matching any of words, trying longer words first so that the leftmost
// match is the longest one (Go's regexp, like Oniguruma, prefers earlier alternatives).
func alternation(words []string) string {
	sorted := append([]string(nil), words...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	quoted := make([]string, len(sorted))
	for i, w := range sorted {
		quoted[i] = regexp.QuoteMeta(w)
	}
	return strings.Join(quoted, "|")
}

// Encode returns the ids of text: special tokens where their exact strings occur, else the
// longest matching piece at each position, and one unknown id per run of unmatched text.
func (w *WordLevel) Encode(text string) []int {
	var ids []int
	if w.special == nil {
		return w.encodeText(ids, text)
	}
	at := 0
	for _, m := range w.special.FindAllStringIndex(text, -1) {
		ids = w.encodeText(ids, text[at:m[0]])
		ids = append(ids, w.ids[text[m[0]:m[1]]])
		at = m[1]
	}
	return w.encodeText(ids, text[at:])
}

func (w *WordLevel) encodeText(ids []int, s string) []int {
	if s == "" {
		return ids
	}
	if w.split == nil {
		return append(ids, w.unk)
	}
	at := 0
	for _, m := range w.split.FindAllStringIndex(s, -1) {
		if m[0] > at {
			ids = append(ids, w.unk)
		}
		id, ok := w.ids[s[m[0]:m[1]]]
		if !ok || w.isSpecialID(id) {
			id = w.unk // a split regex from a file may match text that is not a piece
		}
		ids = append(ids, id)
		at = m[1]
	}
	if at < len(s) {
		ids = append(ids, w.unk)
	}
	return ids
}

// Decode concatenates the tokens of ids (specials and the unknown token as their strings); ids
// outside the vocabulary decode to U+FFFD.
func (w *WordLevel) Decode(ids []int) string {
	var sb strings.Builder
	for _, id := range ids {
		if tok, ok := w.Token(id); ok {
			sb.WriteString(tok)
		} else {
			sb.WriteRune('\uFFFD')
		}
	}
	return sb.String()
}

// Token returns the string of an id.
func (w *WordLevel) Token(id int) (string, bool) {
	if id < 0 || id >= len(w.byID) {
		return "", false
	}
	return w.byID[id], true
}

// VocabSize is the number of tokens: specials, unk and pieces.
func (w *WordLevel) VocabSize() int { return len(w.ids) }

// TokenID returns the id of a token.
func (w *WordLevel) TokenID(token string) (int, bool) {
	id, ok := w.ids[token]
	return id, ok
}

// EOS returns the id of the first special token, or -1 without specials.
func (w *WordLevel) EOS() int { return w.eos }

// Pad returns the id of the second special token, else EOS.
func (w *WordLevel) Pad() int { return w.pad }

// Pieces returns the pieces in id order.
func (w *WordLevel) Pieces() []string { return append([]string(nil), w.pieces...) }

// MarshalHF returns the tokenizer as a Hugging Face tokenizer.json.
func (w *WordLevel) MarshalHF() ([]byte, error) {
	type added struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	}
	var addedTokens []added
	for _, s := range w.specials {
		addedTokens = append(addedTokens, added{ID: w.ids[s], Content: s, Special: true})
	}
	f := map[string]any{
		"version":      "1.0",
		"truncation":   nil,
		"padding":      nil,
		"added_tokens": addedTokens,
		"normalizer":   nil,
		"pre_tokenizer": map[string]any{
			"type": "Split", "pattern": map[string]string{"Regex": alternation(w.pieces)},
			"behavior": "Isolated", "invert": false,
		},
		"post_processor": nil,
		"decoder":        map[string]string{"type": "Fuse"},
		"model":          map[string]any{"type": "WordLevel", "vocab": w.ids, "unk_token": UnkToken},
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, errorf("%w", err)
	}
	return data, nil
}

var _ Tokenizer = (*WordLevel)(nil)

func (w *WordLevel) isSpecialID(id int) bool {
	for _, s := range w.specials {
		if w.ids[s] == id {
			return true
		}
	}
	return false
}

// parseWordLevelHF reads the tokenizer.json layout that MarshalHF writes: a WordLevel model, a
// Split pre-tokenizer (Regex, Isolated, not inverted; the regex must compile in Go's syntax), a
// Fuse decoder, no normalizer or post-processor, and added tokens without strip or word flags,
// which become the specials. EOS is the first added token unless tokenizer_config.json says
// otherwise (see LoadHF).
func parseWordLevelHF(f *hfFile) (*WordLevel, error) {
	var m struct {
		Vocab    map[string]int `json:"vocab"`
		UnkToken string         `json:"unk_token"`
	}
	if err := json.Unmarshal(f.Model, &m); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if !isNull(f.Normalizer) {
		return nil, fmt.Errorf("normalizer: a WordLevel tokenizer must have none")
	}
	if !isNull(f.PostProcessor) {
		return nil, fmt.Errorf("post_processor: a WordLevel tokenizer must have none")
	}
	var dec typed
	if err := json.Unmarshal(f.Decoder, &dec); err != nil || dec.Type != "Fuse" {
		return nil, fmt.Errorf("decoder: a WordLevel tokenizer needs {\"type\": \"Fuse\"}, got %s", truncate(f.Decoder))
	}
	var pre struct {
		typed
		Pattern struct {
			Regex *string `json:"Regex"`
		} `json:"pattern"`
		Behavior string `json:"behavior"`
		Invert   bool   `json:"invert"`
	}
	if err := json.Unmarshal(f.PreTokenizer, &pre); err != nil || pre.Type != "Split" || pre.Pattern.Regex == nil ||
		pre.Behavior != "Isolated" || pre.Invert {
		return nil, fmt.Errorf("pre_tokenizer: a WordLevel tokenizer needs a Split with a Regex pattern, behavior Isolated, invert false; got %s", truncate(f.PreTokenizer))
	}
	split, err := regexp.Compile(*pre.Pattern.Regex)
	if err != nil {
		return nil, fmt.Errorf("pre_tokenizer: pattern: %w", err)
	}
	var specials []string
	for i, a := range f.AddedTokens {
		if a.SingleWord || a.LStrip || a.RStrip || a.Normalized {
			return nil, fmt.Errorf("added_tokens[%d] %q: single_word, lstrip, rstrip and normalized must be false in a WordLevel tokenizer", i, a.Content)
		}
		if id, ok := m.Vocab[a.Content]; !ok || id != a.ID {
			return nil, fmt.Errorf("added_tokens[%d] %q: id %d is not its id in model.vocab", i, a.Content, a.ID)
		}
		specials = append(specials, a.Content)
	}
	w, err := newWordLevel(m.Vocab, specials, m.UnkToken)
	if err != nil {
		return nil, err
	}
	w.split = split
	return w, nil
}

// applyConfig reads eos_token and pad_token from a tokenizer_config.json.
func (w *WordLevel) applyConfig(data []byte) error {
	set := func(dst *int) func(string) error {
		return func(tok string) error {
			id, ok := w.ids[tok]
			if !ok {
				return fmt.Errorf("%q is not in the vocabulary", tok)
			}
			*dst = id
			return nil
		}
	}
	return configSpecials(data, map[string]func(string) error{"eos_token": set(&w.eos), "pad_token": set(&w.pad)})
}
