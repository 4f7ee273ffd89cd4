package maac

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/collm/collm/maac/atomicfile"
)

// config.json records the run's settings with their hash (RunConfig.SettingsSHA256), and
// .config.orig.json keeps a copy of what collm last wrote there, so that Resume can refuse a
// hand-edited config.json (another env, another learning rate: a run that would not continue
// the training its checkpoint holds) and name the fields that changed.

// origConfigName is collm's copy of config.json in a run directory.
const origConfigName = ".config.orig.json"

// unhashedKeys are the config.json keys, by dotted path, outside the settings hash: the version
// (the version check governs it, and its error tells users to edit it), save_every (it changes no
// result and --save-every changes it on resume), reward_timeout (the same, with
// --reward-timeout), reward_sha256 (an edited reward file warns on resume instead), the hash
// itself and each algorithm section's sequential (Common.Sequential: it changes no result).
var unhashedKeys = []string{"version", "save_every", "reward_timeout", "reward_sha256", "settings_sha256",
	"cc.sequential", "dc.sequential", "mc.sequential"}

// writeConfig writes cfg with its settings hash to dir/config.json, after the same bytes to
// collm's copy: a crash between the two leaves a config.json that still matches its own hash.
func writeConfig(dir string, cfg RunConfig) error {
	cfg.SettingsSHA256 = ""
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("%s/config.json: %w", dir, err)
	}
	settings, err := parseSettings(data)
	if err != nil {
		return fmt.Errorf("%s/config.json: %w", dir, err)
	}
	cfg.SettingsSHA256 = settingsHash(settings)
	data, _ = json.MarshalIndent(cfg, "", "  ")
	data = append(data, '\n')
	if err := atomicfile.WriteFile(filepath.Join(dir, origConfigName), data, 0o644); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}

// parseSettings decodes a config.json as plain JSON, numbers kept as written, so that the hash
// covers the file's content whatever fields this collm's RunConfig has.
func parseSettings(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}

// settingsHash is the hex SHA-256 of the canonical JSON (keys sorted, no spaces) of the settings
// without unhashedKeys.
func settingsHash(settings map[string]any) string {
	m := make(map[string]any, len(settings))
	for k, v := range settings {
		m[k] = v
	}
	for _, k := range unhashedKeys {
		section, leaf, nested := strings.Cut(k, ".")
		if !nested {
			delete(m, k)
			continue
		}
		if obj, ok := m[section].(map[string]any); ok {
			kept := maps.Clone(obj) // the caller's settings stay as they are
			delete(kept, leaf)
			m[section] = kept
		}
	}
	data, _ := json.Marshal(m)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// checkSettings returns an error when the config.json of the run in dir (data) no longer matches
// its settings hash, naming the changed fields from collm's copy. A config.json without a hash
// (written by a collm that did not record one, at this config version) is accepted as it is.
func checkSettings(dir string, data []byte) error {
	current, err := parseSettings(data)
	if err != nil {
		return fmt.Errorf("%s/config.json is corrupt: %w", dir, err)
	}
	stored, present := current["settings_sha256"]
	if !present || stored == any(settingsHash(current)) {
		return nil
	}
	origPath := filepath.Join(dir, origConfigName)
	origData, err := os.ReadFile(origPath)
	var orig map[string]any
	if err == nil {
		orig, err = parseSettings(origData)
	}
	if err == nil {
		if h, _ := orig["settings_sha256"].(string); h != settingsHash(orig) {
			err = fmt.Errorf("%s does not match its own settings_sha256", origPath)
		}
	}
	if err != nil {
		return fmt.Errorf("%s/config.json was edited after the run started (its settings no longer match its settings_sha256; "+
			"the changed fields cannot be named without collm's copy: %v): restore it or start a new run", dir, err)
	}
	return fmt.Errorf("%s/config.json was edited after the run started: %s; restore it (collm's copy is %s) or start a new run",
		dir, strings.Join(settingsDiff(orig, current), ", "), origPath)
}

// ConfigDiff lists the settings that differ between two config.json texts, by dotted path and
// sorted (`env "toy-coord" -> "writing-mini"`); the version, the checkpoint cadence and the
// settings hash are not settings.
func ConfigDiff(from, to []byte) ([]string, error) {
	a, err := parseSettings(from)
	if err != nil {
		return nil, err
	}
	b, err := parseSettings(to)
	if err != nil {
		return nil, err
	}
	delete(a, "settings_sha256")
	delete(b, "settings_sha256")
	return settingsDiff(a, b), nil
}

// settingsDiff lists the settings that differ between two config.json contents, by dotted path:
// `env "toy-coord" -> "writing-mini"`, `mc.actor_lr 0.001 -> 0.01`, `cc.top_k (unset) -> 5`.
func settingsDiff(from, to map[string]any) []string {
	a, b := map[string]string{}, map[string]string{}
	flattenSettings("", from, a)
	flattenSettings("", to, b)
	for _, k := range unhashedKeys {
		if k == "settings_sha256" { // the hash field stays, in case it was edited
			continue
		}
		delete(a, k)
		delete(b, k)
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var diff []string
	for k := range keys {
		if a[k] != b[k] {
			diff = append(diff, fmt.Sprintf("%s %s -> %s", k, orUnset(a[k]), orUnset(b[k])))
		}
	}
	sort.Strings(diff)
	return diff
}

// flattenSettings maps each leaf of v, empty objects and lists included, to its JSON by path.
func flattenSettings(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 {
			for k, y := range x {
				flattenSettings(strings.TrimPrefix(prefix+"."+k, "."), y, out)
			}
			return
		}
	case []any:
		if len(x) > 0 {
			for i, y := range x {
				flattenSettings(fmt.Sprintf("%s[%d]", prefix, i), y, out)
			}
			return
		}
	}
	data, _ := json.Marshal(v)
	out[prefix] = string(data)
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}
