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

// TestTokenizeChat: --chat renders the text with the chat template of testdata/chat-qwen
// (Qwen2.5-Instruct's tokenizer_config.json beside a small Qwen2-style tokenizer.json) and lists
// the tokens of the rendering, the template's special tokens as their ids.
func TestTokenizeChat(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // fragments of stdout, or of stderr when code != 0
	}{
		{"qwen2.5", []string{"--tokenizer", "testdata/chat-qwen", "--chat", "Hi"}, 0, []string{
			"chat template: testdata/chat-qwen/tokenizer_config.json\n",
			"rendered prompt (150 bytes):\n<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n\n",
			"53 tokens (vocabulary 663, EOS 658, pad 656)\n     662  \"<|im_start|>system\"\n",
			"     658  \"<|im_end|>\"\n      10  \"\\n\"\n     657  \"<|im_start|>\"\n     562  \"ass\"\n",
		}},
		{"text flag", []string{"--tokenizer", "testdata/chat-qwen", "--chat", "--text", "Hi"}, 0, []string{"rendered prompt (150 bytes)"}},
		{"no template", []string{"--tokenizer", "../../maac/tokenizer/testdata/tiny-qwen", "--chat", "Hi"}, 1, []string{"tiny-qwen: no chat template"}},
		{"bytes", []string{"--chat", "Hi"}, 2, []string{"--chat needs --tokenizer DIR"}},
		{"with ids", []string{"--tokenizer", "testdata/chat-qwen", "--chat", "--ids", "1"}, 2, []string{"does not go with --ids"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runEnvsCmd(append([]string{"tokenize"}, tc.args...)...)
			got := out
			if tc.code != 0 {
				got = errOut
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
