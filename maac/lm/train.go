package lm

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TrainConfig configures a Trainer: AdamW with global-norm gradient clipping.
type TrainConfig struct {
	// LearningRate of AdamW. Default 1e-4.
	LearningRate float64
	// WeightDecay is AdamW's decoupled decay (w -= lr*wd*w), applied to every trained variable
	// as torch.optim.AdamW(model.parameters()) does. Default 0.
	WeightDecay float64
	// Beta1, Beta2, Epsilon of Adam. Defaults 0.9, 0.999, 1e-8.
	Beta1, Beta2, Epsilon float64
	// MaxGradNorm clips the global L2 norm of the gradient over all trained variables; 0 = off.
	MaxGradNorm float64
	// Name scopes the optimizer state (Adam moments, step, learning rate) under "/_optim/<Name>",
	// so several trainers (one per agent, one per critic) share a Store. A new Trainer with the
	// Name of an earlier one continues its state. Required.
	Name string
}

func (c TrainConfig) withDefaults() TrainConfig {
	if c.LearningRate == 0 {
		c.LearningRate = 1e-4
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Epsilon == 0 {
		c.Epsilon = 1e-8
	}
	return c
}

// Validate reports a bad field.
func (c TrainConfig) Validate() error {
	switch {
	case c.Name == "" || strings.Contains(c.Name, "/"):
		return fmt.Errorf("lm trainer: Name must be a non-empty name without '/', got %q (e.g. \"agent_0\")", c.Name)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("lm trainer: LearningRate must be a finite number > 0, got %g", c.LearningRate)
	case c.WeightDecay < 0:
		return fmt.Errorf("lm trainer: WeightDecay must be >= 0, got %g", c.WeightDecay)
	case c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1:
		return fmt.Errorf("lm trainer: Beta1 and Beta2 must be in [0,1), got %g and %g", c.Beta1, c.Beta2)
	case !(c.Epsilon > 0):
		return fmt.Errorf("lm trainer: Epsilon must be > 0, got %g", c.Epsilon)
	case c.MaxGradNorm < 0:
		return fmt.Errorf("lm trainer: MaxGradNorm must be >= 0 (0 = off), got %g", c.MaxGradNorm)
	}
	return nil
}

// LossFn builds a scalar float32 loss from the step inputs; extra outputs (e.g. metrics) are
// returned in StepResult.Extra. It may use any models of the Store (graph-building function).
type LossFn func(g *Graph, inputs []*Node) (loss *Node, extra []*Node)

// Trainer runs optimizer steps on the trainable variables under some scopes for a loss the caller
// builds. Create one per optimizer (e.g. per actor and per critic).
//
// Step computes the loss's gradient and applies it. For gradient accumulation, Gradient returns
// the flattened gradient of a part of the batch without changing anything, and ApplyGradient
// applies a gradient the caller assembled (e.g. the sum of the parts' gradients, when each
// part's loss is its share of the whole batch's): the same AdamW step, clipping included.
type Trainer struct {
	cfg     TrainConfig
	store   *model.Store
	scopes  []string
	loss    LossFn
	step    *model.Exec
	grad    *model.Exec
	apply   *model.Exec
	vars    []*model.Variable
	optPath string
}

// StepResult is the outcome of one Step or Gradient call.
type StepResult struct {
	Loss float64
	// GradNorm is the global L2 norm of the gradient before clipping.
	GradNorm float64
	// Gradient is the flattened unclipped gradient, in the order of Trainer.Variables (Gradient
	// only).
	Gradient []float32
	// Extra are the loss function's extra outputs.
	Extra []*tensors.Tensor
}

// NewTrainer returns a trainer for the trainable variables under scopes (absolute, e.g.
// m.Scope) that the loss uses. Frozen variables (LoRA bases) get neither gradients nor state.
func NewTrainer(backend compute.Backend, store *model.Store, scopes []string, cfg TrainConfig, loss LossFn) (*Trainer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(scopes) == 0 || loss == nil {
		return nil, errors.New("lm trainer: need at least one scope and a loss function")
	}
	t := &Trainer{cfg: cfg, store: store, loss: loss, optPath: "/_optim/" + cfg.Name}
	for _, s := range scopes {
		t.scopes = append(t.scopes, "/"+strings.Trim(s, "/"))
	}
	var err error
	if t.step, err = model.NewExecCanonical(backend, store, t.graphFn(true), -1, -1, false, true, true); err != nil {
		return nil, err
	}
	if t.grad, err = model.NewExecCanonical(backend, store, t.graphFn(false), -1, -1, false, true, true); err != nil {
		return nil, err
	}
	if t.apply, err = model.NewExecCanonical(backend, store, t.applyFn, -1, -1, false, true, true); err != nil {
		return nil, err
	}
	t.step.SetMaxCache(maxCompiledShapes)
	t.grad.SetMaxCache(maxCompiledShapes)
	lr := tensors.FromScalar(float32(cfg.LearningRate))
	if v := store.GetVariable(t.optPath + "/learning_rate"); v != nil {
		// A trainer of the same name continues the optimizer state (moments, step) of the last.
		if err := v.SetValue(lr); err != nil {
			return nil, fmt.Errorf("lm trainer: %w", err)
		}
	} else {
		v, err := store.CreateVariable(t.optPath+"/learning_rate", lr)
		if err != nil {
			return nil, fmt.Errorf("lm trainer: %w", err)
		}
		v.SetTrainable(false)
	}
	return t, nil
}

func (t *Trainer) owns(v *model.Variable) bool {
	if !v.Trainable || strings.HasPrefix(v.Path(), "/_optim/") {
		return false
	}
	for _, s := range t.scopes {
		if strings.HasPrefix(v.Path(), s+"/") {
			return true
		}
	}
	return false
}

// zeroVar returns the optimizer state variable at path, creating it with zeros.
func (t *Trainer) zeroVar(path string, shape shapes.Shape) *model.Variable {
	v := t.store.GetVariable(path)
	if v == nil {
		var err error
		v, err = t.store.CreateVariable(path, tensors.FromShape(shape))
		if err != nil {
			panic(err)
		}
	}
	v.SetTrainable(false)
	return v
}

func (t *Trainer) graphFn(update bool) model.CanonicalExecGraphFn {
	return func(_ *model.Scope, g *Graph, inputs []*Node) []*Node {
		t.store.SetTraining(g, true)
		model.SetGraphParam(g, trainedParam, t.owns)
		loss, extra := t.loss(g, inputs)
		if !loss.Shape().IsScalar() || loss.DType() != dtypes.Float32 {
			panic(fmt.Sprintf("lm trainer: the loss must be a float32 scalar, got %s", loss.Shape()))
		}
		var vars []*model.Variable
		var values []*Node
		for v := range t.store.IterVariables() {
			if t.owns(v) && v.InUseByGraph(g) {
				vars = append(vars, v)
				values = append(values, v.NodeValue(g))
			}
		}
		if len(vars) == 0 {
			panic(fmt.Sprintf("lm trainer %q: the loss uses no trainable variable under %v", t.cfg.Name, t.scopes))
		}
		t.vars = vars
		grads := Gradient(loss, values...)
		sq := ScalarZero(g, dtypes.Float32)
		for _, gr := range grads {
			sq = Add(sq, ReduceAllSum(Square(gr)))
		}
		norm := Sqrt(sq)
		outs := []*Node{loss, norm}
		if update {
			outs = append(outs, t.adamW(g, vars, values, grads, norm))
		} else {
			flat := make([]*Node, len(grads))
			for i, gr := range grads {
				flat[i] = Reshape(gr, gr.Shape().Size())
			}
			outs = append(outs, Concatenate(flat, 0))
		}
		return append(outs, extra...)
	}
}

// applyFn is the graph of ApplyGradient: one input, the flattened gradient of t.vars; outputs
// its norm and adamW's sums of the new values.
func (t *Trainer) applyFn(_ *model.Scope, g *Graph, inputs []*Node) []*Node {
	t.store.SetTraining(g, true)
	flat := inputs[0]
	values, grads := make([]*Node, len(t.vars)), make([]*Node, len(t.vars))
	off := 0
	for i, v := range t.vars {
		size := v.Shape().Size()
		values[i] = v.NodeValue(g)
		grads[i] = Reshape(Slice(flat, AxisRange(off, off+size)), v.Shape().Dimensions...)
		off += size
	}
	norm := Sqrt(ReduceAllSum(Square(flat)))
	return []*Node{norm, t.adamW(g, t.vars, values, grads, norm)}
}

// adamW applies one AdamW update (torch.optim.AdamW semantics) with optional global-norm clipping.
// It returns a [len(vars)] float32 vector, the sum of each variable's new value: NaN or infinite
// where the value holds a NaN or an infinity (a step too large), which checkFinite reports. One
// summing pass is cheaper than testing every value, and a sum of finite weights is only
// infinite beyond float32's range (about 3e38), where a model is lost anyway.
func (t *Trainer) adamW(g *Graph, vars []*model.Variable, values, grads []*Node, norm *Node) *Node {
	c := t.cfg
	scalar := shapes.Make(dtypes.Float32)
	stepVar := t.zeroVar(t.optPath+"/step", scalar)
	step := AddScalar(stepVar.NodeValue(g), 1)
	stepVar.SetNodeValue(step)
	lr := t.store.GetVariable(t.optPath + "/learning_rate").NodeValue(g)
	bc1 := OneMinus(Pow(Scalar(g, dtypes.Float32, c.Beta1), step))
	bc2 := OneMinus(Pow(Scalar(g, dtypes.Float32, c.Beta2), step))
	clip := ScalarOne(g, dtypes.Float32)
	if c.MaxGradNorm > 0 {
		clip = Min(clip, Div(Scalar(g, dtypes.Float32, c.MaxGradNorm), AddScalar(norm, 1e-6)))
	}
	sums := make([]*Node, len(vars))
	for i, v := range vars {
		gr := Mul(grads[i], clip)
		mVar := t.zeroVar(t.optPath+v.Path()+".adam_m", v.Shape())
		vVar := t.zeroVar(t.optPath+v.Path()+".adam_v", v.Shape())
		m1 := Add(MulScalar(mVar.NodeValue(g), c.Beta1), MulScalar(gr, 1-c.Beta1))
		m2 := Add(MulScalar(vVar.NodeValue(g), c.Beta2), MulScalar(Square(gr), 1-c.Beta2))
		mVar.SetNodeValue(m1)
		vVar.SetNodeValue(m2)
		denom := AddScalar(Div(Sqrt(m2), Sqrt(bc2)), c.Epsilon)
		upd := Div(Div(m1, bc1), denom)
		w := values[i]
		if c.WeightDecay > 0 {
			upd = Add(upd, MulScalar(w, c.WeightDecay))
		}
		nw := Sub(w, Mul(lr, upd))
		v.SetNodeValue(nw)
		sums[i] = ReduceAllSum(nw)
	}
	return Stack(sums, 0)
}

func (t *Trainer) run(e *model.Exec, update bool, inputs []any) (StepResult, error) {
	outs, err := RunExec(e, inputs...)
	if err != nil {
		return StepResult{}, fmt.Errorf("lm trainer %q: %w", t.cfg.Name, err)
	}
	r := StepResult{Loss: float64(tensors.ToScalar[float32](outs[0])), GradNorm: float64(tensors.ToScalar[float32](outs[1]))}
	outs = outs[2:]
	var sums []float32
	if update {
		sums = tensors.MustCopyFlatData[float32](outs[0])
	} else {
		r.Gradient = tensors.MustCopyFlatData[float32](outs[0])
	}
	r.Extra = outs[1:]
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) || math.IsNaN(r.GradNorm) || math.IsInf(r.GradNorm, 0) {
		return r, &NonFiniteError{Scope: t.scopes[0], What: fmt.Sprintf("loss or gradient in optimizer %q (loss %g, gradient norm %g)", t.cfg.Name, r.Loss, r.GradNorm)}
	}
	return r, t.checkFinite(sums)
}

