package spec

import (
	"path/filepath"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

const defaultSpecs = "../../specs"

// TestDefaultCatalog loads the shipped catalog and checks its breadth.
func TestDefaultCatalog(t *testing.T) {
	c, err := LoadCatalog(defaultSpecs)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Models) < 20 || len(c.Accelerators) < 15 || len(c.Fleets) < 6 {
		t.Errorf("catalog has %d models, %d accelerators, %d fleets; want at least 20, 15, 6", len(c.Models), len(c.Accelerators), len(c.Fleets))
	}
	// Every architecture feature the issue names is exercised by some model.
	has := map[string]bool{}
	for _, m := range c.Models {
		a := &m.Arch
		for _, l := range a.Layers {
			has[l.Kind.String()] = true
			switch {
			case l.Kind == analysis.FullAttention && l.Attn.KVHeads == l.Attn.Heads:
				has["mha"] = true
			case l.Kind == analysis.FullAttention && l.Attn.KVHeads == 1:
				has["mqa"] = true
			case l.Kind == analysis.FullAttention && l.Attn.KVHeads > 1:
				has["gqa"] = true
			}
			if l.FFN.Experts > 0 && l.FFN.SharedExperts > 0 {
				has["moe+shared"] = true
			}
			if l.FFN.Experts > 0 && l.FFN.SharedExperts == 0 {
				has["moe"] = true
			}
		}
		counts := a.LayerCounts()
		if counts[analysis.SlidingAttention] == len(a.Layers) {
			has["all-sliding"] = true
		}
		if counts[analysis.SlidingAttention] > 0 && counts[analysis.FullAttention] > 0 {
			has["interleaved"] = true
		}
		if a.Vision != nil {
			has["multimodal"] = true
		}
	}
	for _, f := range []string{"mha", "mqa", "gqa", "mla", "moe", "moe+shared", "all-sliding", "interleaved", "mamba", "linear", "multimodal"} {
		if !has[f] {
			t.Errorf("no catalog model exercises %s", f)
		}
	}
}

// knownDifferences are catalog models whose published count kvplot does
// not reproduce, with the reason. Empty: every published count matches.
var knownDifferences = map[string]string{}

// TestPublishedParamCounts checks kvplot's count against every published
// count in the catalog (params_published, with its params_source).
func TestPublishedParamCounts(t *testing.T) {
	c, err := LoadCatalog(defaultSpecs)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range c.Models {
		if m.ParamsPublished == 0 {
			continue
		}
		n++
		t.Run(m.Slug, func(t *testing.T) {
			got := m.Arch.Params().Total
			if reason, ok := knownDifferences[m.Slug]; ok {
				t.Skipf("known difference: %s", reason)
			}
			if got != m.ParamsPublished {
				t.Errorf("Params(%s).Total = %d, want %d (published, %s)", m.Slug, got, m.ParamsPublished, m.ParamsSource)
			}
		})
	}
	if n < 15 {
		t.Errorf("only %d catalog models state a published count", n)
	}
}

// TestSharedConfigsInCatalog makes sure the catalog's copies of the
// reference configs are the ones the official-count test reads.
func TestSharedConfigsInCatalog(t *testing.T) {
	for _, c := range officialConfigs {
		m, err := LoadModel(filepath.Join(defaultSpecs, "hf", c.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Arch.Params().Total; got != c.params {
			t.Errorf("specs/hf/%s: Params = %d, want %d", c.file, got, c.params)
		}
	}
}
