package lm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/collm/collm/maac/safetensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestSaveLoadRoundTripBitExact(t *testing.T) {
	for _, dtype := range []string{"float32", "bfloat16"} {
		t.Run(dtype, func(t *testing.T) {
			src := "testdata/ref/qwen3_qknorm_headdim"
			if dtype == "bfloat16" {
				src = "testdata/ref/qwen2_bias_tied_bf16"
			}
			m, err := Load(testBackend(t), model.NewStore(), "a", src)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			orig, err := safetensors.LoadDir(src)
			if err != nil {
				t.Fatal(err)
			}
			saved, err := safetensors.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(orig) != len(saved) {
				t.Fatalf("saved %d tensors, original has %d", len(saved), len(orig))
			}
			for name, o := range orig {
				s := saved[name]
				if s == nil || s.DType != o.DType || !slices.Equal(s.Shape, o.Shape) || string(s.Data) != string(o.Data) {
					t.Fatalf("tensor %q is not bit-identical after load+save", name)
				}
			}
			c2, err := ReadConfig(dir)
			if err != nil {
				t.Fatal(err)
			}
			if c2.HeadDim != m.Config.HeadDim || c2.Architecture != m.Config.Architecture || c2.TorchDType != dtype {
				t.Fatalf("config changed: %+v vs %+v", c2, m.Config)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	be := testBackend(t)
	src := "testdata/ref/llama_untied_gqa"
	cfgData, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	weights, err := safetensors.LoadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, cfg string, drop string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		var ts []*safetensors.Tensor
		for name, w := range weights {
			if name != drop {
				ts = append(ts, w)
			}
		}
		if err := safetensors.SaveDir(dir, ts, 1<<30, nil); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	cases := []struct{ name, cfg, drop, want string }{
		{"missing tensor", string(cfgData), "model.layers.1.mlp.up_proj.weight", `lacks tensor "model.layers.1.mlp.up_proj.weight"`},
		{"misshaped", strings.Replace(string(cfgData), `"intermediate_size": 48`, `"intermediate_size": 40`, 1), "", "has shape"},
		{"extra layers", strings.Replace(string(cfgData), `"num_hidden_layers": 2`, `"num_hidden_layers": 1`, 1), "", "config/weights mismatch"},
		{"unknown architecture", strings.Replace(string(cfgData), "LlamaForCausalLM", "GPT2LMHeadModel", 1), "", `unsupported architecture "GPT2LMHeadModel"`},
		{"unsupported rope type", strings.Replace(string(cfgData), `"rope_scaling": null`, `"rope_scaling": {"rope_type": "longrope", "short_factor": [1], "long_factor": [1]}`, 1), "",
			`rope_scaling.rope_type "longrope" is not supported (supported: default, linear, dynamic, yarn, llama3)`},
		{"sliding window on llama", strings.Replace(string(cfgData), `"rope_scaling": null`, `"sliding_window": 4096`, 1), "",
			"sliding_window 4096 is not supported by LlamaForCausalLM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(be, model.NewStore(), "a", write(t, c.cfg, c.drop))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
}
