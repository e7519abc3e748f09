// Package pages decides what kvplot's site shows: it runs the analysis for
// every model and fleet of a catalog and lays the results out as site pages
// (charts, tables, assumptions and formulas). It does no I/O; package site
// renders and writes what it returns.
package pages

import (
	"fmt"
	"math"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/engine"
	"github.com/kvplot/kvplot/internal/site"
	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

// Site is the catalog's pages plus the spec files they link to.
type Site struct {
	Pages []site.Page
	// SpecFiles maps a site path ("specs/models/x.yaml") to the spec file
	// it copies, so each page can link to its source.
	SpecFiles map[string]string
}

// study is the analysis of one model on every fleet.
type study struct {
	m      spec.Model
	slug   string // page slug
	sc     analysis.Scenario
	params analysis.Params
	weight int64
	plans  []planOrErr // one per fleet, in catalog order
}

type planOrErr struct {
	p   analysis.Plan
	err error
}

// Perf is the latest `make bench` measurement (bench/results.json), shown
// on the about page. Its figures are inputs like the specs, so a build
// stays deterministic.
type Perf struct {
	GoVersion   string `json:"go_version"`
	CPUCount    int    `json:"cpu_count"`
	DefaultSite struct {
		WallSeconds  float64 `json:"wall_seconds"`
		PeakRSSBytes int64   `json:"peak_rss_bytes"`
	} `json:"default_site"`
	Scale []struct {
		Models       int     `json:"models"`
		Fleets       int     `json:"fleets"`
		Seconds      float64 `json:"seconds"`
		PeakRSSBytes int64   `json:"peak_rss_bytes"`
		BytesWritten int64   `json:"bytes_written"`
	} `json:"scale"`
	ReportVsPython struct {
		KVPlotSeconds float64 `json:"kvplot_report_seconds"`
		PythonSeconds float64 `json:"python_seconds"`
		Ratio         float64 `json:"ratio"`
	} `json:"report_vs_python"`
	Browser struct {
		Pages         int     `json:"pages"`
		SlowestDrawMS float64 `json:"slowest_draw_ms"`
	} `json:"browser"`
}

// Build lays out the whole site for catalog c; perf, when not nil, adds
// the measured build times to the about page.
func Build(c *spec.Catalog, perf *Perf) (Site, error) {
	if len(c.Models) == 0 {
		return Site{}, fmt.Errorf("no models to show")
	}
	var names []string
	set := c.Settings
	for _, m := range c.Models {
		names = append(names, m.Slug)
		// The analysis saturates instead of wrapping; a grid that reaches
		// the limit would chart a meaningless 8 EiB, so refuse it.
		last := set.Contexts[len(set.Contexts)-1]
		for last < m.Arch.MaxContext && last < 1<<24 {
			last *= 2 // as far as the model page's growth chart goes
		}
		kv := m.Arch.KVBytes(set.KVDType, last, set.Batches[len(set.Batches)-1])
		if kv == math.MaxInt64 {
			return Site{}, fmt.Errorf("%s: the largest context × batch of the grid needs more than 8 EiB of KV cache for %s; shrink contexts or batches", set.File, m.Name)
		}
	}
	slugs := site.UniqueSlugs(names)
	fleetNames := make([]string, len(c.Fleets))
	for i, f := range c.Fleets {
		fleetNames[i] = f.Name
	}
	fleetSlugs := site.UniqueSlugs(fleetNames)

	studies := make([]study, len(c.Models))
	parallel(len(c.Models), func(i int) {
		m := c.Models[i]
		s := study{m: m, slug: slugs[i], sc: c.Scenario(m)}
		s.params = m.Arch.Params()
		s.weight = s.sc.Weights.Bytes(s.params.ByClass)
		for _, f := range c.Fleets {
			p, err := c.Plan(m, f)
			s.plans = append(s.plans, planOrErr{p, err})
		}
		studies[i] = s
	})
	b := &builder{c: c, studies: studies, fleetSlugs: fleetSlugs, modelKeys: names, specFiles: map[string]string{}}
	// Spec files first, one at a time: pages only read the paths.
	b.modelSpecs = make([]site.Links, len(studies))
	for i := range studies {
		b.modelSpecs[i] = b.specLinks(studies[i].m)
	}
	for _, f := range c.Fleets {
		a, _ := c.Accelerator(f.Accelerator)
		b.specFiles["specs/fleets.yaml"] = f.File
		b.specFiles["specs/accelerators.yaml"] = a.File
	}
	if c.Settings.File != "" {
		b.specFiles["specs/site.yaml"] = c.Settings.File
	}
	modelPages := make([]site.Page, len(studies))
	parallel(len(studies), func(i int) { modelPages[i] = b.modelPage(i) })
	fleetPages := make([]site.Page, len(c.Fleets))
	parallel(len(c.Fleets), func(i int) { fleetPages[i] = b.fleetPage(i) })
	out := Site{}
	out.Pages = append(out.Pages, b.index())
	out.Pages = append(out.Pages, modelPages...)
	out.Pages = append(out.Pages, fleetPages...)
	out.Pages = append(out.Pages, b.about(perf))
	out.SpecFiles = b.specFiles
	return out, nil
}

// parallel runs f(0) … f(n−1) on all cores. Each call writes only its own
// index, so results do not depend on the schedule.
func parallel(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// specLinks registers a model's spec files for copying into the site and
// returns links to them: the model spec under specs/models/, the Hugging
// Face config it reads under specs/hf/. A name already taken by another
// file gets the model's slug in front.
func (b *builder) specLinks(m spec.Model) site.Links {
	var links site.Links
	for _, f := range []struct{ dir, file string }{{"specs/models/", m.File}, {"specs/hf/", m.ConfigFile}} {
		if f.file == "" {
			continue
		}
		sp := f.dir + path.Base(f.file)
		if prev, taken := b.specFiles[sp]; taken && prev != f.file {
			sp = f.dir + m.Slug + "-" + path.Base(f.file)
		}
		b.specFiles[sp] = f.file
		links = append(links, site.Link{Text: "Spec file " + path.Base(f.file), Href: sp})
	}
	return links
}

type builder struct {
	c          *spec.Catalog
	studies    []study
	fleetSlugs []string
	modelKeys  []string
	specFiles  map[string]string
	modelSpecs []site.Links // links to each model's spec files
}

func modelPath(slug string) string { return "models/" + slug + ".html" }
func fleetPath(slug string) string { return "fleets/" + slug + ".html" }

// gib rounds bytes to GiB with 3 decimals for charts.
func gib(b int64) float64 { return math.Round(units.GiB(b)*1000) / 1000 }

func gibText(b int64) string { return fmt.Sprintf("%.2f", units.GiB(b)) }

func ctxLimitText(l analysis.ContextLimit) string {
	switch {
	case l.Unbounded:
		return "unbounded"
	case l.Tokens == 0:
		return "does not fit"
	}
	return units.Group(l.Tokens)
}

func ctxLimitRaw(l analysis.ContextLimit) any {
	if l.Unbounded {
		return "unbounded"
	}
	return l.Tokens
}

// assumptions states what every page's numbers assume.
func (b *builder) assumptions(extra ...string) site.Assumptions {
	s := b.c.Settings
	wd := "each model's own checkpoint format (see its page)"
	if s.WeightDType != "" {
		wd = s.WeightDType + " for every model (embeddings, lm_head and routers kept in bf16)"
	}
	o := s.Overhead
	a := site.Assumptions{
		"Units: GiB = 2^30 bytes, KiB = 2^10 bytes; accelerator capacities are what the runtime reports (e.g. 79.19 GiB for an \"80 GB\" H100), not the nameplate.",
		"Weights: " + wd + ".",
		"KV cache: " + kvDesc(s.KVDType) + "; sliding-window layers hold at most their window, Mamba and linear-attention layers a fixed state.",
		fmt.Sprintf("Overhead policy simple: per accelerator, a runtime reserve of %s + %.0f%% of capacity and an activation reserve of %.2f × the weights it holds.",
			units.FormatGiB(o.FixedBytes), 100*o.CapacityFraction, o.WeightsMultiple),
		"Tensor parallelism splits weights and KV heads (replicating KV heads when TP exceeds them, and the MLA latent on every rank); pipeline parallelism splits layers; per-GPU figures are the most loaded accelerator's.",
		fmt.Sprintf("Scenario for memory bars: %d sequences of %s tokens.", s.ScenarioBatch, units.Group(s.ScenarioContext)),
	}
	return append(a, extra...)
}

func kvDesc(d analysis.DType) string {
	if d.GroupSize > 0 {
		return fmt.Sprintf("%s (%d bits per element plus %d bits of scale per %d elements)", d.Name, d.Bits, d.ScaleBits, d.GroupSize)
	}
	return fmt.Sprintf("%s (%d bits per element)", d.Name, d.Bits)
}

var formulas = site.Formulas{
	"KV bytes per token per layer = kv_heads × (bytes(head_dim) + bytes(v_head_dim))      full, sliding, chunked attention",
	"                             = bytes(kv_lora_rank + qk_rope_head_dim)                MLA (one latent, no V)",
	"KV bytes of a sequence       = Σ_layers per_token × min(context, window) + Σ fixed states",
	"KV budget per GPU            = capacity − weights per GPU − activation reserve − runtime reserve",
	"max context (batch B)        = largest C with B × KV(C) ≤ budget on every pipeline stage (binary search)",
	"max concurrency (context C)  = ⌊budget ÷ KV(C)⌋ per replica",
	"weight bytes                 = Σ_classes ⌈params × bits / 8⌉ + ⌈params / group⌉ × scale_bits / 8",
}

func (b *builder) index() site.Page {
	c := b.c
	pg := site.Page{Path: "index.html", Title: "LLM memory: does it fit?"}
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
		site.Text{Heading: "Model comparison", ID: "models"},
		site.Table{ID: "model-table", Caption: "Models: parameters, weights, KV cache for one sequence (batch 1) and max context per fleet (batch 1). Weights and KV in GiB; raw bytes in the JSON.",
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
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "Max context on each fleet", ID: "heatmap"}, site.Figure{Chart: hm, Height: rowsHeight(len(hm.Y)),
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
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "KV cache per token", ID: "kv-per-token"}, site.Figure{Chart: bar, Height: rowsHeight(len(bar.Categories)),
		Caption: "What one more token of context costs across all layers, before any window is reached."})

	var links site.Links
	for _, s := range b.studies {
		links = append(links, site.Link{Text: s.m.Name, Href: modelPath(s.slug), Note: s.m.Description})
	}
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "Models", ID: "model-pages"}, links)
	var flinks site.Links
	for i, f := range c.Fleets {
		a, _ := c.Accelerator(f.Accelerator)
		flinks = append(flinks, site.Link{Text: f.Title, Href: fleetPath(b.fleetSlugs[i]),
			Note: fmt.Sprintf("%d × %s (%s each as the runtime reports it), TP %d, PP %d", f.Count, a.Name, units.FormatGiB(a.RuntimeBytes), f.TP, f.PP)})
	}
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "Fleets", ID: "fleet-pages"}, flinks,
		site.Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions())
	if c.Settings.File != "" {
		pg.Blocks = append(pg.Blocks, site.Links{{Text: "Spec file site.yaml", Href: "specs/site.yaml", Note: "the scenario, grids and overhead policy above"}})
	}
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "Formulas", ID: "formulas"}, formulas)
	return pg
}

