package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// chatReference is testdata/chat/reference.json, written by testdata/fetch_chat_reference.sh.
type chatReference struct {
	Generator map[string]string `json:"generator"`
	Renders   []struct {
		Model        string  `json:"model"`
		Conversation string  `json:"conversation"`
		JS           string  `json:"js"`
		Python       *string `json:"python"`
	} `json:"renders"`
	Strftime []struct {
		Format string  `json:"format"`
		JS     *string `json:"js"`
		Python *string `json:"python"`
	} `json:"strftime"`
}

type chatConversation struct {
	Name                string    `json:"name"`
	AddGenerationPrompt bool      `json:"add_generation_prompt"`
	Messages            []Message `json:"messages"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestChatTemplateReference renders every conversation of testdata/chat/conversations.json with
// the real chat templates in testdata/chat (Qwen2.5, Llama-3.2, Qwen3, Llama-3) and compares
// byte for byte with the renderings of @huggingface/jinja and of Jinja2 as transformers uses it.
func TestChatTemplateReference(t *testing.T) {
	var ref chatReference
	readJSON(t, "testdata/chat/reference.json", &ref)
	var spec struct {
		Conversations []chatConversation `json:"conversations"`
	}
	readJSON(t, "testdata/chat/conversations.json", &spec)
	convs := map[string]chatConversation{}
	for _, c := range spec.Conversations {
		convs[c.Name] = c
	}
	models := map[string]*ChatTemplate{}
	for _, r := range ref.Renders {
		if models[r.Model] == nil {
			ct, err := LoadChatTemplate(filepath.Join("testdata/chat", r.Model))
			if err != nil {
				t.Fatal(err)
			}
			models[r.Model] = ct
		}
	}
	for _, m := range []string{"qwen2.5", "llama-3.2", "qwen3", "llama-3"} {
		if models[m] == nil {
			t.Errorf("reference.json has no renderings of %s", m)
		}
	}
	if want := len(models) * len(convs); len(ref.Renders) != want {
		t.Errorf("reference.json has %d renderings, want %d (%d templates x %d conversations)", len(ref.Renders), want, len(models), len(convs))
	}
	for _, r := range ref.Renders {
		t.Run(r.Model+"/"+r.Conversation, func(t *testing.T) {
			c, ok := convs[r.Conversation]
			if !ok {
				t.Fatalf("conversation %q is not in conversations.json", r.Conversation)
			}
			got, err := models[r.Model].Render(c.Messages, c.AddGenerationPrompt)
			if err != nil {
				t.Fatal(err)
			}
			if got != r.JS {
				t.Errorf("rendering differs from @huggingface/jinja %s:\n got %q\nwant %q", ref.Generator["@huggingface/jinja"], got, r.JS)
			}
			if r.Python != nil && got != *r.Python {
				t.Errorf("rendering differs from Jinja2 %s:\n got %q\nwant %q", ref.Generator["jinja2"], got, *r.Python)
			}
		})
	}
	for _, s := range ref.Strftime {
		got := Strftime(DefaultChatDate, s.Format)
		for _, want := range []*string{s.JS, s.Python} {
			if want != nil && got != *want {
				t.Errorf("Strftime(%q) = %q, want %q", s.Format, got, *want)
			}
		}
	}
}

// writeChatDir writes a model directory with the given tokenizer_config.json (none when empty)
// and chat_template.jinja (none when empty).
func writeChatDir(t *testing.T, config, jinjaFile string) string {
	t.Helper()
	dir := t.TempDir()
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if jinjaFile != "" {
		if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte(jinjaFile), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadChatTemplate(t *testing.T) {
	hello := []Message{{Role: "user", Content: "hi"}}
	for _, tc := range []struct {
		name       string
		config     string // tokenizer_config.json
		jinjaFile  string // chat_template.jinja
		want       string // rendering of hello with the generation prompt
		err        string // error fragment
		noTemplate bool   // the error wraps ErrNoChatTemplate
	}{
		{name: "string", config: `{"chat_template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}", "bos_token": "<s>", "eos_token": {"content": "</s>", "lstrip": false}}`,
			want: "<s>hi</s>"},
		{name: "named list", config: `{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ add_generation_prompt }}"}]}`,
			want: "DTrue"},
		{name: "jinja file wins", config: `{"chat_template": "config", "pad_token": "<pad>"}`, jinjaFile: "file {{ pad_token }}\n",
			want: "file <pad>"},
		{name: "specials", config: `{"chat_template": "{{ unk_token is defined }} {{ bos_token is defined }} {{ additional_special_tokens | join(',') }} {{ tools is none }} {{ documents is none }}", "bos_token": null, "unk_token": "<unk>", "additional_special_tokens": ["<a>", {"content": "<b>"}]}`,
			want: "True False <a>,<b> True True"},
		{name: "line breaks", config: `{"chat_template": "a\r\nb\rc{% if true %}\n  x\n{% endif %}\n"}`,
			want: "a\nb\nc  x\n"},
		{name: "no config", noTemplate: true, err: "no tokenizer_config.json and there is no chat_template.jinja"},
		{name: "no template", config: `{"eos_token": "</s>"}`, noTemplate: true, err: `tokenizer_config.json has no "chat_template"`},
		{name: "null template", config: `{"chat_template": null}`, noTemplate: true, err: "no chat template"},
		{name: "no default", config: `{"chat_template": [{"name": "rag", "template": "R"}]}`, err: `lists templates ["rag"] but none named "default"`},
		{name: "not a template", config: `{"chat_template": 3}`, err: `"chat_template" must be a string or a list`},
		{name: "bad JSON", config: `{"chat_template": `, err: "tokenizer_config.json: invalid JSON"},
		{name: "bad special", config: `{"chat_template": "x", "eos_token": 7}`, err: `eos_token must be a string or {"content": ...}`},
		{name: "syntax error", config: `{"chat_template": "{% for m in messages %}{{ m.content }}"}`, err: "tokenizer_config.json: chat template: jinja"},
		{name: "syntax error in file", config: `{"chat_template": "fine"}`, jinjaFile: "{{ messages[0].content ", err: "chat_template.jinja: chat template: jinja"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeChatDir(t, tc.config, tc.jinjaFile)
			ct, err := LoadChatTemplate(dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("error %v, want one naming %s and containing %q", err, dir, tc.err)
				}
				if errors.Is(err, ErrNoChatTemplate) != tc.noTemplate {
					t.Errorf("errors.Is(%v, ErrNoChatTemplate) = %v", err, !tc.noTemplate)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := ct.Render(hello, true)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("rendered %q, want %q", got, tc.want)
			}
		})
	}
	// A tokenizer.json path stands for its directory.
	if _, err := LoadChatTemplate("testdata/chat/qwen2.5/tokenizer_config.json"); err != nil {
		t.Error(err)
	}
	if _, err := LoadChatTemplate("testdata/no-such-model"); err == nil {
		t.Error("a missing directory loaded")
	}
}

