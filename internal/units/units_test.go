package units

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"80 GB", 80_000_000_000},
		{"80GB", 80_000_000_000},
		{"79.19 GiB", 85_029_615_043}, // 79.19 × 2^30 = 85,029,615,042.56, rounded half up
		{"81559 MiB", 81559 << 20},
		{"81,559 MiB", 81559 << 20},
		{"1024 bytes", 1024},
		{"1 byte", 1},
		{"0.5 B", 1}, // half a byte rounds up
		{"0.4 B", 0},
		{"0 GB", 0},
		{"+2 KiB", 2048},
		{"1 EiB", -1}, // not a unit kvplot knows
		{"1024 PiB", 1 << 60},
	}
	for _, tc := range tests {
		got, err := ParseBytes(tc.in)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("ParseBytes(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseBytesErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"80 GBs", `"80 GBs": unknown unit "GBs" (did you mean "GB"?)`},
		{"80 gibs", `"80 gibs": unknown unit "gibs" (did you mean "GiB"?)`},
		{"80 G", `"80 G": unknown unit "G" (ambiguous: write GB for 10^n bytes or GiB for 2^n bytes)`},
		{"80 gigabytes", `"80 gigabytes": unknown unit "gigabytes" (did you mean "GB"?)`},
		{"8e10 B", `"8e10 B": unknown unit "e10 B" (write the number without an exponent, e.g. 80 GB)`},
		{"80 furlongs", `"80 furlongs": unknown unit "furlongs" (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`},
		{"80", `"80" has no unit: write e.g. 80 GB (10^9 bytes) or 80 GiB (2^30 bytes)`},
		{"", `"" is not a size: want a number and a unit such as 80 GB or 79.19 GiB`},
		{"GB", `"GB" is not a size: want a number and a unit such as 80 GB or 79.19 GiB`},
		{"NaN GB", `"NaN GB" is not a size`},
		{"Inf GB", `"Inf GB" is not a size`},
		{"-80 GB", `"-80 GB": size must not be negative`},
		{"2000 PB", `"2000 PB" is larger than 1 EiB`},
		{"99999999999999999999999999 TB", `is larger than 1 EiB`},
	}
	for _, tc := range tests {
		_, err := ParseBytes(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseBytes(%q) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestParseBandwidth(t *testing.T) {
	if got, err := ParseBandwidth("3.35 TB/s"); err != nil || got != 3_350_000_000_000 {
		t.Errorf("ParseBandwidth(3.35 TB/s) = %d, %v, want 3350000000000", got, err)
	}
	for _, in := range []string{"3.35 TB", "3.35 TBps", "fast/s", "-1 GB/s", "3 TBs/s"} {
		if got, err := ParseBandwidth(in); err == nil {
			t.Errorf("ParseBandwidth(%q) = %d, want an error", in, got)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{FormatGiB(85_029_615_043), "79.19 GiB"},
		{FormatBytes(512 << 10), "512.00 KiB"},
		{FormatBytes(1023), "1023 bytes"},
		{FormatBytes(-3 << 29), "-1.50 GiB"},
		{FormatBytes(1<<63 - 1), "8.00 EiB"},
		{Group(1234567), "1,234,567"},
		{Group(-1000), "-1,000"},
		{FormatTokens(131072), "128K"},
		{FormatTokens(1 << 20), "1M"},
		{FormatTokens(10_000_000), "10,000,000"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// FuzzParseBytes checks that sizes and bandwidths never panic, and that a
// parsed size is in [0, MaxBytes] and reads back the same in bytes.
func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"80 GB", "79.19 GiB", "81,559 MiB", "3.35 TB/s", "0 B", "1e9 B", "-1 GB", ".5 KiB", "1_000 MB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBytes(s)
		if err == nil {
			if b < 0 || b > MaxBytes {
				t.Fatalf("ParseBytes(%q) = %d, outside [0, %d]", s, b, MaxBytes)
			}
			back, err := ParseBytes(strconv.FormatInt(b, 10) + " B")
			if err != nil || back != b {
				t.Fatalf("ParseBytes(%q) = %d, but %d B reads back as %d, %v", s, b, b, back, err)
			}
		} else if err.Error() == "" {
			t.Fatalf("ParseBytes(%q): empty error", s)
		}
		bw, err := ParseBandwidth(s)
		if err == nil && (bw < 0 || bw > MaxBytes) {
			t.Fatalf("ParseBandwidth(%q) = %d, outside [0, %d]", s, bw, MaxBytes)
		}
		_ = FormatBytes(b)
		_ = FormatGiB(bw)
	})
}
