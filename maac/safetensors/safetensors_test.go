package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// raw builds a file from a header string and a data section, with a correct length field.
func raw(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

// TestGolden checks Marshal against a file written out byte by byte from the format's definition.
func TestGolden(t *testing.T) {
	header := `{"__metadata__":{"format":"pt"},` +
		`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"b":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]}}` +
		`    ` // 140 bytes padded to 144
	want := []byte{144, 0, 0, 0, 0, 0, 0, 0}
	want = append(want, header...)
	want = append(want,
		0x00, 0x00, 0x80, 0x3f, // a[0] = 1.0f
		0x00, 0x00, 0x00, 0xc0, // a[1] = -2.0f
		0x80, 0x3f, // b[0] = bf16 1.0
	)
	got, err := Marshal([]*Tensor{
		FromBF16("b", []int{1}, []float32{1}),
		FromFloat32("a", []int{2}, []float32{1, -2}),
	}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Marshal:\n got %q\nwant %q", got, want)
	}
	f, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.Tensors["a"].Float32s()
	b, _ := f.Tensors["b"].Float32s()
	if !reflect.DeepEqual(a, []float32{1, -2}) || !reflect.DeepEqual(b, []float32{1}) || f.Metadata["format"] != "pt" {
		t.Fatalf("Parse: a=%v b=%v metadata=%v", a, b, f.Metadata)
	}
}

func TestRoundTrip(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1.5, 3.14159, 1e-40, -1e38, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	i64 := &Tensor{Name: "steps", DType: I64, Shape: []int{2}, Data: binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 7), math.MaxUint64)}
	tensors := []*Tensor{
		FromFloat32("layer.0.w", []int{2, 5}, special),
		FromBF16("layer.0.w_bf16", []int{5, 2}, special),
		FromFloat32("scalar", nil, []float32{42}),
		FromFloat32("empty", []int{0, 3}, nil),
		FromBF16("empty_bf16", []int{3, 0}, []float32{}),
		i64,
		{Name: "mask", DType: Bool, Shape: []int{3}, Data: []byte{1, 0, 1}},
	}
	meta := map[string]string{"format": "pt", "note": "quotes \" and <tags> and ünïcode"}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteFile(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Metadata, meta) {
		t.Errorf("metadata %v, want %v", f.Metadata, meta)
	}
	if len(f.Tensors) != len(tensors) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(tensors))
	}
	for _, want := range tensors {
		got := f.Tensors[want.Name]
		if got == nil {
			t.Fatalf("tensor %q missing", want.Name)
		}
		if got.DType != want.DType || len(got.Shape) != len(want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("%q: got %s %v %x, want %s %v %x", want.Name, got.DType, got.Shape, got.Data, want.DType, want.Shape, want.Data)
		}
		for i := range want.Shape {
			if got.Shape[i] != want.Shape[i] {
				t.Errorf("%q: shape %v, want %v", want.Name, got.Shape, want.Shape)
			}
		}
	}
	// F32 values come back bit-exact, NaN included.
	vals, err := f.Tensors["layer.0.w"].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if math.Float32bits(v) != math.Float32bits(special[i]) {
			t.Errorf("F32 value %d: %x, want %x", i, math.Float32bits(v), math.Float32bits(special[i]))
		}
	}
	// BF16 values are the rounded ones.
	vals, _ = f.Tensors["layer.0.w_bf16"].Float32s()
	for i, v := range vals {
		if want := BF16ToFloat32(Float32ToBF16(special[i])); math.Float32bits(v) != math.Float32bits(want) {
			t.Errorf("BF16 value %d: %v, want %v", i, v, want)
		}
	}
	if _, err := i64.Float32s(); err == nil || !strings.Contains(err.Error(), "cannot be converted") {
		t.Errorf("Float32s of I64: err = %v, want a conversion error", err)
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file", len(entries))
	}
}

