package coding

import (
	"strings"
	"testing"
)

func TestExtractCode(t *testing.T) {
	cases := []struct{ in, want string }{
		{"def f():\n    return 1\n\n", "def f():\n    return 1"},
		{"```python\ndef f():\n    return 1\n```", "def f():\n    return 1"},
		{"Sure! Here:\n```py\ndef f():\n    return 1\n```\nThis returns 1.", "def f():\n    return 1"},
		{"```\na = 1\n```\ntext\n```python\nb = 2\n```", "a = 1\n\nb = 2"},
		{"```python\ndef f():\n    return 1", "def f():\n    return 1"},
		{"  ```python\r\ndef f():\r\n    return 1\r\n  ```\r\n", "def f():\n    return 1"},
		{"~~~\nx = '```'\n~~~", "x = '```'"},
		{"```python\n```", ""},
		{"", ""},
	}
	for _, c := range cases {
		if got := ExtractCode(c.in); got != c.want {
			t.Errorf("ExtractCode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzExtractCode(f *testing.F) {
	for _, s := range []string{"", "def f():\n    return 1", "```python\nx=1\n```", "```\n```\n```", "~~~\n```\n~~~", "a\r\nb\r", "```py\nunclosed", "text ``` inline"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := ExtractCode(in)
		if strings.Contains(out, "\r") {
			t.Fatalf("carriage return left in %q", out)
		}
		norm := strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\r", "\n")
		if !strings.Contains(norm, "```") && !strings.Contains(norm, "~~~") && out != strings.TrimRight(norm, " \t\n") {
			t.Fatalf("no fences: got %q, want the input %q", out, norm)
		}
		// Every output line comes from the input (fences only drop lines).
		inLines := map[string]bool{}
		for _, l := range strings.Split(norm, "\n") {
			inLines[strings.TrimRight(l, " \t")] = true
		}
		for _, l := range strings.Split(out, "\n") {
			if l = strings.TrimRight(l, " \t"); l != "" && !inLines[l] {
				t.Fatalf("output line %q is not an input line; in=%q out=%q", l, in, out)
			}
		}
	})
}
