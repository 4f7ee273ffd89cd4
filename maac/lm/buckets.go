package lm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Shape buckets and compilation counts.
//
// GoMLX's Exec builds and compiles one graph per distinct list of input shapes. XLA takes
// seconds per compilation, so a run meeting a new batch size or sequence length every update
// would spend most of its time compiling. Every graph this package executes therefore takes
// inputs padded to a few bucket sizes, chosen by the backend:
//
//	                  sequence length (SeqBucket)            rows (RowBucket)
//	XLA (compiling)   powers of two from 16: 16, 32, 64, ... powers of two from 8: 8, 16, 32, ...
//	go (pure Go)      multiples of 8 from 16 up to 64, then  1, 2, 4, 8, then like lengths:
//	                  four steps per doubling: 80, 96, 112,  16, 24, ..., 64, 80, 96, ...
//	                  128, 160, 192, ...
//
// XLA compiles about log2(context/16)+1 lengths per graph; the go backend builds a graph in tens
// of milliseconds but pays for every padded position, so it takes finer buckets (at most 25%
// padding above 64 tokens, 7 tokens below) at the cost of about four lengths per doubling.
// A length bucket never exceeds the model's context (max_position_embeddings, rounded up to a
// multiple of 8) unless the input itself does.
//
// Sequence buckets apply to PackBatch's length T and to Generate's prompt length and KV-cache
// length; row buckets to Generate, Score and PredictValues, which pad their batch themselves,
// and to callers' Batch.PadRows. Padding is masked: padded positions are left padding with mask
// 0, padded rows (Batch.PadRows) have an all-zero mask and response mask, so the log-probs,
// entropies and values of the real rows are those of the unpadded batch, and a loss that weights
// rows (0 for padding) or sums over the response mask is unchanged, gradients included
// (TestPaddingBucketsKeepResults).
//
// Compiles counts the graphs compiled on a Store's models: every graph that reads a model
// variable (generation, scoring, values, every training graph) is counted once, while it is
// built. In GoMLX v0.28.16 an Exec builds a graph only to compile it right away (one graph per
// new cache entry, Exec.buildAndCompileGraph; entries are never evicted), and exposes neither
// its cache size nor a compile callback, so graphs built are compilations.

// Smallest buckets.
const (
	minSeqBucket = 16
	minRowBucket = 8 // XLA; the go backend goes down to 1
)

// compiling reports whether the backend compiles graphs at a cost that matters (XLA, any
// backend but the pure Go one, which builds its executables in milliseconds), or tests asked
// for its buckets (coarseBuckets).
func (m *Model) compiling() bool {
	return m.coarseBuckets || m.Backend.String() != gobackend.BackendName
}

// pow2Bucket returns the smallest lo*2^k >= n (lo for n <= lo).
func pow2Bucket(n, lo int) int {
	b := lo
	for b < n {
		b *= 2
	}
	return b
}

// fineBucket returns n rounded up to a multiple of max(p/4, 8), p the largest lo*2^k below n
// (lo for n <= lo): multiples of 8 up to 64 (from lo = 8 or 16), then four steps per doubling.
func fineBucket(n, lo int) int {
	if n <= lo {
		return lo
	}
	p := lo
	for p*2 < n {
		p *= 2
	}
	return roundUp(n, max(p/4, 8))
}

// SeqBucket returns the padded length of sequences whose longest has n tokens, on the model's
// backend (see the table above).
func (m *Model) SeqBucket(n int) int {
	var b int
	if m.compiling() {
		b = pow2Bucket(n, minSeqBucket)
	} else {
		b = fineBucket(n, minSeqBucket)
	}
	if ctx := roundUp(m.Config.MaxPositionEmbeddings, 8); b > ctx {
		b = max(ctx, roundUp(n, 8))
	}
	return b
}

// RowBucket returns the padded number of rows of a batch of n rows, on the model's backend.
func (m *Model) RowBucket(n int) int {
	switch {
	case m.compiling():
		return pow2Bucket(n, minRowBucket)
	case n <= minRowBucket:
		return pow2Bucket(max(n, 1), 1)
	default:
		return fineBucket(n, minRowBucket)
	}
}

// roundUp rounds n up to a multiple of q.
func roundUp(n, q int) int { return (n + q - 1) / q * q }

// compileMark marks a graph already counted.
type compileMark struct{}

// compileCounts holds one counter per Store, dropped when the Store is collected.
var compileCounts sync.Map // weak.Pointer[model.Store] -> *atomic.Int64

func storeCounter(store *model.Store) *atomic.Int64 {
	key := weak.Make(store)
	if c, ok := compileCounts.Load(key); ok {
		return c.(*atomic.Int64)
	}
	c, loaded := compileCounts.LoadOrStore(key, new(atomic.Int64))
	if !loaded {
		runtime.AddCleanup(store, func(k weak.Pointer[model.Store]) { compileCounts.Delete(k) }, key)
	}
	return c.(*atomic.Int64)
}

// countCompile counts g once for store; param calls it for every variable a graph reads.
func countCompile(store *model.Store, g *Graph) {
	if g.State(compileMark{}) != nil {
		return
	}
	g.AttachState(compileMark{}, true)
	storeCounter(store).Add(1)
}

// Compiles returns how many graphs reading variables of store's models have been compiled so
// far: generation (prefill, decode), scoring, values and optimizer steps, whoever built them
// (this package's executors, a Trainer, a caller's model.Exec over Hidden, Logits or Values).
// A graph reading several models counts once.
func Compiles(store *model.Store) int { return int(storeCounter(store).Load()) }
