package pages

import (
	"testing"

	"github.com/kvplot/kvplot/internal/spec"
)

// TestModelPageHasEverySection checks that each model page carries the
// charts and tables the site promises, and the index one row per model.
func TestModelPageHasEverySection(t *testing.T) {
	c, s := buildDefault(t)
	if got, want := len(s.Pages), 1+len(c.Models)+len(c.Fleets)+1; got != want {
		t.Fatalf("Build made %d pages, want %d (index, models, fleets, about)", got, want)
	}
	for _, b := range s.Pages[0].Blocks {
		if tb, ok := b.(Table); ok && tb.DataName == "models" && len(tb.Rows) != len(c.Models) {
			t.Errorf("index model table has %d rows, want %d", len(tb.Rows), len(c.Models))
		}
	}
	wantCharts := []string{"kvGrowth", "memPerGPU", "memHeat", "kvDTypes", "engineTokens", "engineCapacity"}
	wantTables := []string{"facts", "fit", "smallest", "engine-table", "dtype-table", "max-context", "max-concurrency", "per-token", "growth-table"}
	for _, pg := range s.Pages[1 : 1+len(c.Models)] {
		charts, tables := map[string]bool{}, map[string]bool{}
		for _, b := range pg.Blocks {
			switch v := b.(type) {
			case Figure:
				charts[v.Chart.ChartID()] = true
			case Table:
				tables[v.ID] = true
			}
		}
		for _, id := range wantCharts {
			if !charts[id] {
				t.Errorf("%s: no chart %s", pg.Path, id)
			}
		}
		for _, id := range wantTables {
			if !tables[id] {
				t.Errorf("%s: no table %s", pg.Path, id)
			}
		}
	}
}

// TestFitTableNamesTheCheapestChange: Llama 3.1 70B in bf16 does not fit
// one H100 at the default scenario; int4 weights are the cheapest fix.
func TestFitTableNamesTheCheapestChange(t *testing.T) {
	_, s := buildDefault(t)
	for _, pg := range s.Pages {
		if pg.Path != "models/llama-3-1-70b.html" {
			continue
		}
		for _, b := range pg.Blocks {
			if tb, ok := b.(Table); ok && tb.ID == "fit-changes" {
				for _, r := range tb.Rows {
					if r[0] == "1× H100 SXM" {
						if r[2] != "int4 weights" {
							t.Errorf("cheapest change on 1× H100 = %q, want int4 weights", r[2])
						}
						return
					}
				}
			}
		}
	}
	t.Error("no fit-changes row for Llama 3.1 70B on 1× H100")
}

// buildDefault lays out the default catalog's site.
func buildDefault(t *testing.T) (*spec.Catalog, Site) {
	t.Helper()
	c, err := spec.LoadCatalog("../../specs")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Build(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}
