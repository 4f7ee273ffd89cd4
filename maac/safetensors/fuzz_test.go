package safetensors

import (
	"testing"
)

// FuzzHeader fuzzes the JSON header of a file with a correct length field (which random bytes
// in FuzzParse rarely get right) over a fuzzed data section: Parse returns an error or tensors
// whose data Float32s can convert or refuse, never a panic.
func FuzzHeader(f *testing.F) {
	for _, h := range []string{
		`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
		`{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`,
		`{"a":{"dtype":"F64","shape":[9223372036854775807,2],"data_offsets":[0,8]}}`,
		`{"a":{"dtype":"F16","shape":[-1],"data_offsets":[0,8]}}`,
		`{"a":{"dtype":"F32","shape":[],"data_offsets":[8,4]}}`,
		`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`,
		`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4e99]}}`,
		`{"__metadata__":{"k":3}}`, `{"a":null}`, `{}  `, `{"a":{}} x`,
	} {
		f.Add(h, make([]byte, 8))
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		file, err := Parse(raw(header, body))
		if err != nil {
			return
		}
		for name, tn := range file.Tensors {
			if tn.NumElements()*tn.DType.Size() != len(tn.Data) {
				t.Fatalf("tensor %q: %v %v with %d bytes", name, tn.DType, tn.Shape, len(tn.Data))
			}
			_, _ = tn.Float32s()
		}
	})
}
