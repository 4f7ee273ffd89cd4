package lm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TextCodec is the part of a tokenizer generation needs (maac/tokenizer.Tokenizer satisfies it).
type TextCodec interface {
	Encode(text string) []int
	Decode(ids []int) string
}

// GenerateConfig controls sampling. The zero value samples greedily up to 64 tokens.
type GenerateConfig struct {
	// MaxNewTokens caps the response length. Default 64. The longest prompt plus MaxNewTokens
	// must fit the model's context (Config.MaxPositionEmbeddings), which Generate checks before
	// allocating the KV cache.
	MaxNewTokens int
	// Temperature divides the logits before sampling; 0 means greedy (argmax). It must be
	// finite.
	Temperature float64
	// TopK keeps the K most likely tokens; 0 keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability reaches TopP (nucleus
	// sampling, applied after TopK); 0 or 1 keeps all.
	TopP float64
	// StopTokens end a row when sampled, in addition to the config's EOS ids. The stop token is
	// part of the returned Tokens (it is an action with a log-prob) but not of Text.
	StopTokens []int
	// StopStrings end a row as soon as the text of its new tokens contains one of them (vLLM's
	// stop): the token that completes the match is the row's last (FinishStop), and
	// ResponseText cuts the text before the match. Generate needs Decode for them.
	StopStrings []string
	// Decode turns new token ids into text for StopStrings; GenerateText sets its codec's.
	Decode func(ids []int) string
	// IgnoreEOS disables stopping on the config's EOS ids (StopTokens still apply), e.g. for
	// fixed-length generation in benchmarks.
	IgnoreEOS bool
	// Seed seeds the sampler: row i draws from PCG(Seed, i), so results are reproducible and do
	// not depend on the other rows of the batch.
	Seed uint64
}

// Validate reports a bad field.
func (c GenerateConfig) Validate() error {
	switch {
	case c.MaxNewTokens < 0:
		return fmt.Errorf("lm generate: MaxNewTokens must be >= 0, got %d", c.MaxNewTokens)
	case c.Temperature < 0 || math.IsNaN(c.Temperature) || math.IsInf(c.Temperature, 0):
		return fmt.Errorf("lm generate: Temperature must be a finite number >= 0 (0 = greedy), got %g", c.Temperature)
	case c.TopK < 0:
		return fmt.Errorf("lm generate: TopK must be >= 0 (0 = off), got %d", c.TopK)
	case c.TopP < 0 || c.TopP > 1 || math.IsNaN(c.TopP):
		return fmt.Errorf("lm generate: TopP must be in [0,1] (0 or 1 = off), got %g", c.TopP)
	}
	for i, s := range c.StopStrings {
		if s == "" {
			return fmt.Errorf("lm generate: StopStrings[%d] is empty: a stop string needs at least one character", i)
		}
	}
	return nil
}

// Finish reasons of a Sample.
const (
	FinishStop   = "stop"   // a stop token was sampled or a stop string completed
	FinishLength = "length" // MaxNewTokens reached
)

// Sample is one generated response.
type Sample struct {
	// Tokens are the sampled ids, including a final stop token.
	Tokens []int
	// Text is the decoded response without the stop token or string (GenerateText only).
	Text string
	// LogProbs[k] = log pi(Tokens[k] | prompt, Tokens[:k]) under the model's softmax at
	// temperature 1: the behavior log-prob that policy gradients and KL estimates need, and
	// what TokenLogProbs recomputes.
	LogProbs []float64
	// SampleLogProbs[k] is the log-prob under the distribution actually sampled from
	// (temperature, top-k, top-p applied; 0 for greedy).
	SampleLogProbs []float64
	// FinishReason is FinishStop or FinishLength.
	FinishReason string
}

// GenerateText encodes the prompts with codec, generates, and fills Sample.Text.
func (m *Model) GenerateText(codec TextCodec, prompts []string, cfg GenerateConfig) ([]Sample, error) {
	ids := make([][]int, len(prompts))
	for i, p := range prompts {
		ids[i] = codec.Encode(p)
	}
	cfg.Decode = codec.Decode
	samples, err := m.Generate(ids, cfg)
	if err != nil {
		return nil, err
	}
	for i := range samples {
		samples[i].Text = ResponseText(codec.Decode, samples[i], cfg.StopStrings)
	}
	return samples, nil
}

