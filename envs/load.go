package envs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Record is one row of a data file (a prompt, a problem) with its fields as text.
type Record struct {
	Source string            // the file name, for error messages
	Line   int               // 1-based line where the record starts
	Fields map[string]string // JSON strings as is, other JSON values as their JSON text
}

// Get returns the field, or an error naming the file, the line, the field and the fields present.
func (r Record) Get(field string) (string, error) {
	v, ok := r.Fields[field]
	if !ok {
		names := make([]string, 0, len(r.Fields))
		for k := range r.Fields {
			names = append(names, k)
		}
		sort.Strings(names)
		return "", fmt.Errorf("%s:%d: no field %q (fields: %s)", r.Source, r.Line, field, strings.Join(names, ", "))
	}
	return v, nil
}

// Format is a data file format.
type Format string

const (
	JSONL Format = "jsonl" // one JSON object per line; blank lines are skipped
	CSV   Format = "csv"   // RFC 4180 with a header row naming the fields
)

// FormatOf returns the format of a path from its extension (.jsonl, .ndjson, .json for JSON
// lines; .csv), ignoring a trailing .gz.
func FormatOf(path string) (Format, error) {
	p := strings.ToLower(strings.TrimSuffix(path, ".gz"))
	switch {
	case strings.HasSuffix(p, ".jsonl"), strings.HasSuffix(p, ".ndjson"), strings.HasSuffix(p, ".json"):
		return JSONL, nil
	case strings.HasSuffix(p, ".csv"):
		return CSV, nil
	}
	return "", fmt.Errorf("data file %s: unknown format; want a .jsonl or .csv file (optionally .gz)", path)
}

// LoadRecords reads a JSONL or CSV file, gzip-compressed when the name ends in .gz.
func LoadRecords(path string) ([]Record, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("data file %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	return ReadRecords(r, format, path)
}

// ReadRecords parses records in the given format; name is used in error messages. An empty
// input is an error, as is a JSONL line that is not a JSON object.
func ReadRecords(r io.Reader, format Format, name string) ([]Record, error) {
	var (
		recs []Record
		err  error
	)
	switch format {
	case JSONL:
		recs, err = readJSONL(r, name)
	case CSV:
		recs, err = readCSV(r, name)
	default:
		return nil, fmt.Errorf("%s: unknown format %q; want jsonl or csv", name, format)
	}
	if err == nil && len(recs) == 0 {
		err = fmt.Errorf("%s: no records", name)
	}
	return recs, err
}

func readJSONL(r io.Reader, name string) ([]Record, error) {
	br := bufio.NewReader(r)
	var recs []Record
	for line := 1; ; line++ {
		text, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if trimmed := bytes.TrimSpace(text); len(trimmed) > 0 {
			var obj map[string]json.RawMessage
			if uerr := json.Unmarshal(trimmed, &obj); uerr != nil || obj == nil {
				if uerr == nil {
					uerr = errors.New("null")
				}
				return nil, fmt.Errorf("%s:%d: want a JSON object: %v", name, line, uerr)
			}
			rec := Record{Source: name, Line: line, Fields: make(map[string]string, len(obj))}
			for k, v := range obj {
				var s string
				if json.Unmarshal(v, &s) == nil {
					rec.Fields[k] = s
				} else {
					rec.Fields[k] = string(v)
				}
			}
			recs = append(recs, rec)
		}
		if err != nil { // io.EOF
			return recs, nil
		}
	}
}

func readCSV(r io.Reader, name string) ([]Record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0 // every row must have as many fields as the header
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty CSV file; want a header row", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	seen := map[string]bool{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a byte order mark written by spreadsheets
			header[0] = h
		}
		if h == "" || seen[h] {
			return nil, fmt.Errorf("%s:1: header column %d is empty or repeated (%q)", name, i+1, h)
		}
		seen[h] = true
	}
	var recs []Record
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			// csv.ParseError already names the line.
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		rec := Record{Source: name, Line: line, Fields: make(map[string]string, len(row))}
		for i, v := range row {
			rec.Fields[header[i]] = v
		}
		recs = append(recs, rec)
	}
}

// LoadTexts reads the field of every record of a JSONL or CSV file. When field is "" the first of
// candidates that the first record holds is used. A missing field or an empty text is an error
// naming the line.
func LoadTexts(path, field string, candidates ...string) ([]Record, []string, error) {
	recs, err := LoadRecords(path)
	if err != nil {
		return nil, nil, err
	}
	if field == "" {
		for _, c := range candidates {
			if _, ok := recs[0].Fields[c]; ok {
				field = c
				break
			}
		}
		if field == "" {
			_, err := recs[0].Get(strings.Join(candidates, " or "))
			return nil, nil, fmt.Errorf("%w; name the text field with the field option", err)
		}
	}
	texts := make([]string, len(recs))
	for i, rec := range recs {
		v, err := rec.Get(field)
		if err != nil {
			return nil, nil, err
		}
		if strings.TrimSpace(v) == "" {
			return nil, nil, fmt.Errorf("%s:%d: field %q is empty", rec.Source, rec.Line, field)
		}
		texts[i] = v
	}
	return recs, texts, nil
}
