package diff

import (
	"fmt"
	"math"

	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/pages"
	"github.com/kvplot/kvplot/internal/units"
)

// PagePath is the diff page's path in its output directory.
const PagePath = "diff.html"

// chartMoves bounds the bars of a change chart; the tables list all.
const chartMoves = 20

// Page lays the report out as one page: the summary, where the numbers
// come from, the flips, the spec changes field by field, and the moves of
// max context and max concurrency as charts and tables. It links nowhere
// but to its own sections and to absolute URLs, so that it works as a
// single file.
func (r *Report) Page() pages.Page {
	pg := pages.Page{Path: PagePath, Title: "What the spec change does", Intro: r.Summary}
	pg.Blocks = append(pg.Blocks, pages.Text{Heading: "Where these numbers come from", ID: "provenance", Paragraphs: []string{
		fmt.Sprintf("Computed by %s.", r.Kvplot),
		fmt.Sprintf("Base: specs %s (%d files, %s); %d models, %d fleets. Settings: %s.", r.Base.Specs.Short(), r.Base.Specs.Files, r.Base.Specs.Hash, r.Base.Models, r.Base.Fleets, r.Base.Settings),
		fmt.Sprintf("Head: specs %s (%d files, %s); %d models, %d fleets. Settings: %s.", r.Head.Specs.Short(), r.Head.Specs.Files, r.Head.Specs.Hash, r.Head.Models, r.Head.Fleets, r.Head.Settings),
		"A model fits a fleet when its weights and reserves leave room for a cache; it has no layout when the fleet cannot split it (for example a tensor-parallel degree that does not divide its attention heads). Max context is one sequence's (batch 1); max concurrency counts sequences of the scenario context on all of the fleet's replicas.",
	}})

	pg.Blocks = append(pg.Blocks, pages.Text{Heading: "Verdicts that flip", ID: "flips"})
	if len(r.Flips) == 0 {
		pg.Blocks = append(pg.Blocks, pages.Text{Paragraphs: []string{"No model × fleet verdict flips."}})
	} else {
		var rows [][]string
		for _, c := range r.Flips {
			why := c.Head.Reason
			if c.Head.Verdict == Fits {
				why = "was: " + c.Base.Reason
			}
			rows = append(rows, []string{c.ModelName, c.FleetTitle, OutcomeText(c.Base), OutcomeText(c.Head), why})
		}
		pg.Blocks = append(pg.Blocks, pages.Table{ID: "flip-table", Caption: "Model × fleet pairs whose verdict differs between base and head",
			Header: []string{"Model", "Fleet", "Base", "Head", "Why"}, Rows: rows})
	}

	pg.Blocks = append(pg.Blocks, pages.Text{Heading: "Spec changes", ID: "spec-changes"})
	if len(r.SpecChanges) == 0 {
		pg.Blocks = append(pg.Blocks, pages.Text{Paragraphs: []string{"The two spec trees describe the same models, accelerators, fleets and settings."}})
	} else {
		var rows [][]string
		for _, c := range r.SpecChanges {
			if len(c.Fields) == 0 {
				rows = append(rows, []string{c.Kind, c.Key, c.Name, c.Op, absent, absent, absent})
			}
			for _, f := range c.Fields {
				rows = append(rows, []string{c.Kind, c.Key, c.Name, c.Op, f.Field, f.Base, f.Head})
			}
		}
		pg.Blocks = append(pg.Blocks, pages.Table{ID: "spec-table", Caption: "Models, accelerators, fleets and settings added, removed or changed, field by field",
			Header: []string{"Kind", "Key", "Name", "Change", "Field", "Base", "Head"}, Rows: rows, Align: []pages.Align{pages.AlignLeft, pages.AlignLeft, pages.AlignLeft, pages.AlignLeft, pages.AlignLeft, pages.AlignLeft, pages.AlignLeft}})
	}

	pg.Blocks = append(pg.Blocks, r.moveBlocks("context", "Max context (batch 1)", "contextChange", "Tokens", r.Context,
		func(m Move) (string, string) {
			return m.ContextTexts()
		})...)
	ctx := "sequences of the scenario context"
	if r.Base.ScenarioContextTokens == r.Head.ScenarioContextTokens {
		ctx = units.Group(r.Head.ScenarioContextTokens) + "-token sequences"
	}
	pg.Blocks = append(pg.Blocks, r.moveBlocks("concurrency", "Max concurrency ("+ctx+", whole fleet)", "concurrencyChange", "Sequences", r.Concurrency,
		func(m Move) (string, string) { return units.Group(m.Base), units.Group(m.Head) })...)

	var rows [][]string
	for _, c := range r.Cells {
		rows = append(rows, []string{c.ModelName, c.FleetTitle, OutcomeText(c.Base), OutcomeText(c.Head)})
	}
	pg.Blocks = append(pg.Blocks, pages.Text{Heading: "Every pair", ID: "pairs"},
		pages.Table{ID: "pair-table", Caption: "Verdict and max context (batch 1) of every model × fleet pair; — where one side does not have the model or the fleet",
			Header: []string{"Model", "Fleet", "Base", "Head"}, Rows: rows})
	return pg
}

// Provenance is the page footer's line: which kvplot compared which specs.
func (r *Report) Provenance() string {
	return fmt.Sprintf("Made by %s from base specs %s and head specs %s.", r.Kvplot, r.Base.Specs.Short(), r.Head.Specs.Short())
}

