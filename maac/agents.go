package maac

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/collm/collm/envs"
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
	// Chat, when non-nil, renders each prompt as a user message with the model's chat template
	// before it is encoded (AgentSpec.ChatTemplate).
	Chat *tokenizer.ChatTemplate
}

// AgentSpec says where an agent's model comes from: a preset name ("tiny", "small") for a freshly
// initialized model, or a directory with a Hugging Face checkpoint (config.json, safetensors,
// tokenizer.json).
type AgentSpec struct {
	Model string `json:"model"`
	// LoRA, when non-nil, freezes the base and trains only low-rank adapters.
	LoRA *lm.LoRAConfig `json:"lora,omitempty"`
	// Tokenizer of a preset model: TokenizerEnv (a word-level tokenizer over the env's pieces,
	// see envs.Vocab) or TokenizerBytes (the preset byte tokenizer). Default: TokenizerEnv when
	// the env has a vocabulary, else TokenizerBytes. A checkpoint directory always uses its own
	// tokenizer.json, so this stays empty for one.
	Tokenizer string `json:"tokenizer,omitempty"`
	// ChatTemplate applies the checkpoint's chat template to every prompt, as the reference
	// library's apply_chat_template does for instruct models: the agent reads the rendering of
	// messages=[{"role": "user", "content": prompt}] with add_generation_prompt=true, whose
	// special tokens (<|im_start|>, <|eot_id|>, ...) encode as the special tokens they name.
	// The template is chat_template.jinja or the "chat_template" of tokenizer_config.json in
	// the checkpoint directory (see tokenizer.LoadChatTemplate; strftime_now formats the fixed
	// tokenizer.DefaultChatDate, so prompts do not change with the day). Default false: prompts
	// are encoded as the env writes them, which suits base models and models trained from
	// scratch. True for a preset model, or a checkpoint without a template, is a config error.
	ChatTemplate bool `json:"chat_template,omitempty"`
}

// The tokenizers of a preset model (AgentSpec.Tokenizer).
const (
	TokenizerEnv   = "env"
	TokenizerBytes = "bytes"
)

// framingPieces are the fixed strings maac itself writes around prompts and responses (the
// critics' joint histories, see jointHistory and jointAction); an env vocabulary gets them too so
// a critic reads them as tokens. Agent numbers are part of whole pieces: loose digits would let
// an actor write numbers the env's own vocabulary does not offer.
var framingPieces = func() []string {
	out := []string{"\n\n", "\n\n[Joint Action]"}
	for i := range 8 {
		out = append(out, fmt.Sprintf("[Agent %d] ", i), fmt.Sprintf("\n\n[Agent %d action]\n", i))
	}
	return out
}()

// resolveTokenizer fills in the default of spec.Tokenizer for env and checks it.
func resolveTokenizer(spec AgentSpec, env envs.Env) (AgentSpec, error) {
	if _, err := lm.Preset(spec.Model); err != nil {
		if spec.Tokenizer != "" {
			return spec, fmt.Errorf("tokenizer %q is for preset models; model %s uses its own tokenizer.json", spec.Tokenizer, spec.Model)
		}
		if spec.ChatTemplate {
			if _, err := loadChatTemplate(spec.Model); err != nil {
				return spec, err
			}
		}
		return spec, nil
	}
	if spec.ChatTemplate {
		return spec, fmt.Errorf("chat_template: preset model %s has no chat template (chat_template is for a checkpoint directory whose tokenizer_config.json has one)", spec.Model)
	}
	_, hasVocab := envs.As[envs.Vocab](env)
	switch spec.Tokenizer {
	case "":
		spec.Tokenizer = TokenizerBytes
		if hasVocab {
			spec.Tokenizer = TokenizerEnv
		}
	case TokenizerEnv:
		if !hasVocab {
			return spec, fmt.Errorf("tokenizer %q: env %s has no vocabulary (use %q)", TokenizerEnv, env.Spec().Name, TokenizerBytes)
		}
	case TokenizerBytes:
	default:
		return spec, fmt.Errorf("tokenizer %q: want %q or %q", spec.Tokenizer, TokenizerEnv, TokenizerBytes)
	}
	return spec, nil
}

