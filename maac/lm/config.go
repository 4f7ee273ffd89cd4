package lm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Supported architectures (the "architectures" entry of a Hugging Face config.json).
const (
	ArchLlama   = "LlamaForCausalLM"
	ArchMistral = "MistralForCausalLM"
	ArchQwen2   = "Qwen2ForCausalLM"
	ArchQwen3   = "Qwen3ForCausalLM"
)

var modelTypes = map[string]string{ArchLlama: "llama", ArchMistral: "mistral", ArchQwen2: "qwen2", ArchQwen3: "qwen3"}

// Hugging Face's defaults for keys a Mistral or Qwen config.json may leave out.
const (
	hfDefaultSlidingWindow   = 4096 // MistralConfig.sliding_window
	hfDefaultMaxWindowLayers = 28   // Qwen2Config and Qwen3Config.max_window_layers
)

// Config describes a decoder-only transformer in the Llama/Mistral/Qwen2/Qwen3 family. Field
// names follow the Hugging Face config.json keys; [ReadConfig] parses such a file and
// [Config.WriteFile] writes one that transformers can read back.
//
// The zero value is not a model: start from [Preset] or [ReadConfig], or fill the size fields and
// call [Config.WithDefaults]. Validate reports the first inconsistent field.
type Config struct {
	// Architecture is one of ArchLlama, ArchMistral, ArchQwen2, ArchQwen3. Default ArchLlama.
	Architecture string
	// VocabSize is the number of token ids (rows of the embedding table). Required.
	VocabSize int
	// HiddenSize is the model width d. Required.
	HiddenSize int
	// IntermediateSize is the width of the SwiGLU MLP. Default 3*HiddenSize.
	IntermediateSize int
	// NumLayers is the number of decoder blocks (num_hidden_layers). Required.
	NumLayers int
	// NumHeads is the number of query heads (num_attention_heads). Required.
	NumHeads int
	// NumKVHeads is the number of key/value heads (GQA when < NumHeads). Default NumHeads.
	NumKVHeads int
	// HeadDim is the per-head width; Qwen3 sets it explicitly and it may differ from
	// HiddenSize/NumHeads. Default HiddenSize/NumHeads.
	HeadDim int
	// RMSNormEps is the epsilon of every RMSNorm. Default 1e-6.
	RMSNormEps float64
	// RopeTheta is the RoPE base. Default 10000.
	RopeTheta float64
	// RopeScaling is the RoPE variant (config.json's rope_scaling); the zero value is plain RoPE.
	RopeScaling RopeScaling
	// SlidingWindow limits attention to a window: the token in slot i attends to the slots j with
	// i-SlidingWindow < j <= i (itself and the SlidingWindow-1 tokens before it), Hugging Face's
	// sliding_window_overlay. 0: none. Mistral applies it to every layer; Qwen2 and Qwen3 only
	// with UseSlidingWindow, to the layers from MaxWindowLayers on (AttentionWindow says which).
	// Llama has no window.
	SlidingWindow int
	// UseSlidingWindow switches the window of Qwen2 and Qwen3 on (use_sliding_window).
	UseSlidingWindow bool
	// MaxWindowLayers (Qwen2, Qwen3) is the number of bottom layers that keep full attention
	// under UseSlidingWindow: layer l uses the window when l >= MaxWindowLayers, transformers'
	// rule whatever the name suggests. ParseConfig defaults it to transformers' 28.
	MaxWindowLayers int
	// TieWordEmbeddings makes lm_head reuse model.embed_tokens.weight (no lm_head.weight tensor).
	TieWordEmbeddings bool
	// AttentionBias is config.json's attention_bias: Llama and Qwen3 then have biases on q, k, v
	// and o. Qwen2 always has q/k/v biases and never an o bias, and Mistral never has biases,
	// whatever this says (as in transformers).
	AttentionBias bool
	// MaxPositionEmbeddings is the longest sequence the model is meant for. Default 2048.
	MaxPositionEmbeddings int
	// TorchDType is the dtype of the stored weights ("float32" or "bfloat16"); computation is
	// always float32. Default "float32".
	TorchDType string
	// BOSTokenID is the beginning-of-sequence id, -1 when none.
	BOSTokenID int
	// EOSTokenIDs are the end-of-sequence ids (config.json allows one id or a list); generation
	// stops on any of them.
	EOSTokenIDs []int
}

// QKVBias reports whether q_proj, k_proj and v_proj have biases.
func (c Config) QKVBias() bool {
	return c.Architecture == ArchQwen2 || (c.AttentionBias && c.Architecture != ArchMistral)
}

