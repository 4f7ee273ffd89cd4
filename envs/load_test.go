package envs

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadRecords(t *testing.T) {
	tests := []struct {
		name    string
		format  Format
		in      string
		want    []Record
		wantErr string
	}{
		{name: "jsonl", format: JSONL, in: "{\"a\": \"x\", \"n\": 3, \"l\": [1, 2]}\n\n  \n{\"a\": \"y\\nz\"}",
			want: []Record{{"f", 1, map[string]string{"a": "x", "n": "3", "l": "[1, 2]"}}, {"f", 4, map[string]string{"a": "y\nz"}}}},
		{name: "jsonl crlf", format: JSONL, in: "{\"a\": \"x\"}\r\n{\"a\": \"y\"}\r\n",
			want: []Record{{"f", 1, map[string]string{"a": "x"}}, {"f", 2, map[string]string{"a": "y"}}}},
		{name: "jsonl bad line", format: JSONL, in: "{\"a\": 1}\n{\"a\": \n", wantErr: "f:2: want a JSON object"},
		{name: "jsonl array line", format: JSONL, in: "[1, 2]\n", wantErr: "f:1: want a JSON object"},
		{name: "jsonl null line", format: JSONL, in: "null\n", wantErr: "f:1: want a JSON object"},
		{name: "jsonl empty", format: JSONL, in: "\n\n", wantErr: "f: no records"},
		{name: "csv", format: CSV, in: "\ufeffid,text\n1,\"multi\nline\"\n2,plain\n",
			want: []Record{{"f", 2, map[string]string{"id": "1", "text": "multi\nline"}}, {"f", 4, map[string]string{"id": "2", "text": "plain"}}}},
		{name: "csv short row", format: CSV, in: "a,b\n1,2\n3\n", wantErr: "record on line 3: wrong number of fields"},
		{name: "csv bad quote", format: CSV, in: "a,b\n\"1,2\n", wantErr: "f: parse error on line 2"},
		{name: "csv repeated header", format: CSV, in: "a,a\n1,2\n", wantErr: "f:1: header column 2 is empty or repeated"},
		{name: "csv empty", format: CSV, in: "", wantErr: "f: empty CSV file"},
		{name: "csv header only", format: CSV, in: "a,b\n", wantErr: "f: no records"},
		{name: "unknown format", format: "xml", in: "<a/>", wantErr: `unknown format "xml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadRecords(strings.NewReader(tc.in), tc.format, "f")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLoadRecordsAndTexts(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("{\"task_id\": \"HumanEval/0\", \"prompt\": \"def f():\"}\n"))
	zw.Close()
	gz := filepath.Join(dir, "problems.jsonl.gz")
	os.WriteFile(gz, buf.Bytes(), 0o644)
	recs, err := LoadRecords(gz)
	if err != nil || len(recs) != 1 || recs[0].Fields["task_id"] != "HumanEval/0" || recs[0].Source != gz {
		t.Fatalf("gzip jsonl: %+v, %v", recs, err)
	}
	csvPath := filepath.Join(dir, "p.CSV")
	os.WriteFile(csvPath, []byte("title,body\nt,hello\n"), 0o644)
	_, texts, err := LoadTexts(csvPath, "", "prompt", "body")
	if err != nil || !reflect.DeepEqual(texts, []string{"hello"}) {
		t.Errorf("LoadTexts candidates: %q, %v", texts, err)
	}
	if _, _, err := LoadTexts(csvPath, "", "prompt", "text"); err == nil || !strings.Contains(err.Error(), `no field "prompt or text" (fields: body, title)`) {
		t.Errorf("no candidate field: %v", err)
	}
	if _, err := LoadRecords(filepath.Join(dir, "p.txt")); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("txt: %v", err)
	}
	notGz := filepath.Join(dir, "x.jsonl.gz")
	os.WriteFile(notGz, []byte("{}"), 0o644)
	if _, err := LoadRecords(notGz); err == nil || !strings.Contains(err.Error(), notGz) {
		t.Errorf("bad gzip: %v", err)
	}
}

// FuzzReadRecords: the parsers never panic, and every record they return has a positive line
// number and no more fields than the input has bytes.
func FuzzReadRecords(f *testing.F) {
	f.Add("{\"a\": \"x\"}\n{\"b\": 2}\n", true)
	f.Add("a,b\n1,2\n\"x\ny\",3\n", false)
	f.Add("\ufeffa\n\"\n", false)
	f.Add("{\"a\": {\"b\": [1, null]}}\r\n\n", true)
	f.Fuzz(func(t *testing.T, in string, jsonl bool) {
		format := CSV
		if jsonl {
			format = JSONL
		}
		recs, err := ReadRecords(strings.NewReader(in), format, "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error does not name the source: %v", err)
			}
			return
		}
		for _, r := range recs {
			if r.Line < 1 || len(r.Fields) > len(in) {
				t.Fatalf("bad record %+v", r)
			}
		}
	})
}
