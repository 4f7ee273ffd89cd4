package envs

import (
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	var got *Options
	Register(Registration{
		Name: "registry-test", Summary: "test",
		Options: []Option{{Name: "n", Default: "3"}, {Name: "x", Default: "0.5"}, {Name: "b", Default: "true"},
			{Name: "mode", Default: "a"}, {Name: "s", Default: "hi"}},
		New: func(o *Options) (Env, error) {
			got = o
			o.IntRange("n", 1, 5)
			o.Float("x")
			o.Bool("b")
			o.Choice("mode", "a", "b")
			return nil, nil
		},
	})
	if _, err := New("registry-test", nil); err != nil {
		t.Fatal(err)
	}
	if got.Int("n") != 3 || got.Float("x") != 0.5 || !got.Bool("b") || got.String("s") != "hi" {
		t.Errorf("defaults not applied")
	}
	for opt, want := range map[string]string{
		"n=9":      `env registry-test: option n="9": want an integer in [1, 5]`,
		"n=x":      `option n="x": want an integer`,
		"x=nan?":   `option x="nan?": want a finite number`,
		"x=NaN":    `env registry-test: option x="NaN": want a finite number`,
		"x=Inf":    `option x="Inf": want a finite number`,
		"x=-inf":   `option x="-inf": want a finite number`,
		"x=1e999":  `option x="1e999": want a finite number`,
		"b=2":      `option b="2": want true or false`,
		"mode=c":   `option mode="c": want one of a, b`,
		"bogus=1":  `env registry-test: unknown option "bogus"; accepted options: n, x, b, mode, s`,
		"noequals": `env option "noequals": want name=value`,
	} {
		kv, err := ParseOptions([]string{opt})
		if err == nil {
			_, err = New("registry-test", kv)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", opt, err, want)
		}
	}
	if _, err := Lookup("no-such-env"); err == nil || !strings.Contains(err.Error(), "registry-test") {
		t.Errorf("Lookup of an unknown env should list the registered ones: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("duplicate Register did not panic")
			}
		}()
		Register(Registration{Name: "registry-test", New: func(*Options) (Env, error) { return nil, nil }})
	}()
}
