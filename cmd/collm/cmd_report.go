package main

import (
	"fmt"
	"io"

	"github.com/collm/collm/widgets"
)

func init() {
	register(&command{
		name:    "report",
		summary: "write one self-contained HTML report (charts, summary, configs) of run directories",
		run:     runReport,
	})
}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", stderr)
	out := fs.String("out", "report.html", "HTML file to write")
	title := fs.String("title", "collm report", "title of the report")
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return usageErrorf("want one or more run directories: collm report RUN_DIR... --out report.html")
	}
	var runs []*widgets.History
	for _, dir := range dirs {
		h, err := widgets.LoadHistory(dir)
		if err != nil {
			return err
		}
		runs = append(runs, h)
	}
	if err := widgets.WriteReport(*out, *title, runs...); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: %s (%d runs)\n", *out, len(runs))
	return nil
}
