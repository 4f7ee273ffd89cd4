// Package widgets draws collm's charts with go-echarts and shows them in a notebook (through the
// kernel package's display bridge) or writes them to self-contained HTML files.
//
// Charts render offline: the ECharts library comes from the local cache that
// `collm kernel install` fills from the npm registry. Each chart gets a fresh element id and its
// script runs in its own function scope, so re-rendering never collides with an earlier chart.
//
// # The library once per kernel session
//
// A notebook carries the 1 MB library once, not once per chart cell, although every GoNB cell is
// a new process that cannot see what earlier cells displayed:
//
//   - GoNB gives every cell of a kernel the same $GONB_TMP_DIR (the kernel's Go module
//     directory, removed when the kernel stops; a restarted kernel gets a new one). The first cell
//     of the session that draws (Display, a Dashboard, Compare) displays the library before its
//     first chart, waits until the notebook has it, and leaves the marker
//     collm-echarts-VERSION.shown there; later cells see the marker and display only charts.
//     Outside GoNB (no $GONB_TMP_DIR) every process displays it once, as before.
//   - The notebook's copy is gzip-compressed and base64-encoded (about 450 kB instead of 1 MB)
//     and decoded in the browser with DecompressionStream; it is run with RequireJS's `define`
//     hidden, so it lands on window under classic Notebook and in HTML exports alike. While it
//     decodes, window.collmEChartsLoading is a promise the charts wait on.
//   - A chart's script draws at once when window.echarts is there. Otherwise it waits for the
//     decoding library, or for one later in the page (an HTML export of a notebook whose cells
//     ran out of order), polling until the page has loaded and at least a second has passed.
//   - If the page has no library after that (the library's output was cleared, the notebook was
//     reopened with only later outputs, or the front end renders only visible cells), the chart
//     loads the copy that `collm kernel install` puts next to the kernelspec's kernel.json.
//     Jupyter serves a kernelspec's files at <base_url>kernelspecs/collm/ (classic Notebook,
//     JupyterLab and Notebook 7 alike); the base URL comes from the page (classic Notebook's
//     body data-base-url, JupyterLab's jupyter-config-data), and the script goes through
//     RequireJS where the page has it.
//   - Where that fails too (an HTML export or a file without the library) the chart shows the
//     one-line NoLibraryHint in its place and logs it as a console error.
//
// Limits: re-running the first chart cell in a live session does not embed the library again
// (the page already has it), so a notebook saved after that carries it in no output; Jupyter
// still loads the kernelspec's copy, but an HTML export of that notebook shows the hint.
// Restart the kernel and run all cells before exporting: `collm notebook run` does exactly
// that, so executed notebooks and their HTML exports hold the library once, in the first chart
// cell's output.
//
// Standalone pages (WriteHTML, WriteReport, WriteCompareReport, `collm report`) inline the plain
// library instead: they are files opened offline, in any browser.
//
// Chart data is written compactly: points as [x, y] rather than {"value": [x, y]} and numbers
// to 6 significant digits (integers exactly), which halves a dashboard's charts.
package widgets
