package spec

import (
	"path/filepath"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// TestClassCountsAddUp: for every config kvplot reads (the catalog and the
// published family configs), the per-class counts add up to the total, no
// class is negative, and every class the architecture says exists holds
// parameters: attention where there are attention layers, experts where
// there are experts, a vision class where there is a tower.
func TestClassCountsAddUp(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(familyDir, "*.config.json"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "specs", "hf", "*.config.json"))
	files = append(files, more...)
	if len(files) < 60 {
		t.Fatalf("found %d configs, want at least 60", len(files))
	}
	read := 0
	for _, cfg := range files {
		m, err := LoadModelAs(cfg, ReadOptions{WeightsGiven: true})
		if err != nil {
			continue // refused configs are TestFamilyPublishedCounts' business
		}
		read++
		p := m.Arch.Params()
		var sum int64
		for c, n := range p.ByClass {
			if n < 0 {
				t.Errorf("%s: class %s has %d parameters", cfg, analysis.TensorClass(c), n)
			}
			sum += n
		}
		if sum != p.Total || p.Total <= 0 || p.Active <= 0 || p.Active > p.Total {
			t.Errorf("%s: classes sum to %d, total %d, active %d", cfg, sum, p.Total, p.Active)
		}
		need := map[analysis.TensorClass]bool{analysis.Embeddings: true, analysis.NormWeights: true}
		for _, l := range m.Arch.Layers {
			switch l.Kind {
			case analysis.FullAttention, analysis.SlidingAttention, analysis.ChunkedAttention, analysis.MLAAttention:
				need[analysis.AttentionWeights] = true
			case analysis.MambaMixer, analysis.LinearAttention:
				need[analysis.StateMixerWeights] = true
			}
			if l.FFN.Experts > 0 {
				need[analysis.ExpertWeights], need[analysis.RouterWeights] = true, true
			}
			if l.FFN.Intermediate > 0 {
				need[analysis.MLPWeights] = true
			}
		}
		if m.Arch.Vision != nil {
			need[analysis.VisionWeights] = true
		}
		if !m.Arch.TiedEmbedding {
			need[analysis.LMHead] = true
		}
		for c := range need {
			if p.ByClass[c] == 0 {
				t.Errorf("%s: the architecture has %s, but the class counts 0", cfg, c)
			}
		}
		if msg := unsized(&m.Arch); msg != "" {
			t.Errorf("%s: %s", cfg, msg)
		}
	}
	if read < 50 {
		t.Errorf("read %d configs, want at least 50", read)
	}
}

// TestUnsizedPartsRefused: an architecture with a part that counts nothing
// is refused, not printed (a Mamba layer without its sizes, say).
func TestUnsizedPartsRefused(t *testing.T) {
	a := analysis.Model{VocabSize: 100, Hidden: 64, NormsPerLayer: 2, Layers: []analysis.Layer{
		{Kind: analysis.FullAttention, Attn: analysis.Attention{Heads: 4, KVHeads: 4, HeadDim: 16, VHeadDim: 16}},
		{Kind: analysis.MambaMixer},
	}}
	if msg := unsized(&a); msg != "layer 1 (mamba mixer) counts no mixer parameters" {
		t.Errorf("unsized = %q, want layer 1 named", msg)
	}
	a.Layers = a.Layers[:1]
	if msg := unsized(&a); msg != "" {
		t.Errorf("unsized(attention only) = %q, want empty", msg)
	}
}
