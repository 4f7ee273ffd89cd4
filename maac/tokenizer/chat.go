package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// Message is one turn of a conversation given to a chat template.
type Message struct {
	Role    string `json:"role"` // "system", "user", "assistant", ...
	Content string `json:"content"`
}

// ErrNoChatTemplate is returned (wrapped) by LoadChatTemplate for a model directory that has no
// chat template.
var ErrNoChatTemplate = errors.New("no chat template")

// DefaultChatDate is the date strftime_now formats in a chat template unless ChatTemplate.Date
// says otherwise: 26 Jul 2024, the date Llama 3.x templates fall back to when strftime_now is
// not defined. A fixed date keeps the prompts of a run, and so its results, independent of the
// day it runs.
var DefaultChatDate = time.Date(2024, time.July, 26, 0, 0, 0, 0, time.UTC)

// specialTokenKeys are the special-token attributes of a Hugging Face tokenizer, in the order of
// its special_tokens_map; each one set in tokenizer_config.json becomes a template variable.
var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// ChatTemplate is a model's Jinja chat template (Hugging Face's "chat_template"), compiled with
// github.com/ardanlabs/jinja. It is safe for concurrent use once built.
type ChatTemplate struct {
	// Source is the template text, as the file holds it.
	Source string
	// Path names where the template came from (a tokenizer_config.json or chat_template.jinja);
	// errors quote it.
	Path string
	// Specials are the special-token variables the template sees: bos_token, eos_token,
	// unk_token, sep_token, pad_token, cls_token and mask_token (those that are set) and
	// additional_special_tokens.
	Specials map[string]any
	// Date is the date strftime_now formats; the zero time means DefaultChatDate.
	Date time.Time

	tmpl *jinja.Template
}

// NewChatTemplate compiles a chat template. specials are its special-token variables (strings,
// or a []string for additional_special_tokens); path names the template in errors. The source is
// prepared as by Jinja2 in Hugging Face transformers, which renders with trim_blocks and
// lstrip_blocks (the engine's own behaviour) and without keep_trailing_newline: line breaks
// become "\n" and one final line break is dropped.
func NewChatTemplate(source, path string, specials map[string]any) (*ChatTemplate, error) {
	if path == "" {
		path = "chat template"
	}
	src := strings.ReplaceAll(strings.ReplaceAll(source, "\r\n", "\n"), "\r", "\n")
	src = strings.TrimSuffix(src, "\n")
	tmpl, err := jinja.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: chat template: %w", path, err)
	}
	sp := map[string]any{}
	for k, v := range specials {
		sp[k] = v
	}
	return &ChatTemplate{Source: source, Path: path, Specials: sp, tmpl: tmpl}, nil
}

// LoadChatTemplate loads the chat template of a Hugging Face model directory (or of the
// directory of a tokenizer.json or tokenizer_config.json path): chat_template.jinja when the
// directory has one (recent transformers versions save the template there, and it takes
// precedence), else the "chat_template" of tokenizer_config.json: a string, or a list of
// {"name", "template"} from which the one named "default" is taken. The special tokens of
// tokenizer_config.json become template variables. A directory without a template gives an
// error wrapping ErrNoChatTemplate; a template that does not compile gives one naming the file
// and the Jinja error.
func LoadChatTemplate(dirOrFile string) (*ChatTemplate, error) {
	dir := dirOrFile
	if st, err := os.Stat(dirOrFile); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	} else if !st.IsDir() {
		dir = filepath.Dir(dirOrFile)
	}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	var cfg map[string]json.RawMessage
	data, err := os.ReadFile(cfgPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("tokenizer: %w", err)
	default:
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: invalid JSON: %w", cfgPath, err)
		}
	}
	specials, err := configTemplateVars(cfg)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
	}

	jinjaPath := filepath.Join(dir, "chat_template.jinja")
	if src, err := os.ReadFile(jinjaPath); err == nil {
		return NewChatTemplate(string(src), jinjaPath, specials)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	raw, ok := cfg["chat_template"]
	if !ok || isNull(raw) {
		why := "no tokenizer_config.json"
		if cfg != nil {
			why = `tokenizer_config.json has no "chat_template"`
		}
		return nil, fmt.Errorf("tokenizer: %s: %w (%s and there is no chat_template.jinja)", dir, ErrNoChatTemplate, why)
	}
	src, err := defaultTemplate(raw)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
	}
	return NewChatTemplate(src, cfgPath, specials)
}

// defaultTemplate returns the template of a tokenizer_config.json "chat_template": the string
// itself, or the entry named "default" of a list of named templates.
func defaultTemplate(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", errors.New(`"chat_template" must be a string or a list of {"name", "template"}`)
	}
	var names []string
	for _, t := range list {
		if t.Name == "default" {
			return t.Template, nil
		}
		names = append(names, strconv.Quote(t.Name))
	}
	return "", fmt.Errorf(`"chat_template" lists templates [%s] but none named "default"`, strings.Join(names, ", "))
}

// configTemplateVars returns the special-token variables of a tokenizer_config.json, as the
// reference library's special_tokens_map has them: each special-token attribute that is set (a
// string or an added-token object with "content"), and additional_special_tokens when not empty.
func configTemplateVars(cfg map[string]json.RawMessage) (map[string]any, error) {
	vars := map[string]any{}
	tokenString := func(raw json.RawMessage) (string, error) {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s, nil
		}
		var obj struct {
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil || obj.Content == nil {
			return "", errors.New(`must be a string or {"content": ...}`)
		}
		return *obj.Content, nil
	}
	for _, key := range specialTokenKeys {
		raw, ok := cfg[key]
		if !ok || isNull(raw) {
			continue
		}
		s, err := tokenString(raw)
		if err != nil {
			return nil, fmt.Errorf("%s %w", key, err)
		}
		if s != "" {
			vars[key] = s
		}
	}
	if raw, ok := cfg["additional_special_tokens"]; ok && !isNull(raw) {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, errors.New("additional_special_tokens must be a list")
		}
		var out []string
		for i, r := range list {
			s, err := tokenString(r)
			if err != nil {
				return nil, fmt.Errorf("additional_special_tokens[%d] %w", i, err)
			}
			out = append(out, s)
		}
		if len(out) > 0 {
			vars["additional_special_tokens"] = out
		}
	}
	return vars, nil
}

