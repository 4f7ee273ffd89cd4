package pyreward_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/collm/collm/envs/pyreward"
	"github.com/collm/collm/envs/reward"
)

// A reward of named parts written in Python, scored for two joint turns of two agents.
func Example() {
	dir, err := os.MkdirTemp("", "pyreward-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "my_reward.py")
	src := `
def score(turns):
    return [{"short": float(len(t["responses"][0]) <= 5), "agree": float(len(set(t["responses"])) == 1)}
            for t in turns]
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	s, err := pyreward.Open(file+":score", pyreward.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	res, err := s.ScoreBatch([]reward.Input{
		{Responses: []string{"yes", "yes"}, TaskID: "q1"},
		{Responses: []string{"a longer answer", "no"}, TaskID: "q2", Last: true},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Printf("total %g, short %g, agree %g\n", r.Total, r.Parts["short"], r.Parts["agree"])
	}
	// Output:
	// total 2, short 1, agree 1
	// total 0, short 0, agree 0
}
