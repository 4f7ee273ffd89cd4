package maac

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/collm/collm/maac/lm"
	"github.com/collm/collm/maac/tokenizer"
)

// A critic is a value function as the actor-critic algorithms use it. CoLLM-CC has one on the
// joint history; CoLLM-DC one per agent on its own history, either a separate model (lmCritic)
// or a value head on the actor's backbone (headCritic).
type critic interface {
	// nodeValues returns V(h_t) at each node, without gradient, and how many inputs were cut
	// to fit the context.
	nodeValues(nodes []*node) (values []float64, truncated int, err error)
	// edgeValues returns Q(h_t, a_t) of each joint action (Q critics), likewise.
	edgeValues(edges []*edge) (values []float64, truncated int, err error)
	// fit takes one optimizer step towards one target per joint action and returns the value
	// loss; trained is false for a value head on an actor, which trains inside its actor's step.
	fit(edges []*edge, targets []float64) (loss float64, trained bool, err error)
	// optimizerSteps is the number of optimizer steps the critic has taken (checkpointed); a
	// value head's are its actor's.
	optimizerSteps() (int, error)
}

// lmCritic is a separate causal LM with a value head Linear(d,d) -> tanh -> Linear(d,1) on its
// last hidden state, read at the last token of its input text, in its own scope.
type lmCritic struct {
	name    string
	model   *lm.Model
	tok     tokenizer.Tokenizer
	trainer *lm.Trainer
	value   *model.Exec
	// history is the text of a node's history h_t; action that of a joint action's (h_t, a_t).
	history func(nd *node) string
	action  func(e *edge) string
	q       bool
}

// newLMCritic builds a separate critic model from the same source as the actors (same family),
// initialized from its own seed, with a fresh value head. With q it reads action texts.
func newLMCritic(t *Trainer, name string, ac ActorCritic, seed uint64, history func(*node) string, action func(*edge) string) (*lmCritic, error) {
	m, tok, err := loadModel(t.Backend, t.Store, name, t.config.Agents[0], t.Env, seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !m.HasValueHead() {
		if err := m.AddValueHead(seed ^ 0x5eed); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	c := &lmCritic{name: name, model: m, tok: tok, history: history, action: action, q: ac.CriticType == CriticQ}
	// critic loss = value_loss_coef * mean((y - V_phi(h))^2)
	loss := func(g *Graph, in []*Node) (*Node, []*Node) {
		ids, mask, index, targets, weights := in[0], in[1], in[2], in[3], in[4]
		values := m.Values(m.Hidden(ids, mask), index)
		valueLoss := MulScalar(ReduceAllSum(Mul(Square(Sub(values, targets)), weights)), ac.ValueLossCoef)
		return valueLoss, nil
	}
	if c.trainer, err = lm.NewTrainer(t.Backend, t.Store, []string{m.Scope}, t.trainConfig(name, ac.CriticLR), loss); err != nil {
		return nil, err
	}
	if c.value, err = valueExec(t, m); err != nil {
		return nil, err
	}
	return c, nil
}

// input is the critic's text for joint action e: its history, and its action for a Q critic.
func (c *lmCritic) input(e *edge) string {
	if c.q {
		return c.action(e)
	}
	return c.history(e.parent)
}

func (c *lmCritic) nodeValues(nodes []*node) ([]float64, int, error) {
	texts := make([]string, len(nodes))
	for i, nd := range nodes {
		texts[i] = c.history(nd)
	}
	return c.values(texts)
}

func (c *lmCritic) edgeValues(edges []*edge) ([]float64, int, error) {
	texts := make([]string, len(edges))
	for i, e := range edges {
		texts[i] = c.action(e)
	}
	return c.values(texts)
}

// values returns V at the last token of each text.
func (c *lmCritic) values(texts []string) ([]float64, int, error) {
	rows, cut := c.encode(texts)
	values, err := readValues(c.model, c.value, rows)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", c.name, err)
	}
	return values, cut, nil
}

// encode tokenizes critic inputs, keeping the last tokens of a text too long for the context.
func (c *lmCritic) encode(texts []string) (rows [][]int, truncated int) {
	rows = make([][]int, len(texts))
	for i, text := range texts {
		var cut bool
		rows[i], cut = encodePrompt(c.tok, text, c.model.Config.MaxPositionEmbeddings)
		if cut {
			truncated++
		}
	}
	return rows, truncated
}

func (c *lmCritic) fit(edges []*edge, targets []float64) (float64, bool, error) {
	texts := make([]string, len(edges))
	for i, e := range edges {
		texts[i] = c.input(e)
	}
	rows, _ := c.encode(texts)
	n := len(rows)
	b, err := c.model.PackBatch(rows, nil)
	if err != nil {
		return 0, false, err
	}
	b.PadRows(c.model.RowBucket(n)) // empty rows of weight 0: few shapes to compile
	y, w := make([]float32, b.Rows()), make([]float32, b.Rows())
	for i := range n {
		y[i], w[i] = float32(targets[i]), float32(1/float64(n))
	}
	res, err := c.trainer.Step(b.IDs, b.Mask, b.PromptEnd, y, w)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", c.name, err)
	}
	return res.Loss, true, nil
}

