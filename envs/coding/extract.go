package coding

import "strings"

// ExtractCode returns the Python code of a model response, without markdown.
//
// Rules (agents are told not to use markdown, but models do):
//   - "\r\n" and "\r" become "\n".
//   - A fence is a line whose first non-blank characters are ``` or ~~~ (any info string such
//     as "python" after it is ignored). When the response has fences, the result is the
//     content of every fenced block, in order, joined by blank lines; an opening fence that is
//     never closed takes everything after it. Text outside fences (explanations) is dropped.
//   - A response without fences is returned as is (apart from line endings); the judge's
//     tolerant function extraction copes with prose around the code.
//
// Trailing blank lines are removed in every case.
func ExtractCode(response string) string {
	s := strings.ReplaceAll(response, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	var blocks []string
	var cur []string
	inside, sawFence := false, false
	var fence string
	for _, line := range lines {
		trimmed := strings.TrimLeft(line, " \t")
		marker := ""
		switch {
		case strings.HasPrefix(trimmed, "```"):
			marker = "```"
		case strings.HasPrefix(trimmed, "~~~"):
			marker = "~~~"
		}
		if marker != "" && (!inside || marker == fence) {
			sawFence = true
			if inside {
				blocks = append(blocks, strings.Join(cur, "\n"))
				cur, inside = nil, false
			} else {
				inside, fence = true, marker
			}
			continue
		}
		if inside {
			cur = append(cur, line)
		}
	}
	if inside {
		blocks = append(blocks, strings.Join(cur, "\n"))
	}
	if sawFence {
		kept := blocks[:0]
		for _, b := range blocks {
			if strings.TrimSpace(b) != "" {
				kept = append(kept, strings.TrimRight(b, " \t\n"))
			}
		}
		s = strings.Join(kept, "\n\n")
	}
	return strings.TrimRight(s, " \t\n")
}