// OBias reports whether o_proj has a bias.
func (c Config) OBias() bool {
	return c.AttentionBias && c.Architecture != ArchQwen2 && c.Architecture != ArchMistral
}

// AttentionWindow returns the sliding window of layer l (see SlidingWindow), 0 for full attention.
func (c Config) AttentionWindow(l int) int {
	switch c.Architecture {
	case ArchMistral:
		return c.SlidingWindow
	case ArchQwen2, ArchQwen3:
		if c.UseSlidingWindow && l >= c.MaxWindowLayers {
			return c.SlidingWindow
		}
	}
	return 0
}

// QKNorm reports whether attention applies per-head RMSNorm to queries and keys (Qwen3).
func (c Config) QKNorm() bool { return c.Architecture == ArchQwen3 }

// WithDefaults returns c with every unset optional field set to its documented default.
func (c Config) WithDefaults() Config {
	if c.Architecture == "" {
		c.Architecture = ArchLlama
	}
	if c.IntermediateSize == 0 {
		c.IntermediateSize = 3 * c.HiddenSize
	}
	if c.NumKVHeads == 0 {
		c.NumKVHeads = c.NumHeads
	}
	if c.HeadDim == 0 && c.NumHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumHeads
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-6
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.MaxPositionEmbeddings == 0 {
		c.MaxPositionEmbeddings = 2048
	}
	if c.TorchDType == "" {
		c.TorchDType = "float32"
	}
	return c
}

// Validate returns an error naming the first field that is missing or inconsistent.
func (c Config) Validate() error {
	if _, ok := modelTypes[c.Architecture]; !ok {
		return fmt.Errorf("lm config: unsupported architecture %q: use one of %s", c.Architecture, strings.Join(supportedArchs(), ", "))
	}
	positive := []struct {
		name string
		v    int
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumLayers}, {"num_attention_heads", c.NumHeads},
		{"num_key_value_heads", c.NumKVHeads}, {"head_dim", c.HeadDim},
		{"max_position_embeddings", c.MaxPositionEmbeddings},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return fmt.Errorf("lm config: %s must be > 0, got %d", p.name, p.v)
		}
	}
	if c.NumHeads%c.NumKVHeads != 0 {
		return fmt.Errorf("lm config: num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)", c.NumHeads, c.NumKVHeads)
	}
	if c.HeadDim%2 != 0 {
		return fmt.Errorf("lm config: head_dim must be even for RoPE, got %d", c.HeadDim)
	}
	if !(c.RMSNormEps > 0) {
		return fmt.Errorf("lm config: rms_norm_eps must be > 0, got %g", c.RMSNormEps)
	}
	if !(c.RopeTheta > 1) || math.IsInf(c.RopeTheta, 0) {
		return fmt.Errorf("lm config: rope_theta must be a finite number > 1, got %g", c.RopeTheta)
	}
	if err := c.RopeScaling.validate("rope_scaling"); err != nil {
		return fmt.Errorf("lm config: %w", err)
	}
	if c.RopeScaling.Type == RopeDynamic && c.HeadDim <= 2 {
		return fmt.Errorf("lm config: rope_type \"dynamic\" needs head_dim > 2, got %d", c.HeadDim)
	}
	if err := c.validateWindow(); err != nil {
		return fmt.Errorf("lm config: %w", err)
	}
	if c.TorchDType != "float32" && c.TorchDType != "bfloat16" {
		return fmt.Errorf("lm config: torch_dtype must be \"float32\" or \"bfloat16\", got %q", c.TorchDType)
	}
	if c.BOSTokenID < -1 || c.BOSTokenID >= c.VocabSize {
		return fmt.Errorf("lm config: bos_token_id %d is outside the vocabulary [0,%d) (use -1 for none)", c.BOSTokenID, c.VocabSize)
	}
	for _, id := range c.EOSTokenIDs {
		if id < 0 || id >= c.VocabSize {
			return fmt.Errorf("lm config: eos_token_id %d is outside the vocabulary [0,%d)", id, c.VocabSize)
		}
	}
	return nil
}

