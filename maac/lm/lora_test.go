package lm

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

func maxAbsDiff(a, b [][][]float32) float64 {
	d := 0.0
	for i := range a {
		for j := range a[i] {
			for k := range a[i][j] {
				d = math.Max(d, math.Abs(float64(a[i][j][k]-b[i][j][k])))
			}
		}
	}
	return d
}

func TestLoRA(t *testing.T) {
	m := spikyModel(t, 4)
	b, err := m.PackBatch([][]int{{1, 2, 3}, {9, 8}}, [][]int{{4, 5}, {6, 7, 8}})
	if err != nil {
		t.Fatal(err)
	}
	base := logitsOf(t, m, b.IDs, b.Mask)
	if err := m.AddLoRA(LoRAConfig{Rank: 4, Targets: []string{"q_proj", "v_proj", "gate_proj"}, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(base, logitsOf(t, m, b.IDs, b.Mask)); d != 0 {
		t.Fatalf("a fresh adapter changed the logits by %g", d)
	}
	tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, TrainConfig{Name: "lora", LearningRate: 1e-2}, nllLoss(m))
	if err != nil {
		t.Fatal(err)
	}
	q0, _, _ := m.WeightTensor("model.layers.0.self_attn.q_proj.weight")
	for range 3 {
		if _, err := tr.Step(b.IDs, b.Mask, b.ResponseMask); err != nil {
			t.Fatal(err)
		}
	}
	q1, _, _ := m.WeightTensor("model.layers.0.self_attn.q_proj.weight")
	if !slices.Equal(q0, q1) {
		t.Fatal("the frozen base weight changed")
	}
	bw, _, _ := m.WeightTensor("model.layers.0.self_attn.q_proj.lora_B.weight")
	if !slices.ContainsFunc(bw, func(v float32) bool { return v != 0 }) {
		t.Fatal("lora_B did not train")
	}
	for _, v := range tr.Variables() {
		if !slices.Contains([]string{".lora_A.weight", ".lora_B.weight"}, v.Name()[len(v.Name())-len(".lora_A.weight"):]) {
			t.Fatalf("trainer updates %s, want adapters only", v.Path())
		}
	}
	if m.Store.GetVariable("/_optim/lora/agent_0/model.layers.0.self_attn.q_proj.weight.adam_m") != nil {
		t.Fatal("optimizer state exists for a frozen weight")
	}
	adapted := logitsOf(t, m, b.IDs, b.Mask)
	if maxAbsDiff(base, adapted) < 1e-3 {
		t.Fatal("training the adapter did not change the logits")
	}
	// Export merges the adapters: the saved plain model reproduces the adapted logits.
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(m.Backend, model.NewStore(), "merged", dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(adapted, logitsOf(t, loaded, b.IDs, b.Mask)); d > 1e-4 {
		t.Fatalf("saved (merged) model differs from the adapted one by %g", d)
	}
	if err := m.MergeLoRA(); err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(adapted, logitsOf(t, m, b.IDs, b.Mask)); d > 1e-4 {
		t.Fatalf("MergeLoRA changed the logits by %g", d)
	}
	if m.variable("model.layers.0.self_attn.q_proj.lora_A.weight") != nil || !m.variable("model.layers.0.self_attn.q_proj.weight").Trainable {
		t.Fatal("MergeLoRA must delete the adapters and unfreeze the base")
	}
	if err := m.AddLoRA(LoRAConfig{Targets: []string{"qq_proj"}}); err == nil {
		t.Fatal("unknown target must be an error")
	}
}

func TestCloneIsIndependent(t *testing.T) {
	m := spikyModel(t, 5)
	if err := m.AddValueHead(1); err != nil {
		t.Fatal(err)
	}
	ref, err := m.Clone("ref")
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.PackBatch([][]int{{1, 2, 3}}, [][]int{{4, 5}})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(logitsOf(t, m, b.IDs, b.Mask), logitsOf(t, ref, b.IDs, b.Mask)); d != 0 {
		t.Fatalf("clone differs by %g", d)
	}
	tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, TrainConfig{Name: "a", LearningRate: 1e-2}, nllLoss(m))
	if err != nil {
		t.Fatal(err)
	}
	before := logitsOf(t, ref, b.IDs, b.Mask)
	if _, err := tr.Step(b.IDs, b.Mask, b.ResponseMask); err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(before, logitsOf(t, ref, b.IDs, b.Mask)); d != 0 {
		t.Fatalf("training the original changed the clone by %g", d)
	}
	if !ref.HasValueHead() {
		t.Fatal("clone lost the value head")
	}
}
