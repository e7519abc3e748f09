package pages

import (
	"fmt"

	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/units"
)

// The bands of the index's max-context map, worst to best. Their colours
// darken with the context, so the map reads in greyscale too; the two
// kinds of failure are pale and carry a symbol instead of a number.
const (
	bandNoLayout = iota
	bandNoFit
	bandUnder8K
	bandUnder32K
	bandUnder128K
	bandOver128K
	bandModelLimit
)

var contextBands = []charts.Band{
	bandNoLayout:   {Name: "no layout (—)", Color: "#ffffff", TextColor: "#6e6e6e"},
	bandNoFit:      {Name: "does not fit (✗)", Color: "#e3e3e3", TextColor: "#a11a1a"},
	bandUnder8K:    {Name: "< 8K", Color: "#c7e9b4", TextColor: "#1a1a1a"},
	bandUnder32K:   {Name: "8–32K", Color: "#7fcdbb", TextColor: "#1a1a1a"},
	bandUnder128K:  {Name: "32–128K", Color: "#41b6c4", TextColor: "#1a1a1a"},
	bandOver128K:   {Name: "≥ 128K", Color: "#1d7fb8", TextColor: "#ffffff"},
	bandModelLimit: {Name: "reaches the model's limit", Color: "#253494", TextColor: "#ffffff"},
}

// contextBand is one cell of the max-context map: a model on a fleet, as
// the headline engine h would serve it in the layout p.
func contextBand(p planOrErr, h headline, href string) charts.BandCell {
	if p.err != nil {
		return charts.BandCell{Band: bandNoLayout, Label: "—", Tooltip: "no layout: " + p.err.Error(), Href: href}
	}
	if !h.fits() {
		return charts.BandCell{Band: bandNoFit, Label: "✗", Tooltip: "does not fit: " + h.whyNot(), Href: href}
	}
	l := h.maxContext(1)
	switch {
	case l.LimitedByModel:
		memory := "memory would hold " + units.Group(l.KVCapacityTokens)
		if l.Unbounded {
			memory = "memory does not bound it"
		}
		return charts.BandCell{Band: bandModelLimit, Label: tokenLabel(l.Tokens),
			Tooltip: fmt.Sprintf("%s tokens, the model's limit (%s)", units.Group(l.Tokens), memory), Href: href}
	case l.Unbounded:
		return charts.BandCell{Band: bandOver128K, Label: "∞", Tooltip: "unbounded: every layer's cache stops growing and the model states no limit", Href: href}
	case l.Tokens == 0:
		return charts.BandCell{Band: bandNoFit, Label: "✗", Tooltip: "does not fit: not one token of KV cache is left", Href: href}
	}
	band := bandOver128K
	switch {
	case l.Tokens < 8<<10:
		band = bandUnder8K
	case l.Tokens < 32<<10:
		band = bandUnder32K
	case l.Tokens < 128<<10:
		band = bandUnder128K
	}
	return charts.BandCell{Band: band, Label: tokenLabel(l.Tokens), Tooltip: units.Group(l.Tokens) + " tokens", Href: href}
}

// tokenLabel is a token count short enough for a map cell: 900, 6.2K,
// 24K, 1.5M (K = 1,024 tokens, M = 1,024 K).
func tokenLabel(n int64) string {
	switch {
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + "M"
	case n >= 10<<10:
		return fmt.Sprintf("%dK", (n+512)>>10)
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + "K"
	}
	return fmt.Sprint(n)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}

// contextBandMap is the index's models × fleets map of max context.
func (b *builder) contextBandMap() charts.BandMap {
	m := charts.BandMap{ID: "maxContextHeat", Title: "Max context per sequence (batch 1)",
		Subtitle: "tokens (K = 1,024); —: no layout places the model on the fleet; ✗: no memory left for the KV cache",
		XName:    "fleet", YName: "model", Bands: contextBands}
	for i, f := range b.c.Fleets {
		m.X = append(m.X, f.Title)
		m.XLinks = append(m.XLinks, fleetPath(b.fleetSlugs[i]))
	}
	for _, s := range b.studies {
		m.Y = append(m.Y, s.m.Name)
		m.YLinks = append(m.YLinks, modelPath(s.slug))
		row := make([]charts.BandCell, len(s.plans))
		for j, p := range s.plans {
			row[j] = contextBand(p, s.heads[j], modelPath(s.slug))
		}
		m.Cells = append(m.Cells, row)
	}
	return m
}

// bandMapMinWidth keeps a map's cells wide enough for their labels; on a
// narrower screen the chart scrolls sideways.
func bandMapMinWidth(columns int) int { return 220 + 56*columns }

// categoriesMinWidth keeps the bars of a chart with one category per
// fleet wide enough to read; on a narrower screen it scrolls sideways.
func categoriesMinWidth(n int) int { return 120 + 48*n }

// The bands of a fleet page's concurrency map, worst to best, coloured as
// the index's context bands.
const (
	seqNoLayout = iota
	seqNoFit
	seqBeyondLimit
	seqUnder8
	seqUnder64
	seqUnder512
	seqOver512
)

var concurrencyBands = []charts.Band{
	seqNoLayout:    {Name: "no layout (—)", Color: "#ffffff", TextColor: "#6e6e6e"},
	seqNoFit:       {Name: "does not fit (✗)", Color: "#e3e3e3", TextColor: "#a11a1a"},
	seqBeyondLimit: {Name: "beyond the model's limit", Color: "#f2f2f2", TextColor: "#6e6e6e"},
	seqUnder8:      {Name: "1–7", Color: "#c7e9b4", TextColor: "#1a1a1a"},
	seqUnder64:     {Name: "8–63", Color: "#7fcdbb", TextColor: "#1a1a1a"},
	seqUnder512:    {Name: "64–511", Color: "#41b6c4", TextColor: "#1a1a1a"},
	seqOver512:     {Name: "≥ 512", Color: "#1d7fb8", TextColor: "#ffffff"},
}

// concurrencyBand is one cell of a fleet's concurrency map: how many
// sequences of ctx tokens the headline engine h holds over all replicas.
func concurrencyBand(h headline, ctx int64, servable bool, replicas int64, href string) charts.BandCell {
	if !servable {
		return charts.BandCell{Band: seqBeyondLimit, Label: "limit", Tooltip: "beyond the model's context limit", Href: href}
	}
	n := h.concurrency(ctx) * replicas
	if n <= 0 {
		return charts.BandCell{Band: seqNoFit, Label: "✗", Tooltip: "does not fit: " + h.whyNot(), Href: href}
	}
	band := seqOver512
	switch {
	case n < 8:
		band = seqUnder8
	case n < 64:
		band = seqUnder64
	case n < 512:
		band = seqUnder512
	}
	label := fmt.Sprint(n)
	if n >= 10000 {
		label = fmt.Sprintf("%dk", (n+500)/1000)
	} else if n >= 1000 {
		label = trimZero(fmt.Sprintf("%.1f", float64(n)/1000)) + "k"
	}
	return charts.BandCell{Band: band, Label: label, Tooltip: units.Group(n) + " sequences", Href: href}
}
