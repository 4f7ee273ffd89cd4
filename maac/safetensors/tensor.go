package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// DType is a tensor element type as spelled in a safetensors header.
type DType string

// The element types this package knows. Float32s converts the floating-point ones; the others are
// carried as raw bytes.
const (
	F64    DType = "F64"
	F32    DType = "F32"
	F16    DType = "F16"
	BF16   DType = "BF16"
	F8E4M3 DType = "F8_E4M3"
	F8E5M2 DType = "F8_E5M2"
	I64    DType = "I64"
	I32    DType = "I32"
	I16    DType = "I16"
	I8     DType = "I8"
	U64    DType = "U64"
	U32    DType = "U32"
	U16    DType = "U16"
	U8     DType = "U8"
	Bool   DType = "BOOL"
)

var dtypeSizes = map[DType]int{
	F64: 8, F32: 4, F16: 2, BF16: 2, F8E4M3: 1, F8E5M2: 1,
	I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, Bool: 1,
}

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int { return dtypeSizes[d] }

// Valid reports whether d is a dtype this package knows.
func (d DType) Valid() bool { return dtypeSizes[d] > 0 }

// Tensor is one named tensor: its dtype, its shape (row-major) and its raw little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the product of the shape (1 for a scalar), or -1 if a dimension is negative
// or the product overflows.
func (t *Tensor) NumElements() int { return numElements(t.Shape) }

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		if d != 0 && n > math.MaxInt/d {
			return -1
		}
		n *= d
	}
	return n
}

// validate checks that the tensor is self-consistent: a usable name, a known dtype, and as many
// bytes as its shape needs.
func (t *Tensor) validate() error {
	if t == nil {
		return fmt.Errorf("nil tensor")
	}
	if t.Name == "" {
		return fmt.Errorf("tensor with empty name")
	}
	if !utf8.ValidString(t.Name) {
		return fmt.Errorf("tensor name %q is not valid UTF-8", t.Name)
	}
	if t.Name == metadataKey {
		return fmt.Errorf("tensor name %q is reserved for the metadata", metadataKey)
	}
	if !t.DType.Valid() {
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	n := t.NumElements()
	if n < 0 {
		return fmt.Errorf("tensor %q: invalid shape %v", t.Name, t.Shape)
	}
	if n > math.MaxInt/t.DType.Size() || n*t.DType.Size() != len(t.Data) {
		return fmt.Errorf("tensor %q: shape %v of %s needs %d elements of %d bytes, but Data has %d bytes",
			t.Name, t.Shape, t.DType, n, t.DType.Size(), len(t.Data))
	}
	return nil
}

// Float32s returns the values converted to float32. F32, BF16, F16 and F64 are supported (F64
// values outside float32's range become ±Inf); integer, boolean and 8-bit float dtypes return an
// error, because silently reinterpreting them would hide a wrong checkpoint.
func (t *Tensor) Float32s() ([]float32, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	n := t.NumElements()
	out := make([]float32, n)
	b := t.Data
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = BF16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case F16:
		for i := range out {
			out[i] = F16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	default:
		return nil, fmt.Errorf("tensor %q: dtype %s cannot be converted to float32", t.Name, t.DType)
	}
	return out, nil
}

// FromFloat32 returns an F32 tensor holding a copy of data. It panics if len(data) does not match
// the shape, like a GoMLX graph builder: that is a programming error, not bad input.
func FromFloat32(name string, shape []int, data []float32) *Tensor {
	checkLen(name, shape, len(data))
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return &Tensor{Name: name, DType: F32, Shape: append([]int(nil), shape...), Data: b}
}

// FromBF16 returns a BF16 tensor holding data rounded to bfloat16 with round-to-nearest-even
// (see Float32ToBF16). It panics if len(data) does not match the shape.
func FromBF16(name string, shape []int, data []float32) *Tensor {
	checkLen(name, shape, len(data))
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], Float32ToBF16(v))
	}
	return &Tensor{Name: name, DType: BF16, Shape: append([]int(nil), shape...), Data: b}
}

func checkLen(name string, shape []int, n int) {
	if want := numElements(shape); want != n {
		panic(fmt.Sprintf("safetensors: tensor %q: shape %v needs %d values, got %d", name, shape, want, n))
	}
}

// BF16ToFloat32 widens a bfloat16 bit pattern to float32 (exact: bfloat16 is the top half of a
// float32).
func BF16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBF16 rounds f to the nearest bfloat16, ties to even, as PyTorch does. Overflow gives
// ±Inf; a NaN stays a NaN (quiet, sign kept) instead of rounding into Inf.
func Float32ToBF16(f float32) uint16 {
	bits := math.Float32bits(f)
	if bits&0x7fffffff > 0x7f800000 { // NaN
		return uint16(bits>>16) | 0x0040
	}
	bits += 0x7fff + (bits>>16)&1
	return uint16(bits >> 16)
}

// F16ToFloat32 widens an IEEE 754 binary16 bit pattern to float32 (exact, subnormals included).
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = mant * 2^-24, exactly representable in float32.
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}
