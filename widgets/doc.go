// Package widgets draws collm's charts with go-echarts and shows them in a notebook (through the
// kernel package's display bridge) or writes them to self-contained HTML files.
//
// Charts render offline: the ECharts library comes from the local cache that
// `collm kernel install` fills from the npm registry, inlined into the output once per cell (each
// GoNB cell is a new process) and loaded with RequireJS's `define` hidden, so it lands on window
// under classic Notebook and in HTML exports alike. Each chart gets a fresh element id and its
// script runs in its own function scope, so re-rendering never collides with an earlier chart.
package widgets
