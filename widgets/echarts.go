package widgets

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

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
// unless the page already has it. It runs synchronously, in any browser: standalone pages
// (WriteHTML, WriteReport, WriteCompareReport) inline it.
func LibraryHTML() (string, error) {
	js, err := readLibrary()
	if err != nil {
		return "", err
	}
	// RequireJS (classic Notebook, HTML exports) defines window.define: ECharts' UMD header
	// would then register as an AMD module and never set window.echarts.
	return "<script type=\"text/javascript\">(function(){if(window.echarts){return;}" +
		"var define_=window.define;window.define=undefined;try{\n" +
		strings.ReplaceAll(string(js), "</script", "<\\/script") +
		"\n}finally{window.define=define_;}})();</script>", nil
}

func readLibrary() ([]byte, error) {
	path, err := kernel.EChartsPath()
	if err != nil {
		return nil, err
	}
	js, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the ECharts library is not in the cache (%s): run `collm kernel install`", path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the ECharts library: %w", err)
	}
	return js, nil
}

// notebookLibraryHTML returns the library as a notebook output carries it: gzip-compressed and
// base64-encoded (a third of the plain size), decoded in the browser with DecompressionStream and
// then run with RequireJS's define hidden. While it decodes, window.collmEChartsLoading is a
// promise that chart scripts wait on; it is rejected where the browser cannot decode, and the
// charts then load the kernelspec's copy (see ChartHTML).
func notebookLibraryHTML() (string, error) {
	js, err := readLibrary()
	if err != nil {
		return "", err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	zw.Write(js)
	if err := zw.Close(); err != nil {
		return "", err
	}
	return `<script type="text/javascript">(function(){var w=window;if(w.echarts||w.collmEChartsLoading){return;}
w.collmEChartsLoading=new Promise(function(ok,fail){
if(!w.DecompressionStream){fail(new Error("no DecompressionStream"));return;}
var b=atob("` + base64.StdEncoding.EncodeToString(gz.Bytes()) + `"),u=new Uint8Array(b.length);
for(var i=0;i<b.length;i++){u[i]=b.charCodeAt(i);}
new Response(new Blob([u]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(function(js){
if(!w.echarts){var s=document.createElement("script"),d=w.define;s.text=js;w.define=undefined;
try{document.head.appendChild(s);}finally{w.define=d;}}
ok();},fail);});})();</script>`, nil
}

// NoLibraryHint is what a chart shows in place of itself when its page has no ECharts library
// and none can be loaded.
const NoLibraryHint = "ECharts is not loaded on this page: restart the kernel and run all cells again"

// waitJS is the part of a chart script that runs when window.echarts is missing: it waits for a
// library that is still decoding (window.collmEChartsLoading) or that comes later in the page
// (polling until the page has loaded and at least a second has passed), then loads the copy that
// `collm kernel install` puts in the kernelspec directory, served by Jupyter at
// <base_url>kernelspecs/collm/echarts-VERSION.min.js (through RequireJS where the page has it),
// and last shows NoLibraryHint. Pages that are not served by Jupyter (an HTML export, a file)
// go straight to the hint.
var waitJS = `var d=document,t0=Date.now(),msg=` + jsString(NoLibraryHint) + `;
function drawOrHint(){if(w.echarts){draw();return;}var el=d.getElementById(id);if(!el){return;}
el.style.height="auto";el.style.color="#a00";el.textContent=msg;console.error("collm: "+msg);}
function fallback(){if(!w.collmEChartsFallback){w.collmEChartsFallback=new Promise(function(ok,fail){
var b=d.body&&d.body.getAttribute("data-base-url"),c=d.getElementById("jupyter-config-data");
if(b==null&&c){try{b=JSON.parse(c.textContent).baseUrl;}catch(e){}}
if(b==null||!/^https?:$/.test(location.protocol)){fail();return;}
b=decodeURIComponent(b);if(b.slice(-1)!=="/"){b+="/";}
var u=b+` + jsString("kernelspecs/"+kernel.KernelName+"/"+kernel.EChartsWebFile) + `;
if(typeof w.requirejs==="function"&&w.define&&w.define.amd){w.requirejs([u],function(e){w.echarts=w.echarts||e;ok();},fail);return;}
var s=d.createElement("script");s.src=u;s.onload=ok;s.onerror=fail;d.head.appendChild(s);});}
w.collmEChartsFallback.then(drawOrHint,drawOrHint);}
(function poll(){if(w.echarts){draw();}
else if(w.collmEChartsLoading){w.collmEChartsLoading.then(function(){if(w.echarts){draw();}else{fallback();}},fallback);}
else if(Date.now()-t0<1000||d.readyState!=="complete"){setTimeout(poll,50);}
else{fallback();}})();`

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// UntrustedHint is what a chart shows until its script runs: a notebook that is not trusted
// (classic Notebook runs output scripts only in trusted notebooks; JupyterLab alike) keeps it in
// place of the chart instead of a blank gap.
const UntrustedHint = "Chart not drawn: this notebook is not trusted — File › Trust Notebook, or re-run the cell"

// ChartHTML returns the chart's element and the script that draws it once ECharts is loaded.
// The script is scoped in a function and the element id is fresh, so the same chart can be
// rendered again on one page. Where the page has no window.echarts yet the script waits for it
// and loads it when it does not come (see waitJS). The element holds UntrustedHint until the
// script runs. A chart whose element has no size yet (inside a closed <details>) is drawn when
// it gets one (a ResizeObserver, and the details' toggle event), and resized with its element.
// The chart's data points are written compactly: [x, y] rather than {"value": [x, y]}, numbers to
// 6 significant digits (integers exactly).
func ChartHTML(c Chart, width, height string) (string, error) {
	c.Validate()
	option, err := json.Marshal(c.JSON())
	if err != nil {
		return "", fmt.Errorf("chart options: %w", err)
	}
	if option, err = compactOption(option); err != nil {
		return "", fmt.Errorf("chart options: %w", err)
	}
	id := "collm_chart_" + kernel.NewUniqueID()
	// json.Marshal escapes <, > and &: the option is safe inside <script>.
	return fmt.Sprintf(`<div class="collm-chart" id="%s" style="width:%s;height:%s;">`+
		`<div class="collm-untrusted" style="display:flex;align-items:center;justify-content:center;height:100%%;box-sizing:border-box;`+
		`border:1px dashed #ccc;color:#777;font:12px sans-serif;padding:8px;text-align:center">%s</div></div>
<script type="text/javascript">(function(){
var id=%q,w=window,el0=document.getElementById(id);if(el0){el0.textContent="";}
function draw(){var el=document.getElementById(id);if(!el){return;}
var chart=null;
function show(){if(chart){chart.resize();return;}if(!el.clientWidth||!el.clientHeight){return;}
chart=echarts.init(el,"white",{renderer:"canvas"});
chart.setOption(%s);
}
show();
if(w.ResizeObserver){new ResizeObserver(function(){show();}).observe(el);}
var dt=el.closest&&el.closest("details");if(dt){dt.addEventListener("toggle",function(){if(dt.open){show();}});}}
if(w.echarts){draw();return;}
%s
})();</script>`, id, html.EscapeString(width), html.EscapeString(height), html.EscapeString(UntrustedHint), id, option, waitJS), nil
}

// compactOption rewrites the series data of a marshalled ECharts option: a point {"value": v}
// becomes v (ECharts reads both alike) and numbers keep 6 significant digits. A dashboard's
// charts then take half the bytes.
func compactOption(option []byte) ([]byte, error) {
	var o map[string]any
	if err := json.Unmarshal(option, &o); err != nil {
		return nil, err
	}
	series, _ := o["series"].([]any)
	for _, s := range series {
		sm, ok := s.(map[string]any)
		if !ok {
			continue
		}
		data, ok := sm["data"].([]any)
		if !ok {
			continue
		}
		for i, p := range data {
			if m, ok := p.(map[string]any); ok && len(m) == 1 && m["value"] != nil {
				p = m["value"]
			}
			data[i] = roundNumbers(p)
		}
	}
	return json.Marshal(o)
}

// roundNumbers rounds every number in v to 6 significant digits; integers stay exact.
func roundNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) {
			return x
		}
		if r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64); err == nil {
			return r
		}
		return x
	case []any:
		for i := range x {
			x[i] = roundNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = roundNumbers(x[k])
		}
	}
	return v
}

