package maac

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"syscall"

	"github.com/collm/collm/maac/atomicfile"
)

// A run directory keeps a run on disk, so that it survives the process (each GoNB cell is a new
// process) and can be plotted, evaluated or continued later:
//
//	config.json      the RunConfig with every default filled in
//	metrics.jsonl    one JSON object of Metrics per update (non-finite values omitted)
//	checkpoint/      the latest checkpoint (see checkpoint.go)
//	.lock            held while a process trains the run
//
// Create starts a run in a new directory, Resume reopens one.

// RunDir is an open run directory; Close releases its lock.
type RunDir struct {
	Path string
	lock *os.File
}

// CheckpointPath is the run's checkpoint directory.
func (d *RunDir) CheckpointPath() string { return filepath.Join(d.Path, "checkpoint") }

// MetricsPath is the run's metrics log.
func (d *RunDir) MetricsPath() string { return filepath.Join(d.Path, "metrics.jsonl") }

// Close releases the run's lock.
func (d *RunDir) Close() error {
	if d.lock == nil {
		return nil
	}
	err := d.lock.Close()
	d.lock = nil
	return err
}

// lockRun takes the run's lock, failing with a clear message when another process holds it.
func lockRun(dir string) (*RunDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("run directory %s is not writable: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run directory %s is not writable: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("run %s is in use by another process (another cell or command is training it); wait for it or stop it", dir)
	}
	return &RunDir{Path: dir, lock: f}, nil
}

// Create builds the run cfg describes in the new directory dir, writes its config.json and
// records its metrics there. It fails when dir already holds a run.
func Create(dir string, cfg RunConfig) (*Trainer, *RunDir, error) {
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		return nil, nil, fmt.Errorf("%s already holds a run: resume it or choose another directory", dir)
	}
	rd, err := lockRun(dir)
	if err != nil {
		return nil, nil, err
	}
	t, err := Build(cfg)
	if err != nil {
		rd.Close()
		return nil, nil, err
	}
	data, _ := json.MarshalIndent(t.Config(), "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(dir, "config.json"), append(data, '\n'), 0o644); err != nil {
		rd.Close()
		return nil, nil, err
	}
	t.recordMetrics(rd.MetricsPath())
	return t, rd, nil
}

// Resume reopens the run in dir: it rebuilds the trainer from config.json, restores the latest
// checkpoint (if any), drops metrics logged after it, and continues recording.
func Resume(dir string) (*Trainer, *RunDir, error) {
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s is not a collm run (no config.json)", dir)
	}
	if err != nil {
		return nil, nil, err
	}
	var cfg RunConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, nil, fmt.Errorf("%s/config.json is corrupt: %w", dir, err)
	}
	if cfg.Version < configVersion {
		return nil, nil, fmt.Errorf("%s was created by an earlier collm (config version %d; this one writes %d) whose training defaults differ "+
			"(optimizer cadence, advantage normalization, early termination, KL penalty, weight decay, clipping, critic input): "+
			"resumed here it would not continue the same training. Start a new run, or set \"version\": %d in its config.json to continue under today's defaults",
			dir, cfg.Version, configVersion, configVersion)
	}
	rd, err := lockRun(dir)
	if err != nil {
		return nil, nil, err
	}
	t, err := Build(cfg)
	if err != nil {
		rd.Close()
		return nil, nil, fmt.Errorf("rebuilding run %s: %w", dir, err)
	}
	ckpt := rd.CheckpointPath()
	_, errNew := os.Stat(ckpt)
	_, errOld := os.Stat(ckpt + ".old")
	if errNew == nil || errOld == nil {
		if err := t.LoadCheckpoint(ckpt); err != nil {
			rd.Close()
			return nil, nil, err
		}
	}
	if err := truncateMetrics(rd.MetricsPath(), t.update); err != nil {
		rd.Close()
		return nil, nil, err
	}
	t.recordMetrics(rd.MetricsPath())
	return t, rd, nil
}

// recordMetrics appends every update's metrics to path.
func (t *Trainer) recordMetrics(path string) {
	t.OnUpdate(func(u UpdateInfo) error {
		line, err := MarshalMetrics(u.Metrics)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(append(line, '\n')); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

// MarshalMetrics encodes metrics as one JSON object, omitting NaN and infinite values (JSON has
// no encoding for them).
func MarshalMetrics(m Metrics) ([]byte, error) {
	finite := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			finite[k] = v
		}
	}
	return json.Marshal(finite)
}

// ReadMetrics reads a metrics.jsonl file.
func ReadMetrics(path string) ([]Metrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Metrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// truncateMetrics keeps the metrics of updates <= last: those after the checkpoint are replayed.
func truncateMetrics(path string, last int) error {
	all, err := ReadMetrics(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, m := range all {
		if int(m[MetricUpdate]) <= last {
			line, _ := MarshalMetrics(m)
			buf.Write(append(line, '\n'))
		}
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}
