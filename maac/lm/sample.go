package lm

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// Sampling in the graph.
//
// Generate draws tokens inside the compiled graphs: a step turns its logits into the token id,
// its log-prob and its sampling log-prob, so no [batch, vocab] tensor reaches the host. The
// randomness still comes from the host: row i's uniform numbers are the draws of its own
// PCG(Seed, i) stream, one per generated token, so a row's tokens depend only on its prompt and
// its stream. The draw is an inverse CDF in float64 over the kept tokens in token-id order:
// greedy and temperature-only sampling pick exactly the tokens the host sampler (sampleToken)
// picks from the same stream; top-k / top-p keep the same tokens and sample the same
// distribution, in another order.
//
// One exception, by measurement: on the go backend (which computes on the host, so logits
// cost no transfer) top-k / top-p sampling returns the logits and the host sampler draws,
// because the graph's bisection for the kept set (see topKMask) runs a few hundred tiny ops per
// step, about 1 ms there, against 0.3 ms for sampleToken on 8 rows of 256 tokens.
//
// The decode loop itself stays on the host, one compiled step per token: in GoMLX v0.28.16 a
// While loop's body cannot sort (closures nest only under the main function), and the go
// backend fails to run a body whose Where reads values computed in the same iteration ("input
// 0 for node Add not computed yet" from the second iteration on; reproduced with a 3-element
// loop), which sampling and the cache mask both need.

// samplerKind selects how a step draws its tokens.
type samplerKind int

const (
	// greedySampler takes the argmax (lowest id among ties); it needs no random numbers.
	greedySampler samplerKind = iota
	// plainSampler draws from softmax(logits/T) by the inverse CDF in token-id order.
	plainSampler
	// truncatedSampler keeps the top-k tokens, then the top-p nucleus of those (ties: lower
	// ids first, as a stable sort), and draws from them by the inverse CDF in token-id order.
	truncatedSampler
	// hostSampler returns the logits for sampleToken (top-k / top-p on the go backend).
	hostSampler
)

func (k samplerKind) String() string {
	return [...]string{"greedy", "plain", "truncated", "host"}[k]
}

// sampler returns the kind of sampling c asks for.
func (c GenerateConfig) sampler() samplerKind {
	switch {
	case c.Temperature == 0:
		return greedySampler
	case c.TopK > 0 || (c.TopP > 0 && c.TopP < 1):
		return truncatedSampler
	}
	return plainSampler
}

// samplerOn returns the kind of sampling of c on m's backend (see the package's note above).
func (m *Model) samplerOn(c GenerateConfig) samplerKind {
	if k := c.sampler(); k != truncatedSampler || m.compiling() {
		return k
	}
	return hostSampler
}

// drawn is one step's draw for every row of a batch: the token ids [B] (int32), their log-probs
// under the temperature-1 softmax and under the distribution sampled from ([B] float64; 0 for
// greedy), and, for rows whose logits hold NaN or ±Inf, the first such token id and its value
// (badID -1 for a finite row).
type drawn struct {
	id, logProb, sampleLogProb *Node
	badID, badValue            *Node
}

// sampleNodes draws one token per row of logits [B,V] (float32). u [B] (float64, in [0,1)) is
// each row's uniform number; temperature and topP are float64 scalars, topK an int32 scalar
// (0: off), read only by the kinds that use them. A row with non-finite logits draws from
// zeroed logits (its badID tells the caller to discard it). Graph-building function: panics
// on wrong shapes.
func sampleNodes(kind samplerKind, logits, u, temperature, topK, topP *Node) drawn {
	g := logits.Graph()
	if logits.Rank() != 2 || u.Rank() != 1 || u.Shape().Dimensions[0] != logits.Shape().Dimensions[0] {
		panic("lm: sampleNodes needs logits [B,V] and u [B], got " + logits.Shape().String() + " and " + u.Shape().String())
	}
	bsz, vocab := logits.Shape().Dimensions[0], logits.Shape().Dimensions[1]
	ids := Iota(g, shapes.Make(dtypes.Int32, bsz, vocab), 1)
	finite := IsFinite(logits)
	vocabID := Scalar(g, dtypes.Int32, vocab)
	badID := ReduceMin(Where(finite, BroadcastToShape(vocabID, ids.Shape()), ids), 1)
	noBad := Equal(badID, vocabID)
	d := drawn{
		badID:    Where(noBad, Scalar(g, dtypes.Int32, -1), badID),
		badValue: pick(logits, Where(noBad, ScalarZero(g, dtypes.Int32), badID)),
	}
	x := ConvertDType(Where(finite, logits, ZerosLike(logits)), dtypes.Float64)
	lsm := LogSoftmax(x, 1)
	if kind == greedySampler {
		d.id = ArgMax(x, 1, dtypes.Int32)
		d.logProb = pick(lsm, d.id)
		d.sampleLogProb = ZerosLike(d.logProb)
		return d
	}
	// The maximum is subtracted before dividing, so a tiny temperature sends the other logits to
	// -Inf instead of overflowing them all to +Inf (and NaN).
	lt := LogSoftmax(Div(Sub(x, ReduceAndKeep(x, ReduceMax, 1)), temperature), 1)
	mass := Exp(lt)
	if kind == truncatedSampler {
		keep := topKMask(lt, topK)
		mass = Where(keep, mass, ZerosLike(mass))
		keep = LogicalAnd(keep, topPMask(lt, Div(mass, ReduceAndKeep(mass, ReduceSum, 1)), topP))
		mass = Where(keep, mass, ZerosLike(mass))
	}
	// The inverse CDF in token-id order: the first token whose cumulative mass exceeds u*total
	// (the last token when rounding leaves none).
	cum := CumSum(mass, 1)
	total := SliceAxis(cum, 1, AxisElem(vocab-1)) // [B,1]
	target := Mul(InsertAxes(u, -1), total)
	k := ReduceSum(ConvertDType(LessOrEqual(cum, target), dtypes.Int32), 1)
	d.id = Min(k, Scalar(g, dtypes.Int32, vocab-1))
	d.logProb = pick(lsm, d.id)
	d.sampleLogProb = Sub(pick(lt, d.id), Log(Reshape(total, bsz)))
	return d
}

