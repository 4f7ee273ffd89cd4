package maac

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/maac/lm"
	"github.com/collm/collm/maac/tokenizer"
)

// vocabEnv is toy-coord with a vocabulary: its prompts are "task k turn t" and its actions the
// first character of a response.
type vocabEnv struct{ envs.Env }

func (vocabEnv) Vocab() []string { return []string{"task", "turn", " ", "0", "a", "b", "c", "d"} }

func toyWithVocab(t *testing.T) envs.Env {
	t.Helper()
	env, err := envs.New("toy-coord", nil)
	if err != nil {
		t.Fatal(err)
	}
	return vocabEnv{env}
}

func TestEnvTokenizer(t *testing.T) {
	env := toyWithVocab(t)
	tr, err := build(runConfig("cc", nil, 1), env)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range tr.Agents {
		w, ok := a.Tokenizer.(*tokenizer.WordLevel)
		if !ok {
			t.Fatalf("agent %d tokenizer %T, want the env's word-level tokenizer", i, a.Tokenizer)
		}
		if a.Model.Config.VocabSize != w.VocabSize() || !slices.Equal(a.Model.Config.EOSTokenIDs, []int{w.EOS()}) {
			t.Errorf("agent %d: model vocab %d EOS %v, tokenizer %d EOS %d", i, a.Model.Config.VocabSize, a.Model.Config.EOSTokenIDs, w.VocabSize(), w.EOS())
		}
		if got := w.Pieces()[:8]; !slices.Equal(got, env.(envs.Vocab).Vocab()) {
			t.Errorf("agent %d pieces start %q, want the env's vocabulary first", i, got)
		}
		if tr.config.Agents[i].Tokenizer != TokenizerEnv {
			t.Errorf("resolved agent %d tokenizer %q, want %q", i, tr.config.Agents[i].Tokenizer, TokenizerEnv)
		}
	}
	if _, err := tr.Step(); err != nil {
		t.Fatal(err)
	}

	// The checkpoint exports each actor with its tokenizer.json, so the directory is a model.
	dir := t.TempDir()
	if err := tr.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	agentDir := filepath.Join(dir, "agent_0")
	tok, err := lm.TokenizerFor(agentDir)
	if err != nil {
		t.Fatal(err)
	}
	text := "task 0 turn 0 abcd"
	if got, want := tok.Encode(text), tr.Agents[0].Tokenizer.Encode(text); !slices.Equal(got, want) {
		t.Errorf("exported tokenizer encodes %v, the agent's %v", got, want)
	}
	cfg := runConfig("magrpo", nil, 1)
	cfg.Agents = []AgentSpec{{Model: agentDir}, {Model: filepath.Join(dir, "agent_1")}}
	if _, err := build(cfg, env); err != nil {
		t.Errorf("training from the exported agents: %v", err)
	}
}

func TestTokenizerChoice(t *testing.T) {
	plain, err := envs.New("toy-coord", nil)
	if err != nil {
		t.Fatal(err)
	}
	withVocab := toyWithVocab(t)
	for _, tc := range []struct {
		env       envs.Env
		model     string
		tokenizer string
		want      string // resolved tokenizer, or an error fragment
	}{
		{plain, "tiny", "", TokenizerBytes},
		{withVocab, "tiny", "", TokenizerEnv},
		{withVocab, "tiny", TokenizerBytes, TokenizerBytes},
		{plain, "tiny", TokenizerEnv, "has no vocabulary"},
		{withVocab, "tiny", "words", `want "env" or "bytes"`},
		{withVocab, os.TempDir(), TokenizerEnv, "uses its own tokenizer.json"},
	} {
		got, err := resolveTokenizer(AgentSpec{Model: tc.model, Tokenizer: tc.tokenizer}, tc.env)
		switch {
		case err != nil && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s %q: error %v, want %q", tc.model, tc.tokenizer, err, tc.want)
		case err == nil && got.Tokenizer != tc.want:
			t.Errorf("%s %q: resolved %q, want %q", tc.model, tc.tokenizer, got.Tokenizer, tc.want)
		}
	}
	cfg := runConfig("magrpo", nil, 1)
	cfg.Agents = []AgentSpec{{Model: "tiny", Tokenizer: TokenizerBytes}, {Model: "tiny"}}
	tr, err := build(cfg, withVocab)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.Agents[0].Tokenizer.(*tokenizer.ByteLevel); !ok || tr.Agents[0].Model.Config.VocabSize != 260 {
		t.Errorf("agent 0 asked for bytes: %T, vocab %d", tr.Agents[0].Tokenizer, tr.Agents[0].Model.Config.VocabSize)
	}
	if _, ok := tr.Agents[1].Tokenizer.(*tokenizer.WordLevel); !ok {
		t.Errorf("agent 1 default: %T, want the env's word-level tokenizer", tr.Agents[1].Tokenizer)
	}
}

