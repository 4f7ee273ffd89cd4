package maactest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/collm/collm/maac"
)

// Curves trains tr for n updates and returns, for each metric (a key of maac.Metrics), its value
// at every update. A failed update or a missing metric stops the test. It logs the metrics and
// the episode return every 25 updates and at the end, then the episodes of the last update.
func Curves(t testing.TB, tr *maac.Trainer, n int, metrics ...string) [][]float64 {
	t.Helper()
	var samples []string
	last := tr.Updates() + n
	remove := tr.OnEpisode(func(e maac.Episode) error {
		if e.Update == last {
			for _, s := range e.Turns {
				samples = append(samples, fmt.Sprintf("task %d turn %d: %q reward %.2f", e.Task, s.Turn+1, s.Responses, s.Reward))
			}
		}
		return nil
	})
	defer remove()
	env := tr.Env.Spec().Name
	start := time.Now()
	curves := make([][]float64, len(metrics))
	for u := range n {
		m, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		var line strings.Builder
		for i, name := range metrics {
			v, ok := m[name]
			if !ok {
				t.Fatalf("%s: no metric %s", env, name)
			}
			curves[i] = append(curves[i], v)
			fmt.Fprintf(&line, "%s %.3f, ", name, v)
		}
		if u%25 == 0 || u == n-1 {
			t.Logf("%s update %3d (%4.0fs): %sepisode return %.3f", env, u+1, time.Since(start).Seconds(),
				line.String(), m[maac.MetricEpisodeReturnMean])
		}
	}
	for _, s := range samples {
		t.Log(s)
	}
	return curves
}

// Mean is the mean of xs.
func Mean(xs []float64) float64 {
	mean, _ := maac.MeanStd(xs)
	return mean
}

// Seeds returns the seeds a learning test trains with: the comma-separated list in
// $COLLM_SEEDS, or just 1 (what the suite runs). docs/EXPERIMENTS.md runs the learning tests
// over several seeds this way, e.g. COLLM_SEEDS=1,2,3.
func Seeds(t testing.TB) []uint64 {
	t.Helper()
	list := os.Getenv("COLLM_SEEDS")
	if list == "" {
		return []uint64{1}
	}
	var seeds []uint64
	for _, s := range strings.Split(list, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatalf("COLLM_SEEDS=%q: want comma-separated non-negative integers (%v)", list, err)
		}
		seeds = append(seeds, seed)
	}
	return seeds
}
