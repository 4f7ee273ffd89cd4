package lm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func normalTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Float32, dims...))
	tensors.MustMutableFlatData(t, func(flat []float32) {
		for i := range flat {
			flat[i] = float32(rng.NormFloat64())
		}
	})
	return t
}

// maxDifference returns the largest |got - want| and the largest |want|.
func maxDifference(got, want []float32) (worst, scale float64) {
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	return worst, scale
}

// TestTransposesAreExact: transposeMatrix (with and without the split of a multiple of 512
// rows) and transposeLast2 move every value where TransposeAllAxes does.
func TestTransposesAreExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, dims := range [][]int{{1, 5, 3}, {3, 1024, 7}, {4, 64, 32}, {2, 100, 9}} {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			x := normalTensor(rng, dims...)
			e := MustNewExec(testBackend(t), func(x *Node) []*Node {
				m := Reshape(x, dims[0]*dims[1], dims[2])
				return []*Node{
					Equal(transposeMatrix(m), TransposeAllAxes(m, 1, 0)),
					Equal(transposeLast2(x), TransposeAllAxes(x, 0, 2, 1)),
				}
			})
			for i, out := range e.MustExec(x) {
				for j, ok := range tensors.MustCopyFlatData[bool](out) {
					if !ok {
						t.Fatalf("output %d (0: transposeMatrix, 1: transposeLast2) differs at flat index %d", i, j)
					}
				}
			}
		})
	}
}

// TestMatmulBlockedGrad: the value and both gradients of a·b equal DotGeneral's (to float
// rounding), for b in either layout, X = 1, and a row count the transposes split.
func TestMatmulBlockedGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []struct{ x, m, k, n int }{{1, 7, 5, 3}, {8, 64, 32, 64}, {2, 512, 16, 24}} {
		for _, bTransposed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/bTransposed=%v", c, bTransposed), func(t *testing.T) {
				bDims, contracted := []int{c.x, c.k, c.n}, 1
				if bTransposed {
					bDims, contracted = []int{c.x, c.n, c.k}, 2
				}
				a, b, w := normalTensor(rng, c.x, c.m, c.k), normalTensor(rng, bDims...), normalTensor(rng, c.x, c.m, c.n)
				e := MustNewExec(testBackend(t), func(a, b, w *Node) []*Node {
					blocked := matmulBlockedGrad(a, b, bTransposed)
					plain := DotGeneral(a, []int{2}, []int{0}, b, []int{contracted}, []int{0})
					gb, gp := Gradient(ReduceAllSum(Mul(blocked, w)), a, b), Gradient(ReduceAllSum(Mul(plain, w)), a, b)
					return []*Node{blocked, plain, gb[0], gp[0], gb[1], gp[1]} // pairs: blocked, plain
				})
				outs := e.MustExec(a, b, w)
				for i, what := range []string{"a·b", "gradient for a", "gradient for b"} {
					worst, scale := maxDifference(tensors.MustCopyFlatData[float32](outs[2*i]), tensors.MustCopyFlatData[float32](outs[2*i+1]))
					if worst > 1e-5*scale {
						t.Fatalf("%s differs by up to %g (largest value %g)", what, worst, scale)
					}
				}
			})
		}
	}
}

