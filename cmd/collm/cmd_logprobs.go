package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/collm/collm/maac/lm"
	"github.com/gomlx/gomlx/ml/model"
)

func init() {
	register(&command{
		name:    "logprobs",
		summary: "print per-token log-probs of a token sequence or of a response after a prompt",
		run:     runLogprobs,
	})
}

func runLogprobs(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("logprobs", stderr)
	modelFlag := fs.String("model", "tiny", "HF model directory or preset: tiny, small (random weights)")
	idsFlag := fs.String("ids", "", "comma-separated token ids; prints log p(ids[t] | ids[:t]) for t = 1..n-1")
	prompt := fs.String("prompt", "", "prompt text (with --response, instead of --ids)")
	response := fs.String("response", "", "response text: prints the log-prob of each response token")
	initSeed := fs.Uint64("init-seed", 0, "weight seed of a preset model")
	asJSON := fs.Bool("json", false, `print {"logprobs":[...]}`)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	var promptIDs, responseIDs []int
	switch {
	case *idsFlag != "" && (*prompt != "" || *response != ""):
		return usageErrorf("give either --ids or --prompt/--response, not both")
	case *idsFlag != "":
		ids, err := parseIDs(*idsFlag)
		if err != nil {
			return usageErrorf("--ids: %v", err)
		}
		if len(ids) < 2 {
			return usageErrorf("--ids needs at least 2 ids, got %d", len(ids))
		}
		promptIDs, responseIDs = ids[:1], ids[1:]
	case *prompt != "" && *response != "":
	default:
		return usageErrorf("give --ids, or --prompt and --response")
	}
	backend, err := lm.NewBackend()
	if err != nil {
		return err
	}
	m, err := lm.LoadOrPreset(backend, model.NewStore(), "model", *modelFlag, *initSeed)
	if err != nil {
		return err
	}
	if *idsFlag == "" {
		tok, err := lm.TokenizerFor(*modelFlag)
		if err != nil {
			return err
		}
		promptIDs, responseIDs = tok.Encode(*prompt), tok.Encode(*response)
		if len(promptIDs) == 0 || len(responseIDs) == 0 {
			return usageErrorf("--prompt and --response must each encode to at least one token")
		}
	}
	for i, id := range append(append([]int(nil), promptIDs...), responseIDs...) {
		if id >= m.Config.VocabSize {
			return usageErrorf("token id %d (position %d) is outside the vocabulary [0,%d) of %s", id, i, m.Config.VocabSize, *modelFlag)
		}
	}
	sc, err := m.Score([][]int{promptIDs}, [][]int{responseIDs})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string][]float64{"logprobs": sc.LogProbs[0]})
	}
	for i, lp := range sc.LogProbs[0] {
		fmt.Fprintf(stdout, "%d\t%d\t%.6f\n", i+len(promptIDs), responseIDs[i], lp)
	}
	return nil
}

func parseIDs(s string) ([]int, error) {
	var ids []int
	for i, f := range strings.Split(s, ",") {
		id, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("entry %d %q is not an integer", i, f)
		}
		if id < 0 {
			return nil, fmt.Errorf("entry %d is negative (%d)", i, id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
