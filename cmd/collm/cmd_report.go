package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/collm/collm/widgets"
)

func init() {
	register(&command{
		name:    "report",
		summary: "write one self-contained HTML report (charts, summary, configs) of run directories or of a comparison",
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
		return usageErrorf("want one or more run directories, or one comparison directory: collm report DIR... --out report.html")
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "compare.json")); err == nil {
		if len(dirs) > 1 {
			return usageErrorf("a comparison directory (%s) is reported alone", dirs[0])
		}
		if err := widgets.WriteCompareReport(*out, dirs[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "report: %s (comparison %s)\n", *out, dirs[0])
		return nil
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
