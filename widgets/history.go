package widgets

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/collm/collm/maac"
)

// History is the metrics of one run in update order, with a label that groups runs of the same
// method (several seeds of "cc" are drawn as one mean line with a +/- std band).
type History struct {
	Name    string // the run's own name, e.g. its directory
	Label   string // the group it belongs to; default the algorithm
	Metrics []maac.Metrics
	Config  *maac.RunConfig // nil for a live run without a directory
}

// LoadHistory reads a run directory written by maac.Create or `collm train`.
func LoadHistory(dir string) (*History, error) {
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s is not a collm run (no config.json)", dir)
	}
	if err != nil {
		return nil, err
	}
	var cfg maac.RunConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s/config.json is corrupt: %w", dir, err)
	}
	ms, err := maac.ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return &History{Name: filepath.Base(filepath.Clean(dir)), Label: cfg.Algorithm, Metrics: ms, Config: &cfg}, nil
}

// metricNames returns the metric names present in any update matching the filter, sorted.
func metricNames(runs []*History, keep func(string) bool) []string {
	seen := map[string]bool{}
	for _, h := range runs {
		for _, m := range h.Metrics {
			for k := range m {
				if keep(k) {
					seen[k] = true
				}
			}
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// groups returns the runs grouped by label, in first-seen order.
func groups(runs []*History) (labels []string, byLabel map[string][]*History) {
	byLabel = map[string][]*History{}
	for _, h := range runs {
		label := h.Label
		if label == "" {
			label = h.Name
		}
		if _, ok := byLabel[label]; !ok {
			labels = append(labels, label)
		}
		byLabel[label] = append(byLabel[label], h)
	}
	return labels, byLabel
}
