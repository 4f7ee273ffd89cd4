// Package notebooks holds collm's tutorials as Jupyter notebooks for the Go (collm) kernel. Its
// tests execute every notebook headless through `collm notebook run` with real Jupyter and GoNB,
// and open the exported HTML in headless Chromium to check that the charts are drawn.
package notebooks