func TestFloat32ToBF16(t *testing.T) {
	for _, c := range []struct {
		in   uint32 // float32 bits
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1.0
		{0xc0000000, 0xc000}, // -2.0
		{0x00000000, 0x0000}, // +0
		{0x80000000, 0x8000}, // -0
		{0x7f800000, 0x7f80}, // +Inf
		{0xff800000, 0xff80}, // -Inf
		{0x7fc00000, 0x7fc0}, // quiet NaN
		{0xffc00000, 0xffc0}, // negative quiet NaN
		{0x7f800001, 0x7fc0}, // signalling NaN whose payload would round to Inf: stays NaN
		{0x7fff0000, 0x7fff}, // NaN with payload in the kept bits
		{0x3f808000, 0x3f80}, // exact tie, even below: round down
		{0x3f818000, 0x3f82}, // exact tie, odd below: round up to even
		{0x3f808001, 0x3f81}, // just above the tie
		{0x3f807fff, 0x3f80}, // just below the tie
		{0x7f7fffff, 0x7f80}, // max float32 rounds to +Inf
		{0x7f7f7fff, 0x7f7f}, // just below the overflow tie
		{0x00000001, 0x0000}, // smallest subnormal rounds to 0
		{0x00008000, 0x0000}, // subnormal tie, even: down
		{0x00018000, 0x0002}, // subnormal tie, odd: up
		{0x3eaaaaab, 0x3eab}, // 1/3
	} {
		if got := Float32ToBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("Float32ToBF16(%08x) = %04x, want %04x", c.in, got, c.want)
		}
	}
	// Every bf16 value survives widening and narrowing (NaNs come back as NaNs).
	for h := 0; h < 1<<16; h++ {
		f := BF16ToFloat32(uint16(h))
		got := Float32ToBF16(f)
		if f != f {
			if got&0x7f80 != 0x7f80 || got&0x7f == 0 && got&0x40 == 0 {
				t.Fatalf("NaN %04x became %04x", h, got)
			}
			continue
		}
		if got != uint16(h) {
			t.Fatalf("bf16 %04x -> %v -> %04x", h, f, got)
		}
	}
}

func TestF16ToFloat32(t *testing.T) {
	for _, c := range []struct {
		in   uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 1.0 / (1 << 24)}, {0x03ff, 1023.0 / (1 << 24)},
		{0x0400, 1.0 / (1 << 14)}, {0x3555, 0.333251953125}, {0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	} {
		if got := F16ToFloat32(c.in); got != c.want {
			t.Errorf("F16ToFloat32(%04x) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := F16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("F16ToFloat32(0x8000) = %v, want -0", got)
	}
	if got := F16ToFloat32(0x7e00); got == got {
		t.Errorf("F16ToFloat32(0x7e00) = %v, want NaN", got)
	}
	// Through a tensor, F16 and F64 convert too.
	f16 := &Tensor{Name: "h", DType: F16, Shape: []int{2}, Data: []byte{0x00, 0x3c, 0x00, 0xc0}}
	f64 := &Tensor{Name: "d", DType: F64, Shape: []int{1}, Data: binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.5))}
	if v, err := f16.Float32s(); err != nil || !reflect.DeepEqual(v, []float32{1, -2}) {
		t.Errorf("F16 Float32s = %v, %v", v, err)
	}
	if v, err := f64.Float32s(); err != nil || !reflect.DeepEqual(v, []float32{0.5}) {
		t.Errorf("F64 Float32s = %v, %v", v, err)
	}
}

