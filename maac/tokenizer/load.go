package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("tokenizer: "+format, args...)
}

// typed is the "type" tag of tokenizer.json components.
type typed struct {
	Type string `json:"type"`
}

type hfFile struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

type hfModel struct {
	Type                    string            `json:"type"`
	Dropout                 *float64          `json:"dropout"`
	UnkToken                *string           `json:"unk_token"`
	ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
	ByteFallback            bool              `json:"byte_fallback"`
	IgnoreMerges            bool              `json:"ignore_merges"`
	Vocab                   map[string]int    `json:"vocab"`
	Merges                  []json.RawMessage `json:"merges"`
}

// LoadHF loads a Hugging Face tokenizer.json of a byte-level BPE model (GPT-2, Qwen2, Llama-3
// and their relatives). Supported components:
//
//   - model: BPE with vocab and merges (as "a b" strings or ["a", "b"] pairs), ignore_merges;
//     no dropout, subword prefix/suffix or byte_fallback. All 256 byte-level characters must be
//     in the vocabulary, so no text can hit an unknown token, and ids must be nearly dense
//     (below twice the vocabulary size plus 1024). A merge listed twice takes its later rank,
//     as in the reference implementation.
//   - added_tokens: matched in the text before pre-tokenization, longest first, with the
//     single_word, lstrip, rstrip and normalized flags.
//   - normalizer: none, NFC, or a Sequence of those.
//   - pre_tokenizer: ByteLevel (add_prefix_space, use_regex), or a Sequence of Split steps
//     (Regex pattern, behavior Isolated, not inverted) followed by ByteLevel. Split patterns must
//     be one of PatternGPT2, PatternQwen2, PatternLlama3, which are implemented by hand because
//     Go's regexp lacks lookahead.
//   - decoder: ByteLevel (possibly inside a Sequence with other ByteLevel steps).
//   - post_processor: not applied by Encode; a TemplateProcessing (alone or in a Sequence)
//     defines BOS as the special token before $A, RobertaProcessing as its cls token.
//
// Anything else is an error naming the component, never a silently different encoding.
//
// EOS, pad and BOS come from tokenizer_config.json in the same directory when it exists
// ("eos_token", "pad_token", "bos_token"). Without it, EOS is the first added token among
// "<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"; pad is -1; BOS comes from the
// post-processor. Use SetEOS, SetPad and SetBOS to override.
func LoadHF(path string) (*BPE, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errorf("%w", err)
	}
	t, err := parseHF(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	if err := applyConfigFile(path, t.applyConfig); err != nil {
		return nil, err
	}
	return t, nil
}

// ParseHF parses the content of a tokenizer.json (see LoadHF; no tokenizer_config.json is read).
func ParseHF(data []byte) (*BPE, error) {
	t, err := parseHF(data)
	if err != nil {
		return nil, errorf("%w", err)
	}
	return t, nil
}

func parseHF(data []byte) (*BPE, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	t := &BPE{addedByID: map[int]*addedToken{}, cache: map[string][]int{}, bos: -1, eos: -1, pad: -1}
	if err := t.loadModel(f.Model); err != nil {
		return nil, err
	}
	var err error
	if t.nfc, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if t.steps, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	if err := checkDecoder(f.Decoder); err != nil {
		return nil, err
	}
	if err := t.loadAdded(f.AddedTokens); err != nil {
		return nil, err
	}
	if t.bos, err = t.parsePostProcessor(f.PostProcessor); err != nil {
		return nil, err
	}
	for _, name := range []string{"<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"} {
		if id, ok := t.addedID(name); ok {
			t.eos = id
			break
		}
	}
	return t, nil
}

func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || bytes.Equal(s, []byte("null"))
}

