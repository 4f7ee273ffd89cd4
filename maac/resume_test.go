package maac

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collm/collm/maac/safetensors"
)

// crashedRun returns a run directory as a process killed during update 4 leaves it: a checkpoint
// at update 2 and the metrics of updates 1..3.
func crashedRun(t *testing.T, cfg RunConfig) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	tr, rd, err := Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	metricsOf(t, tr, 2)
	if err := tr.SaveCheckpoint(rd.CheckpointPath()); err != nil {
		t.Fatal(err)
	}
	metricsOf(t, tr, 1)
	return dir
}

// captureWarnings collects what Resume warns about during the test.
func captureWarnings(t *testing.T) *bytes.Buffer {
	var b bytes.Buffer
	old := warnings
	warnings = &b
	t.Cleanup(func() { warnings = old })
	return &b
}

// tryResume resumes the run in dir and closes it.
func tryResume(dir string) (RunConfig, int, error) {
	tr, rd, err := Resume(dir)
	if err != nil {
		return RunConfig{}, 0, err
	}
	rd.Close()
	return tr.Config(), tr.Updates(), nil
}

// editJSON rewrites the JSON object in path through edit, numbers kept as written.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseSettings(data)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, _ = json.MarshalIndent(m, "", "    ")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResumeRepairsTornMetrics(t *testing.T) {
	tests := []struct {
		name     string
		edit     func([]byte) []byte
		wantErr  string // "" for a resume that succeeds
		wantWarn string // "" for none
	}{
		{"torn last line", func(b []byte) []byte { return append(b, `{"update": 4, "env_st`...) },
			"", `metrics.jsonl:4: dropped the torn last line "{\"update\": 4, \"env_st"`},
		{"invalid last line with a newline", func(b []byte) []byte { return append(b, "\x00\x00\x00\n"...) },
			"", `metrics.jsonl:4: dropped the torn last line "\x00\x00\x00"`},
		{"complete last line without a newline", func(b []byte) []byte { return append(b, `{"update": 4, "env_step": 99}`...) },
			"", ""},
		{"corrupt line in the middle", func(b []byte) []byte {
			first, rest, _ := bytes.Cut(b, []byte("\n"))
			return append(append(first, "\n{\"update\": 2, \"env\n"...), rest...)
		}, "metrics.jsonl:2: ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warned := captureWarnings(t)
			dir := crashedRun(t, runConfig("magrpo", nil, 3))
			path := filepath.Join(dir, "metrics.jsonl")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.edit(data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, updates, err := tryResume(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || updates != 2 {
				t.Fatalf("resume: update %d, err %v; want update 2", updates, err)
			}
			if got := warned.String(); (tt.wantWarn == "") != (got == "") || !strings.Contains(got, tt.wantWarn) {
				t.Errorf("warning %q, want %q", got, tt.wantWarn)
			}
			data, _ = os.ReadFile(path)
			if ms, err := ReadMetrics(path); err != nil || len(ms) != 2 || !bytes.HasSuffix(data, []byte("}\n")) {
				t.Errorf("metrics.jsonl after resume: %d lines, %v:\n%s", len(ms), err, data)
			}
		})
	}
}