// TestParseHostile feeds malformed files: each must fail with an error naming the cause.
func TestParseHostile(t *testing.T) {
	f32 := func(name string, begin, end int) string {
		return `"` + name + `":{"dtype":"F32","shape":[` + itoa((end-begin)/4) + `],"data_offsets":[` + itoa(begin) + `,` + itoa(end) + `]}`
	}
	huge := binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1)
	huge = append(huge, make([]byte, 16)...)
	lying := binary.LittleEndian.AppendUint64(nil, 1000)
	lying = append(lying, `{}`...)
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "shorter than"},
		{"7 bytes", []byte{1, 2, 3, 4, 5, 6, 7}, "shorter than"},
		{"header over the limit", huge, "exceeds the"},
		{"header longer than file", lying, "exceeds the"},
		{"max uint64 header length", append(binary.LittleEndian.AppendUint64(nil, math.MaxUint64), '{', '}'), "exceeds the"},
		{"empty header", raw("", nil), "does not start with '{'"},
		{"not an object", raw(`[1,2]`, nil), "does not start with '{'"},
		{"not JSON", raw(`{"a":}`, nil), "header JSON"},
		{"unterminated", raw(`{"a":{"dtype":"F32"`, nil), "header JSON"},
		{"trailing garbage", raw(`{} x`, nil), "trailing data"},
		{"second object", raw(`{}{}`, nil), "trailing data"},
		{"unknown dtype", raw(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, make([]byte, 16)), `unknown dtype "F128"`},
		{"missing dtype", raw(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "needs dtype, shape and data_offsets"},
		{"missing shape", raw(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)), "needs dtype, shape and data_offsets"},
		{"missing offsets", raw(`{"a":{"dtype":"F32","shape":[1]}}`, make([]byte, 4)), "needs dtype, shape and data_offsets"},
		{"null entry", raw(`{"a":null}`, nil), `tensor "a": header entry: is null`},
		{"entry not an object", raw(`{"a":[1]}`, nil), `tensor "a": header entry`},
		{"negative dimension", raw(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), "invalid dimension -1"},
		{"fractional dimension", raw(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "a"`},
		{"shape overflow", raw(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}`, make([]byte, 4)), "too large"},
		{"shape vs span", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), "needs 8 bytes"},
		{"three offsets", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, make([]byte, 8)), "must be [begin, end]"},
		{"end before begin", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, make([]byte, 8)), "invalid data_offsets"},
		{"negative offset", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, make([]byte, 8)), "invalid data_offsets"},
		{"offset past data", raw(`{`+f32("a", 0, 8)+`}`, make([]byte, 4)), "run past the 4-byte data section"},
		{"huge offset", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[9223372036854775806,9223372036854775807]}}`, make([]byte, 4)), "run past"},
		{"offset beyond int64", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551617]}}`, make([]byte, 4)), `tensor "a"`},
		{"gap at start", raw(`{`+f32("a", 4, 8)+`}`, make([]byte, 8)), "leave a gap after offset 0"},
		{"gap between", raw(`{`+f32("a", 0, 4)+`,`+f32("b", 8, 12)+`}`, make([]byte, 12)), `"b": data_offsets [8, 12] leave a gap after offset 4`},
		{"overlap", raw(`{`+f32("a", 0, 8)+`,`+f32("b", 4, 12)+`}`, make([]byte, 12)), "overlap"},
		{"same span twice", raw(`{`+f32("a", 0, 4)+`,`+f32("b", 0, 4)+`}`, make([]byte, 4)), "overlap"},
		{"trailing data bytes", raw(`{`+f32("a", 0, 4)+`}`, make([]byte, 6)), "data section is 6 bytes but the tensors cover 4"},
		{"data without tensors", raw(`{}`, make([]byte, 1)), "data section is 1 bytes but the tensors cover 0"},
		{"duplicate name", raw(`{`+f32("a", 0, 4)+`,`+f32("a", 4, 8)+`}`, make([]byte, 8)), `tensor "a" appears twice`},
		{"duplicate metadata", raw(`{"__metadata__":{},"__metadata__":{}}`, nil), "twice"},
		{"metadata not strings", raw(`{"__metadata__":{"epoch":3}}`, nil), "object of string values"},
		{"metadata array", raw(`{"__metadata__":["a"]}`, nil), "object of string values"},
		{"metadata nested", raw(`{"__metadata__":{"a":{"b":"c"}}}`, nil), "object of string values"},
		{"non-string key", raw(`{1:2}`, nil), "header JSON"},
		{"invalid UTF-8 name", raw("{\"a\xff\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}", []byte{1}), "not valid UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.file)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", f)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestParseAccepts covers valid files that a naive reader might reject.
