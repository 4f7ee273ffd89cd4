package envs

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Option documents one option an env accepts, as `--env-opt name=value` on the command line or
// a map entry in the notebook builders.
type Option struct {
	Name    string
	Default string // the value used when the option is absent, as text
	Help    string // one line: meaning and accepted values
}

// Registration describes a registered env family.
type Registration struct {
	Name    string
	Base    string   // the env a derived env (Derive) is built on; "" for the others
	Summary string   // one line for `collm envs`
	Options []Option // every option New accepts; any other name is an error
	// New builds the env from options. Options.Err reports the first bad option value; New
	// should return it, and envs.New reports it in place of any other error of New.
	New func(opts *Options) (Env, error)
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Registration{}
)

// Register adds an env family; call it from init(). It panics on a duplicate or empty name.
func Register(r Registration) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if r.Name == "" || r.New == nil {
		panic("envs.Register: Name and New are required")
	}
	if _, dup := registry[r.Name]; dup {
		panic("envs.Register: duplicate env name " + r.Name)
	}
	registry[r.Name] = r
}

// List returns every registration sorted by name.
func List() []Registration {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Registration, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the registration of name.
func Lookup(name string) (Registration, error) {
	registryMu.RLock()
	r, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		names := make([]string, 0)
		for _, r := range List() {
			names = append(names, r.Name)
		}
		return Registration{}, fmt.Errorf("unknown env %q; registered envs: %s (a derived env must first be declared with envs.Derive in this process)",
			name, strings.Join(names, ", "))
	}
	return r, nil
}

// New builds the registered env name with the given options (name -> value as text).
// Unknown option names are an error that lists the accepted ones.
func New(name string, values map[string]string) (Env, error) {
	r, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	opts, err := newOptions(r, values)
	if err != nil {
		return nil, err
	}
	env, err := r.New(opts)
	if opts.Err() != nil {
		// A bad option value explains whatever New then made of it (e.g. a zero it defaulted to).
		err = opts.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("env %s: %w", name, err)
	}
	return env, nil
}

// ParseOptions turns "k=v" strings (repeated --env-opt flags) into a map.
func ParseOptions(kvs []string) (map[string]string, error) {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("env option %q: want name=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// Options holds the option values of one env construction. Its getters return the value or the
// documented default and remember the first parse error, which New reports.
type Options struct {
	env    string
	values map[string]string
	known  map[string]Option
	err    error
}

func newOptions(r Registration, values map[string]string) (*Options, error) {
	o := &Options{env: r.Name, values: values, known: map[string]Option{}}
	for _, opt := range r.Options {
		o.known[opt.Name] = opt
	}
	for k := range values {
		if _, ok := o.known[k]; !ok {
			names := make([]string, 0, len(r.Options))
			for _, opt := range r.Options {
				names = append(names, opt.Name)
			}
			return nil, fmt.Errorf("env %s: unknown option %q; accepted options: %s", r.Name, k, strings.Join(names, ", "))
		}
	}
	return o, nil
}

// Err returns the first error met by a getter.
func (o *Options) Err() error { return o.err }

func (o *Options) raw(name string) string {
	opt, ok := o.known[name]
	if !ok {
		// A programming error in the env: it reads an option it did not declare.
		panic(fmt.Sprintf("env %s reads undeclared option %q", o.env, name))
	}
	if v, ok := o.values[name]; ok {
		return v
	}
	return opt.Default
}

func (o *Options) fail(name, value, want string) {
	if o.err == nil {
		o.err = fmt.Errorf("option %s=%q: want %s", name, value, want)
	}
}

// String returns the option as text.
func (o *Options) String(name string) string { return o.raw(name) }

// Int returns the option as an integer.
func (o *Options) Int(name string) int {
	v := o.raw(name)
	n, err := strconv.Atoi(v)
	if err != nil {
		o.fail(name, v, "an integer")
	}
	return n
}

// IntRange returns the option as an integer in [lo, hi].
func (o *Options) IntRange(name string, lo, hi int) int {
	n := o.Int(name)
	if o.err == nil && (n < lo || n > hi) {
		o.fail(name, o.raw(name), fmt.Sprintf("an integer in [%d, %d]", lo, hi))
	}
	return n
}

// Float returns the option as a finite float: NaN and infinities (which ParseFloat accepts) are
// refused, since no env option means anything with them.
func (o *Options) Float(name string) float64 {
	v := o.raw(name)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		o.fail(name, v, "a finite number")
	}
	return f
}

// Bool returns the option as a boolean (true/false/1/0).
func (o *Options) Bool(name string) bool {
	v := o.raw(name)
	b, err := strconv.ParseBool(v)
	if err != nil {
		o.fail(name, v, "true or false")
	}
	return b
}

// Choice returns the option, which must be one of choices.
func (o *Options) Choice(name string, choices ...string) string {
	v := o.raw(name)
	for _, c := range choices {
		if v == c {
			return v
		}
	}
	o.fail(name, v, "one of "+strings.Join(choices, ", "))
	return v
}
