package building

import "fmt"

// Rules decide which parsed commands of one turn are carried out.
type Rules struct {
	Box Box // commands must stay inside it (both corners of a fill)
	// Ops are the commands the game accepts; any other is rejected.
	Ops []Op
	// Palettes holds each agent's blocks; air is always allowed. Len = number of agents.
	Palettes [][]string
	// MaxCommands is the per-turn command budget of all agents together, split as in the
	// reference: each agent gets MaxCommands/n (at least 1) and the first agent also gets the
	// remainder. Commands past an agent's share are rejected.
	MaxCommands int
}

// AgentLimits returns each agent's share of MaxCommands.
func (r *Rules) AgentLimits() []int {
	n := len(r.Palettes)
	out := make([]int, n)
	for i := range out {
		out[i] = max(1, r.MaxCommands/n)
	}
	out[0] += r.MaxCommands % n
	return out
}

// TurnResult is the outcome of one joint action: the commands that were carried out and the
// ones that were not.
type TurnResult struct {
	Accepted [][]Command   // per agent, in order
	Rejected [][]LineError // per agent: parse errors first, then rule violations
	Killed   bool          // some agent issued an accepted /kill
}

// Invalid returns the number of rejected lines or commands of all agents.
func (t *TurnResult) Invalid() int {
	n := 0
	for _, r := range t.Rejected {
		n += len(r)
	}
	return n
}

// AcceptedCount returns the number of accepted commands of all agents.
func (t *TurnResult) AcceptedCount() int {
	n := 0
	for _, a := range t.Accepted {
		n += len(a)
	}
	return n
}

// Play parses every agent's response, checks the commands against the rules and, when
// inventories is non-nil, against each agent's remaining blocks (inventories[agent][block];
// blocks missing from the map cannot be placed; air is free), then applies the accepted commands
// to world in agent order (all of agent 1's, then agent 2's, ...). It changes world and
// inventories in place. responses (and inventories, when non-nil) need one entry per palette.
func (r *Rules) Play(world *Grid, inventories []map[string]int, responses []string, d Dialect) (*TurnResult, error) {
	n := len(r.Palettes)
	if len(responses) != n || (inventories != nil && len(inventories) != n) {
		return nil, fmt.Errorf("rules: %d responses and %d inventories for %d agents", len(responses), len(inventories), n)
	}
	res := &TurnResult{Accepted: make([][]Command, n), Rejected: make([][]LineError, n)}
	limits := r.AgentLimits()
	for agent := range n {
		cmds, errs := ParseCommands(responses[agent], d)
		var inv map[string]int
		if inventories != nil {
			inv = inventories[agent]
		}
		for _, c := range cmds {
			if reason := r.check(agent, c, len(res.Accepted[agent]), limits[agent], inv); reason != "" {
				errs = append(errs, LineError{Line: c.Line, Text: c.Text, Reason: reason})
				continue
			}
			if inv != nil && c.Block != "" && c.Block != Air {
				inv[c.Block] -= c.Volume()
			}
			res.Accepted[agent] = append(res.Accepted[agent], c)
		}
		res.Rejected[agent] = errs
	}
	for _, cmds := range res.Accepted {
		for _, c := range cmds {
			if c.Op == Kill {
				res.Killed = true
				continue
			}
			// check() accepted the box and the palette; Fill fails only for a world built
			// without the palette's blocks.
			if err := world.Fill(c.From[0], c.From[1], c.From[2], c.To[0], c.To[1], c.To[2], c.Block); err != nil {
				return nil, fmt.Errorf("rules: the world cannot hold %s: %w", c, err)
			}
		}
	}
	return res, nil
}

// check returns why command c of agent cannot be carried out, or "".
func (r *Rules) check(agent int, c Command, accepted, limit int, inv map[string]int) string {
	if accepted >= limit {
		return fmt.Sprintf("exceeds the limit of %d commands per turn for agent %d", limit, agent+1)
	}
	allowed := false
	for _, op := range r.Ops {
		allowed = allowed || op == c.Op
	}
	if !allowed {
		return fmt.Sprintf("%s is not available in this game", c.Op)
	}
	if c.Op == Kill {
		return ""
	}
	if c.Block != Air && !contains(r.Palettes[agent], c.Block) {
		return fmt.Sprintf("block %s is not in agent %d's palette", c.Block, agent+1)
	}
	if !r.Box.Contains(c.From[0], c.From[1], c.From[2]) || !r.Box.Contains(c.To[0], c.To[1], c.To[2]) {
		return fmt.Sprintf("outside the build area (%s)", r.Box)
	}
	if inv != nil && c.Block != Air {
		if left := inv[c.Block]; c.Volume() > left {
			return fmt.Sprintf("needs %d %s, agent %d has %d left", c.Volume(), c.Block, agent+1, left)
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
