package kernel

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireJupyter skips (or, under `make test`, fails) when Debian's Jupyter is missing.
func requireJupyter(t *testing.T) {
	t.Helper()
	if c := checkPyModules("jupyter", jupyterPyModules, JupyterPackages); !c.OK {
		if os.Getenv("COLLM_REQUIRE_TOOLS") == "1" {
			t.Fatal(c.Detail)
		}
		t.Skip(c.Detail)
	}
}

// trusted runs the notary's own check (what `jupyter trust --check` and the Notebook server do)
// on the notebook at path, with Jupyter's data directory data.
func trusted(t *testing.T, path, data string) bool {
	t.Helper()
	script := `import sys, nbformat
from nbformat.sign import NotebookNotary
nb = nbformat.read(sys.argv[1], as_version=4)
print(NotebookNotary().check_signature(nb))`
	cmd := exec.Command(Python(), "-c", script, path)
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("checking the signature of %s: %s", path, errText(err))
	}
	switch got := strings.TrimSpace(string(out)); got {
	case "True":
		return true
	case "False":
		return false
	default:
		t.Fatalf("the notary's check printed %q", got)
		return false
	}
}

// The notebook `collm notebook run` writes is signed with the notary of $JUPYTER_DATA_DIR (an
// empty one here, as in CI), so Jupyter opens it trusted; an edited output breaks the signature.
func TestRunNotebookSignsOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Jupyter kernel")
	}
	requireJupyter(t)
	data := filepath.Join(t.TempDir(), "jupyter") // does not exist yet
	t.Setenv("JUPYTER_DATA_DIR", data)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "tiny.ipynb"), filepath.Join(dir, "out", "tiny.ipynb")
	// The python3 kernel (Debian's ipykernel) keeps the test small; the signing does not depend
	// on the kernel. The cell's output is HTML with a script, what a chart cell writes.
	nb := `{"cells": [{"cell_type": "code", "execution_count": null, "id": "a1", "metadata": {}, "outputs": [],
  "source": ["from IPython.display import HTML, display\n",
             "display(HTML('<div id=\"c\"></div><script>document.getElementById(\"c\").textContent = \"drawn\"</script>'))\n",
             "print('hello from the cell')"]}],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
 "nbformat": 4, "nbformat_minor": 5}`
	if err := os.WriteFile(in, []byte(nb), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	if err := RunNotebook(ctx, in, RunOptions{Out: out, Kernel: "python3", Progress: &progress, CellTimeout: 2 * time.Minute}); err != nil {
		t.Fatalf("RunNotebook: %v\n%s", err, progress.String())
	}
	t.Logf("%s", progress.String())
	if !strings.Contains(progress.String(), "trusted    "+out) {
		t.Errorf("the progress does not say the notebook was signed:\n%s", progress.String())
	}
	for _, name := range []string{"notebook_secret", "nbsignatures.db"} {
		if _, err := os.Stat(filepath.Join(data, name)); err != nil {
			t.Errorf("the notary's %s is not in JUPYTER_DATA_DIR: %v", name, err)
		}
	}
	executed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(executed, []byte("hello from the cell")) || !bytes.Contains(executed, []byte("<script>")) {
		t.Fatalf("the executed notebook lacks the cell's outputs:\n%s", executed)
	}
	if !trusted(t, out, data) {
		t.Fatal("the executed notebook is not trusted by the notary of JUPYTER_DATA_DIR")
	}
	if trusted(t, out, filepath.Join(t.TempDir(), "other")) {
		t.Error("the executed notebook is trusted by another data directory's notary (a new secret)")
	}

	// Someone edits an output: the notebook must no longer pass the check.
	edited := strings.Replace(string(executed), "hello from the cell", "hello from an editor", 1)
	if edited == string(executed) {
		t.Fatal("no output to edit")
	}
	editedPath := filepath.Join(dir, "edited.ipynb")
	if err := os.WriteFile(editedPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if trusted(t, editedPath, data) {
		t.Error("a notebook with an edited output still passes the signature check")
	}
}
