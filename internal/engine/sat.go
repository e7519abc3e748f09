package engine

import "math"

// Saturating integer helpers with the same semantics as internal/analysis's.

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

// mulSat multiplies non-negative counts, saturating at MaxInt64.
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
