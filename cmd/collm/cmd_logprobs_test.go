package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLogprobsAndGenerateCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"logprobs", "--model", "tiny", "--ids", "5,17,3", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct{ Logprobs []float64 }
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(got.Logprobs) != 2 || got.Logprobs[0] >= 0 || got.Logprobs[1] >= 0 {
		t.Fatalf("want 2 negative log-probs, got %v", got.Logprobs)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"logprobs", "--model", "tiny", "--ids", "5,300"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "outside the vocabulary") {
		t.Fatalf("id 300: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"generate", "--model", "tiny", "--prompt", "hi", "--max-new", "3", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errb.String())
	}
	// --stop: with every letter and digit a stop string, the response ends at the first one.
	args := []string{"generate", "--model", "tiny", "--prompt", "hi", "--max-new", "40", "--temperature", "1", "--json"}
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		args = append(args, "--stop", string(c))
	}
	out.Reset()
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("generate --stop: exit %d: %s", code, errb.String())
	}
	var g struct {
		Text         string
		FinishReason string `json:"finish_reason"`
	}
	if err := json.Unmarshal(out.Bytes(), &g); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if g.FinishReason != "stop" || strings.ContainsAny(g.Text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
		t.Errorf("generate --stop: %+v, want a stop before any letter or digit", g)
	}
	if code := run([]string{"generate", "--model", "tiny", "--prompt", "hi", "--stop", ""}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "StopStrings[0] is empty") {
		t.Errorf("--stop \"\": exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"generate", "--model", "tiny"}, &out, &errb); code != 2 {
		t.Fatalf("generate without --prompt: exit %d", code)
	}
}
