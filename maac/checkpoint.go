package maac

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/collm/collm/maac/safetensors"
	"github.com/collm/collm/maac/tokenizer"
)

// A checkpoint is a directory holding the whole training state:
//
//	state.safetensors   every variable of the run's Store by its path: actors, critics, value
//	                    heads, LoRA adapters, optimizer moments and step counters
//	state.json          the progress counters (update, env_step), whether the warm start
//	                    ran, and the format version
//	agent_<i>/          each actor exported as a Hugging Face checkpoint (config.json +
//	                    model.safetensors with LoRA adapters merged, and the tokenizer: the
//	                    tokenizer files of the checkpoint it started from, or tokenizer.json
//	                    for an env vocabulary), usable outside collm
//
// Sampling and task order derive from (seed, update), so the counters are all the random state
// there is: a resumed run repeats exactly the trajectory of one that never stopped.

// checkpointVersion is written to state.json; Load refuses other versions.
const checkpointVersion = 1

type checkpointState struct {
	Version   int    `json:"version"`
	Update    int    `json:"update"`
	EnvStep   int    `json:"env_step"`
	Algorithm string `json:"algorithm"`
	// WarmStarted: a resumed run must not repeat its warm start (Common.WarmStartSteps).
	WarmStarted bool `json:"warm_started,omitempty"`
}

// SaveCheckpoint writes the training state to dir atomically: it is written next to dir and
// swapped in, so a crash leaves either the old checkpoint or the new one, never half of one.
func (t *Trainer) SaveCheckpoint(dir string) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, checkpointTempPrefix(dir))
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp)
	var all []*safetensors.Tensor
	for v := range t.Store.IterVariables() {
		value, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint: variable %s: %w", v.Path(), err)
		}
		if value.DType() != dtypes.Float32 {
			return fmt.Errorf("checkpoint: variable %s has dtype %s; only float32 is saved", v.Path(), value.DType())
		}
		all = append(all, safetensors.FromFloat32(v.Path(), value.Shape().Dimensions, tensors.MustCopyFlatData[float32](value)))
	}
	if err := safetensors.WriteFile(filepath.Join(tmp, "state.safetensors"), all, map[string]string{"format": "collm-run-state"}); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	state, _ := json.MarshalIndent(checkpointState{checkpointVersion, t.update, t.envStep, t.info.Name, t.warmStarted}, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "state.json"), append(state, '\n'), 0o644); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for i, a := range t.Agents {
		if err := a.Model.Save(filepath.Join(tmp, a.Name)); err != nil {
			return fmt.Errorf("checkpoint: exporting %s: %w", a.Name, err)
		}
		if copied, err := copyTokenizerFiles(t.config.Agents[i].Model, filepath.Join(tmp, a.Name)); err != nil {
			return fmt.Errorf("checkpoint: exporting %s's tokenizer: %w", a.Name, err)
		} else if copied {
			continue
		}
		if w, ok := a.Tokenizer.(*tokenizer.WordLevel); ok {
			data, err := w.MarshalHF()
			if err == nil {
				err = os.WriteFile(filepath.Join(tmp, a.Name, "tokenizer.json"), data, 0o644)
			}
			if err != nil {
				return fmt.Errorf("checkpoint: exporting %s's tokenizer: %w", a.Name, err)
			}
		}
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return os.RemoveAll(old)
}

// checkpointTempPrefix is the name prefix of the directory SaveCheckpoint writes dir's next
// version into; os.MkdirTemp appends a random number.
func checkpointTempPrefix(dir string) string {
	return "." + filepath.Base(filepath.Clean(dir)) + ".tmp-"
}

// removeCheckpointTemps removes the temporary directories of dir's checkpoint that a process
// killed during SaveCheckpoint left behind, and returns their paths. Only the checkpoint's owner
// (the holder of the run's lock) may call it: another writer's directory would go too.
func removeCheckpointTemps(dir string) ([]string, error) {
	parent, prefix := filepath.Dir(filepath.Clean(dir)), checkpointTempPrefix(dir)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var removed []string
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() || suffix == "" || strings.Trim(suffix, "0123456789") != "" {
			continue
		}
		path := filepath.Join(parent, e.Name())
		if err := os.RemoveAll(path); err != nil {
			return removed, fmt.Errorf("checkpoint: removing %s, left by a crash: %w", path, err)
		}
		removed = append(removed, path)
	}
	return removed, nil
}

// LoadCheckpoint restores the training state saved by SaveCheckpoint into a trainer built from
// the same RunConfig. A checkpoint interrupted during its swap is recovered from dir + ".old".
func (t *Trainer) LoadCheckpoint(dir string) error {
	_, err := t.loadCheckpoint(dir)
	return err
}