// ResponseText is the text of a response: s's tokens decoded without a final stop token (after
// FinishStop the last token is a stop token or completes a stop string; the first is dropped
// here, the second by the cut), cut before the first occurrence of any stop string.
func ResponseText(decode func([]int) string, s Sample, stopStrings []string) string {
	toks := s.Tokens
	stopped := s.FinishReason == FinishStop && len(toks) > 0
	if len(stopStrings) == 0 {
		if stopped {
			toks = toks[:len(toks)-1]
		}
		return decode(toks)
	}
	text := decode(toks)
	if stopped && !containsAny(text, stopStrings) { // a stop token ended the row
		text = decode(toks[:len(toks)-1])
	}
	for _, stop := range stopStrings {
		if k := strings.Index(text, stop); k >= 0 {
			text = text[:k]
		}
	}
	return text
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// stopWindow is how many trailing tokens are decoded to look for a stop string: enough to hold
// the longest one even when tokens are single bytes, plus a few for UTF-8 sequences split over
// tokens. Decoding a window instead of the whole response keeps the check O(1) per token.
func stopWindow(stops []string) int {
	n := 0
	for _, s := range stops {
		n = max(n, len(s))
	}
	return n + 4
}

func (m *Model) checkIDs(what string, row int, ids []int) error {
	for k, id := range ids {
		if id < 0 || id >= m.Config.VocabSize {
			return fmt.Errorf("lm: %s %d: token %d at position %d is outside the vocabulary [0,%d)", what, row, id, k, m.Config.VocabSize)
		}
	}
	return nil
}

// Generate samples one response per prompt (token ids) in one batch with a KV cache. Prompts are
// left-padded with masks and per-row position ids, so each row gets the tokens it would get alone.
// Tokens are drawn inside the compiled graphs (see sampleNodes): each step returns only the
// tokens and their log-probs, never the logits. NaN or infinite logits (a diverged or corrupt
// model) stop it with a *NonFiniteError.
func (m *Model) Generate(prompts [][]int, cfg GenerateConfig) ([]Sample, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(prompts) == 0 {
		return nil, errors.New("lm generate: no prompts")
	}
	if len(cfg.StopStrings) > 0 && cfg.Decode == nil {
		return nil, errors.New("lm generate: StopStrings need Decode to turn tokens into text")
	}
	maxNew := cfg.MaxNewTokens
	if maxNew == 0 {
		maxNew = 64
	}
	longest := 0
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("lm generate: prompt %d is empty", i)
		}
		if err := m.checkIDs("prompt", i, p); err != nil {
			return nil, err
		}
		longest = max(longest, len(p))
	}
	// The KV cache holds prompt and response: past the context the model was not trained for,
	// and a huge MaxNewTokens would allocate it before failing.
	if ctx := m.Config.MaxPositionEmbeddings; maxNew > ctx-longest { // no overflow for a huge maxNew
		return nil, fmt.Errorf("lm generate: the longest prompt (%d tokens) plus MaxNewTokens (%d) exceeds the model's context of %d tokens (max_position_embeddings): lower MaxNewTokens to at most %d or shorten the prompt",
			longest, maxNew, ctx, max(ctx-longest, 0))
	}
	vocab := m.Config.VocabSize
	stop := make([]int32, vocab) // read by the host only
	for _, id := range cfg.StopTokens {
		if id >= 0 && id < vocab {
			stop[id] = 1
		}
	}
	if !cfg.IgnoreEOS {
		for _, id := range m.Config.EOSTokenIDs {
			if id >= 0 && id < vocab {
				stop[id] = 1
			}
		}
	}
	window := stopWindow(cfg.StopStrings)
	completesStopString := func(toks []int) bool {
		if len(cfg.StopStrings) == 0 {
			return false
		}
		return containsAny(cfg.Decode(toks[max(0, len(toks)-window):]), cfg.StopStrings)
	}
	// Shapes come from buckets (see SeqBucket): rows past the prompts repeat prompt 0 and are
	// never sampled; the KV cache holds the padded prompt and maxNew tokens.
	n := len(prompts)
	bsz := m.RowBucket(n)
	plen := m.SeqBucket(longest)
	cacheLen := m.SeqBucket(plen + maxNew)
	kind := m.samplerOn(cfg)

	ids := make([][]int32, bsz)
	mask := make([][]int32, bsz)
	promptLen := make([]int32, bsz)
	promptKeys := make([]int32, bsz*cacheLen) // [B,L]: the prompt's slots of the cache
	done := make([]int32, bsz)
	rngs := make([]*rand.Rand, n)
	for b := range bsz {
		p := prompts[0]
		if b < n {
			p = prompts[b]
			rngs[b] = rand.New(rand.NewPCG(cfg.Seed, uint64(b))) // row b's own stream
		} else {
			done[b] = 1 // padding rows
		}
		ids[b] = make([]int32, plen)
		mask[b] = make([]int32, plen)
		off := plen - len(p)
		for k, id := range p {
			ids[b][off+k] = int32(id)
			mask[b][off+k] = 1
		}
		promptLen[b] = int32(len(p))
		copy(promptKeys[b*cacheLen:], mask[b])
	}
	// uniforms draws one number per row still generating, as sampleToken does.
	uniform := make([]float64, bsz)
	uniforms := func() []float64 {
		for b := range n {
			uniform[b] = 0
			if (kind == plainSampler || kind == truncatedSampler) && done[b] == 0 {
				uniform[b] = rngs[b].Float64()
			}
		}
		return uniform
	}
	sampling := []any{cfg.Temperature, int32(cfg.TopK), cfg.TopP}

	prefill, err := m.exec(fmt.Sprintf("prefill/%d/%s", cacheLen, kind), m.prefillGraph(cacheLen, kind))
	if err != nil {
		return nil, err
	}
	outs, err := RunExec(prefill, append([]any{ids, mask, uniforms(), done}, sampling...)...)
	if err != nil {
		return nil, fmt.Errorf("lm generate: prefill: %w", err)
	}
	decode, err := m.exec("decode/"+kind.String(), m.decodeGraph(kind))
	if err != nil {
		return nil, err
	}
	// Inputs of every step, made tensors once.
	promptLenT := tensors.FromValue(promptLen)
	promptKeysT := tensors.FromFlatDataAndDimensions(promptKeys, bsz, cacheLen)
	samples := make([]Sample, n)
	tokens := make([]int32, bsz)
	nd := drawOutputs
	if kind == hostSampler {
		nd = 1
	}
	for step := 0; ; step++ {
		// The step's draw: from the graph, or the host sampler's from the returned logits.
		d, caches := outs[:nd], outs[nd:]
		var lps, slps []float64
		var badID []int32
		var badValue []float32
		var hostDraws []hostDraw
		if kind == hostSampler {
			hostDraws = sampleRows(d[0].Value().([][]float32), done[:n], cfg, rngs)
		} else {
			tokens = d[0].Value().([]int32)
			lps, slps = d[1].Value().([]float64), d[2].Value().([]float64)
			badID, badValue = d[3].Value().([]int32), d[4].Value().([]float32)
		}
		allDone := true
		for b := range n {
			if done[b] != 0 {
				continue
			}
			var id int
			var lp, slp float64
			if kind == hostSampler {
				h := hostDraws[b]
				if h.err != nil {
					return nil, &NonFiniteError{Scope: m.Scope, What: fmt.Sprintf("logits (%v, row %d, new token %d)", h.err, b, step)}
				}
				id, lp, slp = h.id, h.logProb, h.sampleLogProb
				tokens[b] = int32(id)
			} else {
				if badID[b] >= 0 {
					return nil, &NonFiniteError{Scope: m.Scope, What: fmt.Sprintf("logits (%g at token id %d, row %d, new token %d)", badValue[b], badID[b], b, step)}
				}
				id, lp, slp = int(tokens[b]), lps[b], slps[b]
			}
			s := &samples[b]
			s.Tokens = append(s.Tokens, id)
			s.LogProbs = append(s.LogProbs, lp)
			s.SampleLogProbs = append(s.SampleLogProbs, slp)
			switch {
			case stop[id] != 0 || completesStopString(s.Tokens):
				done[b], s.FinishReason = 1, FinishStop
			case step == maxNew-1:
				done[b], s.FinishReason = 1, FinishLength
			default:
				allDone = false
			}
		}
		if allDone {
			return samples, nil
		}
		args := append([]any{tokens, promptLenT, promptKeysT, int32(plen), int32(step), uniforms(), done}, sampling...)
		for _, c := range caches {
			args = append(args, donated{c})
		}
		if outs, err = RunExec(decode, args...); err != nil {
			return nil, fmt.Errorf("lm generate: decode step %d: %w", step, err)
		}
	}
}