// topDown reverses a heatmap's rows so that its first row is drawn at the
// top, in the order of the tables beside it.
func topDown(hm *charts.HeatMap) {
	for i, j := 0, len(hm.Y)-1; i < j; i, j = i+1, j-1 {
		hm.Y[i], hm.Y[j] = hm.Y[j], hm.Y[i]
		hm.Values[i], hm.Values[j] = hm.Values[j], hm.Values[i]
	}
}

// percentile is the q-quantile of the finite values of a grid (at least 1).
func percentile(grid [][]float64, q float64) float64 {
	var vs []float64
	for _, row := range grid {
		for _, v := range row {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				vs = append(vs, v)
			}
		}
	}
	if len(vs) == 0 {
		return 1
	}
	sort.Float64s(vs)
	return max(1, vs[min(len(vs)-1, int(q*float64(len(vs))))])
}

// rowsHeight sizes a chart with one row per model: 24 px a row plus room
// for titles, axes and the legend.
func rowsHeight(rows int) int { return max(420, 160+24*rows) }

// ctxK is a plan's max context in K tokens for heatmaps: NaN when nothing
// fits, 1M+ when unbounded.
func ctxK(p planOrErr, batch int64) float64 {
	if p.err != nil {
		return math.NaN()
	}
	l := p.p.MaxContext(batch)
	switch {
	case l.Unbounded:
		return 1024
	case l.Tokens == 0:
		return math.NaN()
	}
	return math.Round(float64(min(l.Tokens, 1<<30))/1024*10) / 10
}

