package analysis

import (
	"fmt"
	"math"
	"math/bits"
)

// QuantMethod is a checkpoint format for quantized linear weights, as a
// Hugging Face config's quantization_config names it.
type QuantMethod int

// The quantization methods kvplot sizes. Each stores a linear matrix of
// Out×In differently; see LinearFormat.Bytes for the tensors of each.
const (
	MXFP4 QuantMethod = iota + 1
	FP8
	CompressedTensors
	AWQ
	GPTQ
	BitsAndBytes
)

var quantMethodNames = [...]string{MXFP4: "mxfp4", FP8: "fp8", CompressedTensors: "compressed-tensors", AWQ: "awq", GPTQ: "gptq", BitsAndBytes: "bitsandbytes"}

// String returns the method's quant_method name.
func (q QuantMethod) String() string {
	if q > 0 && int(q) < len(quantMethodNames) {
		return quantMethodNames[q]
	}
	return "unknown"
}

// LinearFormat is how a quantized checkpoint stores one linear weight
// matrix. Scales are grouped along the input dimension: GroupSize inputs
// share a scale (0: one scale for the tensor, -1: one per output channel),
// or BlockOut×BlockIn tiles share one (fp8 weight_block_size).
type LinearFormat struct {
	Method     QuantMethod
	Bits       int64 // bits per weight code
	Float      bool  // codes are floating point (fp8, nvfp4) rather than integers
	GroupSize  int64
	BlockOut   int64
	BlockIn    int64
	ScaleBytes int64 // bytes per scale
	// Zero: asymmetric codes store zero points; GIdx: an int32 group index
	// per input (GPTQ, compressed-tensors with activation order);
	// InputScale: a static per-tensor activation scale.
	Zero       bool
	GIdx       bool
	InputScale bool
	// Packed is compressed-tensors' pack-quantized layout (codes in int32
	// along the input, plus the original shape as two int64).
	Packed bool
	// DoubleQuant is bitsandbytes' nested quantization of the 4-bit absmax;
	// QuantType (nf4, fp4) and WeightDType (float16, bfloat16) are written
	// into its per-matrix quant-state record.
	DoubleQuant bool
	QuantType   string
	WeightDType string
}

// Label names the format for tables: "awq int4 g128".
func (f LinearFormat) Label() string {
	kind := "int"
	if f.Float {
		kind = "fp"
	}
	switch f.Method {
	case MXFP4:
		return "mxfp4"
	case BitsAndBytes:
		if f.Bits == 4 {
			return "bnb 4-bit"
		}
		return "bnb int8"
	}
	s := fmt.Sprintf("%s %s%d", f.Method, kind, f.Bits)
	if f.Method == FP8 {
		s = "fp8"
		if f.BlockOut == 0 && f.GroupSize == 0 {
			s += " per-tensor"
		}
	}
	switch {
	case f.BlockOut > 0:
		s += fmt.Sprintf(" block %d×%d", f.BlockOut, f.BlockIn)
	case f.GroupSize > 0:
		s += fmt.Sprintf(" g%d", f.GroupSize)
	case f.GroupSize < 0:
		s += " per-channel"
	}
	return s
}

// bnbNestedOffsetChars is the length kvplot assumes for the one value of a
// bitsandbytes double-quant record it cannot know: nested_offset, the mean
// of the absmax values, printed as Python's shortest float repr (about 19
// characters; published records of one shape differ by up to 4 bytes).
const bnbNestedOffsetChars = 19

// bnbQuantState is the length of bitsandbytes' per-matrix quant-state
// record: the JSON (Python json.dumps, default separators) of quant_type,
// blocksize, dtype and shape, plus the nested fields with double quant.
func (f LinearFormat) bnbQuantState(out, in int64) int64 {
	qt, dt := f.QuantType, f.WeightDType
	if qt == "" {
		qt = "nf4"
	}
	if dt == "" {
		dt = "bfloat16"
	}
	s := fmt.Sprintf(`{"quant_type": "%s", "blocksize": 64, "dtype": "%s", "shape": [%d, %d]`, qt, dt, out, in)
	n := int64(len(s)) + 1 // closing brace
	if f.DoubleQuant {
		n += int64(len(`, "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": `)) + bnbNestedOffsetChars
	}
	return n
}

