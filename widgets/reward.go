package widgets

import (
	"fmt"
	"strings"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/kernel"
)

// InspectReward scores hand-written joint responses (rows) at the first turn of task under
// env's reward and shows the table RewardTableHTML draws; outside a notebook it prints
// RewardTableText to stdout. It returns the scores, so a cell can check them.
func InspectReward(env envs.Env, task int, rows ...envs.Row) ([]envs.RowScore, error) {
	scores, parts, err := envs.ScoreRows(env, task, rows...)
	if err != nil {
		return nil, err
	}
	if kernel.InNotebook() {
		kernel.DisplayHTML(RewardTableHTML(env.Spec().Name, scores, parts))
		kernel.Sync()
	} else {
		fmt.Print(RewardTableText(scores, parts))
	}
	return scores, nil
}

// RewardTableHTML is a table with one row per scored joint response: its label and responses,
// every reward part in the reward's order (parts), the total, and the component that stopped
// the scoring. Parts after the one that stopped (not evaluated, reported 0) are greyed out, and
// the stopping part is marked in red. Responses are escaped: model or user text never becomes
// markup.
func RewardTableHTML(title string, scores []envs.RowScore, parts []string) string {
	const cell = `padding:3px 8px;border-bottom:1px solid #ddd`
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="collm-reward-table" style="font-family:sans-serif;font-size:13px;overflow-x:auto"><b>%s</b>`, escape(title))
	b.WriteString(`<table style="border-collapse:collapse;margin:6px 0"><tr>`)
	for _, h := range append(append([]string{"row", "responses"}, parts...), "reward", "stopped at") {
		fmt.Fprintf(&b, `<th style="%s;text-align:left">%s</th>`, cell, escape(h))
	}
	b.WriteString("</tr>")
	for _, s := range scores {
		fmt.Fprintf(&b, `<tr><td style="%s;text-align:left"><b>%s</b></td><td style="%s;text-align:left;font-family:monospace;max-width:28em">`, cell, escape(s.Label), cell)
		for i, r := range s.Responses {
			if i > 0 {
				b.WriteString("<br>")
			}
			fmt.Fprintf(&b, `<span style="color:#888">%d:</span> %s`, i, escape(r))
		}
		b.WriteString("</td>")
		after := false
		for _, p := range parts {
			v, ok := s.Parts[p]
			style := cell + ";text-align:right"
			switch {
			case p == s.Stopped:
				style += ";color:#c00;font-weight:bold"
			case after:
				style += ";color:#bbb"
			}
			text := "&ndash;"
			if ok {
				text = fmt.Sprintf("%.3f", v+0) // +0: a -0 part (e.g. -0.5 * 0) prints as 0
			}
			fmt.Fprintf(&b, `<td style="%s">%s</td>`, style, text)
			after = after || p == s.Stopped
		}
		stopped := "&ndash;"
		if s.Stopped != "" {
			stopped = escape(s.Stopped)
		}
		fmt.Fprintf(&b, `<td style="%s;text-align:right"><b>%.3f</b></td><td style="%s;color:#c00">%s</td></tr>`, cell, s.Reward+0, cell, stopped)
	}
	b.WriteString("</table></div>")
	return b.String()
}

// RewardTableText is RewardTableHTML as aligned plain text.
func RewardTableText(scores []envs.RowScore, parts []string) string {
	head := append(append([]string{"row"}, parts...), "reward", "stopped at")
	rows := [][]string{head}
	for _, s := range scores {
		row := []string{s.Label}
		for _, p := range parts {
			if v, ok := s.Parts[p]; ok {
				row = append(row, fmt.Sprintf("%.3f", v+0))
			} else {
				row = append(row, "-")
			}
		}
		stopped := "-"
		if s.Stopped != "" {
			stopped = s.Stopped
		}
		rows = append(rows, append(row, fmt.Sprintf("%.3f", s.Reward+0), stopped))
	}
	width := make([]int, len(head))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			fmt.Fprintf(&b, "%-*s", width[i], c)
		}
		b.WriteString("\n")
	}
	return b.String()
}
