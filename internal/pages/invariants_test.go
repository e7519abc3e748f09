package pages

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/spec"
)

// gibCell reads a GiB figure printed with two decimals.
func gibCell(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		t.Fatalf("not a GiB figure: %q", s)
	}
	return v
}

// modelPage returns the blocks of a model page.
func modelPage(t *testing.T, s Site, path string) []Block {
	t.Helper()
	for _, pg := range s.Pages {
		if pg.Path == path {
			return pg.Blocks
		}
	}
	t.Fatalf("no page %s", path)
	return nil
}

// On every model page's fit table the parts add up: capacity − weights −
// KV cache − reserves is the free memory the verdict states (or minus the
// shortfall), to the table's rounding. The seed catalog reserves twice the
// weights for activations, the default catalog a runtime share.
func TestFitTableSumsToCapacity(t *testing.T) {
	for _, dir := range []string{"../../specs", "../../specs/seed"} {
		t.Run(dir, func(t *testing.T) { fitTableSums(t, dir) })
	}
}

func fitTableSums(t *testing.T, dir string) {
	c, err := spec.LoadCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Build(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, pg := range s.Pages {
		for _, b := range pg.Blocks {
			tb, ok := b.(Table)
			if !ok || tb.ID != "fit" {
				continue
			}
			for _, r := range tb.Rows {
				if strings.HasPrefix(r[1], "n/a") {
					continue
				}
				capacity, weights, kv, reserves := gibCell(t, r[2]), gibCell(t, r[3]), gibCell(t, r[4]), gibCell(t, r[5])
				var free float64
				if v, ok := strings.CutPrefix(r[1], "fits, "); ok {
					free = gibCell(t, strings.TrimSuffix(v, " GiB free"))
				} else if v, ok := strings.CutPrefix(r[1], "does not fit: short by "); ok {
					free = -gibCell(t, strings.TrimSuffix(v, " GiB"))
				} else {
					t.Fatalf("%s: verdict %q", pg.Path, r[1])
				}
				if d := capacity - weights - kv - reserves - free; math.Abs(d) > 0.025 {
					t.Errorf("%s, %s: %.2f − %.2f − %.2f − %.2f = %.2f GiB, but the verdict says %.2f", pg.Path, r[0], capacity, weights, kv, reserves, capacity-weights-kv-reserves, free)
				}
				checked++
			}
		}
	}
	if checked < len(c.Models) {
		t.Errorf("checked %d fit rows, want every model × fleet", checked)
	}
}

// The KV-growth chart's budget line for a fleet is its per-GPU KV budget
// scaled to the whole model, by the share of the cache one GPU holds. Llama
// 3 8B caches 131,072 bytes a token (32 layers × 8 KV heads × 128 × 2 × 2
// bytes), so at the scenario the whole cache is known; the fit table gives
// one GPU's part of it, whatever layout the fleet uses. The chart draws a
// handful of fleets' lines (at most four), the smallest fleet that fits
// among them.
func TestBudgetLineScaledToWholeModel(t *testing.T) {
	c, s := buildDefault(t)
	whole := float64(131072*c.Settings.ScenarioContext*c.Settings.ScenarioBatch) / (1 << 30)
	blocks := modelPage(t, s, "models/llama-3-8b.html")
	type row struct{ budget, kvPerGPU float64 }
	rows := map[string]row{}
	marks := map[string]float64{}
	for _, b := range blocks {
		switch v := b.(type) {
		case Table:
			if v.ID == "fit" {
				for _, r := range v.Rows {
					if strings.HasPrefix(r[1], "fits") {
						rows[r[0]] = row{gibCell(t, r[6]), gibCell(t, r[4])}
					}
				}
			}
		case Figure:
			if l, ok := v.Chart.(charts.Line); ok && l.ID == "kvGrowth" {
				if n := len(l.MarkLines); n < 2 || n > 4 {
					t.Errorf("%d budget lines, want a handful (2 to 4)", n)
				}
				smallest := 0
				for _, m := range l.MarkLines {
					name, ok := strings.CutSuffix(m.Name, " (smallest that fits)")
					if ok {
						smallest++
					}
					marks[name] = m.Value
				}
				if smallest != 1 {
					t.Errorf("%d lines marked as the smallest fleet that fits, want 1", smallest)
				}
			}
		}
	}
	split, checked := 0, 0
	for _, f := range c.Fleets {
		r, ok := rows[f.Title]
		if !ok || r.kvPerGPU < 0.1 {
			continue
		}
		share := whole / r.kvPerGPU // GPUs one copy of the cache is spread over
		want := r.budget * share
		got, ok := marks[f.Title]
		if !ok {
			continue // not one of the few lines drawn
		}
		checked++
		if math.Abs(got-want) > 0.02*want+0.01 {
			t.Errorf("budget line for %s = %.2f GiB, want %.2f GiB per GPU × %.2f = %.2f", f.Title, got, r.budget, share, want)
		}
		if share > 1.5 {
			split++
		}
	}
	if checked < 2 {
		t.Errorf("checked %d budget lines, want at least 2", checked)
	}
	if split == 0 {
		t.Error("no drawn line is of a fleet that splits the cache; the test needs one")
	}
}

// "Published" labels only a count the maker published; a count others
// made from the same config says so.
func TestParameterCountLabels(t *testing.T) {
	c, s := buildDefault(t)
	for _, m := range c.Models {
		if m.ParamsPublished == 0 {
			continue
		}
		var label string
		for _, b := range modelPage(t, s, "models/"+strings.ReplaceAll(m.Slug, ".", "-")+".html") {
			if tb, ok := b.(Table); ok && tb.ID == "facts" {
				for _, r := range tb.Rows {
					if strings.HasPrefix(r[0], "Parameters (") && r[0] != "Parameters (kvplot)" {
						label = r[0]
					}
				}
			}
		}
		switch {
		case label == "":
			t.Errorf("%s: no row for its stated count", m.Slug)
		case m.ParamsCounted && (strings.Contains(label, "(published)") || !strings.Contains(label, "same config")):
			t.Errorf("%s: a count from the same config is labelled %q", m.Slug, label)
		case !m.ParamsCounted && label != "Parameters (published)":
			t.Errorf("%s: the maker's count is labelled %q", m.Slug, label)
		}
	}
}
