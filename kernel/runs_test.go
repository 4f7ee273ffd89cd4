package kernel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/collm/collm/envs/all"
	"github.com/collm/collm/maac"
)

// fastRun is a toy-coord run that builds in well under a second.
var fastRun = maac.RunConfig{Env: "toy-coord", EnvOptions: map[string]string{"turns": "2"}, Algorithm: "cc",
	CC: &maac.CCConfig{Common: maac.Common{NumGenerations: 4, TasksPerUpdate: 4, MaxNewTokens: 1,
		Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1}, ActorCritic: maac.ActorCritic{CriticLR: 3e-3}}}

func TestRunPath(t *testing.T) {
	runs := t.TempDir()
	t.Setenv("COLLM_RUNS", runs)
	for _, name := range []string{"", ".", "..", "a/b", "../escape", "/abs", `a\b`, "a/..", "x/../../y"} {
		if p, err := RunPath(name); err == nil || !strings.Contains(err.Error(), "no slashes") {
			t.Errorf("RunPath(%q) = %q, %v; want an error asking for a plain name", name, p, err)
		}
	}
	for _, name := range []string{"cc-toy", "run.1", "..hidden-ish", "seed 3"} {
		p, err := RunPath(name)
		if err != nil || p != filepath.Join(runs, name) {
			t.Errorf("RunPath(%q) = %q, %v; want %q", name, p, err, filepath.Join(runs, name))
		}
	}
	if _, _, err := CreateRun("../outside", fastRun); err == nil {
		t.Error("CreateRun accepted a name that leaves the runs directory")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(runs), "outside")); err == nil {
		t.Error("CreateRun with a bad name created a directory outside the runs directory")
	}
}

func TestRunsDirDefault(t *testing.T) {
	t.Setenv("COLLM_RUNS", "")
	t.Setenv("GONB_DIR", "/nb/dir")
	if got := RunsDir(); got != "/nb/dir/runs" {
		t.Errorf("RunsDir() in a notebook = %q, want /nb/dir/runs", got)
	}
	t.Setenv("COLLM_RUNS", "/elsewhere")
	if got := RunsDir(); got != "/elsewhere" {
		t.Errorf("RunsDir() with COLLM_RUNS = %q, want /elsewhere", got)
	}
}

func TestOpenMissingRunListsRuns(t *testing.T) {
	runs := t.TempDir()
	t.Setenv("COLLM_RUNS", runs)
	if _, _, err := OpenRun("nothing"); err == nil || !strings.Contains(err.Error(), "no runs yet") {
		t.Errorf("OpenRun in an empty runs directory: err = %v, want it to say there are no runs", err)
	}
	for _, name := range []string{"beta", "alpha"} {
		os.MkdirAll(filepath.Join(runs, name), 0o755)
		os.WriteFile(filepath.Join(runs, name, "config.json"), []byte(`{"env": "toy-coord"}`), 0o644)
	}
	os.MkdirAll(filepath.Join(runs, "not-a-run"), 0o755)
	os.WriteFile(filepath.Join(runs, "a-file"), nil, 0o644)
	_, _, err := OpenRun("gamma")
	if err == nil {
		t.Fatal("OpenRun of a missing run succeeded")
	}
	for _, want := range []string{`no run called "gamma"`, runs, "alpha, beta"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "not-a-run") {
		t.Errorf("err = %v lists a directory without config.json as a run", err)
	}
	// A file in the way is no run either.
	if _, _, err := OpenRun("a-file"); err == nil || !strings.Contains(err.Error(), `no run called "a-file"`) {
		t.Errorf("OpenRun of a plain file: err = %v", err)
	}
}

func TestRunInUse(t *testing.T) {
	t.Setenv("COLLM_RUNS", t.TempDir())
	tr, rd, err := CreateRun("busy", fastRun)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.SaveCheckpoint(rd.CheckpointPath()); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() error{
		"OpenRun":         func() error { _, _, err := OpenRun("busy"); return err },
		"OpenOrCreateRun": func() error { _, _, err := OpenOrCreateRun("busy", fastRun); return err },
	} {
		if err := open(); err == nil || !strings.Contains(err.Error(), "in use by another process") {
			t.Errorf("%s of a run another open holds: err = %v, want \"in use by another process\"", name, err)
		}
	}
	if _, _, err := CreateRun("busy", fastRun); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("CreateRun over an existing run: err = %v", err)
	}
	rd.Close()
	tr2, rd2, err := OpenRun("busy")
	if err != nil {
		t.Fatalf("OpenRun after the first open closed: %v", err)
	}
	rd2.Close()
	if tr2.Updates() != 0 {
		t.Errorf("reopened run at update %d, want 0", tr2.Updates())
	}
}

func TestRunsDirNotWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A regular file where the runs directory (or the run's directory) should be: even root
	// cannot create a directory there.
	for _, tt := range []struct{ runs, name string }{{file, "run"}, {dir, "file"}} {
		t.Setenv("COLLM_RUNS", tt.runs)
		_, _, err := CreateRun(tt.name, fastRun)
		if err == nil || !strings.Contains(err.Error(), "is not writable") || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("CreateRun(%q) in %s: err = %v, want \"is not writable\" with the cause", tt.name, tt.runs, err)
		}
	}
}

func TestCheckpointOfAnotherVersion(t *testing.T) {
	t.Setenv("COLLM_RUNS", t.TempDir())
	tr, rd, err := CreateRun("old", fastRun)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.SaveCheckpoint(rd.CheckpointPath())
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(rd.CheckpointPath(), "state.json")
	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	st["version"] = 99
	data, _ = json.Marshal(st)
	os.WriteFile(state, data, 0o644)
	for range 2 { // the failed open must release the run's lock: the second fails the same way
		_, _, err := OpenRun("old")
		if err == nil || !strings.Contains(err.Error(), "format version 99") || !strings.Contains(err.Error(), "reads version 1") {
			t.Errorf("OpenRun of a version-99 checkpoint: err = %v, want both versions named", err)
		}
	}
}

func TestInterruptContext(t *testing.T) {
	ctx, stop := InterruptContext()
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
}

func TestOpenOrCreateRunRejectsOtherSettings(t *testing.T) {
	t.Setenv("COLLM_RUNS", t.TempDir())
	cfg := maac.RunConfig{Env: "toy-coord", Algorithm: "magrpo", MC: &maac.MCConfig{Common: maac.Common{MaxNewTokens: 1}}}
	_, rd, err := OpenOrCreateRun("r", cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = rd.SetSaveEvery(5)
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The same settings reopen the run: the checkpoint cadence and the settings hash in
	// config.json are not settings.
	_, rd, err = OpenOrCreateRun("r", cfg)
	if err != nil {
		t.Fatalf("reopening with the same settings: %v", err)
	}
	rd.Close()
	other := cfg
	other.MC = &maac.MCConfig{Common: maac.Common{MaxNewTokens: 2}}
	_, _, err = OpenOrCreateRun("r", other)
	if err == nil || !strings.Contains(err.Error(), "mc.max_new_tokens 1 -> 2") {
		t.Fatalf("other settings: err = %v", err)
	}
}
