// Package building holds the Minecraft-style building game of the paper: a voxel simulator (no
// game server), a strict command parser, the StrBuild and HouseBuild environments and their
// CPU-sized variants strbuild-mini and housebuild-mini, registered in init() as "strbuild",
// "housebuild", "strbuild-mini" and "housebuild-mini".
//
// # Simulator and commands
//
// A Grid is a bounded box of cells holding block names (air at first). Agents answer with
// commands (see Dialect for the exact syntax): /setblock x y z block, /fill x1 y1 z1 x2 y2 z2
// block and /kill, or the compact tokens of the mini variants. ExtractLines documents how a
// response is cut into lines: only the first fenced code block is read when there is one, blank
// lines are skipped, list markers are dropped, and every other line must be exactly one command.
// A line that is not (prose, a typo) is rejected with its line number and reason and counted
// in the part invalid_commands, as are commands outside the build box, blocks outside the
// agent's palette, commands past the agent's share of the per-turn budget, a /fill needing more
// blocks than the agent has left, and commands the game does not offer. Invalid commands are
// logged, not scored, as in the reference. Accepted commands run agent by agent (agent 1's in
// order, then agent 2's), so a later agent overwrites an earlier one.
//
// By default the world persists across turns (option carry=true) and a turn's reward scores
// the world after it; carry=false starts every turn from an empty world, which is how the
// reference scores each turn.
//
// # StrBuild
//
// The string's letters are drawn with Font5x5 (A-Z) in the vertical x-y plane at z=0, 2 empty
// columns apart; the build box is exactly the drawing. Agent i may place AgentPalettes[i] and
// air ({oak_planks, stone}, {white_concrete, obsidian}). ScoreStr defines coverage, extra_ratio
// (extra blocks on background cells), adjacency_ratio (same-block pairs among touching pairs
// along +x and +y), unused_palettes and the score 2*coverage - 1.5*extra_ratio -
// 1.0*adjacency_ratio - 0.25*unused_palettes; reward = score - 2; Info "iou" = covered /
// (target + extra). Position feedback lists the letter positions, asks each agent for about
// half of them with no two of its own side by side, shows the current world and appends the
// agent's previous commands. Tasks are the dataset's strings (ids "I" ... "CLIM"); ICML and
// CLIM are the evaluation split.
//
// # HouseBuild
//
// A Blueprint gives a block for every cell of a 6x7x7 box as y layers. Agents have /fill and
// /kill, every block of the legend, and per-agent resources ceil(c/n)+floor(c/2n) of each block
// (c = cells of that block in the blueprint) for the episode (per turn with carry=false). Each
// turn 3 spiders hit the player (hp 5) for 1-3 each, drawn from the episode seed and turn.
// ScoreHouse: match_fraction (cells, air included, whose block matches) minus spider_penalty
// 0.1*min(1, damage/hp) when no agent's /kill was accepted this turn; reward = score - 1; Info
// "iou" over non-air blocks. Score feedback says "Previous reward: x.xxxx" (the unshifted score),
// repeats the original prompt and appends the agent's previous commands.
//
// # Rewards
//
// The rewards are envs/reward schemes whose parts are the raw measurements: coverage,
// extra_ratio, adjacency_ratio, unused_palettes, invalid_commands (StrBuild) and match_fraction,
// spider_penalty, invalid_commands (HouseBuild), weighted as above (invalid_commands with weight
// 0); the mini variants add format_shaping (see below). dense=false pays only at the last turn.
//
// # Data
//
// data/strbuild.csv and data/housebuild.json are copies of the paper's datasets (OpenMLRL, MIT
// licence in data/LICENSE), embedded so the envs work anywhere; the data option reads another
// file of the same format.
//
// # Mini variants
//
// The mini variants keep the scoring of the real games and shrink everything else to the scale
// of tiny agents trained from scratch on a CPU:
//
//	real StrBuild                          strbuild-mini
//	5x5 font A-Z, 2 columns apart          3x3 font (C E H I L O T U), 1 column apart
//	1-4 letters (5x5 .. 5x26 plane)        1-2 letters (3x3 or 3x7 plane)
//	/setblock x y z block, one per line    "xyzC" tokens, C a block code (o s w b ...; a = air)
//	300 commands per turn                  24 commands per turn
//	4 turns                                2 turns (1..8)
//	long English prompts                   "LI os t1/2" (+ the world's blocks after turn 1)
//
//	real HouseBuild                        housebuild-mini
//	6x7x7 houses, 5 block kinds + air      3x2x3 huts, 1-3 kinds (c b o d; a = air)
//	/fill x1 y1 z1 x2 y2 z2 block, /kill   "xyzXYZC" and "k" tokens
//	600 commands per turn                  16 commands per turn
//	4 turns                                2 turns (1..8)
//	long English prompts                   "t1/2 c13 s6", the layers' rows (+ the previous answer)
//
// Same formulas: coverage, extra, adjacency, unused palettes and shift -2 for StrBuild; match
// fraction, spider penalty (3 spiders, 1-3 damage, hp 5, /kill), per-agent resources
// ceil(c/n)+floor(c/2n) and shift -1 for HouseBuild; the same palettes for the agents. The
// reward is the exact game reward (see "Format shaping" for the option that adds a term).
// Tasks: strbuild-mini I C L T H U LI IC (train) and CL TI (eval); housebuild-mini
// mini_house_01..08 (train) and 09, 10 (eval).
//
// # Vocabulary and prompts (mini variants)
//
// Both minis implement envs.Vocab, so maac gives a tiny agent a word-level tokenizer over their
// pieces instead of bytes, and it samples whole commands. The pieces (see miniStrEnv.Vocab and
// miniHouseEnv.Vocab) are one per command, with a leading space so that any sequence of them is
// a well-formed answer: " xyzC" for every cell of the largest strbuild-mini target and every code
// an agent may use (105 with 2 agents), " xyzXYZC" for every sub-box of the huts' box (corners
// ordered) and every legend code (540) plus " k". A piece is one move: the agent still chooses
// the cell or box and the block of every command, and still has to split the work with the
// other agent, alternate blocks, use its whole palette, mind its resources and stop the
// spiders. The other pieces are the fixed parts of the prompts (the letters, " os", " t1/2",
// " c13", " s6", the blueprint rows " c.c", "\n=", "\n>", " r" for a score) and every single
// character they use, so that any text the game reads or echoes (a command spelled character by
// character, an answer cut at 64 bytes) tokenizes without an unknown token: 142 pieces for
// strbuild-mini and 646 for housebuild-mini with the default options.
//
// The prompts are a few pieces long, because every prompt piece dilutes what a tiny model from
// scratch attends to; the agent's codes and the turn are kept because the real prompt says
// them. A strbuild-mini prompt is "<string> <codes> t<turn>/<turns>", e.g. "LI os t1/2" for
// agent 1 (oak_planks o, stone s) on LI; the target is the string, drawn with Font3x3 as the
// real game draws its strings with Font5x5 (the real prompt's picture is left out). After
// turn 1 it adds " r<score>" under feedback=score, and "\n=" with the world's blocks as " xyzC"
// pieces (feedback=position, world kept) or "\n>" with the agent's previous answer. A
// housebuild-mini prompt is "t<turn>/<turns>", the agent's remaining blocks " c13" (when
// limited), the spider damage " s6" (when spiders attack), " r<score>" after turn 1 under score
// feedback, then one line per y layer from the bottom with the rows z=0.. (' ' then the x
// characters, '.' = air), then after turn 1 "\n>" and the previous answer: "t1/2 c13 s6\n ccc
// ccc ccc\n ccc c.c ccc" for mini_house_01. "000o 020s 200o" and "010w 100b" build the L;
// "000202c k" and "010212c 111111a" build mini_house_01 (one agent cannot pay for both layers).
//
// # Learning from scratch (mini variants)
//
// TestMiniLearnable trains tiny agents from random weights on both minis (MAGRPO on
// strbuild-mini, CoLLM-CC on housebuild-mini) and checks that they learn to build; the measured
// curves and the commands that reproduce them are in docs/EXPERIMENTS.md.
//
// # Format shaping (mini variants)
//
// Option shaping=true (default false) adds a documented shaping part, format_shaping: the agents'
// mean FormatQuality q in [0, 1] (0 for an empty answer, 1 exactly when every token is an
// accepted command; in between, alphabet bytes, tokens of the right shape, parsable commands the
// game rejects), and the reward becomes
//
//	reward = score + shift + w*(format_shaping - 1),  w = 0.1 (strbuild-mini), 0.05 (housebuild-mini).
//
// The term is 0 for answers made only of accepted commands, so the best reward is still 0, and
// its whole range w is below what one correct block earns in a turn (2/14 ≈ 0.143 for a cell of
// the largest strbuild-mini target, 1/18 ≈ 0.056 for a cell of a hut), so well-formed but useless
// commands never pay more than building; the constructors reject a larger weight. It exists for
// byte-level agents (maac AgentSpec.Tokenizer "bytes"), which start from random bytes where no
// line parses and every sample gets the same game reward. With the word-level vocabulary nearly
// every sampled piece is a command already, so the shaping is off by default.
package building
