package pages

import (
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// TestMainFormat: the index names a quantized checkpoint by the format of
// its largest class, not by its bf16 base.
func TestMainFormat(t *testing.T) {
	bf16, _ := analysis.LookupDType("bf16")
	mx := analysis.LinearFormat{Method: analysis.MXFP4, Bits: 4}
	var counts analysis.ClassCounts
	counts[analysis.ExpertWeights], counts[analysis.AttentionWeights], counts[analysis.NormWeights] = 100, 10, 1
	for _, tc := range []struct {
		w    analysis.WeightScheme
		want string
	}{
		{analysis.WeightScheme{Default: bf16}, "bf16"},
		{analysis.WeightScheme{Default: bf16, Formats: map[analysis.TensorClass]analysis.LinearFormat{analysis.ExpertWeights: mx}}, "mxfp4 (mixed)"},
	} {
		if got := mainFormat(tc.w, counts); got != tc.want {
			t.Errorf("mainFormat = %q, want %q", got, tc.want)
		}
	}
}
