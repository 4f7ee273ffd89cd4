// Package lm is the decoder language model of the agents: Llama / Mistral / Qwen2 / Qwen3 causal
// LMs on GoMLX with everything an RL algorithm needs from a policy or a critic.
//
// # Models and scopes
//
// A [Model] keeps its weights under its own scope of a model.Store, with the Hugging Face tensor
// names as variable names ("/agent_0/model.layers.0.self_attn.q_proj.weight", Linear weights
// [out,in]). Several agents, critics and reference policies therefore share one Store and can
// appear together in one training graph:
//
//	backend, _ := lm.NewBackend()                 // $GOMLX_BACKEND, default "go"
//	store := model.NewStore()
//	a0, _ := lm.Load(backend, store, "agent_0", "/models/qwen2.5-0.5b")   // HF dir, F32/BF16
//	a1, _ := a0.Clone("agent_1")
//	cfg, _ := lm.Preset("tiny")                                           // or from scratch
//	critic, _ := lm.NewRandom(backend, store, "critic", cfg, 7)
//	_ = critic.AddValueHead(8)                    // Linear(d,d)-tanh-Linear(d,1), N(0,0.02)
//
// [Config] parses config.json ([ReadConfig]) and writes it back; [Model.Save] writes config.json
// plus safetensors in the config's torch_dtype (LoRA merged, value head as "v_head.*").
//
// # Architectures, RoPE variants and sliding windows
//
// LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM, as transformers
// computes them. [RopeScaling] holds the RoPE variant of rope_scaling (or transformers 5's
// rope_parameters, whose rope_theta wins over the top-level one): default, linear, dynamic
// (NTK), yarn (attention factor applied to cos and sin) and llama3 (every Llama 3.1+ checkpoint),
// with transformers 5's formulas; any other rope_type, or a key the variant does not use, is an
// error naming the field. Plain RoPE keeps its precomputed frequency table; only dynamic computes
// its frequencies in the graph, from each row's length: seq_len = max(longest position + 1,
// max_position_embeddings), what transformers gives the row alone (transformers takes the whole
// batch's longest, and keeps a grown base for later shorter calls).
//
// [Config.SlidingWindow] is Mistral's sliding_window (every layer) and Qwen2/Qwen3's under
// use_sliding_window (layers from max_window_layers on). The token in cache slot i attends to
// the slots j with i-window < j <= i, transformers' sliding_window_overlay; it applies to
// scoring, training graphs, prefill and KV-cached decoding alike. The KV cache keeps every
// token and windowed layers mask the older ones, so decoding past the window gives the tokens
// and log-probs of the full forward (TestGenerateWithVariantsMatchesScore), without saving memory.
//
// # Sampling
//
// [Model.Generate] / [Model.GenerateText] decode a left-padded batch with a KV cache
// (temperature, top-k, top-p, stop tokens, seeded per row). Each [Sample] carries the tokens, the
// text, LogProbs (the model's temperature-1 log-probs: the behavior log-probs for policy
// gradients) and SampleLogProbs (under the distribution actually sampled from).
//
// # Scoring and losses
//
// Graph-building functions, usable inside any training graph (they have gradients):
// [Model.Hidden] (final hidden states), [Model.Logits], [Model.TokenLogProbs] (per-token
// log p and entropy under a padding mask), [Model.Values] (value head at one position per row).
// [Model.PackBatch] builds the left-padded inputs (ids, mask, response mask, last-prompt index);
// [Model.Score] is the no-gradient convenience.
//
// # Training
//
// [NewTrainer] compiles AdamW (decoupled weight decay) with global-norm clipping for any scalar
// loss the caller builds over the trainable variables of the given scopes; Step returns the loss,
// the pre-clipping gradient norm and optionally the flattened gradient; Gradient computes it
// without updating (gradient-variance measurements). [Model.AddLoRA] freezes the backbone and
// adds PEFT-named adapters; [Model.MergeLoRA] folds them back.
//
// Different models and trainers may run from several goroutines at once (maac steps its agents
// and critics concurrently): every graph runs through [RunExec], which builds and compiles a new
// graph while no other graph runs, as the model.Store does not guard its variables.
//
// NaN or infinite numbers are a [*NonFiniteError] naming the model's scope and where they are:
// logits met by Generate, a loss or gradient met by Step or Gradient, weights a Step produced
// (checked on the device) and tensors of a checkpoint read by Load.
//
// # The go backend trap
//
// The pure Go backend embeds variables as constants into graphs that are not marked as training,
// so an executor compiled before a train step would keep the old weights. Every graph that reads
// this package's variables is therefore marked as a training graph (the model has no dropout, so
// nothing else changes): evaluations and generation after a step see the new weights
// (TestEvalAfterTrainStepSeesNewWeights).
//
// # Tests and benchmarks
//
// testdata/reference.py is an independent plain-PyTorch implementation of the four
// architectures, the RoPE variants and the sliding windows; it wrote the committed fixtures under
// testdata/ref (weights + expected logits and per-token log-probs; the RoPE-variant and window
// fixtures score 40 tokens, past their window of 8 and original context of 16), which
// TestReferenceLogits matches to 1e-4 and TestReferenceLogProbs (through Score) to 2e-4,
// without torch. Regenerate with Debian's torch:
// `cd maac/lm/testdata && /usr/bin/python3 reference.py`. `collm bench` (and the Go benchmarks
// BenchmarkDecode, BenchmarkScore, BenchmarkTrainStep) measure speed next to the PyTorch twin
// testdata/bench_torch.py.
//
// Known limits: RoPE types other than the five above (longrope, mrope, ...), partial rotary
// factors and per-layer layer_types other than max_window_layers' pattern are rejected; a Model is
// not safe for concurrent use; scoring positions past max_position_embeddings are not rejected
// (generation is, so its dynamic NTK never scales).
package lm
