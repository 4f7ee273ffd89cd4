package lm

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// RoPE variants (rope_type of config.json's rope_scaling or rope_parameters), computed as Hugging
// Face transformers' modeling_rope_utils.py does.
const (
	RopeDefault = "default" // plain RoPE
	RopeLinear  = "linear"  // positions divided by Factor
	RopeDynamic = "dynamic" // NTK-aware: the base grows with the sequence length
	RopeYaRN    = "yarn"    // YaRN: per-frequency blend of interpolation and extrapolation, scaled cos/sin
	RopeLlama3  = "llama3"  // Llama 3.1+: low frequencies divided by Factor, a smooth band between
)

var ropeTypes = []string{RopeDefault, RopeLinear, RopeDynamic, RopeYaRN, RopeLlama3}

// RopeScaling is the RoPE variant of a model: config.json's rope_scaling (or the rope_parameters of
// transformers 5). The zero value is plain RoPE. Fields a variant does not use must be zero.
//
// The formulas are those of transformers 5 (modeling_rope_utils.py), which agree with 4.4x-4.5x
// wherever a checkpoint's factor equals max_position_embeddings / original_max_position_embeddings
// (transformers 4.5x's YaRN replaced an explicit factor by that ratio).
type RopeScaling struct {
	// Type is "" or RopeDefault (plain RoPE), RopeLinear, RopeDynamic, RopeYaRN or RopeLlama3.
	Type string
	// Factor is the context extension factor; required by every variant but the default.
	Factor float64
	// OriginalMaxPositionEmbeddings is the context the model was pre-trained with. Required by
	// llama3. YaRN's correction range uses it, max_position_embeddings when 0. Dynamic keeps it
	// only to write it back: like transformers, it grows the base past max_position_embeddings.
	OriginalMaxPositionEmbeddings int
	// LowFreqFactor and HighFreqFactor (llama3, required, High > Low) bound the band of wavelengths
	// between original/HighFreqFactor (kept) and original/LowFreqFactor (divided by Factor).
	LowFreqFactor, HighFreqFactor float64
	// AttentionFactor (yarn) multiplies cos and sin. 0: derived from Factor (0.1*ln(Factor)+1),
	// or from MScale and MScaleAllDim when both are set.
	AttentionFactor float64
	// MScale and MScaleAllDim (yarn, DeepSeek style): when both are non-zero the default attention
	// factor is mscale(Factor, MScale) / mscale(Factor, MScaleAllDim), mscale(s, m) = 0.1*m*ln(s)+1
	// (1 when s <= 1).
	MScale, MScaleAllDim float64
	// BetaFast and BetaSlow (yarn) are the rotation counts that bound the ramp between
	// extrapolated and interpolated frequencies. 0: 32 and 1.
	BetaFast, BetaSlow float64
	// NoTruncate (yarn) is config.json's "truncate": false: the ramp bounds are not rounded to
	// whole dimensions.
	NoTruncate bool
}

// plain reports whether r is plain RoPE.
func (r RopeScaling) plain() bool { return r.Type == "" || r.Type == RopeDefault }

// ropeKey is one numeric key of a rope_scaling object: the field it fills, whether the variant
// requires it.
type ropeKey struct {
	name     string
	required bool
	field    func(r *RopeScaling) any // *float64 or *int
}

var (
	keyFactor  = ropeKey{"factor", true, func(r *RopeScaling) any { return &r.Factor }}
	keyOrigReq = ropeKey{"original_max_position_embeddings", true, func(r *RopeScaling) any { return &r.OriginalMaxPositionEmbeddings }}
	keyOrigOpt = ropeKey{"original_max_position_embeddings", false, keyOrigReq.field}
)

