package coding

import (
	"fmt"
	"strings"
)

// HumanEvalPrompter writes the prompts of the humaneval and mbpp envs.
type HumanEvalPrompter struct{}

// Initial implements Prompter.
func (HumanEvalPrompter) Initial(p *Problem, agent, agents int) string {
	var b strings.Builder
	b.WriteString("Problem:\n")
	b.WriteString(strings.TrimRight(p.Prompt, "\n "))
	b.WriteString("\n\n")
	switch {
	case agents == 2 && agent == 0:
		fmt.Fprintf(&b, "You are the helper agent. Write one helper function `def aux(...)` that a teammate will call to implement `%s`. "+
			"Output only the Python code of aux: no markdown, no explanations, no tests.", p.EntryPoint)
	case agents == 2:
		fmt.Fprintf(&b, "You are the main agent. Write the function `%s` with the signature above. A teammate writes a helper `aux(...)` "+
			"that you may call; do not define aux yourself. Output only the Python code of %s: no markdown, no explanations, no tests.", p.EntryPoint, p.EntryPoint)
	default:
		fmt.Fprintf(&b, "Write the function `%s` with the signature above. Output only its Python code: no markdown, no explanations, no tests.", p.EntryPoint)
	}
	return b.String()
}

// Next implements Prompter.
func (h HumanEvalPrompter) Next(p *Problem, agent, agents int, previous, feedback string) string {
	var b strings.Builder
	b.WriteString(h.Initial(p, agent, agents))
	b.WriteString("\n\nYour previous response:\n")
	b.WriteString(strings.TrimRight(previous, "\n "))
	if feedback != "" {
		b.WriteString("\n\nFeedback:\n")
		b.WriteString(feedback)
	}
	b.WriteString("\n\nRevise your response. Output only code.")
	return b.String()
}

// Feedback implements Prompter.
func (HumanEvalPrompter) Feedback(p *Problem, j *Judgment, mode string, agents int) string {
	if mode == FeedbackPassed {
		if j.Total > 0 && j.Passed() == j.Total {
			return "All tests passed."
		}
		return "Not all tests passed."
	}
	var lines []string
	if agents == 2 {
		lines = append(lines, "aux: "+defStatus(j.AuxDefined, j.AuxReturns, j.AuxParseError))
	}
	lines = append(lines, p.EntryPoint+": "+defStatus(j.MainDefined, j.MainReturns, j.MainParseError))
	if agents == 2 && j.AuxShadowed {
		lines = append(lines, p.EntryPoint+" defines its own aux instead of calling the teammate's")
	}
	switch {
	case !(j.MainDefined && j.MainReturns):
	case j.SyntaxOK:
		lines = append(lines, "combined code: parses")
	default:
		lines = append(lines, "combined code: syntax error, "+j.SyntaxError)
	}
	lines = append(lines, "first test: "+firstTestStatus(j))
	return strings.Join(lines, "\n")
}

func defStatus(defined, returns bool, parseErr string) string {
	s := "not defined"
	switch {
	case defined && returns:
		s = "defined, returns a value"
	case defined:
		s = "defined but never returns a value"
	}
	if parseErr != "" {
		s += "; does not parse (" + parseErr + ")"
	}
	return s
}

func firstTestStatus(j *Judgment) string {
	src := firstLine(j.FirstTest)
	if len(j.Tests) == 0 || j.Tests[0].Index != 0 {
		return src + " -> not run"
	}
	t := j.Tests[0]
	switch {
	case t.Passed:
		return src + " -> passed"
	case t.Timeout:
		return src + " -> timed out"
	default:
		return src + " -> failed (" + firstLine(t.Error) + ")"
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
