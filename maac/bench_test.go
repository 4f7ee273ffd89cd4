package maac

import (
	"strings"
	"testing"
)

// BenchmarkUpdate measures whole updates of CC, DC and MAGRPO with tiny agents on toy-coord
// (2 agents, 2 turns, K=4, 4 tasks per update), with the reference's cadence and with one step
// per update, and reports env steps/s and the share of the update spent in generation, critic
// scoring, critic training and the actors' optimizer steps (which include the gradient-variance
// measurement):
//
//	go test -run XXX -bench BenchmarkUpdate ./maac
func BenchmarkUpdate(b *testing.B) {
	for _, name := range []string{"cc", "dc", "magrpo", "cc/update", "dc/update", "magrpo/update"} {
		b.Run(name, func(b *testing.B) {
			algo, minibatch, _ := strings.Cut(name, "/")
			cfg := runConfig(algo, map[string]string{"turns": "2"}, 1)
			if minibatch != "" {
				if err := cfg.SetCommon(func(c *Common) { c.Minibatch = Minibatch(minibatch) }); err != nil {
					b.Fatal(err)
				}
			}
			tr, err := Build(cfg)
			if err != nil {
				b.Fatal(err)
			}
			for range 2 { // compile the graphs outside the timing
				if _, err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
			sum := Metrics{"last": float64(tr.EnvSteps())}
			b.ResetTimer()
			for range b.N {
				m, err := tr.Step()
				if err != nil {
					b.Fatal(err)
				}
				for _, k := range []string{MetricTimeUpdate, MetricTimeGeneration, MetricTimeScoring, MetricTimeCritic, MetricTimeOptimizer, MetricTimeEnv} {
					sum[k] += m[k]
				}
				sum["steps"] += float64(m[MetricEnvStep]) - sum["last"]
				sum["last"] = m[MetricEnvStep]
			}
			total := sum[MetricTimeUpdate]
			b.ReportMetric(float64(b.N)/total, "updates/s")
			b.ReportMetric(sum["steps"]/total, "env_steps/s")
			b.ReportMetric(100*sum[MetricTimeGeneration]/total, "%generation")
			b.ReportMetric(100*sum[MetricTimeScoring]/total, "%scoring")
			b.ReportMetric(100*sum[MetricTimeCritic]/total, "%critic")
			b.ReportMetric(100*sum[MetricTimeOptimizer]/total, "%optimizer")
		})
	}
}
