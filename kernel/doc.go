// Package kernel is the GoNB side of collm: installing the Jupyter kernel and the tools it needs
// (Install, Check), wiring a notebook's Go module to this checkout (Wire), executing notebooks
// headless and failing on any error a cell reports (RunNotebook), and the display bridge that
// sends HTML to the notebook (DisplayHTML, UpdateHTML) and is a no-op outside one.
//
// GoNB compiles and runs every cell as a new process, so nothing in memory survives from one cell
// to the next: state that a later cell needs lives on disk.
package kernel
