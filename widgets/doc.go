// Package widgets draws collm's charts with go-echarts and shows them in a notebook (through the
// kernel package's display bridge) or writes them to self-contained HTML files.
//
// # The dashboard of a training cell
//
// Train (a Dashboard) and Compare show one compact block per cell, redrawn in place while
// training (gonbui's UpdateHTML; the saved notebook keeps the last drawing):
//
//   - A header row per live run: its colour and label, a progress bar, update N/target, env
//     steps, the latest episode return (the mean of the last update) with the best so far,
//     throughput in env steps per second since the cell started, and the ETA. A comparison's
//     header is its headline and the running runs.
//   - The charts in a CSS grid (DashboardHTML): columns at least 300 px and 23% of the width
//     (repeat(auto-fit, minmax(max(300px, 23%), 1fr))), so two or three columns in classic
//     Notebook's output area (about 1000 px), four in a wide browser, one in a narrow one; every
//     chart 300 px high. The first six (DashboardGridCharts) are in the grid, most important
//     first: returns, relative gradient variance, the critic's value loss with its explained
//     variance, the reward parts (DashboardCharts); at 1400x900 in classic Notebook the header
//     and these four fit on the screen.
//   - The other charts and the latest samples behind "more" toggles (<details>, plain HTML that
//     works offline). A chart inside a closed toggle is drawn when it opens (ResizeObserver and
//     the toggle event call ECharts' resize), and an open toggle stays open across redraws.
//
// The returns chart draws each run's raw episode return of every update as faint points and an
// exponential moving average over them as a line (Smooth, weight ReturnSmoothing = 0.9 on the
// past: about the last 10 updates, debiased so that the first updates are not pulled towards 0).
// Compared runs (several labels) keep one colour in every chart (LabelColour: the first label of
// the runs blue, the second red, ...); a run's several metrics in one chart (one per agent, one
// per reward part) differ by dash and shade. Legends name only what tells a chart's lines apart
// ("agent 0", "level"), the returns chart excepted.
//
// When training stops the header says how, once: "done in 2m10s", "stopped at update N of T",
// or the interrupt's or error's one-line message ("interrupted: run DIR saved at update N; ...")
// in place of the ETA. An interrupt's message is not repeated on stderr (the cell ends normally);
// an error is also returned, so the cell reports it. Outside a notebook the progress line on
// stderr ends in the same final state.
//
// # A notebook that is not trusted
//
// Classic Notebook (and JupyterLab) run output scripts only in trusted notebooks; a notebook
// from elsewhere opens untrusted. Every chart's element holds the one-line UntrustedHint ("Chart
// not drawn: this notebook is not trusted — File › Trust Notebook, or re-run the cell"), which
// the chart's script removes as the first thing it does, so the hint stays only where scripts
// did not run.
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
