// Package units parses and prints byte sizes and bandwidths with explicit
// units: GB is 10^9 bytes, GiB is 2^30 bytes, and the two are never mixed up.
package units

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

var byteUnits = map[string]*big.Int{
	"b": big.NewInt(1), "byte": big.NewInt(1), "bytes": big.NewInt(1),
	"kb": pow(10, 3), "mb": pow(10, 6), "gb": pow(10, 9), "tb": pow(10, 12), "pb": pow(10, 15),
	"kib": pow(2, 10), "mib": pow(2, 20), "gib": pow(2, 30), "tib": pow(2, 40), "pib": pow(2, 50),
}

func pow(b, e int64) *big.Int { return new(big.Int).Exp(big.NewInt(b), big.NewInt(e), nil) }

// MaxBytes bounds parsed sizes: 1 EiB, far beyond any accelerator.
const MaxBytes = int64(1) << 60

// ParseBytes reads a size such as "80 GB", "79.19GiB", "81559 MiB" or
// "1024 bytes". A unit is required. The result is rounded to the nearest
// byte; it fails on negative, non-finite or absurd (> 1 EiB) sizes.
func ParseBytes(s string) (int64, error) {
	num, unit := splitNumber(strings.TrimSpace(s))
	if num == "" {
		return 0, fmt.Errorf("%q is not a size: want a number and a unit such as 80 GB or 79.19 GiB", s)
	}
	mult, ok := byteUnits[strings.ToLower(unit)]
	if !ok {
		if unit == "" {
			return 0, fmt.Errorf("%q has no unit: write e.g. %s GB (10^9 bytes) or %s GiB (2^30 bytes)", s, num, num)
		}
		return 0, fmt.Errorf("%q: unknown unit %q%s", s, unit, unitHint(unit))
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%q is not a size: bad number %q", s, num)
	}
	if r.Sign() < 0 {
		return 0, fmt.Errorf("%q: size must not be negative", s)
	}
	r.Mul(r, new(big.Rat).SetInt(mult))
	// round half up
	q := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(r.Num(), big.NewInt(2)), r.Denom()), new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	if !q.IsInt64() || q.Int64() > MaxBytes {
		return 0, fmt.Errorf("%q is larger than 1 EiB", s)
	}
	return q.Int64(), nil
}

// unitHint suggests the unit meant by an unknown one.
func unitHint(unit string) string {
	l := strings.ToLower(unit)
	switch {
	case len(l) == 1 && strings.Contains("kmgtp", l):
		u := strings.ToUpper(l)
		return fmt.Sprintf(" (ambiguous: write %sB for 10^n bytes or %siB for 2^n bytes)", u, u)
	case strings.HasPrefix(l, "e") && len(l) > 1 && l[1] >= '0' && l[1] <= '9' || strings.HasPrefix(l, "e+") || strings.HasPrefix(l, "e-"):
		return " (write the number without an exponent, e.g. 80 GB)"
	}
	if t, ok := strings.CutSuffix(l, "s"); ok {
		if _, known := byteUnits[t]; known {
			return fmt.Sprintf(" (did you mean %q?)", canonicalUnit(t))
		}
	}
	for _, w := range []struct{ prefix, unit string }{
		{"kilo", "KB"}, {"mega", "MB"}, {"giga", "GB"}, {"tera", "TB"}, {"peta", "PB"},
		{"kibi", "KiB"}, {"mebi", "MiB"}, {"gibi", "GiB"}, {"tebi", "TiB"}, {"pebi", "PiB"},
	} {
		if strings.HasPrefix(l, w.prefix) {
			return fmt.Sprintf(" (did you mean %q?)", w.unit)
		}
	}
	return " (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
}

// canonicalUnit spells a known unit (lowercase) as kvplot writes it.
func canonicalUnit(l string) string {
	switch {
	case l == "b" || l == "byte" || l == "bytes":
		return "B"
	case strings.HasSuffix(l, "ib"):
		return strings.ToUpper(l[:1]) + "iB"
	}
	return strings.ToUpper(l)
}

// splitNumber splits a leading decimal number (digits, one dot, optional
// sign) from the rest, trimming the space between them.
func splitNumber(s string) (num, rest string) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits, dot := 0, false
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && !dot {
			dot = true
		} else if c == '_' || c == ',' {
			// thousands separators are allowed in sizes such as 81,559 MiB
			if digits == 0 {
				break
			}
		} else {
			break
		}
		i++
	}
	if digits == 0 {
		return "", s
	}
	num = strings.NewReplacer("_", "", ",", "").Replace(s[:i])
	return num, strings.TrimSpace(s[i:])
}

// ParseBandwidth reads a rate such as "3.35 TB/s" or "900 GB/s" into bytes per second.
func ParseBandwidth(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if !strings.HasSuffix(t, "/s") {
		return 0, fmt.Errorf("%q is not a bandwidth: want e.g. 3.35 TB/s", s)
	}
	b, err := ParseBytes(strings.TrimSuffix(t, "/s"))
	if err != nil {
		return 0, fmt.Errorf("%q is not a bandwidth: %v", s, err)
	}
	return b, nil
}

// GiB converts bytes to gibibytes (2^30 bytes).
func GiB(b int64) float64 { return float64(b) / (1 << 30) }

// FormatGiB prints bytes as GiB with two decimals, e.g. "74.50 GiB".
func FormatGiB(b int64) string { return strconv.FormatFloat(GiB(b), 'f', 2, 64) + " GiB" }

// FormatBytes prints a size in the largest binary unit that keeps it at
// least 1, with two decimals: "512.00 KiB", "1.50 GiB". Negative sizes keep their sign.
func FormatBytes(b int64) string {
	neg := b < 0
	v := math.Abs(float64(b))
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strconv.FormatFloat(v, 'f', 2, 64) + " " + units[i]
	if i == 0 {
		s = strconv.FormatInt(int64(v), 10) + " bytes"
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Group prints an integer with thousands separators: 1234567 → "1,234,567".
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatTokens prints a token count compactly in binary thousands when
// exact: 1024 → "1K", 131072 → "128K", 1048576 → "1M"; otherwise grouped digits.
func FormatTokens(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "K"
	}
	return Group(n)
}