// validateWindow checks the sliding-window fields against the architecture.
func (c Config) validateWindow() error {
	if c.SlidingWindow < 0 {
		return fmt.Errorf("sliding_window must be > 0 (or null for none), got %d", c.SlidingWindow)
	}
	qwen := c.Architecture == ArchQwen2 || c.Architecture == ArchQwen3
	switch {
	case c.Architecture == ArchLlama && c.SlidingWindow != 0:
		return fmt.Errorf("sliding_window %d is not supported by %s (%s, %s and %s have sliding-window attention)",
			c.SlidingWindow, c.Architecture, ArchMistral, ArchQwen2, ArchQwen3)
	case c.UseSlidingWindow && !qwen:
		return fmt.Errorf("use_sliding_window=true is not supported by %s (only %s and %s read it)", c.Architecture, ArchQwen2, ArchQwen3)
	case c.UseSlidingWindow && c.SlidingWindow == 0:
		return errors.New("use_sliding_window=true needs sliding_window > 0, got none")
	case c.MaxWindowLayers < 0:
		return fmt.Errorf("max_window_layers must be >= 0, got %d", c.MaxWindowLayers)
	case c.MaxWindowLayers != 0 && !qwen:
		return fmt.Errorf("max_window_layers is not used by %s (only by %s and %s)", c.Architecture, ArchQwen2, ArchQwen3)
	}
	return nil
}

func supportedArchs() []string {
	var names []string
	for a := range modelTypes {
		names = append(names, a)
	}
	sort.Strings(names)
	return names
}

// NumParams is the number of parameters of the backbone (embeddings, blocks, final norm, lm_head).
func (c Config) NumParams() int {
	n := 0
	for _, s := range c.weightShapes() {
		n += s.numElements()
	}
	return n
}

// Preset returns a named configuration for models trained from scratch on the byte tokenizer:
//
//   - "tiny": vocab 260 (256 bytes + 4 specials), d 128, 2 layers, 4 heads, MLP 384, context 256.
//   - "small": vocab 260, d 256, 4 layers, 8 heads (4 KV heads), MLP 768, context 512.
//
// Both are Llama architectures with tied embeddings, no BOS and EOS 256, matching
// [PresetTokenizer] (whose first special token is EOS).
func Preset(name string) (Config, error) {
	base := Config{Architecture: ArchLlama, VocabSize: 260, TieWordEmbeddings: true, RMSNormEps: 1e-5,
		RopeTheta: 10000, TorchDType: "float32", BOSTokenID: -1, EOSTokenIDs: []int{256}}
	switch name {
	case "tiny":
		base.HiddenSize, base.NumLayers, base.NumHeads, base.NumKVHeads = 128, 2, 4, 4
		base.IntermediateSize, base.MaxPositionEmbeddings = 384, 256
	case "small":
		base.HiddenSize, base.NumLayers, base.NumHeads, base.NumKVHeads = 256, 4, 8, 4
		base.IntermediateSize, base.MaxPositionEmbeddings = 768, 512
	default:
		return Config{}, fmt.Errorf("lm: unknown preset %q: use one of %s", name, strings.Join(PresetNames(), ", "))
	}
	return base.WithDefaults(), nil
}

// PresetSpecials are the special tokens of PresetTokenizer: ids 256 (EOS), 257 (pad), 258, 259.
var PresetSpecials = []string{"<|endoftext|>", "<|pad|>", "<|im_start|>", "<|im_end|>"}

// PresetNames lists the names Preset accepts.
func PresetNames() []string { return []string{"tiny", "small"} }

// hfConfig is the subset of a Hugging Face config.json this package reads and writes.
type hfConfig struct {
	Architectures         []string         `json:"architectures"`
	ModelType             string           `json:"model_type"`
	VocabSize             int              `json:"vocab_size"`
	HiddenSize            int              `json:"hidden_size"`
	IntermediateSize      int              `json:"intermediate_size"`
	NumHiddenLayers       int              `json:"num_hidden_layers"`
	NumAttentionHeads     int              `json:"num_attention_heads"`
	NumKeyValueHeads      int              `json:"num_key_value_heads,omitempty"`
	HeadDim               int              `json:"head_dim,omitempty"`
	RMSNormEps            float64          `json:"rms_norm_eps"`
	RopeTheta             float64          `json:"rope_theta"`
	RopeParameters        *json.RawMessage `json:"rope_parameters,omitempty"`
	TieWordEmbeddings     bool             `json:"tie_word_embeddings"`
	AttentionBias         bool             `json:"attention_bias"`
	MaxPositionEmbeddings int              `json:"max_position_embeddings"`
	TorchDType            string           `json:"torch_dtype"`
	BOSTokenID            *int             `json:"bos_token_id"`
	EOSTokenID            json.RawMessage  `json:"eos_token_id,omitempty"`
	HiddenAct             string           `json:"hidden_act"`
	RopeScaling           *json.RawMessage `json:"rope_scaling"`
	MLPBias               bool             `json:"mlp_bias,omitempty"`
	UseSlidingWindow      bool             `json:"use_sliding_window,omitempty"`
	SlidingWindow         json.RawMessage  `json:"sliding_window,omitempty"`
	MaxWindowLayers       *int             `json:"max_window_layers,omitempty"`
	LayerTypes            []string         `json:"layer_types,omitempty"`
}

