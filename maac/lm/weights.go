package lm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/collm/collm/maac/safetensors"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// initStd is the standard deviation of the random normal initialization (HF initializer_range).
const initStd = 0.02

// weightShape is one backbone tensor: its HF name, its shape and how a fresh model initializes it.
type weightShape struct {
	name  string
	shape []int
	init  byte // 'n': normal(0, initStd), '1': ones, '0': zeros
}

func (w weightShape) numElements() int {
	n := 1
	for _, d := range w.shape {
		n *= d
	}
	return n
}

// weightShapes lists every backbone tensor of the config, in HF names and [out,in] layout.
func (c Config) weightShapes() []weightShape {
	d, hd := c.HiddenSize, c.HeadDim
	qDim, kvDim := c.NumHeads*hd, c.NumKVHeads*hd
	ws := []weightShape{{"model.embed_tokens.weight", []int{c.VocabSize, d}, 'n'}}
	for l := range c.NumLayers {
		p := fmt.Sprintf("model.layers.%d.", l)
		ws = append(ws,
			weightShape{p + "input_layernorm.weight", []int{d}, '1'},
			weightShape{p + "self_attn.q_proj.weight", []int{qDim, d}, 'n'},
			weightShape{p + "self_attn.k_proj.weight", []int{kvDim, d}, 'n'},
			weightShape{p + "self_attn.v_proj.weight", []int{kvDim, d}, 'n'},
			weightShape{p + "self_attn.o_proj.weight", []int{d, qDim}, 'n'},
		)
		if c.QKVBias() {
			ws = append(ws,
				weightShape{p + "self_attn.q_proj.bias", []int{qDim}, '0'},
				weightShape{p + "self_attn.k_proj.bias", []int{kvDim}, '0'},
				weightShape{p + "self_attn.v_proj.bias", []int{kvDim}, '0'},
			)
		}
		if c.OBias() {
			ws = append(ws, weightShape{p + "self_attn.o_proj.bias", []int{d}, '0'})
		}
		if c.QKNorm() {
			ws = append(ws,
				weightShape{p + "self_attn.q_norm.weight", []int{hd}, '1'},
				weightShape{p + "self_attn.k_norm.weight", []int{hd}, '1'},
			)
		}
		ws = append(ws,
			weightShape{p + "post_attention_layernorm.weight", []int{d}, '1'},
			weightShape{p + "mlp.gate_proj.weight", []int{c.IntermediateSize, d}, 'n'},
			weightShape{p + "mlp.up_proj.weight", []int{c.IntermediateSize, d}, 'n'},
			weightShape{p + "mlp.down_proj.weight", []int{d, c.IntermediateSize}, 'n'},
		)
	}
	ws = append(ws, weightShape{"model.norm.weight", []int{d}, '1'})
	if !c.TieWordEmbeddings {
		ws = append(ws, weightShape{"lm_head.weight", []int{c.VocabSize, d}, 'n'})
	}
	return ws
}

// randomTensor returns a float32 tensor of the given shape filled by kind ('n', '1', '0').
func randomTensor(rng *rand.Rand, shape []int, kind byte, std float64) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Float32, shape...))
	tensors.MustMutableFlatData(t, func(flat []float32) {
		for i := range flat {
			switch kind {
			case 'n':
				flat[i] = float32(rng.NormFloat64() * std)
			case '1':
				flat[i] = 1
			}
		}
	})
	return t
}

// toSafetensor converts a float32 variable value to a safetensors tensor in the given torch dtype.
func toSafetensor(name string, t *tensors.Tensor, torchDType string) *safetensors.Tensor {
	data := tensors.MustCopyFlatData[float32](t)
	shape := t.Shape().Dimensions
	if torchDType == "bfloat16" {
		return safetensors.FromBF16(name, shape, data)
	}
	return safetensors.FromFloat32(name, shape, data)
}

// fromSafetensor converts a checkpoint tensor to a float32 tensor, checking its shape and that
// every value is finite: NaN weights would only surface later as NaN logits.
func fromSafetensor(st *safetensors.Tensor, want []int) (*tensors.Tensor, error) {
	if !equalInts(st.Shape, want) {
		return nil, fmt.Errorf("tensor %q has shape %v, the config needs %v", st.Name, st.Shape, want)
	}
	data, err := st.Float32s()
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", st.Name, err)
	}
	if i := firstNonFinite(data); i >= 0 {
		return nil, &NonFiniteError{What: fmt.Sprintf("weights in tensor %q (%g at flat index %d): the checkpoint was saved from a diverged run or is corrupt", st.Name, data[i], i)}
	}
	return tensors.FromFlatDataAndDimensions(data, want...), nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// matchesFamily reports whether name is a backbone-like tensor name (to spot tensors of another
// layout: a checkpoint with more layers, biases the config lacks, ...).
func matchesFamily(name string) bool {
	return strings.HasPrefix(name, "model.") || strings.HasPrefix(name, "lm_head.")
}

// kaimingUniformBound is PEFT's bound for lora_A: kaiming_uniform(a=sqrt(5)) = 1/sqrt(fan_in).
func kaimingUniformBound(fanIn int) float64 { return 1 / math.Sqrt(float64(fanIn)) }
