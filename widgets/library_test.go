package widgets

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
	"github.com/collm/collm/widgets/widgettest"
)

// fakeLibrary puts a stand-in for echarts.min.js in a fresh cache and returns its text.
func fakeLibrary(t *testing.T) string {
	t.Helper()
	t.Setenv("COLLM_CACHE", t.TempDir())
	path, err := kernel.EChartsPath()
	if err != nil {
		t.Fatal(err)
	}
	js := "/* fake echarts.min.js */ window.echarts = {fake: true};"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	return js
}

// newProcess forgets what this process showed, as a new cell's process starts.
func newProcess(t *testing.T) {
	t.Helper()
	libShownHere = false
	t.Cleanup(func() { libShownHere = false })
}

// Every GoNB cell is a new process: the first cell of a kernel session that draws carries the
// library, later cells of that session (simulated by a new process with the session's marker)
// do not, and a new session or a process outside GoNB carries it again.
func TestLibraryOncePerSession(t *testing.T) {
	fakeLibrary(t)
	sessionA, sessionB := t.TempDir(), t.TempDir()
	steps := []struct {
		name      string
		gonbTmp   string // $GONB_TMP_DIR of the cell's process
		newProc   bool   // the step runs in a new process (a new cell)
		wantLib   bool
		wantMarks []string // sessions whose marker exists after the step
	}{
		{"first cell of session A", sessionA, true, true, []string{sessionA}},
		{"same cell draws again", sessionA, false, false, []string{sessionA}},
		{"second cell of session A", sessionA, true, false, []string{sessionA}},
		{"third cell of session A", sessionA, true, false, []string{sessionA}},
		{"first cell of session B (another kernel)", sessionB, true, true, []string{sessionA, sessionB}},
		{"a process outside GoNB", "", true, true, []string{sessionA, sessionB}},
		{"the same process again", "", false, false, []string{sessionA, sessionB}},
		{"another process outside GoNB", "", true, true, []string{sessionA, sessionB}},
		{"GONB_TMP_DIR that does not exist", filepath.Join(sessionA, "gone"), true, true, []string{sessionA, sessionB}},
	}
	for _, s := range steps {
		t.Setenv("GONB_TMP_DIR", s.gonbTmp)
		if s.newProc {
			newProcess(t)
		}
		lib, err := libraryOutput()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := lib != ""; got != s.wantLib {
			t.Errorf("%s: carries the library = %v, want %v", s.name, got, s.wantLib)
		}
		if lib != "" {
			if !strings.Contains(lib, "DecompressionStream") || !strings.Contains(lib, "collmEChartsLoading") {
				t.Errorf("%s: the notebook library is not the compressed loader: %.200s", s.name, lib)
			}
			markLibraryShown()
		}
		for _, dir := range []string{sessionA, sessionB} {
			_, err := os.Stat(filepath.Join(dir, "collm-echarts-"+kernel.EChartsVersion+".shown"))
			want := false
			for _, m := range s.wantMarks {
				want = want || m == dir
			}
			if (err == nil) != want {
				t.Errorf("%s: marker in %s exists = %v, want %v", s.name, dir, err == nil, want)
			}
		}
	}
}

// A session whose first cell found no library (not installed) does not count as having shown it.
func TestLibraryMissingInSession(t *testing.T) {
	t.Setenv("COLLM_CACHE", t.TempDir())
	session := t.TempDir()
	t.Setenv("GONB_TMP_DIR", session)
	newProcess(t)
	if _, err := libraryOutput(); err == nil || !strings.Contains(err.Error(), "collm kernel install") {
		t.Fatalf("err = %v, want a hint to run collm kernel install", err)
	}
	if libraryShown() {
		t.Error("a failed library counts as shown")
	}
}

// The chart itself never carries the library: its script draws at once when window.echarts is
// there, else waits for a library that is decoding or comes later in the page, then loads the
// kernelspec's copy, then shows a one-line hint.
func TestChartScriptWaitsForLibrary(t *testing.T) {
	lib := fakeLibrary(t)
	h, err := ChartHTML(LineChart("loss", "step", "loss", Series{Name: "a", X: []float64{0, 1}, Y: []float64{1, 0}}), "100%", "300px")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`if(w.echarts){draw();return;}`,                     // draws at once when loaded
		`w.collmEChartsLoading.then(`,                       // waits for the compressed library
		`d.readyState!=="complete"`,                         // and for one later in the page
		`"kernelspecs/collm/` + kernel.EChartsWebFile + `"`, // then loads the kernelspec's copy
		`d.body.getAttribute("data-base-url")`,              // classic Notebook's base URL
		`d.getElementById("jupyter-config-data")`,           // JupyterLab's and Notebook 7's
		`w.requirejs([u]`,                                   // through RequireJS where present
		jsString(NoLibraryHint),                             // and last the hint
		"chart.setOption({",                                 // the option, as tests read it
	} {
		if !strings.Contains(h, want) {
			t.Errorf("chart script lacks %s", want)
		}
	}
	if strings.Contains(h, lib) || len(h) > 10_000 {
		t.Errorf("a chart of two points takes %d bytes or carries the library", len(h))
	}
}

