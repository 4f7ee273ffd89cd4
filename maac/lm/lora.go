package lm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// LoRAConfig configures low-rank adapters W' = W + (Alpha/Rank) * B A on chosen projections.
type LoRAConfig struct {
	// Rank r of the adapters. Default 8.
	Rank int `json:"rank,omitempty"`
	// Alpha scales the update by Alpha/Rank. Default 2*Rank.
	Alpha float64 `json:"alpha,omitempty"`
	// Targets are projection names: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.
	// Default q_proj, v_proj.
	Targets []string `json:"targets,omitempty"`
	// Seed drives the initialization of A (PEFT's kaiming-uniform); B starts at zero, so a fresh
	// adapter leaves the model unchanged.
	Seed uint64 `json:"seed,omitempty"`
}

var loraTargets = map[string]string{
	"q_proj": "self_attn.", "k_proj": "self_attn.", "v_proj": "self_attn.", "o_proj": "self_attn.",
	"gate_proj": "mlp.", "up_proj": "mlp.", "down_proj": "mlp.",
}

func (c LoRAConfig) withDefaults() LoRAConfig {
	if c.Rank == 0 {
		c.Rank = 8
	}
	if c.Alpha == 0 {
		c.Alpha = 2 * float64(c.Rank)
	}
	if len(c.Targets) == 0 {
		c.Targets = []string{"q_proj", "v_proj"}
	}
	return c
}

// Validate reports a bad field.
func (c LoRAConfig) Validate() error {
	if c.Rank <= 0 {
		return fmt.Errorf("lm lora: Rank must be > 0, got %d", c.Rank)
	}
	if !(c.Alpha > 0) {
		return fmt.Errorf("lm lora: Alpha must be > 0, got %g", c.Alpha)
	}
	for _, t := range c.Targets {
		if _, ok := loraTargets[t]; !ok {
			return fmt.Errorf("lm lora: unknown target %q: use q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj or down_proj", t)
		}
	}
	return nil
}

func (c *LoRAConfig) scale() float64 { return c.Alpha / float64(c.Rank) }

// AddLoRA adds adapters ("<proj>.lora_A.weight" [r,in], "<proj>.lora_B.weight" [out,r], PEFT
// names) to every layer's target projections and freezes the backbone: only adapters (and a value
// head, if any) stay trainable, so optimizers keep state only for them.
func (m *Model) AddLoRA(cfg LoRAConfig) error {
	if m.lora != nil {
		return fmt.Errorf("lm: model %s already has LoRA adapters", m.Scope)
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.Targets = slices.Clone(cfg.Targets)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6c6f7261))
	for _, w := range m.Config.weightShapes() {
		m.variable(w.name).SetTrainable(false)
	}
	for l := range m.Config.NumLayers {
		for _, t := range cfg.Targets {
			name := fmt.Sprintf("model.layers.%d.%s%s", l, loraTargets[t], t)
			shape := m.variable(name + ".weight").Shape().Dimensions
			out, in := shape[0], shape[1]
			a := tensors.FromShape(shapes.Make(dtypes.Float32, cfg.Rank, in))
			bound := kaimingUniformBound(in)
			tensors.MustMutableFlatData(a, func(flat []float32) {
				for i := range flat {
					flat[i] = float32((2*rng.Float64() - 1) * bound)
				}
			})
			if err := m.createVariable(name+".lora_A.weight", a); err != nil {
				return err
			}
			if err := m.createVariable(name+".lora_B.weight", tensors.FromShape(shapes.Make(dtypes.Float32, out, cfg.Rank))); err != nil {
				return err
			}
		}
	}
	m.lora = &cfg
	m.resetExecs()
	return nil
}

// LoRA returns the adapter configuration, or nil without adapters.
func (m *Model) LoRA() *LoRAConfig { return m.lora }

// mergedWeight returns the value of backbone tensor name with its adapter (if any) folded in.
func (m *Model) mergedWeight(name string) (*tensors.Tensor, error) {
	v := m.variable(name)
	if v == nil {
		return nil, fmt.Errorf("lm: model %s has no tensor %q", m.Scope, name)
	}
	base, err := v.Value()
	if err != nil {
		return nil, fmt.Errorf("lm: reading %q: %w", name, err)
	}
	proj, ok := strings.CutSuffix(name, ".weight")
	if m.lora == nil || !ok || m.variable(proj+".lora_A.weight") == nil {
		return base, nil
	}
	a, err := m.variable(proj + ".lora_A.weight").Value()
	if err != nil {
		return nil, err
	}
	b, err := m.variable(proj + ".lora_B.weight").Value()
	if err != nil {
		return nil, err
	}
	w := tensors.MustCopyFlatData[float32](base)
	av, bv := tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)
	out, in, r := base.Shape().Dimensions[0], base.Shape().Dimensions[1], m.lora.Rank
	scale := float32(m.lora.scale())
	for i := range out {
		for k := range r {
			bik := bv[i*r+k] * scale
			if bik == 0 {
				continue
			}
			row := w[i*in : (i+1)*in]
			arow := av[k*in : (k+1)*in]
			for j := range row {
				row[j] += bik * arow[j]
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(w, out, in), nil
}

// MergeLoRA folds the adapters into the base weights, deletes them and makes the backbone
// trainable again. Logits are unchanged (up to float rounding).
func (m *Model) MergeLoRA() error {
	if m.lora == nil {
		return fmt.Errorf("lm: model %s has no LoRA adapters", m.Scope)
	}
	for _, w := range m.Config.weightShapes() {
		v := m.variable(w.name)
		v.SetTrainable(true)
		if m.variable(strings.TrimSuffix(w.name, ".weight")+".lora_A.weight") == nil {
			continue
		}
		t, err := m.mergedWeight(w.name)
		if err != nil {
			return err
		}
		if err := v.SetValue(t); err != nil {
			return fmt.Errorf("lm: merging %q: %w", w.name, err)
		}
	}
	for _, v := range m.Variables() {
		if strings.Contains(v.Name(), ".lora_") {
			if err := m.Store.DeleteVariable(v.Path()); err != nil {
				return err
			}
		}
	}
	m.lora = nil
	m.resetExecs()
	return nil
}