// Bytes is the storage of one Out×In matrix in this format: the codes and
// every scale, zero point, index and shape tensor the format writes beside
// them.
func (f LinearFormat) Bytes(out, in int64) int64 {
	n := mulSat(out, in)
	groups := func() int64 { // scale groups along the input, per output row
		switch {
		case f.GroupSize > 0:
			return ceilDiv(in, f.GroupSize)
		default:
			return 1
		}
	}
	switch f.Method {
	case MXFP4:
		// *_blocks: two e2m1 codes per byte; *_scales: one e8m0 byte per 32 inputs.
		return addSat(ceilDiv(n, 2), mulSat(out, ceilDiv(in, 32)))
	case FP8:
		b := n
		switch {
		case f.BlockOut > 0:
			b = addSat(b, mulSatN(f.ScaleBytes, ceilDiv(out, f.BlockOut), ceilDiv(in, f.BlockIn)))
		case f.GroupSize < 0:
			b = addSat(b, mulSat(f.ScaleBytes, out))
		default:
			b = addSat(b, f.ScaleBytes)
		}
		if f.InputScale {
			b = addSat(b, 4)
		}
		return b
	case AWQ:
		// qweight int32 [in, out·bits/32], qzeros int32 [groups, out·bits/32],
		// scales fp16 [groups, out].
		g, packedOut := groups(), ceilDiv(mulSat(out, f.Bits), 32)
		return addSatN(mulSatN(4, in, packedOut), mulSatN(4, g, packedOut), mulSatN(2, g, out))
	case GPTQ:
		// qweight int32 [in·bits/32, out], qzeros int32 [groups, out·bits/32],
		// scales fp16 [groups, out], g_idx int32 [in].
		g := groups()
		b := addSatN(mulSatN(4, ceilDiv(mulSat(in, f.Bits), 32), out), mulSatN(4, g, ceilDiv(mulSat(out, f.Bits), 32)), mulSatN(2, g, out))
		if f.GIdx {
			b = addSat(b, mulSat(4, in))
		}
		return b
	case CompressedTensors:
		// weight (or weight_packed + weight_shape), weight_scale shaped by
		// the strategy, zero points when asymmetric, weight_g_idx.
		scaleRows, scaleCols := int64(1), int64(1) // tensor strategy
		switch {
		case f.BlockOut > 0:
			scaleRows, scaleCols = ceilDiv(out, f.BlockOut), ceilDiv(in, f.BlockIn)
		case f.GroupSize > 0:
			scaleRows, scaleCols = out, groups()
		case f.GroupSize < 0:
			scaleRows = out
		}
		scales := mulSat(scaleRows, scaleCols)
		var b int64
		if f.Packed {
			b = addSatN(mulSatN(4, out, ceilDiv(mulSat(in, f.Bits), 32)), 16)
			if f.Zero { // int32 packed along the output: [⌈out·bits/32⌉, groups]
				b = addSat(b, mulSatN(4, ceilDiv(mulSat(scaleRows, f.Bits), 32), scaleCols))
			}
		} else {
			b = ceilDiv(mulSat(n, f.Bits), 8)
			if f.Zero {
				b = addSat(b, scales) // int8 zero points
			}
		}
		b = addSat(b, mulSat(f.ScaleBytes, scales))
		if f.GIdx {
			b = addSat(b, mulSat(4, in))
		}
		if f.InputScale {
			b = addSat(b, f.ScaleBytes)
		}
		return b
	case BitsAndBytes:
		if f.Bits == 8 {
			return addSat(n, mulSat(4, out)) // int8 codes, SCB fp32 per row
		}
		blocks := ceilDiv(n, 64)
		b := addSatN(ceilDiv(n, 2), 64, f.bnbQuantState(out, in)) // codes, quant_map, quant state
		if f.DoubleQuant {
			b = addSatN(b, blocks, mulSat(4, ceilDiv(blocks, 256)), 1024)
		} else {
			b = addSat(b, mulSat(4, blocks))
		}
		return b
	}
	return mulSat(n, 2)
}

// Checkpoint is how a checkpoint stores its weights: Linear gives the
// format of each tensor class's linear matrices (absent: not quantized);
// everything else (embeddings, norms, biases, unquantized matrices) is in
// Base.
type Checkpoint struct {
	Base   DType
	Linear map[TensorClass]LinearFormat
	// Skip lists matrices left unquantized although their class is in
	// Linear: a class in one layer, or in every layer with Layer -1.
	Skip map[ClassLayer]bool
}

// ClassLayer names a tensor class in one decoder layer (-1: all of them).
type ClassLayer struct {
	Class TensorClass
	Layer int
}

// Stored is a checkpoint's exact storage per tensor class, with the
// parameter counts it was computed for, so that any share of a class (one
// rank's, one stage's) is charged the same bytes per parameter.
type Stored struct {
	Bytes  ClassCounts
	Params ClassCounts
}

// StoredBytes is the bytes of each tensor class when m is stored as ck.
func (m *Model) StoredBytes(ck Checkpoint) Stored {
	t := m.tallyRange(1, 0, len(m.Layers), true, true)
	var s Stored
	s.Params = t.counts
	var quantized ClassCounts
	for _, mx := range m.Matrices() {
		f, ok := ck.Linear[mx.Class]
		if !ok || ck.Skip[ClassLayer{mx.Class, -1}] || (mx.Layer >= 0 && ck.Skip[ClassLayer{mx.Class, mx.Layer}]) {
			continue
		}
		quantized[mx.Class] = addSat(quantized[mx.Class], mulSatN(mx.Count, mx.Out, mx.In))
		s.Bytes[mx.Class] = addSat(s.Bytes[mx.Class], mulSat(mx.Count, f.Bytes(mx.Out, mx.In)))
	}
	for c := range s.Bytes {
		s.Bytes[c] = addSat(s.Bytes[c], ck.Base.Bytes(t.counts[c]-quantized[c]))
	}
	return s
}

// share is ⌈bytes × part ÷ whole⌉ without overflow: the bytes of part of
// whole parameters stored at bytes per whole. It saturates at MaxInt64.
func share(bytes, part, whole int64) int64 {
	if bytes <= 0 || part <= 0 || whole <= 0 {
		return 0
	}
	if part == whole {
		return bytes
	}
	hi, lo := bits.Mul64(uint64(bytes), uint64(part))
	if hi >= uint64(whole) {
		return math.MaxInt64
	}
	q, r := bits.Div64(hi, lo, uint64(whole))
	if r != 0 {
		q++
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
