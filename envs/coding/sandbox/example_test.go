package sandbox_test

import (
	"context"
	"fmt"
	"time"

	"github.com/collm/collm/envs/coding/sandbox"
)

// An untrusted program that loops forever is killed at the wall-clock limit; its output so
// far is kept.
func Example() {
	sb, err := sandbox.New(sandbox.Config{Timeout: 2 * time.Second})
	if err != nil {
		fmt.Println("no sandbox here:", err)
		return
	}
	res, err := sb.Run(context.Background(), sandbox.Job{Script: "print('start', flush=True)\nwhile True:\n    pass\n"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("timed out: %v, ok: %v, stdout: %q\n", res.TimedOut, res.OK(), res.Stdout)
	// Output:
	// timed out: true, ok: false, stdout: "start\n"
}
