package building

import (
	"testing"

	"github.com/collm/collm/envs"
)

// BenchmarkSimulatorStep measures one Step of StrBuild on ICML (26x5 plane) with a perfect
// 2-agent answer of 52 /setblock lines, and of HouseBuild (6x7x7) with 20 /fill lines.
func BenchmarkSimulatorStep(b *testing.B) {
	b.Run("strbuild", func(b *testing.B) {
		e, _ := envs.New("strbuild", nil)
		task, _ := e.(envs.TaskNamer).TaskIndex("ICML")
		resp := oracleStr(e.(*strEnv).game.(*strGame).targets[task], 2, false)
		s, _ := e.Reset(task, 1)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Step(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("housebuild", func(b *testing.B) {
		e, _ := envs.New("housebuild", nil)
		var resp [2]string
		for i := range 10 {
			resp[i%2] += "/fill 0 0 0 5 0 6 white_concrete\n/fill 1 1 1 4 3 5 air\n"
		}
		s, _ := e.Reset(0, 1)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Step(resp[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMiniStep measures one Step of the mini envs with perfect answers.
func BenchmarkMiniStep(b *testing.B) {
	b.Run("strbuild-mini", func(b *testing.B) {
		e, _ := envs.New("strbuild-mini", nil)
		resp := oracleStr(e.(*miniStrEnv).game.(*strGame).targets[6], 2, true)
		s, _ := e.Reset(6, 1)
		for b.Loop() {
			if _, err := s.Step(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("housebuild-mini", func(b *testing.B) {
		e, _ := envs.New("housebuild-mini", nil)
		g := e.(*miniHouseEnv).game.(*houseGame)
		_, inv := g.start(7)
		resp := oracleHouse(&g.cfg.Blueprints[7], 2, inv, g.code)
		s, _ := e.Reset(7, 1)
		for b.Loop() {
			if _, err := s.Step(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