// contexts is the context axis of a model's charts: the settings' grid,
// extended by powers of two up to the model's maximum context.
func (b *builder) contexts(s *study) []int64 {
	out := append([]int64(nil), b.c.Settings.Contexts...)
	last := out[len(out)-1]
	for last < s.m.Arch.MaxContext && last < 1<<24 && len(out) < 24 {
		last *= 2
		out = append(out, last)
	}
	return out
}

func tokenLabels(ctxs []int64) []string {
	out := make([]string, len(ctxs))
	for i, c := range ctxs {
		out[i] = units.FormatTokens(c)
	}
	return out
}

func (b *builder) modelPage(si int) site.Page {
	s := &b.studies[si]
	c := b.c
	set := c.Settings
	m := s.m
	arch := &m.Arch
	pg := site.Page{Path: modelPath(s.slug), Title: m.Name}
	pg.Intro = m.Description

	// Facts table.
	counts := arch.LayerCounts()
	var kinds []string
	for _, k := range analysis.LayerKinds() {
		if n := counts[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		}
	}
	facts := [][]string{
		{"Parameters (kvplot)", units.Group(s.params.Total)},
		{"Active parameters per token", units.Group(s.params.Active)},
	}
	if m.ParamsPublished > 0 {
		d := s.params.Total - m.ParamsPublished
		note := "exact match"
		if d != 0 {
			note = fmt.Sprintf("differs by %s (%.3f%%)", units.Group(d), 100*float64(d)/float64(m.ParamsPublished))
		}
		facts = append(facts, []string{"Parameters (published)", units.Group(m.ParamsPublished) + " — " + note})
	}
	if s.params.Vision > 0 {
		facts = append(facts, []string{"Of which vision encoder + projector", units.Group(s.params.Vision)})
	}
	facts = append(facts,
		[]string{"Weights", fmt.Sprintf("%s GiB (%s)", gibText(s.weight), weightDesc(s.sc.Weights))},
		[]string{"Layers", strings.Join(kinds, ", ")},
		[]string{"KV cache per token", fmt.Sprintf("%s bytes (%s, all layers)", units.Group(arch.KVBytesPerToken(s.sc.KV)), s.sc.KV.Name)},
	)
	if st := arch.StateBytesPerSequence(s.sc.KV); st > 0 {
		facts = append(facts, []string{"Fixed state per sequence", units.FormatBytes(st)})
	}
	if arch.MaxContext > 0 {
		facts = append(facts, []string{"Maximum context (config)", units.Group(arch.MaxContext)})
	}
	pg.Blocks = append(pg.Blocks, site.Table{ID: "facts", Caption: "The model", Header: []string{"Quantity", "Value"}, Rows: facts})

	var links site.Links
	if m.Source != "" {
		links = append(links, site.Link{Text: "Model page", Href: m.Source, External: true})
	}
	if m.ParamsSource != "" && strings.HasPrefix(m.ParamsSource, "http") {
		links = append(links, site.Link{Text: "Source of the published parameter count", Href: m.ParamsSource, External: true})
	}
	links = append(links, b.modelSpecs[si]...)
	if len(links) > 0 {
		pg.Blocks = append(pg.Blocks, links)
	}

	// (1) KV vs context, one line per batch, fleet budgets as lines.
	ctxs := b.contexts(s)
	line := charts.Line{ID: "kvGrowth", Title: "KV cache vs context", Subtitle: fmt.Sprintf("whole model, %s; dashed: each fleet's KV budget (whole-model equivalent)", s.sc.KV.Name),
		XName: "context (tokens)", YName: "KV cache", YUnit: "GiB", X: tokenLabels(ctxs), YLog: true}
	grid := arch.KVGrid(s.sc.KV, ctxs, set.Batches)
	for j, bs := range set.Batches {
		vals := make([]float64, len(ctxs))
		for i := range ctxs {
			vals[i] = gib(grid[i][j])
		}
		line.Series = append(line.Series, charts.Series{Name: fmt.Sprintf("batch %d", bs), Values: vals})
	}
	one := arch.KVBytes(s.sc.KV, 1, 1)
	for i, p := range s.plans {
		if p.err != nil || !p.p.Fits() {
			continue
		}
		perGPU := p.p.KVBytesPerGPU(1, 1)
		if perGPU == 0 || one == 0 {
			continue
		}
		equiv := float64(p.p.KVBudgetBytesPerGPU()) * float64(one) / float64(perGPU)
		line.MarkLines = append(line.MarkLines, charts.MarkLine{Name: c.Fleets[i].Title, Value: math.Round(equiv/(1<<30)*100) / 100})
	}
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "KV cache growth", ID: "growth",
		Paragraphs: []string{"The cache grows linearly with context and batch until sliding windows cap it. A fleet's budget line is its per-GPU KV budget scaled to the whole model (by how the fleet splits the cache), so a curve under a line fits on that fleet."}},
		site.Figure{Chart: line})

	// (2) Stacked per-GPU memory for every fleet at the scenario.
	bar := charts.StackedBar{ID: "memPerGPU", Title: "Memory per GPU", Subtitle: fmt.Sprintf("%d × %s tokens; bars above capacity do not fit", set.ScenarioBatch, units.Group(set.ScenarioContext)),
		XName: "fleet", YName: "memory per GPU", YUnit: "GiB"}
	comp := map[string][]float64{}
	order := []string{charts.ComponentWeights, charts.ComponentKVCache, charts.ComponentActivation, charts.ComponentRuntime, charts.ComponentFree}
	var fitRows [][]string
	for i, p := range s.plans {
		f := c.Fleets[i]
		bar.Categories = append(bar.Categories, f.Title)
		if p.err != nil {
			for _, k := range order {
				comp[k] = append(comp[k], math.NaN())
			}
			fitRows = append(fitRows, []string{f.Title, "n/a: " + p.err.Error(), "", "", "", "", ""})
			continue
		}
		mem := p.p.Memory(set.ScenarioContext, set.ScenarioBatch)
		comp[charts.ComponentWeights] = append(comp[charts.ComponentWeights], gib(mem.WeightsBytes))
		comp[charts.ComponentKVCache] = append(comp[charts.ComponentKVCache], gib(mem.KVBytes))
		comp[charts.ComponentActivation] = append(comp[charts.ComponentActivation], gib(mem.ActivationBytes))
		comp[charts.ComponentRuntime] = append(comp[charts.ComponentRuntime], gib(mem.RuntimeBytes))
		comp[charts.ComponentFree] = append(comp[charts.ComponentFree], gib(max(mem.FreeBytes, 0)))
		verdict := "fits, " + gibText(mem.FreeBytes) + " GiB free"
		if mem.FreeBytes < 0 {
			verdict = "does not fit: short by " + gibText(-mem.FreeBytes) + " GiB"
		}
		fitRows = append(fitRows, []string{f.Title, verdict, gibText(mem.CapacityBytes), gibText(mem.WeightsBytes), gibText(mem.KVBytes), gibText(mem.ActivationBytes + mem.RuntimeBytes), gibText(p.p.KVBudgetBytesPerGPU())})
	}
	for _, k := range order {
		bar.Series = append(bar.Series, charts.Series{Name: k, Values: comp[k]})
	}
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "Memory per GPU on each fleet", ID: "memory"}, site.Figure{Chart: bar},
		site.Table{ID: "fit", Caption: fmt.Sprintf("Scenario %d × %s tokens, per GPU (GiB)", set.ScenarioBatch, units.Group(set.ScenarioContext)),
			Header: []string{"Fleet", "Verdict", "Capacity", "Weights", "KV cache", "Reserves", "KV budget"}, Rows: fitRows, DataName: "model-" + s.slug + "-fit"})

	pg.Blocks = append(pg.Blocks, b.fitSection(s)...)
	pg.Blocks = append(pg.Blocks, b.engineSection(s, ctxs)...)

	// (3) Heatmap context × batch → per-GPU memory on one fleet.
	if fi := b.heatmapFleet(s); fi >= 0 {
		p := s.plans[fi].p
		hm := charts.HeatMap{ID: "memHeat", Title: "Memory per GPU on " + c.Fleets[fi].Title, Subtitle: "weights + KV + reserves; grey: does not fit",
			XName: "context", YName: "batch", Unit: "GiB", X: tokenLabels(set.Contexts)}
		for _, bs := range set.Batches {
			hm.Y = append(hm.Y, fmt.Sprint(bs))
			row := make([]float64, len(set.Contexts))
			for j, ctx := range set.Contexts {
				mem := p.Memory(ctx, bs)
				used := mem.CapacityBytes - mem.FreeBytes
				if mem.FreeBytes < 0 {
					row[j] = math.NaN()
				} else {
					row[j] = math.Round(units.GiB(used)*10) / 10
				}
			}
			hm.Values = append(hm.Values, row)
		}
		hm.Min, hm.Max = 0, math.Round(units.GiB(p.Fleet.CapacityBytes)*10)/10
		pg.Blocks = append(pg.Blocks, site.Text{Heading: "Context × batch on " + c.Fleets[fi].Title, ID: "heatmap"}, site.Figure{Chart: hm})
	}

	// (4) KV dtype comparison.
	dl := charts.Line{ID: "kvDTypes", Title: "KV cache format", Subtitle: "one sequence, whole model", XName: "context (tokens)", YName: "KV cache", YUnit: "GiB", X: tokenLabels(ctxs)}
	var dtRows [][]string
	for _, name := range []string{"bf16", "fp8", "int4"} {
		d, _ := analysis.LookupKVDType(name)
		vals := make([]float64, len(ctxs))
		for i, ctx := range ctxs {
			vals[i] = gib(arch.KVBytes(d, ctx, 1))
		}
		dl.Series = append(dl.Series, charts.Series{Name: name, Values: vals})
		dtRows = append(dtRows, []string{name, units.Group(arch.KVBytesPerToken(d)), gibText(arch.KVBytes(d, set.ScenarioContext, set.ScenarioBatch))})
	}
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "KV cache formats", ID: "dtypes"}, site.Figure{Chart: dl},
		site.Table{ID: "dtype-table", Caption: "KV formats", Header: []string{"Format", "Bytes per token", fmt.Sprintf("GiB for %d × %s", set.ScenarioBatch, units.Group(set.ScenarioContext))}, Rows: dtRows, DataName: "model-" + s.slug + "-dtypes"})

	// Tables: max context per fleet × batch, max concurrency per fleet × context.
	mcHeader := []string{"Fleet"}
	for _, bs := range set.Batches {
		mcHeader = append(mcHeader, fmt.Sprintf("batch %d", bs))
	}
	ccHeader := []string{"Fleet"}
	for _, ctx := range set.Contexts {
		ccHeader = append(ccHeader, units.FormatTokens(ctx))
	}
	var mcRows, ccRows [][]string
	var mcRaw, ccRaw [][]any
	for i, p := range s.plans {
		mr, cr := []string{c.Fleets[i].Title}, []string{c.Fleets[i].Title}
		mraw, craw := []any{c.Fleets[i].Name}, []any{c.Fleets[i].Name}
		for _, bs := range set.Batches {
			if p.err != nil {
				mr, mraw = append(mr, "n/a"), append(mraw, nil)
				continue
			}
			l := p.p.MaxContext(bs)
			mr, mraw = append(mr, ctxLimitText(l)), append(mraw, ctxLimitRaw(l))
		}
		for _, ctx := range set.Contexts {
			if p.err != nil {
				cr, craw = append(cr, "n/a"), append(craw, nil)
				continue
			}
			n := p.p.MaxConcurrency(ctx)
			cr, craw = append(cr, units.Group(n)), append(craw, n)
		}
		mcRows, ccRows = append(mcRows, mr), append(ccRows, cr)
		mcRaw, ccRaw = append(mcRaw, mraw), append(ccRaw, craw)
	}
	pg.Blocks = append(pg.Blocks,
		site.Text{Heading: "Max context and concurrency", ID: "limits"},
		site.Table{ID: "max-context", Caption: "Max context per sequence (tokens), by fleet and batch size", Header: mcHeader, Rows: mcRows, Raw: mcRaw, DataName: "model-" + s.slug + "-max-context"},
		site.Table{ID: "max-concurrency", Caption: "Max concurrent sequences per replica, by fleet and context length", Header: ccHeader, Rows: ccRows, Raw: ccRaw, DataName: "model-" + s.slug + "-max-concurrency"},
	)

	// Per-token cost by layer type.
	var ptRows [][]string
	var ptRaw [][]any
	for _, k := range arch.KVCostByKind(s.sc.KV) {
		w := "—"
		if k.Window > 0 {
			w = units.Group(k.Window)
		}
		ptRows = append(ptRows, []string{k.Kind.String(), fmt.Sprint(k.Layers), units.Group(k.PerTokenPerLayer), units.Group(k.PerToken()), w, units.Group(k.StatePerLayer * k.Layers)})
		ptRaw = append(ptRaw, []any{k.Kind.String(), k.Layers, k.PerTokenPerLayer, k.PerToken(), k.Window, k.StatePerLayer * k.Layers})
	}
	pg.Blocks = append(pg.Blocks, site.Table{ID: "per-token", Caption: "Cache cost by layer type (" + s.sc.KV.Name + ")",
		Header: []string{"Layer type", "Layers", "Bytes/token/layer", "Bytes/token (all such layers)", "Window (tokens)", "Fixed state/sequence (bytes)"}, Rows: ptRows, Raw: ptRaw, DataName: "model-" + s.slug + "-per-token"})

	// KV fraction of total memory as context grows (batch 1).
	var gRows [][]string
	var gRaw [][]any
	for _, ctx := range ctxs {
		kv := arch.KVBytes(s.sc.KV, ctx, 1)
		tot := kv + s.weight
		frac := 100 * float64(kv) / float64(max(tot, 1))
		gRows = append(gRows, []string{units.Group(ctx), gibText(kv), gibText(tot), fmt.Sprintf("%.1f%%", frac)})
		gRaw = append(gRaw, []any{ctx, kv, tot, math.Round(frac*10) / 10})
	}
	pg.Blocks = append(pg.Blocks, site.Table{ID: "growth-table", Caption: "KV fraction of weights + KV as context grows (batch 1)",
		Header: []string{"Context", "KV (GiB)", "Weights + KV (GiB)", "KV fraction"}, Rows: gRows, Raw: gRaw, DataName: "model-" + s.slug + "-growth"})

	pg.Blocks = append(pg.Blocks, site.Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions(), site.Text{Heading: "Formulas", ID: "formulas"}, formulas)
	return pg
}

