package lm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/collm/collm/maac/backend"
	"github.com/collm/collm/maac/safetensors"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend" // the pure Go backend, the default here
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// Model is one causal LM whose weights live under its own scope of a model.Store, so several
// agents and critics can share a Store (and a training graph). Variable names inside the scope are
// the Hugging Face tensor names, e.g. "/agent_0/model.layers.0.self_attn.q_proj.weight".
//
// The graph-building methods (Hidden, Logits, TokenLogProbs, Values) panic on misuse, like GoMLX
// layers; everything else returns errors. A Model is not safe for concurrent use.
type Model struct {
	// Config is the architecture; do not change it after construction.
	Config Config
	// Backend runs the model's own executors (generation, scoring).
	Backend compute.Backend
	// Store holds the variables.
	Store *model.Store
	// Scope is the absolute scope of the model's variables, e.g. "/agent_0".
	Scope string

	lora *LoRAConfig
	// coarseBuckets makes the model behave as on a compiling backend (its shape buckets, every
	// sampling kind in the graph) for tests on the CPU.
	coarseBuckets bool

	mu    sync.Mutex
	execs map[string]*model.Exec
}

// NewBackend returns the compute backend named by $GOMLX_BACKEND, defaulting to the pure Go
// backend "go" (see package maac/backend).
func NewBackend() (compute.Backend, error) { return backend.New() }