// The library is shown once per kernel session: GoNB runs every cell as a new process but gives
// all of a kernel's cells the same $GONB_TMP_DIR (its Go module directory, removed when the
// kernel stops), where the first cell that shows the library leaves a marker.
var (
	libMu        sync.Mutex
	libShownHere bool // this process showed the library (the marker's stand-in outside GoNB)
)

// sessionMarker is the marker's path, or "" when this process is not a cell of a GoNB kernel.
func sessionMarker() string {
	dir := os.Getenv("GONB_TMP_DIR")
	if dir == "" {
		return ""
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return ""
	}
	return filepath.Join(dir, "collm-echarts-"+kernel.EChartsVersion+".shown")
}

// libraryShown reports whether this process or an earlier cell of its kernel session showed the
// library.
func libraryShown() bool {
	if libShownHere {
		return true
	}
	if m := sessionMarker(); m != "" {
		_, err := os.Stat(m)
		return err == nil
	}
	return false
}

// markLibraryShown records that the library reached the notebook. A marker that cannot be
// written only makes later cells carry the library again.
func markLibraryShown() {
	libShownHere = true
	if m := sessionMarker(); m != "" {
		os.WriteFile(m, []byte(kernel.EChartsWebFile+"\n"), 0o644)
	}
}

// libraryOutput returns what a cell displays before its first chart: the compressed library when
// neither this process nor an earlier cell of its kernel session showed it, else "".
func libraryOutput() (string, error) {
	if libraryShown() {
		return "", nil
	}
	return notebookLibraryHTML()
}

// showLibrary displays the library in the cell unless this kernel session already did, and waits
// until the notebook has it before recording that it did.
func showLibrary() error {
	libMu.Lock()
	defer libMu.Unlock()
	lib, err := libraryOutput()
	if err != nil || lib == "" {
		return err
	}
	kernel.DisplayHTML(lib)
	kernel.Sync()
	markLibraryShown()
	return nil
}

// Display shows charts in the notebook cell (preceded by the ECharts library when no earlier
// cell of this kernel session showed it) and waits until the notebook has them. Outside a
// notebook it does nothing.
func Display(cs ...Chart) error {
	if !kernel.InNotebook() {
		return nil
	}
	if err := showLibrary(); err != nil {
		return err
	}
	out, err := chartsHTML(cs...)
	if err != nil {
		return err
	}
	kernel.DisplayHTML(out)
	kernel.Sync()
	return nil
}

func chartsHTML(cs ...Chart) (string, error) {
	var b strings.Builder
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
	lib, err := LibraryHTML()
	if err != nil {
		return err
	}
	body, err := chartsHTML(cs...)
	if err != nil {
		return err
	}
	page := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) +
		"</title></head><body style=\"font-family:sans-serif;margin:2em\"><h1>" + html.EscapeString(title) +
		"</h1>\n" + lib + body + "\n</body></html>\n"
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
