package writing

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
)

// MiniMarker separates the two parts of a single agent's answer in writing-mini (agents=1).
const MiniMarker = "|"

// miniWords is the vocabulary of writing-mini posts: short content words that are not stopwords
// and contain no transition phrase, so that only deliberate transition words count.
var miniWords = []string{
	"cat", "dog", "sun", "rain", "red", "blue", "tree", "road", "car", "bird", "fish", "milk",
	"cake", "snow", "wind", "hill", "lake", "ship", "star", "moon", "frog", "king", "lamp", "boat",
}

// MiniConfig configures writing-mini. The zero value is the default: 2 agents, 1 turn, dense
// reward, 64 tasks, 24 characters per response, shaping on.
type MiniConfig struct {
	Agents   int  // 1..4; default 2. 1: one agent writes "short|long"; 3-4: agents 2.. write the long part together
	Turns    int  // 1..8; default 1. Later turns show each agent its previous response and the score
	Sparse   bool // pay the reward only at the last turn (default: every turn)
	Tasks    int  // number of posts; default 64
	MaxChars int  // most characters of one agent's part; default 24
	// NoShaping turns off the partial credit for well-formed text when level 1 fails.
	NoShaping bool
	Lexicon   string // lexicon JSON file; "" uses the built-in copy
}

// Validate reports a MiniConfig that cannot be used.
func (c MiniConfig) Validate() error {
	switch {
	case c.Agents < 0 || c.Agents > 4:
		return fmt.Errorf("Agents = %d: want 1..4 (0 means 2)", c.Agents)
	case c.Turns < 0 || c.Turns > 8:
		return fmt.Errorf("Turns = %d: want 1..8 (0 means 1)", c.Turns)
	case c.Tasks < 0 || c.Tasks > 100000:
		return fmt.Errorf("Tasks = %d: want 1..100000 (0 means 64)", c.Tasks)
	case c.MaxChars < 0 || (c.MaxChars > 0 && c.MaxChars < 8):
		return fmt.Errorf("MaxChars = %d: want at least 8 (0 means 24)", c.MaxChars)
	}
	return nil
}

func (c MiniConfig) withDefaults() MiniConfig {
	if c.Agents == 0 {
		c.Agents = 2
	}
	if c.Turns == 0 {
		c.Turns = 1
	}
	if c.Tasks == 0 {
		c.Tasks = 64
	}
	if c.MaxChars == 0 {
		c.MaxChars = 24
	}
	return c
}

// MiniRules are the rules of writing-mini for a configuration: the TLDR bands on texts of at most
// maxChars characters per agent, 1..12 tokens, a Jaccard cap of 0.2 (one shared word out of
// five), grounded words and optional shaping.
func MiniRules(agents, maxChars int, shaping bool) Rules {
	r := TLDRRules
	r.MinTokens, r.MaxTokens = 1, 12
	r.MaxChars = maxChars
	r.MaxChars2 = maxChars
	if agents >= 3 {
		r.MaxChars2 = (agents-1)*maxChars + agents - 2 // the parts joined by spaces
	}
	r.JaccardCap = 0.2
	r.Grounded = true
	r.Shaping = shaping
	return r
}

// Mini is the writing-mini env. It implements envs.Env and envs.TaskNamer.
type Mini struct {
	cfg    MiniConfig
	spec   envs.Spec
	rules  Rules
	lex    *Lexicon
	dense  *reward.Composite // the score shown in the feedback
	scheme *reward.Composite // the reward (sparse or dense)
	posts  [][]string
	vocab  []Vocabulary // per task: the words a response may use
}

// NewMini returns writing-mini; see the package documentation.
func NewMini(c MiniConfig) (*Mini, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	lex, err := loadLexicon(c.Lexicon)
	if err != nil {
		return nil, err
	}
	m := &Mini{
		cfg:   c,
		spec:  envs.Spec{Name: "writing-mini", NumAgents: c.Agents, MaxTurns: c.Turns},
		rules: MiniRules(c.Agents, c.MaxChars, !c.NoShaping),
		lex:   lex,
	}
	m.dense = m.rules.schemeWith(lex, false)
	m.scheme = m.rules.schemeWith(lex, c.Sparse)
	for t := range c.Tasks {
		rng := rand.New(rand.NewPCG(uint64(t), 0x5eed))
		perm := rng.Perm(len(miniWords))
		post := make([]string, 4+t%3)
		voc := Vocabulary{}
		for _, w := range miniFunctionWords {
			voc[w] = false
		}
		for i := range post {
			post[i] = miniWords[perm[i]]
			voc[post[i]] = true
		}
		m.posts = append(m.posts, post)
		m.vocab = append(m.vocab, voc)
	}
	return m, nil
}

// Spec implements envs.Env.
func (m *Mini) Spec() envs.Spec { return m.spec }

// NumTasks implements envs.Env.
func (m *Mini) NumTasks() int { return len(m.posts) }

// Rules returns the reward rules.
func (m *Mini) Rules() Rules { return m.rules }

// Post returns the words of a task's post.
func (m *Mini) Post(task int) []string { return append([]string(nil), m.posts[task]...) }

// TaskID implements envs.TaskNamer: "mini-N".
func (m *Mini) TaskID(task int) string { return fmt.Sprintf("mini-%d", task) }

