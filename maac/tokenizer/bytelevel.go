package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// GPT-2's byte-to-unicode table: byte-level BPE vocabularies store every byte as a printable
// character, so that tokens never contain spaces or control characters. The printable bytes
// '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for themselves; the other 68 bytes, in increasing
// order, become U+0100, U+0101, ... (so ' ' is 'Ġ' and '\n' is 'Ċ').
var (
	byteToRune [256]rune
	runeToByte = map[rune]byte{}
)

func init() {
	next := rune(256)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = next
			next++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
}

// byteLevelString maps every byte of s to its byte-level character.
func byteLevelString(s string) string {
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteToRune[s[i]])
	}
	return b.String()
}

// writeByteLevelDecoded writes the bytes that the byte-level token tok stands for, or tok itself
// when one of its characters is not a byte-level character (as Hugging Face's decoder does).
func writeByteLevelDecoded(b *strings.Builder, tok string) {
	for _, r := range tok {
		if _, ok := runeToByte[r]; !ok {
			b.WriteString(tok)
			return
		}
	}
	for i := 0; i < len(tok); {
		r, w := utf8.DecodeRuneInString(tok[i:])
		b.WriteByte(runeToByte[r])
		i += w
	}
}