// Standalone pages are files opened offline: they inline the plain library, whatever the kernel
// session has shown.
func TestStandalonePagesInlineLibrary(t *testing.T) {
	lib := fakeLibrary(t)
	session := t.TempDir()
	t.Setenv("GONB_TMP_DIR", session)
	newProcess(t)
	markLibraryShown() // an earlier cell showed it
	dir := t.TempDir()
	run := history("cc", maac.Metrics{maac.MetricEnvStep: 4, maac.MetricEpisodeReturnMean: 0.5},
		maac.Metrics{maac.MetricEnvStep: 8, maac.MetricEpisodeReturnMean: 0.75})
	pages := []struct {
		name  string
		write func(path string) error
	}{
		{"WriteHTML", func(p string) error { return WriteHTML(p, "t", LineChart("t", "x", "y")) }},
		{"WriteReport", func(p string) error { return WriteReport(p, "report", run) }},
	}
	for _, p := range pages {
		path := filepath.Join(dir, p.name+".html")
		if err := p.write(path); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		page, _ := os.ReadFile(path)
		if n := strings.Count(string(page), lib); n != 1 {
			t.Errorf("%s: the library is inlined %d times, want once", p.name, n)
		}
		if strings.Contains(string(page), "DecompressionStream") {
			t.Errorf("%s: a standalone page uses the compressed notebook library", p.name)
		}
	}
}

