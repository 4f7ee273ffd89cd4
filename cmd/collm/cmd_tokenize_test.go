package main

import (
	"strings"
	"testing"
)

func TestTokenizeCommand(t *testing.T) {
	code, out, errOut := runEnvsCmd("tokenize", "--text", "Hi<|endoftext|>")
	if code != 0 || !strings.Contains(out, "3 tokens (vocabulary 257, EOS 256, pad 256)") || !strings.Contains(out, `     256  "<|endoftext|>"`) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	tiny := "../../maac/tokenizer/testdata/tiny-qwen"
	code, out, errOut = runEnvsCmd("tokenize", "--tokenizer", tiny, "Hello", "world")
	if code != 0 || !strings.Contains(out, `     476  " wor"`) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runEnvsCmd("tokenize", "--tokenizer", tiny, "--ids", "72,101,297,111,476,335")
	if code != 0 || out != "\"Hello world\"\n" {
		t.Fatalf("decode: exit %d, %q", code, out)
	}
	for _, args := range [][]string{
		{"tokenize"},
		{"tokenize", "--ids", "1,x"},
		{"tokenize", "--ids", "999"},
		{"tokenize", "--ids", "1", "text"},
	} {
		if code, _, errOut := runEnvsCmd(args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q, want a usage error", args, code, errOut)
		}
	}
	if code, _, errOut := runEnvsCmd("tokenize", "--tokenizer", t.TempDir(), "x"); code != 1 || !strings.Contains(errOut, "has no tokenizer.json") {
		t.Errorf("missing tokenizer: exit %d, %q", code, errOut)
	}
}