func TestParseAccepts(t *testing.T) {
	for _, c := range []struct {
		name string
		file []byte
		n    int
	}{
		{"no tensors", raw(`{}`, nil), 0},
		{"space padding", raw(`{}      `, nil), 0},
		{"metadata null", raw(`{"__metadata__":null}`, nil), 0},
		{"zero-size tensors share an offset", raw(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"I8","shape":[2,0],"data_offsets":[4,4]}}`, make([]byte, 4)), 3},
		{"unknown fields ignored", raw(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":1}}`, []byte{1, 2}), 1},
		{"out of order offsets", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1, 2}), 2},
		{"escaped name", raw(`{"a\u00e9\"":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, []byte{7}), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Tensors) != c.n {
				t.Fatalf("%d tensors, want %d", len(f.Tensors), c.n)
			}
		})
	}
	f, _ := Parse(raw(`{"a\u00e9\"":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, []byte{7}))
	if f.Tensors["aé\""] == nil {
		t.Errorf("escaped name not decoded: %v", f.Tensors)
	}
}

func TestMarshalRejects(t *testing.T) {
	good := FromFloat32("a", []int{1}, []float32{1})
	for _, c := range []struct {
		name     string
		tensors  []*Tensor
		metadata map[string]string
		want     string
	}{
		{"nil tensor", []*Tensor{nil}, nil, "nil tensor"},
		{"empty name", []*Tensor{{DType: F32, Shape: []int{0}}}, nil, "empty name"},
		{"reserved name", []*Tensor{{Name: "__metadata__", DType: U8, Shape: []int{0}}}, nil, "reserved"},
		{"invalid UTF-8 name", []*Tensor{{Name: "a\xff", DType: U8, Shape: []int{0}}}, nil, "UTF-8"},
		{"unknown dtype", []*Tensor{{Name: "x", DType: "F128", Shape: []int{0}}}, nil, "unknown dtype"},
		{"data length", []*Tensor{{Name: "x", DType: F32, Shape: []int{2}, Data: make([]byte, 4)}}, nil, "Data has 4 bytes"},
		{"negative shape", []*Tensor{{Name: "x", DType: F32, Shape: []int{-1}}}, nil, "invalid shape"},
		{"duplicate", []*Tensor{good, good}, nil, `"a" given twice`},
		{"bad metadata", []*Tensor{good}, map[string]string{"k": "\xff"}, "valid UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Marshal(c.tensors, c.metadata)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("FromFloat32 with a wrong length did not panic")
		}
	}()
	FromFloat32("x", []int{2, 2}, []float32{1})
}

func TestReadFileErrorsNameFileAndTensor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(path, raw(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Fatalf("error %v should name %s and tensor \"w\"", err, path)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.safetensors")); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Fatalf("error %v should name the missing file", err)
	}
}

func testTensors(n int) []*Tensor {
	var ts []*Tensor
	for i := 0; i < n; i++ {
		data := make([]float32, 10+i)
		for j := range data {
			data[j] = float32(i*100 + j)
		}
		ts = append(ts, FromFloat32("layers."+string(rune('a'+i))+".weight", []int{len(data)}, data))
	}
	return ts
}

