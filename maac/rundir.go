package maac

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"syscall"

	"github.com/collm/collm/envs/pyreward"
	"github.com/collm/collm/maac/atomicfile"
)

// A run directory keeps a run on disk, so that it survives the process (each GoNB cell is a new
// process) and can be plotted, evaluated or continued later:
//
//	config.json        the RunConfig with every default filled in and its settings hash
//	.config.orig.json  collm's copy of config.json, to name the fields of an edit (settings.go)
//	metrics.jsonl      one JSON object of Metrics per update (non-finite values omitted)
//	checkpoint/        the latest checkpoint (see checkpoint.go)
//	.lock              held while a process trains the run
//
// Create starts a run in a new directory, Resume reopens one, repairing what a process killed
// mid-write leaves: a torn last line of metrics.jsonl and temporary checkpoint directories.

// warnings receives what Resume repaired (a torn metrics line, temporary checkpoint directories).
var warnings io.Writer = os.Stderr

// RunDir is an open run directory; Close releases its lock.
type RunDir struct {
	Path string
	lock *os.File
	run  *Trainer // the trainer Create or Resume built, whose config config.json records
}

// CheckpointPath is the run's checkpoint directory.
func (d *RunDir) CheckpointPath() string { return filepath.Join(d.Path, "checkpoint") }

// MetricsPath is the run's metrics log.
func (d *RunDir) MetricsPath() string { return filepath.Join(d.Path, "metrics.jsonl") }

// Close releases the run's lock and closes its trainer (Trainer.Close).
func (d *RunDir) Close() error {
	if d.lock == nil {
		return nil
	}
	var err error
	if d.run != nil {
		err = d.run.Close()
	}
	err = errors.Join(err, d.lock.Close())
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
	if err := writeConfig(dir, t.Config()); err != nil {
		rd.Close()
		return nil, nil, err
	}
	rd.run = t
	t.recordMetrics(rd.MetricsPath())
	return t, rd, nil
}

// Resume reopens the run in dir: it rebuilds the trainer from config.json, restores the latest
// checkpoint (if any), drops metrics logged after it, and continues recording. It refuses a
// config.json edited since collm wrote it, and a checkpoint whose state.json is invalid or
// disagrees with metrics.jsonl; it repairs what a killed process leaves (a torn last metrics
// line, temporary checkpoint directories), with a warning on stderr.
func Resume(dir string) (*Trainer, *RunDir, error) { return ResumeWith(dir, ResumeOptions{}) }

// ResumeOptions change what a resume may change: the settings outside the settings hash.
type ResumeOptions struct {
	// RewardTimeout, when positive, replaces the run's reward_timeout (seconds per call of its
	// Python reward) and is stored in its config.json.
	RewardTimeout float64
}

// ResumeWith is Resume with options.
func ResumeWith(dir string, o ResumeOptions) (*Trainer, *RunDir, error) {
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
	if err := checkSettings(dir, data); err != nil {
		return nil, nil, err
	}
	rd, err := lockRun(dir)
	if err != nil {
		return nil, nil, err
	}
	timeoutChanged := o.RewardTimeout > 0 && o.RewardTimeout != cfg.RewardTimeout
	if timeoutChanged {
		if cfg.Reward == "" {
			rd.Close()
			return nil, nil, fmt.Errorf("%s has no Python reward (its config.json sets no reward): drop the reward timeout", dir)
		}
		cfg.RewardTimeout = o.RewardTimeout
	}
	t, err := resume(rd, cfg)
	if err != nil {
		rd.Close()
		return nil, nil, err
	}
	rd.run = t
	if file, _, err := pyreward.ParseSpec(cfg.Reward); err == nil && cfg.RewardSHA256 != "" {
		if sum, err := fileSHA256(file); err == nil && sum != cfg.RewardSHA256 {
			fmt.Fprintf(warnings, "warning: %s changed since run %s started (reward_sha256 in its config.json): the updates from here on train on the edited reward\n", file, dir)
		}
	}
	if cfg.SettingsSHA256 == "" || timeoutChanged {
		// Record the hash now, so that later edits are caught.
		if err := writeConfig(dir, t.Config()); err != nil {
			rd.Close()
			return nil, nil, err
		}
	}
	t.recordMetrics(rd.MetricsPath())
	return t, rd, nil
}