func TestChatTemplateRender(t *testing.T) {
	for _, tc := range []struct {
		name, template string
		date           time.Time
		want, err      string
	}{
		{name: "raise_exception", template: "{% if messages[0].role != 'system' %}{{ raise_exception('System message first!') }}{% endif %}",
			err: "rendering the chat template: System message first!"},
		{name: "undefined filter", template: "{{ messages | no_such_filter }}", err: "rendering the chat template"},
		{name: "default date", template: `{{ strftime_now("%d %b %Y") }}`, want: "26 Jul 2024"},
		{name: "date", template: `{{ strftime_now("%A %-d %B %Y, %I:%M %p") }}`, date: time.Date(2025, 1, 5, 15, 4, 0, 0, time.UTC),
			want: "Sunday 5 January 2025, 03:04 PM"},
		{name: "message order", template: "{{ messages[0] }} {{ messages | tojson }}",
			want: `{'role': 'user', 'content': 'é "x"'} [{"role": "user", "content": "é \"x\""}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := NewChatTemplate(tc.template, "test.jinja", nil)
			if err != nil {
				t.Fatal(err)
			}
			ct.Date = tc.date
			got, err := ct.Render([]Message{{Role: "user", Content: `é "x"`}}, true)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "test.jinja")):
				t.Errorf("error %v, want one naming test.jinja and containing %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Error(err)
			case tc.err == "" && got != tc.want:
				t.Errorf("rendered %q, want %q", got, tc.want)
			}
		})
	}
}

// TestChatTemplateSpecialTokens checks that the special tokens a template writes encode as the
// special tokens: Qwen2.5's rendering with a tokenizer that has <|im_start|>, <|im_end|> and
// the longer added token <|im_start|>system.
func TestChatTemplateSpecialTokens(t *testing.T) {
	tok, err := LoadHF("testdata/tiny-qwen/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	ct, err := LoadChatTemplate("testdata/chat/qwen2.5")
	if err != nil {
		t.Fatal(err)
	}
	text, err := ct.RenderPrompt("Hello world")
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode(text)
	id := func(s string) int {
		t.Helper()
		i, ok := tok.TokenID(s)
		if !ok {
			t.Fatalf("no token %q", s)
		}
		return i
	}
	start, end, startSystem := id("<|im_start|>"), id("<|im_end|>"), id("<|im_start|>system")
	count := func(x int) int {
		n := 0
		for _, i := range ids {
			if i == x {
				n++
			}
		}
		return n
	}
	if ids[0] != startSystem || count(start) != 2 || count(end) != 2 {
		t.Errorf("ids %v: want %d first, %d twice (user, assistant) and %d twice", ids, startSystem, start, end)
	}
	if tok.Decode(ids) != text {
		t.Errorf("decoded %q, want %q", tok.Decode(ids), text)
	}
	want := append([]int{start}, tok.Encode("assistant\n")...)
	if len(ids) < len(want) || !slices.Equal(ids[len(ids)-len(want):], want) {
		t.Errorf("ids %v do not end with the generation prompt <|im_start|>assistant\\n %v", ids, want)
	}
}