// ParseConfig parses the bytes of a Hugging Face config.json, applies defaults and validates.
func ParseConfig(data []byte) (Config, error) {
	var h hfConfig
	if err := json.Unmarshal(data, &h); err != nil {
		return Config{}, fmt.Errorf("lm config: parsing config.json: %w", err)
	}
	if len(h.Architectures) != 1 {
		return Config{}, fmt.Errorf("lm config: \"architectures\" must list exactly one architecture (one of %s), got %q",
			strings.Join(supportedArchs(), ", "), h.Architectures)
	}
	c := Config{
		Architecture: h.Architectures[0], VocabSize: h.VocabSize, HiddenSize: h.HiddenSize,
		IntermediateSize: h.IntermediateSize, NumLayers: h.NumHiddenLayers, NumHeads: h.NumAttentionHeads,
		NumKVHeads: h.NumKeyValueHeads, HeadDim: h.HeadDim, RMSNormEps: h.RMSNormEps, RopeTheta: h.RopeTheta,
		TieWordEmbeddings: h.TieWordEmbeddings, AttentionBias: h.AttentionBias,
		MaxPositionEmbeddings: h.MaxPositionEmbeddings, TorchDType: h.TorchDType, BOSTokenID: -1,
	}
	if _, ok := modelTypes[c.Architecture]; !ok {
		return Config{}, fmt.Errorf("lm config: unsupported architecture %q: use one of %s", c.Architecture, strings.Join(supportedArchs(), ", "))
	}
	if h.HiddenAct != "" && h.HiddenAct != "silu" {
		return Config{}, fmt.Errorf("lm config: hidden_act %q is not supported (only \"silu\")", h.HiddenAct)
	}
	if err := h.parseRope(&c); err != nil {
		return Config{}, fmt.Errorf("lm config: %w", err)
	}
	if h.MLPBias {
		return Config{}, fmt.Errorf("lm config: mlp_bias=true is not supported")
	}
	if err := h.parseWindow(&c); err != nil {
		return Config{}, fmt.Errorf("lm config: %w", err)
	}
	if h.BOSTokenID != nil {
		c.BOSTokenID = *h.BOSTokenID
	}
	eos, err := parseIDList(h.EOSTokenID)
	if err != nil {
		return Config{}, fmt.Errorf("lm config: %w", err)
	}
	c.EOSTokenIDs = eos
	c = c.WithDefaults()
	return c, c.Validate()
}

// parseRope fills c's RoPE variant from rope_scaling or, when that is null or absent,
// rope_parameters (transformers 5, which also prefers rope_scaling). A rope_theta inside the
// object wins over the top-level one.
func (h hfConfig) parseRope(c *Config) error {
	field, raw := "rope_scaling", h.RopeScaling
	if raw == nil || string(*raw) == "null" {
		field, raw = "rope_parameters", h.RopeParameters
	}
	if raw == nil || string(*raw) == "null" {
		return nil
	}
	r, theta, err := parseRope(field, *raw)
	if err != nil {
		return err
	}
	c.RopeScaling = r
	if theta != 0 {
		c.RopeTheta = theta
	}
	return nil
}

// parseWindow fills c's sliding-window fields. An absent sliding_window is transformers'
// default for Mistral (4096); Qwen2 and Qwen3 keep their sliding_window for the round trip even
// when use_sliding_window is false, and must name one when it is true.
func (h hfConfig) parseWindow(c *Config) error {
	qwen := c.Architecture == ArchQwen2 || c.Architecture == ArchQwen3
	switch raw := string(h.SlidingWindow); {
	case raw == "" && c.Architecture == ArchMistral:
		c.SlidingWindow = hfDefaultSlidingWindow
	case raw == "" || raw == "null":
	default:
		if err := json.Unmarshal(h.SlidingWindow, &c.SlidingWindow); err != nil || c.SlidingWindow <= 0 {
			return fmt.Errorf("sliding_window must be an integer > 0 or null, got %s", raw)
		}
	}
	c.UseSlidingWindow = h.UseSlidingWindow
	if !qwen {
		return c.validateWindow()
	}
	c.MaxWindowLayers = hfDefaultMaxWindowLayers
	if h.MaxWindowLayers != nil {
		c.MaxWindowLayers = *h.MaxWindowLayers
	}
	if err := c.validateWindow(); err != nil {
		return err
	}
	// transformers 4.53+ writes layer_types; it must be what max_window_layers gives.
	if h.LayerTypes != nil && c.UseSlidingWindow {
		if len(h.LayerTypes) != c.NumLayers {
			return fmt.Errorf("layer_types has %d entries, want num_hidden_layers = %d", len(h.LayerTypes), c.NumLayers)
		}
		for l, typ := range h.LayerTypes {
			want := "full_attention"
			if c.AttentionWindow(l) > 0 {
				want = "sliding_attention"
			}
			if typ != want {
				return fmt.Errorf("layer_types[%d] %q is not supported: with max_window_layers %d layer %d uses %q (sliding layers must be those from max_window_layers on)",
					l, typ, c.MaxWindowLayers, l, want)
			}
		}
	}
	return nil
}

