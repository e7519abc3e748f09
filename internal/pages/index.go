package pages

import (
	"fmt"
	"math"

	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/units"
)

func (b *builder) index() Page {
	c := b.c
	pg := Page{Path: "index.html", Title: "LLM memory: does it fit?"}
	pg.Intro = fmt.Sprintf("Parameters, weights and KV-cache memory of %d models on %d fleets, computed by kvplot from the reviewed specs. "+
		"Each model and fleet has its own page; every table is also available as CSV and JSON.", len(c.Models), len(c.Fleets))

	header := []string{"Model", "Params", "Active", "Weights (GiB)", "KV bytes/token"}
	ctxCols := []int64{1024, 8192, 32768, 131072}
	for _, ctx := range ctxCols {
		header = append(header, "KV@"+units.FormatTokens(ctx)+" (GiB)")
	}
	for _, f := range c.Fleets {
		header = append(header, "Max ctx "+f.Title)
	}
	var rows [][]string
	var raw [][]any
	for _, s := range b.studies {
		row := []string{s.m.Name, units.Group(s.params.Total), units.Group(s.params.Active),
			gibText(s.weight) + " " + s.sc.Weights.Default.Name, units.Group(s.m.Arch.KVBytesPerToken(s.sc.KV))}
		r := []any{s.m.Name, s.params.Total, s.params.Active, s.weight, s.m.Arch.KVBytesPerToken(s.sc.KV)}
		for _, ctx := range ctxCols {
			kv := s.m.Arch.KVBytes(s.sc.KV, ctx, 1)
			row = append(row, gibText(kv))
			r = append(r, kv)
		}
		for _, p := range s.plans {
			if p.err != nil {
				row, r = append(row, "n/a"), append(r, nil)
				continue
			}
			l := p.p.MaxContext(1)
			row, r = append(row, ctxLimitText(l)), append(r, ctxLimitRaw(l))
		}
		rows, raw = append(rows, row), append(raw, r)
	}
	pg.Blocks = append(pg.Blocks,
		Text{Heading: "Model comparison", ID: "models"},
		Table{ID: "model-table", Caption: "Models: parameters, weights, KV cache for one sequence (batch 1) and max context per fleet (batch 1). Weights and KV in GiB; raw bytes in the JSON.",
			Header: header, Rows: rows, Raw: raw, DataName: "models"},
	)

	// Heatmap: models × fleets → max context (K tokens, batch 1).
	hm := charts.HeatMap{ID: "maxContextHeat", Title: "Max context per sequence (batch 1)", Subtitle: "thousands of tokens; grey: does not fit; capped at 1M for colour",
		XName: "fleet", YName: "model", Unit: "K tokens", Min: 0, Max: 1024}
	for _, f := range c.Fleets {
		hm.X = append(hm.X, f.Title)
	}
	for _, s := range b.studies {
		hm.Y = append(hm.Y, s.m.Name)
		var row []float64
		for _, p := range s.plans {
			row = append(row, ctxK(p, 1))
		}
		hm.Values = append(hm.Values, row)
	}
	topDown(&hm)
	pg.Blocks = append(pg.Blocks, Text{Heading: "Max context on each fleet", ID: "heatmap"}, Figure{Chart: hm, Height: rowsHeight(len(hm.Y)),
		Caption: "Longest context one sequence can have when the weights, reserves and its KV cache share each accelerator. Unbounded (all layers windowed or stateful) shows as 1M+."})

	bar := charts.Bar{ID: "kvPerToken", Title: "KV cache per token", Subtitle: c.Settings.KVDType.Name + ", all layers, short context",
		XName: "model", YName: "KV per token", YUnit: "KiB", Horizontal: true}
	vals := make([]float64, 0, len(b.studies))
	for _, s := range b.studies {
		bar.Categories = append(bar.Categories, s.m.Name)
		bar.CategoryColors = append(bar.CategoryColors, charts.ColorFor(s.m.Slug, b.modelKeys))
		vals = append(vals, math.Round(float64(s.m.Arch.KVBytesPerToken(s.sc.KV))/1024*100)/100)
	}
	bar.Series = []charts.Series{{Name: "KV per token", Values: vals}}
	pg.Blocks = append(pg.Blocks, Text{Heading: "KV cache per token", ID: "kv-per-token"}, Figure{Chart: bar, Height: rowsHeight(len(bar.Categories)),
		Caption: "What one more token of context costs across all layers, before any window is reached."})

	var links Links
	for _, s := range b.studies {
		links = append(links, Link{Text: s.m.Name, Href: modelPath(s.slug), Note: s.m.Description})
	}
	pg.Blocks = append(pg.Blocks, Text{Heading: "Models", ID: "model-pages"}, links)
	var flinks Links
	for i, f := range c.Fleets {
		a, _ := c.Accelerator(f.Accelerator)
		flinks = append(flinks, Link{Text: f.Title, Href: fleetPath(b.fleetSlugs[i]),
			Note: fmt.Sprintf("%d × %s (%s each as the runtime reports it), %s", f.Count, a.Name, units.FormatGiB(a.RuntimeBytes), b.layoutRule(f))})
	}
	pg.Blocks = append(pg.Blocks, Text{Heading: "Fleets", ID: "fleet-pages"}, flinks,
		Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions())
	if c.Settings.File != "" {
		pg.Blocks = append(pg.Blocks, Links{{Text: "Spec file site.yaml", Href: "specs/site.yaml", Note: "the scenario, grids and overhead policy above"}})
	}
	pg.Blocks = append(pg.Blocks, Text{Heading: "Formulas", ID: "formulas"}, formulas)
	return pg
}
