package writing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/reward"
)

// SplitMarker separates the two paragraphs of a single agent's answer (agents=1), as in the
// reference's single-agent baseline.
const SplitMarker = "[PARAGRAPH_SPLIT]"

// Config configures the tldr and arxiv envs. The zero value is the paper's two-agent task on
// the built-in prompt set with the built-in lexicon.
type Config struct {
	// Data is a JSONL or CSV file (optionally .gz) with one prompt per record; "" uses the
	// built-in set (12 posts for tldr, 12 abstracts for arxiv).
	Data string
	// Field names the text field of Data; "" takes the first present of "prompt", "text",
	// "post" (tldr) or "abstract_text", "abstract", "text" (arxiv).
	Field string
	// IDField names the field holding task ids; default "id". Records without it are named
	// "line-N" after their line in Data.
	IDField string
	// Limit keeps only the first Limit prompts; 0 keeps all.
	Limit int
	// Lexicon is a lexicon JSON file (format of lexicon.json); "" uses the built-in copy.
	Lexicon string
	// Agents is 2 (the paper's setting, default when 0), or 1: a single agent writes both
	// paragraphs separated by SplitMarker (the single-agent baseline).
	Agents int
}

// Validate reports a Config that cannot be used.
func (c Config) Validate() error {
	if c.Limit < 0 {
		return fmt.Errorf("Limit = %d: want 0 (all prompts) or a positive count", c.Limit)
	}
	if c.Agents != 0 && c.Agents != 1 && c.Agents != 2 {
		return fmt.Errorf("Agents = %d: want 2 (two agents) or 1 (one agent writes both paragraphs)", c.Agents)
	}
	if c.Field != "" && c.Data == "" {
		return errors.New("Field (option field) is set but Data (option data) is empty: Field names a field of the Data file")
	}
	return nil
}

// Env is a writing env: tldr or arxiv. It implements envs.Env and envs.TaskNamer.
type Env struct {
	spec   envs.Spec
	rules  Rules
	lex    *Lexicon
	scheme *reward.Composite
	texts  []string
	ids    []string
	index  map[string]int
	kind   string
}

// NewTLDR returns the TLDR summarization env: agent 1 writes a concise summary of a post,
// agent 2 a detailed one; rewarded with TLDRRules.
func NewTLDR(c Config) (*Env, error) {
	return newEnv("tldr", c, TLDRRules, builtinPosts, "post", "prompt", "text", "post")
}

// NewArxiv returns the arXiv expansion env: from an abstract, agent 1 writes background and
// motivation, agent 2 methodology and implications; rewarded with ArxivRules.
func NewArxiv(c Config) (*Env, error) {
	return newEnv("arxiv", c, ArxivRules, builtinAbstracts, "abstract", "abstract_text", "abstract", "text")
}

func newEnv(kind string, c Config, rules Rules, builtin []string, builtinID string, fields ...string) (*Env, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Agents == 0 {
		c.Agents = 2
	}
	if c.IDField == "" {
		c.IDField = "id"
	}
	e := &Env{spec: envs.Spec{Name: kind, NumAgents: c.Agents, MaxTurns: 1}, rules: rules, kind: kind}
	var err error
	if e.lex, err = loadLexicon(c.Lexicon); err != nil {
		return nil, err
	}
	e.scheme = rules.Scheme(e.lex)
	if c.Data == "" {
		e.texts = builtin
		for i := range builtin {
			e.ids = append(e.ids, fmt.Sprintf("%s-%02d", builtinID, i+1))
		}
	} else {
		recs, texts, err := envs.LoadTexts(c.Data, c.Field, fields...)
		if err != nil {
			return nil, err
		}
		e.texts = texts
		for _, r := range recs {
			id, ok := r.Fields[c.IDField]
			if !ok || id == "" {
				id = "line-" + strconv.Itoa(r.Line)
			}
			e.ids = append(e.ids, id)
		}
	}
	if c.Limit > 0 && c.Limit < len(e.texts) {
		e.texts, e.ids = e.texts[:c.Limit], e.ids[:c.Limit]
	}
	e.index = make(map[string]int, len(e.ids))
	for i, id := range e.ids {
		if prev, dup := e.index[id]; dup {
			return nil, fmt.Errorf("%s: tasks %d and %d share the id %q; ids must be unique", c.Data, prev, i, id)
		}
		e.index[id] = i
	}
	return e, nil
}

func loadLexicon(path string) (*Lexicon, error) {
	if path == "" {
		return DefaultLexicon(), nil
	}
	return LoadLexicon(path)
}

// Spec implements envs.Env.
func (e *Env) Spec() envs.Spec { return e.spec }

// NumTasks implements envs.Env.
func (e *Env) NumTasks() int { return len(e.texts) }

// Rules returns the reward rules of the env.
func (e *Env) Rules() Rules { return e.rules }