// chatCheckpoint saves a tiny model with the small Qwen2-style tokenizer.json of the tokenizer
// tests and, when withTemplate, Qwen2.5-Instruct's tokenizer_config.json (chat template, EOS
// <|im_end|>), and returns its directory.
func chatCheckpoint(t *testing.T, withTemplate bool) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"tokenizer.json": "tokenizer/testdata/tiny-qwen/tokenizer.json"}
	if withTemplate {
		files["tokenizer_config.json"] = "tokenizer/testdata/chat/qwen2.5/tokenizer_config.json"
	}
	for name, src := range files {
		data, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := lm.PresetFor("tiny", tok)
	if err != nil {
		t.Fatal(err)
	}
	be, err := lm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := lm.NewRandom(be, model.NewStore(), "m", cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestChatTemplatePrompts: an agent with chat_template reads its prompts rendered by the
// checkpoint's template (special tokens as their ids), the other agent the plain prompts.
func TestChatTemplatePrompts(t *testing.T) {
	dir := chatCheckpoint(t, true)
	env, err := envs.New("toy-coord", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := runConfig("magrpo", nil, 1)
	cfg.MC.TasksPerUpdate, cfg.MC.NumGenerations = 1, 2
	cfg.Agents = []AgentSpec{{Model: dir, ChatTemplate: true}, {Model: dir}}
	tr, err := build(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tr.rollout(context.Background(), tr.trainingPlay(0))
	if err != nil {
		t.Fatal(err)
	}
	tok := tr.Agents[0].Tokenizer
	start, _ := tok.TokenID("<|im_start|>system")
	for _, nd := range r.roots {
		text, err := tr.Agents[0].Chat.RenderPrompt(nd.prompts[0])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(text, "<|im_start|>system\n") || !strings.HasSuffix(text, nd.prompts[0]+"<|im_end|>\n<|im_start|>assistant\n") {
			t.Errorf("rendered prompt %q, want Qwen2.5's layout around %q", text, nd.prompts[0])
		}
		if ids := nd.promptIDs[0]; len(ids) == 0 || ids[0] != start || !slices.Equal(ids, tok.Encode(text)) {
			t.Errorf("agent 0 prompt ids %v, want those of the rendered prompt, starting with %d (<|im_start|>system)", ids, start)
		}
		if ids, want := nd.promptIDs[1], tok.Encode(nd.prompts[1]); !slices.Equal(ids, want) {
			t.Errorf("agent 1 (no chat_template) prompt ids %v, want the plain prompt's %v", ids, want)
		}
	}

	// chat_template for a model that has none is a config error naming the agent.
	for _, tc := range []struct{ model, want string }{
		{"tiny", "agent 1: chat_template: preset model tiny has no chat template"},
		{chatCheckpoint(t, false), "agent 1: chat_template: tokenizer: %s: no chat template"},
	} {
		cfg := runConfig("magrpo", nil, 1)
		cfg.Agents = []AgentSpec{{Model: "tiny"}, {Model: tc.model, ChatTemplate: true}}
		want := strings.ReplaceAll(tc.want, "%s", tc.model)
		if _, err := ResolveConfig(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("chat_template with %s: error %v, want %q", tc.model, err, want)
		}
	}
}

// TestExportKeepsTheCheckpointsTokenizer: an agent started from a checkpoint directory is
// exported with that checkpoint's tokenizer files, so the export loads as an agent again, chat
// template included.
func TestExportKeepsTheCheckpointsTokenizer(t *testing.T) {
	dir := chatCheckpoint(t, true)
	cfg := runConfig("magrpo", nil, 1)
	cfg.MC.TasksPerUpdate, cfg.MC.NumGenerations = 1, 2
	cfg.Agents = []AgentSpec{{Model: dir, ChatTemplate: true}, {Model: dir}}
	tr, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "checkpoint")
	if err := tr.SaveCheckpoint(ckpt); err != nil {
		t.Fatal(err)
	}
	exported := filepath.Join(ckpt, "agent_0")
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		want, _ := os.ReadFile(filepath.Join(dir, name))
		got, err := os.ReadFile(filepath.Join(exported, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("exported %s differs from the checkpoint's (%v)", name, err)
		}
	}
	cfg.Agents = []AgentSpec{{Model: exported, ChatTemplate: true}, {Model: exported}}
	if _, err := ResolveConfig(cfg); err != nil {
		t.Errorf("the exported agent does not load as an agent with its chat template: %v", err)
	}
}