// ropeKeys lists the numeric keys of each variant (yarn's boolean "truncate" is handled apart).
var ropeKeys = map[string][]ropeKey{
	RopeDefault: nil,
	RopeLinear:  {keyFactor},
	RopeDynamic: {keyFactor, keyOrigOpt},
	RopeYaRN: {keyFactor, keyOrigOpt,
		{"attention_factor", false, func(r *RopeScaling) any { return &r.AttentionFactor }},
		{"beta_fast", false, func(r *RopeScaling) any { return &r.BetaFast }},
		{"beta_slow", false, func(r *RopeScaling) any { return &r.BetaSlow }},
		{"mscale", false, func(r *RopeScaling) any { return &r.MScale }},
		{"mscale_all_dim", false, func(r *RopeScaling) any { return &r.MScaleAllDim }},
	},
	RopeLlama3: {keyFactor, keyOrigReq,
		{"low_freq_factor", true, func(r *RopeScaling) any { return &r.LowFreqFactor }},
		{"high_freq_factor", true, func(r *RopeScaling) any { return &r.HighFreqFactor }},
	},
}

// ropeValue returns the value of a key's field as a float64.
func ropeValue(r *RopeScaling, k ropeKey) float64 {
	switch p := k.field(r).(type) {
	case *float64:
		return *p
	case *int:
		return float64(*p)
	}
	panic("lm: rope key " + k.name + " has a field of an unexpected type")
}

// validate reports the first bad field; field names the config.json key (rope_scaling or
// rope_parameters).
func (r RopeScaling) validate(field string) error {
	if r.Type == "" {
		r.Type = RopeDefault
	}
	keys, ok := ropeKeys[r.Type]
	if !ok {
		return fmt.Errorf("%s.rope_type %q is not supported (supported: %s)", field, r.Type, strings.Join(ropeTypes, ", "))
	}
	used := map[string]bool{}
	for _, k := range keys {
		used[k.name] = true
		v := ropeValue(&r, k)
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			return fmt.Errorf("%s.%s must be a finite number >= 0, got %g", field, k.name, v)
		case k.required && v == 0:
			return fmt.Errorf("%s.%s is required by rope_type %q (and must be > 0)", field, k.name, r.Type)
		}
	}
	// A field of another variant is a mistake, and would not survive the round trip to config.json.
	for _, typ := range ropeTypes {
		for _, k := range ropeKeys[typ] {
			if !used[k.name] && ropeValue(&r, k) != 0 {
				return fmt.Errorf("%s.%s is not used by rope_type %q", field, k.name, r.Type)
			}
		}
	}
	if r.NoTruncate && r.Type != RopeYaRN {
		return fmt.Errorf("%s.truncate is not used by rope_type %q", field, r.Type)
	}
	if r.Type == RopeLlama3 && !(r.HighFreqFactor > r.LowFreqFactor) {
		return fmt.Errorf("%s.high_freq_factor (%g) must be > low_freq_factor (%g)", field, r.HighFreqFactor, r.LowFreqFactor)
	}
	return nil
}

