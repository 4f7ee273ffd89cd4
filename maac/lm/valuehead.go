package lm

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Value head tensor names: Linear(d,d) -> tanh -> Linear(d,1), HF layout [out,in].
var valueHeadNames = []string{"v_head.dense.weight", "v_head.dense.bias", "v_head.out.weight", "v_head.out.bias"}

func valueHeadShapes(d int) []weightShape {
	return []weightShape{
		{valueHeadNames[0], []int{d, d}, 'n'},
		{valueHeadNames[1], []int{d}, '0'},
		{valueHeadNames[2], []int{1, d}, 'n'},
		{valueHeadNames[3], []int{1}, '0'},
	}
}

// AddValueHead creates a value head Linear(d,d) -> tanh -> Linear(d,1) (weights normal(0, 0.02),
// biases zero, seeded) in the model's scope. On an actor this is the shared-backbone critic
// (CoLLM-DC topology b); on a model created only to be a critic it is the separate critic.
func (m *Model) AddValueHead(seed uint64) error {
	if m.HasValueHead() {
		return fmt.Errorf("lm: model %s already has a value head", m.Scope)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7668))
	for _, w := range valueHeadShapes(m.Config.HiddenSize) {
		if err := m.createVariable(w.name, randomTensor(rng, w.shape, w.init, initStd)); err != nil {
			return err
		}
	}
	return nil
}

// HasValueHead reports whether the model has a value head.
func (m *Model) HasValueHead() bool { return m.variable(valueHeadNames[0]) != nil }

// Values reads the value head at one position per row: hidden [B,T,D] (from Hidden), index [B]
// (integer; e.g. the last prompt token, len-1 for right padding or T-1 for left padding).
// Returns [B] float32. Graph-building function; panics when the model has no value head.
func (m *Model) Values(hidden, index *Node) *Node {
	if !m.HasValueHead() {
		panic(fmt.Sprintf("lm: model %s has no value head (call AddValueHead)", m.Scope))
	}
	dims := hidden.Shape().Dimensions
	if hidden.Rank() != 3 || index.Rank() != 1 || index.Shape().Dimensions[0] != dims[0] {
		panic(fmt.Sprintf("lm: Values wants hidden [B,T,D] and index [B], got %s and %s", hidden.Shape(), index.Shape()))
	}
	sel := OneHot(ConvertDType(index, dtypes.Int32), dims[1], dtypes.Float32) // [B,T]
	h := DotGeneral(sel, []int{1}, []int{0}, hidden, []int{1}, []int{0})      // [B,D]
	x := Tanh(m.linear(h, "v_head.dense"))
	return Reshape(m.linear(x, "v_head.out"), dims[0])
}

// PredictValues returns the value head's output at the last token of each sequence (e.g. the
// critic's prompt, or prompt+response for a Q critic), batched, without gradients: the V_old of
// a rollout.
func (m *Model) PredictValues(seqs [][]int) ([]float64, error) {
	if !m.HasValueHead() {
		return nil, fmt.Errorf("lm: model %s has no value head (call AddValueHead)", m.Scope)
	}
	b, err := m.PackBatch(seqs, nil)
	if err != nil {
		return nil, err
	}
	b.PadRows(m.RowBucket(len(seqs)))
	e, err := m.exec("values", func(_ *model.Scope, _ *Graph, in []*Node) []*Node {
		return []*Node{m.Values(m.Hidden(in[0], in[1]), in[2])}
	})
	if err != nil {
		return nil, err
	}
	outs, err := RunExec(e, b.IDs, b.Mask, b.PromptEnd)
	if err != nil {
		return nil, fmt.Errorf("lm: PredictValues: %w", err)
	}
	return toF64(outs[0].Value().([]float32)[:len(seqs)]), nil
}