// Scheme returns the reward scheme of the env, which scores the pair [c1, c2].
func (e *Env) Scheme() *reward.Composite { return e.scheme }

// Lexicon returns the word lists the reward uses.
func (e *Env) Lexicon() *Lexicon { return e.lex }

// Text returns the post or abstract of a task.
func (e *Env) Text(task int) string { return e.texts[task] }

// TaskID implements envs.TaskNamer.
func (e *Env) TaskID(task int) string { return e.ids[task] }

// TaskIndex implements envs.TaskNamer.
func (e *Env) TaskIndex(id string) (int, error) {
	if i, ok := e.index[id]; ok {
		return i, nil
	}
	return 0, fmt.Errorf("env %s: unknown task id %q (ids look like %q)", e.kind, id, e.ids[0])
}

// Reset implements envs.Env. The seed is unused: the task has no randomness.
func (e *Env) Reset(task int, seed int64) (envs.State, error) {
	if task < 0 || task >= len(e.texts) {
		return nil, fmt.Errorf("env %s: task %d out of range [0, %d)", e.kind, task, len(e.texts))
	}
	return &state{env: e, task: task, prompts: e.prompts(e.texts[task])}, nil
}

func (e *Env) prompts(text string) []string {
	if e.spec.NumAgents == 1 {
		if e.kind == "tldr" {
			return []string{"Summarize this post in exactly two paragraphs.\n\nPost:\n" + text +
				"\n\nInstructions:\n- Paragraph 1: a concise summary of the main points.\n" +
				"- Paragraph 2: a detailed expansion of the summary with more distinct words and some transition words for flow.\n" +
				"- Separate the two paragraphs with exactly " + SplitMarker + "\n"}
		}
		return []string{"Expand this scientific abstract into an introduction of exactly two paragraphs of about the same length.\n\nAbstract:\n" + text +
			"\n\nInstructions:\n- Paragraph 1: background and motivation of the research.\n" +
			"- Paragraph 2: method, contribution and implications of the research.\n" +
			"- Use transition words of several kinds for flow.\n" +
			"- Separate the two paragraphs with exactly " + SplitMarker + "\n"}
	}
	if e.kind == "tldr" {
		return []string{
			"Write a concise summary of this post.\n\nPost:\n" + text +
				"\n\nInstructions:\n- Summarize it briefly and to the point, in one or a few sentences.\n- Stay factual and informative.\n",
			"Write a detailed summary of this post.\n\nPost:\n" + text +
				"\n\nInstructions:\n- Use more distinct words.\n- Use some transition words so that the text flows.\n",
		}
	}
	return []string{
		"Expand the following scientific abstract into content for an introduction section.\n\nAbstract:\n" + text +
			"\n\nInstructions:\n- Another agent writes the methodology and implications.\n- Focus on the background and motivation.\n- Do not repeat methodology or implications.\n",
		"Expand the following scientific abstract into content for an introduction section.\n\nAbstract:\n" + text +
			"\n\nInstructions:\n- Another agent writes the background and motivation.\n- Focus on the methodology and implications.\n- Do not repeat background or motivation.\n",
	}
}

// SplitParagraphs splits a single agent's answer at the first SplitMarker into the two
// trimmed paragraphs. Without the marker the whole answer is the first paragraph and the second
// is empty, which fails level 1 (the strict reading; the reference's evaluator also guesses a
// split, which can game the length ratio).
func SplitParagraphs(answer string) (c1, c2 string, found bool) {
	answer = strings.TrimSpace(answer)
	before, after, found := strings.Cut(answer, SplitMarker)
	return strings.TrimSpace(before), strings.TrimSpace(after), found
}

type state struct {
	env     *Env
	task    int
	prompts []string
}

func (s *state) Turn() int { return 0 }

func (s *state) Prompts() []string { return append([]string(nil), s.prompts...) }

func (s *state) Step(responses []string) (envs.Transition, error) {
	e := s.env
	if err := envs.CheckResponses(e.spec, responses); err != nil {
		return envs.Transition{}, err
	}
	var c1, c2 string
	info := map[string]float64{}
	if e.spec.NumAgents == 1 {
		var found bool
		c1, c2, found = SplitParagraphs(responses[0])
		info["split_found"] = b2f(found)
	} else {
		c1, c2 = responses[0], responses[1]
	}
	res := e.scheme.Score(reward.Input{Responses: []string{c1, c2}, Prompts: s.prompts, Task: s.task, Last: true})
	for k, v := range e.rules.Metrics(e.lex, c1, c2) {
		info[k] = v
	}
	info["levels_passed"] = float64(res.Levels)
	return envs.Transition{Reward: res.Total, Parts: res.Parts, Stopped: res.Stopped, Info: info, Done: true}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// RewardParts implements envs.PartNamer: the reward's components in evaluation order.
func (e *Env) RewardParts() []string { return e.scheme.Names() }
