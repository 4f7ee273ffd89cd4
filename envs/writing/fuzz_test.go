package writing

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/collm/collm/envs/reward"
)

// FuzzScore: any pair of texts gets a finite reward in [0, MaxReward], and the allocation-free
// token and word scanners agree with the obvious implementations.
func FuzzScore(f *testing.F) {
	f.Add("cat sun", "so cat red boat")
	f.Add("", "")
	f.Add("\xff\xfe", "also \x1c so")
	f.Add(goodTLDR[0], goodTLDR[1])
	f.Add("İstanbul ǅemal", "ⅷ² snake_case")
	tldr, arxiv := TLDRRules.Scheme(DefaultLexicon()), ArxivRules.Scheme(DefaultLexicon())
	f.Fuzz(func(t *testing.T, c1, c2 string) {
		for _, s := range []*reward.Composite{tldr, arxiv} {
			r := s.Score(reward.Input{Responses: []string{c1, c2}, Last: true}).Total
			if math.IsNaN(r) || r < 0 || r > MaxReward {
				t.Fatalf("reward %v for %q, %q", r, c1, c2)
			}
		}
		if got, want := Tokens(c1), len(strings.FieldsFunc(c1, isPySpace)); got != want {
			t.Fatalf("Tokens(%q) = %d, want %d", c1, got, want)
		}
		want := strings.FieldsFunc(strings.ToLower(c1), func(r rune) bool { return !isWordRune(r) })
		if got := Words(c1); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("Words(%q) = %q, want %q", c1, got, want)
		}
		if Chars(c1) != utf8.RuneCountInString(c1) {
			t.Fatal("Chars")
		}
	})
}
