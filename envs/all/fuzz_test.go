package all_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/collm/collm/envs"
)

// pathOptions name files or programs; fuzzing them would read arbitrary paths of this machine.
var pathOptions = map[string]bool{"data": true, "lexicon": true, "python": true}

// FuzzEnvOptions builds every registered env from fuzzed option maps (two options, picked by
// index among the declared ones plus an undeclared name, with fuzzed values): each gives an
// error naming the env or a working env, never a panic.
func FuzzEnvOptions(f *testing.F) {
	regs := envs.List()
	for i, r := range regs {
		for k := range r.Options {
			f.Add(uint8(i), uint8(k), "NaN", uint8(k+1), "-1")
			f.Add(uint8(i), uint8(k), "1e999", uint8(k+2), "")
		}
	}
	f.Add(uint8(0), uint8(255), "1", uint8(4), "9223372036854775808")
	f.Add(uint8(6), uint8(12), "Inf", uint8(0), "0x10")
	f.Fuzz(func(t *testing.T, which, o1 uint8, v1 string, o2 uint8, v2 string) {
		r := regs[int(which)%len(regs)]
		opts := map[string]string{}
		for _, o := range []struct {
			index uint8
			value string
		}{{o1, v1}, {o2, v2}} {
			k := int(o.index) % (len(r.Options) + 1)
			if k == len(r.Options) {
				opts["no_such_option"] = o.value
			} else if name := r.Options[k].Name; !pathOptions[name] {
				opts[name] = o.value
			}
		}
		env, err := envs.New(r.Name, opts)
		if err != nil {
			if !strings.Contains(err.Error(), r.Name) {
				t.Fatalf("env %s with %q: error %q does not name the env", r.Name, opts, err)
			}
			return
		}
		spec := env.Spec()
		if spec.NumAgents < 1 || spec.MaxTurns < 1 || env.NumTasks() < 1 {
			t.Fatalf("env %s with %q: spec %+v, %d tasks", r.Name, opts, spec, env.NumTasks())
		}
		s, err := env.Reset(env.NumTasks()-1, 1)
		if err != nil {
			t.Fatalf("env %s with %q: reset: %v", r.Name, opts, err)
		}
		if len(s.Prompts()) != spec.NumAgents {
			t.Fatalf("env %s with %q: %d prompts for %d agents", r.Name, opts, len(s.Prompts()), spec.NumAgents)
		}
	})
}

// TestNumericOptionsMustBeFinite sets every numeric option of every registered env to NaN and to
// infinities: each is an error naming the option (strconv accepts all three as floats).
func TestNumericOptionsMustBeFinite(t *testing.T) {
	for _, r := range envs.List() {
		for _, o := range r.Options {
			if _, err := strconv.ParseFloat(o.Default, 64); err != nil || pathOptions[o.Name] {
				continue
			}
			for _, v := range []string{"NaN", "Inf", "-Inf", "1e999"} {
				_, err := envs.New(r.Name, map[string]string{o.Name: v})
				if want := fmt.Sprintf("option %s=%q", o.Name, v); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("env %s, %s=%s: got %v, want an error with %q", r.Name, o.Name, v, err, want)
				}
			}
		}
	}
}

// FuzzResponses plays whole episodes of the cheap envs (no sandbox) with fuzzed responses: every
// transition is finite and no response is an error.
func FuzzResponses(f *testing.F) {
	f.Add("000o 012212a k", "/setblock 1 2 3 stone", uint16(0), int64(1))
	f.Add("A", "B", uint16(7), int64(-3))
	f.Add("cat sun so\n\n", "\xff\xfe\x00", uint16(999), int64(1<<40))
	f.Add(strings.Repeat("a ", 5000), "", uint16(3), int64(0))
	names := []string{"toy-coord", "writing-mini", "strbuild-mini", "housebuild-mini"}
	var list []envs.Env
	for _, name := range names {
		for _, opts := range []map[string]string{nil, {"agents": "1"}} {
			e, err := envs.New(name, opts)
			if err != nil {
				f.Fatal(err)
			}
			list = append(list, e)
		}
	}
	f.Fuzz(func(t *testing.T, a, b string, task uint16, seed int64) {
		for _, e := range list {
			s, err := e.Reset(int(task)%e.NumTasks(), seed)
			if err != nil {
				t.Fatal(err)
			}
			for s != nil {
				responses := make([]string, e.Spec().NumAgents)
				for i := range responses {
					responses[i] = a
					if i%2 == 1 {
						responses[i] = b
					}
				}
				tr, err := s.Step(responses)
				if err != nil {
					t.Fatalf("%s turn %d: %v", e.Spec().Name, s.Turn(), err)
				}
				finite := !math.IsNaN(tr.Reward) && !math.IsInf(tr.Reward, 0)
				for _, v := range tr.Parts {
					finite = finite && !math.IsNaN(v) && !math.IsInf(v, 0)
				}
				if !finite {
					t.Fatalf("%s turn %d: non-finite transition %+v", e.Spec().Name, s.Turn(), tr)
				}
				if tr.Done {
					break
				}
				s = tr.Next
				a, b = b, a
			}
		}
	})
}
