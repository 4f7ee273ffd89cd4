package lm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
)

// graphSampler runs sampleNodes on host logits [B][V] with one uniform number per row.
type graphSampler struct {
	t     testing.TB
	execs map[samplerKind]*Exec
}

func newGraphSampler(t testing.TB) *graphSampler {
	return &graphSampler{t: t, execs: map[samplerKind]*Exec{}}
}

func (s *graphSampler) draw(logits [][]float32, u []float64, cfg GenerateConfig) (ids []int32, lps, slps []float64, badIDs []int32) {
	s.t.Helper()
	kind := cfg.sampler()
	e := s.execs[kind]
	if e == nil {
		e = MustNewExec(testBackend(s.t), func(logits, u, temperature, topK, topP *Node) []*Node {
			d := sampleNodes(kind, logits, u, temperature, topK, topP)
			return []*Node{d.id, d.logProb, d.sampleLogProb, d.badID}
		})
		s.execs[kind] = e
	}
	out, err := e.Exec(logits, u, cfg.Temperature, int32(cfg.TopK), cfg.TopP)
	if err != nil {
		s.t.Fatal(err)
	}
	return out[0].Value().([]int32), out[1].Value().([]float64), out[2].Value().([]float64), out[3].Value().([]int32)
}

// replay is a rand source that hands out the given numbers: the host sampler draws exactly
// the uniform number the graph got.
type replay struct{ u float64 }

func (r *replay) Uint64() uint64 { return uint64(r.u * (1 << 53)) } // Float64 keeps the low 53 bits

var samplerConfigs = []GenerateConfig{
	{},
	{Temperature: 1},
	{Temperature: 0.7},
	{Temperature: 1, TopK: 5},
	{Temperature: 0.6, TopP: 0.6}, // maac's default
	{Temperature: 1.3, TopK: 10, TopP: 0.9},
	{Temperature: 1, TopK: 1},
	{Temperature: 1, TopP: 1e-9},
	{Temperature: 1, TopK: 2},   // on TestGraphSamplerDistribution's logits: cuts between tied tokens
	{Temperature: 1, TopP: 0.5}, // likewise
}

// The graph sampler draws the host sampler's token for the same uniform number, with the same
// log-probs, on random logits of every sampling kind.
func TestGraphSamplerMatchesHostSampler(t *testing.T) {
	s := newGraphSampler(t)
	rng := rand.New(rand.NewPCG(3, 4))
	const rows, vocab = 16, 50
	for _, cfg := range samplerConfigs {
		t.Run(fmt.Sprintf("T=%g,k=%d,p=%g", cfg.Temperature, cfg.TopK, cfg.TopP), func(t *testing.T) {
			for range 20 {
				logits := make([][]float32, rows)
				u := make([]float64, rows)
				for b := range logits {
					logits[b] = make([]float32, vocab)
					for i := range logits[b] {
						logits[b][i] = float32(rng.NormFloat64() * 3)
					}
					u[b] = float64(rng.Uint64()>>11) / (1 << 53)
				}
				ids, lps, slps, bad := s.draw(logits, u, cfg)
				for b := range rows {
					if bad[b] != -1 {
						t.Fatalf("row %d: finite logits reported non-finite at %d", b, bad[b])
					}
					checkDraw(t, logits[b], cfg, u[b], int(ids[b]), lps[b], slps[b], 1e-9)
				}
			}
		})
	}
}