func weightDesc(w analysis.WeightScheme) string {
	s := w.Default.Name
	var parts []string
	for _, c := range analysis.TensorClasses() {
		if d := w.For(c); d.Name != w.Default.Name && c != analysis.NormWeights {
			parts = append(parts, c.String()+" "+d.Name)
		}
	}
	if len(parts) > 0 {
		s += "; " + strings.Join(parts, ", ")
	}
	return s
}

// heatmapFleet picks the fleet of a model's heatmap: the settings' fleet,
// else the first fleet where the model fits; -1 when none fits.
func (b *builder) heatmapFleet(s *study) int {
	want := b.c.Settings.HeatmapFleet
	for i, f := range b.c.Fleets {
		if f.Name == want && s.plans[i].err == nil && s.plans[i].p.Fits() {
			return i
		}
	}
	for i, p := range s.plans {
		if p.err == nil && p.p.Fits() {
			return i
		}
	}
	return -1
}

func (b *builder) fleetPage(fi int) site.Page {
	c := b.c
	set := c.Settings
	f := c.Fleets[fi]
	a, _ := c.Accelerator(f.Accelerator)
	pg := site.Page{Path: fleetPath(b.fleetSlugs[fi]), Title: f.Title}
	pg.Intro = strings.TrimSpace(f.Description + "\n\n" + fmt.Sprintf("%d × %s, tensor parallel %d, pipeline parallel %d (%d replica(s)). Each accelerator: %s nameplate, %s as the runtime reports it.",
		f.Count, a.Name, f.TP, f.PP, f.Count/(f.TP*f.PP), a.NameplateText, units.FormatGiB(a.RuntimeBytes)))
	var links site.Links
	if a.Source != "" {
		links = append(links, site.Link{Text: a.Name + " specifications", Href: a.Source, External: true})
	}
	links = append(links, site.Link{Text: "Spec file fleets.yaml", Href: "specs/fleets.yaml"}, site.Link{Text: "Spec file accelerators.yaml", Href: "specs/accelerators.yaml"})
	pg.Blocks = append(pg.Blocks, links)

	hm := charts.HeatMap{ID: "concurrencyHeat", Title: "Max concurrent sequences per replica", Subtitle: "grey: does not fit at that context",
		XName: "context", YName: "model", Unit: "sequences", X: tokenLabels(set.Contexts)}
	header := []string{"Model", "Model max ctx", "Weights/GPU (GiB)", "KV budget/GPU (GiB)", "Max ctx (batch 1)", fmt.Sprintf("Max ctx (batch %d)", set.ScenarioBatch)}
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
			row := []string{s.m.Name, units.Group(s.m.Arch.MaxContext), "n/a", "n/a", "n/a", "n/a"}
			r := []any{s.m.Name, s.m.Arch.MaxContext, nil, nil, nil, nil}
			vals := make([]float64, len(set.Contexts))
			for j := range set.Contexts {
				row, r = append(row, "n/a"), append(r, nil)
				vals[j] = math.NaN()
			}
			hm.Values = append(hm.Values, vals)
			rows, raw = append(rows, row), append(raw, r)
			misfits = append(misfits, []string{s.m.Name, p.err.Error()})
			continue
		}
		pl := p.p
		l1, lb := pl.MaxContext(1), pl.MaxContext(set.ScenarioBatch)
		row := []string{s.m.Name, units.Group(s.m.Arch.MaxContext), gibText(pl.WeightsBytesPerGPU()), gibText(pl.KVBudgetBytesPerGPU()), ctxLimitText(l1), ctxLimitText(lb)}
		r := []any{s.m.Name, s.m.Arch.MaxContext, pl.WeightsBytesPerGPU(), pl.KVBudgetBytesPerGPU(), ctxLimitRaw(l1), ctxLimitRaw(lb)}
		vals := make([]float64, len(set.Contexts))
		for j, ctx := range set.Contexts {
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
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "Concurrency", ID: "concurrency",
		Paragraphs: []string{"Memory limits only: the table's max context is how far the KV cache could grow, which can exceed what the model was trained for (its own column)."}},
		site.Figure{Chart: hm, Height: rowsHeight(len(hm.Y)), Caption: "Colours saturate at the 90th percentile so that small counts stay distinguishable; tooltips show exact counts."},
		site.Table{ID: "fleet-table", Caption: "Every model on " + f.Title + " (per GPU; sequences per replica)", Header: header, Rows: rows, Raw: raw, DataName: "fleet-" + b.fleetSlugs[fi]})
	if len(misfits) > 0 {
		pg.Blocks = append(pg.Blocks, site.Text{Heading: "Models that do not fit", ID: "misfits"},
			site.Table{ID: "misfit-table", Caption: "Weights and reserves alone exceed an accelerator", Header: []string{"Model", "Why"}, Rows: misfits})
	} else {
		pg.Blocks = append(pg.Blocks, site.Text{Heading: "Models that do not fit", ID: "misfits", Paragraphs: []string{"Every model fits on this fleet."}})
	}
	pg.Blocks = append(pg.Blocks, site.Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions(), site.Text{Heading: "Formulas", ID: "formulas"}, formulas)
	return pg
}

