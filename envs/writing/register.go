package writing

import "github.com/collm/collm/envs"

func init() {
	dataOpts := []envs.Option{
		{Name: "data", Default: "", Help: "JSONL or CSV file (optionally .gz) with one prompt per record; empty: the built-in set"},
		{Name: "field", Default: "", Help: "text field of the data file; empty: the first of the usual names present"},
		{Name: "id_field", Default: "id", Help: "field holding task ids; records without it are named line-N"},
		{Name: "limit", Default: "0", Help: "keep only the first N prompts; 0 keeps all"},
		{Name: "lexicon", Default: "", Help: "lexicon JSON file (stopwords, transition_words); empty: the built-in copy"},
		{Name: "agents", Default: "2", Help: "2: the paper's two agents; 1: one agent writes both paragraphs separated by " + SplitMarker},
	}
	config := func(o *envs.Options) Config {
		return Config{
			Data: o.String("data"), Field: o.String("field"), IDField: o.String("id_field"),
			Limit: o.IntRange("limit", 0, 1<<30), Lexicon: o.String("lexicon"), Agents: o.IntRange("agents", 1, 2),
		}
	}
	envs.Register(envs.Registration{
		Name:    "tldr",
		Summary: "TLDR summarization (2 agents, 1 turn): concise + detailed summary of a post; level-gated reward, max 3",
		Options: dataOpts,
		New: func(o *envs.Options) (envs.Env, error) {
			c := config(o)
			if err := o.Err(); err != nil {
				return nil, err
			}
			return NewTLDR(c)
		},
	})
	envs.Register(envs.Registration{
		Name:    "arxiv",
		Summary: "arXiv abstract expansion (2 agents, 1 turn): background + methodology; level-gated reward, max 3",
		Options: dataOpts,
		New: func(o *envs.Options) (envs.Env, error) {
			c := config(o)
			if err := o.Err(); err != nil {
				return nil, err
			}
			return NewArxiv(c)
		},
	})
	envs.Register(envs.Registration{
		Name:    "writing-mini",
		Summary: "CPU-scale writing (1-4 agents, 1-8 turns): tldr's level-gated reward on <= 24-char answers over a 24-word world",
		Options: []envs.Option{
			{Name: "agents", Default: "2", Help: "1..4; 1: one agent writes short|long; 3-4: agents 2.. write the long part together"},
			{Name: "turns", Default: "1", Help: "1..8; later turns show each agent its previous answer and its score"},
			{Name: "dense", Default: "true", Help: "true: reward every turn; false: reward only at the last turn"},
			{Name: "tasks", Default: "64", Help: "number of posts (1..100000)"},
			{Name: "max_chars", Default: "24", Help: "most characters of one agent's part (>= 8)"},
			{Name: "shaping", Default: "true", Help: "partial credit (<= 0.25) for well-formed text when level 1 fails"},
			{Name: "lexicon", Default: "", Help: "lexicon JSON file; empty: the built-in copy"},
		},
		New: func(o *envs.Options) (envs.Env, error) {
			c := MiniConfig{
				Agents: o.IntRange("agents", 1, 4), Turns: o.IntRange("turns", 1, 8), Sparse: !o.Bool("dense"),
				Tasks: o.IntRange("tasks", 1, 100000), MaxChars: o.IntRange("max_chars", 8, 1<<20),
				NoShaping: !o.Bool("shaping"), Lexicon: o.String("lexicon"),
			}
			if err := o.Err(); err != nil {
				return nil, err
			}
			return NewMini(c)
		},
	})
}