// moveBlocks is a section for one figure: a bar chart of the largest
// relative changes and a table of every change.
func (r *Report) moveBlocks(id, what, chartID, unit string, ms []Move, values func(Move) (string, string)) []pages.Block {
	blocks := []pages.Block{pages.Text{Heading: what, ID: id}}
	if len(ms) == 0 {
		return append(blocks, pages.Text{Paragraphs: []string{"Unchanged on every pair that fits on both sides."}})
	}
	if hm, ok := r.changeMap(chartID+"Map", what, ms, id == "concurrency"); ok {
		blocks = append(blocks, pages.Figure{Chart: hm, Height: max(420, 170+24*len(hm.Y)),
			Caption: "Every model × fleet pair: green grows, red shrinks, the scale saturates at ±100 % (the tooltip has the exact change); grey pairs do not fit on both sides, move to or from unbounded (or 0), or (for concurrency) have a model limit below the scenario context."})
	}
	bar := charts.Bar{ID: chartID, Title: what + ": largest changes", Subtitle: "head vs base, % (pairs that fit on both sides)",
		XName: "model · fleet", YName: "change", YUnit: "%", Horizontal: true}
	var vals []float64
	for _, m := range ms {
		if m.Ratio == nil {
			continue // to or from unbounded, or from 0: in the table
		}
		if len(vals) == chartMoves {
			break
		}
		bar.Categories = append(bar.Categories, m.ModelName+" · "+m.FleetTitle)
		bar.CategoryColors = append(bar.CategoryColors, changeColor(*m.Ratio))
		vals = append(vals, math.Round(1000*(*m.Ratio-1))/10)
	}
	if len(vals) > 0 {
		bar.Series = []charts.Series{{Name: "change", Values: vals}}
		blocks = append(blocks, pages.Figure{Chart: bar, Height: max(360, 140+26*len(vals)),
			Caption: fmt.Sprintf("The %d largest relative changes; green grows, red shrinks.", len(vals))})
	}
	var rows [][]string
	for _, m := range ms {
		b, h := values(m)
		rows = append(rows, []string{m.ModelName, m.FleetTitle, b, h, m.ChangeText()})
	}
	return append(blocks, pages.Table{ID: id + "-table", Caption: fmt.Sprintf("%s: every change, largest first (%d pairs)", what, len(ms)),
		Header: []string{"Model", "Fleet", "Base (" + unit + ")", "Head (" + unit + ")", "Change"}, Rows: rows})
}

// changeColor is green for growth and red for shrinkage, readable in
// greyscale as light and dark.
func changeColor(ratio float64) string {
	if ratio >= 1 {
		return "#2da44e"
	}
	return "#cf222e"
}

// changeMap is a models × fleets heat map of the relative change of one
// figure, on a red–white–green scale; false when there is no pair to show.
func (r *Report) changeMap(id, what string, ms []Move, concurrency bool) (charts.HeatMap, bool) {
	hm := charts.HeatMap{ID: id, Title: what + ": change", Subtitle: "head vs base, %", XName: "fleet", YName: "model", Unit: "%",
		Min: -100, Max: 100, NoFit: "not comparable", Colors: []string{"#cf222e", "#f6f8fa", "#2da44e"}}
	rows, cols := map[string]int{}, map[string]int{}
	var models, fleets []string
	for _, c := range r.Cells {
		if _, ok := rows[c.Model]; !ok {
			rows[c.Model] = len(models)
			models = append(models, c.Model)
			hm.Y = append(hm.Y, c.ModelName)
		}
		if _, ok := cols[c.Fleet]; !ok {
			cols[c.Fleet] = len(fleets)
			fleets = append(fleets, c.Fleet)
			hm.X = append(hm.X, c.FleetTitle)
		}
	}
	hm.Y, hm.X = distinct(hm.Y, models), distinct(hm.X, fleets)
	hm.Values = make([][]float64, len(models))
	for i := range hm.Values {
		hm.Values[i] = make([]float64, len(fleets))
	}
	// Pairs that fit on both sides and did not move are 0 %; the rest
	// not comparable until a move says otherwise.
	for _, c := range r.Cells {
		v := math.NaN()
		if c.Base != nil && c.Head != nil && c.Base.Verdict == Fits && c.Head.Verdict == Fits &&
			(!concurrency || (c.Base.MaxConcurrency != nil && c.Head.MaxConcurrency != nil)) {
			v = 0
		}
		hm.Values[rows[c.Model]][cols[c.Fleet]] = v
	}
	shown := 0
	for _, m := range ms {
		v := math.NaN()
		if m.Ratio != nil {
			v = math.Round(1000*(*m.Ratio-1)) / 10
			shown++
		}
		hm.Values[rows[m.Model]][cols[m.Fleet]] = v
	}
	if shown == 0 {
		return hm, false
	}
	// The first model at the top, as in the tables.
	for i, j := 0, len(hm.Y)-1; i < j; i, j = i+1, j-1 {
		hm.Y[i], hm.Y[j] = hm.Y[j], hm.Y[i]
		hm.Values[i], hm.Values[j] = hm.Values[j], hm.Values[i]
	}
	return hm, true
}

// distinct makes display names unique by adding the key to any that
// repeat (a removed model and an added one may share a name).
func distinct(names, keys []string) []string {
	count := map[string]int{}
	for _, n := range names {
		count[n]++
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n
		if count[n] > 1 {
			out[i] = n + " (" + keys[i] + ")"
		}
	}
	return out
}