// resume rebuilds the run of the locked rd and restores its state.
func resume(rd *RunDir, cfg RunConfig) (*Trainer, error) {
	removed, err := removeCheckpointTemps(rd.CheckpointPath())
	for _, path := range removed {
		fmt.Fprintf(warnings, "warning: removed %s, a checkpoint directory left by a process killed while writing it\n", path)
	}
	if err != nil {
		return nil, err
	}
	t, err := Build(cfg)
	if err != nil {
		return nil, fmt.Errorf("rebuilding run %s: %w", rd.Path, err)
	}
	var st loadedState
	ckpt := rd.CheckpointPath()
	_, errNew := os.Stat(ckpt)
	_, errOld := os.Stat(ckpt + ".old")
	if errNew == nil || errOld == nil {
		if st, err = t.loadCheckpoint(ckpt); err != nil {
			return nil, err
		}
	}
	return t, truncateMetrics(rd.MetricsPath(), st)
}

// SetSaveEvery stores n as the run's checkpoint cadence (RunConfig.SaveEvery) in its config.json,
// where later resumes find it, and in its trainer's config.
func (d *RunDir) SetSaveEvery(n int) error {
	if n < 1 {
		return fmt.Errorf("save_every=%d: want >= 1 updates between checkpoints", n)
	}
	if d.run == nil || d.lock == nil {
		return fmt.Errorf("run %s is not open", d.Path)
	}
	if d.run.config.SaveEvery == n {
		return nil
	}
	cfg := d.run.config
	cfg.SaveEvery = n
	if err := writeConfig(d.Path, cfg); err != nil {
		return err
	}
	d.run.config.SaveEvery = n
	return nil
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
	ms, torn, err := readMetrics(path)
	if err == nil && torn != nil {
		return nil, torn.err
	}
	return ms, err
}

// tornLine is a last line of metrics.jsonl that is not valid JSON: the write of a process
// killed during it.
type tornLine struct {
	line int
	text string
	err  error
}

// readMetrics reads a metrics.jsonl file, returning an invalid last line apart; an invalid line
// followed by another is an error naming file:line.
func readMetrics(path string) ([]Metrics, *tornLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var out []Metrics
	var bad *tornLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if bad != nil {
			return nil, nil, bad.err
		}
		var m Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			bad = &tornLine{line, sc.Text(), fmt.Errorf("%s:%d: %w", path, line, err)}
			continue
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, bad, nil
}

// truncateMetrics keeps the metrics of updates <= st.Update (those after the checkpoint are
// replayed) and drops a torn last line with a warning. A log must hold the checkpoint's update
// with its env_step: otherwise state.json is not this run's (a run without a log is not checked).
func truncateMetrics(path string, st loadedState) error {
	all, torn, err := readMetrics(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if torn != nil {
		text := torn.text
		if len(text) > 80 {
			text = text[:80] + "..."
		}
		fmt.Fprintf(warnings, "warning: %s:%d: dropped the torn last line %q (%d bytes, not valid JSON), left by a process killed while writing it\n",
			path, torn.line, text, len(torn.text))
	}
	var buf bytes.Buffer
	loggedStep := -1 // the env_step logged at the checkpoint's update
	for _, m := range all {
		u := int(m[MetricUpdate])
		if u == st.Update {
			loggedStep = int(m[MetricEnvStep])
		}
		if u <= st.Update {
			line, _ := MarshalMetrics(m)
			buf.Write(append(line, '\n'))
		}
	}
	if st.Update > 0 && loggedStep != st.EnvStep {
		logged := "has no line for that update"
		if loggedStep >= 0 {
			logged = fmt.Sprintf("logged env_step %d at that update", loggedStep)
		}
		return fmt.Errorf("checkpoint %s: update %d with env_step %d, but %s %s (%d updates logged): "+
			"the checkpoint is not this run's, or the log lost lines; restore the run's own files or start a new run",
			st.path, st.Update, st.EnvStep, path, logged, len(all))
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}
