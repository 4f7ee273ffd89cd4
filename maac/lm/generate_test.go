package lm

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

// spikyModel is a tiny random model with large weights, so its distributions are far from
// uniform and greedy decoding has no near-ties.
func spikyModel(t testing.TB, seed uint64) *Model {
	m := tinyModel(t, model.NewStore(), "agent_0", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	for _, w := range m.Config.weightShapes() {
		if w.init == 'n' {
			if err := m.variable(w.name).SetValue(randomTensor(rng, w.shape, 'n', 0.15)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return m
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

func TestGenerateKVCacheMatchesFullRecompute(t *testing.T) {
	m := spikyModel(t, 1)
	prompt := []int{72, 101, 108, 108, 111, 32}
	out, err := m.Generate([][]int{prompt}, GenerateConfig{MaxNewTokens: 24})
	if err != nil {
		t.Fatal(err)
	}
	s := out[0]
	if len(s.Tokens) == 0 {
		t.Fatal("no tokens generated")
	}
	seq := slices.Clone(prompt)
	for k, tok := range s.Tokens {
		ids := [][]int32{make([]int32, len(seq))}
		mask := [][]int32{make([]int32, len(seq))}
		for i, id := range seq {
			ids[0][i], mask[0][i] = int32(id), 1
		}
		logits := logitsOf(t, m, ids, mask)[0][len(seq)-1]
		if want := argmax(logits); want != tok {
			t.Fatalf("token %d: KV-cache decoding gave %d, full recomputation %d", k, tok, want)
		}
		if lp := logSoftmax64(logits, 1)[tok]; math.Abs(lp-s.LogProbs[k]) > 1e-4 {
			t.Fatalf("token %d: log-prob %g with cache, %g recomputed", k, s.LogProbs[k], lp)
		}
		seq = append(seq, tok)
	}
	// The scoring path must agree with the behavior log-probs returned by Generate.
	sc, err := m.Score([][]int{prompt}, [][]int{s.Tokens})
	if err != nil {
		t.Fatal(err)
	}
	for k := range s.Tokens {
		if math.Abs(sc.LogProbs[0][k]-s.LogProbs[k]) > 1e-4 {
			t.Fatalf("token %d: Score log-prob %g, Generate %g", k, sc.LogProbs[0][k], s.LogProbs[k])
		}
	}
}

func TestGeneratePaddedBatchEqualsSingleRows(t *testing.T) {
	m := spikyModel(t, 2)
	prompts := [][]int{{1, 2, 3}, {40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50}, {200}}
	for _, cfg := range []GenerateConfig{
		{MaxNewTokens: 12},
		{MaxNewTokens: 12, Temperature: 0.8, TopK: 20, TopP: 0.9, Seed: 7},
	} {
		batch, err := m.Generate(prompts, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range prompts {
			// Row i of a batch draws from PCG(seed, i); alone it would be row 0, so pad the
			// single call with copies to keep the row index.
			single, err := m.Generate(append(slices.Repeat([][]int{p}, i), p), cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, want := batch[i], single[i]
			if !slices.Equal(got.Tokens, want.Tokens) || got.FinishReason != want.FinishReason {
				t.Fatalf("cfg %+v row %d: batch %v (%s), alone %v (%s)", cfg, i, got.Tokens, got.FinishReason, want.Tokens, want.FinishReason)
			}
			for k := range got.LogProbs {
				if math.Abs(got.LogProbs[k]-want.LogProbs[k]) > 1e-4 || math.Abs(got.SampleLogProbs[k]-want.SampleLogProbs[k]) > 1e-4 {
					t.Fatalf("row %d token %d: log-probs differ: %g/%g vs %g/%g", i, k,
						got.LogProbs[k], got.SampleLogProbs[k], want.LogProbs[k], want.SampleLogProbs[k])
				}
			}
		}
	}
}

func TestGenerateStopsAndIsDeterministic(t *testing.T) {
	m := spikyModel(t, 3)
	cfg := GenerateConfig{MaxNewTokens: 10, Temperature: 1, Seed: 11}
	a, err := m.Generate([][]int{{5, 6}, {7}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Generate([][]int{{5, 6}, {7}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !slices.Equal(a[i].Tokens, b[i].Tokens) {
			t.Fatalf("same seed, different tokens: %v vs %v", a[i].Tokens, b[i].Tokens)
		}
	}
	// Stopping on the first greedy token: response is exactly that token, reason "stop".
	g, err := m.Generate([][]int{{5, 6}}, GenerateConfig{MaxNewTokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	first := g[0].Tokens[0]
	s, err := m.Generate([][]int{{5, 6}}, GenerateConfig{MaxNewTokens: 10, StopTokens: []int{first}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s[0].Tokens) != 1 || s[0].FinishReason != FinishStop {
		t.Fatalf("stop token %d: got %v (%s)", first, s[0].Tokens, s[0].FinishReason)
	}
	if g[0].FinishReason == FinishLength && len(g[0].Tokens) != 10 {
		t.Fatalf("length finish with %d tokens", len(g[0].Tokens))
	}
	if _, err := m.Generate([][]int{{999}}, GenerateConfig{}); err == nil {
		t.Fatal("token 999 outside the vocabulary: want an error")
	}
}

func TestGenerateStopStrings(t *testing.T) {
	m := spikyModel(t, 3)
	tok := PresetTokenizer()
	prompts := []string{"Hello", "xy"}
	free, err := m.GenerateText(tok, prompts, GenerateConfig{MaxNewTokens: 12, IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	// The stop string is the text of tokens 3 and 4 of row 0's greedy answer: greedy decoding
	// with it must give the same tokens up to the first one that completes it.
	stop := tok.Decode(free[0].Tokens[3:5])
	got, err := m.GenerateText(tok, prompts, GenerateConfig{MaxNewTokens: 12, IgnoreEOS: true, StopStrings: []string{stop}})
	if err != nil {
		t.Fatal(err)
	}
	for row := range prompts {
		want, text := free[row].Tokens, free[row].Text
		reason := FinishLength
		for k := range want {
			if full := tok.Decode(want[:k+1]); strings.Contains(full, stop) {
				want, text, reason = want[:k+1], full[:strings.Index(full, stop)], FinishStop
				break
			}
		}
		g := got[row]
		if !slices.Equal(g.Tokens, want) || g.Text != text || g.FinishReason != reason {
			t.Errorf("row %d, stop %q: got %v %q (%s), want %v %q (%s)", row, stop, g.Tokens, g.Text, g.FinishReason, want, text, reason)
		}
	}
	if got[0].FinishReason != FinishStop {
		t.Errorf("row 0 must stop at its own tokens 3-4, got %s", got[0].FinishReason)
	}

	// Sampled rows: the text never holds the stop string, and a stopped row ends with the token
	// that completed it.
	sampled, err := m.GenerateText(tok, []string{"a", "b", "c", "d"}, GenerateConfig{MaxNewTokens: 30, Temperature: 1, Seed: 5, IgnoreEOS: true, StopStrings: []string{"e", "\n"}})
	if err != nil {
		t.Fatal(err)
	}
	for row, s := range sampled {
		if strings.ContainsAny(s.Text, "e\n") {
			t.Errorf("row %d: text %q holds a stop string", row, s.Text)
		}
		if s.FinishReason == FinishStop && strings.ContainsAny(tok.Decode(s.Tokens[:len(s.Tokens)-1]), "e\n") {
			t.Errorf("row %d: went on after a stop string: %q", row, tok.Decode(s.Tokens))
		}
	}

	for _, c := range []struct {
		cfg  GenerateConfig
		want string
	}{
		{GenerateConfig{StopStrings: []string{"\n"}}, "need Decode"},
		{GenerateConfig{StopStrings: []string{"a", ""}, Decode: tok.Decode}, "StopStrings[1] is empty"},
	} {
		if _, err := m.Generate([][]int{{5}}, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error with %q", c.cfg.StopStrings, err, c.want)
		}
	}
}

func TestSampleTokenTopKTopP(t *testing.T) {
	logits := []float32{3, 2, 1, 0, -1}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[int]bool{}
	for range 500 {
		id, lp, slp, err := sampleToken(logits, GenerateConfig{Temperature: 1, TopK: 2}, rng)
		if err != nil {
			t.Fatal(err)
		}
		seen[id] = true
		if want := logSoftmax64(logits, 1)[id]; math.Abs(lp-want) > 1e-12 {
			t.Fatalf("behavior log-prob %g, want %g", lp, want)
		}
		// Top-2 renormalized: p(0) = e^3/(e^3+e^2).
		p0 := math.Exp(3) / (math.Exp(3) + math.Exp(2))
		want := math.Log(p0)
		if id == 1 {
			want = math.Log(1 - p0)
		}
		if math.Abs(slp-want) > 1e-12 {
			t.Fatalf("sample log-prob of %d: %g, want %g", id, slp, want)
		}
	}
	if len(seen) != 2 || !seen[0] || !seen[1] {
		t.Fatalf("top-k 2 sampled %v", seen)
	}
	// Top-p 0.5: p(0) = 0.636 already reaches 0.5, so only token 0 remains.
	for range 50 {
		if id, _, slp, err := sampleToken(logits, GenerateConfig{Temperature: 1, TopP: 0.5}, rng); err != nil || id != 0 || math.Abs(slp) > 1e-12 {
			t.Fatalf("top-p 0.5 sampled %d (log-prob %g, error %v)", id, slp, err)
		}
	}
}

// GoMLX executors refuse a 33rd input shape by default; RL batches vary in size and length.
func TestManyShapes(t *testing.T) {
	m := tinyModel(t, model.NewStore(), "agent_0", 1)
	for n := 1; n <= 34; n++ {
		prompts := slices.Repeat([][]int{{1}}, n)
		if _, err := m.Score(prompts, slices.Repeat([][]int{{2}}, n)); err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
	}
}
