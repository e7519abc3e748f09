package checkpoint

import (
	"github.com/kvplot/kvplot/internal/analysis"
)

// ClassComparison is one tensor class's bytes in the checkpoint beside the
// bytes kvplot derives from the config.
type ClassComparison struct {
	Class           analysis.TensorClass
	CheckpointBytes int64
	ConfigBytes     int64
	// DifferenceBytes is CheckpointBytes − ConfigBytes.
	DifferenceBytes int64
	Tensors         int
	DTypes          []DTypeBytes
	// Reason names a known cause of the difference, "" when there is none
	// or kvplot knows of none. Skipped is set when that cause does not
	// change what an engine loads (a tied head's stored copy).
	Reason  string
	Skipped bool
}

// Comparison is a checkpoint's loaded bytes beside the config-derived
// bytes, class by class.
type Comparison struct {
	Classes []ClassComparison // every class, in analysis.TensorClasses order
	// CheckpointBytes is the loaded tensors' (classified, not skipped);
	// ConfigBytes the whole model's in the weight scheme.
	CheckpointBytes int64
	ConfigBytes     int64
	DifferenceBytes int64
}

// Mismatched lists the classes whose bytes differ in a way that changes
// what an engine loads: every difference but a skipped copy.
func (c Comparison) Mismatched() []ClassComparison {
	var out []ClassComparison
	for _, cc := range c.Classes {
		if cc.DifferenceBytes != 0 && !cc.Skipped {
			out = append(out, cc)
		}
	}
	return out
}

// Compare sets a checkpoint's bytes per class beside model m's stored in
// weight scheme w (which already carries a quantized checkpoint's exact
// storage when its config says how it is quantized).
func Compare(s Summary, m *analysis.Model, w analysis.WeightScheme) Comparison {
	var cmp Comparison
	params := m.Params().ByClass
	for _, c := range analysis.TensorClasses() {
		var one analysis.ClassCounts
		one[c] = params[c]
		cb := ClassComparison{Class: c, ConfigBytes: w.Bytes(one)}
		if int(c) < len(s.ByClass) {
			cb.CheckpointBytes, cb.Tensors, cb.DTypes = s.ByClass[c].Bytes, s.ByClass[c].Tensors, s.ByClass[c].DTypes
		}
		cb.DifferenceBytes = cb.CheckpointBytes - cb.ConfigBytes
		if cb.DifferenceBytes != 0 {
			cb.Reason, cb.Skipped = reason(cb, m)
		}
		cmp.CheckpointBytes += cb.CheckpointBytes
		cmp.ConfigBytes += cb.ConfigBytes
		cmp.Classes = append(cmp.Classes, cb)
	}
	cmp.DifferenceBytes = cmp.CheckpointBytes - cmp.ConfigBytes
	return cmp
}

// reason names a known cause of a class's difference, and whether engines
// skip the stored bytes it explains.
func reason(cb ClassComparison, m *analysis.Model) (string, bool) {
	switch {
	case cb.Class == analysis.LMHead && m.TiedEmbedding && cb.ConfigBytes == 0 && cb.CheckpointBytes > 0:
		return "the config ties lm_head to the embeddings (tie_word_embeddings), yet the checkpoint stores a copy: engines that tie use the embeddings and skip it", true
	case cb.Class == analysis.VisionWeights && m.Vision == nil && cb.CheckpointBytes > 0:
		return "the checkpoint has a vision encoder the config does not describe (kvplot counts none)", false
	case cb.Class == analysis.LMHead && !m.TiedEmbedding && cb.CheckpointBytes == 0:
		return "the config unties lm_head, yet the checkpoint stores none: check tie_word_embeddings", false
	}
	return "", false
}
