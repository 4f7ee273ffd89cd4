package widgets

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collm/collm/kernel"
	"github.com/collm/collm/widgets/widgettest"
)

// TestClassicNotebookLoadsKernelspecCopy opens saved notebooks in a real classic Notebook server
// (Debian's jupyter-notebook) and headless Chromium: one as `collm notebook run` saves it, whose
// first chart cell carries the compressed library, draws every chart without help; one whose
// chart outputs lack the library (the first chart cell cleared, or a notebook reopened with only
// later outputs) loads the copy that `collm kernel install` puts next to kernel.json, through the
// server's kernelspecs handler and the page's RequireJS.
func TestClassicNotebookLoadsKernelspecCopy(t *testing.T) {
	requireBrowser(t)
	if _, err := exec.LookPath("jupyter-notebook"); err != nil {
		if os.Getenv("COLLM_REQUIRE_TOOLS") == "1" {
			t.Fatal("jupyter-notebook missing: run `collm kernel install`")
		}
		t.Skip("jupyter-notebook missing")
	}
	lib, err := readLibrary()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	data, nbDir := filepath.Join(root, "data"), filepath.Join(root, "notebooks")
	spec := filepath.Join(data, "kernels", kernel.KernelName)
	for _, d := range []string{spec, nbDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A kernelspec named like collm's; the page never needs the kernel itself.
	kj := `{"argv": ["` + kernel.Python() + `", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Go (collm)", "language": "go"}`
	os.WriteFile(filepath.Join(spec, "kernel.json"), []byte(kj), 0o644)
	display := func(h string) map[string]any {
		return map[string]any{"output_type": "display_data", "metadata": map[string]any{}, "data": map[string]any{"text/html": h}}
	}
	writeNotebook := func(name string, cells ...[]map[string]any) string {
		var cs []any
		for i, outputs := range cells {
			cs = append(cs, map[string]any{"cell_type": "code", "id": fmt.Sprint("c", i), "execution_count": i + 1,
				"metadata": map[string]any{}, "source": "widgets.Display(charts...)", "outputs": outputs})
		}
		nb := map[string]any{"nbformat": 4, "nbformat_minor": 5, "cells": cs,
			"metadata": map[string]any{"kernelspec": map[string]any{"name": kernel.KernelName, "display_name": "Go (collm)", "language": "go"}}}
		raw, _ := json.MarshalIndent(nb, "", " ")
		path := filepath.Join(nbDir, name)
		os.WriteFile(path, raw, 0o644)
		return path
	}
	nbLib, err := notebookLibraryHTML()
	if err != nil {
		t.Fatal(err)
	}
	cs := testCharts(t, 3)
	// As `collm notebook run` saves it: the library in the first chart cell (here after a chart of
	// a cell above it, run later in the session), charts only in later cells.
	embedded := writeNotebook("embedded.ipynb", []map[string]any{display(cs[0])},
		[]map[string]any{display(nbLib), display(cs[1])}, []map[string]any{display(cs[2])})
	// The first chart cell's output cleared.
	cleared := writeNotebook("cleared.ipynb", []map[string]any{display(cs[0]), display(cs[1])})

	env := append(os.Environ(), "JUPYTER_DATA_DIR="+data, "JUPYTER_CONFIG_DIR="+filepath.Join(root, "config"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(root, "runtime"), "HOME="+root)
	for _, path := range []string{embedded, cleared} {
		trust := exec.Command(kernel.Python(), "-m", "nbformat.sign", path) // Notebook 6 runs output scripts only when trusted
		trust.Env = env
		if out, err := trust.CombinedOutput(); err != nil {
			t.Fatalf("jupyter trust: %v\n%s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	server := exec.Command("jupyter-notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1",
		fmt.Sprintf("--port=%d", port), "--NotebookApp.token=collm-test", "--notebook-dir="+nbDir)
	server.Env = env
	log := filepath.Join(root, "server.log")
	logf, _ := os.Create(log)
	server.Stdout, server.Stderr = logf, logf
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		server.Process.Kill()
		server.Wait()
		logf.Close()
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(base + "api?token=collm-test")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(log)
			t.Fatalf("the notebook server did not start: %v\n%s", err, out)
		}
	}
	// Without the kernelspec's copy, the library in the notebook draws every chart.
	checkDrawnIgnoring(t, base+"notebooks/embedded.ipynb?token=collm-test", filepath.Join(root, "embedded.png"), 3)

	// The copy is served where the chart script looks for it, and draws the cleared notebook.
	os.WriteFile(filepath.Join(spec, kernel.EChartsWebFile), lib, 0o644)
	resp, err := http.Get(base + "kernelspecs/" + kernel.KernelName + "/" + kernel.EChartsWebFile + "?token=collm-test")
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
		t.Fatalf("kernelspecs copy: %v %+v", err, resp)
	}
	resp.Body.Close()
	checkDrawnIgnoring(t, base+"notebooks/cleared.ipynb?token=collm-test", filepath.Join(root, "cleared.png"), 2)
}

// checkDrawnIgnoring is checkDrawn for a live Jupyter page, whose own console errors (a missing
// custom.js, the kernel's websocket) are not the charts' business.
func checkDrawnIgnoring(t *testing.T, page, shot string, n int) {
	t.Helper()
	res, err := widgettest.CheckCharts(page, shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Charts) != n {
		t.Fatalf("browser found %d charts, want %d (console: %q)", len(res.Charts), n, res.ConsoleErrors)
	}
	for _, c := range res.Charts {
		if !c.Drawn() {
			t.Errorf("chart %s not drawn: %+v (console: %q)", c.ID, c, res.ConsoleErrors)
		}
	}
	for _, e := range res.ConsoleErrors {
		if strings.Contains(e, "collm") || strings.Contains(strings.ToLower(e), "echarts") {
			t.Errorf("console error: %s", e)
		}
	}
}