func newModel(backend compute.Backend, store *model.Store, scope string, cfg Config) (*Model, error) {
	if backend == nil || store == nil {
		return nil, errors.New("lm: backend and store must not be nil")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	scope = "/" + strings.Trim(scope, "/")
	if scope == "/" {
		return nil, errors.New("lm: the model scope must be a name such as \"agent_0\", not the root")
	}
	for v := range store.Scope(scope).IterVariables() {
		return nil, fmt.Errorf("lm: scope %q already holds variables (e.g. %q): use one scope per model", scope, v.Path())
	}
	return &Model{Config: cfg, Backend: backend, Store: store, Scope: scope, execs: map[string]*model.Exec{}}, nil
}

// NewRandom creates a model with freshly initialized weights (normal(0, 0.02) matrices, unit
// norms, zero biases), drawn from a PCG generator seeded with seed.
func NewRandom(backend compute.Backend, store *model.Store, scope string, cfg Config, seed uint64) (*Model, error) {
	m, err := newModel(backend, store, scope, cfg)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c6d))
	for _, w := range cfg.weightShapes() {
		if err := m.createVariable(w.name, randomTensor(rng, w.shape, w.init, initStd)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Load reads a Hugging Face checkpoint directory (config.json + safetensors, F32 or BF16 weights,
// computed in float32) into the given scope. Value-head tensors ("v_head.*") are loaded when
// present. Missing, misshaped or unexpected backbone tensors are errors naming the tensor.
func Load(backend compute.Backend, store *model.Store, scope, dir string) (*Model, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	tensorsByName, err := safetensors.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lm: loading weights from %s: %w", dir, err)
	}
	m, err := newModel(backend, store, scope, cfg)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, w := range cfg.weightShapes() {
		want[w.name] = true
		st, ok := tensorsByName[w.name]
		if !ok {
			return nil, fmt.Errorf("lm: %s: checkpoint lacks tensor %q that config.json (%s, %d layers) requires",
				dir, w.name, cfg.Architecture, cfg.NumLayers)
		}
		t, err := fromSafetensor(st, w.shape)
		if err != nil {
			return nil, fmt.Errorf("lm: %s: %w", dir, err)
		}
		if err := m.createVariable(w.name, t); err != nil {
			return nil, err
		}
	}
	var extra []string
	for name := range tensorsByName {
		// HF ignores a stored lm_head.weight when the embeddings are tied; so do we.
		if !want[name] && matchesFamily(name) && !(cfg.TieWordEmbeddings && name == "lm_head.weight") {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("lm: %s: checkpoint has tensors config.json does not describe (config/weights mismatch): %s",
			dir, strings.Join(extra[:min(len(extra), 5)], ", "))
	}
	if _, ok := tensorsByName[valueHeadNames[0]]; ok {
		for _, w := range valueHeadShapes(cfg.HiddenSize) {
			st, ok := tensorsByName[w.name]
			if !ok {
				return nil, fmt.Errorf("lm: %s: value head is incomplete, missing %q", dir, w.name)
			}
			t, err := fromSafetensor(st, w.shape)
			if err != nil {
				return nil, fmt.Errorf("lm: %s: %w", dir, err)
			}
			if err := m.createVariable(w.name, t); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// LoadOrPreset returns NewRandom(preset, seed) when nameOrDir is a preset name ("tiny",
// "small"), and Load(nameOrDir) otherwise.
func LoadOrPreset(backend compute.Backend, store *model.Store, scope, nameOrDir string, seed uint64) (*Model, error) {
	if cfg, err := Preset(nameOrDir); err == nil {
		return NewRandom(backend, store, scope, cfg, seed)
	}
	if _, err := os.Stat(nameOrDir); err != nil {
		return nil, fmt.Errorf("lm: model %q is neither a preset (%s) nor a readable directory: %w",
			nameOrDir, strings.Join(PresetNames(), ", "), err)
	}
	return Load(backend, store, scope, nameOrDir)
}

// Save writes config.json and the weights (model.safetensors, or shards above 2 GB) to dir in the
// config's torch_dtype, atomically per file. LoRA adapters are merged into the saved weights; a
// value head is saved as "v_head.*" tensors next to the backbone.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lm: saving: %w", err)
	}
	var out []*safetensors.Tensor
	for _, w := range m.Config.weightShapes() {
		t, err := m.mergedWeight(w.name)
		if err != nil {
			return err
		}
		out = append(out, toSafetensor(w.name, t, m.Config.TorchDType))
	}
	if m.HasValueHead() {
		for _, w := range valueHeadShapes(m.Config.HiddenSize) {
			t, err := m.variable(w.name).Value()
			if err != nil {
				return fmt.Errorf("lm: saving %q: %w", w.name, err)
			}
			out = append(out, toSafetensor(w.name, t, m.Config.TorchDType))
		}
	}
	if err := safetensors.SaveDir(dir, out, 2<<30, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("lm: saving weights to %s: %w", dir, err)
	}
	return m.Config.WriteFile(filepath.Join(dir, "config.json"))
}

// createVariable adds a float32 variable named name (HF name) under the model scope.
func (m *Model) createVariable(name string, t *tensors.Tensor) error {
	if _, err := m.Store.CreateVariable(m.Scope+"/"+name, t); err != nil {
		return fmt.Errorf("lm: creating variable %q: %w", name, err)
	}
	return nil
}

// variable returns the variable of the given HF name, or nil.
func (m *Model) variable(name string) *model.Variable {
	return m.Store.GetVariable(m.Scope + "/" + name)
}

// Variables returns the model's variables (backbone, adapters, value head) in creation order.
func (m *Model) Variables() []*model.Variable {
	var vs []*model.Variable
	for v := range m.Store.Scope(m.Scope).IterVariables() {
		vs = append(vs, v)
	}
	return vs
}

// WeightTensor returns a copy of the float32 value of the named tensor (HF name).
func (m *Model) WeightTensor(name string) ([]float32, []int, error) {
	v := m.variable(name)
	if v == nil {
		return nil, nil, fmt.Errorf("lm: model %s has no tensor %q", m.Scope, name)
	}
	t, err := v.Value()
	if err != nil {
		return nil, nil, err
	}
	return tensors.MustCopyFlatData[float32](t), t.Shape().Dimensions, nil
}

// param returns the graph value of the named variable. It marks g as a training graph first: the
// go backend otherwise embeds variables as constants, and an executor compiled once would keep
// using the weights of the moment it was compiled. This model has no dropout, so the flag has no
// other effect.
func (m *Model) param(g *Graph, name string) *Node {
	if !m.Store.IsTraining(g) {
		m.Store.SetTraining(g, true)
	}
	countCompile(m.Store, g)
	v := m.variable(name)
	if v == nil {
		panic(fmt.Sprintf("lm: model %s has no variable %q", m.Scope, name))
	}
	return v.NodeValue(g)
}

// linear applies the HF Linear layer `name` (weight [out,in], optional bias, optional LoRA).
func (m *Model) linear(x *Node, name string) *Node {
	g := x.Graph()
	var bias *Node
	if m.variable(name+".bias") != nil {
		bias = m.param(g, name+".bias")
	}
	y := m.dense(x, name+".weight", bias)
	if m.lora != nil && m.variable(name+".lora_A.weight") != nil {
		low := m.dense(x, name+".lora_A.weight", nil) // [..., r]
		y = Add(y, MulScalar(m.dense(low, name+".lora_B.weight", nil), m.lora.scale()))
	}
	return y
}

// dense is x·wᵀ (+ bias) for x [..., in] and the HF weight [out, in] named weight.
//
// Where a Trainer differentiates the graph for this weight on the go backend, a plain DotGeneral
// would have the backend transpose x [B,T,in] for the weight gradient through its per-element
// index iterator, several times slower than a blocked copy. The backend's fused dense op
// (nn.Dense) transposes the output gradient in blocks instead, writing with a stride of rows
// values; when rows is a multiple of 512 those writes fall into the same cache sets and run
// several times slower, so those shapes build the gradient from blocked transposes that split
// the rows (matmulBlockedGrad, transposeMatrix). docs/EXPERIMENTS.md has the measurements.
// Everywhere else the product is one DotGeneral: a frozen weight (a LoRA base) needs only the
// input's gradient, whose operands the backend multiplies as they are, forward-only graphs
// (generation, scoring) need neither, and XLA compiles its own transposes.
func (m *Model) dense(x *Node, weight string, bias *Node) *Node {
	g := x.Graph()
	w := m.param(g, weight)
	dims := x.Shape().Dimensions
	in := dims[len(dims)-1]
	rows := x.Shape().Size() / in
	var y *Node
	switch {
	case !trainedIn(g, m.variable(weight)) || !goBackend(g):
		y = DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{1}, nil)
	case rows%512 != 0:
		return nn.Dense(x, w, bias, compute.DenseLayoutOutputsInput)
	default:
		wd := w.Shape().Dimensions
		y = matmulBlockedGrad(Reshape(x, 1, rows, in), Reshape(w, 1, wd[0], wd[1]), true)
		y = Reshape(y, append(dims[:len(dims)-1:len(dims)-1], wd[0])...)
	}
	if bias != nil {
		y = Add(y, ExpandLeftToRank(bias, y.Rank()))
	}
	return y
}

// trainedParam is the graph parameter under which a Trainer's graphs hold the Trainer's owns
// predicate: the variables that graph computes gradients for.
const trainedParam = "/collm/lm/trained"

// trainedBy returns the owns predicate of the Trainer whose graph g is, and false when g is no
// Trainer's graph (it computes no gradients).
func trainedBy(g *Graph) (owns func(*model.Variable) bool, ok bool) {
	p, _ := model.GetGraphParam(g, trainedParam)
	owns, ok = p.(func(*model.Variable) bool)
	return owns, ok
}

// trainedIn reports whether g computes the gradient of v.
func trainedIn(g *Graph, v *model.Variable) bool {
	owns, ok := trainedBy(g)
	return ok && owns(v)
}

// rmsNorm is HF's RMSNorm over the last axis, computed in float32.
func rmsNorm(x, weight *Node, eps float64) *Node {
	ms := ReduceAndKeep(Square(x), ReduceMean, -1)
	// Rsqrt has no gradient in GoMLX; Div(x, Sqrt) does.
	return Mul(Div(x, Sqrt(AddScalar(ms, eps))), ExpandLeftToRank(weight, x.Rank()))
}

// positionsFromMask returns HF position ids for padded rows: the number of real tokens before
// each position (left padding gets 0, right padding repeats the last position; both are masked).
func positionsFromMask(mask *Node) *Node {
	m := ConvertDType(mask, dtypes.Int32)
	return MaxScalar(SubScalar(CumSum(m, 1), 1), 0)
}

// applyRope rotates x [B,T,heads,hd] by cos and signedSin [B,T,hd] (rope): HF's
// x*cos + rotate_half(x)*sin, with rotate_half(x) = (-x2, x1) taken as the halves swapped,
// (x2, x1), times the signed sine (-sin, sin). The swap is one Reverse of the half axis, which the
// go backend copies half a head at a time, where slicing the halves copies value by value. cos
// and signedSin are broadcast over the heads first, from a lower rank so that the go backend
// keeps the broadcast: it multiplies tensors of one shape with SIMD, but a size-1 middle axis
// through a per-element index iterator.
func applyRope(x, cos, signedSin *Node) *Node {
	dims := x.Shape().Dimensions
	cos, signedSin = ExpandAndBroadcast(cos, dims, []int{2}), ExpandAndBroadcast(signedSin, dims, []int{2})
	halves := append(dims[:3:3], 2, dims[3]/2)
	swapped := Reshape(Reverse(Reshape(x, halves...), 3), dims...)
	return Add(Mul(x, cos), Mul(swapped, signedSin))
}

// attention computes grouped-query attention: q [B,T,H,hd], k and v [B,KVH,S,hd] (head-major,
// the KV cache's layout), allowed [B,T,S] bool. Returns [B,T,H*hd]. Both products batch over
// B and KVH, with each KV head's T·G queries as rows: the keys are contracted on their last axis
// and the values on the axis after the batch axes, so both run on the stored keys and values as
// they are: the go backend would otherwise transpose the whole KV cache for every decoded token
// (and reshaping them would copy it, as the cache is also a result of the graph).
//
// Decoding on the go backend (one query per row, no gradient) runs the backend's fused
// attention instead: one op per layer in place of the products, mask and softmax, and no
// matrix kernel that multiplies rows in fours is given a lone query row. Longer query blocks
// keep the products, which the fused op's per-score loop is slower than.
func (m *Model) attention(q, k, v, allowed *Node) *Node {
	c := m.Config
	g := q.Graph()
	dims := q.Shape().Dimensions
	bsz, t := dims[0], dims[1]
	if t == 1 && goBackend(g) && !differentiated(g) {
		// With one query, [B,1,H,hd] and [B,H,1,hd] hold the same order: reshapes, not transposes.
		out, _ := attention.Core(Reshape(q, bsz, c.NumHeads, t, c.HeadDim), k, v, attention.LayoutBHSD,
			attention.CoreOptions{AttentionMask: InsertAxes(allowed, 1)})
		return Reshape(out, bsz, t, c.NumHeads*c.HeadDim)
	}
	groups := c.NumHeads / c.NumKVHeads
	s := k.Shape().Dimensions[2]
	q = TransposeAllAxes(Reshape(q, bsz, t, c.NumKVHeads, groups, c.HeadDim), 0, 2, 1, 3, 4) // [B,KVH,T,G,hd]
	product := attentionProduct(g)
	scores := product(Reshape(q, bsz, c.NumKVHeads, t*groups, c.HeadDim), k, true)
	scores = MulScalar(Reshape(scores, bsz, c.NumKVHeads, t, groups, s), 1/math.Sqrt(float64(c.HeadDim)))
	mask := InsertAxes(InsertAxes(allowed, 1), 3) // [B,1,T,1,S]
	mask = BroadcastToShape(mask, shapes.Make(dtypes.Bool, scores.Shape().Dimensions...))
	scores = Where(mask, scores, BroadcastToShape(Scalar(g, dtypes.Float32, -1e9), scores.Shape()))
	probs := Softmax(scores, -1)
	out := Reshape(product(Reshape(probs, bsz, c.NumKVHeads, t*groups, s), v, false), bsz, c.NumKVHeads, t, groups, c.HeadDim)
	out = TransposeAllAxes(out, 0, 2, 1, 3, 4) // [B,T,KVH,G,hd]
	return Reshape(out, bsz, t, c.NumHeads*c.HeadDim)
}

// attentionProduct returns how attention multiplies a [B,KVH,M,K] by b [B,KVH,N,K]
// (bTransposed) or [B,KVH,K,N] in g: on the go backend a Trainer's graphs build b's gradient
// from blocked transposes (matmulBlockedGrad); elsewhere it is a plain DotGeneral.
func attentionProduct(g *Graph) func(a, b *Node, bTransposed bool) *Node {
	if goBackend(g) && differentiated(g) {
		return func(a, b *Node, bTransposed bool) *Node {
			ad, bd := a.Shape().Dimensions, b.Shape().Dimensions
			x := ad[0] * ad[1]
			y := matmulBlockedGrad(Reshape(a, x, ad[2], ad[3]), Reshape(b, x, bd[2], bd[3]), bTransposed)
			return Reshape(y, ad[0], ad[1], ad[2], y.Shape().Dimensions[2])
		}
	}
	return func(a, b *Node, bTransposed bool) *Node {
		contracted := 2
		if bTransposed {
			contracted = 3
		}
		return DotGeneral(a, []int{3}, []int{0, 1}, b, []int{contracted}, []int{0, 1})
	}
}

// layerKV receives a layer's new keys and values [B,KVH,T,hd] and returns the keys, values
// ([B,KVH,S,hd]) and attention mask [B,T,S] to attend over: the same tokens for a full forward,
// the cache for decoding.
type layerKV func(layer int, k, v *Node) (keys, values, allowed *Node)

// decoder runs embeddings and all blocks and returns the final-normalized hidden states [B,T,D].
func (m *Model) decoder(ids, positions *Node, kv layerKV) *Node {
	g := ids.Graph()
	c := m.Config
	if ids.Rank() != 2 {
		panic(fmt.Sprintf("lm: ids must be [batch, seq], got %s", ids.Shape()))
	}
	ids = ConvertDType(ids, dtypes.Int32)
	h := Gather(m.param(g, "model.embed_tokens.weight"), InsertAxes(ids, -1))
	cos, signedSin := m.rope(positions)
	dims := ids.Shape().Dimensions
	bsz, t := dims[0], dims[1]
	for l := range c.NumLayers {
		p := fmt.Sprintf("model.layers.%d.", l)
		x := rmsNorm(h, m.param(g, p+"input_layernorm.weight"), c.RMSNormEps)
		q := Reshape(m.linear(x, p+"self_attn.q_proj"), bsz, t, c.NumHeads, c.HeadDim)
		k := Reshape(m.linear(x, p+"self_attn.k_proj"), bsz, t, c.NumKVHeads, c.HeadDim)
		v := Reshape(m.linear(x, p+"self_attn.v_proj"), bsz, t, c.NumKVHeads, c.HeadDim)
		if c.QKNorm() {
			q = rmsNorm(q, m.param(g, p+"self_attn.q_norm.weight"), c.RMSNormEps)
			k = rmsNorm(k, m.param(g, p+"self_attn.k_norm.weight"), c.RMSNormEps)
		}
		q, k = applyRope(q, cos, signedSin), applyRope(k, cos, signedSin)
		headMajor := func(x *Node) *Node { return TransposeAllAxes(x, 0, 2, 1, 3) }
		keys, values, allowed := kv(l, headMajor(k), headMajor(v))
		h = Add(h, m.linear(m.attention(q, keys, values, allowed), p+"self_attn.o_proj"))
		x = rmsNorm(h, m.param(g, p+"post_attention_layernorm.weight"), c.RMSNormEps)
		gate := m.linear(x, p+"mlp.gate_proj")
		up := m.linear(x, p+"mlp.up_proj")
		h = Add(h, m.linear(Mul(Mul(gate, Sigmoid(gate)), up), p+"mlp.down_proj"))
	}
	return rmsNorm(h, m.param(g, "model.norm.weight"), c.RMSNormEps)
}

// layerMasks returns the attention mask [B,T,S] of each layer: allowed, restricted to the layer's
// sliding window when it has one (built once per window size, so full-attention models get
// allowed itself). The T queries sit in cache slots firstSlot, firstSlot+1, ... (firstSlot an
// int32 scalar, nil for 0); key slot s is kept when s > query slot - window, as in transformers'
// sliding_window_overlay. It compares slots, not positions, as transformers does: the same for
// a left- or right-padded row, whose real tokens are contiguous.
func (m *Model) layerMasks(allowed, firstSlot *Node) func(layer int) *Node {
	masks := map[int]*Node{0: allowed}
	return func(l int) *Node {
		w := m.Config.AttentionWindow(l)
		if masks[w] == nil {
			g := allowed.Graph()
			dims := allowed.Shape().Dimensions // [B,T,S]
			keys := Iota(g, shapes.Make(dtypes.Int32, dims[1], dims[2]), 1)
			queries := Iota(g, shapes.Make(dtypes.Int32, dims[1], dims[2]), 0)
			if firstSlot != nil {
				queries = Add(queries, firstSlot)
			}
			inWindow := InsertAxes(GreaterThan(keys, SubScalar(queries, float64(w))), 0)
			masks[w] = LogicalAnd(allowed, BroadcastToDims(inWindow, dims...))
		}
		return masks[w]
	}
}

// causalMask returns allowed[b,t,s] = s <= t && mask[b,s] for a [B,T] mask.
func causalMask(mask *Node) *Node {
	g := mask.Graph()
	t := mask.Shape().Dimensions[1]
	row := Iota(g, shapes.Make(dtypes.Int32, t, t), 0)
	col := Iota(g, shapes.Make(dtypes.Int32, t, t), 1)
	causal := InsertAxes(GreaterOrEqual(row, col), 0) // [1,T,T]
	keys := InsertAxes(ConvertDType(mask, dtypes.Bool), 1)
	return LogicalAnd(BroadcastToDims(causal, mask.Shape().Dimensions[0], t, t), BroadcastToDims(keys, mask.Shape().Dimensions[0], t, t))
}

// Hidden returns the final-normalized hidden states [B,T,D] of token ids [B,T] (any integer
// dtype) under mask [B,T] (1/true for real tokens, 0/false for padding; left or right padding).
// Positions count the real tokens, so a padded row sees the positions it would have alone.
// Graph-building function: usable inside any model.Exec graph, training graphs included.
func (m *Model) Hidden(ids, mask *Node) *Node {
	if !equalInts(mask.Shape().Dimensions, ids.Shape().Dimensions) {
		panic(fmt.Sprintf("lm: mask %s must have the shape of ids %s", mask.Shape(), ids.Shape()))
	}
	allowed := m.layerMasks(causalMask(mask), nil)
	return m.decoder(ids, positionsFromMask(mask), func(l int, k, v *Node) (*Node, *Node, *Node) {
		return k, v, allowed(l)
	})
}

// Logits projects hidden states [...,D] to vocabulary logits [...,V] (lm_head, or the embedding
// matrix when tied).
func (m *Model) Logits(hidden *Node) *Node {
	name := "lm_head.weight"
	if m.Config.TieWordEmbeddings {
		name = "model.embed_tokens.weight"
	}
	return m.dense(hidden, name, nil)
}

// maxCompiledShapes bounds the graphs an executor keeps, one per input shape. GoMLX's default
// (32) fails the 33rd shape, which RL with varying batch sizes and lengths reaches quickly;
// lengths are bucketed to multiples of 8, so the number of shapes stays moderate.
const maxCompiledShapes = 1024

// exec returns the model's cached executor for key, building it with fn on first use.
func (m *Model) exec(key string, fn model.CanonicalExecGraphFn) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.execs[key]; ok {
		return e, nil
	}
	e, err := model.NewExecCanonical(m.Backend, m.Store, fn, -1, -1, false, true, true)
	if err != nil {
		return nil, err
	}
	e.SetMaxCache(maxCompiledShapes)
	m.execs[key] = e
	return e, nil
}

// resetExecs drops the cached executors (after the set of variables changed).
func (m *Model) resetExecs() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.execs {
		e.Finalize()
	}
	m.execs = map[string]*model.Exec{}
}

// Clone copies the model (backbone, value head, LoRA adapters and their trainable flags) into a
// new scope of the same Store, e.g. a frozen reference policy for KL penalties, or N agents that
// start from one pretrained checkpoint.
func (m *Model) Clone(scope string) (*Model, error) {
	c, err := newModel(m.Backend, m.Store, scope, m.Config)
	if err != nil {
		return nil, err
	}
	for _, v := range m.Variables() {
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("lm: cloning %q: %w", v.Path(), err)
		}
		t, err = t.LocalClone()
		if err != nil {
			return nil, fmt.Errorf("lm: cloning %q: %w", v.Path(), err)
		}
		name := strings.TrimPrefix(v.Path(), m.Scope+"/")
		if err := c.createVariable(name, t); err != nil {
			return nil, err
		}
		c.variable(name).SetTrainable(v.Trainable)
	}
	if m.lora != nil {
		l := *m.lora
		c.lora = &l
	}
	return c, nil
}

