package maac

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/collm/collm/maac/lm"
	"github.com/collm/collm/maac/tokenizer"
)

// Agent is one decentralized actor: a causal LM policy in its own scope of the run's Store, with
// the tokenizer that turns its prompts into tokens. Execution is decentralized: an agent only
// ever sees its own prompt.
type Agent struct {
	Name      string // the agent's scope, "agent_<i>"
	Model     *lm.Model
	Tokenizer tokenizer.Tokenizer
}

// AgentSpec says where an agent's model comes from: a preset name ("tiny", "small") for a freshly
// initialized model, or a directory with a Hugging Face checkpoint (config.json, safetensors,
// tokenizer.json).
type AgentSpec struct {
	Model string
	// LoRA, when non-nil, freezes the base and trains only low-rank adapters.
	LoRA *lm.LoRAConfig
}

// newAgent builds agent i from spec in store. Preset models are initialized from seed + i, so
// agents start different but reproducible.
func newAgent(backend compute.Backend, store *model.Store, i int, spec AgentSpec, seed uint64) (*Agent, error) {
	name := fmt.Sprintf("agent_%d", i)
	m, err := lm.LoadOrPreset(backend, store, name, spec.Model, seed+uint64(i)*7919)
	if err != nil {
		return nil, fmt.Errorf("agent %d: %w", i, err)
	}
	tok, err := lm.TokenizerFor(spec.Model)
	if err != nil {
		return nil, fmt.Errorf("agent %d: %w", i, err)
	}
	if spec.LoRA != nil {
		if err := m.AddLoRA(*spec.LoRA); err != nil {
			return nil, fmt.Errorf("agent %d: %w", i, err)
		}
	}
	return &Agent{Name: name, Model: m, Tokenizer: tok}, nil
}

// responseText decodes a sampled response without its final stop token.
func (a *Agent) responseText(s lm.Sample) string {
	toks := s.Tokens
	if len(toks) > 0 && s.FinishReason == lm.FinishStop {
		toks = toks[:len(toks)-1]
	}
	return a.Tokenizer.Decode(toks)
}

// encodePrompt tokenizes a prompt for model m, keeping at most room tokens: a prompt longer than
// the context is cut from the left (the most recent feedback survives) and reported.
func encodePrompt(tok tokenizer.Tokenizer, prompt string, room int) (ids []int, truncated bool) {
	ids = tok.Encode(prompt)
	if len(ids) == 0 {
		// An empty prompt still needs a position to condition on.
		if eos := tok.EOS(); eos >= 0 {
			ids = []int{eos}
		} else {
			ids = tok.Encode(" ")
		}
	}
	if len(ids) > room {
		return ids[len(ids)-room:], true
	}
	return ids, false
}
