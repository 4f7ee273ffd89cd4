// Package lm is the decoder language model of the agents: Llama / Qwen2 / Qwen3 causal LMs on
// GoMLX with everything an RL algorithm needs from a policy or a critic.
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
// testdata/reference.py is an independent plain-PyTorch implementation of the three
// architectures; it wrote the committed fixtures under testdata/ref (weights + expected logits),
// which TestReferenceLogits matches to 1e-4 without torch. Regenerate with Debian's torch:
// `cd maac/lm/testdata && /usr/bin/python3 reference.py`. `collm bench` (and the Go benchmarks
// BenchmarkDecode, BenchmarkScore, BenchmarkTrainStep) measure speed next to the PyTorch twin
// testdata/bench_torch.py.
//
// Known limits: no rope_scaling (Llama 3.1+ "llama3" scaling is rejected), no sliding window, a
// Model is not safe for concurrent use, and positions past max_position_embeddings are not
// rejected.
package lm
