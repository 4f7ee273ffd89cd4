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
	"slices"
	"sort"
	"strings"
)

// command is one `collm NAME ...` subcommand.
type command struct {
	name    string
	summary string // one line for `collm help`
	// subcommands names the subcommands of a command that takes one first (`collm kernel install`):
	// `collm help NAME` and `collm NAME -h` print the flags of each.
	subcommands []string
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

func init() {
	register(&command{
		name:    "help",
		summary: "print this list, or with a COMMAND [SUBCOMMAND] that command's flags",
		run:     runHelp,
	})
}

// runHelp prints the list of commands, or the help of one command: its summary and the usage and
// flags its FlagSet prints for -h, written to stdout. A command with subcommands prints the flags
// of each, or of the one named after it.
func runHelp(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	c, ok := commands[args[0]]
	switch {
	case !ok:
		return usageErrorf("unknown command %q; run `collm help` for the list", args[0])
	case len(args) > 2 || (len(args) == 2 && len(c.subcommands) == 0):
		return usageErrorf("unexpected arguments %q: want `collm help COMMAND [SUBCOMMAND]`", args[1:])
	}
	subs := c.subcommands
	if len(args) == 2 {
		if !slices.Contains(subs, args[1]) {
			return usageErrorf("%s has no subcommand %q (it has %s)", c.name, args[1], strings.Join(subs, ", "))
		}
		subs = args[1:]
	}
	fmt.Fprintf(stdout, "collm %s: %s\n", c.name, c.summary)
	if len(subs) == 0 {
		fmt.Fprintln(stdout)
		return commandHelp(c, []string{"-h"}, stdout)
	}
	for _, sub := range subs {
		fmt.Fprintln(stdout)
		if err := commandHelp(c, []string{sub, "-h"}, stdout); err != nil {
			return err
		}
	}
	return nil
}

// commandHelp runs the command with args ending in -h so that its FlagSet prints the usage to w.
// A command without flags rejects -h with a usage error, whose message is the help there is.
func commandHelp(c *command, args []string, w io.Writer) error {
	err := c.run(args, w, w)
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return nil
	case errors.Is(err, errUsage):
		fmt.Fprintf(w, "collm %s: %s\n", strings.Join(append([]string{c.name}, args[:len(args)-1]...), " "),
			strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return nil
	default:
		return err
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
	fmt.Fprintln(w, "\nRun `collm help COMMAND` (or `collm COMMAND -h`) for the arguments of a command.")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "collm: unknown command %q; run `collm help` for the list\n", args[0])
		return 2
	}
	args = args[1:]
	if len(c.subcommands) > 0 && len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		// `collm kernel -h`: the help of every subcommand, as `collm help kernel`.
		c, args = commands["help"], []string{c.name}
	}
	err := c.run(args, stdout, stderr)
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
