package lm

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

const qwen25Config = `{
  "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "attention_dropout": 0.0,
  "bos_token_id": 151643, "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 896,
  "initializer_range": 0.02, "intermediate_size": 4864, "max_position_embeddings": 32768,
  "max_window_layers": 21, "num_attention_heads": 14, "num_hidden_layers": 24,
  "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000.0,
  "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "transformers_version": "4.43.1", "use_cache": true, "use_sliding_window": false, "vocab_size": 151936
}`

func TestParseConfigQwen25(t *testing.T) {
	c, err := ParseConfig([]byte(qwen25Config))
	if err != nil {
		t.Fatal(err)
	}
	if c.HeadDim != 64 || c.NumKVHeads != 2 || !c.QKVBias() || c.OBias() || c.QKNorm() || !c.TieWordEmbeddings ||
		c.BOSTokenID != 151643 || len(c.EOSTokenIDs) != 1 || c.EOSTokenIDs[0] != 151645 || c.TorchDType != "bfloat16" {
		t.Fatalf("parsed %+v", c)
	}
	// Qwen2.5-0.5B has 494M parameters (HF reports 494,032,768).
	if n := c.NumParams(); n != 494032768 {
		t.Fatalf("NumParams = %d, want 494032768", n)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := c.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	gen := `{"bos_token_id": 151643, "eos_token_id": [151645, 151643], "do_sample": true}`
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "generation_config.json"), []byte(gen), 0o644); err != nil {
		t.Fatal(err)
	}
	c2, err := ReadConfig(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.EOSTokenIDs) != 2 || c2.EOSTokenIDs[0] != 151645 || c2.EOSTokenIDs[1] != 151643 {
		t.Fatalf("EOS ids with generation_config.json: %v, want [151645 151643]", c2.EOSTokenIDs)
	}
	if c2.Architecture != c.Architecture || c2.HeadDim != c.HeadDim || c2.NumParams() != c.NumParams() || c2.RopeTheta != c.RopeTheta {
		t.Fatalf("round trip changed the config: %+v vs %+v", c2, c)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tiny, err := Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"arch", func(c *Config) { c.Architecture = "GPT2LMHeadModel" }, "unsupported architecture"},
		{"vocab", func(c *Config) { c.VocabSize = 0 }, "vocab_size"},
		{"gqa", func(c *Config) { c.NumKVHeads = 3 }, "num_key_value_heads"},
		{"head_dim odd", func(c *Config) { c.HeadDim = 31 }, "head_dim"},
		{"eps", func(c *Config) { c.RMSNormEps = -1 }, "rms_norm_eps"},
		{"theta", func(c *Config) { c.RopeTheta = 0.5 }, "rope_theta"},
		{"dtype", func(c *Config) { c.TorchDType = "float16" }, "torch_dtype"},
		{"eos", func(c *Config) { c.EOSTokenIDs = []int{260} }, "eos_token_id"},
	}
	for _, tc := range cases {
		c := tiny
		c.EOSTokenIDs = append([]int(nil), tiny.EOSTokenIDs...)
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
	for _, bad := range []string{
		`{"architectures": ["BertModel"], "vocab_size": 10}`,
		`{"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "rope_scaling": {"type": "llama3"}}`,
		`{"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "hidden_act": "gelu"}`,
		`{"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "eos_token_id": "x"}`,
		`not json`,
	} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) = nil error", bad)
		}
	}
	if _, err := Preset("huge"); err == nil || !strings.Contains(err.Error(), "tiny") {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestPresetsMatchTokenizer(t *testing.T) {
	tok := PresetTokenizer()
	for _, name := range PresetNames() {
		c, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if c.VocabSize != tok.VocabSize() || c.EOSTokenIDs[0] != tok.EOS() {
			t.Errorf("%s: vocab %d eos %v, tokenizer vocab %d eos %d", name, c.VocabSize, c.EOSTokenIDs, tok.VocabSize(), tok.EOS())
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(qwen25Config))
	if data, err := os.ReadFile("testdata/ref/qwen3_qknorm_headdim/config.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"architectures": ["LlamaForCausalLM"], "eos_token_id": [1, 2]}`))
	for _, name := range []string{"llama3_rope_tied", "llama_yarn_params", "mistral_window", "qwen2_window_layers"} {
		if data, err := os.ReadFile(filepath.Join("testdata/ref", name, "config.json")); err == nil {
			f.Add(data)
		}
	}
	f.Add(hfJSON(ArchLlama, llama31Rope))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseConfig accepted a config that fails Validate: %v", err)
		}
		out, err := c.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("re-parsing the written config: %v\n%s", err, out)
		}
		if c2.RopeScaling != c.RopeScaling || c2.RopeTheta != c.RopeTheta || c2.SlidingWindow != c.SlidingWindow ||
			c2.UseSlidingWindow != c.UseSlidingWindow || c2.MaxWindowLayers != c.MaxWindowLayers {
			t.Fatalf("the written config reads back as another model:\n%+v\n%+v\n%s", c, c2, out)
		}
	})
}