func TestSaveEveryKeptAcrossResume(t *testing.T) {
	cfg := runConfig("magrpo", nil, 1)
	cfg.SaveEvery = 3
	dir := filepath.Join(t.TempDir(), "run")
	_, rd, err := Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rd.Close()
	steps := []struct {
		name string
		do   func(tr *Trainer, rd *RunDir) error // on the resumed run
		want int                                 // save_every after the step, as the next resume finds it
	}{
		{"stored at creation", nil, 3},
		{"kept by a resume", nil, 3},
		{"set on a resume", func(tr *Trainer, rd *RunDir) error {
			if err := rd.SetSaveEvery(5); err != nil || tr.Config().SaveEvery != 5 {
				return fmt.Errorf("the trainer's save_every is %d (%v), want 5", tr.Config().SaveEvery, err)
			}
			return nil
		}, 5},
		{"kept after being set", nil, 5},
		{"missing: the default", func(_ *Trainer, rd *RunDir) error {
			rd.Close()
			editJSON(t, filepath.Join(dir, "config.json"), func(m map[string]any) { delete(m, "save_every") })
			return nil
		}, 10},
	}
	for _, s := range steps {
		tr, rd, err := Resume(dir)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.do != nil {
			if err := s.do(tr, rd); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		rd.Close()
		if s.do == nil && tr.Config().SaveEvery != s.want {
			t.Errorf("%s: resumed with save_every %d, want %d", s.name, tr.Config().SaveEvery, s.want)
		}
		got, _, err := tryResume(dir)
		if err != nil || got.SaveEvery != s.want {
			t.Errorf("%s: the next resume has save_every %d (%v), want %d", s.name, got.SaveEvery, err, s.want)
		}
	}
	if err := rd.SetSaveEvery(0); err == nil || !strings.Contains(err.Error(), "save_every=0") {
		t.Errorf("SetSaveEvery(0): err = %v", err)
	}
}

func TestResumeRemovesCheckpointTemps(t *testing.T) {
	entries := []struct {
		name    string
		dir     bool
		removed bool
	}{
		{".checkpoint.tmp-123", true, true},
		{".checkpoint.tmp-4294967295", true, true},
		{".checkpoint.tmp-12a", true, false},
		{".checkpoint.tmp-", true, false},
		{".checkpoint.tmp-9", false, false}, // SaveCheckpoint writes directories only
		{"checkpoint.tmp-7", true, false},
		{".checkpoint.old.tmp-5", true, false},
		{".metrics.jsonl.tmp-6", true, false},
	}
	warned := captureWarnings(t)
	dir := crashedRun(t, runConfig("magrpo", nil, 2))
	for _, e := range entries {
		path := filepath.Join(dir, e.name)
		if e.dir {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			path = filepath.Join(path, "state.json")
		}
		if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Another process training the run may be writing its checkpoint: nothing goes.
	_, held, err := Resume(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, ".checkpoint.tmp-77"), 0o755)
	if _, _, err := tryResume(dir); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("resume of a locked run: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".checkpoint.tmp-77")); err != nil {
		t.Errorf("the lock holder's temporary checkpoint was removed: %v", err)
	}
	held.Close()
	if _, _, err := tryResume(dir); err != nil {
		t.Fatal(err)
	}
	entries = append(entries, struct {
		name    string
		dir     bool
		removed bool
	}{".checkpoint.tmp-77", true, true})
	for _, e := range entries {
		_, err := os.Stat(filepath.Join(dir, e.name))
		if gone := os.IsNotExist(err); gone != e.removed {
			t.Errorf("%s: removed %v, want %v", e.name, gone, e.removed)
		}
		if e.removed && !strings.Contains(warned.String(), e.name) {
			t.Errorf("no warning names %s:\n%s", e.name, warned)
		}
	}
}

func TestResumeRefusesEditedConfig(t *testing.T) {
	edited := "config.json was edited after the run started: "
	tests := []struct {
		name string
		edit func(m map[string]any)
		want []string // nil: the resume succeeds
	}{
		{"env", func(m map[string]any) { m["env"] = "writing-mini" },
			[]string{edited + `env "toy-coord" -> "writing-mini"; restore it (collm's copy is `, "or start a new run"}},
		{"two fields", func(m map[string]any) {
			m["env"] = "writing-mini"
			m["mc"].(map[string]any)["actor_lr"] = json.Number("0.01")
		}, []string{edited + `env "toy-coord" -> "writing-mini", mc.actor_lr 0.003 -> 0.01;`}},
		{"added field", func(m map[string]any) { m["mc"].(map[string]any)["top_k"] = 5 }, []string{"mc.top_k (unset) -> 5"}},
		{"removed field", func(m map[string]any) { delete(m["mc"].(map[string]any), "gamma") }, []string{"mc.gamma 1 -> (unset)"}},
		{"agent", func(m map[string]any) { m["agents"].([]any)[1].(map[string]any)["model"] = "small" },
			[]string{`agents[1].model "tiny" -> "small"`}},
		{"hash", func(m map[string]any) { m["settings_sha256"] = "0000" }, []string{edited + `settings_sha256 "`, `-> "0000"`}},
		{"empty object", func(m map[string]any) { m["env_options"] = map[string]any{} }, []string{"env_options (unset) -> {}"}},
		{"save_every", func(m map[string]any) { m["save_every"] = 4 }, nil},
		{"sequential", func(m map[string]any) { m["mc"].(map[string]any)["sequential"] = true }, nil},
		{"layout only", func(map[string]any) {}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := crashedRun(t, runConfig("magrpo", nil, 4))
			editJSON(t, filepath.Join(dir, "config.json"), tt.edit)
			_, updates, err := tryResume(dir)
			if tt.want == nil {
				if err != nil || updates != 2 {
					t.Fatalf("resume: update %d, err %v", updates, err)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant %q", err, w)
				}
			}
		})
	}
}

