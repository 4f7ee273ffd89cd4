package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"unicode/utf8"
)

// MaxHeaderSize is the largest header Parse accepts (100 MiB, the reference reader's limit): a
// corrupt length field must not make us allocate or scan gigabytes.
const MaxHeaderSize = 100 << 20

const metadataKey = "__metadata__"

// File is the content of one safetensors file.
type File struct {
	Tensors  map[string]*Tensor
	Metadata map[string]string // nil when the file has no "__metadata__"
}

// headerEntry is one tensor's header entry. Pointers tell a missing field from a zero one.
type headerEntry struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// Parse decodes a whole safetensors file held in data and validates it completely (see the
// package documentation). The returned tensors' Data slices point into data.
func Parse(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes after the length field", n, len(data)-8)
	}
	header := data[8 : 8+n]
	body := data[8+n:]
	if len(header) == 0 || header[0] != '{' {
		return nil, fmt.Errorf("header does not start with '{'")
	}
	if !utf8.Valid(header) {
		// encoding/json would silently turn the bad bytes of a name into U+FFFD.
		return nil, fmt.Errorf("header is not valid UTF-8")
	}
	entries, metadata, err := decodeHeader(header)
	if err != nil {
		return nil, err
	}

	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(entries))
	f := &File{Tensors: make(map[string]*Tensor, len(entries)), Metadata: metadata}
	for _, name := range sortedKeys(entries) {
		e := entries[name]
		if e.DType == nil || e.Shape == nil || e.DataOffsets == nil {
			return nil, fmt.Errorf("tensor %q: header entry needs dtype, shape and data_offsets", name)
		}
		dt := DType(*e.DType)
		if !dt.Valid() {
			return nil, fmt.Errorf("tensor %q: unknown dtype %q", name, *e.DType)
		}
		shape := make([]int, len(*e.Shape))
		for i, d := range *e.Shape {
			if d < 0 || d > math.MaxInt32*math.MaxInt32 {
				return nil, fmt.Errorf("tensor %q: invalid dimension %d in shape %v", name, d, *e.Shape)
			}
			shape[i] = int(d)
		}
		numel := numElements(shape)
		if numel < 0 || numel > math.MaxInt64/dt.Size() {
			return nil, fmt.Errorf("tensor %q: shape %v is too large", name, shape)
		}
		offs := *e.DataOffsets
		if len(offs) != 2 {
			return nil, fmt.Errorf("tensor %q: data_offsets must be [begin, end], got %d values", name, len(offs))
		}
		begin, end := offs[0], offs[1]
		if begin < 0 || end < begin {
			return nil, fmt.Errorf("tensor %q: invalid data_offsets [%d, %d]", name, begin, end)
		}
		if end > int64(len(body)) {
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the %d-byte data section", name, begin, end, len(body))
		}
		if want := int64(numel) * int64(dt.Size()); end-begin != want {
			return nil, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, data_offsets [%d, %d] span %d",
				name, shape, dt, want, begin, end, end-begin)
		}
		spans = append(spans, span{name, begin, end})
		f.Tensors[name] = &Tensor{Name: name, DType: dt, Shape: shape, Data: body[begin:end:end]}
	}

	// The tensors must tile the data section: no gaps (hidden bytes), no overlaps, nothing after.
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var pos int64
	for _, s := range spans {
		if s.begin != pos {
			if s.begin < pos {
				return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap the previous tensor (which ends at %d)", s.name, s.begin, s.end, pos)
			}
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap after offset %d", s.name, s.begin, s.end, pos)
		}
		pos = s.end
	}
	if pos != int64(len(body)) {
		return nil, fmt.Errorf("data section is %d bytes but the tensors cover %d", len(body), pos)
	}
	return f, nil
}

