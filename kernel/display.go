package kernel

import "github.com/janpfeifer/gonb/gonbui"

// InNotebook reports whether this process is a cell run by the GoNB kernel.
func InNotebook() bool { return gonbui.IsNotebook }

// DisplayHTML appends HTML to the cell's output; a no-op outside a notebook.
func DisplayHTML(html string) {
	if InNotebook() {
		gonbui.DisplayHTML(html)
	}
}

// UpdateHTML replaces the display with the given id (created on first use); the saved notebook
// keeps the last content. A no-op outside a notebook.
func UpdateHTML(id, html string) {
	if InNotebook() {
		gonbui.UpdateHTML(id, html)
	}
}

// Sync waits until the notebook has received every display sent so far. Without it the last
// displays of a cell can be lost when the process exits.
func Sync() {
	if InNotebook() {
		gonbui.Sync()
	}
}

// NewUniqueID returns a fresh identifier usable as an HTML element id.
func NewUniqueID() string { return gonbui.UniqueId() }