// parseRope reads a rope_scaling or rope_parameters object (field is its key, for errors). It
// returns the variant and the rope_theta the object holds (0 when none). A missing rope_type is
// "default" (transformers 5); "type" is the older name of rope_type.
func parseRope(field string, raw json.RawMessage) (RopeScaling, float64, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return RopeScaling{}, 0, fmt.Errorf("%s must be an object or null, got %s", field, raw)
	}
	present := func(key string) bool { v, ok := obj[key]; return ok && string(v) != "null" }
	r := RopeScaling{Type: RopeDefault}
	typeKey := "rope_type"
	if !present(typeKey) && present("type") {
		typeKey = "type"
	}
	if present(typeKey) {
		if err := json.Unmarshal(obj[typeKey], &r.Type); err != nil {
			return RopeScaling{}, 0, fmt.Errorf("%s.%s must be a string, got %s", field, typeKey, obj[typeKey])
		}
	}
	keys, ok := ropeKeys[r.Type]
	if !ok {
		return RopeScaling{}, 0, fmt.Errorf("%s.%s %q is not supported (supported: %s)", field, typeKey, r.Type, strings.Join(ropeTypes, ", "))
	}
	number := func(key string) (float64, error) {
		var v float64
		if err := json.Unmarshal(obj[key], &v); err != nil {
			return 0, fmt.Errorf("%s.%s must be a number, got %s", field, key, obj[key])
		}
		return v, nil
	}
	known := map[string]bool{"rope_type": true, "type": true, "rope_theta": true, "partial_rotary_factor": true}
	for _, k := range keys {
		known[k.name] = true
		if !present(k.name) {
			if k.required {
				return RopeScaling{}, 0, fmt.Errorf("%s.%s is required by rope_type %q", field, k.name, r.Type)
			}
			continue
		}
		v, err := number(k.name)
		if err != nil {
			return RopeScaling{}, 0, err
		}
		switch p := k.field(&r).(type) {
		case *float64:
			*p = v
		case *int:
			if v != math.Trunc(v) || math.Abs(v) > 1<<40 {
				return RopeScaling{}, 0, fmt.Errorf("%s.%s must be an integer, got %s", field, k.name, obj[k.name])
			}
			*p = int(v)
		}
	}
	if r.Type == RopeYaRN {
		known["truncate"] = true
		if present("truncate") {
			var truncate bool
			if err := json.Unmarshal(obj["truncate"], &truncate); err != nil {
				return RopeScaling{}, 0, fmt.Errorf("%s.truncate must be true or false, got %s", field, obj["truncate"])
			}
			r.NoTruncate = !truncate
		}
	}
	var unknown []string
	for k := range obj {
		if !known[k] && present(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return RopeScaling{}, 0, fmt.Errorf("%s.%s is not supported with rope_type %q", field, unknown[0], r.Type)
	}
	if present("partial_rotary_factor") {
		if v, err := number("partial_rotary_factor"); err != nil || v != 1 {
			return RopeScaling{}, 0, fmt.Errorf("%s.partial_rotary_factor %s is not supported (only 1)", field, obj["partial_rotary_factor"])
		}
	}
	var theta float64
	if present("rope_theta") {
		v, err := number("rope_theta")
		if err != nil {
			return RopeScaling{}, 0, err
		}
		theta = v
	}
	if r.Type == RopeDefault {
		r.Type = ""
	}
	return r, theta, r.validate(field)
}

// marshalRope returns config.json's rope_scaling object for r (nil for plain RoPE), in the
// layout that transformers 4.4x and 5 both read.
func marshalRope(r RopeScaling) json.RawMessage {
	if r.plain() {
		return nil
	}
	obj := map[string]any{"rope_type": r.Type}
	for _, k := range ropeKeys[r.Type] {
		if v := ropeValue(&r, k); v != 0 {
			obj[k.name] = k.field(&r)
		}
	}
	if r.NoTruncate {
		obj["truncate"] = false
	}
	data, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("lm: encoding rope_scaling: %v", err))
	}
	return data
}

