package widgets

import (
	"math"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
)

func TestRewardTable(t *testing.T) {
	scores := []envs.RowScore{
		{Row: envs.Row{Label: "<b>good</b>", Responses: []string{"<script>alert(1)</script>", "b"}}, Reward: 2.5,
			Parts: map[string]float64{"tokens": 0.5, "ratio": 1, "bonus": math.Copysign(0, -1)}},
		{Row: envs.Row{Label: "short", Responses: []string{"", "x"}}, Reward: 0.5, Stopped: "ratio",
			Parts: map[string]float64{"tokens": 0.5, "ratio": 0, "bonus": 0}},
	}
	parts := []string{"tokens", "ratio", "bonus"}
	html := RewardTableHTML("env <x>", scores, parts)
	for _, want := range []string{"&lt;script&gt;", "&lt;b&gt;good&lt;/b&gt;", "env &lt;x&gt;", "<b>2.500</b>",
		"color:#c00;font-weight:bold\">0.000", "color:#bbb\">0.000", ">ratio</td>"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script>", "-0.000"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	text := RewardTableText(scores, parts)
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "row") || !strings.Contains(lines[0], "stopped at") ||
		!strings.Contains(lines[2], "ratio") || strings.Contains(text, "-0.000") {
		t.Errorf("text table:\n%s", text)
	}
	if len(lines[0]) != len(strings.TrimRight(lines[1], " ")) && len(lines[1]) != len(lines[0]) {
		t.Errorf("columns are not aligned:\n%s", text)
	}
}
