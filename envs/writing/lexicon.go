package writing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// defaultLexicon is a byte-for-byte copy of ../shared/data/writing/lexicon.json (6282 bytes):
// the 106 stopwords and 12 transition-word categories of the reference rewards
// (OpenMLRL/LLM_Collab_Writing, rewards/tldr_rewards.py). They are lists of common English words
// and phrases; the project's other OpenMLRL data carries the MIT licence.
//
//go:embed lexicon.json
var defaultLexicon []byte

// Lexicon holds the word lists of the writing rewards.
type Lexicon struct {
	// Stopwords are removed from the word sets that Jaccard compares (not from unique counts).
	Stopwords map[string]bool
	// Categories are the transition-word categories, sorted by name.
	Categories []Category
}

// Category is one transition-word category: a phrase of it found as a substring of the
// lowercased text counts the category.
type Category struct {
	Name    string
	Phrases []string
}

// DefaultLexicon returns the built-in lexicon, the reference's word lists.
func DefaultLexicon() *Lexicon {
	lex, err := ParseLexicon(defaultLexicon)
	if err != nil {
		panic("writing: embedded lexicon.json is broken: " + err.Error())
	}
	return lex
}

// LoadLexicon reads a lexicon JSON file (same format as lexicon.json: "stopwords": [words],
// "transition_words": {category: [phrases]}).
func LoadLexicon(path string) (*Lexicon, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lexicon: %w", err)
	}
	lex, err := ParseLexicon(data)
	if err != nil {
		return nil, fmt.Errorf("lexicon %s: %w", path, err)
	}
	return lex, nil
}

// ParseLexicon decodes a lexicon from JSON. Words and phrases are lowercased, as the text they
// are matched against is.
func ParseLexicon(data []byte) (*Lexicon, error) {
	var raw struct {
		Stopwords   []string            `json:"stopwords"`
		Transitions map[string][]string `json:"transition_words"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if len(raw.Transitions) == 0 {
		return nil, fmt.Errorf(`field "transition_words" is missing or empty; want {"category": ["phrase", ...], ...}`)
	}
	lex := &Lexicon{Stopwords: make(map[string]bool, len(raw.Stopwords))}
	for _, w := range raw.Stopwords {
		lex.Stopwords[strings.ToLower(w)] = true
	}
	for name, phrases := range raw.Transitions {
		c := Category{Name: name}
		for _, p := range phrases {
			if p == "" {
				// An empty phrase would match every text.
				return nil, fmt.Errorf("transition_words[%q] holds an empty phrase", name)
			}
			c.Phrases = append(c.Phrases, strings.ToLower(p))
		}
		if len(c.Phrases) == 0 {
			return nil, fmt.Errorf("transition_words[%q] is empty", name)
		}
		lex.Categories = append(lex.Categories, c)
	}
	sort.Slice(lex.Categories, func(i, j int) bool { return lex.Categories[i].Name < lex.Categories[j].Name })
	return lex, nil
}
