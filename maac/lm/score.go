package lm

import (
	"errors"
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TokenLogProbs returns, for ids [B,T] under mask [B,T] (1 = real token), logp [B,T] with
// logp[b,t] = log p(ids[b,t] | ids[b,<t]) (natural log, temperature 1) and entropy [B,T], the
// entropy of that predictive distribution p(.|ids[b,<t]). Both are 0 where mask is 0 and at each
// row's first real token (t=0, or the first after left padding), which has nothing to be
// predicted from: a row's results do not depend on how much padding it has.
// Graph-building function with gradients: a policy-gradient loss is
// -ReduceSum(logp * responseMask * advantage) / n inside a Trainer loss.
func (m *Model) TokenLogProbs(ids, mask *Node) (logp, entropy *Node) {
	return m.TokenLogProbsFromLogits(m.Logits(m.Hidden(ids, mask)), ids, mask)
}

// TokenLogProbsFromLogits is TokenLogProbs for logits [B,T,V] already computed (e.g. when the same
// forward pass also feeds a value head).
func (m *Model) TokenLogProbsFromLogits(logits, ids, mask *Node) (logp, entropy *Node) {
	g := ids.Graph()
	dims := ids.Shape().Dimensions
	bsz, t := dims[0], dims[1]
	if t < 2 {
		z := Zeros(g, shapes.Make(dtypes.Float32, bsz, t))
		return z, z
	}
	lsm := LogSoftmax(SliceAxis(logits, 1, AxisRange(0, t-1))) // predicts ids[:,1:]
	targets := ConvertDType(SliceAxis(ids, 1, AxisRange(1)), dtypes.Int32)
	idxShape := shapes.Make(dtypes.Int32, bsz, t-1, 1)
	indices := Concatenate([]*Node{Iota(g, idxShape, 0), Iota(g, idxShape, 1), InsertAxes(targets, -1)}, -1)
	picked := Gather(lsm, indices)                // [B,T-1]
	ent := Neg(ReduceSum(Mul(Exp(lsm), lsm), -1)) // [B,T-1]
	// A position counts when it and the one it is predicted from are real tokens.
	fmask := ConvertDType(mask, dtypes.Float32)
	valid := Mul(SliceAxis(fmask, 1, AxisRange(1)), SliceAxis(fmask, 1, AxisRange(0, t-1))) // [B,T-1]
	zero := Zeros(g, shapes.Make(dtypes.Float32, bsz, 1))
	logp = Concatenate([]*Node{zero, Mul(picked, valid)}, 1)
	entropy = Concatenate([]*Node{zero, Mul(ent, valid)}, 1)
	return logp, entropy
}

// Batch is a left-padded batch of prompt+response sequences, ready for graph inputs.
type Batch struct {
	// IDs [B][T] are the token ids (padding holds 0).
	IDs [][]int32
	// Mask [B][T] is 1 on real tokens.
	Mask [][]int32
	// ResponseMask [B][T] is 1 on response tokens (the actions whose log-probs a policy
	// gradient sums).
	ResponseMask [][]float32
	// PromptEnd [B] is the index of each row's last prompt token (where CoLLM critics read V).
	PromptEnd []int32
	// SeqEnd [B] is the index of each row's last token (T-1 with left padding).
	SeqEnd []int32
	// ResponseStart [B] is the index of each row's first response token.
	ResponseStart []int32
}

// PackBatch left-pads prompt+response pairs to a common length, SeqBucket of the longest pair
// (a few distinct shapes, few compilations; see SeqBucket). It keeps one row per pair: PadRows
// adds empty rows up to RowBucket. responses may be nil (prompts only). Ids outside the
// vocabulary and empty prompts are errors.
func (m *Model) PackBatch(prompts, responses [][]int) (*Batch, error) {
	if len(prompts) == 0 {
		return nil, errors.New("lm: PackBatch: no prompts")
	}
	if responses != nil && len(responses) != len(prompts) {
		return nil, fmt.Errorf("lm: PackBatch: %d prompts but %d responses", len(prompts), len(responses))
	}
	longest := 0
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("lm: PackBatch: prompt %d is empty", i)
		}
		if err := m.checkIDs("prompt", i, p); err != nil {
			return nil, err
		}
		n := len(p)
		if responses != nil {
			if err := m.checkIDs("response", i, responses[i]); err != nil {
				return nil, err
			}
			n += len(responses[i])
		}
		longest = max(longest, n)
	}
	return packLeft(prompts, responses, m.SeqBucket(longest)), nil
}

