// Package maac trains decentralized LLM agents to collaborate with multi-agent reinforcement
// learning: CoLLM-CC (one centralized critic), CoLLM-DC (a critic per agent), the Monte Carlo
// family (MAGRPO, MARLOO, MAREMAX, MA-REINFORCE) and single-agent GRPO / actor-critic, after
// "Learning Decentralized LLM Collaboration with Multi-Agent Actor-Critic" (arXiv 2601.21972).
//
// Subpackages hold the building blocks: backend (the GoMLX compute backend), lm (decoder language
// models: sampling, log-probs, value heads, LoRA, checkpoints), safetensors and tokenizer (the
// Hugging Face file formats).
//
// maac never imports widgets or kernel: charts and notebooks attach to training through hooks.
package maac
