package lm

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/collm/collm/maac/tokenizer"
)

// PresetTokenizer returns the byte-level tokenizer of the presets (vocabulary 260).
func PresetTokenizer() *tokenizer.ByteLevel { return tokenizer.NewByteLevel(PresetSpecials...) }

// TokenizerFor returns the tokenizer that goes with LoadOrPreset(nameOrDir): the preset byte
// tokenizer for a preset name, else the directory's tokenizer.json.
func TokenizerFor(nameOrDir string) (tokenizer.Tokenizer, error) {
	if _, err := Preset(nameOrDir); err == nil {
		return PresetTokenizer(), nil
	}
	if _, err := os.Stat(filepath.Join(nameOrDir, "tokenizer.json")); err != nil {
		return nil, fmt.Errorf("lm: model %s has no tokenizer.json: %w", nameOrDir, err)
	}
	return tokenizer.Load(nameOrDir)
}