func TestResumeEditedConfigWithoutCopy(t *testing.T) {
	dir := crashedRun(t, runConfig("magrpo", nil, 4))
	editJSON(t, filepath.Join(dir, "config.json"), func(m map[string]any) { m["env"] = "writing-mini" })
	os.Remove(filepath.Join(dir, origConfigName))
	_, _, err := tryResume(dir)
	if err == nil || !strings.Contains(err.Error(), "config.json was edited after the run started (its settings no longer match its settings_sha256") {
		t.Errorf("err = %v", err)
	}
}

func TestResumeRecordsAMissingHash(t *testing.T) {
	dir := crashedRun(t, runConfig("magrpo", nil, 4))
	path := filepath.Join(dir, "config.json")
	editJSON(t, path, func(m map[string]any) { delete(m, "settings_sha256") })
	os.Remove(filepath.Join(dir, origConfigName))
	if _, _, err := tryResume(dir); err != nil {
		t.Fatalf("resume of a config.json without a hash: %v", err)
	}
	editJSON(t, path, func(m map[string]any) { m["env"] = "writing-mini" })
	if _, _, err := tryResume(dir); err == nil || !strings.Contains(err.Error(), `env "toy-coord" -> "writing-mini"`) {
		t.Errorf("edit after the hash was recorded: err = %v", err)
	}
}

func TestResumeRefusesBadState(t *testing.T) {
	tests := []struct {
		name string
		edit func(m map[string]any)
		want []string
	}{
		{"negative update", func(m map[string]any) { m["update"] = -5 }, []string{"state.json: update -5: want the >= 0 updates"}},
		{"negative env_step", func(m map[string]any) { m["env_step"] = -1 }, []string{"state.json: env_step -1: want"}},
		{"no update", func(m map[string]any) { delete(m, "update") }, []string{`state.json: no "update" field`}},
		{"no algorithm", func(m map[string]any) { delete(m, "algorithm") }, []string{`state.json: no "algorithm" field`}},
		{"other version", func(m map[string]any) { m["version"] = 2 }, []string{"state.json: format version 2; this collm reads version 1"}},
		{"update beyond the metrics", func(m map[string]any) { m["update"] = 7 },
			[]string{"state.json: update 7 with env_step ", "metrics.jsonl has no line for that update (3 updates logged)"}},
		{"env_step of another run", func(m map[string]any) { m["env_step"] = 100000 },
			[]string{"state.json: update 2 with env_step 100000, but ", "metrics.jsonl logged env_step ", " at that update"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := crashedRun(t, runConfig("magrpo", nil, 5))
			path := filepath.Join(dir, "checkpoint", "state.json")
			editJSON(t, path, tt.edit)
			_, _, err := tryResume(dir)
			for _, w := range append(tt.want, path) {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant %q", err, w)
				}
			}
		})
	}
}

func TestResumeRefusesCheckpointWithoutAnAgent(t *testing.T) {
	dir := crashedRun(t, runConfig("magrpo", nil, 6))
	path := filepath.Join(dir, "checkpoint", "state.safetensors")
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []*safetensors.Tensor
	for name, tensor := range f.Tensors {
		if !strings.HasPrefix(name, "/agent_1/") {
			tensor.Name = name
			kept = append(kept, tensor)
		}
	}
	if err := safetensors.WriteFile(path, kept, f.Metadata); err != nil {
		t.Fatal(err)
	}
	_, _, err = tryResume(dir)
	if err == nil || !strings.Contains(err.Error(), "state.safetensors lacks") || !strings.Contains(err.Error(), "variables (under agent_1: /agent_1/") {
		t.Errorf("err = %v", err)
	}
}
