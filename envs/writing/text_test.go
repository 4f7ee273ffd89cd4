package writing

import (
	"reflect"
	"testing"
)

func TestTextMeasures(t *testing.T) {
	tests := []struct {
		text          string
		tokens, chars int
		words         []string
	}{
		{"", 0, 0, nil},
		{" \t\n ", 0, 4, nil},
		{"Hello, world!", 2, 13, []string{"hello", "world"}},
		{"it's a well-known fact", 4, 22, []string{"it", "s", "a", "well", "known", "fact"}},
		{"snake_case and 42 apples", 4, 24, []string{"snake_case", "and", "42", "apples"}},
		// Python's str.split() also splits at U+001C..U+001F and U+00A0, U+2028.
		{"a\x1cb\x1fc\u00a0d\u2028e", 5, 9, []string{"a", "b", "c", "d", "e"}},
		// Unicode letters and digits are word characters; code points are counted, not bytes.
		{"Café ÜBER naïve ٣", 4, 17, []string{"café", "über", "naïve", "٣"}},
		{"emoji 🙂 dash—dash", 3, 17, []string{"emoji", "dash", "dash"}},
		{"\xff\xfe ok", 2, 5, []string{"ok"}},
	}
	for _, tc := range tests {
		if got := Tokens(tc.text); got != tc.tokens {
			t.Errorf("Tokens(%q) = %d, want %d", tc.text, got, tc.tokens)
		}
		if got := Chars(tc.text); got != tc.chars {
			t.Errorf("Chars(%q) = %d, want %d", tc.text, got, tc.chars)
		}
		if got := Words(tc.text); !(len(got) == 0 && len(tc.words) == 0) && !reflect.DeepEqual(got, tc.words) {
			t.Errorf("Words(%q) = %q, want %q", tc.text, got, tc.words)
		}
	}
}

func TestUniqueCountsStopwords(t *testing.T) {
	// "the" and "and" are stopwords and still count: the reference's code, not its docstring.
	if got := Unique("The cat and the dog and THE bird"); got != 5 {
		t.Errorf("Unique = %d, want 5 (the, cat, and, dog, bird)", got)
	}
}

func TestJaccard(t *testing.T) {
	lex := DefaultLexicon()
	tests := []struct {
		a, b string
		want float64
	}{
		{"", "", 1},
		{"the and of", "a an", 1}, // only stopwords on both sides: two empty sets
		{"cat", "", 0},
		{"the cat sat", "a cat ran", 1.0 / 3}, // {cat, sat} vs {cat, ran}
		{"Cat DOG", "dog cat", 1},
		{"x y z w", "x q", 1.0 / 5},
	}
	for _, tc := range tests {
		if got := lex.Jaccard(tc.a, tc.b); got != tc.want {
			t.Errorf("Jaccard(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestTransitionCategories(t *testing.T) {
	lex := DefaultLexicon()
	tests := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"xkq zvw", nil},
		{"so", []string{"cause_effect"}},
		// The substring quirk: "also" holds "so", so it counts two categories.
		{"also", []string{"cause_effect", "elaboration"}},
		{"ALSO", []string{"cause_effect", "elaboration"}},
		{"however", []string{"concession", "contrast"}},
		// "as" inside "was" counts "time"; "then" is in cause_effect and sequence.
		{"it was", []string{"time"}},
		{"then", []string{"cause_effect", "sequence"}},
		{"For example", []string{"examples"}},
		{"forexample", nil}, // a phrase with a space needs the space
	}
	for _, tc := range tests {
		if got := lex.TransitionCategories(tc.text); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("TransitionCategories(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := len(lex.Categories); got != 12 {
		t.Errorf("built-in lexicon has %d categories, want 12", got)
	}
	if got := len(lex.Stopwords); got != 106 {
		t.Errorf("built-in lexicon has %d stopwords, want 106", got)
	}
}

func TestTransitionScore(t *testing.T) {
	for n, want := range map[int]float64{0: 0, 1: 0.4, 2: 0.45, 3: 0.5, 12: 0.95, 13: 1.0, 50: 1.0} {
		if got := TransitionScore(n); !near(got, want) {
			t.Errorf("TransitionScore(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestParseLexiconErrors(t *testing.T) {
	for name, data := range map[string]string{
		"not JSON":        `{`,
		"no transitions":  `{"stopwords": ["a"]}`,
		"empty category":  `{"transition_words": {"x": []}}`,
		"empty phrase":    `{"transition_words": {"x": [""]}}`,
		"wrong structure": `{"transition_words": ["so"]}`,
	} {
		if _, err := ParseLexicon([]byte(data)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	lex, err := ParseLexicon([]byte(`{"stopwords": ["The"], "transition_words": {"b": ["Thus"], "a": ["so"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !lex.Stopwords["the"] || lex.Categories[0].Name != "a" || lex.Categories[1].Phrases[0] != "thus" {
		t.Errorf("ParseLexicon did not lowercase and sort: %+v", lex)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