// TestTrainingGraphGradientMatchesPlain: a Trainer's loss and gradient equal those of the same
// loss in a graph that is no Trainer's (plain DotGenerals throughout), weight by weight. The
// training graphs build attention's gradients from blocked transposes and the linear layers'
// weight gradients from blocked transposes at 512 rows (tiny, one query head per KV head) or
// with the fused dense op at 96 (small, two query heads per KV head; tiny's LoRA adapters, on
// frozen base weights).
func TestTrainingGraphGradientMatchesPlain(t *testing.T) {
	for _, c := range []struct {
		preset    string
		rows, seq int
		lora      bool
	}{{"tiny", 8, 64, false}, {"small", 4, 24, false}, {"tiny", 4, 24, true}} {
		t.Run(fmt.Sprintf("%s/%dx%d/lora=%v", c.preset, c.rows, c.seq, c.lora), func(t *testing.T) {
			cfg, err := Preset(c.preset)
			if err != nil {
				t.Fatal(err)
			}
			m, err := NewRandom(testBackend(t), model.NewStore(), "agent_0", cfg, 5)
			if err != nil {
				t.Fatal(err)
			}
			if c.lora {
				if err := m.AddLoRA(LoRAConfig{}); err != nil {
					t.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(5, 5))
			ids, mask, predicted := make([][]int32, c.rows), make([][]int32, c.rows), make([][]float32, c.rows)
			for i := range ids {
				ids[i], mask[i], predicted[i] = make([]int32, c.seq), make([]int32, c.seq), make([]float32, c.seq)
				for j := range c.seq {
					ids[i][j], mask[i][j], predicted[i][j] = int32(rng.IntN(cfg.VocabSize)), int32(min(j+i, 1)), float32(min(j, 1))
				}
			}
			tr, err := NewTrainer(m.Backend, m.Store, []string{m.Scope}, TrainConfig{Name: "a0"}, nllLoss(m))
			if err != nil {
				t.Fatal(err)
			}
			trained, err := tr.Gradient(ids, mask, predicted)
			if err != nil {
				t.Fatal(err)
			}
			loss := nllLoss(m)
			e, err := model.NewExec(m.Backend, m.Store, func(_ *model.Scope, ids, mask, predicted *Node) []*Node {
				g := ids.Graph()
				l, _ := loss(g, []*Node{ids, mask, predicted})
				var values []*Node
				for _, v := range tr.Variables() {
					values = append(values, v.NodeValue(g))
				}
				grads := Gradient(l, values...)
				for i, gr := range grads {
					grads[i] = Reshape(gr, -1)
				}
				return []*Node{l, Concatenate(grads, 0)}
			})
			if err != nil {
				t.Fatal(err)
			}
			outs, err := e.Call(ids, mask, predicted)
			if err != nil {
				t.Fatal(err)
			}
			if want := float64(tensors.ToScalar[float32](outs[0])); math.Abs(trained.Loss-want) > 1e-6*math.Abs(want) {
				t.Errorf("training graph loss %.7f, plain graph %.7f", trained.Loss, want)
			}
			plain := tensors.MustCopyFlatData[float32](outs[1])
			off := 0
			for _, v := range tr.Variables() {
				n := v.Shape().Size()
				worst, scale := maxDifference(trained.Gradient[off:off+n], plain[off:off+n])
				if worst > 1e-4*scale { // float rounding: under 1e-6 here
					t.Errorf("%s: the training graph's gradient differs from the plain graph's by up to %g (largest value %g)", v.Name(), worst, scale)
				}
				off += n
			}
		})
	}
}

// BenchmarkTransposes compares the backend's own transposes with transposeLast2 and
// transposeMatrix on the shapes of tiny's training step (batch 8, 64 tokens: 512 rows, 32 batch
// heads), reporting wall time per value moved (20 chained transposes per graph call).
func BenchmarkTransposes(b *testing.B) {
	for _, c := range []struct {
		name string
		dims []int
		fn   func(x *Node) *Node
	}{
		{"iterator/32x64x64", []int{32, 64, 64}, func(x *Node) *Node { return TransposeAllAxes(x, 0, 2, 1) }},
		{"transposeLast2/32x64x64", []int{32, 64, 64}, transposeLast2},
		{"2-D/512x128", []int{512, 128}, func(x *Node) *Node { return Reshape(TransposeAllAxes(x, 1, 0), 512, 128) }},
		{"transposeMatrix/512x128", []int{512, 128}, func(x *Node) *Node { return Reshape(transposeMatrix(x), 512, 128) }},
		{"2-D/512x384", []int{512, 384}, func(x *Node) *Node { return Reshape(TransposeAllAxes(x, 1, 0), 512, 384) }},
		{"transposeMatrix/512x384", []int{512, 384}, func(x *Node) *Node { return Reshape(transposeMatrix(x), 512, 384) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			const chain = 20
			e := MustNewExec(testBackend(b), func(x *Node) *Node {
				for range chain {
					x = c.fn(x)
				}
				return ReduceAllSum(x)
			})
			x := normalTensor(rand.New(rand.NewPCG(1, 1)), c.dims...)
			e.MustExec1(x)
			for b.Loop() {
				e.MustExec1(x)
			}
			values := float64(chain * shapes.Make(dtypes.Float32, c.dims...).Size())
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/values, "ns/value")
		})
	}
}
