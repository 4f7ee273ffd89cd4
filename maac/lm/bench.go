package lm

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchResult holds the speed and memory of one model on one backend (medians over the
// repetitions). The JSON names are those of `collm bench --json` (its "go" object holds the
// figures, the model object the shapes and counts).
type BenchResult struct {
	Model  string `json:"model"`
	Params int    `json:"params"`
	// Batch and SeqLen of the scoring and training measurements.
	Batch  int `json:"batch"`
	SeqLen int `json:"seq_len"`
	// PromptLen and NewTokens of the decoding measurement; Reps timed runs per measurement.
	PromptLen int `json:"prompt_len"`
	NewTokens int `json:"new_tokens"`
	Reps      int `json:"reps"`
	// DecodeMsPerToken is the KV-cache decoding time per generated token for the whole batch
	// (greedy; prefill excluded: (t(NewTokens) - t(1 token)) / (NewTokens-1), the median over
	// pairs of runs back to back).
	DecodeMsPerToken float64 `json:"decode_ms_per_token"`
	// ScoreTokensPerSec is TokenLogProbs throughput (Batch*SeqLen tokens per forward pass).
	ScoreTokensPerSec float64 `json:"score_tokens_per_sec"`
	// TrainStepMs is one AdamW step of every weight on the mean token NLL of a Batch x SeqLen
	// batch; 0 when not measured (TrainSkipped says why).
	TrainStepMs  float64 `json:"train_step_ms"`
	TrainSkipped string  `json:"train_skipped,omitempty"`
	// TrainStepLoRAMs is the same step with only LoRA adapters trained (LoRA, LoRAParams); 0 when
	// not measured.
	TrainStepLoRAMs float64     `json:"train_step_lora_ms"`
	LoRA            *LoRAConfig `json:"lora,omitempty"`
	LoRAParams      int         `json:"lora_params,omitempty"`
	// PeakRSSMB is the process's peak resident set size in MiB when the benchmark ended (see
	// PeakRSSMB); PeakRSSMBAfter holds it after each phase, in the order they ran: "start",
	// "decode", "score", "train_lora", "train". The peak never decreases, so a phase's figure is
	// the most that phase or any before it needed. 0 where unknown.
	PeakRSSMB      float64            `json:"peak_rss_mb"`
	PeakRSSMBAfter map[string]float64 `json:"peak_rss_mb_after,omitempty"`
	// FirstRunMs is the untimed first run of each measurement ("decode", "score", "train_lora",
	// "train"): graph compilation, the first transfer of the weights and, for training, the
	// allocation of the optimizer state. Big models pay mostly for touching fresh memory here.
	FirstRunMs map[string]float64 `json:"first_run_ms,omitempty"`
	// DeviceMemoryMB is the accelerator's peak memory: always nil so far (GoMLX does not report
	// it), DeviceMemoryNote says why.
	DeviceMemoryMB   *float64 `json:"device_memory_mb"`
	DeviceMemoryNote string   `json:"device_memory_note,omitempty"`
	// FLOPs counts the work of one scoring pass and one training step (CountBenchFLOPs);
	// ScoreGFLOPS, TrainGFLOPS and TrainLoRAGFLOPS are those counts divided by the measured
	// times, 0 where a step was not measured.
	FLOPs           BenchFLOPs `json:"flops"`
	ScoreGFLOPS     float64    `json:"score_gflops"`
	TrainGFLOPS     float64    `json:"train_gflops"`
	TrainLoRAGFLOPS float64    `json:"train_lora_gflops"`
}

// BenchFLOPs is the floating-point work of BenchmarkModel's measurements, counted from the
// configuration by CountBenchFLOPs (JSON names of `collm bench --json`).
type BenchFLOPs struct {
	// ForwardPerToken is one token's forward pass at the sequence length of scoring and training.
	ForwardPerToken float64 `json:"forward_per_token"`
	// Score is one scoring pass of the Batch x SeqLen batch: its forward pass.
	Score float64 `json:"score"`
	// TrainStep is one training step of every weight; TrainStepLoRA one of LoRA adapters only
	// (0 without adapters).
	TrainStep     float64 `json:"train_step"`
	TrainStepLoRA float64 `json:"train_step_lora"`
}

// MatmulParams is the number of weights a token's forward pass multiplies activations by: q, k,
// v and o projections and the three MLP matrices of every layer, and the output projection
// (lm_head, also when it is tied to the embedding table, whose input side is a lookup without
// arithmetic). Biases and norm weights are left out.
func MatmulParams(c Config) int {
	d, q, kv := c.HiddenSize, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	perLayer := d*q + 2*d*kv + q*d + 3*d*c.IntermediateSize
	return c.NumLayers*perLayer + c.VocabSize*d
}

// CountBenchFLOPs counts the floating-point operations (a multiply and an add are 2) of the
// measurements of BenchmarkModel with batch rows of seq tokens, the usual model-FLOPs count
// (PaLM's, appendix B) that MFU divides by the peak:
//
//	forward per token   F = 2·MatmulParams + 4·layers·seq·heads·head_dim
//	scoring             batch·seq·F
//	full training step  3·batch·seq·F   (backward ≈ 2× forward: activation and weight gradients)
//	LoRA training step  batch·seq·(2·(2·MatmulParams) + 3·A + 6·P)
//
// where A = 4·layers·seq·heads·head_dim is the attention term (query·key scores and the
// weighted sum of values, both over the whole sequence, as the causal mask is applied to full
// score matrices) and P the adapter parameters (all layers). A LoRA step has the forward pass
// and the activation gradients of the frozen weights (2·2·MatmulParams), attention's forward and
// backward (3·A, it has no weights), and the adapters' forward, activation and weight gradients
// (6·P). Norms, RoPE, softmax, SwiGLU's products and the optimizer are not counted (a few
// percent at most for these shapes). lora nil: no LoRA step (TrainStepLoRA 0).
func CountBenchFLOPs(c Config, batch, seq int, lora *LoRAConfig) BenchFLOPs {
	tokens := float64(batch * seq)
	mm := 2 * float64(MatmulParams(c))
	att := 4 * float64(c.NumLayers*seq*c.NumHeads*c.HeadDim)
	f := BenchFLOPs{ForwardPerToken: mm + att}
	f.Score = tokens * f.ForwardPerToken
	f.TrainStep = 3 * f.Score
	if lora != nil {
		f.TrainStepLoRA = tokens * (2*mm + 3*att + 6*float64(loraParams(c, *lora)))
	}
	return f
}

// GFLOPS returns flops done in ms milliseconds in GFLOP/s, 0 when either is not positive (not
// measured).
func GFLOPS(flops, ms float64) float64 {
	if flops <= 0 || ms <= 0 {
		return 0
	}
	return flops / (ms * 1e6)
}

// MatmulPeak is a backend's measured float32 matrix-multiplication throughput, the denominator
// of the MFU that `collm bench` reports.
type MatmulPeak struct {
	GFLOPS float64 `json:"gflops"`
	// Size n of the [n,n]x[n,n] products, Chain products per timed run (one graph), Reps timed
	// runs after a warm-up; GFLOPS is Chain·2n³ over the fastest run.
	Size  int `json:"size"`
	Chain int `json:"chain"`
	Reps  int `json:"reps"`
}

// MeasureMatmulPeak measures backend's float32 matmul throughput: a graph of 4 chained
// [n,n]x[n,n] products (weights scaled to keep the values near 1), summed to one scalar that is
// read back, so asynchronous backends finish before the clock stops. With size 0 it starts at
// n = 1024 and doubles n (up to 4096) while a run takes under 20 ms, too short to saturate an
// accelerator, and reports the best size; size > 0 measures that n only. Of reps timed runs the
// fastest counts, not the median: other processes on the machine only ever slow a run down, and
// a peak lowered by them would overstate the MFU (above 100% on a busy machine). The inputs are
// created once and stay on the device between runs.
func MeasureMatmulPeak(backend compute.Backend, size, reps int) (MatmulPeak, error) {
	const chain = 4
	reps = max(reps, 1)
	var best MatmulPeak
	rng := rand.New(rand.NewPCG(3, 4))
	first, last := 1024, 4096
	if size > 0 {
		first, last = size, size
	}
	for n := first; n <= last; n *= 2 {
		x := tensors.FromShape(shapes.Make(dtypes.Float32, n, n))
		w := tensors.FromShape(shapes.Make(dtypes.Float32, n, n))
		scale := float32(math.Sqrt(3 / float64(n))) // uniform(-s, s) has variance 1/n: |x·w| ~ |x|
		tensors.MustMutableFlatData(x, func(flat []float32) {
			for i := range flat {
				flat[i] = rng.Float32()*2 - 1
			}
		})
		tensors.MustMutableFlatData(w, func(flat []float32) {
			for i := range flat {
				flat[i] = (rng.Float32()*2 - 1) * scale
			}
		})
		exec, err := NewExec(backend, func(x, w *Node) *Node {
			for range chain {
				x = MatMul(x, w)
			}
			return ReduceAllSum(x)
		})
		if err != nil {
			return best, fmt.Errorf("lm: matmul peak: %w", err)
		}
		run := func() error {
			out, err := exec.Call1(x, w)
			if err == nil {
				_ = out.Value() // waits for the result on asynchronous backends
				out.FinalizeAll()
			}
			return err
		}
		if err := run(); err != nil { // warm-up: compilation, transfer of the inputs
			exec.Finalize()
			return best, fmt.Errorf("lm: matmul peak: %w", err)
		}
		ts := make([]float64, 0, reps)
		for range reps {
			start := time.Now()
			if err := run(); err != nil {
				exec.Finalize()
				return best, fmt.Errorf("lm: matmul peak: %w", err)
			}
			ts = append(ts, float64(time.Since(start).Microseconds())/1000)
		}
		exec.Finalize()
		x.FinalizeAll()
		w.FinalizeAll()
		ms := slices.Min(ts)
		if g := GFLOPS(chain*2*float64(n)*float64(n)*float64(n), ms); g > best.GFLOPS {
			best = MatmulPeak{GFLOPS: g, Size: n, Chain: chain, Reps: reps}
		}
		if median(ts) >= 20 {
			break
		}
	}
	return best, nil
}

// median returns the median of ts (the mean of the middle two for an even count); it sorts ts.
func median(ts []float64) float64 {
	if len(ts) == 0 {
		return 0
	}
	slices.Sort(ts)
	if n := len(ts); n%2 == 0 {
		return (ts[n/2-1] + ts[n/2]) / 2
	}
	return ts[len(ts)/2]
}

// BenchConfig sets the shapes and repetitions of BenchmarkModel; zero fields take the defaults.
type BenchConfig struct {
	// Batch is the number of rows of every measurement. Default 8.
	Batch int
	// SeqLen is the length of the scored and trained rows. Default 64.
	SeqLen int
	// PromptLen is the prompt length of the decoding measurement. Default 16.
	PromptLen int
	// NewTokens is the number of generated tokens of the decoding measurement (>= 2). Default 64.
	NewTokens int
	// Reps is the number of timed runs per measurement, after one untimed warm-up (compilation)
	// run; the median is reported. Default 5.
	Reps int
	// LoRA, when not nil, also measures a training step of adapters added with this
	// configuration (zero fields take AddLoRA's defaults: rank 8 on q_proj and v_proj).
	LoRA *LoRAConfig
	// FullTrain measures a training step of every weight: "auto" (the default) skips it when
	// the gradients, AdamW's two moments and the backend's copies (about 24 bytes per
	// parameter on the go backend) would not fit in the memory available now; "yes" always runs
	// it; "no" never does.
	FullTrain string
}

func (c BenchConfig) withDefaults() BenchConfig {
	if c.Batch <= 0 {
		c.Batch = 8
	}
	if c.SeqLen <= 0 {
		c.SeqLen = 64
	}
	if c.PromptLen <= 0 {
		c.PromptLen = 16
	}
	if c.NewTokens <= 0 {
		c.NewTokens = 64
	}
	if c.Reps <= 0 {
		c.Reps = 5
	}
	if c.FullTrain == "" {
		c.FullTrain = "auto"
	}
	return c
}

// Validate reports a bad field.
func (c BenchConfig) Validate() error {
	switch {
	case c.Batch < 0 || c.SeqLen < 0 || c.PromptLen < 0 || c.Reps < 0:
		return fmt.Errorf("lm bench: Batch, SeqLen, PromptLen and Reps must be >= 0 (0: default), got %d, %d, %d, %d", c.Batch, c.SeqLen, c.PromptLen, c.Reps)
	case c.NewTokens == 1 || c.NewTokens < 0:
		return fmt.Errorf("lm bench: NewTokens must be >= 2 (0: default 64), got %d", c.NewTokens)
	case c.SeqLen == 1:
		return fmt.Errorf("lm bench: SeqLen must be >= 2 (a token and the next one to predict), got %d", c.SeqLen)
	case c.FullTrain != "" && c.FullTrain != "auto" && c.FullTrain != "yes" && c.FullTrain != "no":
		return fmt.Errorf("lm bench: FullTrain must be \"auto\", \"yes\" or \"no\", got %q", c.FullTrain)
	}
	if c.LoRA != nil {
		return c.LoRA.withDefaults().Validate()
	}
	return nil
}

// benchSeqLen is the sequence length Benchmark uses for a preset (64 tiny, 128 small), the
// shapes of the measurements in STACK.md.
func benchSeqLen(preset string) int {
	if preset == "small" {
		return 128
	}
	return 64
}

// Benchmark measures decoding, scoring and training speed of a preset with random weights at
// batch 8, taking the median of reps timed runs after one warm-up (compilation) run. It also
// measures a LoRA training step (rank 8 on q_proj and v_proj).
func Benchmark(backend compute.Backend, preset string, reps int) (BenchResult, error) {
	cfg, err := Preset(preset)
	if err != nil {
		return BenchResult{}, err
	}
	m, err := NewRandom(backend, model.NewStore(), "bench", cfg, 1)
	if err != nil {
		return BenchResult{}, err
	}
	r, err := BenchmarkModel(m, BenchConfig{Batch: 8, SeqLen: benchSeqLen(preset), PromptLen: 16, NewTokens: 64,
		Reps: max(reps, 1), LoRA: &LoRAConfig{}, FullTrain: "yes"})
	r.Model = preset
	return r, err
}

// BenchShapeNames lists the names BenchShape accepts.
func BenchShapeNames() []string { return []string{"qwen2.5-0.5b", "llama-3.2-1b"} }

// BenchShape returns the configuration of a released model's exact shape, for measuring what a
// model of that size costs (with random weights: NewRandomForBench) before downloading or
// training one:
//
//   - "qwen2.5-0.5b": Qwen/Qwen2.5-0.5B (494,032,768 parameters): Qwen2, hidden 896, 24 layers,
//     14 heads, 2 KV heads, MLP 4864, vocabulary 151936, tied embeddings, RoPE theta 1e6, q/k/v
//     biases, RMSNorm eps 1e-6, context 32768 (sliding window 32768, not used).
//   - "llama-3.2-1b": meta-llama/Llama-3.2-1B (1,235,814,400 parameters): Llama, hidden 2048, 16
//     layers, 32 heads, 8 KV heads (head dim 64), MLP 8192, vocabulary 128256, tied embeddings,
//     RoPE theta 500000 with llama3 rope_scaling (factor 32, low/high frequency factors 1 and 4,
//     original context 8192), RMSNorm eps 1e-5, context 131072.
//
// The numbers are those of the models' config.json files on the Hugging Face Hub, checked
// against copies of them: for Qwen2.5-0.5B huggingface.co/osllmai-community/Qwen2.5-0.5B
// (config.json, "_name_or_path": "Qwen/Qwen2.5-0.5B"); for Llama-3.2-1B the config of
// meta-llama/Llama-3.2-1B-Instruct (the same shape as the base model) at Hub commit
// 4e20de362430cd3b72f300e6b0f18e50e7166e08, as copied in
// github.com/kevinstephano/thunder_model_blocks, hf_llama/llama_config.py.
func BenchShape(name string) (Config, error) {
	var c Config
	switch name {
	case "qwen2.5-0.5b":
		c = Config{Architecture: ArchQwen2, VocabSize: 151936, HiddenSize: 896, IntermediateSize: 4864,
			NumLayers: 24, NumHeads: 14, NumKVHeads: 2, RMSNormEps: 1e-6, RopeTheta: 1e6,
			SlidingWindow: 32768, MaxWindowLayers: 24, TieWordEmbeddings: true,
			MaxPositionEmbeddings: 32768, TorchDType: "bfloat16", BOSTokenID: 151643, EOSTokenIDs: []int{151643}}
	case "llama-3.2-1b":
		c = Config{Architecture: ArchLlama, VocabSize: 128256, HiddenSize: 2048, IntermediateSize: 8192,
			NumLayers: 16, NumHeads: 32, NumKVHeads: 8, HeadDim: 64, RMSNormEps: 1e-5, RopeTheta: 500000,
			RopeScaling: RopeScaling{Type: RopeLlama3, Factor: 32, OriginalMaxPositionEmbeddings: 8192,
				LowFreqFactor: 1, HighFreqFactor: 4},
			TieWordEmbeddings: true, MaxPositionEmbeddings: 131072, TorchDType: "bfloat16",
			BOSTokenID: 128000, EOSTokenIDs: []int{128001}}
	default:
		return Config{}, fmt.Errorf("lm: unknown shape %q: use one of %s", name, strings.Join(BenchShapeNames(), ", "))
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// NewRandomForBench is NewRandom for benchmarks, where the values of the weights do not matter:
// matrices are drawn uniformly with NewRandom's standard deviation (0.02) by a xorshift
// generator on every core, about 10x faster than NewRandom's normal draws (which take 7 s for
// the 494M parameters of qwen2.5-0.5b on 2 cores). Norms are ones and biases zeros, as there.
func NewRandomForBench(backend compute.Backend, store *model.Store, scope string, cfg Config, seed uint64) (*Model, error) {
	m, err := newModel(backend, store, scope, cfg)
	if err != nil {
		return nil, err
	}
	const bound = initStd * 1.7320508075688772 // uniform(-b, b) has std b/sqrt(3)
	workers := runtime.GOMAXPROCS(0)
	for i, w := range cfg.weightShapes() {
		t := tensors.FromShape(shapes.Make(dtypes.Float32, w.shape...))
		tensors.MustMutableFlatData(t, func(flat []float32) {
			chunk := (len(flat) + workers - 1) / workers
			var wg sync.WaitGroup
			for k := 0; k < len(flat); k += chunk {
				part := flat[k:min(k+chunk, len(flat))]
				wg.Go(func() {
					switch w.init {
					case '1':
						for j := range part {
							part[j] = 1
						}
					case 'n':
						x := (seed+uint64(i)<<32+uint64(k))*0x9e3779b97f4a7c15 + 0x6c6d // splitmix64 mixing
						x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
						x = (x^x>>27)*0x94d049bb133111eb | 1 // never 0, xorshift's fixed point
						for j := range part {
							x ^= x << 13
							x ^= x >> 7
							x ^= x << 17
							part[j] = float32((float64(x>>11)/(1<<53)*2 - 1) * bound)
						}
					}
				})
			}
			wg.Wait()
		})
		if err := m.createVariable(w.name, t); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// deviceMemoryNote says why BenchResult.DeviceMemoryMB is not measured on a backend. GoMLX has
// no call for an accelerator's memory in use: go-xla (v0.4.13) wraps only the compiled
// executables' static estimates (pjrt.LoadedExecutable.OnDeviceMemoryUsageStats), not
// PJRT_Device_MemoryStats (bytes in use, peak), and compute.Backend exposes neither. On the go
// backend the device is the host, whose memory the peak RSS counts.
func deviceMemoryNote(backendName string) string {
	if strings.Contains(strings.ToLower(backendName), "xla") {
		return "n/a: GoMLX's XLA binding (go-xla v0.4.13) does not expose PJRT_Device_MemoryStats"
	}
	return "n/a: the " + backendName + " computes in host memory (see peak RSS)"
}

// PeakRSSMB returns the peak resident set size of this process in MiB: VmHWM ("high water
// mark") of /proc/self/status, which counts every page the process ever had resident at once:
// weights, optimizer state, compiled graphs, the Go heap's free but unreturned memory and the
// runtime. It returns 0 where /proc is not available (not Linux).
func PeakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest) // "12345 kB"
		if len(f) == 2 && f[1] == "kB" {
			if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

// availableMemoryBytes returns MemAvailable of /proc/meminfo, or -1 when unknown.
func availableMemoryBytes() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			f := strings.Fields(rest)
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && len(f) == 2 && f[1] == "kB" {
				return kb << 10
			}
		}
	}
	return -1
}

// fullTrainBytes estimates the memory one full training step of a model with params parameters
// adds on top of what scoring needed, on the go backend: 24 bytes per parameter (measured with
// the qwen2.5-0.5b shape: 3.6 GB before the first full step, 14.8 GB after it). Gradients and
// AdamW's two moments take 12 of them; the rest are the copies the backend holds while it writes
// the updated weights and moments.
func fullTrainBytes(params int) int64 { return 24 * int64(params) }

// loraParams is the number of adapter parameters cfg (with AddLoRA's defaults) adds to a model
// of configuration c.
func loraParams(c Config, cfg LoRAConfig) int {
	cfg = cfg.withDefaults()
	d, hd := c.HiddenSize, c.HeadDim
	shape := map[string][2]int{ // out, in
		"q_proj": {c.NumHeads * hd, d}, "k_proj": {c.NumKVHeads * hd, d}, "v_proj": {c.NumKVHeads * hd, d},
		"o_proj": {d, c.NumHeads * hd}, "gate_proj": {c.IntermediateSize, d}, "up_proj": {c.IntermediateSize, d},
		"down_proj": {d, c.IntermediateSize},
	}
	n := 0
	for _, t := range cfg.Targets {
		s := shape[t]
		n += cfg.Rank * (s[0] + s[1])
	}
	return n * c.NumLayers
}

// BenchmarkModel measures m as Benchmark does, with the shapes of cfg: KV-cache decoding, scoring,
// a LoRA training step (cfg.LoRA) and a full training step, in this order, recording the peak
// RSS after each. Token ids are random. It changes m: the training steps update its weights,
// and the LoRA adapters are merged into the backbone afterwards. The optimizer state of the
// steps is kept in m.Store under "/_optim/bench" and "/_optim/bench_lora".
//
// The result also holds the FLOP counts of the measurements (CountBenchFLOPs) and the GFLOP/s
// they achieved.
func BenchmarkModel(m *Model, cfg BenchConfig) (BenchResult, error) {
	r, err := benchmarkModel(m, cfg)
	if err == nil {
		r.setGFLOPS(m.Config)
	}
	return r, err
}

func benchmarkModel(m *Model, cfg BenchConfig) (BenchResult, error) {
	if err := cfg.Validate(); err != nil {
		return BenchResult{}, err
	}
	cfg = cfg.withDefaults()
	if m.LoRA() != nil {
		return BenchResult{}, fmt.Errorf("lm bench: model %s already has LoRA adapters: benchmark its base model", m.Scope)
	}
	if n := cfg.PromptLen + cfg.NewTokens; n > m.Config.MaxPositionEmbeddings || cfg.SeqLen > m.Config.MaxPositionEmbeddings {
		return BenchResult{}, fmt.Errorf("lm bench: prompt + new tokens (%d) and the sequence length (%d) must fit the model's context of %d tokens",
			n, cfg.SeqLen, m.Config.MaxPositionEmbeddings)
	}
	backend := m.Backend
	batch, seq, reps := cfg.Batch, cfg.SeqLen, cfg.Reps
	r := BenchResult{Model: m.Scope, Params: m.Config.NumParams(), Batch: batch, SeqLen: seq,
		PromptLen: cfg.PromptLen, NewTokens: cfg.NewTokens, Reps: reps,
		PeakRSSMBAfter: map[string]float64{}, FirstRunMs: map[string]float64{}, DeviceMemoryNote: deviceMemoryNote(backend.Name())}
	phase := func(name string) {
		r.PeakRSSMB = PeakRSSMB()
		r.PeakRSSMBAfter[name] = r.PeakRSSMB
	}
	phase("start")
	rng := rand.New(rand.NewPCG(1, 2))
	randIDs := func(n int) []int {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = rng.IntN(m.Config.VocabSize)
		}
		return ids
	}
	timeIt := func(what string, f func() error) (float64, error) {
		start := time.Now()
		if err := f(); err != nil { // warm-up: compilation
			return 0, err
		}
		if _, ok := r.FirstRunMs[what]; !ok {
			r.FirstRunMs[what] = float64(time.Since(start).Microseconds()) / 1000
		}
		var ts []float64
		for range reps {
			start := time.Now()
			if err := f(); err != nil {
				return 0, err
			}
			ts = append(ts, float64(time.Since(start).Microseconds())/1000)
		}
		return median(ts), nil
	}

	prompts := make([][]int, batch)
	for i := range prompts {
		prompts[i] = randIDs(cfg.PromptLen)
	}
	gen := func(n int) func() error {
		return func() error {
			_, err := m.Generate(prompts, GenerateConfig{MaxNewTokens: n, IgnoreEOS: true})
			return err
		}
	}
	// t(NewTokens) and t(1) run back to back in pairs, so a change of load on the machine hits
	// both halves of a pair; the median of the differences is reported.
	start := time.Now()
	if err := gen(cfg.NewTokens)(); err != nil { // warm-up: compilation
		return r, fmt.Errorf("lm bench: decode: %w", err)
	}
	r.FirstRunMs["decode"] = float64(time.Since(start).Microseconds()) / 1000
	if err := gen(1)(); err != nil {
		return r, fmt.Errorf("lm bench: decode: %w", err)
	}
	var diffs []float64
	for range reps {
		var pair [2]float64
		for k, n := range []int{cfg.NewTokens, 1} {
			start := time.Now()
			if err := gen(n)(); err != nil {
				return r, fmt.Errorf("lm bench: decode: %w", err)
			}
			pair[k] = float64(time.Since(start).Microseconds()) / 1000
		}
		diffs = append(diffs, pair[0]-pair[1])
	}
	r.DecodeMsPerToken = median(diffs) / float64(cfg.NewTokens-1)
	m.resetExecs() // the decoding graphs (and, on the go backend, their copies of the weights)
	phase("decode")

	rows := make([][]int, batch)
	for i := range rows {
		rows[i] = randIDs(seq)
	}
	b, err := m.PackBatch(rows, nil)
	if err != nil {
		return r, err
	}
	score, err := model.NewExec(backend, m.Store, func(_ *model.Scope, ids, mask *Node) *Node {
		lp, _ := m.TokenLogProbs(ids, mask)
		return lp
	})
	if err != nil {
		return r, err
	}
	ts, err := timeIt("score", func() error { _, err := score.Call1(b.IDs, b.Mask); return err })
	score.Finalize()
	if err != nil {
		return r, fmt.Errorf("lm bench: score: %w", err)
	}
	r.ScoreTokensPerSec = float64(batch*seq) / (ts / 1000)
	phase("score")

	loss := func(g *Graph, in []*Node) (*Node, []*Node) {
		lp, _ := m.TokenLogProbs(in[0], in[1])
		return Neg(ReduceAllMean(lp)), nil
	}
	if cfg.LoRA != nil {
		lc := cfg.LoRA.withDefaults()
		if err := m.AddLoRA(lc); err != nil {
			return r, err
		}
		r.LoRA, r.LoRAParams = &lc, loraParams(m.Config, lc)
		tr, err := NewTrainer(backend, m.Store, []string{m.Scope}, TrainConfig{Name: "bench_lora", LearningRate: 1e-4}, loss)
		if err != nil {
			return r, err
		}
		r.TrainStepLoRAMs, err = timeIt("train_lora", func() error { _, err := tr.Step(b.IDs, b.Mask); return err })
		if err != nil {
			return r, fmt.Errorf("lm bench: LoRA train: %w", err)
		}
		if err := m.MergeLoRA(); err != nil {
			return r, err
		}
		phase("train_lora")
	}

	switch cfg.FullTrain {
	case "no":
		r.TrainSkipped = `not requested (FullTrain "no")`
		return r, nil
	case "auto":
		// Free what the earlier phases left (compiled graphs, merged tensors) before judging.
		runtime.GC()
		debug.FreeOSMemory()
		need, avail := fullTrainBytes(r.Params), availableMemoryBytes()
		if avail >= 0 && need > avail {
			r.TrainSkipped = fmt.Sprintf("needs about %.1f GB more for gradients, AdamW state and the backend's copies, %.1f GB available", float64(need)/1e9, float64(avail)/1e9)
			return r, nil
		}
	}
	tr, err := NewTrainer(backend, m.Store, []string{m.Scope}, TrainConfig{Name: "bench", LearningRate: 1e-4}, loss)
	if err != nil {
		return r, err
	}
	r.TrainStepMs, err = timeIt("train", func() error { _, err := tr.Step(b.IDs, b.Mask); return err })
	if err != nil {
		return r, fmt.Errorf("lm bench: train: %w", err)
	}
	phase("train")
	return r, nil
}

// setGFLOPS fills r's FLOP counts (from m's configuration and r's shapes) and the achieved
// GFLOP/s of the measured steps.
func (r *BenchResult) setGFLOPS(c Config) {
	r.FLOPs = CountBenchFLOPs(c, r.Batch, r.SeqLen, r.LoRA)
	if r.ScoreTokensPerSec > 0 {
		r.ScoreGFLOPS = GFLOPS(r.FLOPs.Score, float64(r.Batch*r.SeqLen)/r.ScoreTokensPerSec*1000)
	}
	r.TrainGFLOPS = GFLOPS(r.FLOPs.TrainStep, r.TrainStepMs)
	r.TrainLoRAGFLOPS = GFLOPS(r.FLOPs.TrainStepLoRA, r.TrainStepLoRAMs)
}
