package lm

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

func TestValueHeadSeparateCriticAndSharedBackbone(t *testing.T) {
	store := model.NewStore()
	actor := tinyModel(t, store, "agent_0", 1)
	critic := tinyModel(t, store, "critic", 2)
	if err := critic.AddValueHead(3); err != nil {
		t.Fatal(err)
	}
	if err := actor.AddValueHead(4); err != nil {
		t.Fatal(err)
	}
	b, err := critic.PackBatch([][]int{{1, 2, 3}, {4, 5}, {6}, {7, 8, 9, 10}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	targets := []float32{1, -1, 0.5, 2}
	valueLoss := func(m *Model) LossFn {
		return func(g *Graph, in []*Node) (*Node, []*Node) {
			v := m.Values(m.Hidden(in[0], in[1]), in[2])
			return ReduceAllMean(Square(Sub(v, in[3]))), []*Node{v}
		}
	}
	for _, m := range []*Model{critic, actor} {
		tr, err := NewTrainer(m.Backend, store, []string{m.Scope}, TrainConfig{Name: m.Scope[1:], LearningRate: 3e-3}, valueLoss(m))
		if err != nil {
			t.Fatal(err)
		}
		var first, last float64
		for step := range 60 {
			r, err := tr.Step(b.IDs, b.Mask, b.PromptEnd, targets)
			if err != nil {
				t.Fatal(err)
			}
			if step == 0 {
				first = r.Loss
				if v := r.Extra[0].Value().([]float32); len(v) != 4 {
					t.Fatalf("values shape %v", v)
				}
			}
			last = r.Loss
		}
		t.Logf("%s value loss %.4f -> %.4f", m.Scope, first, last)
		pred, err := m.PredictValues([][]int{{1, 2, 3}, {4, 5}, {6}, {7, 8, 9, 10}})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range pred {
			if d := v - float64(targets[i]); d*d > 0.01 {
				t.Errorf("%s: PredictValues[%d] = %g, trained towards %g", m.Scope, i, v, targets[i])
			}
		}
		if last > 0.05*first {
			t.Errorf("%s: value loss fell only from %g to %g", m.Scope, first, last)
		}
	}
	// The value head is saved with the backbone and loaded back.
	dir := t.TempDir()
	if err := critic.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(critic.Backend, model.NewStore(), "critic", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !back.HasValueHead() {
		t.Fatal("value head not loaded")
	}
	if _, err := NewRandom(critic.Backend, store, "critic", critic.Config, 1); err == nil {
		t.Fatal("a second model in an occupied scope must be an error")
	}
}