func names(m map[string]*Tensor) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dirFiles(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestSaveLoadDir(t *testing.T) {
	dir := t.TempDir()
	tensors := testTensors(5) // 40, 44, 48, 52, 56 bytes: 240 in all
	meta := map[string]string{"format": "pt"}

	// Sharded: at most 100 bytes per shard gives [40 44] [48 52] [56].
	if err := SaveDir(dir, tensors, 100, meta); err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", IndexFileName}
	if got := dirFiles(t, dir); !reflect.DeepEqual(got, wantFiles) {
		t.Fatalf("files %v, want %v", got, wantFiles)
	}
	var idx struct {
		Metadata  map[string]any    `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, IndexFileName))
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	if idx.Metadata["total_size"] != float64(240) || idx.WeightMap["layers.c.weight"] != "model-00002-of-00003.safetensors" || len(idx.WeightMap) != 5 {
		t.Fatalf("index %s", data)
	}
	checkLoad(t, dir, tensors)

	// Back to a single file (no limit): the shards and index go away.
	if err := SaveDir(dir, tensors, 0, meta); err != nil {
		t.Fatal(err)
	}
	if got := dirFiles(t, dir); !reflect.DeepEqual(got, []string{SingleFileName}) {
		t.Fatalf("files %v, want only %s", got, SingleFileName)
	}
	checkLoad(t, dir, tensors)

	// A limit the model fits in also gives a single file; re-sharding removes it.
	if err := SaveDir(dir, tensors, 240, nil); err != nil {
		t.Fatal(err)
	}
	checkLoad(t, dir, tensors)
	if err := SaveDir(dir, tensors, 60, nil); err != nil { // one tensor per shard
		t.Fatal(err)
	}
	if got := dirFiles(t, dir); len(got) != 6 || got[0] != "model-00001-of-00005.safetensors" {
		t.Fatalf("files %v, want 5 shards and the index", got)
	}
	checkLoad(t, dir, tensors)

	// A tensor bigger than the limit gets a shard of its own.
	big := FromFloat32("big", []int{100}, make([]float32, 100))
	dir2 := t.TempDir()
	if err := SaveDir(dir2, append(testTensors(2), big), 50, nil); err != nil {
		t.Fatal(err)
	}
	if got := dirFiles(t, dir2); len(got) != 4 {
		t.Fatalf("files %v, want 3 shards and the index", got)
	}
	checkLoad(t, dir2, append(testTensors(2), big))
}

func checkLoad(t *testing.T, dir string, want []*Tensor) {
	t.Helper()
	got, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("LoadDir: %v, want %d tensors", names(got), len(want))
	}
	for _, w := range want {
		g := got[w.Name]
		if g == nil || !bytes.Equal(g.Data, w.Data) || g.DType != w.DType {
			t.Fatalf("LoadDir: tensor %q differs", w.Name)
		}
	}
}

func TestLoadDirErrors(t *testing.T) {
	shard := func(dir, name string, tensors ...*Tensor) {
		if err := WriteFile(filepath.Join(dir, name), tensors, nil); err != nil {
			t.Fatal(err)
		}
	}
	index := func(dir, content string) {
		if err := os.WriteFile(filepath.Join(dir, IndexFileName), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := FromFloat32("a", []int{1}, []float32{1})
	b := FromFloat32("b", []int{1}, []float32{2})
	for _, c := range []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"empty directory", func(string) {}, "has neither model.safetensors nor model.safetensors.index.json"},
		{"missing shard", func(dir string) {
			shard(dir, "s1.safetensors", a)
			index(dir, `{"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}}`)
		}, "shard s2.safetensors listed in model.safetensors.index.json is missing"},
		{"tensor in two shards", func(dir string) {
			shard(dir, "s1.safetensors", a)
			shard(dir, "s2.safetensors", a, b)
			index(dir, `{"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}}`)
		}, `tensor "a" is in two shards`},
		{"shard lacks tensor", func(dir string) {
			shard(dir, "s1.safetensors", a)
			index(dir, `{"weight_map":{"a":"s1.safetensors","b":"s1.safetensors"}}`)
		}, `puts tensor "b" in shard s1.safetensors, which lacks it`},
		{"tensor not in index", func(dir string) {
			shard(dir, "s1.safetensors", a, b)
			index(dir, `{"weight_map":{"a":"s1.safetensors"}}`)
		}, `tensor "b" in shard s1.safetensors is not assigned to it`},
		{"path traversal", func(dir string) {
			index(dir, `{"weight_map":{"a":"../x.safetensors"}}`)
		}, "not a plain file name"},
		{"empty weight_map", func(dir string) { index(dir, `{"metadata":{}}`) }, `missing or empty "weight_map"`},
		{"index not JSON", func(dir string) { index(dir, `{`) }, IndexFileName},
		{"corrupt shard", func(dir string) {
			if err := os.WriteFile(filepath.Join(dir, "s1.safetensors"), []byte("garbage!!"), 0o644); err != nil {
				t.Fatal(err)
			}
			index(dir, `{"weight_map":{"a":"s1.safetensors"}}`)
		}, "s1.safetensors"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(dir)
			_, err := LoadDir(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestSaveDirRejectsInvalid(t *testing.T) {
	dir := t.TempDir()
	err := SaveDir(dir, []*Tensor{{Name: "x", DType: F32, Shape: []int{3}, Data: make([]byte, 4)}}, 0, nil)
	if err == nil || !strings.Contains(err.Error(), `tensor "x"`) {
		t.Fatalf("error %v, want one naming tensor x", err)
	}
	if files := dirFiles(t, dir); len(files) != 0 {
		t.Fatalf("SaveDir left %v", files)
	}
}

// FuzzParse checks that no input makes Parse panic, and that whatever it accepts is
// self-consistent and survives a Marshal/Parse round trip.
func FuzzParse(f *testing.F) {
	good, _ := Marshal([]*Tensor{
		FromFloat32("a", []int{2, 2}, []float32{1, 2, 3, 4}),
		FromBF16("b", []int{3}, []float32{1, 2, 3}),
		{Name: "c", DType: I8, Shape: []int{0}},
	}, map[string]string{"k": "v"})
	f.Add(good)
	f.Add(raw(`{}`, nil))
	f.Add(raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)))
	f.Add(raw(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(raw(`{"__metadata__":{"a":"b"},"x":{"dtype":"BOOL","shape":[],"data_offsets":[0,1]}}`, []byte{1}))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, '{'})
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		var ts []*Tensor
		for name, tn := range file.Tensors {
			if tn.Name != name || tn.NumElements()*tn.DType.Size() != len(tn.Data) {
				t.Fatalf("inconsistent tensor %q: %v %v %d bytes", name, tn.DType, tn.Shape, len(tn.Data))
			}
			if _, err := tn.Float32s(); err != nil && (tn.DType == F32 || tn.DType == BF16 || tn.DType == F16 || tn.DType == F64) {
				t.Fatalf("Float32s of %q: %v", name, err)
			}
			ts = append(ts, tn)
		}
		out, err := Marshal(ts, file.Metadata)
		if err != nil {
			return // e.g. an empty tensor name, which Parse accepts like the reference but Marshal refuses
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of Marshal output: %v", err)
		}
		for name, tn := range file.Tensors {
			if g := again.Tensors[name]; g == nil || !bytes.Equal(g.Data, tn.Data) {
				t.Fatalf("tensor %q lost in the round trip", name)
			}
		}
	})
}

func TestWriteFileReplacesAndFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	for _, v := range []float32{1, 2} {
		if err := WriteFile(path, []*Tensor{FromFloat32("v", nil, []float32{v})}, nil); err != nil {
			t.Fatal(err)
		}
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Tensors["v"].Float32s(); v[0] != 2 {
		t.Errorf("after overwrite v = %v, want 2", v)
	}
	if got := dirFiles(t, dir); !reflect.DeepEqual(got, []string{"m.safetensors"}) {
		t.Errorf("files %v: a temporary file was left", got)
	}
	bad := filepath.Join(dir, "missing", "m.safetensors")
	if err := WriteFile(bad, nil, nil); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "missing")) {
		t.Errorf("WriteFile into a missing directory: %v", err)
	}
}