// Truncation without sorting. Sorting a vocabulary per token is what top-k and top-p are usually
// built on, but the go backend sorts through an interpreted comparator (seconds for a 150k
// vocabulary), so the kept sets are found by bisection on the log-prob threshold instead:
// thresholdIterations halvings of [minLogProb, max] narrow it below the spacing of float64
// log-probs (about 1e-16 wherever two tokens can lie: only one token can have a log-prob above
// log 1/2), so the sets are exactly those of a sort. Tokens tied at the threshold are taken in
// token-id order, as a stable sort would.
const thresholdIterations = 64

// minLogProb is below the log of the smallest positive float64 (about -745): tokens under it
// have no mass and whether they are kept changes nothing.
const minLogProb = -746

// bisectThreshold returns, for each row of lt [B,V], the largest threshold τ (within float64
// resolution) for which enough(lt >= τ) holds; enough maps a [B,V] mask to a [B] bool and must
// be monotone (true for a bigger set when true for a smaller one). Rows where no threshold
// above minLogProb qualifies get minLogProb.
func bisectThreshold(lt *Node, enough func(mask *Node) *Node) *Node {
	g := lt.Graph()
	bsz := lt.Shape().Dimensions[0]
	finite := Where(IsFinite(lt), lt, BroadcastToShape(Scalar(g, dtypes.Float64, minLogProb), lt.Shape()))
	lo := BroadcastToDims(Scalar(g, dtypes.Float64, minLogProb), bsz, 1)
	hi := AddScalar(ReduceAndKeep(finite, ReduceMax, 1), 1)
	for range thresholdIterations {
		mid := MulScalar(Add(lo, hi), 0.5)
		ok := InsertAxes(enough(GreaterOrEqual(lt, BroadcastToShape(mid, lt.Shape()))), -1)
		lo, hi = Where(ok, mid, lo), Where(ok, hi, mid)
	}
	return lo
}

// atThreshold keeps the tokens of lt above the threshold [B,1] and, of those equal to it, the
// ones fits(above, ties, rank) allows, taken in token-id order: rank [B,V] counts the tied
// tokens up to and including each one (1, 2, ...).
func atThreshold(lt, threshold *Node, fits func(above, ties, rank *Node) *Node) *Node {
	at := BroadcastToShape(threshold, lt.Shape())
	above := GreaterThan(lt, at)
	ties := Equal(lt, at)
	rank := CumSum(ConvertDType(ties, dtypes.Int32), 1)
	return LogicalOr(above, LogicalAnd(ties, fits(above, ties, rank)))
}

// topKMask keeps the topK [scalar int32] most likely tokens of each row of lt (all for topK <= 0).
func topKMask(lt, topK *Node) *Node {
	g := lt.Graph()
	count := func(mask *Node) *Node { return ReduceSum(ConvertDType(mask, dtypes.Int32), 1) }
	k := BroadcastToDims(topK, lt.Shape().Dimensions[0])
	threshold := bisectThreshold(lt, func(mask *Node) *Node { return GreaterOrEqual(count(mask), k) })
	keep := atThreshold(lt, threshold, func(above, _, rank *Node) *Node {
		room := InsertAxes(Sub(k, count(above)), -1)
		return LessOrEqual(rank, BroadcastToShape(room, rank.Shape()))
	})
	all := BroadcastToShape(LessOrEqual(topK, ScalarZero(g, dtypes.Int32)), keep.Shape())
	return LogicalOr(all, keep)
}

