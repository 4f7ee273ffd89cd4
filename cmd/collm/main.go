// Command collm trains collaborating LLM agents with multi-agent reinforcement learning from the
// command line: the same features as the notebook API, without a notebook.
//
// Each subcommand lives in its own file and registers itself in init(), so commands can be added
// without touching this file. Run `collm help` for the list.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one `collm NAME ...` subcommand.
type command struct {
	name    string
	summary string // one line for `collm help`
	// run executes the command with the arguments after its name. It returns errUsage (possibly
	// wrapped) when the arguments are wrong, and any other error when the work failed.
	run func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

// register adds a subcommand; called from init() in each cmd_*.go file.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("collm: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks errors caused by wrong command-line arguments (exit code 2).
var errUsage = errors.New("usage")

// usageErrorf returns an error that prints as the message and exits with code 2.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// newFlagSet returns a FlagSet that reports errors instead of exiting, writing help to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("collm "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args with fs and allows flags after positional arguments
// (`collm notebook run in.ipynb --out x`), returning the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErrorf("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "collm: multi-agent actor-critic training of collaborating LLM agents.")
	fmt.Fprintln(w, "\nUsage: collm COMMAND [arguments]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun `collm COMMAND -h` for the arguments of a command.")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "collm: unknown command %q; run `collm help` for the list\n", args[0])
		return 2
	}
	err := c.run(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "collm %s: %s\n", c.name, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return 2
	default:
		fmt.Fprintf(stderr, "collm %s: %v\n", c.name, err)
		return 1
	}
}
