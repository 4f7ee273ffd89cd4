package widgets

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/collm/collm/kernel"
	"github.com/collm/collm/widgets/widgettest"
)

func TestChartHTMLEscapesAndUsesFreshIDs(t *testing.T) {
	c := LineChart(`loss </script><script>alert(1)</script>`, "step", "y",
		Series{Name: `<img src=x onerror=alert(2)>`, X: []float64{0, 1}, Y: []float64{1, 2}})
	a, err := ChartHTML(c, "100%", "300px")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ChartHTML(c, "100%", "300px")
	if strings.Contains(a, "</script><script>alert") || strings.Contains(a, "<img") {
		t.Errorf("chart HTML carries raw markup from a title or series name:\n%s", a)
	}
	ids := regexp.MustCompile(`id="(collm_chart_[0-9a-f]+)"`)
	ma, mb := ids.FindStringSubmatch(a), ids.FindStringSubmatch(b)
	if ma == nil || mb == nil || ma[1] == mb[1] {
		t.Errorf("element ids %v and %v: want two distinct collm_chart_ ids", ma, mb)
	}
	if strings.Contains(a, "let goecharts_") {
		t.Error("chart script declares a page-level variable; re-rendering would throw")
	}
}

func TestLibraryMissing(t *testing.T) {
	t.Setenv("COLLM_CACHE", t.TempDir())
	_, err := LibraryHTML()
	if err == nil || !strings.Contains(err.Error(), "collm kernel install") {
		t.Fatalf("err = %v, want a hint to run collm kernel install", err)
	}
	if err := WriteHTML(filepath.Join(t.TempDir(), "x.html"), "x", LineChart("t", "x", "y")); err == nil {
		t.Error("WriteHTML without the library succeeded")
	}
}

// requireBrowser skips when the browser tools are missing, unless the Makefile's test target asks
// for them (COLLM_REQUIRE_TOOLS=1), where a missing tool is a failure.
func requireBrowser(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if err := widgettest.Available(); err != nil {
		if os.Getenv("COLLM_REQUIRE_TOOLS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if _, err := LibraryHTML(); err != nil {
		if os.Getenv("COLLM_REQUIRE_TOOLS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func TestOfflinePageDrawsCharts(t *testing.T) {
	requireBrowser(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "page.html")
	loss := LineChart("loss", "step", "loss", Series{Name: "a", X: []float64{0, 1, 2, 3}, Y: []float64{4, 2, 1, 0.5}})
	ret := LineChart("return", "env_step", "return",
		Series{Name: "cc", X: []float64{0, 10, 20}, Y: []float64{-1, 0, 1}},
		Series{Name: "magrpo", X: []float64{0, 10, 20}, Y: []float64{-1, -0.5, 0}})
	if err := WriteHTML(page, "two charts", loss, ret); err != nil {
		t.Fatal(err)
	}
	res, err := widgettest.CheckCharts(page, filepath.Join(dir, "shot.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charts) != 2 {
		t.Fatalf("browser found %d charts, want 2", len(res.Charts))
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

func TestDisplayOutsideNotebookIsSilent(t *testing.T) {
	if kernel.InNotebook() {
		t.Skip("inside a notebook")
	}
	t.Setenv("COLLM_CACHE", t.TempDir()) // no library: Display must not even look for it
	if err := Display(LineChart("t", "x", "y")); err != nil {
		t.Fatalf("Display outside a notebook: %v", err)
	}
}