// ropeFrequencies returns the inverse frequencies [HeadDim/2] and the factor that multiplies cos
// and sin, for every variant but dynamic (whose frequencies depend on the sequence: dynamicInvFreq).
func (c Config) ropeFrequencies() (inv []float64, attention float64) {
	r, hd := c.RopeScaling, c.HeadDim
	inv = make([]float64, hd/2)
	for i := range inv {
		inv[i] = 1 / math.Pow(c.RopeTheta, float64(2*i)/float64(hd))
	}
	switch r.Type {
	case RopeLinear:
		for i := range inv {
			inv[i] /= r.Factor
		}
	case RopeLlama3:
		orig := float64(r.OriginalMaxPositionEmbeddings)
		lowWavelen, highWavelen := orig/r.LowFreqFactor, orig/r.HighFreqFactor
		for i, f := range inv {
			switch wavelen := 2 * math.Pi / f; {
			case wavelen > lowWavelen:
				inv[i] = f / r.Factor
			case wavelen >= highWavelen: // the band between: interpolate smoothly
				smooth := (orig/wavelen - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
				inv[i] = (1-smooth)*f/r.Factor + smooth*f
			}
		}
	case RopeYaRN:
		return c.yarnFrequencies()
	}
	return inv, 1
}

// yarnFrequencies is transformers' _compute_yarn_parameters.
func (c Config) yarnFrequencies() (inv []float64, attention float64) {
	r, dim, base := c.RopeScaling, float64(c.HeadDim), c.RopeTheta
	orig := float64(r.OriginalMaxPositionEmbeddings)
	if orig == 0 {
		orig = float64(c.MaxPositionEmbeddings)
	}
	mscale := func(scale, m float64) float64 {
		if scale <= 1 {
			return 1
		}
		return 0.1*m*math.Log(scale) + 1
	}
	attention = r.AttentionFactor
	if attention == 0 {
		if r.MScale != 0 && r.MScaleAllDim != 0 {
			attention = mscale(r.Factor, r.MScale) / mscale(r.Factor, r.MScaleAllDim)
		} else {
			attention = mscale(r.Factor, 1)
		}
	}
	betaFast, betaSlow := r.BetaFast, r.BetaSlow
	if betaFast == 0 {
		betaFast = 32
	}
	if betaSlow == 0 {
		betaSlow = 1
	}
	// The dimension whose wavelength makes numRotations turns over the original context.
	correctionDim := func(numRotations float64) float64 {
		return dim * math.Log(orig/(numRotations*2*math.Pi)) / (2 * math.Log(base))
	}
	low, high := correctionDim(betaFast), correctionDim(betaSlow)
	if !r.NoTruncate {
		low, high = math.Floor(low), math.Ceil(high)
	}
	low, high = math.Max(low, 0), math.Min(high, dim-1)
	if low == high {
		high += 0.001 // transformers' guard against a zero-width ramp
	}
	inv = make([]float64, c.HeadDim/2)
	for i := range inv {
		posFreq := math.Pow(base, float64(2*i)/dim)
		extrapolation := 1 - math.Min(math.Max((float64(i)-low)/(high-low), 0), 1)
		inv[i] = (1/(r.Factor*posFreq))*(1-extrapolation) + (1/posFreq)*extrapolation
	}
	return inv, attention
}

// dynamicInvFreq returns dynamic NTK's inverse frequencies [B, HeadDim/2] for int32 positions
// [B,T]. As transformers' _compute_dynamic_ntk_parameters, with seq_len = max(longest position + 1,
// max_position_embeddings): base' = theta * (factor*seq_len/max - (factor-1))^(d/(d-2)). The length
// is each row's own (transformers takes the batch's longest, so a row would depend on the others;
// here each row gets what transformers gives it alone). Computed in float64.
func (c Config) dynamicInvFreq(positions *Node) *Node {
	g := positions.Graph()
	factor, d, maxPos := c.RopeScaling.Factor, float64(c.HeadDim), float64(c.MaxPositionEmbeddings)
	seqLen := MaxScalar(ConvertDType(AddScalar(ReduceMax(positions, 1), 1), dtypes.Float64), maxPos) // [B]
	scale := AddScalar(MulScalar(seqLen, factor/maxPos), 1-factor)
	logBase := AddScalar(MulScalar(Log(scale), d/(d-2)), math.Log(c.RopeTheta)) // [B]
	exponents := make([]float64, c.HeadDim/2)
	for i := range exponents {
		exponents[i] = -float64(2*i) / d
	}
	inv := Exp(Mul(InsertAxes(logBase, -1), InsertAxes(Const(g, exponents), 0))) // [B, hd/2]
	return ConvertDType(inv, dtypes.Float32)
}

// rope returns cos and the signed sine (-sin, sin) (see applyRope), each [B,T,headDim], for int32
// positions [B,T] (HF rotate-half layout), scaled by the variant's attention factor (YaRN) as
// transformers scales them.
func (m *Model) rope(positions *Node) (cos, signedSin *Node) {
	g := positions.Graph()
	hd := m.Config.HeadDim
	var inv *Node // [1 or B, 1, hd/2]
	attention := 1.0
	if m.Config.RopeScaling.Type == RopeDynamic {
		inv = InsertAxes(m.Config.dynamicInvFreq(positions), 1)
	} else {
		var freqs []float64
		freqs, attention = m.Config.ropeFrequencies()
		inv32 := make([]float32, len(freqs))
		for i, f := range freqs {
			inv32[i] = float32(f)
		}
		inv = Reshape(Const(g, inv32), 1, 1, hd/2)
	}
	angles := Mul(InsertAxes(ConvertDType(positions, dtypes.Float32), -1), inv) // [B,T,hd/2]
	cos, sin := Cos(angles), Sin(angles)
	if attention != 1 {
		cos, sin = MulScalar(cos, attention), MulScalar(sin, attention)
	}
	// Both halves of a head rotate by the same angles.
	return Concatenate([]*Node{cos, cos}, -1), Concatenate([]*Node{Neg(sin), sin}, -1)
}