// loadCheckpoint is LoadCheckpoint, returning the state it restored and the path of its
// state.json.
func (t *Trainer) loadCheckpoint(dir string) (loadedState, error) {
	if _, err := os.Stat(filepath.Join(dir, "state.json")); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir+".old", "state.json")); err == nil {
			dir += ".old"
		}
	}
	statePath := filepath.Join(dir, "state.json")
	data, err := os.ReadFile(statePath)
	if err != nil {
		return loadedState{}, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	st, err := parseCheckpointState(data)
	if err != nil {
		return loadedState{}, fmt.Errorf("checkpoint %s: %w", statePath, err)
	}
	if st.Algorithm != t.info.Name {
		return loadedState{}, fmt.Errorf("checkpoint %s is from algorithm %s, this run is %s", dir, st.Algorithm, t.info.Name)
	}
	if err := t.restoreVariables(filepath.Join(dir, "state.safetensors")); err != nil {
		return loadedState{}, err
	}
	t.update, t.envStep, t.warmStarted = st.Update, st.EnvStep, st.WarmStarted
	return loadedState{st, statePath}, nil
}

// loadedState is a restored checkpoint's state and the path of its state.json.
type loadedState struct {
	checkpointState
	path string
}

// parseCheckpointState decodes and checks a state.json, naming the field at fault.
func parseCheckpointState(data []byte) (checkpointState, error) {
	var st checkpointState
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("not valid JSON: %w", err)
	}
	var fields map[string]json.RawMessage
	json.Unmarshal(data, &fields)
	for _, f := range []string{"version", "update", "env_step", "algorithm"} {
		if _, ok := fields[f]; !ok {
			return st, fmt.Errorf("no %q field: the checkpoint is incomplete", f)
		}
	}
	switch {
	case st.Version != checkpointVersion:
		return st, fmt.Errorf("format version %d; this collm reads version %d", st.Version, checkpointVersion)
	case st.Update < 0:
		return st, fmt.Errorf("update %d: want the >= 0 updates the checkpoint holds", st.Update)
	case st.EnvStep < 0:
		return st, fmt.Errorf("env_step %d: want the >= 0 env steps the checkpoint holds", st.EnvStep)
	}
	return st, nil
}

// restoreVariables sets the trainer's variables from a state.safetensors, which must hold every
// variable the run has before its first step (the agents' models, critics, KL references).
func (t *Trainer) restoreVariables(path string) error {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var missing []string
	for v := range t.Store.IterVariables() {
		if _, ok := f.Tensors[v.Path()]; !ok {
			missing = append(missing, v.Path())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("checkpoint %s lacks %d of the run's variables (%s): it is incomplete or from another configuration",
			path, len(missing), summarizePaths(missing))
	}
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		st := f.Tensors[name]
		data, err := st.Float32s()
		if err != nil {
			return fmt.Errorf("checkpoint: tensor %s: %w", name, err)
		}
		value := tensors.FromFlatDataAndDimensions(data, st.Shape...)
		v := t.Store.GetVariable(name)
		if v == nil {
			// Optimizer state is created on the first step; create it now so the step finds it.
			if v, err = t.Store.CreateVariable(name, value); err != nil {
				return fmt.Errorf("checkpoint: %s: %w", name, err)
			}
			v.SetTrainable(false)
			continue
		}
		if !slices.Equal(v.Shape().Dimensions, st.Shape) {
			return fmt.Errorf("checkpoint: variable %s has shape %v, the run has %v: the checkpoint is from another configuration", name, st.Shape, v.Shape().Dimensions)
		}
		if err := v.SetValue(value); err != nil {
			return fmt.Errorf("checkpoint: %s: %w", name, err)
		}
	}
	return nil
}

// summarizePaths names the top-level scopes of variable paths and the first few paths, so that
// a message stays short for thousands of variables: "under agent_1: /agent_1/a, /agent_1/b, ...".
func summarizePaths(paths []string) string {
	slices.Sort(paths)
	var scopes []string
	for _, p := range paths {
		scope, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if !slices.Contains(scopes, scope) {
			scopes = append(scopes, scope)
		}
	}
	first := strings.Join(paths[:min(len(paths), 3)], ", ")
	if len(paths) > 3 {
		first += ", ..."
	}
	return "under " + strings.Join(scopes, ", ") + ": " + first
}

// tokenizerFiles are the files of a Hugging Face checkpoint besides its config and weights that
// a model needs to be used again: its tokenizer, special tokens, chat template and EOS ids.
var tokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
	"generation_config.json", "chat_template.jinja"}

// copyTokenizerFiles copies the tokenizerFiles that the checkpoint directory src has into dst, so
// that an exported agent loads like the checkpoint it started from; copied is false when src is
// not a directory (a preset) or has no tokenizer.json.
func copyTokenizerFiles(src, dst string) (copied bool, err error) {
	if _, err := os.Stat(filepath.Join(src, "tokenizer.json")); err != nil {
		return false, nil
	}
	for _, name := range tokenizerFiles {
		data, err := os.ReadFile(filepath.Join(src, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, err
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			return false, err
		}
	}
	return true, nil
}
