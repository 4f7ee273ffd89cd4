package building

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/collm/collm/envs"
)

// TestFormatQuality checks FormatQuality against values computed by hand from its definition,
// q = 0.1*A + 0.9*T, for agent 1 of strbuild-mini on L (box 3x3x1, blocks o s) and of
// housebuild-mini on mini_house_01 (box 3x2x3, block c, /fill and /kill).
func TestFormatQuality(t *testing.T) {
	str, _ := envs.New("strbuild-mini", nil)
	se := str.(*miniStrEnv)
	house, _ := envs.New("housebuild-mini", nil)
	he := house.(*miniHouseEnv)
	for _, tc := range []struct {
		name string
		env  *engine
		task int
		resp string
		want float64
	}{
		{"accepted commands", &se.engine, 2, "000o 020s", 1},
		{"empty", &se.engine, 2, "", 0},
		{"blank lines only", &se.engine, 2, "\n \n", 0},
		{"another agent's block: parsed, rejected", &se.engine, 2, "000w", 0.1 + 0.9*0.5},
		{"outside the box: parsed, rejected", &se.engine, 2, "300o", 0.1 + 0.9*0.5},
		{"two of four positions of xyzC", &se.engine, 2, "00", 0.1 + 0.9*0.4*2.0/4},
		{"z outside the box breaks the shape", &se.engine, 2, "011", 0.1 + 0.9*0.4*2.0/4},
		{"y and z wrong", &se.engine, 2, "077", 0.1 + 0.9*0.4*1.0/4},
		{"too long: 3 of 8", &se.engine, 2, "0000000o", 0.1 + 0.9*0.4*3.0/8},
		{"a command and junk", &se.engine, 2, "000o zz", 0.1*4.0/6 + 0.9*4.0/6},
		{"/kill is not offered in StrBuild", &se.engine, 2, "k", 0.1*0 + 0.9*0.5},
		{"fill and kill", &he.engine, 0, "000202c k", 1},
		{"setblock is not offered in HouseBuild", &he.engine, 0, "000c", 0.1 + 0.9*0.5},
		{"kk: half of the k form", &he.engine, 0, "kk", 0.1 + 0.9*0.4*0.5},
		{"fill prefix", &he.engine, 0, "0102", 0.1 + 0.9*0.4*4.0/7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			world, inv := tc.env.game.start(tc.task)
			rules := tc.env.game.rules(tc.task)
			tr, err := rules.Play(world, inv, []string{tc.resp, ""}, tc.env.dialect)
			if err != nil {
				t.Fatal(err)
			}
			if got := FormatQuality(tr, 0, tc.env.dialect, rules); math.Abs(got-tc.want) > eps {
				t.Errorf("FormatQuality(%q) = %v, want %v", tc.resp, got, tc.want)
			}
		})
	}
}

// TestShapingOff checks that shaping=false (the default) is the exact game reward and that
// shaping=true adds w*(format_shaping-1) and nothing else, on random and good answers.
func TestShapingOff(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("0123456789 osbwck\n#x")
	randomAnswer := func() string {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		return string(b)
	}
	for _, tc := range []struct {
		name string
		w    float64
	}{{"strbuild-mini", MiniStrShaping}, {"housebuild-mini", MiniHouseShaping}} {
		on, err := envs.New(tc.name, map[string]string{"shaping": "true"})
		if err != nil {
			t.Fatal(err)
		}
		off, err := envs.New(tc.name, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			task := i % on.NumTasks()
			s1, _ := on.Reset(task, int64(i))
			s0, _ := off.Reset(task, int64(i))
			for turn := 0; s1 != nil; turn++ {
				resp := []string{randomAnswer(), randomAnswer()}
				t1, err1 := s1.Step(resp)
				t0, err0 := s0.Step(resp)
				if err1 != nil || err0 != nil {
					t.Fatal(err1, err0)
				}
				q, ok := t1.Parts["format_shaping"]
				if _, has := t0.Parts["format_shaping"]; has || !ok || q < 0 || q > 1 {
					t.Fatalf("%s: parts on %v off %v", tc.name, t1.Parts, t0.Parts)
				}
				if want := t0.Reward + tc.w*(q-1); math.Abs(t1.Reward-want) > 1e-9 {
					t.Fatalf("%s %q: reward %v with shaping, %v without, format %v", tc.name, resp, t1.Reward, t0.Reward, q)
				}
				for k, v := range t0.Parts {
					if t1.Parts[k] != v {
						t.Fatalf("%s: part %s differs: %v vs %v", tc.name, k, t1.Parts[k], v)
					}
				}
				s1, s0 = t1.Next, t0.Next
			}
		}
	}
}

func TestShapingBound(t *testing.T) {
	cfg := MiniStrConfig()
	cfg.Shaping = 0.2 // more than 2/14, one cell of IC
	if _, err := NewStrBuild(cfg); err == nil {
		t.Error("strbuild-mini with shaping 0.2: want an error (more than one block earns)")
	}
	hc := MiniHouseConfig()
	hc.Shaping = 0.06 // more than 1/18
	if _, err := NewHouseBuild(hc); err == nil {
		t.Error("housebuild-mini with shaping 0.06: want an error")
	}
	if _, err := NewStrBuild(StrConfig{Shaping: 0.01}); err == nil {
		t.Error("shaping on the full syntax: want an error")
	}
	if _, err := NewHouseBuild(HouseConfig{Compact: true, Blueprints: MiniBlueprints, Shaping: -1}); err == nil {
		t.Error("negative shaping: want an error")
	}
	if _, err := envs.New("strbuild", map[string]string{"shaping": "true"}); err == nil {
		t.Error("the real strbuild has no shaping option: want an error")
	}
}

// TestShapingFullScore checks that with shaping=true a perfect episode of 2 turns still
// scores the best reward, 0, on both turns: the oracle's answer, then (world kept) the same answer
// on strbuild-mini and k from both agents on housebuild-mini.
func TestShapingFullScore(t *testing.T) {
	shaped := map[string]string{"shaping": "true"}
	se, _ := envs.New("strbuild-mini", shaped)
	g := se.(*miniStrEnv).game.(*strGame)
	he, _ := envs.New("housebuild-mini", shaped)
	hg := he.(*miniHouseEnv).game.(*houseGame)
	for task := range se.NumTasks() {
		resp := oracleStr(g.targets[task], 2, true)
		s, _ := se.Reset(task, 1)
		for turn := 0; s != nil; turn++ {
			tr, err := s.Step(resp)
			if err != nil || math.Abs(tr.Reward) > 1e-9 || tr.Parts["format_shaping"] != 1 {
				t.Errorf("strbuild-mini %s turn %d: reward %v parts %v err %v", g.taskID(task), turn, tr.Reward, tr.Parts, err)
			}
			s = tr.Next
		}
	}
	for task := range he.NumTasks() {
		_, inv := hg.start(task)
		resp := oracleHouse(&hg.cfg.Blueprints[task], 2, inv, hg.code)
		s, _ := he.Reset(task, 1)
		for turn := 0; s != nil; turn++ {
			tr, err := s.Step(resp)
			if err != nil || math.Abs(tr.Reward) > 1e-9 || tr.Parts["format_shaping"] != 1 {
				t.Errorf("housebuild-mini %s turn %d: reward %v parts %v err %v", hg.taskID(task), turn, tr.Reward, tr.Parts, err)
			}
			s, resp = tr.Next, []string{"k", "k"}
		}
	}
}