// ReadConfig reads DIR/config.json (or the file itself when path names a file).
func ReadConfig(path string) (Config, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "config.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("lm: reading config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	// Chat models list their end-of-turn token (e.g. Qwen's <|im_end|>) only in
	// generation_config.json; generation must stop on it too.
	genPath := filepath.Join(filepath.Dir(path), "generation_config.json")
	if data, err := os.ReadFile(genPath); err == nil {
		var gen struct {
			EOS json.RawMessage `json:"eos_token_id"`
		}
		if err := json.Unmarshal(data, &gen); err != nil {
			return Config{}, fmt.Errorf("lm: %s: %w", genPath, err)
		}
		ids, err := parseIDList(gen.EOS)
		if err != nil {
			return Config{}, fmt.Errorf("lm: %s: %w", genPath, err)
		}
		for _, id := range ids {
			if !slices.Contains(c.EOSTokenIDs, id) {
				c.EOSTokenIDs = append(c.EOSTokenIDs, id)
			}
		}
		if err := c.Validate(); err != nil {
			return Config{}, fmt.Errorf("%s: %w", genPath, err)
		}
	}
	return c, nil
}

// parseIDList parses an eos_token_id value: absent/null, one integer or a list of integers.
func parseIDList(raw json.RawMessage) ([]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one int
	if err := json.Unmarshal(raw, &one); err == nil {
		return []int{one}, nil
	}
	var list []int
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("eos_token_id must be an integer or a list of integers, got %s", raw)
	}
	return list, nil
}

// MarshalJSON encodes c as a Hugging Face config.json.
func (c Config) MarshalJSON() ([]byte, error) {
	h := hfConfig{
		Architectures: []string{c.Architecture}, ModelType: modelTypes[c.Architecture], VocabSize: c.VocabSize,
		HiddenSize: c.HiddenSize, IntermediateSize: c.IntermediateSize, NumHiddenLayers: c.NumLayers,
		NumAttentionHeads: c.NumHeads, NumKeyValueHeads: c.NumKVHeads, HeadDim: c.HeadDim,
		RMSNormEps: c.RMSNormEps, RopeTheta: c.RopeTheta, TieWordEmbeddings: c.TieWordEmbeddings,
		AttentionBias: c.AttentionBias, MaxPositionEmbeddings: c.MaxPositionEmbeddings,
		TorchDType: c.TorchDType, HiddenAct: "silu", UseSlidingWindow: c.UseSlidingWindow,
	}
	if rope := marshalRope(c.RopeScaling); rope != nil {
		h.RopeScaling = (*json.RawMessage)(&rope)
	}
	switch c.Architecture {
	case ArchMistral, ArchQwen2, ArchQwen3:
		// null is not the same as absent: transformers' default window is 4096.
		h.SlidingWindow = json.RawMessage("null")
		if c.SlidingWindow > 0 {
			h.SlidingWindow, _ = json.Marshal(c.SlidingWindow)
		}
		if c.Architecture != ArchMistral {
			h.MaxWindowLayers = &c.MaxWindowLayers
		}
	}
	if c.BOSTokenID >= 0 {
		bos := c.BOSTokenID
		h.BOSTokenID = &bos
	}
	switch len(c.EOSTokenIDs) {
	case 0:
	case 1:
		h.EOSTokenID, _ = json.Marshal(c.EOSTokenIDs[0])
	default:
		h.EOSTokenID, _ = json.Marshal(c.EOSTokenIDs)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(h); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFile writes c as a Hugging Face config.json at path (atomically: temp file + rename).
func (c Config) WriteFile(path string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	data, err := c.MarshalJSON()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("lm: writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("lm: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lm: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lm: writing %s: %w", path, err)
	}
	return nil
}
