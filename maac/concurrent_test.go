package maac

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestConcurrentUpdatesMatchSequential: an update's agents and critics run as concurrent tasks
// with the results of running them one after another (Common.Sequential): the same metrics and,
// bit for bit, the same weights and optimizer state after two updates, for the centralized
// critic stepped inside each agent's steps (reference cadence) and once per update, separate
// critics, a value head on each actor, and the Monte Carlo family.
func TestConcurrentUpdatesMatchSequential(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 10 small runs")
	}
	for _, name := range []string{"cc", "cc/update", "dc", "dc-shared", "magrpo"} {
		t.Run(name, func(t *testing.T) {
			var metrics []Metrics
			var weights []map[string][]float32
			for _, sequential := range []bool{true, false} {
				algo, minibatch, _ := strings.Cut(name, "/")
				cfg := runConfig(algo, map[string]string{"turns": "2"}, 5)
				if err := cfg.SetCommon(func(c *Common) {
					c.Sequential = sequential
					if minibatch != "" {
						c.Minibatch = Minibatch(minibatch)
					}
				}); err != nil {
					t.Fatal(err)
				}
				tr := mustBuild(t, cfg)
				var m Metrics
				for range 2 {
					var err error
					if m, err = tr.Step(); err != nil {
						t.Fatal(err)
					}
				}
				metrics = append(metrics, m)
				w := map[string][]float32{}
				for v := range tr.Store.IterVariables() {
					value, err := v.Value()
					if err != nil {
						t.Fatal(err)
					}
					w[v.Path()] = tensors.MustCopyFlatData[float32](value)
				}
				weights = append(weights, w)
			}
			for k, seq := range metrics[0] {
				if strings.HasPrefix(k, "time/") || strings.HasPrefix(k, "throughput/") {
					continue
				}
				if conc, ok := metrics[1][k]; !ok || conc != seq {
					t.Errorf("metric %s: sequential %v, concurrent %v", k, seq, conc)
				}
			}
			if len(weights[0]) != len(weights[1]) {
				t.Fatalf("%d variables sequential, %d concurrent", len(weights[0]), len(weights[1]))
			}
			for path, seq := range weights[0] {
				if !slices.Equal(seq, weights[1][path]) {
					t.Errorf("variable %s differs between the sequential and the concurrent run", path)
				}
			}
		})
	}
}
