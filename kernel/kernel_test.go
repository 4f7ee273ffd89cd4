package kernel

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateNotebook(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"missing", filepath.Join(dir, "nope.ipynb"), "does not exist"},
		{"not json", write("bad.ipynb", "{cells: ["), "corrupt (not valid JSON"},
		{"truncated", write("trunc.ipynb", `{"cells": [], "nbformat": 4`), "corrupt"},
		{"nbformat 3", write("v3.ipynb", `{"worksheets": [], "nbformat": 3}`), "not an nbformat-4 notebook"},
		{"no cells", write("nocells.ipynb", `{"nbformat": 4, "nbformat_minor": 5}`), "cells missing=true"},
		{"ok", write("ok.ipynb", `{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateNotebook(tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestMergeGoSum(t *testing.T) {
	dir := t.TempDir()
	dst, src := filepath.Join(dir, "dst.sum"), filepath.Join(dir, "src.sum")
	os.WriteFile(dst, []byte("a v1 h1:x\nb v1 h1:y\n"), 0o644)
	os.WriteFile(src, []byte("b v1 h1:y\nc v2 h1:z\n\n"), 0o644)
	if err := mergeGoSum(dst, src); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	if want := "a v1 h1:x\nb v1 h1:y\nc v2 h1:z\n"; string(got) != want {
		t.Errorf("merged go.sum = %q, want %q", got, want)
	}
	// A missing destination is created.
	fresh := filepath.Join(dir, "fresh.sum")
	if err := mergeGoSum(fresh, src); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(fresh); string(got) != "b v1 h1:y\nc v2 h1:z\n" {
		t.Errorf("fresh go.sum = %q", got)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	t.Setenv("COLLM_ROOT", "")
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFindRoot(t *testing.T) {
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "kernel", "doc.go")); err != nil {
		t.Fatalf("FindRoot = %s, which has no kernel/doc.go", root)
	}
	if _, err := FindRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not inside a collm checkout") {
		t.Errorf("FindRoot outside a checkout: err = %v", err)
	}
	t.Setenv("COLLM_ROOT", t.TempDir())
	if _, err := FindRoot("."); err == nil || !strings.Contains(err.Error(), "COLLM_ROOT") {
		t.Errorf("FindRoot with a bad COLLM_ROOT: err = %v", err)
	}
}

func TestWire(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	if err := Wire(dir, root); err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Fatalf("Wire without go.mod: err = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module gonb_test\n\ngo 1.27\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Wire(dir, root); err != nil {
		t.Fatal(err)
	}
	out, err := command("go", "mod", "edit", "-json", filepath.Join(dir, "go.mod")).Output()
	if err != nil {
		t.Fatal(errText(err))
	}
	var mod struct {
		Require []struct{ Path, Version string }
		Replace []struct{ Old, New struct{ Path string } }
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	versions := map[string]string{}
	for _, r := range mod.Require {
		versions[r.Path] = r.Version
	}
	if versions[ModulePath] != "v0.0.0" || versions["github.com/gomlx/gomlx"] != "v0.28.16" {
		t.Errorf("requires = %v, want collm v0.0.0 and gomlx v0.28.16", versions)
	}
	if len(mod.Replace) != 1 || mod.Replace[0].New.Path != root {
		t.Errorf("replace = %+v, want %s => %s", mod.Replace, ModulePath, root)
	}
	// Wiring twice changes nothing (a notebook re-runs its first cell).
	before, _ := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err := Wire(dir, root); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "go.sum"))
	if string(before) != string(after) {
		t.Error("second Wire changed go.sum")
	}
	if !strings.Contains(string(after), "github.com/gomlx/gomlx v0.28.16") {
		t.Error("go.sum lacks gomlx's checksum")
	}
}

func TestKernelSpec(t *testing.T) {
	root := repoRoot(t)
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	t.Setenv("COLLM_CACHE", t.TempDir())
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	path, err := writeKernelSpec(root, bin)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(data, "kernels", KernelName, "kernel.json") {
		t.Errorf("kernelspec written to %s, want under JUPYTER_DATA_DIR", path)
	}
	spec, err := readKernelSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GOTOOLCHAIN": GoToolchain, "GOEXPERIMENT": "simd", "GOMLX_BACKEND": "go:parallelism=-1",
		"GOMLX_NO_AUTO_INSTALL": "1", "COLLM_ROOT": root,
	} {
		if spec.Env[k] != v {
			t.Errorf("kernel env %s = %q, want %q", k, spec.Env[k], v)
		}
	}
	if !strings.HasPrefix(spec.Env["PATH"], bin+string(os.PathListSeparator)) {
		t.Errorf("kernel PATH %q does not start with %s", spec.Env["PATH"], bin)
	}
	if spec.Argv[0] != filepath.Join(bin, "gonb") || spec.Argv[2] != "{connection_file}" {
		t.Errorf("argv = %q", spec.Argv)
	}
	// Check sees the spec but not the (absent) gonb binary.
	if c := checkKernelSpec(root); c.OK || !strings.Contains(c.Detail, "kernel binary missing") {
		t.Errorf("checkKernelSpec = %+v, want kernel binary missing", c)
	}
	if c := checkKernelSpec("/elsewhere"); c.OK || !strings.Contains(c.Detail, "points to checkout") {
		t.Errorf("checkKernelSpec for another root = %+v", c)
	}
}

// The kernelspec directory holds a copy of the ECharts library, which Jupyter serves to chart
// outputs whose page lacks it; Check reports it missing and install refreshes a stale copy.
func TestEChartsWeb(t *testing.T) {
	root := repoRoot(t)
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	t.Setenv("COLLM_CACHE", t.TempDir())
	if _, err := installEChartsWeb(); err == nil {
		t.Fatal("installEChartsWeb without the cached library succeeded")
	}
	bin, _ := BinDir()
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "gonb"), []byte("#!/bin/sh\n"), 0o755)
	if _, err := writeKernelSpec(root, bin); err != nil {
		t.Fatal(err)
	}
	if c := checkKernelSpec(root); c.OK || !strings.Contains(c.Detail, EChartsWebFile) {
		t.Errorf("checkKernelSpec without the copy = %+v, want it missing", c)
	}
	cached, _ := EChartsPath()
	os.MkdirAll(filepath.Dir(cached), 0o755)
	for _, js := range []string{strings.Repeat("a", 200_000), strings.Repeat("b", 200_000)} {
		os.WriteFile(cached, []byte(js), 0o644)
		path, err := installEChartsWeb()
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(data, "kernels", KernelName, "echarts-"+EChartsVersion+".min.js"); path != want {
			t.Errorf("copy at %s, want %s", path, want)
		}
		if got, _ := os.ReadFile(path); string(got) != js {
			t.Errorf("the copy holds %.10q..., want the cached library", got)
		}
		if c := checkKernelSpec(root); !c.OK {
			t.Errorf("checkKernelSpec with the copy = %+v", c)
		}
	}
}

func TestKernelSpecUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root writes anywhere; a regular file in the way of the directory still fails.
		blocker := filepath.Join(t.TempDir(), "file")
		os.WriteFile(blocker, nil, 0o644)
		t.Setenv("JUPYTER_DATA_DIR", blocker)
	} else {
		dir := t.TempDir()
		os.Chmod(dir, 0o500)
		t.Setenv("JUPYTER_DATA_DIR", dir)
	}
	_, err := writeKernelSpec(repoRoot(t), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "set JUPYTER_DATA_DIR to a writable directory") {
		t.Fatalf("err = %v, want a hint about JUPYTER_DATA_DIR", err)
	}
}

func TestCheckReportsMissing(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	t.Setenv("COLLM_CACHE", t.TempDir())
	comps, err := Check(InstallOptions{Root: repoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	missing := map[string]bool{}
	for _, c := range comps {
		if !c.OK {
			missing[c.Name] = true
			if c.Fix == "" {
				t.Errorf("component %s is missing without a fix", c.Name)
			}
		}
	}
	for _, name := range []string{"gonb", "goimports", "collm", "echarts", "kernelspec"} {
		if !missing[name] {
			t.Errorf("%s not reported missing in an empty cache", name)
		}
	}
}

func TestExtractFromTgz(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "package", "dist")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "echarts.min.js"), []byte("var echarts;"), 0o644)
	tgz := filepath.Join(dir, "p.tgz")
	if out, err := exec.Command("tar", "-czf", tgz, "-C", dir, "package").CombinedOutput(); err != nil {
		t.Skipf("tar unavailable: %v %s", err, out)
	}
	got, err := extractFromTgz(tgz, "package/dist/echarts.min.js")
	if err != nil || string(got) != "var echarts;" {
		t.Fatalf("extract = %q, %v", got, err)
	}
	if _, err := extractFromTgz(tgz, "package/missing.js"); err == nil || !strings.Contains(err.Error(), "has no package/missing.js") {
		t.Errorf("missing entry: err = %v", err)
	}
	os.WriteFile(tgz, []byte("not gzip"), 0o644)
	if _, err := extractFromTgz(tgz, "x"); err == nil {
		t.Error("corrupt archive accepted")
	}
}

func TestNotInNotebook(t *testing.T) {
	if InNotebook() {
		t.Skip("running inside a notebook")
	}
	// The bridge must be a silent no-op outside a notebook.
	DisplayHTML("<b>x</b>")
	UpdateHTML(NewUniqueID(), "<b>y</b>")
	Sync()
	if a, b := NewUniqueID(), NewUniqueID(); a == b || a == "" {
		t.Errorf("NewUniqueID gave %q twice", a)
	}
}