func (b *builder) about(perf *Perf) site.Page {
	pg := site.Page{Path: "about.html", Title: "About kvplot"}
	pg.Intro = "kvplot computes LLM serving memory from reviewed specs: exact parameter counts for real architectures (GQA/MQA, MLA, sliding windows, MoE, hybrid Mamba and linear-attention layers, vision encoders), weight bytes in any format, and the KV cache per token, per sequence and per GPU."
	var acc [][]string
	for _, a := range b.c.Accelerators {
		src := a.RuntimeSource
		acc = append(acc, []string{a.Name, a.Vendor, a.NameplateText, units.FormatGiB(a.RuntimeBytes), a.BandwidthText, src})
	}
	pg.Blocks = append(pg.Blocks,
		site.Text{Heading: "Accelerators", ID: "accelerators"},
		site.Table{ID: "accelerator-table", Caption: "Nameplate memory as marketed; runtime memory as CUDA/PyTorch reports it (used for budgets)",
			Header: []string{"Accelerator", "Vendor", "Nameplate", "Runtime", "Bandwidth", "Runtime figure from"}, Rows: acc, DataName: "accelerators"},
		site.Links{{Text: "Spec file accelerators.yaml", Href: "specs/accelerators.yaml", Note: "each figure with its source"}},
		site.Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions(), site.Text{Heading: "Formulas", ID: "formulas"}, formulas)
	if perf != nil {
		pg.Blocks = append(pg.Blocks, perfBlocks(perf)...)
	}
	return pg
}