func (t *BPE) loadModel(raw json.RawMessage) error {
	if isNull(raw) {
		return errors.New(`missing "model"`)
	}
	var m hfModel
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if m.Type == "" && m.Merges != nil {
		m.Type = "BPE" // old files omit the tag; only BPE has merges
	}
	switch {
	case m.Type != "BPE":
		return fmt.Errorf("model.type %q is not supported (only byte-level BPE)", m.Type)
	case m.Dropout != nil && *m.Dropout != 0:
		return fmt.Errorf("model.dropout %v is not supported", *m.Dropout)
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
		return fmt.Errorf("model.continuing_subword_prefix %q is not supported", *m.ContinuingSubwordPrefix)
	case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return fmt.Errorf("model.end_of_word_suffix %q is not supported", *m.EndOfWordSuffix)
	case m.ByteFallback:
		return errors.New("model.byte_fallback is not supported (SentencePiece-style BPE, not byte-level)")
	case len(m.Vocab) == 0:
		return errors.New("model.vocab is missing or empty")
	case m.Merges == nil:
		return errors.New("model.merges is missing")
	}
	t.ignoreMerges = m.IgnoreMerges
	t.vocab = m.Vocab
	// Ids index a dense table; a vocabulary whose ids are mostly holes is malformed (and must not
	// make us allocate gigabytes).
	maxID, limit := -1, 2*len(m.Vocab)+1024
	for tok, id := range m.Vocab {
		if id < 0 || id >= limit {
			return fmt.Errorf("model.vocab: token %q has id %d, outside [0, %d) for a vocabulary of %d tokens", tok, id, limit, len(m.Vocab))
		}
		if tok == "" {
			return errors.New("model.vocab: empty token")
		}
		maxID = max(maxID, id)
	}
	t.tokens = make([]string, maxID+1)
	for tok, id := range m.Vocab {
		if t.tokens[id] != "" {
			return fmt.Errorf("model.vocab: tokens %q and %q share id %d", t.tokens[id], tok, id)
		}
		t.tokens[id] = tok
	}
	for b := 0; b < 256; b++ {
		id, ok := m.Vocab[string(byteToRune[b])]
		if !ok {
			return fmt.Errorf("model.vocab lacks the byte-level character %q for byte 0x%02x: not a byte-level BPE vocabulary", byteToRune[b], b)
		}
		t.byteIDs[b] = id
	}
	t.merges = make(map[[2]int]merge, len(m.Merges))
	for rank, raw := range m.Merges {
		a, b, err := parseMerge(raw)
		if err != nil {
			return fmt.Errorf("model.merges[%d]: %w", rank, err)
		}
		ida, oka := m.Vocab[a]
		idb, okb := m.Vocab[b]
		idm, okm := m.Vocab[a+b]
		if !oka || !okb || !okm {
			return fmt.Errorf("model.merges[%d]: %q + %q: a part or the merged token is not in the vocabulary", rank, a, b)
		}
		// A repeated pair takes the later rank, as in the reference implementation.
		t.merges[[2]int{ida, idb}] = merge{rank, idm}
	}
	t.vocabSize = maxID + 1
	return nil
}

// parseMerge reads a merge as "a b" or ["a", "b"].
func parseMerge(raw json.RawMessage) (string, string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		parts := strings.Split(s, " ")
		if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			return "", "", fmt.Errorf("%q is not two tokens separated by one space", s)
		}
		return parts[0], parts[1], nil
	}
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 || pair[0] == "" || pair[1] == "" {
		return "", "", fmt.Errorf("%s is neither \"a b\" nor [\"a\", \"b\"]", truncate(raw))
	}
	return pair[0], pair[1], nil
}

func truncate(raw []byte) string {
	if len(raw) > 60 {
		return string(raw[:60]) + "..."
	}
	return string(raw)
}

