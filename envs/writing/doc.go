// Package writing holds the writing domain of the paper: "tldr" (TLDR summarization) and "arxiv"
// (arXiv abstract expansion), two agents and one turn each, and "writing-mini", a CPU-scale
// variant for tiny models trained from scratch.
//
// # Rewards
//
// The rewards follow the reference implementation (OpenMLRL/LLM_Collab_Writing) exactly; see
// Rules for the four levels. Text measures match its Python: tokens are str.split() tokens,
// words are \b\w+\b matches on the lowercased text (Unicode \w), lengths count code points,
// unique counts include stopwords, Jaccard drops them (two empty sets give 1), and a transition
// category counts when any of its phrases is a plain substring of the lowercased text ("so"
// inside "also", "as" inside "was"). The word lists are lexicon.json, embedded (a copy of
// ../shared/data/writing/lexicon.json); the lexicon option reads another file. The reward parts
// are tokens, length_ratio, unique_ratio (level points), transition (T in [0,1], weight 0.4) and
// jaccard (min(J,cap)/cap, weight 0.6); Info holds the raw measures and levels_passed.
//
// With agents=1 a single agent writes both paragraphs separated by [PARAGRAPH_SPLIT] (the
// single-agent baseline); a missing marker leaves the second paragraph empty, which fails
// level 1.
//
// # writing-mini
//
// Each task is a "post" of 4-6 words drawn from 24 short words (cat, sun, boat, ...). Agent 1
// sees "post: cat sun boat red\nshort:" and writes the concise part c1, agent 2 sees the same
// post ending in "long:" and writes the detailed part c2. Answers are written in a 49-word
// language: the 24 post words and 25 function words (a, the, so, then, but, still, also, ...;
// short stopwords and one-word transition phrases of several categories). Every answer is at
// most 24 characters (max_chars). The reward is the TLDR reward with the same four levels,
// bands and weights, only rescaled to texts of a few words:
//
//	level 1  tokens        real: both 8..256 tokens.  mini: both 1..12 tokens, <= max_chars
//	                       characters each, and grounded: every token is a word of the post or
//	                       one of the function words, and each text uses a word
//	                       of the post (stands in for "a summary of this post", which a tiny
//	                       model cannot be asked for in words; it also closes the holes a
//	                       policy trained from scratch finds at once: punctuation-only texts pass
//	                       the real levels 1-2, and stopword-only texts get Jaccard 1).
//	level 2  length_ratio  same: chars(c2)/chars(c1), plateau [1.6, 3.2], ramps to 1.1 and 5.0.
//	level 3  unique_ratio  same: unique(c2)/unique(c1) >= 2 pays 0.5, ramp from 1.3.
//	level 4  transition    same: 0.4 * T(c2), T from the real lexicon (e.g. "so", "then", "but").
//	         jaccard       0.6 * min(J, 0.2)/0.2 instead of 0.03: one shared content word out of
//	                       five, as the real cap asks for a few shared words out of ~100.
//
// So a good joint answer is "cat sun" + "so cat red boat": agent 2 must be about twice as long,
// use twice the distinct words, reuse a word of agent 1 and add a transition word; the levels
// make the agents agree on lengths before style pays. The maximum is 0.5+1+0.5+0.4*0.95+0.6 =
// 2.98 (at most 12 categories), as for tldr.
//
// Knobs: agents=1 (one agent writes "short|long", split at the first "|"), agents=3..4 (agent 1
// writes c1; agents 2.. write the parts of c2, joined by spaces, each within max_chars: they
// must not repeat each other to reach the unique ratio). turns=1..8: from the second turn on,
// each prompt also shows the agent's previous answer and the score of the joint answer
// ("post: ...\nlast: <answer>\nscore: 1.85\nshort:"). dense=true pays the reward every turn;
// dense=false only at the last turn (intermediate parts are still reported). shaping=true (the
// default) gives a failed level 1 up to 0.25, more for text closer to passing (characters a-z,
// tokens that are prefixes of allowed words, a token on its way to a post word, and size: within
// max_chars and 12 tokens); shaping=false is the exact level-gated reward.
//
// # Vocabulary and learnability
//
// Mini implements envs.Vocab: its pieces are the 49 words with a leading space (so any sequence
// of them decodes to space-separated words), the marker " |", and the fixed parts of the prompts
// ("post:", "\nshort:", "\nlast:", "\nscore:", digits). Tiny agents from scratch use them as
// their tokenizer (maac's default for preset models), so every sampled token is a word.
// TestMiniIsLearnable trains such agents from random weights with MAGRPO and checks that they
// learn to pass level 1; the measured curves are in docs/EXPERIMENTS.md.
package writing
