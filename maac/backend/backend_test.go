package backend

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "")
	b, err := New()
	if err != nil || b.Name() == "" {
		t.Fatalf("default backend: %v", err)
	}
	t.Setenv("GOMLX_BACKEND", "warp-drive")
	if _, err := New(); err == nil || !strings.Contains(err.Error(), `GOMLX_BACKEND="warp-drive"`) {
		t.Fatalf("unknown backend: err = %v", err)
	}
}

func TestMatmulGFLOPS(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	g, err := MatmulGFLOPS(b, 64, 3)
	if err != nil || !(g > 0) {
		t.Fatalf("GFLOP/s = %v, %v", g, err)
	}
	if _, err := MatmulGFLOPS(b, 0, 3); err == nil {
		t.Error("n = 0 accepted")
	}
}

func TestNewPrintsNothing(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go:parallelism=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	_, err = New()
	os.Stdout = saved
	w.Close()
	out, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 0 {
		t.Errorf("New wrote %q to stdout", out)
	}
}