// packLeft left-pads valid prompt+response pairs to length t (at least the longest pair).
func packLeft(prompts, responses [][]int, t int) *Batch {
	b := &Batch{}
	for i, p := range prompts {
		var r []int
		if responses != nil {
			r = responses[i]
		}
		ids, mask, rm := make([]int32, t), make([]int32, t), make([]float32, t)
		off := t - len(p) - len(r)
		for k, id := range p {
			ids[off+k], mask[off+k] = int32(id), 1
		}
		for k, id := range r {
			ids[off+len(p)+k], mask[off+len(p)+k], rm[off+len(p)+k] = int32(id), 1, 1
		}
		b.IDs, b.Mask, b.ResponseMask = append(b.IDs, ids), append(b.Mask, mask), append(b.ResponseMask, rm)
		b.PromptEnd = append(b.PromptEnd, int32(off+len(p)-1))
		b.SeqEnd = append(b.SeqEnd, int32(t-1))
		b.ResponseStart = append(b.ResponseStart, int32(off+len(p)))
	}
	return b
}

// Rows is the number of rows of the batch, padding rows included.
func (b *Batch) Rows() int { return len(b.IDs) }

// PadRows appends empty rows until the batch has rows rows (e.g. RowBucket(n), to bound the
// shapes a training graph is compiled for): token 0 with mask 0 and response mask 0 everywhere,
// PromptEnd 0, SeqEnd T-1 and ResponseStart T. Their log-probs and entropies are 0 and their
// hidden states finite, so a loss that weights rows (0 for these) or sums over the response mask
// is that of the unpadded batch; a loss normalized by the number of rows must count the real
// ones. Fewer rows than the batch has is a no-op.
func (b *Batch) PadRows(rows int) {
	t := 0
	if len(b.IDs) > 0 {
		t = len(b.IDs[0])
	}
	for len(b.IDs) < rows {
		b.IDs = append(b.IDs, make([]int32, t))
		b.Mask = append(b.Mask, make([]int32, t))
		b.ResponseMask = append(b.ResponseMask, make([]float32, t))
		b.PromptEnd = append(b.PromptEnd, 0)
		b.SeqEnd = append(b.SeqEnd, int32(t-1))
		b.ResponseStart = append(b.ResponseStart, int32(t))
	}
}

// Scores are per-token log-probs and entropies of responses, one slice per row (len = response length).
type Scores struct {
	LogProbs [][]float64
	Entropy  [][]float64
}

// Score computes log p(response tokens | prompt) and the predictive entropies for each pair in
// one batched forward pass (no gradients; uses the current weights).
func (m *Model) Score(prompts, responses [][]int) (*Scores, error) {
	if responses == nil {
		return nil, errors.New("lm: Score needs responses")
	}
	b, err := m.PackBatch(prompts, responses)
	if err != nil {
		return nil, err
	}
	b.PadRows(m.RowBucket(len(prompts)))
	e, err := m.exec("score", func(_ *model.Scope, _ *Graph, in []*Node) []*Node {
		lp, ent := m.TokenLogProbs(in[0], in[1])
		return []*Node{lp, ent}
	})
	if err != nil {
		return nil, err
	}
	outs, err := RunExec(e, b.IDs, b.Mask)
	if err != nil {
		return nil, fmt.Errorf("lm: Score: %w", err)
	}
	lp, ent := outs[0].Value().([][]float32), outs[1].Value().([][]float32)
	s := &Scores{}
	for i := range prompts {
		start := int(b.ResponseStart[i])
		n := len(responses[i])
		s.LogProbs = append(s.LogProbs, toF64(lp[i][start:start+n]))
		s.Entropy = append(s.Entropy, toF64(ent[i][start:start+n]))
	}
	return s, nil
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
