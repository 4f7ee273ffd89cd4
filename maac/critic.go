package maac

import (
	"fmt"
	"strings"
	"time"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/collm/collm/maac/lm"
	"github.com/collm/collm/maac/tokenizer"
)

// Topology says which critics a run has. It is chosen independently of the environment; each
// algorithm accepts some topologies and rejects the others at construction.
type Topology string

const (
	// CriticCentralized is one critic on the joint history (CoLLM-CC).
	CriticCentralized Topology = "centralized"
	// CriticDecentralized is one separate critic model per agent on its own history (CoLLM-DC, a).
	CriticDecentralized Topology = "decentralized"
	// CriticDecentralizedShared is a value head on each actor's own backbone (CoLLM-DC, b).
	CriticDecentralizedShared Topology = "decentralized-shared"
	// CriticNone is no critic (the Monte Carlo family).
	CriticNone Topology = "none"
)

// critic is a causal LM with a value head Linear(d,d) -> tanh -> Linear(d,1) on its last hidden
// state, read at the last token of its input text, in its own scope.
type critic struct {
	name    string
	model   *lm.Model
	tok     tokenizer.Tokenizer
	trainer *lm.Trainer
	value   *model.Exec
}

// newCritic builds a separate critic model from the same source as the actors (same family),
// initialized from its own seed, with a fresh value head.
func newCritic(t *Trainer, name string, spec AgentSpec, lr, valueLossCoef float64, seed uint64) (*critic, error) {
	m, tok, err := loadModel(t.Backend, t.Store, name, spec, t.Env, seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !m.HasValueHead() {
		if err := m.AddValueHead(seed ^ 0x5eed); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	c := &critic{name: name, model: m, tok: tok}
	maxNorm := t.common.MaxGradNorm
	if maxNorm < 0 {
		maxNorm = 0
	}
	cfg := lm.TrainConfig{Name: name, LearningRate: lr, WeightDecay: t.common.WeightDecay, MaxGradNorm: maxNorm}
	// critic loss = value_loss_coef * mean((y - V_phi(h))^2)
	loss := func(g *Graph, in []*Node) (*Node, []*Node) {
		ids, mask, index, targets, weights := in[0], in[1], in[2], in[3], in[4]
		values := m.Values(m.Hidden(ids, mask), index)
		valueLoss := MulScalar(ReduceAllSum(Mul(Square(Sub(values, targets)), weights)), valueLossCoef)
		return valueLoss, nil
	}
	if c.trainer, err = lm.NewTrainer(t.Backend, t.Store, []string{m.Scope}, cfg, loss); err != nil {
		return nil, err
	}
	if c.value, err = valueExec(t, m); err != nil {
		return nil, err
	}
	return c, nil
}

// valueExec returns an executor of V at the given token index of each row (no gradient).
func valueExec(t *Trainer, m *lm.Model) (*model.Exec, error) {
	e, err := model.NewExec(t.Backend, t.Store, func(_ *model.Scope, ids, mask, index *Node) *Node {
		return m.Values(m.Hidden(ids, mask), index)
	})
	if err != nil {
		return nil, err
	}
	e.SetMaxCache(-1)
	return e, nil
}

// encodeTexts tokenizes critic inputs, keeping the last tokens when a text is too long.
func (c *critic) encodeTexts(texts []string) [][]int {
	ids := make([][]int, len(texts))
	for i, text := range texts {
		ids[i], _ = encodePrompt(c.tok, text, c.model.Config.MaxPositionEmbeddings)
	}
	return ids
}

// values returns V at the last token of each text.
func (c *critic) values(texts []string) ([]float64, error) {
	return readValues(c.model, c.value, c.encodeTexts(texts))
}

// readValues runs a value executor on prompt-only rows, reading V at each row's last token.
func readValues(m *lm.Model, exec *model.Exec, rows [][]int) ([]float64, error) {
	n := len(rows)
	padded := rows
	for len(padded) < roundUp(n, 8) {
		padded = append(padded, rows[0])
	}
	b, err := m.PackBatch(padded, nil)
	if err != nil {
		return nil, err
	}
	out, err := exec.Exec(b.IDs, b.Mask, b.PromptEnd)
	if err != nil {
		return nil, err
	}
	v := tensors.MustCopyFlatData[float32](out[0])
	values := make([]float64, n)
	for i := range values {
		values[i] = float64(v[i])
	}
	return values, nil
}

// train runs one critic step on (text, target) pairs and returns the value loss.
func (c *critic) train(texts []string, targets []float64) (float64, error) {
	rows := c.encodeTexts(texts)
	n := len(rows)
	for len(rows) < roundUp(n, 8) {
		rows = append(rows, rows[0])
	}
	b, err := c.model.PackBatch(rows, nil)
	if err != nil {
		return 0, err
	}
	y, w := make([]float32, len(rows)), make([]float32, len(rows))
	for i := range n {
		y[i], w[i] = float32(targets[i]), float32(1/float64(n))
	}
	res, err := c.trainer.Step(b.IDs, b.Mask, b.PromptEnd, y, w)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.name, err)
	}
	return res.Loss, nil
}

// jointHistory is the centralized critic's input: the agents' current prompts as
// "[Agent i] <prompt_i>" blocks separated by blank lines (the reference's format).
func jointHistory(prompts []string) string {
	blocks := make([]string, len(prompts))
	for i, p := range prompts {
		blocks[i] = fmt.Sprintf("[Agent %d] %s", i+1, p)
	}
	return strings.Join(blocks, "\n\n")
}

// jointAction appends the joint action to a joint history for a Q critic.
func jointAction(history string, responses []string) string {
	var b strings.Builder
	b.WriteString(history)
	b.WriteString("\n\n[Joint Action]")
	for i, r := range responses {
		fmt.Fprintf(&b, "\n[Agent %d action]\n%s", i+1, r)
	}
	return b.String()
}

// edgeResponses returns the texts of edge e's joint action.
func edgeResponses(e *edge) []string {
	out := make([]string, len(e.pick))
	for i, k := range e.pick {
		out[i] = e.parent.samples[i][k].Text
	}
	return out
}

// timed adds the duration of fn to metric name.
func timed(m Metrics, name string, fn func() error) error {
	start := time.Now()
	err := fn()
	m[name] += time.Since(start).Seconds()
	return err
}
