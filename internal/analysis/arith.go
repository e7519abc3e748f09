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