// drawOutputs is how many outputs a step's draw has, in the graphs' order: token ids [B],
// log-probs [B], sampling log-probs [B], the first non-finite logit's id [B] (-1: none) and its
// value [B] (hostSampler: the logits [B,V] alone).
const drawOutputs = 5

// drawStep returns the outputs of a step's draw from logits [B,V]; done [B] is int32 (1 for rows
// that take no more tokens, whose non-finite logits do not count).
func drawStep(kind samplerKind, logits, uniform, done, temperature, topK, topP *Node) []*Node {
	if kind == hostSampler {
		return []*Node{logits}
	}
	d := sampleNodes(kind, logits, uniform, temperature, topK, topP)
	done = ConvertDType(done, dtypes.Int32)
	active := Equal(done, ZerosLike(done))
	bad := Where(active, d.badID, BroadcastToShape(Scalar(done.Graph(), dtypes.Int32, -1), d.badID.Shape()))
	return []*Node{d.id, d.logProb, d.sampleLogProb, bad, d.badValue}
}

// prefillGraph: inputs ids [B,P], mask [B,P], each row's uniform draw [B] (float64), done [B]
// (int32), temperature, top-k and top-p; samples the first new token from the last position's
// logits and returns the draw (see drawOutputs) then, per layer, key and value caches
// [B,KVH,cacheLen,hd] holding the prompt in slots [0,P).
func (m *Model) prefillGraph(cacheLen int, kind samplerKind) model.CanonicalExecGraphFn {
	return func(_ *model.Scope, g *Graph, in []*Node) []*Node {
		ids, mask, uniform, done, temperature, topK, topP := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
		plen := ids.Shape().Dimensions[1]
		allowed := m.layerMasks(causalMask(mask), nil)
		var caches []*Node
		pad := func(x *Node) *Node {
			return Pad(x, ScalarZero(g, x.DType()), compute.PadAxis{}, compute.PadAxis{}, compute.PadAxis{End: cacheLen - plen}, compute.PadAxis{})
		}
		hidden := m.decoder(ids, positionsFromMask(mask), func(l int, k, v *Node) (*Node, *Node, *Node) {
			caches = append(caches, pad(k), pad(v))
			return k, v, allowed(l)
		})
		last := SliceAxis(hidden, 1, AxisElem(plen-1))
		logits := Reshape(m.Logits(last), ids.Shape().Dimensions[0], m.Config.VocabSize)
		return append(drawStep(kind, logits, uniform, done, temperature, topK, topP), caches...)
	}
}

