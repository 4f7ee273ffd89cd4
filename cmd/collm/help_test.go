package main

import (
	"io"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // in stdout
		not  []string // absent from stdout
	}{
		{[]string{"help"}, []string{"Commands:\n", "  report     write one", "  help       ", "Run `collm help COMMAND`"}, nil},
		{[]string{"--help"}, []string{"Commands:\n"}, nil},
		{[]string{"help", "help"}, []string{"Commands:\n"}, nil},
		{[]string{"help", "report"}, []string{"collm report: write one self-contained HTML report", "Usage of collm report:\n", "  -out string\n", `(default "report.html")`}, []string{"Commands:"}},
		{[]string{"help", "envs"}, []string{"Usage of collm envs:\n", "  -json\n"}, nil},
		{[]string{"help", "train"}, []string{"Usage of collm train:\n", "  -updates int\n", "  -resume\n"}, nil},
		// Commands with subcommands print the flags of each, or of the one named.
		{[]string{"help", "kernel"}, []string{"collm kernel: set up", "Usage of collm kernel install:\n", "  -check\n", "Usage of collm kernel wire:\n"}, nil},
		{[]string{"help", "kernel", "wire"}, []string{"Usage of collm kernel wire:\n", "  -root string\n"}, []string{"install:", "  -check"}},
		{[]string{"kernel", "-h"}, []string{"Usage of collm kernel install:\n", "Usage of collm kernel wire:\n"}, nil},
		{[]string{"help", "notebook"}, []string{"Usage of collm notebook run:\n", "  -timeout int\n"}, nil},
		{[]string{"help", "coding"}, []string{"Usage of collm coding selftest:\n", "  -data string\n"}, nil},
		{[]string{"help", "env"}, []string{"Usage of collm env score:\n", "  -responses string\n", "Usage of collm env prompts:\n", "  -task string\n"}, nil},
		{[]string{"help", "env", "prompts"}, []string{"Usage of collm env prompts:\n"}, []string{"-responses"}},
	} {
		code, out, errOut := runEnvsCmd(tc.args...)
		if code != 0 || errOut != "" {
			t.Errorf("collm %s: exit %d, stderr %q; want exit 0 and the help on stdout", strings.Join(tc.args, " "), code, errOut)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("collm %s: stdout lacks %q:\n%s", strings.Join(tc.args, " "), want, out)
			}
		}
		for _, not := range tc.not {
			if strings.Contains(out, not) {
				t.Errorf("collm %s: stdout has %q:\n%s", strings.Join(tc.args, " "), not, out)
			}
		}
	}
}

// TestHelpEveryCommand: `collm help NAME` prints something beyond the summary for every command,
// on stdout, and does not run the command.
func TestHelpEveryCommand(t *testing.T) {
	for name, c := range commands {
		if name == "help" {
			continue
		}
		code, out, errOut := runEnvsCmd("help", name)
		header := "collm " + name + ": " + c.summary + "\n"
		if code != 0 || errOut != "" || !strings.HasPrefix(out, header) || len(out) <= len(header)+1 {
			t.Errorf("collm help %s: exit %d, stderr %q, stdout:\n%s", name, code, errOut, out)
		}
	}
}

// TestHelpWithoutFlags: a command without a FlagSet rejects -h with a usage error; its help is
// that message, on stdout, and the command does no work.
func TestHelpWithoutFlags(t *testing.T) {
	ran := false
	register(&command{name: "noflags", summary: "a command without flags", run: func(args []string, stdout, stderr io.Writer) error {
		if len(args) > 0 {
			return usageErrorf("takes no arguments")
		}
		ran = true
		return nil
	}})
	defer delete(commands, "noflags")
	code, out, errOut := runEnvsCmd("help", "noflags")
	if want := "collm noflags: a command without flags\n\ncollm noflags: takes no arguments\n"; code != 0 || out != want || errOut != "" || ran {
		t.Errorf("collm help noflags: exit %d, stdout %q, stderr %q, ran %v; want exit 0 and stdout %q", code, out, errOut, ran, want)
	}
}

func TestHelpErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "nosuch"}, `collm help: unknown command "nosuch"; run ` + "`collm help`"},
		{[]string{"help", "kernel", "nosuch"}, `collm help: kernel has no subcommand "nosuch" (it has install, wire)`},
		{[]string{"help", "report", "extra"}, `unexpected arguments ["extra"]`},
		{[]string{"help", "kernel", "wire", "extra"}, `unexpected arguments ["wire" "extra"]`},
		{[]string{"nosuch"}, `collm: unknown command "nosuch"`},
	} {
		code, out, errOut := runEnvsCmd(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("collm %s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}
