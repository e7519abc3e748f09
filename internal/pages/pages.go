// Package pages decides what kvplot's site shows: it runs the analysis for
// every model and fleet of a catalog and builds a page model for each page
// (Page: a path, a title and blocks of text, charts, tables, assumptions,
// formulas and links). It knows nothing of HTML and does no I/O; package
// site renders and writes what Build returns.
package pages

import (
	"fmt"
	"math"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/engine"
	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

// Site is the catalog's pages plus the spec files they link to.
type Site struct {
	Pages []Page
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
	// heads are the headline engine's figures, one per fleet (zero where
	// the plan failed).
	heads []headline
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
	slugs := UniqueSlugs(names)
	fleetNames := make([]string, len(c.Fleets))
	for i, f := range c.Fleets {
		fleetNames[i] = f.Name
	}
	fleetSlugs := UniqueSlugs(fleetNames)

	prof := headlineProfile(c.Settings)
	studies := make([]study, len(c.Models))
	parallel(len(c.Models), func(i int) {
		m := c.Models[i]
		s := study{m: m, slug: slugs[i], sc: c.Scenario(m)}
		s.params = m.Arch.Params()
		s.weight = s.sc.Weights.Bytes(s.params.ByClass)
		for _, f := range c.Fleets {
			p, err := c.Plan(m, f)
			s.plans = append(s.plans, planOrErr{p, err})
			var h headline
			if err == nil {
				h = headlineFor(prof, c, m, f, p)
			}
			s.heads = append(s.heads, h)
		}
		studies[i] = s
	})
	b := &builder{c: c, prof: prof, studies: studies, fleetSlugs: fleetSlugs, modelKeys: names, specFiles: map[string]string{}}
	// Spec files first, one at a time: pages only read the paths.
	b.modelSpecs = make([]Links, len(studies))
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
	modelPages := make([]Page, len(studies))
	parallel(len(studies), func(i int) { modelPages[i] = b.modelPage(i) })
	fleetPages := make([]Page, len(c.Fleets))
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

// publicError is an error as a page shows it: spec paths as the site
// publishes them (specs/fleets.yaml), never as --specs spelled them, so no
// local absolute path reaches a page and two spellings build the same site.
func (b *builder) publicError(err error) string {
	msg := err.Error()
	if b.c.Dir == "" {
		return msg
	}
	dir := filepath.Clean(b.c.Dir) + string(filepath.Separator)
	return strings.ReplaceAll(msg, dir, "specs/")
}

// specLinks registers a model's spec files for copying into the site and
// returns links to them: the model spec under specs/models/, the Hugging
// Face config it reads under specs/hf/. A name already taken by another
// file gets the model's slug in front.
func (b *builder) specLinks(m spec.Model) Links {
	var links Links
	for _, f := range []struct{ dir, file string }{{"specs/models/", m.File}, {"specs/hf/", m.ConfigFile}} {
		if f.file == "" {
			continue
		}
		sp := f.dir + path.Base(f.file)
		if prev, taken := b.specFiles[sp]; taken && prev != f.file {
			sp = f.dir + m.Slug + "-" + path.Base(f.file)
		}
		b.specFiles[sp] = f.file
		links = append(links, Link{Text: "Spec file " + path.Base(f.file), Href: sp})
	}
	return links
}

type builder struct {
	c          *spec.Catalog
	prof       engine.Profile // the headline engine
	studies    []study
	fleetSlugs []string
	modelKeys  []string
	specFiles  map[string]string
	modelSpecs []Links // links to each model's spec files
}

func modelPath(slug string) string { return "models/" + slug + ".html" }

// modelLinks are the model pages, in catalog order: the row links of a
// table with one row per model.
func (b *builder) modelLinks() []string {
	out := make([]string, len(b.studies))
	for i, s := range b.studies {
		out[i] = modelPath(s.slug)
	}
	return out
}

// fleetLinks are the fleet pages, in catalog order.
func (b *builder) fleetLinks() []string {
	out := make([]string, len(b.fleetSlugs))
	for i, slug := range b.fleetSlugs {
		out[i] = fleetPath(slug)
	}
	return out
}
func fleetPath(slug string) string { return "fleets/" + slug + ".html" }

// gib rounds bytes to GiB with 3 decimals for charts.
func gib(b int64) float64 { return math.Round(units.GiB(b)*1000) / 1000 }

func gibText(b int64) string { return fmt.Sprintf("%.2f", units.GiB(b)) }

// ctxLimitText shows a max context: capped by the model's own limit
// ("8,192 (model limit)"), unbounded only when memory never binds and the
// model states no limit.
func ctxLimitText(l analysis.ContextLimit) string {
	switch {
	case l.LimitedByModel:
		return units.Group(l.Tokens) + " (model limit)"
	case l.Unbounded:
		return "unbounded (model limit unknown)"
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
func (b *builder) assumptions(extra ...string) Assumptions {
	s := b.c.Settings
	wd := "each model's own checkpoint format (see its page)"
	if s.WeightDType != "" {
		wd = s.WeightDType + " for every model (embeddings, lm_head and routers kept in bf16)"
	}
	o := s.Overhead
	a := Assumptions{
		"Units: GiB = 2^30 bytes, KiB = 2^10 bytes; accelerator capacities are what the runtime reports (e.g. 79.19 GiB for an \"80 GB\" H100), not the nameplate.",
		"Weights: " + wd + ".",
		"KV cache: " + kvDesc(s.KVDType) + "; sliding-window layers hold at most their window, Mamba and linear-attention layers a fixed state.",
		fmt.Sprintf("Overhead policy simple: per accelerator, a runtime reserve of %s + %.0f%% of capacity and an activation reserve of %.2f × the weights it holds.",
			units.FormatGiB(o.FixedBytes), 100*o.CapacityFraction, o.WeightsMultiple),
		"Tensor parallelism splits weights and KV heads (replicating KV heads when TP exceeds them, and the MLA latent on every rank); pipeline parallelism splits layers; per-GPU figures are the most loaded accelerator's.",
		fmt.Sprintf("Scenario for memory bars: %d sequences of %s tokens.", s.ScenarioBatch, units.Group(s.ScenarioContext)),
		headlineText(b.prof, s),
		layoutAssumption,
		"Context: every max-context figure is capped by the model's own limit (max_position_embeddings, with the rope_scaling rule vLLM applies); \"model limit\" marks where memory would hold more. A model whose config states no limit shows memory's figure.",
	}
	return append(a, extra...)
}

func kvDesc(d analysis.DType) string {
	if d.GroupSize > 0 {
		return fmt.Sprintf("%s (%d bits per element plus %d bits of scale per %d elements)", d.Name, d.Bits, d.ScaleBits, d.GroupSize)
	}
	return fmt.Sprintf("%s (%d bits per element)", d.Name, d.Bits)
}

var formulas = Formulas{
	"KV bytes per token per layer = kv_heads × (bytes(head_dim) + bytes(v_head_dim))      full, sliding, chunked attention",
	"                             = bytes(kv_lora_rank + qk_rope_head_dim)                MLA (one latent, no V)",
	"KV bytes of a sequence       = Σ_layers per_token × min(context, window) + Σ fixed states",
	"KV budget per GPU            = capacity − weights per GPU − activation reserve − runtime reserve",
	"max context (batch B)        = largest C with B × KV(C) ≤ budget on every pipeline stage (binary search)",
	"max concurrency (context C)  = ⌊budget ÷ KV(C)⌋ per replica",
	"weight bytes                 = Σ_classes ⌈params × bits / 8⌉ + ⌈params / group⌉ × scale_bits / 8",
}

// rowsHeight sizes a chart with one row per model: 24 px a row plus room
// for titles, axes and the legend.
func rowsHeight(rows int) int { return max(420, 160+24*rows) }

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