// perfBlocks shows the latest benchmark: build time and memory as the
// catalog grows, and the default site's figures.
func perfBlocks(p *Perf) []site.Block {
	text := fmt.Sprintf("Measured by make bench (%s, %d cores): the default site builds in %.2f s wall with %s peak memory.",
		p.GoVersion, p.CPUCount, p.DefaultSite.WallSeconds, units.FormatBytes(p.DefaultSite.PeakRSSBytes))
	if p.ReportVsPython.Ratio > 0 {
		text += fmt.Sprintf(" kvplot report runs %.0f× faster than the Python prototype.", p.ReportVsPython.Ratio)
	}
	if p.Browser.Pages > 0 {
		text += fmt.Sprintf(" The slowest of %d pages draws its charts %.0f ms after navigation in headless Chromium.", p.Browser.Pages, p.Browser.SlowestDrawMS)
	}
	blocks := []site.Block{site.Text{Heading: "Performance", ID: "performance", Paragraphs: []string{text}}}
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
	return append(blocks, site.Figure{Chart: line, Caption: "Build time should grow linearly with the number of model × fleet pairs."},
		site.Table{ID: "scale-table", Caption: "Build of generated catalogs", Header: []string{"Models", "Fleets", "Wall (s)", "Peak memory", "Written"}, Rows: rows})
}

