package analysis

import "math"

// DType is a storage format for weights or KV-cache entries. Group-wise
// quantized formats store one scale (and optionally zero point) of
// ScaleBits per GroupSize elements.
type DType struct {
	Name      string
	Bits      int64 // bits per element
	GroupSize int64 // elements per scale group; 0: no per-group scales
	ScaleBits int64 // bits of scale (and zero point) per group
}

// The built-in formats. Group defaults follow common practice: int4
// weights as GPTQ/AWQ with an fp16 scale per 128; MXFP4 as the OCP
// microscaling spec (an 8-bit scale per 32); fp8 with a per-tensor scale.
var builtinDTypes = []DType{
	{Name: "fp32", Bits: 32},
	{Name: "bf16", Bits: 16},
	{Name: "fp16", Bits: 16},
	{Name: "fp8", Bits: 8},
	{Name: "int8", Bits: 8},
	{Name: "int4", Bits: 4, GroupSize: 128, ScaleBits: 16},
	{Name: "mxfp4", Bits: 4, GroupSize: 32, ScaleBits: 8},
}

// KV-cache formats: int8 and int4 keep an fp16 scale and zero point per group
// of 64 elements of a head vector (as in KIVI-style quantized caches).
var builtinKVDTypes = []DType{
	{Name: "fp32", Bits: 32},
	{Name: "bf16", Bits: 16},
	{Name: "fp16", Bits: 16},
	{Name: "fp8", Bits: 8},
	{Name: "int8", Bits: 8, GroupSize: 64, ScaleBits: 32},
	{Name: "int4", Bits: 4, GroupSize: 64, ScaleBits: 32},
}

// LookupDType returns the built-in weight format with the given name.
func LookupDType(name string) (DType, bool) { return lookup(builtinDTypes, name) }

// LookupKVDType returns the built-in KV-cache format with the given name.
func LookupKVDType(name string) (DType, bool) { return lookup(builtinKVDTypes, name) }

// DTypeNames lists the weight formats.
func DTypeNames() []string { return names(builtinDTypes) }

// KVDTypeNames lists the KV-cache formats.
func KVDTypeNames() []string { return names(builtinKVDTypes) }

func lookup(list []DType, name string) (DType, bool) {
	switch name {
	case "float16", "half":
		name = "fp16"
	case "bfloat16":
		name = "bf16"
	case "float32", "float":
		name = "fp32"
	case "float8", "fp8_e4m3", "fp8_e5m2", "e4m3":
		name = "fp8"
	}
	for _, d := range list {
		if d.Name == name {
			return d, true
		}
	}
	return DType{}, false
}

func names(list []DType) []string {
	out := make([]string, len(list))
	for i, d := range list {
		out[i] = d.Name
	}
	return out
}

// Bytes is the storage of n elements: packed elements plus one scale per
// started group.
func (d DType) Bytes(n int64) int64 {
	if n == math.MaxInt64 {
		return math.MaxInt64 // saturated upstream
	}
	b := bitsToBytes(n, d.Bits)
	if d.GroupSize > 0 && d.ScaleBits > 0 {
		b = addSat(b, bitsToBytes(ceilDiv(n, d.GroupSize), d.ScaleBits))
	}
	return b
}

// bitsToBytes is ⌈n·bits/8⌉ for n elements of bits each, exact whenever the
// result fits in an int64 (n·bits itself may not).
func bitsToBytes(n, bits int64) int64 {
	if n <= 0 || bits <= 0 {
		return 0
	}
	return addSat(mulSat(n/8, bits), ceilDiv(n%8*bits, 8))
}

// BitsPerElement is the effective storage per element, scales included.
func (d DType) BitsPerElement() float64 {
	b := float64(d.Bits)
	if d.GroupSize > 0 {
		b += float64(d.ScaleBits) / float64(d.GroupSize)
	}
	return b
}

// Quantized reports whether the format is narrower than 16 bits.
func (d DType) Quantized() bool { return d.Bits < 16 }

// WeightScheme says how each tensor class is stored.
type WeightScheme struct {
	Default DType
	// Keep16 lists classes that stay in bf16 when Default is quantized.
	// Norms always stay in 16 bits.
	Keep16 []TensorClass
	// Overrides sets a format per class, ahead of Default and Keep16.
	Overrides map[TensorClass]DType
	// Stored, when set, is a quantized checkpoint's exact storage per
	// class (see Model.StoredBytes); Formats names each quantized class's
	// format. Both come from the checkpoint's quantization_config.
	Stored  *Stored
	Formats map[TensorClass]LinearFormat
}

var bf16 = DType{Name: "bf16", Bits: 16}

// For returns the format of a tensor class.
func (w WeightScheme) For(c TensorClass) DType {
	if f, ok := w.Formats[c]; ok {
		return DType{Name: f.Label(), Bits: f.Bits}
	}
	if d, ok := w.Overrides[c]; ok {
		return d
	}
	if w.Default.Quantized() {
		if c == NormWeights {
			return bf16
		}
		for _, k := range w.Keep16 {
			if k == c {
				return bf16
			}
		}
	}
	return w.Default
}

// Bytes is the storage of a set of per-class parameter counts.
func (w WeightScheme) Bytes(counts ClassCounts) int64 {
	var b int64
	for c, n := range counts {
		if w.Stored != nil && w.Stored.Params[c] > 0 {
			b = addSat(b, share(w.Stored.Bytes[c], n, w.Stored.Params[c]))
			continue
		}
		b = addSat(b, w.For(TensorClass(c)).Bytes(n))
	}
	return b
}

// ceilDiv is ⌈a/b⌉ for non-negative a and positive b; a saturated a stays
// saturated.
func ceilDiv(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	if a == math.MaxInt64 {
		return math.MaxInt64
	}
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// mulSat multiplies non-negative counts, saturating at MaxInt64 instead of wrapping.
func mulSat(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// addSat adds non-negative counts, saturating at MaxInt64.
func addSat(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
