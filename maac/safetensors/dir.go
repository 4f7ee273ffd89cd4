package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// File names of a model directory, as transformers writes them.
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// shardName matches the shard files SaveDir writes (and transformers too).
var shardName = regexp.MustCompile(`^model-[0-9]{5}-of-[0-9]{5}\.safetensors$`)

// index is the content of model.safetensors.index.json.
type index struct {
	Metadata  map[string]any    `json:"metadata"`
	WeightMap map[string]string `json:"weight_map"`
}

// LoadDir loads all tensors of a model directory: model.safetensors if present, otherwise the
// shards listed in model.safetensors.index.json. It returns an error for a missing shard, a
// tensor found in two shards, a tensor the index assigns to a shard that lacks it, or a shard
// holding a tensor the index does not list.
func LoadDir(dir string) (map[string]*Tensor, error) {
	single := filepath.Join(dir, SingleFileName)
	if _, err := os.Stat(single); err == nil {
		f, err := ReadFile(single)
		if err != nil {
			return nil, err
		}
		return f.Tensors, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %w", err)
	}

	indexPath := filepath.Join(dir, IndexFileName)
	raw, err := os.ReadFile(indexPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %s has neither %s nor %s", dir, SingleFileName, IndexFileName)
	}
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	var idx index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", indexPath, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("safetensors: %s: missing or empty \"weight_map\"", indexPath)
	}
	want := map[string][]string{} // shard file -> tensor names the index puts there
	for name, shard := range idx.WeightMap {
		if shard == "" || shard != filepath.Base(shard) || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %q is not a plain file name in the directory", indexPath, name, shard)
		}
		want[shard] = append(want[shard], name)
	}

	out := map[string]*Tensor{}
	from := map[string]string{} // tensor name -> shard it was loaded from
	for _, shard := range sortedKeys(want) {
		path := filepath.Join(dir, shard)
		f, err := ReadFile(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("safetensors: %s: shard %s listed in %s is missing", dir, shard, IndexFileName)
			}
			return nil, err
		}
		for name, t := range f.Tensors {
			if prev, dup := from[name]; dup {
				return nil, fmt.Errorf("safetensors: %s: tensor %q is in two shards, %s and %s", dir, name, prev, shard)
			}
			if idx.WeightMap[name] != shard {
				return nil, fmt.Errorf("safetensors: %s: tensor %q in shard %s is not assigned to it by %s", dir, name, shard, IndexFileName)
			}
			from[name] = shard
			out[name] = t
		}
		for _, name := range want[shard] {
			if _, ok := f.Tensors[name]; !ok {
				return nil, fmt.Errorf("safetensors: %s: %s puts tensor %q in shard %s, which lacks it", dir, IndexFileName, name, shard)
			}
		}
	}
	return out, nil
}

// SaveDir writes tensors to dir (created if needed) as a single model.safetensors when their
// total byte size is at most maxShardBytes or maxShardBytes <= 0, and otherwise as shards
// model-00001-of-0000N.safetensors of at most maxShardBytes each (a larger tensor gets a shard of
// its own) plus model.safetensors.index.json. Tensors are assigned to shards in name order. Every
// file is written atomically, the index after the shards; files of a previous save that the new
// layout does not use are removed afterwards. metadata goes into every file's header.
func SaveDir(dir string, tensors []*Tensor, maxShardBytes int64, metadata map[string]string) error {
	sorted := make([]*Tensor, len(tensors))
	copy(sorted, tensors)
	var total int64
	for _, t := range sorted {
		if err := t.validate(); err != nil {
			return fmt.Errorf("safetensors: %s: %w", dir, err)
		}
		total += int64(len(t.Data))
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}

	if maxShardBytes <= 0 || total <= maxShardBytes {
		if err := WriteFile(filepath.Join(dir, SingleFileName), sorted, metadata); err != nil {
			return err
		}
		return removeStale(dir, nil)
	}

	var shards [][]*Tensor
	var size int64
	for _, t := range sorted {
		n := int64(len(t.Data))
		if len(shards) == 0 || (size+n > maxShardBytes && size > 0) {
			shards = append(shards, nil)
			size = 0
		}
		shards[len(shards)-1] = append(shards[len(shards)-1], t)
		size += n
	}
	idx := index{Metadata: map[string]any{"total_size": total}, WeightMap: map[string]string{}}
	keep := map[string]bool{IndexFileName: true}
	for i, group := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		if err := WriteFile(filepath.Join(dir, name), group, metadata); err != nil {
			return err
		}
		for _, t := range group {
			idx.WeightMap[t.Name] = name
		}
		keep[name] = true
	}
	raw, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", IndexFileName, err)
	}
	err = writeAtomic(filepath.Join(dir, IndexFileName), func(w io.Writer) error {
		_, err := w.Write(append(raw, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return removeStale(dir, keep)
}

// removeStale deletes the model files in dir that are not in keep: model.safetensors, the index
// and shard files of an earlier save with another layout or shard count.
func removeStale(dir string, keep map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if keep == nil {
		keep = map[string]bool{SingleFileName: true}
	}
	for _, e := range entries {
		n := e.Name()
		if keep[n] || !(n == SingleFileName || n == IndexFileName || shardName.MatchString(n)) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("safetensors: removing stale %w", err)
		}
	}
	return nil
}