// maxTP bounds the TP degrees the fit solvers try.
const maxTP = 64

// fitSection is the "what makes it fit" table: for every fleet where the
// page's scenario does not fit, the cheapest change that does; and the
// smallest tensor-parallel group of each accelerator that holds it.
func (b *builder) fitSection(s *study) []site.Block {
	c, set := b.c, b.c.Settings
	arch := &s.m.Arch
	var rows [][]string
	for i, p := range s.plans {
		if p.err != nil || p.p.Memory(set.ScenarioContext, set.ScenarioBatch).FreeBytes >= 0 {
			continue
		}
		opts := analysis.FitOptions(arch, s.sc, c.AnalysisFleet(c.Fleets[i]), set.ScenarioContext, set.ScenarioBatch, maxTP)
		fix, free := "none up to TP "+fmt.Sprint(maxTP), ""
		for _, o := range opts {
			if o.Fits {
				fix, free = o.Change, gibText(o.FreeBytes)
				break
			}
		}
		rows = append(rows, []string{c.Fleets[i].Title, "short by " + gibText(-opts[0].FreeBytes) + " GiB", fix, free})
	}
	blocks := []site.Block{site.Text{Heading: "What makes it fit", ID: "what-fits",
		Paragraphs: []string{fmt.Sprintf("For %d sequences of %s tokens, changes are tried cheapest first: an fp8 KV cache, int4 weights (embeddings, head and routers kept in bf16), both, then doubling tensor parallelism (more GPUs of the same kind).", set.ScenarioBatch, units.Group(set.ScenarioContext))}}}
	if len(rows) > 0 {
		blocks = append(blocks, site.Table{ID: "fit-changes", Caption: "Fleets where the scenario does not fit, and the cheapest change that makes it fit",
			Header: []string{"Fleet", "As given", "Cheapest change", "Free after (GiB/GPU)"}, Rows: rows, DataName: "model-" + s.slug + "-fit-changes"})
	} else {
		blocks = append(blocks, site.Text{Paragraphs: []string{"The scenario fits on every fleet as given."}})
	}
	var smallest [][]string
	for _, a := range c.Accelerators {
		tp, ok := analysis.SmallestTP(arch, s.sc, a.RuntimeBytes, set.ScenarioContext, set.ScenarioBatch, maxTP)
		cell := fmt.Sprintf("%d GPU(s), TP %d", tp, tp)
		if !ok {
			cell = fmt.Sprintf("more than %d", maxTP)
		}
		smallest = append(smallest, []string{a.Name, units.FormatGiB(a.RuntimeBytes), cell})
	}
	blocks = append(blocks, site.Table{ID: "smallest", Caption: "Smallest tensor-parallel group of each accelerator that holds the scenario",
		Header: []string{"Accelerator", "Memory (runtime)", "Smallest group"}, Rows: smallest, DataName: "model-" + s.slug + "-smallest"})
	return blocks
}