func TestCompactOption(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"series":[{"data":[{"value":[32,24.53125]},{"value":[64,0.123456789]}]}]}`,
			`{"series":[{"data":[[32,24.5312],[64,0.123457]]}]}`},
		// Integers stay exact, however large; tiny numbers keep 6 significant digits.
		{`{"series":[{"data":[{"value":[123456789,1.23456789e-9]}]}]}`,
			`{"series":[{"data":[[123456789,1.23457e-9]]}]}`},
		// Points with more than a value (a pie's name) and options outside the data stay as they are.
		{`{"series":[{"data":[{"name":"a","value":0.333333333}],"name":"s"}],"yAxis":{"min":0.123456789}}`,
			`{"series":[{"data":[{"name":"a","value":0.333333}],"name":"s"}],"yAxis":{"min":0.123456789}}`},
		{`{"series":[{"data":[{"value":3},null]}]}`, `{"series":[{"data":[3,null]}]}`},
		{`{"title":{"text":"no series"}}`, `{"title":{"text":"no series"}}`},
	}
	for _, tt := range tests {
		got, err := compactOption([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		var g, w any
		json.Unmarshal(got, &g)
		json.Unmarshal([]byte(tt.want), &w)
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			t.Errorf("compactOption(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// checkDrawn opens page and wants n charts drawn without console errors.
func checkDrawn(t *testing.T, page, shot string, n int) {
	t.Helper()
	res, err := widgettest.CheckCharts(page, shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charts) != n {
		t.Fatalf("browser found %d charts, want %d", len(res.Charts), n)
	}
	for _, c := range res.Charts {
		if !c.Drawn() {
			t.Errorf("chart %s not drawn: %+v", c.ID, c)
		}
	}
	if len(res.ConsoleErrors) > 0 {
		t.Errorf("console errors: %q", res.ConsoleErrors)
	}
}

// requireJS is Debian's RequireJS, which nbconvert's HTML exports load, or "" when missing.
func requireJS() string {
	const path = "/usr/share/javascript/requirejs/require.min.js"
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}

func testCharts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		h, err := ChartHTML(LineChart("chart", "step", "y",
			Series{Name: "a", X: []float64{0, 1, 2, 3}, Y: []float64{float64(i), 2, 1, 0.5}},
			Series{Name: "b", X: []float64{0, 1, 2, 3}, Y: []float64{0, 1, 0.5, float64(i)}}), "600px", "300px")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

// The notebook's compressed library draws the charts after it, and those before it (a cell run
// again above the first chart cell), with RequireJS on the page as in an HTML export.
func TestNotebookLibraryInBrowser(t *testing.T) {
	requireBrowser(t)
	dir := t.TempDir()
	lib, err := notebookLibraryHTML()
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := LibraryHTML()
	if len(lib) > len(plain)/2 {
		t.Errorf("the compressed library takes %d bytes, the plain one %d", len(lib), len(plain))
	}
	cs := testCharts(t, 3)
	for _, withRequire := range []bool{false, true} {
		head := ""
		if withRequire {
			if requireJS() == "" {
				continue
			}
			head = `<script src="file://` + requireJS() + `"></script>`
		}
		page := filepath.Join(dir, "nb.html")
		body := "<!DOCTYPE html><html><head>" + head + "</head><body>" + cs[0] + lib + cs[1] + cs[2] + "</body></html>"
		if err := os.WriteFile(page, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		checkDrawn(t, page, filepath.Join(dir, "nb.png"), 3)
	}
}

// An HTML export of a notebook whose library-carrying output is gone waits, then shows the hint
// (and logs it) instead of a blank box.
func TestMissingLibraryShowsHint(t *testing.T) {
	requireBrowser(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "nolib.html")
	if err := os.WriteFile(page, []byte("<html><body>"+testCharts(t, 1)[0]+"</body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := widgettest.CheckCharts(page, filepath.Join(dir, "shot.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charts) != 1 || res.Charts[0].Drawn() {
		t.Fatalf("a chart without ECharts counted as drawn: %+v", res.Charts)
	}
	if !strings.Contains(strings.Join(res.ConsoleErrors, "\n"), "ECharts is not loaded on this page") {
		t.Errorf("console errors %q lack the hint", res.ConsoleErrors)
	}
}

// A page served by Jupyter without the library (outputs cleared, or a notebook reopened with a
// kernel that already showed it) loads the copy under kernelspecs/collm/, with and without
// RequireJS on the page; where that copy is missing the charts show the hint.
func TestChartLoadsKernelspecCopy(t *testing.T) {
	requireBrowser(t)
	libPath, err := kernel.EChartsPath()
	if err != nil {
		t.Fatal(err)
	}
	cs := testCharts(t, 2)
	tests := []struct {
		name       string
		requirejs  bool
		serveCopy  bool
		baseURL    string // where Jupyter is mounted
		configData bool   // JupyterLab's way of giving the base URL
		wantDrawn  bool
	}{
		{"classic notebook", false, true, "/", false, true},
		{"classic notebook with RequireJS", true, true, "/", false, true},
		{"JupyterLab under a prefix", false, true, "/user/me/", true, true},
		{"no copy installed", true, false, "/", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.requirejs && requireJS() == "" {
				t.Skip("no RequireJS at /usr/share/javascript/requirejs")
			}
			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == tt.baseURL+"notebooks/nb.ipynb":
					head, body := "", `<body>`
					if tt.requirejs {
						head = `<script src="` + tt.baseURL + `static/require.js"></script>`
					}
					if tt.configData {
						head += `<script id="jupyter-config-data" type="application/json">{"baseUrl": "` + tt.baseURL + `"}</script>`
					} else {
						body = `<body data-base-url="` + tt.baseURL + `">`
					}
					w.Header().Set("Content-Type", "text/html")
					w.Write([]byte("<!DOCTYPE html><html><head>" + head + "</head>" + body + cs[0] + cs[1] + "</body></html>"))
				case r.URL.Path == tt.baseURL+"static/require.js":
					http.ServeFile(w, r, requireJS())
				case r.URL.Path == tt.baseURL+"kernelspecs/collm/"+kernel.EChartsWebFile && tt.serveCopy:
					http.ServeFile(w, r, libPath)
				case r.URL.Path == "/favicon.ico":
					w.WriteHeader(http.StatusNoContent)
				default:
					http.NotFound(w, r)
				}
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			url := srv.URL + tt.baseURL + "notebooks/nb.ipynb"
			shot := filepath.Join(t.TempDir(), "shot.png")
			if tt.wantDrawn {
				checkDrawn(t, url, shot, 2)
				return
			}
			res, err := widgettest.CheckCharts(url, shot)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Charts {
				if c.Drawn() {
					t.Errorf("chart %s drawn without a library", c.ID)
				}
			}
			if !strings.Contains(strings.Join(res.ConsoleErrors, "\n"), "ECharts is not loaded on this page") {
				t.Errorf("console errors %q lack the hint", res.ConsoleErrors)
			}
		})
	}
}