// hfJSON returns a small config.json of arch (3 layers, head_dim 8, context 64) with extra keys.
func hfJSON(arch, extra string) []byte {
	s := `{"architectures": ["` + arch + `"], "vocab_size": 10, "hidden_size": 16, "num_hidden_layers": 3,
	  "num_attention_heads": 2, "max_position_embeddings": 64, "rope_theta": 10000.0`
	if extra != "" {
		s += ", " + extra
	}
	return []byte(s + "}")
}

// llama31Rope is rope_scaling of every Llama 3.1/3.2/3.3 checkpoint.
const llama31Rope = `"rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
  "original_max_position_embeddings": 8192, "rope_type": "llama3"}`

func TestParseConfigRopeAndWindows(t *testing.T) {
	cases := []struct {
		name    string
		data    []byte
		rope    RopeScaling
		theta   float64
		windows []int // AttentionWindow of layers 0, 1, 2
	}{
		{"plain", hfJSON(ArchLlama, `"rope_scaling": null`), RopeScaling{}, 10000, []int{0, 0, 0}},
		{"default type", hfJSON(ArchLlama, `"rope_scaling": {"rope_type": "default"}`), RopeScaling{}, 10000, []int{0, 0, 0}},
		{"llama3", hfJSON(ArchLlama, llama31Rope), RopeScaling{Type: RopeLlama3, Factor: 8, LowFreqFactor: 1,
			HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192}, 10000, []int{0, 0, 0}},
		{"linear, older type key", hfJSON(ArchLlama, `"rope_scaling": {"type": "linear", "factor": 2}`),
			RopeScaling{Type: RopeLinear, Factor: 2}, 10000, []int{0, 0, 0}},
		{"dynamic keeps original", hfJSON(ArchLlama, `"rope_scaling": {"type": "dynamic", "factor": 2, "original_max_position_embeddings": 4096}`),
			RopeScaling{Type: RopeDynamic, Factor: 2, OriginalMaxPositionEmbeddings: 4096}, 10000, []int{0, 0, 0}},
		{"qwen2.5 yarn", hfJSON(ArchQwen2, `"rope_scaling": {"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}`),
			RopeScaling{Type: RopeYaRN, Factor: 4, OriginalMaxPositionEmbeddings: 32768}, 10000, []int{0, 0, 0}},
		{"yarn, every option", hfJSON(ArchQwen3, `"rope_scaling": {"rope_type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1,
			"mscale": 1.0, "mscale_all_dim": 1.0, "attention_factor": null, "original_max_position_embeddings": 4096, "truncate": false}`),
			RopeScaling{Type: RopeYaRN, Factor: 40, BetaFast: 32, BetaSlow: 1, MScale: 1, MScaleAllDim: 1,
				OriginalMaxPositionEmbeddings: 4096, NoTruncate: true}, 10000, []int{0, 0, 0}},
		{"rope_parameters with theta", []byte(`{"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 16,
			"num_hidden_layers": 3, "num_attention_heads": 2, "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0,
			"factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}`),
			RopeScaling{Type: RopeLlama3, Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192}, 500000, []int{0, 0, 0}},
		{"rope_parameters default", hfJSON(ArchQwen3, `"rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0}`),
			RopeScaling{}, 1e6, []int{0, 0, 0}},
		{"rope_scaling wins over rope_parameters", hfJSON(ArchLlama, `"rope_scaling": {"rope_type": "linear", "factor": 3},
			"rope_parameters": {"rope_type": "linear", "factor": 5}`), RopeScaling{Type: RopeLinear, Factor: 3}, 10000, []int{0, 0, 0}},
		{"mistral window", hfJSON(ArchMistral, `"sliding_window": 16, "rope_scaling": {"rope_type": "linear", "factor": 2}`),
			RopeScaling{Type: RopeLinear, Factor: 2}, 10000, []int{16, 16, 16}},
		{"mistral null window", hfJSON(ArchMistral, `"sliding_window": null`), RopeScaling{}, 10000, []int{0, 0, 0}},
		{"mistral default window", hfJSON(ArchMistral, ""), RopeScaling{}, 10000, []int{4096, 4096, 4096}},
		{"qwen2 window off", hfJSON(ArchQwen2, `"use_sliding_window": false, "sliding_window": 32768, "max_window_layers": 1`),
			RopeScaling{}, 10000, []int{0, 0, 0}},
		{"qwen2 window from layer 1", hfJSON(ArchQwen2, `"use_sliding_window": true, "sliding_window": 8, "max_window_layers": 1`),
			RopeScaling{}, 10000, []int{0, 8, 8}},
		{"qwen2 window, layer_types agree", hfJSON(ArchQwen2, `"use_sliding_window": true, "sliding_window": 8, "max_window_layers": 2,
			"layer_types": ["full_attention", "full_attention", "sliding_attention"]`), RopeScaling{}, 10000, []int{0, 0, 8}},
		{"qwen3 window on every layer", hfJSON(ArchQwen3, `"use_sliding_window": true, "sliding_window": 8, "max_window_layers": 0`),
			RopeScaling{}, 10000, []int{8, 8, 8}},
		{"qwen2 default max_window_layers (28)", hfJSON(ArchQwen2, `"use_sliding_window": true, "sliding_window": 8`),
			RopeScaling{}, 10000, []int{0, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if c.RopeScaling != tc.rope || c.RopeTheta != tc.theta {
				t.Errorf("rope %+v theta %g, want %+v theta %g", c.RopeScaling, c.RopeTheta, tc.rope, tc.theta)
			}
			for l, w := range tc.windows {
				if got := c.AttentionWindow(l); got != w {
					t.Errorf("layer %d: window %d, want %d", l, got, w)
				}
			}
			// Writing config.json and reading it back gives the same model.
			out, err := c.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			c2, err := ParseConfig(out)
			if err != nil {
				t.Fatalf("re-parsing the written config: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(c, c2) {
				t.Errorf("round trip changed the config:\n%+v\n%+v\n%s", c, c2, out)
			}
		})
	}
}

func TestParseConfigRopeAndWindowErrors(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"longrope", hfJSON(ArchLlama, `"rope_scaling": {"rope_type": "longrope", "short_factor": [1], "long_factor": [1]}`),
			`lm config: rope_scaling.rope_type "longrope" is not supported (supported: default, linear, dynamic, yarn, llama3)`},
		{"older type key", hfJSON(ArchLlama, `"rope_scaling": {"type": "su", "factor": 2}`), `rope_scaling.type "su" is not supported`},
		{"rope_parameters type", hfJSON(ArchQwen3, `"rope_parameters": {"rope_type": "mrope", "rope_theta": 10000}`), `rope_parameters.rope_type "mrope" is not supported`},
		{"type not a string", hfJSON(ArchLlama, `"rope_scaling": {"rope_type": 3}`), "rope_scaling.rope_type must be a string"},
		{"not an object", hfJSON(ArchLlama, `"rope_scaling": 8`), "rope_scaling must be an object or null"},
		{"llama3 without factor", hfJSON(ArchLlama, `"rope_scaling": {"rope_type": "llama3", "low_freq_factor": 1, "high_freq_factor": 4,
			"original_max_position_embeddings": 8192}`), `rope_scaling.factor is required by rope_type "llama3"`},
		{"llama3 without original", hfJSON(ArchLlama, `"rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4}`),
			`rope_scaling.original_max_position_embeddings is required by rope_type "llama3"`},
		{"llama3 bands", hfJSON(ArchLlama, `"rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 4,
			"original_max_position_embeddings": 8192}`), "rope_scaling.high_freq_factor (4) must be > low_freq_factor (4)"},
		{"linear without factor", hfJSON(ArchLlama, `"rope_scaling": {"type": "linear"}`), `rope_scaling.factor is required by rope_type "linear"`},
		{"null factor", hfJSON(ArchLlama, `"rope_scaling": {"type": "linear", "factor": null}`), `rope_scaling.factor is required`},
		{"zero factor", hfJSON(ArchLlama, `"rope_scaling": {"type": "dynamic", "factor": 0}`), `rope_scaling.factor is required by rope_type "dynamic" (and must be > 0)`},
		{"negative beta", hfJSON(ArchLlama, `"rope_scaling": {"type": "yarn", "factor": 4, "beta_fast": -1}`), "rope_scaling.beta_fast must be a finite number >= 0"},
		{"factor not a number", hfJSON(ArchLlama, `"rope_scaling": {"type": "linear", "factor": "2"}`), "rope_scaling.factor must be a number"},
		{"fractional original", hfJSON(ArchLlama, `"rope_scaling": {"type": "yarn", "factor": 4, "original_max_position_embeddings": 16.5}`),
			"rope_scaling.original_max_position_embeddings must be an integer"},
		{"key of another type", hfJSON(ArchLlama, `"rope_scaling": {"type": "linear", "factor": 2, "low_freq_factor": 1}`),
			`rope_scaling.low_freq_factor is not supported with rope_type "linear"`},
		{"truncate", hfJSON(ArchLlama, `"rope_scaling": {"type": "yarn", "factor": 2, "truncate": "no"}`), "rope_scaling.truncate must be true or false"},
		{"partial rotary", hfJSON(ArchLlama, `"rope_parameters": {"rope_type": "default", "partial_rotary_factor": 0.5}`),
			"rope_parameters.partial_rotary_factor 0.5 is not supported"},
		{"dynamic with head_dim 2", []byte(`{"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1,
			"num_attention_heads": 2, "rope_scaling": {"type": "dynamic", "factor": 2}}`), `rope_type "dynamic" needs head_dim > 2`},
		{"llama window", hfJSON(ArchLlama, `"sliding_window": 4096`),
			"sliding_window 4096 is not supported by LlamaForCausalLM (MistralForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM have sliding-window attention)"},
		{"llama use_sliding_window", hfJSON(ArchLlama, `"use_sliding_window": true`), "use_sliding_window=true is not supported by LlamaForCausalLM"},
		{"mistral use_sliding_window", hfJSON(ArchMistral, `"use_sliding_window": true, "sliding_window": 8`), "use_sliding_window=true is not supported by MistralForCausalLM"},
		{"qwen2 null window", hfJSON(ArchQwen2, `"use_sliding_window": true, "sliding_window": null`), "use_sliding_window=true needs sliding_window > 0, got none"},
		{"qwen2 missing window", hfJSON(ArchQwen2, `"use_sliding_window": true`), "use_sliding_window=true needs sliding_window > 0, got none"},
		{"zero window", hfJSON(ArchMistral, `"sliding_window": 0`), "sliding_window must be an integer > 0 or null, got 0"},
		{"window not an integer", hfJSON(ArchQwen2, `"sliding_window": "4k"`), `sliding_window must be an integer > 0 or null, got "4k"`},
		{"negative max_window_layers", hfJSON(ArchQwen2, `"use_sliding_window": true, "sliding_window": 8, "max_window_layers": -1`),
			"max_window_layers must be >= 0, got -1"},
		{"layer_types count", hfJSON(ArchQwen2, `"use_sliding_window": true, "sliding_window": 8, "layer_types": ["full_attention"]`),
			"layer_types has 1 entries, want num_hidden_layers = 3"},
		{"layer_types pattern", hfJSON(ArchQwen2, `"use_sliding_window": true, "sliding_window": 8, "max_window_layers": 1,
			"layer_types": ["sliding_attention", "full_attention", "full_attention"]`), `layer_types[0] "sliding_attention" is not supported`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestValidateRopeAndWindow(t *testing.T) {
	tiny, err := Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unknown type", func(c *Config) { c.RopeScaling = RopeScaling{Type: "longrope", Factor: 2} }, `rope_scaling.rope_type "longrope" is not supported`},
		{"field of another type", func(c *Config) { c.RopeScaling = RopeScaling{Type: RopeLinear, Factor: 2, LowFreqFactor: 1} },
			`rope_scaling.low_freq_factor is not used by rope_type "linear"`},
		{"plain with a factor", func(c *Config) { c.RopeScaling = RopeScaling{Factor: 2} }, `rope_scaling.factor is not used by rope_type "default"`},
		{"truncate off on llama3", func(c *Config) {
			c.RopeScaling = RopeScaling{Type: RopeLlama3, Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 64, NoTruncate: true}
		}, `rope_scaling.truncate is not used by rope_type "llama3"`},
		{"NaN factor", func(c *Config) { c.RopeScaling = RopeScaling{Type: RopeLinear, Factor: math.NaN()} }, "rope_scaling.factor must be a finite number"},
		{"infinite theta", func(c *Config) { c.RopeTheta = math.Inf(1) }, "rope_theta must be a finite number > 1"},
		{"negative window", func(c *Config) { c.Architecture, c.SlidingWindow = ArchMistral, -1 }, "sliding_window must be > 0"},
		{"max_window_layers on mistral", func(c *Config) { c.Architecture, c.MaxWindowLayers = ArchMistral, 2 }, "max_window_layers is not used by MistralForCausalLM"},
	}
	for _, tc := range cases {
		c := tiny
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}

// TestSaveReloadKeepsRopeAndWindow saves rope-scaled and windowed checkpoints and checks that
// the saved config.json reloads to the same config and the same logits.
func TestSaveReloadKeepsRopeAndWindow(t *testing.T) {
	for _, name := range []string{"llama3_rope_tied", "llama_dynamic", "llama_yarn_params", "mistral_window", "qwen2_window_layers"} {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("testdata/ref", name)
			m, err := Load(testBackend(t), model.NewStore(), "a", src)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			m2, err := Load(testBackend(t), model.NewStore(), "a", dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.Config, m2.Config) {
				t.Fatalf("config changed by save+load:\n%+v\n%+v", m.Config, m2.Config)
			}
			want := readFixture(t, src)
			a, b := logitsOf(t, m, want.IDs, want.Mask), logitsOf(t, m2, want.IDs, want.Mask)
			if !reflect.DeepEqual(a, b) {
				t.Fatal("logits changed by save+load")
			}
		})
	}
}