// TaskIndex implements envs.TaskNamer.
func (m *Mini) TaskIndex(id string) (int, error) {
	var n int
	if _, err := fmt.Sscanf(id, "mini-%d", &n); err != nil || id != m.TaskID(n) || n < 0 || n >= len(m.posts) {
		return 0, fmt.Errorf("env writing-mini: unknown task id %q (want mini-0 .. mini-%d)", id, len(m.posts)-1)
	}
	return n, nil
}

// Roles returns the tag that ends each agent's prompt: "both" for one agent, "short" and "long"
// for two, "short", "long1", "long2", ... for more.
func (m *Mini) Roles() []string {
	switch n := m.spec.NumAgents; n {
	case 1:
		return []string{"both"}
	case 2:
		return []string{"short", "long"}
	default:
		roles := []string{"short"}
		for i := 1; i < n; i++ {
			roles = append(roles, fmt.Sprintf("long%d", i))
		}
		return roles
	}
}

// Reset implements envs.Env. The seed is unused: the task has no randomness.
func (m *Mini) Reset(task int, seed int64) (envs.State, error) {
	if task < 0 || task >= len(m.posts) {
		return nil, fmt.Errorf("env writing-mini: task %d out of range [0, %d)", task, len(m.posts))
	}
	prompts := make([]string, m.spec.NumAgents)
	for i, role := range m.Roles() {
		prompts[i] = "post: " + strings.Join(m.posts[task], " ") + "\n" + role + ":"
	}
	return &miniState{m: m, task: task, prompts: prompts}, nil
}

// miniFunctionWords are the function words of writing-mini answers: short stopwords and
// one-word transition phrases of several categories (cause_effect: so, then, thus, hence;
// contrast: but, yet, still; sequence: first, next, then, later; elaboration: also; condition:
// if; time: when, as, after, before).
var miniFunctionWords = []string{
	"a", "the", "and", "is", "it", "of", "to", "in", "on", "so", "then", "thus", "hence", "but", "yet",
	"still", "first", "next", "later", "also", "if", "when", "as", "after", "before",
}

// Vocab implements envs.Vocab: every word an answer may use (the 24 post words and the
// function words) with a leading space, so each token is a whole word and any sequence of them
// decodes to space-separated words; the marker " |"; and the fixed parts of the prompts
// ("post:", "\nshort:", "\nlast:", "\nscore:", digits and ".").
func (m *Mini) Vocab() []string {
	out := []string{"post:", "\nlast:", "\nscore:", " " + MiniMarker, "."}
	for _, r := range m.Roles() {
		out = append(out, "\n"+r+":")
	}
	for d := range 10 {
		out = append(out, fmt.Sprint(d), fmt.Sprintf(" %d", d))
	}
	for _, w := range append(slices.Clone(miniWords), miniFunctionWords...) {
		out = append(out, " "+w)
	}
	return out
}

// Pair maps the agents' responses to the two texts the reward compares.
func (m *Mini) Pair(responses []string) (c1, c2 string, splitFound bool) {
	switch len(responses) {
	case 0:
		return "", "", false
	case 1:
		before, after, found := strings.Cut(responses[0], MiniMarker)
		return strings.TrimSpace(before), strings.TrimSpace(after), found
	default:
		return responses[0], strings.Join(responses[1:], " "), true
	}
}

type miniState struct {
	m       *Mini
	task    int
	turn    int
	prompts []string
}

func (s *miniState) Turn() int { return s.turn }

func (s *miniState) Prompts() []string { return append([]string(nil), s.prompts...) }

func (s *miniState) Step(responses []string) (envs.Transition, error) {
	m := s.m
	if err := envs.CheckResponses(m.spec, responses); err != nil {
		return envs.Transition{}, err
	}
	c1, c2, found := m.Pair(responses)
	last := s.turn == m.spec.MaxTurns-1
	in := reward.Input{Responses: []string{c1, c2}, Prompts: s.prompts, Task: s.task, Turn: s.turn, Last: last, Data: m.vocab[s.task]}
	res := m.scheme.Score(in)
	info := m.rules.Metrics(m.lex, c1, c2)
	info["levels_passed"] = float64(res.Levels)
	if m.spec.NumAgents == 1 {
		info["split_found"] = b2f(found)
	}
	tr := envs.Transition{Reward: res.Total, Parts: res.Parts, Stopped: res.Stopped, Info: info, Done: last}
	if last {
		return tr, nil
	}
	score := res.Total
	if m.cfg.Sparse {
		score = m.dense.Score(in).Total
	}
	next := &miniState{m: m, task: s.task, turn: s.turn + 1, prompts: make([]string, len(s.prompts))}
	roles := m.Roles()
	for i, r := range responses {
		next.prompts[i] = fmt.Sprintf("post: %s\nlast: %s\nscore: %.2f\n%s:",
			strings.Join(m.posts[s.task], " "), feedbackText(r, 2*m.cfg.MaxChars+1), score, roles[i])
	}
	tr.Next = next
	return tr, nil
}

// feedbackText is a response as shown in the next prompt: one line, at most n runes, so a
// runaway response cannot blow up the prompt.
func feedbackText(s string, n int) string {
	if len(s) > 4*n { // n runes take at most 4n bytes; keeps a huge answer cheap
		s = s[:4*n]
	}
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n])
	}
	return s
}

// RewardParts implements envs.PartNamer: the reward's components in evaluation order.
func (m *Mini) RewardParts() []string { return m.scheme.Names() }
