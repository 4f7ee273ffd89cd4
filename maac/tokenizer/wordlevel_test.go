package tokenizer

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/tiny-wordlevel/tokenizer.json")

// fixturePieces exercise what a regex alternation can get wrong: overlapping prefixes, regex
// metacharacters, whitespace and newlines, non-ASCII text and words of the reference corpus.
var fixturePieces = []string{
	"the", "The", "th", "t", "e", "he", "world", "'s", "'ll", " ", "  ", "\n", "\n\n", "\t",
	"1", "12", "123", "3.14", ".", "..", "...", "->", "-", "=>", "==", "=", ":=", ":",
	"(", ")", "[", "]", "{", "}", "|", "*", "+", "?", "\\", "$", "^", "/*", "*/", "//",
	"naïve", "café", "你好", "世界", "👋", "HELLO", "hello", " world", "def f(x):return ", "aux(x)",
}

func fixture(t *testing.T) *WordLevel {
	t.Helper()
	w, err := NewWordLevel(fixturePieces, "<|endoftext|>", "<|pad|>", "<|im_start|>", "<|im_end|>")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWordLevelEncode(t *testing.T) {
	w := fixture(t)
	id := func(tok string) int {
		i, ok := w.TokenID(tok)
		if !ok {
			t.Fatalf("no token %q", tok)
		}
		return i
	}
	unk := id(UnkToken)
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"", nil},
		{"the", []string{"the"}},
		{"they", []string{"the", UnkToken}},                    // longest match, then an unknown run
		{"thet", []string{"the", "t"}},                         // "th"+"et" loses to the longest first piece
		{"xyz", []string{UnkToken}},                            // one id for a whole unknown run
		{"xtx", []string{UnkToken, "t", UnkToken}},             // unknown runs on both sides
		{"123123", []string{"123", "123"}},                     // greedy
		{"1234", []string{"123", UnkToken}},                    // "4" is unknown
		{"...", []string{"..."}},                               // metacharacters are literal
		{"a.b", []string{UnkToken, ".", UnkToken}},             // "." matches only a dot
		{"/**/", []string{"/*", "*/"}},                         // left to right
		{"\n\n\n", []string{"\n\n", "\n"}},                     // whitespace pieces
		{"<|endoftext|>the", []string{"<|endoftext|>", "the"}}, // specials first
		{"the<|pad|><|pad|>", []string{"the", "<|pad|>", "<|pad|>"}},
		{"<|xyz|", []string{UnkToken, "|", UnkToken, "|"}}, // not a special
		{"def f(x):return aux(x)*3", []string{"def f(x):return ", "aux(x)", "*", UnkToken}},
		{"naïve 你好👋", []string{"naïve", " ", "你好", "👋"}},
	} {
		var want []int
		for _, tok := range tc.want {
			want = append(want, id(tok))
		}
		got := w.Encode(tc.text)
		if !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v, want %v %q", tc.text, got, want, tc.want)
		}
		// Decode gives the text back where nothing was unknown.
		if !slices.Contains(got, unk) {
			if dec := w.Decode(got); dec != tc.text {
				t.Errorf("Decode(Encode(%q)) = %q", tc.text, dec)
			}
		}
	}
	if w.EOS() != 0 || w.Pad() != 1 || w.VocabSize() != 4+1+len(fixturePieces) {
		t.Errorf("EOS %d, pad %d, vocab %d; want 0, 1, %d", w.EOS(), w.Pad(), w.VocabSize(), 5+len(fixturePieces))
	}
	if got := w.Decode([]int{id("the"), unk, -1, w.VocabSize()}); got != "the<unk>\uFFFD\uFFFD" {
		t.Errorf("Decode with unk and out-of-range ids = %q", got)
	}
	if got := w.Pieces(); !slices.Equal(got, fixturePieces) {
		t.Errorf("Pieces() = %q", got)
	}
}

