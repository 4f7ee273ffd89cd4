package widgets

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/collm/collm/kernel"
)

// Chart is what every go-echarts chart (charts.Line, charts.Bar, ...) implements.
type Chart interface {
	Validate()
	JSON() map[string]interface{}
}

// LibraryHTML returns a <script> element that defines window.echarts from the local cache,
// unless the page already has it.
func LibraryHTML() (string, error) {
	path, err := kernel.EChartsPath()
	if err != nil {
		return "", err
	}
	js, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("the ECharts library is not in the cache (%s): run `collm kernel install`", path)
	}
	if err != nil {
		return "", fmt.Errorf("reading the ECharts library: %w", err)
	}
	// RequireJS (classic Notebook, HTML exports) defines window.define: ECharts' UMD header
	// would then register as an AMD module and never set window.echarts.
	return "<script type=\"text/javascript\">(function(){if(window.echarts){return;}" +
		"var define_=window.define;window.define=undefined;try{\n" +
		strings.ReplaceAll(string(js), "</script", "<\\/script") +
		"\n}finally{window.define=define_;}})();</script>", nil
}

// ChartHTML returns the chart's element and the script that draws it once ECharts is loaded.
// The script is scoped in a function and the element id is fresh, so the same chart can be
// rendered again on one page.
func ChartHTML(c Chart, width, height string) (string, error) {
	c.Validate()
	option, err := json.Marshal(c.JSON()) // json.Marshal escapes <, > and &, safe inside <script>.
	if err != nil {
		return "", fmt.Errorf("chart options: %w", err)
	}
	id := "collm_chart_" + kernel.NewUniqueID()
	return fmt.Sprintf(`<div class="collm-chart" id="%s" style="width:%s;height:%s;"></div>
<script type="text/javascript">(function(){
var el=document.getElementById(%q);
var chart=echarts.init(el,"white",{renderer:"canvas"});
chart.setOption(%s);
if(window.ResizeObserver){new ResizeObserver(function(){chart.resize();}).observe(el);}
})();</script>`, id, html.EscapeString(width), html.EscapeString(height), id, option), nil
}

var libShown bool

// Display shows charts in the notebook cell (with the ECharts library the first time in this
// process) and waits until the notebook has them. Outside a notebook it does nothing.
func Display(cs ...Chart) error {
	if !kernel.InNotebook() {
		return nil
	}
	out, err := pageHTML(!libShown, cs...)
	if err != nil {
		return err
	}
	libShown = true
	kernel.DisplayHTML(out)
	kernel.Sync()
	return nil
}

// pageHTML renders charts, preceded by the library when withLib is set.
func pageHTML(withLib bool, cs ...Chart) (string, error) {
	var b strings.Builder
	if withLib {
		lib, err := LibraryHTML()
		if err != nil {
			return "", err
		}
		b.WriteString(lib)
	}
	for _, c := range cs {
		h, err := ChartHTML(c, "100%", "360px")
		if err != nil {
			return "", err
		}
		b.WriteString(h)
	}
	return b.String(), nil
}

// WriteHTML writes a self-contained HTML page (library inlined) with a title and the charts:
// it opens offline in any browser.
func WriteHTML(path, title string, cs ...Chart) error {
	body, err := pageHTML(true, cs...)
	if err != nil {
		return err
	}
	page := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) +
		"</title></head><body style=\"font-family:sans-serif;margin:2em\"><h1>" + html.EscapeString(title) +
		"</h1>\n" + body + "\n</body></html>\n"
	return os.WriteFile(path, []byte(page), 0o644)
}

// Series is one named line of a LineChart.
type Series struct {
	Name string
	X, Y []float64
}

// LineChart builds a line chart of the series over a numeric x axis.
func LineChart(title, xName, yName string, series ...Series) *charts.Line {
	line := charts.NewLine()
	line.SetGlobalOptions(
		charts.WithTitleOpts(opts.Title{Title: title}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(len(series) > 1), Top: "bottom"}),
		charts.WithXAxisOpts(opts.XAxis{Name: xName, Type: "value"}),
		charts.WithYAxisOpts(opts.YAxis{Name: yName, Type: "value", Scale: opts.Bool(true)}),
		charts.WithAnimation(false),
	)
	for _, s := range series {
		n := min(len(s.X), len(s.Y))
		data := make([]opts.LineData, n)
		for i := range n {
			data[i] = opts.LineData{Value: []float64{s.X[i], s.Y[i]}}
		}
		line.AddSeries(s.Name, data, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}))
	}
	return line
}