func (c *lmCritic) optimizerSteps() (int, error) { return c.trainer.Steps() }

// headCritic is agent i's value head on its actor's backbone (dc-shared), read at the end of
// the agent's prompt. It trains inside the actor's step, with value clipping.
type headCritic struct {
	agent int
	actor *Agent
	value *model.Exec
	steps func() (int, error)
}

func (c *headCritic) nodeValues(nodes []*node) ([]float64, int, error) {
	rows := make([][]int, len(nodes))
	for k, nd := range nodes {
		rows[k] = nd.promptIDs[c.agent]
	}
	values, err := readValues(c.actor.Model, c.value, rows)
	return values, 0, err
}

func (c *headCritic) edgeValues([]*edge) ([]float64, int, error) {
	return nil, 0, errors.New("a value head on an actor reads the value at the prompt: it has no Q values")
}

func (c *headCritic) fit([]*edge, []float64) (float64, bool, error) { return 0, false, nil }

func (c *headCritic) optimizerSteps() (int, error) { return c.steps() }

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

// readValues runs a value executor on prompt-only rows, reading V at each row's last token. The
// batch is padded to the model's row and length buckets (lm.Model.RowBucket, SeqBucket).
func readValues(m *lm.Model, exec *model.Exec, rows [][]int) ([]float64, error) {
	n := len(rows)
	b, err := m.PackBatch(rows, nil)
	if err != nil {
		return nil, err
	}
	b.PadRows(m.RowBucket(n))
	out, err := lm.RunExec(exec, b.IDs, b.Mask, b.PromptEnd)
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

// criticValues are a critic's values at rollout time (no gradient): V_old(h_t) of every node
// for a V critic, Q_old(h_t, a_t) of every joint action for a Q critic.
type criticValues struct {
	q     bool
	nodes map[*node]float64
	edges map[*edge]float64
}

// oldValues evaluates critic c on every node (V) or joint action (Q) of r.
func oldValues(r *rollout, c critic, q bool) (*criticValues, error) {
	var err error
	cv := &criticValues{q: q}
	if q {
		cv.edges, err = valuesOf(r, slices.Concat(r.edges...), c.edgeValues)
	} else {
		cv.nodes, err = valuesOf(r, slices.Concat(r.levels...), c.nodeValues)
	}
	return cv, err
}

// valuesOf evaluates keys in one batch and counts the inputs cut to the context in r.
func valuesOf[K comparable](r *rollout, keys []K, eval func([]K) ([]float64, int, error)) (map[K]float64, error) {
	values, cut, err := eval(keys)
	if err != nil {
		return nil, err
	}
	r.truncated += cut
	out := make(map[K]float64, len(keys))
	for k, key := range keys {
		out[key] = values[k]
	}
	return out, nil
}

// of returns the critic's value of e's decision: V_old(h_t) or Q_old(h_t, a_t).
func (cv *criticValues) of(e *edge) float64 {
	if cv.q {
		return cv.edges[e]
	}
	return cv.nodes[e.parent]
}

// node returns the critic's estimate of V_old at nd: its value, or for a Q critic the mean of
// Q_old over nd's sampled joint actions.
func (cv *criticValues) node(nd *node) float64 {
	if !cv.q {
		return cv.nodes[nd]
	}
	sum := 0.0
	for _, e := range nd.edges {
		sum += cv.edges[e]
	}
	return sum / float64(len(nd.edges))
}

// jointHistory is the centralized critic's input: the agents' current prompts as
// "[Agent i] <prompt_i>" blocks, numbered from 0, separated by blank lines (the reference's
// format).
func jointHistory(prompts []string) string {
	blocks := make([]string, len(prompts))
	for i, p := range prompts {
		blocks[i] = fmt.Sprintf("[Agent %d] %s", i, p)
	}
	return strings.Join(blocks, "\n\n")
}

// jointAction appends the joint action to a joint history for a Q critic: "[Joint Action]" and
// one "[Agent i action]\n<response>" block per agent, all joined by blank lines (the reference's
// format).
func jointAction(history string, responses []string) string {
	var b strings.Builder
	b.WriteString(history)
	b.WriteString("\n\n[Joint Action]")
	for i, r := range responses {
		fmt.Fprintf(&b, "\n\n[Agent %d action]\n%s", i, r)
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