// decodeHeader decodes the header object key by key, so that duplicate names (which
// encoding/json would silently collapse) are an error.
func decodeHeader(header []byte) (map[string]headerEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("header is not a JSON object: %v", err)
	}
	entries := map[string]headerEntry{}
	var metadata map[string]string
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("header JSON: expected a key, got %v", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("header JSON: value of %q: %w", name, err)
		}
		if name == metadataKey {
			if seenMeta {
				return nil, nil, fmt.Errorf("header has %q twice", metadataKey)
			}
			seenMeta = true
			if err := decodeStrict(raw, &metadata); err != nil {
				return nil, nil, fmt.Errorf("%s must be an object of string values: %w", metadataKey, err)
			}
			continue
		}
		if _, dup := entries[name]; dup {
			return nil, nil, fmt.Errorf("tensor %q appears twice in the header", name)
		}
		var e headerEntry
		if err := decodeStrict(raw, &e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: header entry: %w", name, err)
		}
		entries[name] = e
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	// Only padding may follow the object.
	if len(bytes.TrimLeft(header[dec.InputOffset():], " \t\r\n")) != 0 {
		return nil, nil, fmt.Errorf("header has trailing data after the JSON object")
	}
	return entries, metadata, nil
}

// decodeStrict unmarshals raw into v, rejecting JSON null for the top-level value of a tensor
// entry (encoding/json would accept it as an empty value).
func decodeStrict(raw json.RawMessage, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if _, isMeta := v.(*map[string]string); isMeta {
			return nil // "__metadata__": null is what the reference writer emits for "no metadata"
		}
		return errors.New("is null")
	}
	return json.Unmarshal(raw, v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ReadFile reads and parses the safetensors file at path. Errors name the file, and the tensor
// when one is at fault.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}

// Marshal encodes tensors and metadata as a safetensors file: header keys sorted by name with
// "__metadata__" first, data in the same order, header padded with spaces to a multiple of 8.
// It returns an error for an invalid tensor (unknown dtype, Data not matching the shape, empty or
// reserved name) or a name used twice.
func Marshal(tensors []*Tensor, metadata map[string]string) ([]byte, error) {
	header, sorted, err := encodeHeader(tensors, metadata)
	if err != nil {
		return nil, err
	}
	size := len(header)
	for _, t := range sorted {
		size += len(t.Data)
	}
	out := make([]byte, 0, size)
	out = append(out, header...)
	for _, t := range sorted {
		out = append(out, t.Data...)
	}
	return out, nil
}

// encodeHeader validates the tensors and returns the length field and header, and the tensors
// in the order their data must follow.
func encodeHeader(tensors []*Tensor, metadata map[string]string) ([]byte, []*Tensor, error) {
	sorted := make([]*Tensor, len(tensors))
	copy(sorted, tensors)
	for _, t := range sorted {
		if err := t.validate(); err != nil {
			return nil, nil, err
		}
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fmt.Errorf("metadata entry %q: keys and values must be valid UTF-8", k)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Name == sorted[i-1].Name {
			return nil, nil, fmt.Errorf("tensor %q given twice", sorted[i].Name)
		}
	}

	var h bytes.Buffer
	h.Write(make([]byte, 8)) // the length field, filled in below
	h.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			h.WriteByte(',')
		}
		first = false
	}
	if len(metadata) > 0 {
		sep()
		h.WriteString(strconv.Quote(metadataKey))
		h.WriteString(":{")
		for i, k := range sortedKeys(metadata) {
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	var offset int64
	for _, t := range sorted {
		sep()
		writeJSONString(&h, t.Name)
		h.WriteString(`:{"dtype":"`)
		h.WriteString(string(t.DType))
		h.WriteString(`","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		end := offset + int64(len(t.Data))
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	h.WriteByte('}')
	for (h.Len()-8)%8 != 0 {
		h.WriteByte(' ')
	}
	out := h.Bytes()
	binary.LittleEndian.PutUint64(out, uint64(len(out)-8))
	return out, sorted, nil
}

// writeJSONString writes s as a JSON string without HTML escaping (names like "a<b" stay
// readable, as in the reference writer).
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

// WriteFile writes tensors and metadata to path atomically: the bytes go to a temporary file in
// the same directory, which is synced and then renamed over path. Tensor data is written
// directly from the tensors, without assembling the file in memory.
func WriteFile(path string, tensors []*Tensor, metadata map[string]string) error {
	header, sorted, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	err = writeAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(header); err != nil {
			return err
		}
		for _, t := range sorted {
			if _, err := w.Write(t.Data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// writeAtomic writes data to a temporary file next to path, fsyncs it, renames it over path, and
// fsyncs the directory so that the rename itself survives a crash.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // best effort: not every filesystem supports syncing a directory
		d.Close()
	}
	return nil
}
