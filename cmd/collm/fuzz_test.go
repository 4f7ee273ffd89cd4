package main

import (
	"strings"
	"testing"

	"github.com/collm/collm/maac"
)

// cheapEnvs are the envs FuzzTrainConfig resolves configs against; any other env name is
// replaced by toy-coord, so the fuzzer never reads data files or starts a sandbox.
var cheapEnvs = map[string]bool{"toy-coord": true, "writing-mini": true, "strbuild-mini": true, "housebuild-mini": true}

// FuzzTrainConfig decodes fuzzed `collm train --config` files as the command does and resolves
// them (every default filled in, every bound checked): an error or a config within the bounds,
// never a panic.
func FuzzTrainConfig(f *testing.F) {
	for _, s := range []string{
		`{"env": "toy-coord", "cc": {"actor_lr": 1e300}}`,
		`{"env": "toy-coord", "algorithm": "magrpo", "mc": {"num_generations": 100000000, "tasks_per_update": 2}}`,
		`{"env": "toy-coord", "env_options": {"turns": "8"}, "algorithm": "magrpo", "mc": {"num_generations": 4}}`,
		`{"env": "strbuild-mini", "env_options": {"shift": "NaN"}}`,
		`{"env": "housebuild-mini", "algorithm": "dc", "dc": {"critic_lr": 1, "value_clip": -1}}`,
		`{"env": "writing-mini", "agents": [{"model": "tiny", "tokenizer": "bytes"}], "cc": {"max_new_tokens": -5, "weight_decay": 1e9}}`,
		`{"env": "toy-coord", "cc": {"joint_mode": "cross", "num_generations": 9, "early_termination_threshold": 1e308}}`,
		`{"env": "toy-coord", "algorithm": "cc", "mc": {}}`,
		`{"cc": null, "agents": [{"model": "x", "lora": {"rank": -1}}]}`,
		`[1, 2]`, `{"env": 3}`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		cfg, err := trainConfig("-", strings.NewReader(data), "", nil, nil, "", 0, false, 0)
		if err != nil {
			return
		}
		if !cheapEnvs[cfg.Env] {
			cfg.Env = "toy-coord"
		}
		resolved, err := maac.ResolveConfig(cfg)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		c, err := resolved.Common()
		if err != nil {
			t.Fatalf("resolved config without its section: %v", err)
		}
		if c.NumGenerations*c.TasksPerUpdate > 4096 || !(c.ActorLR > 0 && c.ActorLR < 1) || c.MaxNewTokens < 1 {
			t.Fatalf("resolved config outside the bounds: %+v", c)
		}
	})
}
