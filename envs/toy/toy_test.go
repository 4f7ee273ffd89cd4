package toy

import (
	"math"
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/envtest"
)

func mustEnv(t *testing.T, opts map[string]string) *Env {
	t.Helper()
	e, err := envs.New("toy-coord", opts)
	if err != nil {
		t.Fatal(err)
	}
	return e.(*Env)
}

func TestConformance(t *testing.T) {
	for _, opts := range []map[string]string{
		{},
		{"agents": "3", "turns": "4", "sparse": "true"},
		{"agents": "10", "turns": "2"},
		{"agents": "1", "turns": "2", "vocab": "2", "allowed": "1"},
	} {
		e := mustEnv(t, opts)
		good := make([]string, e.cfg.Agents)
		for i := range good {
			good[i] = string(e.AllowedSymbols(0, 0)[0] - 'a')
		}
		envtest.Conformance(t, e, envtest.Responses(good))
	}
}

func TestRewards(t *testing.T) {
	e := mustEnv(t, map[string]string{"vocab": "4", "allowed": "2"})
	allowed := e.AllowedSymbols(3, 0)
	if len(allowed) != 2 {
		t.Fatalf("allowed = %q, want 2 symbols", allowed)
	}
	// The action is the first byte mod vocab: 'a'+k for the byte k, k+4 and so on.
	var bad byte
	for s := byte(0); s < 4; s++ {
		if 'a'+s != allowed[0] && 'a'+s != allowed[1] {
			bad = s + 4 // another byte of the same class
		}
	}
	a, b := string(allowed[0]-'a'+4), string(allowed[1]-'a')
	tests := []struct {
		name      string
		responses []string
		want      float64
	}{
		{"both agree on an allowed symbol", []string{a, a}, 1},
		{"both allowed, no agreement", []string{a, b}, 0.5},
		{"agree on a forbidden symbol", []string{string(bad), string(bad)}, 0},
		{"one allowed", []string{a, string(bad)}, 0.25},
		{"same class, other byte", []string{string(a[0] + 4), a + "xyz"}, 1},
		{"empty response", []string{"", a}, 0.25},
	}
	for _, tt := range tests {
		st, _ := e.Reset(3, 0)
		tr, err := st.Step(tt.responses)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(tr.Reward-tt.want) > 1e-12 || !tr.Done {
			t.Errorf("%s: reward %v done %v, want %v done", tt.name, tr.Reward, tr.Done, tt.want)
		}
	}
}

func TestSparseMultiTurn(t *testing.T) {
	e := mustEnv(t, map[string]string{"turns": "3", "sparse": "true"})
	st, _ := e.Reset(1, 0)
	var rewards []float64
	for turn := 0; st != nil; turn++ {
		sym := string(e.AllowedSymbols(1, turn)[0] - 'a')
		joint := []string{sym, sym}
		if turn == 1 {
			bad := "\x00"
			for c := byte(0); c < 4; c++ {
				if !e.isAllowed(1, turn, 'a'+c) {
					bad = string(c)
				}
			}
			joint = []string{bad, bad} // a failed turn
		}
		tr, err := st.Step(joint)
		if err != nil {
			t.Fatal(err)
		}
		rewards = append(rewards, tr.Reward)
		st = tr.Next
	}
	want := []float64{0, 0, 2.0 / 3}
	for i := range want {
		if math.Abs(rewards[i]-want[i]) > 1e-12 {
			t.Fatalf("sparse rewards %v, want %v", rewards, want)
		}
	}
}

func TestFeedbackPrompt(t *testing.T) {
	e := mustEnv(t, map[string]string{"turns": "2"})
	st, _ := e.Reset(0, 0)
	if p := st.Prompts()[0]; p != "task 0 turn 0:" {
		t.Errorf("first prompt %q", p)
	}
	tr, _ := st.Step([]string{"\x01", ""})
	p := tr.Next.Prompts()
	if want := "task 0 turn 1 last b "; p[0][:len(want)] != want || p[1][:len("task 0 turn 1 last - ")] != "task 0 turn 1 last - " {
		t.Errorf("feedback prompts %q", p)
	}
}

func TestBadOptions(t *testing.T) {
	for _, opts := range []map[string]string{{"allowed": "5", "vocab": "4"}, {"agents": "0"}, {"agents": "11"}, {"turns": "9"}, {"colour": "red"}} {
		if _, err := envs.New("toy-coord", opts); err == nil {
			t.Errorf("options %v accepted", opts)
		}
	}
}
