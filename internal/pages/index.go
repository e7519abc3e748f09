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

	header := []string{"Model", "Params", "Active", "Weights (GiB)", "Format", "KV bytes/token"}
	keys := []string{"model", "params_total", "params_active", "weights_bytes", "weight_dtype", "kv_bytes_per_token"}
	ctxCols := []int64{1024, 8192, 32768, 131072}
	for _, ctx := range ctxCols {
		header = append(header, "KV@"+units.FormatTokens(ctx)+" (GiB)")
		keys = append(keys, "kv_bytes_context_"+tokenKey(ctx))
	}
	for _, f := range c.Fleets {
		header = append(header, "Max ctx "+f.Title)
		keys = append(keys, "max_context_tokens_"+f.Name)
	}
	keys = append(keys, "note")
	var tbl dataTable
	for _, s := range b.studies {
		var r dataRow
		r.add(s.m.Name, s.m.Name)
		r.add(units.Group(s.params.Total), s.params.Total)
		r.add(units.Group(s.params.Active), s.params.Active)
		r.add(gibText(s.weight), s.weight)
		f := mainFormat(s.sc.Weights, s.params.ByClass)
		r.add(f, f)
		perTok := s.m.Arch.KVBytesPerToken(s.sc.KV)
		r.add(units.Group(perTok), perTok)
		for _, ctx := range ctxCols {
			kv := s.m.Arch.KVBytes(s.sc.KV, ctx, 1)
			r.add(gibText(kv), kv)
		}
		for i, p := range s.plans {
			where := c.Fleets[i].Name + ": "
			if p.err != nil {
				r.null("no layout", where+"no layout: "+p.err.Error())
				continue
			}
			h := s.heads[i]
			r.addContext(h.maxContext(1), where, h.whyNot())
		}
		tbl.append(&r)
	}
	pg.Blocks = append(pg.Blocks,
		Text{Heading: "Model comparison", ID: "models"},
		Table{ID: "model-table", Caption: "Models: parameters, weights, KV cache for one sequence (batch 1) and max context per fleet (batch 1, capped by the model's own limit). Weights and KV in GiB; bytes in the data files.",
			Header: header, Rows: tbl.rows, Raw: tbl.raw, Keys: keys, DataName: "models", RowLinks: b.modelLinks()},
	)

	// Models × fleets in bands of max context, the value in every cell.
	pg.Blocks = append(pg.Blocks, Text{Heading: "Max context on each fleet", ID: "heatmap"}, Figure{Chart: b.contextBandMap(), Height: rowsHeight(len(b.studies)),
		MinWidth: bandMapMinWidth(len(c.Fleets)),
		Caption:  "Longest context one sequence can have (batch 1) as the headline engine (" + b.prof.Name() + ") would budget each accelerator, in the layout kvplot chose, capped by the model's own limit. Click a model or a cell for the model's page, a fleet for the fleet's page."})

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
	pg.Blocks = append(pg.Blocks, b.speedIndex()...)
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
