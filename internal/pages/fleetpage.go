package pages

import (
	"fmt"
	"math"
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

	hm := charts.HeatMap{ID: "concurrencyHeat", Title: "Max concurrent sequences per replica", Subtitle: "grey: does not fit, or beyond the model's context limit",
		XName: "context", YName: "model", Unit: "sequences", X: tokenLabels(set.Contexts)}
	header := []string{"Model", "Layout", "Model max ctx", "Weights/GPU (GiB)", "KV budget/GPU (GiB)", "Max ctx (batch 1)", fmt.Sprintf("Max ctx (batch %d)", set.ScenarioBatch)}
	for _, ctx := range set.Contexts {
		header = append(header, "Seqs@"+units.FormatTokens(ctx))
	}
	var rows [][]string
	var raw [][]any
	var misfits [][]string
	for _, s := range b.studies {
		p := s.plans[fi]
		hm.Y = append(hm.Y, s.m.Name)
		if p.err != nil {
			row := []string{s.m.Name, "no layout", modelLimitText(s.m.Arch.MaxContext), "n/a", "n/a", "n/a", "n/a"}
			r := []any{s.m.Name, nil, modelLimitRaw(s.m.Arch.MaxContext), nil, nil, nil, nil}
			vals := make([]float64, len(set.Contexts))
			for j := range set.Contexts {
				row, r = append(row, "n/a"), append(r, nil)
				vals[j] = math.NaN()
			}
			hm.Values = append(hm.Values, vals)
			rows, raw = append(rows, row), append(raw, r)
			misfits = append(misfits, []string{s.m.Name, "no layout: " + p.err.Error()})
			continue
		}
		pl := p.p
		l1, lb := pl.MaxContext(1), pl.MaxContext(set.ScenarioBatch)
		row := []string{s.m.Name, layoutText(pl.Fleet), modelLimitText(s.m.Arch.MaxContext), gibText(pl.WeightsBytesPerGPU()), gibText(pl.KVBudgetBytesPerGPU()), ctxLimitText(l1), ctxLimitText(lb)}
		r := []any{s.m.Name, layoutText(pl.Fleet), modelLimitRaw(s.m.Arch.MaxContext), pl.WeightsBytesPerGPU(), pl.KVBudgetBytesPerGPU(), ctxLimitRaw(l1), ctxLimitRaw(lb)}
		vals := make([]float64, len(set.Contexts))
		for j, ctx := range set.Contexts {
			if !s.m.Arch.ContextServable(ctx) {
				row, r = append(row, "beyond model limit"), append(r, nil)
				vals[j] = math.NaN()
				continue
			}
			n := pl.MaxConcurrency(ctx)
			row, r = append(row, units.Group(n)), append(r, n)
			vals[j] = float64(n)
			if n == 0 {
				vals[j] = math.NaN()
			}
		}
		hm.Values = append(hm.Values, vals)
		rows, raw = append(rows, row), append(raw, r)
		if !pl.Fits() {
			st := pl.Binding()
			need := st.WeightsBytes + st.ActivationBytes + st.RuntimeBytes
			misfits = append(misfits, []string{s.m.Name, fmt.Sprintf("weights %s + reserves %s = %s GiB per GPU exceeds %s GiB by %s GiB",
				gibText(st.WeightsBytes), gibText(st.ActivationBytes+st.RuntimeBytes), gibText(need), gibText(st.CapacityBytes), gibText(need-st.CapacityBytes))})
		}
	}
	hm.Max = percentile(hm.Values, 0.9)
	topDown(&hm)
	pg.Blocks = append(pg.Blocks, Text{Heading: "Concurrency", ID: "concurrency",
		Paragraphs: []string{"Each model uses the layout (Layout column) that holds the most sequences of the scenario context on this fleet. Max context is capped by the model's own limit (marked \"model limit\" where memory would hold more); contexts beyond a model's limit are not counted."}},
		Figure{Chart: hm, Height: rowsHeight(len(hm.Y)), Caption: "Colours saturate at the 90th percentile so that small counts stay distinguishable; tooltips show exact counts."},
		Table{ID: "fleet-table", Caption: "Every model on " + f.Title + " (per GPU; sequences per replica)", Header: header, Rows: rows, Raw: raw, DataName: "fleet-" + b.fleetSlugs[fi]})
	if len(misfits) > 0 {
		pg.Blocks = append(pg.Blocks, Text{Heading: "Models that do not fit", ID: "misfits"},
			Table{ID: "misfit-table", Caption: "Weights and reserves alone exceed an accelerator", Header: []string{"Model", "Why"}, Rows: misfits})
	} else {
		pg.Blocks = append(pg.Blocks, Text{Heading: "Models that do not fit", ID: "misfits", Paragraphs: []string{"Every model fits on this fleet."}})
	}
	pg.Blocks = append(pg.Blocks, Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions(), Text{Heading: "Formulas", ID: "formulas"}, formulas)
	return pg
}
