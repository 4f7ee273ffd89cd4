package building

import (
	"math"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
)

func FuzzParseCommands(f *testing.F) {
	for _, s := range []string{
		"/setblock 1 2 3 stone", "/fill 0 0 0 5 6 6 minecraft:white_concrete\n/kill", "```\n- /kill @e\n```",
		"000o 012212a k", "Sure:\n1. /setblock -1 ~ 3 Stone", "/fill 9223372036854775807 0 0 0 0 0 air", "\r\n\t```x",
	} {
		f.Add(s)
	}
	codes := map[byte]string{'o': "oak_planks", 'a': Air}
	f.Fuzz(func(t *testing.T, text string) {
		for _, d := range []Dialect{{}, {Codes: codes}} {
			cmds, errs := ParseCommands(text, d)
			for _, c := range cmds {
				if c.Op < SetBlock || c.Op > Kill || c.Line < 1 {
					t.Fatalf("bad command %+v", c)
				}
				if c.Op == Kill {
					continue
				}
				if c.Block == "" || strings.ContainsAny(c.Block, " :[") {
					t.Fatalf("bad block in %+v", c)
				}
				if d.Codes != nil {
					continue
				}
				// The full syntax round-trips through String.
				back, berrs := ParseCommands(c.String(), d)
				if len(berrs) != 0 || len(back) != 1 || back[0].From != c.From || back[0].To != c.To || back[0].Block != c.Block {
					t.Fatalf("%q does not round-trip: %v %v", c.String(), back, berrs)
				}
			}
			for _, e := range errs {
				if e.Reason == "" || e.Line < 1 {
					t.Fatalf("bad error %+v", e)
				}
			}
		}
	})
}

// FuzzStep plays two turns of every building env with fuzzed responses: no panic, no error,
// finite rewards and parts.
func FuzzStep(f *testing.F) {
	f.Add("/setblock 0 0 0 oak_planks\n/setblock 1 0 0 stone", "/fill 0 0 0 5 6 6 white_concrete\n/kill", uint8(3), int64(1))
	f.Add("000o 010s 000212c k", "```\n100w\n```", uint8(0), int64(-7))
	f.Add("", "\x00\xff/fill -1 0 0 99999999999 0 0 air", uint8(9), int64(1<<40))
	var list []envs.Env
	for _, name := range []string{"strbuild", "housebuild", "strbuild-mini", "housebuild-mini"} {
		e, err := envs.New(name, nil)
		if err != nil {
			f.Fatal(err)
		}
		list = append(list, e)
	}
	f.Fuzz(func(t *testing.T, a, b string, task uint8, seed int64) {
		for _, e := range list {
			s, err := e.Reset(int(task)%e.NumTasks(), seed)
			if err != nil {
				t.Fatal(err)
			}
			for turn := 0; turn < 2 && s != nil; turn++ {
				tr, err := s.Step([]string{a, b})
				if err != nil {
					t.Fatal(err)
				}
				finite := !math.IsNaN(tr.Reward) && !math.IsInf(tr.Reward, 0)
				for _, v := range tr.Parts {
					finite = finite && !math.IsNaN(v) && !math.IsInf(v, 0)
				}
				if !finite {
					t.Fatalf("%s: non-finite transition %+v", e.Spec().Name, tr)
				}
				s = tr.Next
				a, b = b, a
			}
		}
	})
}
