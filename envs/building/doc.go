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
// The mini variants keep the scoring of the real games and shrink everything else so that a
// tiny byte-level model can learn them on a CPU:
//
//	real StrBuild                          strbuild-mini
//	5x5 font A-Z, 2 columns apart          3x3 font (C E H I L O T U), 1 column apart
//	1-4 letters (5x5 .. 5x26 plane)        1-2 letters (3x3 or 3x7 plane)
//	/setblock x y z block, one per line    "xyzC" tokens, C a block code (o s w b ...; a = air)
//	300 commands per turn                  24 commands per turn
//	4 turns                                2 turns (1..8)
//	long English prompts                   "sb a1/2 t1/2 os" + the target rows (+ world, previous)
//
//	real HouseBuild                        housebuild-mini
//	6x7x7 houses, 5 block kinds + air      3x2x3 huts, 1-3 kinds (c b o d; a = air)
//	/fill x1 y1 z1 x2 y2 z2 block, /kill   "xyzXYZC" and "k" tokens
//	600 commands per turn                  16 commands per turn
//	4 turns                                2 turns (1..8)
//
// Same formulas: coverage, extra, adjacency, unused palettes and shift -2 for StrBuild; match
// fraction, spider penalty (3 spiders, 1-3 damage, hp 5, /kill), per-agent resources
// ceil(c/n)+floor(c/2n) and shift -1 for HouseBuild; the same palettes for the agents.
//
// A strbuild-mini prompt is a header "sb a<agent>/<agents> t<turn>/<turns> <block codes>" (plus
// " r<score>", the unshifted previous score, under feedback=score), the target rows (top first,
// '#' = letter cell), then after the first turn "=" and the world's rows (feedback=position with
// carry=true) and ">" with the agent's previous answer on one line, cut at 64 bytes. E.g.
// "sb a1/2 t1/2 os\n#..\n#..\n###\n" asks agent 1 of 2, with oak_planks (o) and stone (s), for
// the L, and "000o 020s 200o" is a good answer. A housebuild-mini prompt is "hb a1/2 t1/2" (plus
// " r<score>"), one line per y layer from the bottom ("1 ccc c.c ccc": the rows z=0..2, '.' =
// air), "i c13" (the agent's remaining blocks), "s5" (this turn's spider damage) and the
// previous answer after ">". Tasks: strbuild-mini I C L T H U LI IC (train) and CL TI (eval);
// housebuild-mini mini_house_01..08 (train) and 09, 10 (eval).
//
// # Format shaping (mini variants)
//
// A tiny byte-level model starts from random bytes, so no line parses and every sample gets the
// same game reward: there is nothing to learn from. As writing-mini does, the mini variants add
// by default (option shaping=true) a documented shaping part, format_shaping: the agents' mean
// FormatQuality q in [0, 1] (0 for an empty answer, 1 exactly when every token is an accepted
// command; in between, alphabet bytes, tokens of the right shape, parsable commands the game
// rejects), and the reward becomes
//
//	reward = score + shift + w*(format_shaping - 1),  w = 0.1 (strbuild-mini), 0.05 (housebuild-mini).
//
// The term is 0 for answers made only of accepted commands, so the best reward is still 0 and
// perfect answers score as before, and its whole range w is below what one correct block earns
// in a turn (2/14 ≈ 0.143 for a cell of the largest strbuild-mini target, 1/18 ≈ 0.056 for a cell
// of a hut), so well-formed but useless commands never pay more than building; the constructors
// reject a larger weight. An empty answer gets q = 0, so each turn asks every agent for at least
// one accepted command; one that changes nothing (k, air, a block already in place) is enough, so
// the full score stays reachable on every turn. shaping=false is the exact game reward (no
// format_shaping part).
//
// Learnability, measured with the maac library (tiny agents from random weights, K=4, 4 tasks
// per update, 24 new tokens, temperature 1, actor lr 3e-3, default env options; learn_test.go
// runs seed 1): with MAGRPO the episode return of the last 5 of 80 updates exceeds the first 5
// on every seed tried, strbuild-mini -5.198 -> -5.173, -5.138, -5.170 (seeds 1-3) and
// housebuild-mini -1.99 -> -1.79, -2.03 -> -1.78, -2.03 -> -1.79. What is learned is the first
// rungs: the agents learn the command alphabet and short digit tokens (format_shaping from about
// 0.01 to 0.14-0.54), and on housebuild-mini an agent learns to send k, which stops the spiders
// (a game gain of up to 0.1 per turn); blocks on letter cells were placed only now and then, and
// no run reached the full score in 80 updates. CoLLM-CC with its critic did not learn in 80
// updates at 2 turns (strbuild-mini format_shaping 0.010 -> 0.003): the shaping's differences
// between samples, a few thousandths, are below the critic's error; at turns=1 it learned the
// strbuild-mini format (0.01 -> 0.17) but not housebuild-mini, whose spider damage the critic
// does not see.
package building
