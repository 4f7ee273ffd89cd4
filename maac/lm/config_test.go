package lm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		if _, err := ParseConfig(out); err != nil {
			t.Fatalf("re-parsing the written config: %v\n%s", err, out)
		}
	})
}