// topPMask keeps, in each row, the most likely tokens until their mass norm [B,V] (renormalized
// over the tokens still kept, 0 for the others) reaches topP [scalar float64]: a token is kept
// while the mass of the more likely ones (ties: the lower ids) is below topP. topP <= 0 or >= 1
// keeps all.
func topPMask(lt, norm, topP *Node) *Node {
	g := lt.Graph()
	massOf := func(mask *Node) *Node { return ReduceSum(Where(mask, norm, ZerosLike(norm)), 1) }
	p := BroadcastToDims(topP, lt.Shape().Dimensions[0])
	threshold := bisectThreshold(lt, func(mask *Node) *Node { return GreaterOrEqual(massOf(mask), p) })
	keep := atThreshold(lt, threshold, func(above, ties, _ *Node) *Node {
		// The mass before a tied token: the tokens above, then the ties of lower id.
		tied := Where(ties, norm, ZerosLike(norm))
		before := Add(InsertAxes(massOf(above), -1), Sub(CumSum(tied, 1), tied))
		return LessThan(before, BroadcastToShape(InsertAxes(p, -1), before.Shape()))
	})
	one := ScalarOne(g, dtypes.Float64)
	off := LogicalOr(LessOrEqual(topP, ScalarZero(g, dtypes.Float64)), GreaterOrEqual(topP, one))
	return LogicalOr(BroadcastToShape(off, keep.Shape()), keep)
}

// pick returns x[b, index[b]] for x [B,N] and index [B] (int32).
func pick(x, index *Node) *Node {
	cols := Iota(x.Graph(), shapes.Make(dtypes.Int32, x.Shape().Dimensions...), 1)
	hit := Equal(cols, BroadcastToShape(InsertAxes(index, -1), cols.Shape()))
	return ReduceSum(Where(hit, x, ZerosLike(x)), 1)
}

// sampleToken picks the next token from one row of logits and returns it with its log-prob under
// the temperature-1 softmax and under the sampling distribution. Non-finite logits (a diverged
// or corrupt model) are an error naming the first bad value.
func sampleToken(logits []float32, cfg GenerateConfig, rng *rand.Rand) (id int, logProb, sampleLogProb float64, err error) {
	if i := firstNonFinite(logits); i >= 0 {
		return 0, 0, 0, fmt.Errorf("%g at token id %d", logits[i], i)
	}
	lsm := logSoftmax64(logits, 1)
	if cfg.Temperature == 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best, lsm[best], 0, nil
	}
	lt := logSoftmax64(logits, cfg.Temperature)
	order := make([]int, 0, len(lt))
	truncate := cfg.TopK > 0 || (cfg.TopP > 0 && cfg.TopP < 1)
	if truncate {
		// Sorting a whole vocabulary per token is slow: only tokens with probability > e^-40 are
		// sorted (the rest hold < V*4e-18, about 6e-13 of the mass), unless top-k needs more.
		// Top-p alone needs fewer: the tokens under (1-TopP)/V hold less than 1-TopP together,
		// so the nucleus, a most-likely prefix reaching TopP, lies among those above.
		floor := -40.0
		if cfg.TopK == 0 {
			floor = max(floor, math.Log((1-cfg.TopP)/float64(len(lt))))
		}
		for i, v := range lt {
			if v >= floor {
				order = append(order, i)
			}
		}
	}
	if !truncate || len(order) < cfg.TopK {
		order = order[:0]
		for i := range lt {
			order = append(order, i)
		}
	}
	keep := len(order)
	if truncate {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(lt[b], lt[a]) })
		if cfg.TopK > 0 && cfg.TopK < keep {
			keep = cfg.TopK
		}
		if cfg.TopP > 0 && cfg.TopP < 1 {
			// Renormalize over the top-k set (every token without top-k, not only those
			// sorted), then keep tokens until the mass reaches TopP.
			total := 0.0
			if cfg.TopK == 0 {
				for _, v := range lt {
					total += math.Exp(v)
				}
			} else {
				for _, i := range order[:keep] {
					total += math.Exp(lt[i])
				}
			}
			cum := 0.0
			for n, i := range order[:keep] {
				cum += math.Exp(lt[i]) / total
				if cum >= cfg.TopP {
					keep = n + 1
					break
				}
			}
		}
	}
	kept := order[:keep]
	total := 0.0
	for _, i := range kept {
		total += math.Exp(lt[i])
	}
	u := rng.Float64() * total
	id = kept[len(kept)-1]
	for _, i := range kept {
		u -= math.Exp(lt[i])
		if u < 0 {
			id = i
			break
		}
	}
	return id, lsm[id], lt[id] - math.Log(total), nil
}

// logSoftmax64 returns log softmax(logits/temperature) in float64 for finite logits. The maximum
// is subtracted before dividing, so a tiny temperature sends the other logits to -Inf instead of
// overflowing them all to +Inf (and NaN).
func logSoftmax64(logits []float32, temperature float64) []float64 {
	out := make([]float64, len(logits))
	top := math.Inf(-1)
	for _, v := range logits {
		top = math.Max(top, float64(v))
	}
	sum := 0.0
	for i, v := range logits {
		out[i] = (float64(v) - top) / temperature
		sum += math.Exp(out[i])
	}
	lse := math.Log(sum)
	for i := range out {
		out[i] -= lse
	}
	return out
}