// checkFinite turns adamW's sums of the new values into a *NonFiniteError naming the first
// variable whose new value is not finite.
func (t *Trainer) checkFinite(sums []float32) error {
	if i := firstNonFinite(sums); i >= 0 {
		return &NonFiniteError{Scope: t.scopes[0], What: fmt.Sprintf("weights in %s after a step of optimizer %q (a step too large)", t.vars[i].Path(), t.cfg.Name)}
	}
	return nil
}

// Step computes the loss and gradient for inputs and applies one AdamW update. NaN or infinite
// numbers in the loss, the gradient or the updated weights are a *NonFiniteError; the update
// has then been applied, so the caller must not keep the weights.
func (t *Trainer) Step(inputs ...any) (StepResult, error) { return t.run(t.step, true, inputs) }

// Gradient computes the loss and the flattened gradient (StepResult.Gradient) without changing
// any variable: per micro-batch, for gradient-variance measurements and gradient accumulation.
func (t *Trainer) Gradient(inputs ...any) (StepResult, error) { return t.run(t.grad, false, inputs) }

// ApplyGradient applies one AdamW update, exactly as Step does (clipping to MaxGradNorm by the
// norm of grad, weight decay, the same optimizer state), with grad, a flattened gradient in the
// order of Variables (e.g. the sum of Gradient results whose losses add up to the batch's
// loss). It needs a Gradient or Step call before it (which fixes the variables). The result
// has GradNorm, the norm of grad before clipping, and no Loss. Non-finite numbers are a
// *NonFiniteError as in Step.
func (t *Trainer) ApplyGradient(grad []float32) (StepResult, error) {
	size := 0
	for _, v := range t.vars {
		size += v.Shape().Size()
	}
	if len(t.vars) == 0 || len(grad) != size {
		return StepResult{}, fmt.Errorf("lm trainer %q: ApplyGradient got a gradient of %d values, want %d (one per value of Variables, known after a Gradient or Step call)", t.cfg.Name, len(grad), size)
	}
	outs, err := RunExec(t.apply, grad)
	if err != nil {
		return StepResult{}, fmt.Errorf("lm trainer %q: %w", t.cfg.Name, err)
	}
	r := StepResult{GradNorm: float64(tensors.ToScalar[float32](outs[0]))}
	if math.IsNaN(r.GradNorm) || math.IsInf(r.GradNorm, 0) {
		return r, &NonFiniteError{Scope: t.scopes[0], What: fmt.Sprintf("gradient in optimizer %q (gradient norm %g)", t.cfg.Name, r.GradNorm)}
	}
	return r, t.checkFinite(tensors.MustCopyFlatData[float32](outs[1]))
}

// Variables lists the trained variables in gradient order (valid after the first call).
func (t *Trainer) Variables() []*model.Variable { return t.vars }

// Steps is the number of optimizer steps taken so far (the AdamW step counter, which checkpoints
// keep).
func (t *Trainer) Steps() (int, error) {
	v := t.store.GetVariable(t.optPath + "/step")
	if v == nil {
		return 0, nil
	}
	value, err := v.Value()
	if err != nil {
		return 0, fmt.Errorf("lm trainer %q: step counter: %w", t.cfg.Name, err)
	}
	return int(tensors.ToScalar[float32](value)), nil
}
