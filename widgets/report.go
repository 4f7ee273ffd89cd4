package widgets

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// WriteReport writes one self-contained HTML file (the ECharts library inlined) with every chart
// of the runs, a table of their final metrics and their configurations; it opens offline.
func WriteReport(path, title string, runs ...*History) error {
	if len(runs) == 0 {
		return fmt.Errorf("report: no runs")
	}
	lib, err := LibraryHTML()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"+
		"<body style=\"font-family:sans-serif;margin:2em;max-width:1200px\">\n<h1>%s</h1>\n", escape(title), escape(title))
	b.WriteString(lib)
	b.WriteString("<h2>Summary</h2>\n" + SummaryHTML(runs...) + "\n<h2>Charts</h2>\n")
	for _, c := range AllCharts(runs...) {
		h, err := ChartHTML(c, "100%", "360px")
		if err != nil {
			return err
		}
		b.WriteString(h + "\n")
	}
	b.WriteString("<h2>Configurations</h2>\n")
	for _, h := range runs {
		if h.Config == nil {
			continue
		}
		cfg, _ := json.MarshalIndent(h.Config, "", "  ")
		fmt.Fprintf(&b, "<h3>%s</h3>\n<pre style=\"background:#f6f6f6;padding:8px\">%s</pre>\n", escape(h.Name), escape(string(cfg)))
	}
	b.WriteString("</body></html>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
