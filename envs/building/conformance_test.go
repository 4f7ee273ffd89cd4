package building

import (
	"testing"

	"github.com/collm/collm/envs"
	"github.com/collm/collm/envs/envtest"
)

// TestConformance runs the envs contract on the four building envs, each also with a perfect
// joint answer for its first task.
func TestConformance(t *testing.T) {
	for _, name := range []string{"strbuild", "housebuild", "strbuild-mini", "housebuild-mini"} {
		t.Run(name, func(t *testing.T) {
			env, err := envs.New(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			var good []string
			switch e := env.(type) {
			case *miniStrEnv:
				good = oracleStr(e.game.(*strGame).targets[0], 2, true)
			case *miniHouseEnv:
				g := e.game.(*houseGame)
				_, inv := g.start(0)
				good = oracleHouse(&g.cfg.Blueprints[0], 2, inv, g.code)
			case *strEnv:
				g := e.game.(*strGame)
				good = oracleStr(g.targets[0], 2, g.cfg.Compact)
			case *houseEnv:
				g := e.game.(*houseGame)
				_, inv := g.start(0)
				good = oracleHouse(&g.cfg.Blueprints[0], 2, inv, g.code)
				if !g.cfg.Compact {
					good = []string{"/fill 0 0 1 5 0 5 white_concrete\n/kill", "/fill 0 4 0 5 4 6 stone_bricks"}
				}
			}
			envtest.Conformance(t, env, envtest.Tasks(0, env.NumTasks()-1), envtest.Responses(good))
		})
	}
}
