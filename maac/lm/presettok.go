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

// PresetFor returns preset name sized for tok: its vocabulary size and EOS replace the byte
// tokenizer's, so a model trained from scratch can use any tokenizer, such as an environment's
// word-level vocabulary.
func PresetFor(name string, tok tokenizer.Tokenizer) (Config, error) {
	cfg, err := Preset(name)
	if err != nil {
		return Config{}, err
	}
	if tok.EOS() < 0 {
		return Config{}, fmt.Errorf("lm: preset %s needs a tokenizer with an EOS token", name)
	}
	cfg.VocabSize = tok.VocabSize()
	cfg.EOSTokenIDs = []int{tok.EOS()}
	return cfg, nil
}
