package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Tokenizer turns text into token ids and back.
type Tokenizer interface {
	// Encode returns the ids of text. It never adds BOS/EOS: callers add them explicitly.
	Encode(text string) []int
	// Decode returns the text of ids. Ids outside the vocabulary decode to U+FFFD.
	Decode(ids []int) string
	// VocabSize is the number of rows an embedding table needs: the largest id plus one.
	VocabSize() int
	// TokenID returns the id of a token given by its vocabulary string.
	TokenID(token string) (int, bool)
	// EOS returns the end-of-sequence id, or -1 if the tokenizer has none.
	EOS() int
	// Pad returns the padding id, or -1 if the tokenizer has none.
	Pad() int
}

// DefaultSpecial is the special token of NewByteLevel() without arguments, used as EOS and pad.
const DefaultSpecial = "<|endoftext|>"

// ByteLevel is the simplest tokenizer: ids 0..255 are the bytes of the UTF-8 text, followed by
// special tokens. It needs no vocabulary file and round-trips any string, which makes it the
// tokenizer of choice for small models trained from scratch.
type ByteLevel struct {
	specials []string       // id 256+i is specials[i]
	ids      map[string]int // special string -> id
	byLen    []string       // specials, longest first, for matching in Encode
	first    [256]bool      // bytes that start a special
	eos, pad int
}

// NewByteLevel returns a byte tokenizer with the given special tokens as ids 256, 257, ...
// Without arguments it has the single special DefaultSpecial. The first special is EOS; the
// second, if given, is pad, otherwise pad is EOS. It panics on an empty or repeated special,
// which is a programming error.
func NewByteLevel(specials ...string) *ByteLevel {
	if len(specials) == 0 {
		specials = []string{DefaultSpecial}
	}
	b := &ByteLevel{specials: append([]string(nil), specials...), ids: map[string]int{}}
	for i, s := range specials {
		if s == "" {
			panic("tokenizer: NewByteLevel: empty special token")
		}
		if _, dup := b.ids[s]; dup {
			panic(fmt.Sprintf("tokenizer: NewByteLevel: special token %q given twice", s))
		}
		b.ids[s] = 256 + i
		b.first[s[0]] = true
	}
	b.byLen = append([]string(nil), specials...)
	sort.SliceStable(b.byLen, func(i, j int) bool { return len(b.byLen[i]) > len(b.byLen[j]) })
	b.eos, b.pad = 256, 256
	if len(specials) > 1 {
		b.pad = 257
	}
	return b
}

// Encode returns one id per byte, except where the text contains the exact string of a special
// token, which becomes that token's id (the longest special wins where several start at the
// same position).
func (b *ByteLevel) Encode(text string) []int {
	ids := make([]int, 0, len(text))
	for i := 0; i < len(text); {
		if b.first[text[i]] {
			if s := b.specialAt(text[i:]); s != "" {
				ids = append(ids, b.ids[s])
				i += len(s)
				continue
			}
		}
		ids = append(ids, int(text[i]))
		i++
	}
	return ids
}

func (b *ByteLevel) specialAt(s string) string {
	for _, sp := range b.byLen {
		if strings.HasPrefix(s, sp) {
			return sp
		}
	}
	return ""
}

// Decode concatenates the bytes and special strings of ids. The result is the exact bytes
// encoded, so it may be invalid UTF-8 when ids cut a multi-byte character (as a prefix of a
// generation may).
func (b *ByteLevel) Decode(ids []int) string {
	var sb strings.Builder
	for _, id := range ids {
		switch {
		case id >= 0 && id < 256:
			sb.WriteByte(byte(id))
		case id >= 256 && id < 256+len(b.specials):
			sb.WriteString(b.specials[id-256])
		default:
			sb.WriteRune('\uFFFD')
		}
	}
	return sb.String()
}

// VocabSize returns 256 plus the number of specials.
func (b *ByteLevel) VocabSize() int { return 256 + len(b.specials) }

// TokenID returns the id of a special token, or of a single byte given as a one-byte string.
func (b *ByteLevel) TokenID(token string) (int, bool) {
	if id, ok := b.ids[token]; ok {
		return id, true
	}
	if len(token) == 1 {
		return int(token[0]), true
	}
	return 0, false
}

// EOS returns the id of the first special token.
func (b *ByteLevel) EOS() int { return b.eos }

// Pad returns the id of the second special token, or EOS when there is only one.
func (b *ByteLevel) Pad() int { return b.pad }

// Specials returns the special tokens in id order (ids 256, 257, ...).
func (b *ByteLevel) Specials() []string { return append([]string(nil), b.specials...) }

// Load loads a tokenizer from a model directory holding tokenizer.json, or from a
// tokenizer.json file: a byte-level BPE (see LoadHF) or a WordLevel tokenizer in the layout
// WordLevel.MarshalHF writes.
func Load(dirOrFile string) (Tokenizer, error) {
	st, err := os.Stat(dirOrFile)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	path := dirOrFile
	if st.IsDir() {
		path = filepath.Join(dirOrFile, "tokenizer.json")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("tokenizer: directory %s has no tokenizer.json", dirOrFile)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: invalid JSON: %w", path, err)
	}
	var model typed
	if err := json.Unmarshal(f.Model, &model); err != nil || model.Type != "WordLevel" {
		return LoadHF(path) // BPE, or an error naming what is unsupported
	}
	w, err := parseWordLevelHF(&f)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	if err := applyConfigFile(path, w.applyConfig); err != nil {
		return nil, err
	}
	return w, nil
}