// loadChatTemplate loads the chat template of checkpoint directory dir for chat_template=true.
func loadChatTemplate(dir string) (*tokenizer.ChatTemplate, error) {
	ct, err := tokenizer.LoadChatTemplate(dir)
	if errors.Is(err, tokenizer.ErrNoChatTemplate) {
		return nil, fmt.Errorf("chat_template: %w: a base model has none, set chat_template to false", err)
	}
	if err != nil {
		return nil, fmt.Errorf("chat_template: %w", err)
	}
	return ct, nil
}

// EnvTokenizer returns the word-level tokenizer an agent uses with TokenizerEnv: the env's pieces
// plus maac's framing strings, with the preset special tokens.
func EnvTokenizer(env envs.Vocab) (*tokenizer.WordLevel, error) {
	seen := map[string]bool{}
	var pieces []string
	for _, p := range append(env.Vocab(), framingPieces...) {
		if p != "" && !seen[p] && !slices.Contains(lm.PresetSpecials, p) && p != tokenizer.UnkToken {
			seen[p] = true
			pieces = append(pieces, p)
		}
	}
	return tokenizer.NewWordLevel(pieces, lm.PresetSpecials...)
}

// loadModel builds the model and tokenizer of spec (resolved) in scope: a preset initialized
// from seed, sized for its tokenizer, or a checkpoint directory with its tokenizer.json.
func loadModel(backend compute.Backend, store *model.Store, scope string, spec AgentSpec, env envs.Env, seed uint64) (*lm.Model, tokenizer.Tokenizer, error) {
	if spec.Tokenizer != TokenizerEnv {
		m, err := lm.LoadOrPreset(backend, store, scope, spec.Model, seed)
		if err != nil {
			return nil, nil, err
		}
		tok, err := lm.TokenizerFor(spec.Model)
		if err != nil {
			return nil, nil, err
		}
		return m, tok, nil
	}
	voc, _ := envs.As[envs.Vocab](env)
	tok, err := EnvTokenizer(voc)
	if err != nil {
		return nil, nil, fmt.Errorf("env %s vocabulary: %w", env.Spec().Name, err)
	}
	cfg, err := lm.PresetFor(spec.Model, tok)
	if err != nil {
		return nil, nil, err
	}
	m, err := lm.NewRandom(backend, store, scope, cfg, seed)
	if err != nil {
		return nil, nil, err
	}
	return m, tok, nil
}

// newAgent builds agent i from spec in store. Preset models are initialized from seed + i, so
// agents start different but reproducible.
func newAgent(backend compute.Backend, store *model.Store, i int, spec AgentSpec, env envs.Env, seed uint64) (*Agent, error) {
	name := fmt.Sprintf("agent_%d", i)
	m, tok, err := loadModel(backend, store, name, spec, env, seed+uint64(i)*7919)
	if err != nil {
		return nil, fmt.Errorf("agent %d: %w", i, err)
	}
	if spec.LoRA != nil {
		if err := m.AddLoRA(*spec.LoRA); err != nil {
			return nil, fmt.Errorf("agent %d: %w", i, err)
		}
	}
	a := &Agent{Name: name, Model: m, Tokenizer: tok}
	if spec.ChatTemplate {
		if _, err := lm.Preset(spec.Model); err == nil {
			return nil, fmt.Errorf("agent %d: chat_template: preset model %s has no chat template", i, spec.Model)
		}
		if a.Chat, err = loadChatTemplate(spec.Model); err != nil {
			return nil, fmt.Errorf("agent %d: %w", i, err)
		}
	}
	return a, nil
}

// responseText decodes a sampled response without its final stop token and cuts it before the
// first of the env's stop strings (see lm.ResponseText).
func (a *Agent) responseText(s lm.Sample, cfg lm.GenerateConfig) string {
	return lm.ResponseText(a.Tokenizer.Decode, s, cfg.StopStrings)
}

// encodePrompt tokenizes an env's prompt for the agent, keeping at most room tokens: the prompt's
// chat-template rendering when the agent has a template (Chat), else the prompt itself (see
// encodePrompt).
func (a *Agent) encodePrompt(prompt string, room int) (ids []int, truncated bool, err error) {
	if a.Chat != nil {
		if prompt, err = a.Chat.RenderPrompt(prompt); err != nil {
			return nil, false, fmt.Errorf("%s: %w", a.Name, err)
		}
	}
	ids, truncated = encodePrompt(a.Tokenizer, prompt, room)
	return ids, truncated, nil
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