// engineSection compares what kvplot's simple policy, vLLM and SGLang
// would give the KV cache on each fleet, and charts vLLM's concurrency
// against context.
func (b *builder) engineSection(s *study, ctxs []int64) []site.Block {
	c, set := b.c, b.c.Settings
	arch := &s.m.Arch
	maxLen := arch.MaxContext
	if maxLen == 0 {
		maxLen = set.ScenarioContext
	}
	bar := charts.Bar{ID: "engineTokens", Title: "KV cache tokens by engine", Subtitle: "per replica; 0: the engine would not start",
		XName: "fleet", YName: "KV cache", YUnit: "K tokens"}
	chartEngine := map[string]int{"simple": 0, "vllm": 1, "sglang": 2}[set.Engine]
	engineTitle := []string{"kvplot simple", "vLLM", "SGLang"}[chartEngine]
	line := charts.Line{ID: "engineCapacity", Title: engineTitle + " max concurrency vs context", Subtitle: "requests of max_model_len tokens, per replica",
		XName: "max_model_len (tokens)", YName: "concurrency", YUnit: "requests", X: tokenLabels(ctxs), YLog: true}
	engines := []string{"simple", "vllm", "sglang"}
	vals := make([][]float64, len(engines))
	var rows [][]string
	var raw [][]any
	for i, f := range c.Fleets {
		if s.plans[i].err != nil {
			continue
		}
		a, _ := c.Accelerator(f.Accelerator)
		fl := c.AnalysisFleet(f)
		bar.Categories = append(bar.Categories, f.Title)
		row := []string{f.Title}
		r := []any{f.Name}
		var vllmLine string
		for j, e := range []engine.Engine{
			engine.Simple{Overhead: set.Overhead, MaxModelLen: maxLen},
			engine.VLLM{Accelerator: a.Name, MaxModelLen: maxLen},
			engine.SGLang{ContextLen: maxLen},
		} {
			est, err := e.Estimate(arch, s.sc, fl)
			tokens := est.KVCacheTokens
			if err != nil || est.StartupError != "" {
				tokens = 0
			}
			vals[j] = append(vals[j], math.Round(float64(tokens)/1024*10)/10)
			row = append(row, units.Group(tokens))
			r = append(r, tokens)
			if j == chartEngine && tokens > 0 {
				conc := make([]float64, len(ctxs))
				for k, ctx := range ctxs {
					conc[k] = math.Round(est.MaxConcurrency(ctx)*100) / 100
				}
				line.Series = append(line.Series, charts.Series{Name: f.Title, Values: conc})
			}
			if j == 1 {
				vllmLine = fmt.Sprintf("%s GiB available", gibText(est.AvailableKVBytes))
				if tokens == 0 {
					vllmLine = "would not start: " + est.StartupError
				}
			}
		}
		rows = append(rows, append(row, vllmLine))
		raw = append(raw, append(r, vllmLine))
	}
	for j, e := range engines {
		bar.Series = append(bar.Series, charts.Series{Name: e, Values: vals[j]})
	}
	blocks := []site.Block{site.Text{Heading: "Engines: kvplot simple, vLLM, SGLang", ID: "engines",
		Paragraphs: []string{fmt.Sprintf("What each engine would give the KV cache with its default settings and max_model_len %s: vLLM 0.10 (gpu_memory_utilization 0.9, activation peak of a profiling pass, blocks of 16 tokens), SGLang (mem_fraction_static heuristic by GPU size and TP). The same model and GPUs can differ by 2× between engines.", units.Group(maxLen))}}}
	if len(bar.Categories) > 0 {
		blocks = append(blocks, site.Figure{Chart: bar})
		if len(line.Series) > 0 {
			blocks = append(blocks, site.Figure{Chart: line})
		}
		blocks = append(blocks, site.Table{ID: "engine-table", Caption: "KV cache tokens per replica by engine",
			Header: []string{"Fleet", "simple", "vLLM", "SGLang", "vLLM KV memory per GPU"}, Rows: rows, Raw: raw, DataName: "model-" + s.slug + "-engines"})
	}
	return blocks
}
