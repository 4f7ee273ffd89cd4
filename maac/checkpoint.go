package maac

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

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
//	                    model.safetensors, and tokenizer.json for an env vocabulary), usable
//	                    outside collm
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
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
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
	for _, a := range t.Agents {
		if err := a.Model.Save(filepath.Join(tmp, a.Name)); err != nil {
			return fmt.Errorf("checkpoint: exporting %s: %w", a.Name, err)
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

// LoadCheckpoint restores the training state saved by SaveCheckpoint into a trainer built from
// the same RunConfig. A checkpoint interrupted during its swap is recovered from dir + ".old".
func (t *Trainer) LoadCheckpoint(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "state.json")); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir+".old", "state.json")); err == nil {
			dir += ".old"
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	var st checkpointState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("checkpoint %s: corrupt state.json: %w", dir, err)
	}
	if st.Version != checkpointVersion {
		return fmt.Errorf("checkpoint %s has format version %d; this collm reads version %d", dir, st.Version, checkpointVersion)
	}
	if st.Algorithm != t.info.Name {
		return fmt.Errorf("checkpoint %s is from algorithm %s, this run is %s", dir, st.Algorithm, t.info.Name)
	}
	f, err := safetensors.ReadFile(filepath.Join(dir, "state.safetensors"))
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
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
	t.update, t.envStep, t.warmStarted = st.Update, st.EnvStep, st.WarmStarted
	return nil
}
