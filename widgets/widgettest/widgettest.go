// Package widgettest checks in a real browser what a person sees: it opens an HTML page (a
// report, an exported notebook) in Debian's headless Chromium and measures, chart by chart,
// whether ECharts drew something. Tests of widgets, kernel and notebooks use it.
package widgettest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/collm/collm/kernel"
)

//go:embed chartcheck.py
var script []byte

// ChartResult describes one element with class "collm-chart" after the page loaded.
type ChartResult struct {
	ID            string  `json:"id"`
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	HasCanvas     bool    `json:"has_canvas"`
	DrawnFraction float64 `json:"drawn_fraction"` // share of pixels unlike the background
	Colors        int     `json:"colors"`         // distinct colours in the chart's screenshot
	Text          string  `json:"text"`           // the text the element shows (a hint instead of a chart)
}

// Result is what the browser saw.
type Result struct {
	Charts        []ChartResult `json:"charts"`
	ConsoleErrors []string      `json:"console_errors"`
	// OpenedDetails is how many closed <details> (a dashboard's "more" toggles) the check opened
	// after the visible charts were drawn, before measuring every chart.
	OpenedDetails int `json:"opened_details"`
}

// Available returns nil when headless Chromium, chromedriver, Selenium and Pillow are installed,
// else an error that says how to install them.
func Available() error {
	for _, tool := range []string{"/usr/bin/chromium", "/usr/bin/chromedriver"} {
		if _, err := os.Stat(tool); err != nil {
			return fmt.Errorf("%s missing: run `collm kernel install --test-tools`", tool)
		}
	}
	out, err := exec.Command(kernel.Python(), "-c", "import selenium, PIL").CombinedOutput()
	if err != nil {
		return fmt.Errorf("selenium/pillow missing in %s (%s): run `collm kernel install --test-tools`", kernel.Python(), out)
	}
	return nil
}

// CheckCharts opens page (a file, or an http:// URL) in headless Chromium, waits for its charts
// and writes a screenshot of the page scrolled to its first chart to screenshot.
func CheckCharts(page, screenshot string) (*Result, error) {
	abs := page
	if !strings.HasPrefix(page, "http://") && !strings.HasPrefix(page, "https://") {
		var err error
		if abs, err = filepath.Abs(page); err != nil {
			return nil, err
		}
	}
	f, err := os.CreateTemp("", "collm-chartcheck-*.py")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(script); err != nil {
		return nil, err
	}
	f.Close()
	cmd := exec.Command(kernel.Python(), f.Name(), abs, screenshot)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if exit, ok := err.(*exec.ExitError); ok {
			stderr = exit.Stderr
		}
		return nil, fmt.Errorf("chart check of %s: %v\n%s", page, err, stderr)
	}
	var r Result
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("chart check of %s: bad output %q: %w", page, out, err)
	}
	return &r, nil
}

// Drawn reports whether a chart looks drawn: a canvas whose screenshot has a line or bars, not
// just a blank or single-colour area.
func (c ChartResult) Drawn() bool {
	return c.HasCanvas && c.Width > 0 && c.Height > 0 && c.DrawnFraction > 0.005 && c.Colors > 4
}