func TestNewWordLevelErrors(t *testing.T) {
	for _, tc := range []struct {
		pieces   []string
		specials []string
		want     string
	}{
		{nil, nil, "no pieces"},
		{[]string{"a", ""}, nil, "empty token"},
		{[]string{"a", "b", "a"}, nil, `token "a" at ids 2 and 4`},
		{[]string{"a", UnkToken}, nil, `token "<unk>"`},
		{[]string{"a", "<eos>"}, []string{"<eos>"}, `token "<eos>" at ids 0 and 3`},
	} {
		_, err := NewWordLevel(tc.pieces, tc.specials...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewWordLevel(%q, %q) error = %v, want one containing %q", tc.pieces, tc.specials, err, tc.want)
		}
	}
}

// TestWordLevelFile checks the committed fixture is what MarshalHF writes (go test -update
// rewrites it; testdata/fetch_reference.sh then has Hugging Face encode the corpus with it) and
// that loading it gives the same tokenizer.
func TestWordLevelFile(t *testing.T) {
	w := fixture(t)
	data, err := w.MarshalHF()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "tiny-wordlevel", "tokenizer.json")
	if *update {
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(committed), data) {
		t.Fatalf("%s is stale: run go test ./maac/tokenizer -run TestWordLevelFile -update", path)
	}
	loaded, err := Load(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	lw, ok := loaded.(*WordLevel)
	if !ok {
		t.Fatalf("Load returned %T, want *WordLevel", loaded)
	}
	if lw.EOS() != w.EOS() || lw.Pad() != w.Pad() || lw.VocabSize() != w.VocabSize() {
		t.Errorf("loaded EOS/pad/vocab %d/%d/%d, want %d/%d/%d", lw.EOS(), lw.Pad(), lw.VocabSize(), w.EOS(), w.Pad(), w.VocabSize())
	}
	for _, text := range []string{"the world's 3.14 -> café\n\n你好<|im_end|>", "x{}[]()|*+?\\$^", "  \t\n"} {
		if a, b := w.Encode(text), lw.Encode(text); !slices.Equal(a, b) {
			t.Errorf("%q: built %v, loaded %v", text, a, b)
		}
	}
}

func TestWordLevelLoadErrors(t *testing.T) {
	good, err := fixture(t).MarshalHF()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`"type": "Fuse"`, `"type": "ByteLevel"`, "decoder"},
		{`"normalizer": null`, `"normalizer": {"type": "NFC"}`, "normalizer"},
		{`"behavior": "Isolated"`, `"behavior": "Removed"`, "pre_tokenizer"},
		{`"unk_token": "\u003cunk\u003e"`, `"unk_token": "[UNK]"`, "unk_token"},
		{`"lstrip": false`, `"lstrip": true`, "lstrip"},
		{`"Regex": "`, `"Regex": "(`, "pattern"},
	} {
		if !bytes.Contains(good, []byte(tc.from)) {
			t.Fatalf("fixture JSON has no %s", tc.from)
		}
		dir := t.TempDir()
		bad := bytes.Replace(good, []byte(tc.from), []byte(tc.to), 1)
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: error %v, want one naming %s", tc.from, tc.to, err, tc.want)
		}
	}
}

func FuzzWordLevel(f *testing.F) {
	w, err := NewWordLevel(fixturePieces, "<|endoftext|>", "<|pad|>")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "the world", "<|pad|>...", "\xff\xfe", "1234 你好"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := w.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= w.VocabSize() {
				t.Fatalf("Encode(%q) gave id %d outside [0, %d)", s, id, w.VocabSize())
			}
		}
		if !slices.Contains(ids, w.unk) && w.Decode(ids) != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, w.Decode(ids))
		}
	})
}

func TestWordLevelTokenizerConfig(t *testing.T) {
	data, err := fixture(t).MarshalHF()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ config, want string }{
		{`{"eos_token": "<|im_end|>", "pad_token": {"content": "<|endoftext|>"}}`, ""},
		{`{"eos_token": "</s>"}`, `eos_token: "</s>" is not in the vocabulary`},
		{`{"pad_token": 7}`, "pad_token must be a string"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(tc.config), 0o644); err != nil {
			t.Fatal(err)
		}
		tok, err := Load(dir)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.config, err)
		case tc.want == "" && (tok.EOS() != 3 || tok.Pad() != 0):
			t.Errorf("%s: EOS %d pad %d, want 3 and 0", tc.config, tok.EOS(), tok.Pad())
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.config, err, tc.want)
		}
	}
}
