package coding

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Problem is one coding task.
type Problem struct {
	ID         string // the dataset's own id, e.g. "HumanEval/0" or "MBPP/11"
	Prompt     string // the problem statement shown to the agents (HumanEval: signature + docstring)
	EntryPoint string // the function agent 2 must write
	// Canonical is a complete reference program (HumanEval: prompt + canonical_solution;
	// MBPP: code), used by the self-test.
	Canonical string
	// Test is HumanEval-style test code with `def check(candidate)`; each top-level statement
	// of check that asserts on candidate is one test.
	Test string
	// Asserts and TestSetup are the MBPP form: one test per assert statement, TestSetup runs first.
	Asserts   []string
	TestSetup string
}

// HumanEvalURL is where HumanEval.jsonl.gz can be downloaded.
const HumanEvalURL = "https://github.com/openai/human-eval/raw/master/data/HumanEval.jsonl.gz"

// MBPPURL is where the MBPP JSONL can be downloaded.
const MBPPURL = "https://github.com/google-research/google-research/raw/master/mbpp/mbpp.jsonl"

// openMaybeGzip returns a reader of path, decompressing when the file starts with the gzip magic.
func openMaybeGzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return struct {
			io.Reader
			io.Closer
		}{gz, f}, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{br, f}, nil
}

// eachJSONLine calls fn with every non-blank line of a JSONL(.gz) file and its 1-based number.
func eachJSONLine(path string, fn func(line int, data []byte) error) error {
	rc, err := openMaybeGzip(path)
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		data := bytes.TrimSpace(sc.Bytes())
		if len(data) == 0 {
			continue
		}
		if err := fn(n, data); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: after line %d: %w", path, n, err)
	}
	return nil
}

// LoadHumanEval reads HumanEval problems (fields task_id, prompt, entry_point,
// canonical_solution, test) from a JSONL file, gzipped or not.
func LoadHumanEval(path string) ([]Problem, error) {
	var out []Problem
	seen := map[string]int{}
	err := eachJSONLine(path, func(line int, data []byte) error {
		var r struct {
			TaskID            string `json:"task_id"`
			Prompt            string `json:"prompt"`
			EntryPoint        string `json:"entry_point"`
			CanonicalSolution string `json:"canonical_solution"`
			Test              string `json:"test"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("not a JSON object: %w", err)
		}
		for _, f := range []struct{ name, v string }{{"task_id", r.TaskID}, {"prompt", r.Prompt}, {"entry_point", r.EntryPoint}, {"test", r.Test}} {
			if strings.TrimSpace(f.v) == "" {
				return fmt.Errorf("field %s is missing or empty", f.name)
			}
		}
		if !identRE.MatchString(r.EntryPoint) {
			return fmt.Errorf("field entry_point %q is not a Python identifier", r.EntryPoint)
		}
		if !strings.Contains(r.Test, "def check(") {
			return fmt.Errorf("field test of %s has no check(candidate) function", r.TaskID)
		}
		if prev, dup := seen[r.TaskID]; dup {
			return fmt.Errorf("task_id %q repeats line %d", r.TaskID, prev)
		}
		seen[r.TaskID] = line
		out = append(out, Problem{
			ID: r.TaskID, Prompt: r.Prompt, EntryPoint: r.EntryPoint,
			Canonical: r.Prompt + r.CanonicalSolution, Test: r.Test,
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading HumanEval: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("loading HumanEval: %s holds no problems", path)
	}
	return out, nil
}

var (
	identRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	defNameR = regexp.MustCompile(`(?m)^def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
)

// LoadMBPP reads MBPP problems (fields task_id, text, code, test_list, optional
// test_setup_code) from a JSONL file, gzipped or not. The entry point is the function of code
// that the first test calls; the prompt is the text plus the first test, which shows the
// signature. Ids are "MBPP/<task_id>".
func LoadMBPP(path string) ([]Problem, error) {
	var out []Problem
	seen := map[string]int{}
	err := eachJSONLine(path, func(line int, data []byte) error {
		var r struct {
			TaskID        json.Number `json:"task_id"`
			Text          string      `json:"text"`
			Code          string      `json:"code"`
			TestList      []string    `json:"test_list"`
			TestSetupCode string      `json:"test_setup_code"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("not a JSON object: %w", err)
		}
		switch {
		case r.TaskID == "":
			return fmt.Errorf("field task_id is missing")
		case strings.TrimSpace(r.Text) == "":
			return fmt.Errorf("field text is missing or empty")
		case strings.TrimSpace(r.Code) == "":
			return fmt.Errorf("field code is missing or empty")
		case len(r.TestList) == 0:
			return fmt.Errorf("field test_list is missing or empty")
		}
		entry := ""
		for _, m := range defNameR.FindAllStringSubmatch(strings.ReplaceAll(r.Code, "\r\n", "\n"), -1) {
			if regexp.MustCompile(`\b` + m[1] + `\s*\(`).MatchString(r.TestList[0]) {
				entry = m[1]
				break
			}
		}
		if entry == "" {
			return fmt.Errorf("no function defined in field code is called by test_list[0] %q", r.TestList[0])
		}
		id := "MBPP/" + r.TaskID.String()
		if prev, dup := seen[id]; dup {
			return fmt.Errorf("task_id %s repeats line %d", r.TaskID, prev)
		}
		seen[id] = line
		out = append(out, Problem{
			ID: id, Prompt: strings.TrimSpace(r.Text) + "\nExample test:\n" + r.TestList[0] + "\n", EntryPoint: entry,
			Canonical: strings.ReplaceAll(r.Code, "\r\n", "\n"), Asserts: r.TestList, TestSetup: r.TestSetupCode,
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading MBPP: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("loading MBPP: %s holds no problems", path)
	}
	return out, nil
}