// checkDraw checks a graph draw (token id with log-probs lp, slp) from logits with uniform
// number u against the host sampler, log-probs within tol: the same token for greedy and temperature-only sampling;
// for top-k / top-p, which draw in another order, a token of the host's kept set with its
// sampling log-prob.
func checkDraw(t *testing.T, logits []float32, cfg GenerateConfig, u float64, id int, lp, slp, tol float64) {
	t.Helper()
	want, wantLP, wantSLP, err := sampleToken(logits, cfg, rand.New(&replay{u}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.sampler() == truncatedSampler {
		q := exactDistribution(logits, cfg)
		if q[id] == 0 {
			t.Fatalf("%+v: drew token %d outside the kept set %v", cfg, id, q)
		}
		want, wantSLP = id, math.Log(q[id])
		wantLP = logSoftmax64(logits, 1)[id]
	}
	if id != want {
		t.Fatalf("%+v (u=%v): graph drew %d, host %d", cfg, u, id, want)
	}
	if math.Abs(lp-wantLP) > tol || math.Abs(slp-wantSLP) > tol {
		t.Fatalf("%+v token %d: graph log-probs %v, %v; host %v, %v", cfg, id, lp, slp, wantLP, wantSLP)
	}
}

// exactDistribution is the sampling distribution of cfg over logits, from the definitions
// (softmax at temperature T; the K most likely tokens; then the smallest most-likely prefix of
// those whose renormalized mass reaches P), written independently of both samplers.
func exactDistribution(logits []float32, cfg GenerateConfig) []float64 {
	p := make([]float64, len(logits))
	top := slices.Max(logits)
	sum := 0.0
	for i, v := range logits {
		p[i] = math.Exp((float64(v) - float64(top)) / cfg.Temperature)
		sum += p[i]
	}
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
		p[i] /= sum
	}
	slices.SortStableFunc(order, func(a, b int) int { return -cmpFloat(p[a], p[b]) })
	keep := len(order)
	if cfg.TopK > 0 {
		keep = min(keep, cfg.TopK)
	}
	if cfg.TopP > 0 && cfg.TopP < 1 {
		mass := 0.0
		for _, i := range order[:keep] {
			mass += p[i]
		}
		cum := 0.0
		for n, i := range order[:keep] {
			cum += p[i] / mass
			if cum >= cfg.TopP {
				keep = n + 1
				break
			}
		}
	}
	q := make([]float64, len(p))
	mass := 0.0
	for _, i := range order[:keep] {
		mass += p[i]
	}
	for _, i := range order[:keep] {
		q[i] = p[i] / mass
	}
	return q
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// chiSquare returns Pearson's statistic of counts against probabilities q over the tokens with
// q > 0, its degrees of freedom, and how many draws fell on tokens with q = 0.
func chiSquare(counts []int, q []float64, draws int) (stat float64, dof, impossible int) {
	for i, c := range counts {
		if q[i] == 0 {
			impossible += c
			continue
		}
		want := q[i] * float64(draws)
		stat += (float64(c) - want) * (float64(c) - want) / want
		dof++
	}
	return stat, dof - 1, impossible
}

// chiSquareLimit is a conservative upper quantile (about p = 1e-6) of the chi-square
// distribution with dof degrees of freedom (Wilson–Hilferty approximation, z = 4.75).
func chiSquareLimit(dof int) float64 {
	k := float64(dof)
	c := 1 - 2/(9*k) + 4.75*math.Sqrt(2/(9*k))
	return k * c * c * c
}

// The graph sampler's tokens follow the exact sampling distribution (and so the host
// sampler's): a chi-square test over 20,000 draws on a 6-token vocabulary, per configuration,
// for the graph and, as a control, for the host sampler.
func TestGraphSamplerDistribution(t *testing.T) {
	logits := []float32{2.0, 1.2, 1.2, 0.3, -0.5, -2}
	const draws = 20000
	s := newGraphSampler(t)
	for _, cfg := range samplerConfigs[1:] {
		t.Run(fmt.Sprintf("T=%g,k=%d,p=%g", cfg.Temperature, cfg.TopK, cfg.TopP), func(t *testing.T) {
			q := exactDistribution(logits, cfg)
			rows := make([][]float32, draws)
			for i := range rows {
				rows[i] = logits
			}
			streams := rand.New(rand.NewPCG(11, 12))
			u := make([]float64, draws)
			for i := range u {
				u[i] = streams.Float64()
			}
			ids, _, slps, _ := s.draw(rows, u, cfg)
			graphCounts := make([]int, len(logits))
			for i, id := range ids {
				graphCounts[id]++
				if want := math.Log(q[id]); math.Abs(slps[i]-want) > 1e-9 {
					t.Fatalf("token %d: sampling log-prob %v, want log q = %v", id, slps[i], want)
				}
			}
			hostCounts := make([]int, len(logits))
			host := rand.New(rand.NewPCG(13, 14))
			for range draws {
				id, _, _, err := sampleToken(logits, cfg, host)
				if err != nil {
					t.Fatal(err)
				}
				hostCounts[id]++
			}
			for _, c := range []struct {
				name   string
				counts []int
			}{{"graph", graphCounts}, {"host", hostCounts}} {
				stat, dof, impossible := chiSquare(c.counts, q, draws)
				if impossible > 0 {
					t.Errorf("%s sampler drew %d tokens outside the kept set (counts %v, q %v)", c.name, impossible, c.counts, q)
				}
				if dof > 0 && stat > chiSquareLimit(dof) {
					t.Errorf("%s sampler: chi-square %.1f > %.1f (dof %d): counts %v, want proportions %v", c.name, stat, chiSquareLimit(dof), dof, c.counts, q)
				}
			}
		})
	}
}

// A draw from a skewed distribution must be detected: the test's statistic is not vacuous.
func TestChiSquareRejectsAWrongDistribution(t *testing.T) {
	q := []float64{0.5, 0.3, 0.2}
	stat, dof, _ := chiSquare([]int{5400, 2800, 1800}, q, 10000)
	if stat <= chiSquareLimit(dof) {
		t.Fatalf("chi-square %.1f accepted a distribution 4 points off (limit %.1f)", stat, chiSquareLimit(dof))
	}
}

// Generate's tokens and log-probs are those of the host sampler run on fully recomputed logits
// with row i's PCG(Seed, i) stream (for top-k / top-p: tokens of its kept set, see checkDraw),
// at the reference's default sampling settings among others.
func TestGenerateSamplesLikeTheHostSampler(t *testing.T) {
	m := spikyModel(t, 2)
	prompts := [][]int{{72, 101, 108}, {1, 2, 3, 4, 5, 6, 7}, {9}}
	for _, coarse := range []bool{false, true} { // top-k / top-p on the host, then in the graph
		m.coarseBuckets = coarse
		testGenerateSamplesLikeTheHostSampler(t, m, prompts)
	}
}

func testGenerateSamplesLikeTheHostSampler(t *testing.T, m *Model, prompts [][]int) {
	for _, cfg := range []GenerateConfig{{MaxNewTokens: 12, Seed: 5}, {MaxNewTokens: 12, Temperature: 0.6, TopP: 0.6, Seed: 5},
		{MaxNewTokens: 12, Temperature: 1, Seed: 6}, {MaxNewTokens: 12, Temperature: 1, TopK: 4, Seed: 7}} {
		out, err := m.Generate(prompts, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for b, prompt := range prompts {
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(b)))
			seq := slices.Clone(prompt)
			for k, tok := range out[b].Tokens {
				ids := [][]int32{make([]int32, len(seq))}
				mask := [][]int32{make([]int32, len(seq))}
				for i, id := range seq {
					ids[0][i], mask[0][i] = int32(id), 1
				}
				logits := logitsOf(t, m, ids, mask)[0][len(seq)-1]
				u := 0.0
				if cfg.sampler() != greedySampler {
					u = rng.Float64()
				}
				checkDraw(t, logits, cfg, u, tok, out[b].LogProbs[k], out[b].SampleLogProbs[k], 1e-4) // cache vs recomputation
				seq = append(seq, tok)
			}
		}
	}
}

// Non-finite logits are reported per row (first bad token id), finite rows draw normally, and
// a subnormal temperature puts all the mass on the argmax instead of producing NaN.
func TestGraphSamplerNonFiniteAndTinyTemperature(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	logits := [][]float32{{3, 2, nan, 0, nan}, {inf, 2, 1, 0, -1}, {-inf, -inf, -inf, -inf, -inf}, {3, 2, 1, 0, -1}}
	u := []float64{0.5, 0.5, 0.5, 0.999}
	s := newGraphSampler(t)
	for _, cfg := range samplerConfigs {
		_, _, _, bad := s.draw(logits, u, cfg)
		if want := []int32{2, 0, 0, -1}; !slices.Equal(bad, want) {
			t.Errorf("%+v: bad token ids %v, want %v", cfg, bad, want)
		}
	}
	ids, lps, slps, _ := s.draw(logits, u, GenerateConfig{Temperature: 1e-310, TopP: 0.9})
	if ids[3] != 0 || slps[3] != 0 || math.IsNaN(lps[3]) {
		t.Fatalf("temperature 1e-310: token %d, log-probs %v, %v; want token 0 with sampling log-prob 0", ids[3], lps[3], slps[3])
	}
	ids, _, slps, _ = s.draw(logits, u, GenerateConfig{Temperature: 1e-310})
	if ids[3] != 0 || slps[3] != 0 {
		t.Fatalf("temperature 1e-310 without truncation: token %d, sampling log-prob %v; want 0, 0", ids[3], slps[3])
	}
}

// BenchmarkSamplerBigVocab: one draw for 8 rows over Qwen2.5's vocabulary (151,936 tokens) at
// the reference's sampling settings (temperature 0.6, top-p 0.6), in the graph (bisection for
// the nucleus, logits copied in) and with the host sampler it replaced.
func BenchmarkSamplerBigVocab(b *testing.B) {
	const rows, vocab = 8, 151936
	rng := rand.New(rand.NewPCG(1, 2))
	logits := make([][]float32, rows)
	for i := range logits {
		logits[i] = make([]float32, vocab)
		for j := range logits[i] {
			logits[i][j] = float32(rng.NormFloat64() * 3)
		}
	}
	u := make([]float64, rows)
	cfg := GenerateConfig{Temperature: 0.6, TopP: 0.6}
	b.Run("graph", func(b *testing.B) {
		s := newGraphSampler(b)
		for b.Loop() {
			s.draw(logits, u, cfg)
		}
	})
	b.Run("host", func(b *testing.B) {
		for b.Loop() {
			for _, l := range logits {
				sampleToken(l, cfg, rng)
			}
		}
	})
}