func parseNormalizer(raw json.RawMessage) (nfc bool, err error) {
	if isNull(raw) {
		return false, nil
	}
	var n struct {
		typed
		Normalizers []json.RawMessage `json:"normalizers"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return false, fmt.Errorf("normalizer: %w", err)
	}
	switch n.Type {
	case "NFC":
		return true, nil
	case "Sequence":
		for i, sub := range n.Normalizers {
			subNFC, err := parseNormalizer(sub)
			if err != nil {
				return false, fmt.Errorf("normalizer.normalizers[%d]: %w", i, err)
			}
			nfc = nfc || subNFC
		}
		return nfc, nil
	default:
		return false, fmt.Errorf("normalizer type %q is not supported (only NFC)", n.Type)
	}
}

type hfPreTokenizer struct {
	typed
	AddPrefixSpace bool              `json:"add_prefix_space"`
	UseRegex       *bool             `json:"use_regex"` // default true
	Pattern        map[string]string `json:"pattern"`   // {"Regex": ...} or {"String": ...}
	Behavior       string            `json:"behavior"`
	Invert         bool              `json:"invert"`
	PreTokenizers  []json.RawMessage `json:"pretokenizers"`
}

func parsePreTokenizer(raw json.RawMessage) ([]preStep, error) {
	if isNull(raw) {
		return nil, errors.New("pre_tokenizer is missing: only byte-level tokenizers are supported")
	}
	var p hfPreTokenizer
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	list := []json.RawMessage{raw}
	if p.Type == "Sequence" {
		list = p.PreTokenizers
	}
	var steps []preStep
	sawByteLevel := false
	for i, sub := range list {
		var p hfPreTokenizer
		if err := json.Unmarshal(sub, &p); err != nil {
			return nil, fmt.Errorf("pre_tokenizer[%d]: %w", i, err)
		}
		if sawByteLevel {
			return nil, fmt.Errorf("pre_tokenizer[%d] %q after ByteLevel is not supported", i, p.Type)
		}
		switch p.Type {
		case "ByteLevel":
			sawByteLevel = true
			st := preStep{addPrefixSpace: p.AddPrefixSpace}
			if p.UseRegex == nil || *p.UseRegex {
				st.split = splitters[PatternGPT2]
			}
			steps = append(steps, st)
		case "Split":
			re, ok := p.Pattern["Regex"]
			if !ok || len(p.Pattern) != 1 {
				return nil, fmt.Errorf("pre_tokenizer[%d] Split: only a {\"Regex\": ...} pattern is supported, got %v", i, p.Pattern)
			}
			sp, ok := splitters[re]
			if !ok {
				return nil, fmt.Errorf("pre_tokenizer[%d] Split: unknown regex %q (supported: the GPT-2, Qwen2 and Llama-3 patterns)", i, re)
			}
			if p.Behavior != "Isolated" || p.Invert {
				return nil, fmt.Errorf("pre_tokenizer[%d] Split: behavior %q invert %v is not supported (only Isolated, not inverted)", i, p.Behavior, p.Invert)
			}
			steps = append(steps, preStep{split: sp})
		default:
			return nil, fmt.Errorf("pre_tokenizer[%d] type %q is not supported", i, p.Type)
		}
	}
	if !sawByteLevel {
		return nil, errors.New("pre_tokenizer has no ByteLevel step: only byte-level tokenizers are supported")
	}
	return steps, nil
}

func checkDecoder(raw json.RawMessage) error {
	if isNull(raw) {
		return errors.New("decoder is missing: only the ByteLevel decoder is supported")
	}
	var d struct {
		typed
		Decoders []json.RawMessage `json:"decoders"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("decoder: %w", err)
	}
	switch d.Type {
	case "ByteLevel":
		return nil
	case "Sequence":
		if len(d.Decoders) == 0 {
			return errors.New("decoder: empty Sequence")
		}
		for i, sub := range d.Decoders {
			if err := checkDecoder(sub); err != nil {
				return fmt.Errorf("decoder.decoders[%d]: %w", i, err)
			}
		}
		return nil
	default:
		return fmt.Errorf("decoder type %q is not supported (only ByteLevel)", d.Type)
	}
}