// CopyWeightsFrom sets every variable of m to a copy of src's variable of the same name, e.g. to
// move a frozen reference policy to the actor's weights after a supervised warm start. The
// models must have the same variables (same config, LoRA and value head).
func (m *Model) CopyWeightsFrom(src *Model) error {
	own, theirs := m.Variables(), src.Variables()
	if len(own) != len(theirs) {
		return fmt.Errorf("lm: copying weights from %s to %s: %d variables, want %d", src.Scope, m.Scope, len(theirs), len(own))
	}
	for _, v := range theirs {
		name := strings.TrimPrefix(v.Path(), src.Scope+"/")
		dst := m.variable(name)
		if dst == nil {
			return fmt.Errorf("lm: copying weights from %s to %s: %s has no variable %q", src.Scope, m.Scope, m.Scope, name)
		}
		t, err := v.Value()
		if err == nil {
			t, err = t.LocalClone()
		}
		if err == nil {
			err = dst.SetValue(t)
		}
		if err != nil {
			return fmt.Errorf("lm: copying %q: %w", v.Path(), err)
		}
	}
	return nil
}

// SetTrainable marks every variable of the model trainable or frozen (e.g. false for a reference
// policy that shares a Trainer's scopes). LoRA models keep their backbone frozen either way.
func (m *Model) SetTrainable(trainable bool) {
	for _, v := range m.Variables() {
		frozenBase := m.lora != nil && !strings.Contains(v.Name(), ".lora_") && !strings.HasPrefix(v.Name(), "v_head.")
		v.SetTrainable(trainable && !frozenBase)
	}
}
