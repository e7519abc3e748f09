package pages

import (
	"fmt"
	"math"

	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/units"
)

func (b *builder) about(perf *Perf) Page {
	pg := Page{Path: "about.html", Title: "About kvplot"}
	pg.Intro = "kvplot computes LLM serving memory from reviewed specs: exact parameter counts for real architectures (GQA/MQA, MLA, sliding windows, MoE, hybrid Mamba and linear-attention layers, vision encoders), weight bytes in any format, and the KV cache per token, per sequence and per GPU."
	var acc dataTable
	for _, a := range b.c.Accelerators {
		var r dataRow
		r.add(a.Name, a.Name)
		r.add(a.Vendor, a.Vendor)
		r.add(a.NameplateText, a.NameplateBytes)
		r.add(units.FormatGiB(a.RuntimeBytes), a.RuntimeBytes)
		if a.BandwidthBytes > 0 {
			r.add(a.BandwidthText, a.BandwidthBytes)
		} else {
			r.null("", "bandwidth not stated in the spec")
		}
		r.add(a.RuntimeSource, a.RuntimeSource)
		r.extra(a.ID)
		acc.append(&r)
	}
	pg.Blocks = append(pg.Blocks,
		Text{Heading: "Accelerators", ID: "accelerators"},
		Table{ID: "accelerator-table", Caption: "Nameplate memory as marketed; runtime memory as CUDA/PyTorch reports it (used for budgets)",
			Header: []string{"Accelerator", "Vendor", "Nameplate", "Runtime", "Bandwidth", "Runtime figure from"}, Rows: acc.rows, Raw: acc.raw,
			Keys: []string{"accelerator", "vendor", "nameplate_bytes", "runtime_bytes", "bandwidth_bytes_per_second", "runtime_memory_source", "id", "note"}, DataName: "accelerators"},
		Links{{Text: "Spec file accelerators.yaml", Href: "specs/accelerators.yaml", Note: "each figure with its source"}},
		Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions(), Text{Heading: "Formulas", ID: "formulas"}, formulas)
	if perf != nil {
		pg.Blocks = append(pg.Blocks, perfBlocks(perf)...)
	}
	return pg
}

// perfBlocks shows the latest benchmark: build time and memory as the
// catalog grows, and the default site's figures.
func perfBlocks(p *Perf) []Block {
	text := fmt.Sprintf("Measured by make bench (%s, %d cores): the default site builds in %.2f s wall with %s peak memory.",
		p.GoVersion, p.CPUCount, p.DefaultSite.WallSeconds, units.FormatBytes(p.DefaultSite.PeakRSSBytes))
	if p.ReportVsPython.Ratio > 0 {
		text += fmt.Sprintf(" kvplot report runs %.0f× faster than the Python prototype.", p.ReportVsPython.Ratio)
	}
	if p.Browser.Pages > 0 {
		text += fmt.Sprintf(" The slowest of %d pages draws its charts %.0f ms after navigation in headless Chromium.", p.Browser.Pages, p.Browser.SlowestDrawMS)
	}
	blocks := []Block{Text{Heading: "Performance", ID: "performance", Paragraphs: []string{text}}}
	if len(p.Scale) == 0 {
		return blocks
	}
	line := charts.Line{ID: "buildScale", Title: "Site build time vs catalog size", Subtitle: "generated catalogs; wall time of kvplot build",
		XName: "models × fleets", YName: "build time", YUnit: "s"}
	secs := make([]float64, len(p.Scale))
	mem := make([]float64, len(p.Scale))
	var rows [][]string
	for i, pt := range p.Scale {
		line.X = append(line.X, fmt.Sprintf("%d × %d", pt.Models, pt.Fleets))
		secs[i] = math.Round(pt.Seconds*1000) / 1000
		mem[i] = math.Round(float64(pt.PeakRSSBytes)/(1<<20)) / 1000
		rows = append(rows, []string{fmt.Sprint(pt.Models), fmt.Sprint(pt.Fleets), fmt.Sprintf("%.2f", pt.Seconds), units.FormatBytes(pt.PeakRSSBytes), units.FormatBytes(pt.BytesWritten)})
	}
	line.Series = []charts.Series{{Name: "wall time", Values: secs}}
	return append(blocks, Figure{Chart: line, Caption: "Build time should grow linearly with the number of model × fleet pairs."},
		Table{ID: "scale-table", Caption: "Build of generated catalogs", Header: []string{"Models", "Fleets", "Wall (s)", "Peak memory", "Written"}, Rows: rows})
}