func (t *BPE) loadAdded(list []addedToken) error {
	t.added = list
	var raw, normd []*addedToken
	for i := range t.added {
		a := &t.added[i]
		if a.Content == "" || !utf8.ValidString(a.Content) {
			return fmt.Errorf("added_tokens[%d]: content %q is empty or not valid UTF-8", i, a.Content)
		}
		if limit := len(t.tokens) + len(list) + 1<<16; a.ID < 0 || a.ID >= limit {
			return fmt.Errorf("added_tokens[%d] %q: id %d outside [0, %d)", i, a.Content, a.ID, limit)
		}
		if prev, dup := t.addedByID[a.ID]; dup {
			return fmt.Errorf("added_tokens[%d] %q: id %d already used by %q", i, a.Content, a.ID, prev.Content)
		}
		t.addedByID[a.ID] = a
		t.vocabSize = max(t.vocabSize, a.ID+1)
		a.text = a.Content
		if a.Normalized {
			if t.nfc {
				a.text = norm.NFC.String(a.Content)
			}
			m := *a
			m.Content = a.text
			normd = append(normd, &m)
		} else {
			raw = append(raw, a)
		}
	}
	t.raw, t.normd = newMatcher(raw), newMatcher(normd)
	return nil
}

func (t *BPE) addedID(content string) (int, bool) {
	for i := range t.added {
		if t.added[i].Content == content {
			return t.added[i].ID, true
		}
	}
	return 0, false
}

// parsePostProcessor returns the BOS id that the post-processor would add, or -1.
func (t *BPE) parsePostProcessor(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return -1, nil
	}
	var p struct {
		typed
		Processors []json.RawMessage `json:"processors"`
		Single     []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
		Cls []json.RawMessage `json:"cls"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return -1, fmt.Errorf("post_processor: %w", err)
	}
	switch p.Type {
	case "Sequence":
		for i, sub := range p.Processors {
			bos, err := t.parsePostProcessor(sub)
			if err != nil {
				return -1, fmt.Errorf("post_processor.processors[%d]: %w", i, err)
			}
			if bos >= 0 {
				return bos, nil
			}
		}
	case "TemplateProcessing":
		for _, piece := range p.Single {
			if piece.Sequence != nil {
				break
			}
			if piece.SpecialToken != nil {
				st, ok := p.SpecialTokens[piece.SpecialToken.ID]
				if !ok || len(st.IDs) != 1 {
					return -1, fmt.Errorf("post_processor: special token %q of the template needs exactly one id in special_tokens", piece.SpecialToken.ID)
				}
				return st.IDs[0], nil
			}
		}
	case "RobertaProcessing", "BertProcessing":
		if len(p.Cls) == 2 {
			var id int
			if err := json.Unmarshal(p.Cls[1], &id); err != nil {
				return -1, fmt.Errorf("post_processor.cls: %w", err)
			}
			return id, nil
		}
	}
	return -1, nil
}

// applyConfig reads eos_token, pad_token and bos_token from a tokenizer_config.json.
func (t *BPE) applyConfig(data []byte) error {
	return configSpecials(data, map[string]func(string) error{
		"eos_token": func(s string) error { return t.setSpecial(&t.eos, "EOS", s) },
		"pad_token": func(s string) error { return t.setSpecial(&t.pad, "pad", s) },
		"bos_token": func(s string) error { return t.setSpecial(&t.bos, "BOS", s) },
	})
}

// configSpecials calls set[key] with the token each key of a tokenizer_config.json names
// (a string or {"content": ...}); absent and null keys are skipped.
func configSpecials(data []byte, set map[string]func(string) error) error {
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	for _, key := range []string{"eos_token", "pad_token", "bos_token"} {
		raw, ok := cfg[key]
		if !ok || isNull(raw) || set[key] == nil {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			var obj struct {
				Content string `json:"content"`
			}
			if err := json.Unmarshal(raw, &obj); err != nil || obj.Content == "" {
				return fmt.Errorf("%s must be a string or {\"content\": ...}", key)
			}
			s = obj.Content
		}
		if err := set[key](s); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// applyConfigFile applies the tokenizer_config.json next to a tokenizer.json, when there is one.
func applyConfigFile(tokenizerPath string, apply func([]byte) error) error {
	cfgPath := filepath.Join(filepath.Dir(tokenizerPath), "tokenizer_config.json")
	cfg, err := os.ReadFile(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return errorf("%w", err)
	}
	if err := apply(cfg); err != nil {
		return fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
	}
	return nil
}