// Render renders a conversation with the variables the reference library passes to a chat
// template: messages (each a mapping with "role" and "content", in that order),
// add_generation_prompt, tools and documents (both none), the special tokens (Specials),
// raise_exception(message), which fails the rendering with message, and strftime_now(format),
// which formats Date (DefaultChatDate when zero) with Python's strftime directives.
func (t *ChatTemplate) Render(messages []Message, addGenerationPrompt bool) (string, error) {
	msgs := make([]jinja.Value, len(messages))
	for i, m := range messages {
		d := jinja.NewDict()
		d.AsDict().Set("role", jinja.NewString(m.Role))
		d.AsDict().Set("content", jinja.NewString(m.Content))
		msgs[i] = d
	}
	date := t.Date
	if date.IsZero() {
		date = DefaultChatDate
	}
	vars := map[string]jinja.Value{
		"messages":              jinja.NewList(msgs),
		"add_generation_prompt": jinja.NewBool(addGenerationPrompt),
		"tools":                 jinja.None(),
		"documents":             jinja.None(),
		"raise_exception": jinja.NewCallable("raise_exception", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			msg := "raise_exception called"
			if len(args) > 0 && args[0].IsString() {
				msg = args[0].AsString()
			} else if len(args) > 0 {
				msg = args[0].String()
			}
			return jinja.Undefined(), errors.New(msg)
		}),
		"strftime_now": jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			if len(args) != 1 || !args[0].IsString() {
				return jinja.Undefined(), errors.New("strftime_now takes one format string")
			}
			return jinja.NewString(Strftime(date, args[0].AsString())), nil
		}),
	}
	for k, v := range t.Specials {
		vars[k] = jinja.FromGoValue(specialValue(v))
	}
	out, err := t.tmpl.RenderValues(vars)
	if err != nil {
		return "", fmt.Errorf("tokenizer: %s: rendering the chat template: %w", t.Path, err)
	}
	return out, nil
}

// specialValue converts a []string (additional_special_tokens) to the []any FromGoValue takes.
func specialValue(v any) any {
	if list, ok := v.([]string); ok {
		out := make([]any, len(list))
		for i, s := range list {
			out[i] = s
		}
		return out
	}
	return v
}

// RenderPrompt renders prompt as the single user message of a conversation, followed by the
// generation prompt (the assistant's turn header): the text an instruct model completes.
func (t *ChatTemplate) RenderPrompt(prompt string) (string, error) {
	return t.Render([]Message{{Role: "user", Content: prompt}}, true)
}

var (
	weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// Strftime formats t like Python's datetime.strftime in the C locale (on glibc): %a %A %b %h %B
// %d %e %H %I %j %m %M %S %p %y %Y %C %u %w %F %T %D %R %n %t %%, the flag "-" (no padding, as in
// %-d), and %Z and %z as empty strings (a naive datetime, as strftime_now uses). Other
// directives are copied unchanged.
func Strftime(t time.Time, format string) string {
	var sb strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			sb.WriteByte(c)
			continue
		}
		j := i + 1
		pad := true
		if format[j] == '-' && j+1 < len(format) {
			pad = false
			j++
		}
		num := func(n, width int, fill byte) string {
			s := strconv.Itoa(n)
			if pad {
				for len(s) < width {
					s = string(fill) + s
				}
			}
			return s
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		var s string
		switch format[j] {
		case 'a':
			s = weekdays[t.Weekday()][:3]
		case 'A':
			s = weekdays[t.Weekday()]
		case 'b', 'h':
			s = months[t.Month()-1][:3]
		case 'B':
			s = months[t.Month()-1]
		case 'd':
			s = num(t.Day(), 2, '0')
		case 'e':
			s = num(t.Day(), 2, ' ')
		case 'H':
			s = num(t.Hour(), 2, '0')
		case 'I':
			s = num(hour12, 2, '0')
		case 'j':
			s = num(t.YearDay(), 3, '0')
		case 'm':
			s = num(int(t.Month()), 2, '0')
		case 'M':
			s = num(t.Minute(), 2, '0')
		case 'S':
			s = num(t.Second(), 2, '0')
		case 'p':
			s = "AM"
			if t.Hour() >= 12 {
				s = "PM"
			}
		case 'y':
			s = num(t.Year()%100, 2, '0')
		case 'Y':
			s = strconv.Itoa(t.Year())
		case 'C':
			s = num(t.Year()/100, 2, '0')
		case 'u':
			s = strconv.Itoa((int(t.Weekday())+6)%7 + 1)
		case 'w':
			s = strconv.Itoa(int(t.Weekday()))
		case 'F':
			s = Strftime(t, "%Y-%m-%d")
		case 'T':
			s = Strftime(t, "%H:%M:%S")
		case 'D':
			s = Strftime(t, "%m/%d/%y")
		case 'R':
			s = Strftime(t, "%H:%M")
		case 'n':
			s = "\n"
		case 't':
			s = "\t"
		case 'Z', 'z':
			s = ""
		case '%':
			s = "%"
		default:
			sb.WriteString(format[i : j+1])
			i = j
			continue
		}
		sb.WriteString(s)
		i = j
	}
	return sb.String()
}