// decodeGraph: inputs the last sampled tokens [B], the prompt lengths [B], the prompt's key mask
// [B,L] (L the cache length), the padded prompt length P, the step k, each row's uniform draw
// [B], done [B], temperature, top-k and top-p, then the 2*layers caches. The tokens are new
// token k: they go to cache slot P+k at position promptLen+k and attend to the prompt and slots
// P..P+k. Writes their keys/values, samples the next tokens and returns the draw (as
// prefillGraph) and the new caches.
func (m *Model) decodeGraph(kind samplerKind) model.CanonicalExecGraphFn {
	return func(_ *model.Scope, g *Graph, in []*Node) []*Node {
		tok, promptLen, promptKeys, plen, step := in[0], in[1], in[2], in[3], in[4]
		uniform, done, temperature, topK, topP := in[5], in[6], in[7], in[8], in[9]
		caches := in[10:]
		bsz, cacheLen := promptKeys.Shape().Dimensions[0], promptKeys.Shape().Dimensions[1]
		plen, step = ConvertDType(plen, dtypes.Int32), ConvertDType(step, dtypes.Int32)
		slot := Add(plen, step)
		slots := Iota(g, shapes.Make(dtypes.Int32, bsz, cacheLen), 1)
		keyMask := LogicalOr(ConvertDType(promptKeys, dtypes.Bool), LogicalAnd(
			GreaterOrEqual(slots, BroadcastToShape(plen, slots.Shape())), LessOrEqual(slots, BroadcastToShape(slot, slots.Shape()))))
		pos := InsertAxes(Add(ConvertDType(promptLen, dtypes.Int32), step), -1)
		zero := ScalarZero(g, dtypes.Int32)
		// The whole cache stays: a layer with a sliding window masks the slots before it.
		allowed := m.layerMasks(InsertAxes(keyMask, 1), slot)
		newCaches := make([]*Node, len(caches))
		hidden := m.decoder(InsertAxes(tok, -1), pos, func(l int, k, v *Node) (*Node, *Node, *Node) {
			kc := DynamicUpdateSlice(caches[2*l], k, []*Node{zero, zero, slot, zero})
			vc := DynamicUpdateSlice(caches[2*l+1], v, []*Node{zero, zero, slot, zero})
			newCaches[2*l], newCaches[2*l+1] = kc, vc
			return kc, vc, allowed(l)
		})
		logits := Reshape(m.Logits(hidden), bsz, m.Config.VocabSize)
		return append(drawStep(kind, logits, uniform, done, temperature, topK, topP), newCaches...)
	}
}

// hostDraw is sampleToken's result for one row.
type hostDraw struct {
	id                     int
	logProb, sampleLogProb float64
	err                    error
}

// sampleRows runs sampleToken on the rows of logits that are not done, on all cores (the
// backend is idle meanwhile); each row draws from its own stream, so the result does not
// depend on the scheduling.
func sampleRows(logits [][]float32, done []int32, cfg GenerateConfig, rngs []*rand.Rand) []hostDraw {
	draws := make([]hostDraw, len(done))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(done)) {
		wg.Go(func() {
			for b := int(next.Add(1)) - 1; b < len(done); b = int(next.Add(1)) - 1 {
				if done[b] == 0 {
					d := &draws[b]
					d.id, d.logProb, d.sampleLogProb, d.err = sampleToken(logits[b], cfg, rngs[b])
				}
			}
		})
	}
	wg.Wait()
	return draws
}
