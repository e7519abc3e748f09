package analysis

import "math"

// Saturating arithmetic. Counts and byte sizes are non-negative int64s;
// a result too large for int64 becomes math.MaxInt64, and MaxInt64 stays
// MaxInt64 through every later product, sum and division (ceilDiv,
// divSat), so a saturated figure is never divided back into a plausible
// wrong one. Callers (spec, cmd) refuse a saturated figure instead of
// printing it. mulSat, addSat and ceilDiv live beside DType.Bytes.

// mulSatN is the product of non-negative counts, saturating.
func mulSatN(xs ...int64) int64 {
	p := int64(1)
	for _, x := range xs {
		p = mulSat(p, x)
	}
	return p
}

// addSatN is the sum of non-negative counts, saturating.
func addSatN(xs ...int64) int64 {
	var s int64
	for _, x := range xs {
		s = addSat(s, x)
	}
	return s
}

// subSat is a − b for a budget a and a non-negative cost b, saturating at
// math.MinInt64 instead of wrapping.
func subSat(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}

// divSat is ⌊a/b⌋ for non-negative a and positive b, keeping a saturated a
// saturated.
func divSat(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	if a == math.MaxInt64 {
		return math.MaxInt64
	}
	return a / b
}

// Exported for the engine emulations, which must saturate exactly as the
// memory model does.

// CeilDiv is ⌈a/b⌉ for non-negative a and positive b; a saturated a stays saturated.
func CeilDiv(a, b int64) int64 { return ceilDiv(a, b) }

// MulSat multiplies non-negative counts, saturating at MaxInt64.
func MulSat(a, b int64) int64 { return mulSat(a, b) }

// AddSat adds non-negative counts, saturating at MaxInt64.
func AddSat(a, b int64) int64 { return addSat(a, b) }

// MulSatN is the product of non-negative counts, saturating.
func MulSatN(xs ...int64) int64 { return mulSatN(xs...) }

// AddSatN is the sum of non-negative counts, saturating.
func AddSatN(xs ...int64) int64 { return addSatN(xs...) }

// SubSat is a − b for a budget a and a non-negative cost b, saturating at MinInt64.
func SubSat(a, b int64) int64 { return subSat(a, b) }

// DivSat is ⌊a/b⌋ for non-negative a and positive b, keeping a saturated a saturated.
func DivSat(a, b int64) int64 { return divSat(a, b) }
