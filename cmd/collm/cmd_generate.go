package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/collm/collm/maac/lm"
	"github.com/gomlx/gomlx/ml/model"
)

func init() {
	register(&command{
		name:    "generate",
		summary: "sample a response from a causal LM (HF directory or preset tiny/small)",
		run:     runGenerate,
	})
}

func runGenerate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate", stderr)
	modelFlag := fs.String("model", "tiny", "HF model directory (config.json + safetensors + tokenizer.json) or preset: tiny, small (random weights)")
	prompt := fs.String("prompt", "", "prompt text (required)")
	maxNew := fs.Int("max-new", 64, "maximum number of new tokens: the prompt's tokens plus these must fit the model's context (max_position_embeddings: 256 for tiny, 512 for small)")
	temperature := fs.Float64("temperature", 0, "sampling temperature; 0 = greedy")
	topP := fs.Float64("top-p", 0, "nucleus sampling mass in (0,1]; 0 = off")
	topK := fs.Int("top-k", 0, "keep the K most likely tokens; 0 = off")
	seed := fs.Uint64("seed", 0, "sampling seed")
	initSeed := fs.Uint64("init-seed", 0, "weight seed of a preset model")
	asJSON := fs.Bool("json", false, "print tokens, log-probs and finish reason as JSON")
	var stops stringList
	fs.Var(&stops, "stop", "stop string: the response ends before its first occurrence (repeatable; \\n is a newline)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	if *prompt == "" {
		return usageErrorf("--prompt is required")
	}
	cfg := lm.GenerateConfig{MaxNewTokens: *maxNew, Temperature: *temperature, TopP: *topP, TopK: *topK, Seed: *seed}
	for _, s := range stops {
		cfg.StopStrings = append(cfg.StopStrings, strings.ReplaceAll(s, `\n`, "\n"))
	}
	if *maxNew <= 0 {
		return usageErrorf("--max-new must be > 0, got %d", *maxNew)
	}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	backend, err := lm.NewBackend()
	if err != nil {
		return err
	}
	m, err := lm.LoadOrPreset(backend, model.NewStore(), "model", *modelFlag, *initSeed)
	if err != nil {
		return err
	}
	tok, err := lm.TokenizerFor(*modelFlag)
	if err != nil {
		return err
	}
	if n, ctx := len(tok.Encode(*prompt)), m.Config.MaxPositionEmbeddings; *maxNew > ctx-n {
		return usageErrorf("--max-new %d: the prompt's %d tokens plus the new ones exceed the model's context of %d tokens (max_position_embeddings): use --max-new %d or less",
			*maxNew, n, ctx, max(ctx-n, 0))
	}
	out, err := m.GenerateText(tok, []string{*prompt}, cfg)
	if err != nil {
		return err
	}
	s := out[0]
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"text": s.Text, "tokens": s.Tokens, "logprobs": s.LogProbs,
			"sample_logprobs": s.SampleLogProbs, "finish_reason": s.FinishReason,
		})
	}
	fmt.Fprintln(stdout, s.Text)
	return nil
}
