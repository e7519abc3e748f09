package pages

import (
	"fmt"
	"strings"

	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/units"
)

func (b *builder) fleetPage(fi int) Page {
	c := b.c
	set := c.Settings
	f := c.Fleets[fi]
	a, _ := c.Accelerator(f.Accelerator)
	pg := Page{Path: fleetPath(b.fleetSlugs[fi]), Title: f.Title}
	pg.Intro = strings.TrimSpace(f.Description + "\n\n" + fmt.Sprintf("%d × %s, %s. Each accelerator: %s nameplate, %s as the runtime reports it.",
		f.Count, a.Name, b.layoutRule(f), a.NameplateText, units.FormatGiB(a.RuntimeBytes)))
	var links Links
	if a.Source != "" {
		links = append(links, Link{Text: a.Name + " specifications", Href: a.Source, External: true})
	}
	links = append(links, Link{Text: "Spec file fleets.yaml", Href: "specs/fleets.yaml"}, Link{Text: "Spec file accelerators.yaml", Href: "specs/accelerators.yaml"})
	pg.Blocks = append(pg.Blocks, links)

	hm := charts.BandMap{ID: "concurrencyHeat", Title: "Max concurrent sequences on the whole fleet",
		Subtitle: "sequences (k = 1,000) of each context over all replicas; —: no layout; ✗: does not fit; limit: beyond the model's context limit",
		XName:    "context", YName: "model", X: tokenLabels(set.Contexts), Bands: concurrencyBands}
	header := []string{"Model", "Layout", "Model max ctx", "Weights/GPU (GiB)", "KV budget/GPU (GiB)", "Max ctx (batch 1)", fmt.Sprintf("Max ctx (batch %d)", set.ScenarioBatch)}
	keys := []string{"model", "layout", "model_max_context_tokens", "weights_bytes_per_gpu", "kv_budget_bytes_per_gpu", "max_context_tokens_batch_1", fmt.Sprintf("max_context_tokens_batch_%d", set.ScenarioBatch)}
	for _, ctx := range set.Contexts {
		header = append(header, "Seqs@"+units.FormatTokens(ctx))
		keys = append(keys, "max_concurrency_total_context_"+tokenKey(ctx))
	}
	keys = append(keys, "layout_tp", "layout_pp", "layout_replicas", "note")
	var tbl dataTable
	var misfits [][]string
	var misfitLinks []string
	for _, s := range b.studies {
		p := s.plans[fi]
		hm.Y = append(hm.Y, s.m.Name)
		// Links from a page under fleets/ to a model page.
		href := "../" + modelPath(s.slug)
		hm.YLinks = append(hm.YLinks, href)
		var r dataRow
		r.add(s.m.Name, s.m.Name)
		if p.err != nil {
			r.null("no layout", "no layout: "+b.publicError(p.err))
			if s.m.Arch.MaxContext > 0 {
				r.add(modelLimitText(s.m.Arch.MaxContext), s.m.Arch.MaxContext)
			} else {
				r.null("unknown", "the model states no context limit")
			}
			cells := make([]charts.BandCell, len(set.Contexts))
			for range 4 {
				r.add("n/a", nil)
			}
			for j := range set.Contexts {
				r.add("n/a", nil)
				cells[j] = charts.BandCell{Band: seqNoLayout, Label: "—", Tooltip: "no layout: " + b.publicError(p.err), Href: href}
			}
			r.extra(nil)
			r.extra(nil)
			r.extra(nil)
			hm.Cells = append(hm.Cells, cells)
			tbl.append(&r)
			misfitLinks = append(misfitLinks, modelPath(s.slug))
			misfits = append(misfits, []string{s.m.Name, "no layout: " + b.publicError(p.err)})
			continue
		}
		pl, h := p.p, s.heads[fi]
		r.add(layoutText(pl.Fleet), layoutText(pl.Fleet))
		if s.m.Arch.MaxContext > 0 {
			r.add(modelLimitText(s.m.Arch.MaxContext), s.m.Arch.MaxContext)
		} else {
			r.null("unknown", "the model states no context limit")
		}
		r.add(gibText(h.weightsPerGPU()), h.weightsPerGPU())
		r.add(gibText(h.kvBudgetPerGPU()), h.kvBudgetPerGPU())
		r.addContext(h.maxContext(1), "", h.whyNot())
		r.addContext(h.maxContext(set.ScenarioBatch), "", h.whyNot())
		cells := make([]charts.BandCell, len(set.Contexts))
		for j, ctx := range set.Contexts {
			r.addConcurrencyTimes(h, ctx, pl.Fleet.Replicas(), "")
			cells[j] = concurrencyBand(h, ctx, s.m.Arch.ContextServable(ctx), pl.Fleet.Replicas(), href)
		}
		r.extra(pl.Fleet.TP)
		r.extra(pl.Fleet.PP)
		r.extra(pl.Fleet.Replicas())
		hm.Cells = append(hm.Cells, cells)
		tbl.append(&r)
		if !h.fits() && !h.simple {
			misfitLinks = append(misfitLinks, modelPath(s.slug))
			misfits = append(misfits, []string{s.m.Name, "at " + layoutText(pl.Fleet) + ": " + h.whyNot()})
		} else if !h.fits() {
			st := pl.Binding()
			need := st.WeightsBytes + st.ActivationBytes + st.RuntimeBytes
			misfitLinks = append(misfitLinks, modelPath(s.slug))
			misfits = append(misfits, []string{s.m.Name, fmt.Sprintf("at %s: weights %s + reserves %s = %s GiB per GPU exceeds %s GiB by %s GiB", layoutText(pl.Fleet),
				gibText(st.WeightsBytes), gibText(st.ActivationBytes+st.RuntimeBytes), gibText(need), gibText(st.CapacityBytes), gibText(need-st.CapacityBytes))})
		}
	}
	pg.Blocks = append(pg.Blocks, Text{Heading: "Concurrency", ID: "concurrency",
		Paragraphs: []string{"Each model uses the layout (Layout column) that holds the most sequences of the scenario context on this fleet. Max context is capped by the model's own limit (marked \"model limit\" where memory would hold more); contexts beyond a model's limit are not counted."}},
		Figure{Chart: hm, Height: rowsHeight(len(hm.Y)), MinWidth: bandMapMinWidth(len(hm.X)), Caption: "Click a model or a cell for the model's page. The table below has the exact counts."},
		Table{ID: "fleet-table", Caption: "Every model on " + f.Title + " (weights and budget per GPU; sequences over all replicas of its layout)", Header: header, Rows: tbl.rows, Raw: tbl.raw, Keys: keys, DataName: "fleet-" + b.fleetSlugs[fi], RowLinks: b.modelLinks()})
	if len(misfits) > 0 {
		pg.Blocks = append(pg.Blocks, Text{Heading: "Models that do not fit", ID: "misfits"},
			Table{ID: "misfit-table", Caption: "Weights and reserves alone exceed an accelerator", Header: []string{"Model", "Why"}, Rows: misfits, RowLinks: misfitLinks})
	} else {
		pg.Blocks = append(pg.Blocks, Text{Heading: "Models that do not fit", ID: "misfits", Paragraphs: []string{"Every model fits on this fleet."}})
	}
	pg.Blocks = append(pg.Blocks, Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions(), Text{Heading: "Formulas", ID: "formulas"}, formulas)
	return pg
}
