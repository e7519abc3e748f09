package pages

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/units"
)

// modelPage is one model's page: what the model is, then how its KV
// cache grows, what each fleet holds, what engines would give it, and the
// tables behind the charts. Each section is its own function, in page order.
func (b *builder) modelPage(si int) Page {
	s := &b.studies[si]
	ctxs := b.contexts(s)
	pg := Page{Path: modelPath(s.slug), Title: s.m.Name, Intro: s.m.Description}
	for _, section := range [][]Block{
		b.factsSection(s),
		b.sourceLinks(si),
		b.growthSection(s, ctxs),
		b.memorySection(s),
		b.fitSection(s),
		b.engineSection(s, ctxs),
		b.speedSection(s, ctxs),
		b.heatmapSection(s),
		b.dtypeSection(s, ctxs),
		b.limitsSection(s),
		b.perTokenSection(s),
		b.growthTableSection(s, ctxs),
		b.closingSection(),
	} {
		pg.Blocks = append(pg.Blocks, section...)
	}
	return pg
}

// factsSection is the table of what the model is: parameters, weights,
// layers, KV cache per token, context limit.
func (b *builder) factsSection(s *study) []Block {
	m := s.m
	arch := &m.Arch
	var blocks []Block
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
		label := "Parameters (published)"
		if m.ParamsCounted {
			// Counted by others from the same config: agreement checks
			// the arithmetic, not the reading of the config.
			label = "Parameters (counted by others from the same config, not published)"
			if d == 0 {
				note = "same count"
			}
		}
		facts = append(facts, []string{label, units.Group(m.ParamsPublished) + " — " + note})
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
	limit := "unknown: the config states none, so memory alone limits the figures below"
	if arch.MaxContext > 0 {
		limit = units.Group(arch.MaxContext) + " tokens (caps every max-context figure below)"
	}
	facts = append(facts, []string{"Context limit (model)", limit})
	blocks = append(blocks, Table{ID: "facts", Caption: "The model", Header: []string{"Quantity", "Value"}, Rows: facts, Fixed: true})
	return blocks
}

// sourceLinks links the model's page, the source of its published
// parameter count, and its spec files.
func (b *builder) sourceLinks(si int) []Block {
	m := b.studies[si].m
	var links Links
	if m.Source != "" {
		links = append(links, Link{Text: "Model page", Href: m.Source, External: true})
	}
	if m.ParamsSource != "" && strings.HasPrefix(m.ParamsSource, "http") {
		text := "Source of the published parameter count"
		if m.ParamsCounted {
			text = "Source of the parameter count"
		}
		links = append(links, Link{Text: text, Href: m.ParamsSource, External: true})
	}
	links = append(links, b.modelSpecs[si]...)
	if len(links) > 0 {
		return []Block{links}
	}
	return nil
}

// growthSection charts KV cache against context, one line per batch, with
// each fleet's KV budget as a line.
func (b *builder) growthSection(s *study, ctxs []int64) []Block {
	set := b.c.Settings
	m := s.m
	arch := &m.Arch
	var blocks []Block
	line := charts.Line{ID: "kvGrowth", Title: "KV cache vs context", Subtitle: fmt.Sprintf("whole model, %s; dashed: KV budgets of a few fleets (whole-model equivalent)", s.sc.KV.Name),
		XName: "context (tokens, log₂ scale)", YName: "KV cache", YUnit: "GiB", X: tokenLabels(ctxs), YLog: true}
	grid := arch.KVGrid(s.sc.KV, ctxs, set.Batches)
	batchColors := charts.Sequential(len(set.Batches))
	for j, bs := range set.Batches {
		vals := make([]float64, len(ctxs))
		for i := range ctxs {
			vals[i] = gib(grid[i][j])
		}
		line.Series = append(line.Series, charts.Series{Name: fmt.Sprintf("batch %d", bs), Values: vals, Color: batchColors[j]})
	}
	line.MarkLines = b.budgetLines(s)
	blocks = append(blocks, Text{Heading: "KV cache growth", ID: "growth",
		Paragraphs: []string{"The cache grows linearly with context and batch until sliding windows cap it. A fleet's budget line is its per-GPU KV budget scaled to the whole model (by how the fleet splits the cache), so a curve under a line fits on that fleet. The lines shown are the smallest fleet the model fits on, the largest budget, and the site's reference fleet; the table below has every fleet."}},
		Figure{Chart: line})

	return blocks
}

// kvFormatColors keep each KV cache format's colour on every page.
var kvFormatColors = map[string]string{"bf16": "#2b5c8a", "fp8": "#1b9e77", "int4": "#d95f02"}

// fleetKeys are every fleet's name, for ColorFor.
func (b *builder) fleetKeys() []string {
	keys := make([]string, len(b.c.Fleets))
	for i, f := range b.c.Fleets {
		keys[i] = f.Name
	}
	return keys
}

// budgetLines are the KV budget lines of the growth chart: the smallest
// fleet (by total memory) the model fits on, the site's reference fleet,
// a middle one and the largest budget; at most four, low to high.
func (b *builder) budgetLines(s *study) []charts.MarkLine {
	c := b.c
	type budget struct {
		fleet  int
		gib    float64
		memory int64
	}
	var all []budget
	one := s.m.Arch.KVBytes(s.sc.KV, 1, 1)
	for i, p := range s.plans {
		if p.err != nil || !p.p.Fits() {
			continue
		}
		perGPU := p.p.KVBytesPerGPU(1, 1)
		if perGPU == 0 || one == 0 {
			continue
		}
		equiv := float64(p.p.KVBudgetBytesPerGPU()) * float64(one) / float64(perGPU)
		a, _ := c.Accelerator(c.Fleets[i].Accelerator)
		all = append(all, budget{i, math.Round(equiv/(1<<30)*100) / 100, int64(c.Fleets[i].Count) * a.RuntimeBytes})
	}
	if len(all) == 0 {
		return nil
	}
	smallest, largest := all[0], all[0]
	for _, x := range all[1:] {
		if x.memory < smallest.memory {
			smallest = x
		}
		if x.gib > largest.gib {
			largest = x
		}
	}
	picked := map[int]string{} // fleet → note after its name
	pick := func(fleet int, note string) {
		if _, ok := picked[fleet]; !ok {
			picked[fleet] = note
		}
	}
	pick(smallest.fleet, " (smallest that fits)")
	pick(largest.fleet, "")
	for _, x := range all {
		if c.Fleets[x.fleet].Name == c.Settings.HeatmapFleet {
			pick(x.fleet, "")
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].gib < all[j].gib })
	if len(picked) < 4 {
		pick(all[len(all)/2].fleet, "")
	}
	var lines []charts.MarkLine
	for _, x := range all {
		if note, ok := picked[x.fleet]; ok {
			lines = append(lines, charts.MarkLine{Name: c.Fleets[x.fleet].Title + note, Value: x.gib})
		}
	}
	return lines
}

// memorySection charts per-GPU memory on every fleet at the scenario and
// tabulates the verdicts.
func (b *builder) memorySection(s *study) []Block {
	c, set := b.c, b.c.Settings
	var blocks []Block
	bar := charts.StackedBar{ID: "memPerGPU", Title: "Memory per GPU", Subtitle: fmt.Sprintf("%d × %s tokens; black bar: the GPU's capacity, parts above it do not fit", set.ScenarioBatch, units.Group(set.ScenarioContext)),
		XName: "fleet", YName: "memory per GPU", YUnit: "GiB"}
	comp := map[string][]float64{}
	order := []string{charts.ComponentWeights, charts.ComponentKVCache, charts.ComponentActivation, charts.ComponentRuntime, charts.ComponentFree}
	var fit dataTable
	for i, p := range s.plans {
		f := c.Fleets[i]
		bar.Categories = append(bar.Categories, f.Title)
		a, _ := c.Accelerator(f.Accelerator)
		bar.Capacity = append(bar.Capacity, gib(a.RuntimeBytes))
		if p.err != nil {
			for _, k := range order {
				comp[k] = append(comp[k], math.NaN())
			}
			var r dataRow
			r.add(f.Title, f.Name)
			r.null("n/a: no layout: "+b.publicError(p.err), "no layout: "+b.publicError(p.err))
			for range 7 {
				r.add("", nil)
			}
			fit.append(&r)
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
		var r dataRow
		r.add(f.Title, f.Name)
		r.add(verdict, mem.FreeBytes >= 0)
		for _, v := range []int64{mem.CapacityBytes, mem.WeightsBytes, mem.KVBytes, mem.ActivationBytes + mem.RuntimeBytes, p.p.KVBudgetBytesPerGPU(), mem.FreeBytes} {
			r.add(gibText(v), v)
		}
		lt := layoutText(p.p.Fleet)
		r.add(lt, lt)
		fit.append(&r)
	}
	for _, k := range order {
		bar.Series = append(bar.Series, charts.Series{Name: k, Values: comp[k]})
	}
	blocks = append(blocks, Text{Heading: "Memory per GPU on each fleet", ID: "memory"}, Figure{Chart: bar, MinWidth: categoriesMinWidth(len(bar.Categories))},
		Table{ID: "fit", Caption: fmt.Sprintf("Scenario %d × %s tokens, per GPU (GiB)", set.ScenarioBatch, units.Group(set.ScenarioContext)),
			Header: []string{"Fleet", "Verdict", "Capacity", "Weights", "KV cache", "Reserves", "KV budget", "Free", "Layout"}, Rows: fit.rows, Raw: fit.raw,
			Keys: []string{"fleet", "fits", "capacity_bytes_per_gpu", "weights_bytes_per_gpu", "kv_bytes_per_gpu", "reserves_bytes_per_gpu", "kv_budget_bytes_per_gpu", "free_bytes_per_gpu", "layout", "note"}, DataName: "model-" + s.slug + "-fit", RowLinks: b.fleetLinks()})

	return blocks
}

// heatmapSection maps context × batch to per-GPU memory on one fleet.
func (b *builder) heatmapSection(s *study) []Block {
	c, set := b.c, b.c.Settings
	var blocks []Block
	if fi := b.heatmapFleet(s); fi >= 0 {
		p := s.plans[fi].p
		hm := charts.HeatMap{ID: "memHeat", Title: "Memory per GPU on " + c.Fleets[fi].Title, Subtitle: "weights + KV + reserves (simple policy); grey: does not fit or beyond the model's context limit",
			XName: "context", YName: "batch", Unit: "GiB", X: tokenLabels(set.Contexts)}
		for _, bs := range set.Batches {
			hm.Y = append(hm.Y, fmt.Sprint(bs))
			row := make([]float64, len(set.Contexts))
			for j, ctx := range set.Contexts {
				mem := p.Memory(ctx, bs)
				used := mem.CapacityBytes - mem.FreeBytes
				if mem.FreeBytes < 0 || !s.m.Arch.ContextServable(ctx) {
					row[j] = math.NaN()
				} else {
					row[j] = math.Round(units.GiB(used)*10) / 10
				}
			}
			hm.Values = append(hm.Values, row)
		}
		hm.Min, hm.Max = 0, math.Round(units.GiB(p.Fleet.CapacityBytes)*10)/10
		blocks = append(blocks, Text{Heading: "Context × batch on " + c.Fleets[fi].Title, ID: "heatmap"}, Figure{Chart: hm, MinWidth: bandMapMinWidth(len(hm.X))})
	}
	return blocks
}

// dtypeSection compares the KV cache formats.
func (b *builder) dtypeSection(s *study, ctxs []int64) []Block {
	set := b.c.Settings
	m := s.m
	arch := &m.Arch
	var blocks []Block
	dl := charts.Line{ID: "kvDTypes", Title: "KV cache format", Subtitle: "one sequence, whole model", XName: "context (tokens, log₂ scale)", YName: "KV cache", YUnit: "GiB", X: tokenLabels(ctxs)}
	var dt dataTable
	for _, name := range []string{"bf16", "fp8", "int4"} {
		d, _ := analysis.LookupKVDType(name)
		vals := make([]float64, len(ctxs))
		for i, ctx := range ctxs {
			vals[i] = gib(arch.KVBytes(d, ctx, 1))
		}
		dl.Series = append(dl.Series, charts.Series{Name: name, Values: vals, Color: kvFormatColors[name]})
		var r dataRow
		r.add(name, name)
		r.add(units.Group(arch.KVBytesPerToken(d)), arch.KVBytesPerToken(d))
		r.add(gibText(arch.KVBytes(d, set.ScenarioContext, set.ScenarioBatch)), arch.KVBytes(d, set.ScenarioContext, set.ScenarioBatch))
		dt.append(&r)
	}
	blocks = append(blocks, Text{Heading: "KV cache formats", ID: "dtypes"}, Figure{Chart: dl},
		Table{ID: "dtype-table", Caption: "KV formats", Header: []string{"Format", "Bytes per token", fmt.Sprintf("GiB for %d × %s", set.ScenarioBatch, units.Group(set.ScenarioContext))}, Rows: dt.rows, Raw: dt.raw, Keys: []string{"kv_dtype", "kv_bytes_per_token", fmt.Sprintf("kv_bytes_batch_%d_context_%d", set.ScenarioBatch, set.ScenarioContext), "note"}, DataName: "model-" + s.slug + "-dtypes"})

	return blocks
}

// limitsSection tabulates max context per fleet × batch and max
// concurrency per fleet × context.
func (b *builder) limitsSection(s *study) []Block {
	c, set := b.c, b.c.Settings
	var blocks []Block
	mcHeader, mcKeys := []string{"Fleet", "Layout"}, []string{"fleet", "layout"}
	for _, bs := range set.Batches {
		mcHeader = append(mcHeader, fmt.Sprintf("batch %d", bs))
		mcKeys = append(mcKeys, fmt.Sprintf("max_context_tokens_batch_%d", bs))
	}
	mcKeys = append(mcKeys, "note")
	ccHeader, ccKeys := []string{"Fleet", "Layout"}, []string{"fleet", "layout"}
	for _, ctx := range set.Contexts {
		ccHeader = append(ccHeader, units.FormatTokens(ctx))
		ccKeys = append(ccKeys, "max_concurrency_per_replica_context_"+tokenKey(ctx))
	}
	ccKeys = append(ccKeys, "layout_replicas", "note")
	var mc, cc dataTable
	for i, p := range s.plans {
		var mr, cr dataRow
		mr.add(c.Fleets[i].Title, c.Fleets[i].Name)
		cr.add(c.Fleets[i].Title, c.Fleets[i].Name)
		if p.err != nil {
			mr.null("no layout", "no layout: "+b.publicError(p.err))
			cr.null("no layout", "no layout: "+b.publicError(p.err))
			for range set.Batches {
				mr.add("n/a", nil)
			}
			for range set.Contexts {
				cr.add("n/a", nil)
			}
			cr.extra(nil)
			mc.append(&mr)
			cc.append(&cr)
			continue
		}
		lt := layoutText(p.p.Fleet)
		mr.add(lt, lt)
		cr.add(lt, lt)
		h := s.heads[i]
		for _, bs := range set.Batches {
			mr.addContext(h.maxContext(bs), "", h.whyNot())
		}
		for _, ctx := range set.Contexts {
			cr.addConcurrency(h, ctx, "")
		}
		cr.extra(p.p.Fleet.Replicas())
		mc.append(&mr)
		cc.append(&cr)
	}
	blocks = append(blocks,
		Text{Heading: "Max context and concurrency", ID: "limits"},
		Table{ID: "max-context", Caption: "Max context per sequence (tokens), by fleet and batch size, capped by the model's own limit", Header: mcHeader, Rows: mc.rows, Raw: mc.raw, Keys: mcKeys, DataName: "model-" + s.slug + "-max-context", RowLinks: b.fleetLinks()},
		Table{ID: "max-concurrency", Caption: "Max concurrent sequences per replica, by fleet and context length (contexts beyond the model's limit are not counted)", Header: ccHeader, Rows: cc.rows, Raw: cc.raw, Keys: ccKeys, DataName: "model-" + s.slug + "-max-concurrency", RowLinks: b.fleetLinks()},
	)

	return blocks
}

// perTokenSection tabulates the cache cost of each layer type.
func (b *builder) perTokenSection(s *study) []Block {
	m := s.m
	arch := &m.Arch
	var blocks []Block
	var pt dataTable
	for _, k := range arch.KVCostByKind(s.sc.KV) {
		var r dataRow
		r.add(k.Kind.String(), k.Kind.String())
		r.add(fmt.Sprint(k.Layers), k.Layers)
		r.add(units.Group(k.PerTokenPerLayer), k.PerTokenPerLayer)
		r.add(units.Group(k.PerToken()), k.PerToken())
		if k.Window > 0 {
			r.add(units.Group(k.Window), k.Window)
		} else {
			r.null("—", "no window: the cache of these layers is not capped by one")
		}
		r.add(units.Group(k.StatePerLayer*k.Layers), k.StatePerLayer*k.Layers)
		pt.append(&r)
	}
	blocks = append(blocks, Table{ID: "per-token", Caption: "Cache cost by layer type (" + s.sc.KV.Name + ")",
		Header: []string{"Layer type", "Layers", "Bytes/token/layer", "Bytes/token (all such layers)", "Window (tokens)", "Fixed state/sequence (bytes)"}, Rows: pt.rows, Raw: pt.raw, Keys: []string{"layer_kind", "layers", "kv_bytes_per_token_per_layer", "kv_bytes_per_token", "window_tokens", "state_bytes_per_sequence", "note"}, DataName: "model-" + s.slug + "-per-token"})

	return blocks
}

// growthTableSection tabulates the KV fraction of weights + KV as
// context grows (batch 1).
func (b *builder) growthTableSection(s *study, ctxs []int64) []Block {
	m := s.m
	arch := &m.Arch
	var blocks []Block
	var gRows [][]string
	var gRaw [][]any
	for _, ctx := range ctxs {
		kv := arch.KVBytes(s.sc.KV, ctx, 1)
		tot := kv + s.weight
		frac := 100 * float64(kv) / float64(max(tot, 1))
		gRows = append(gRows, []string{units.Group(ctx), gibText(kv), gibText(tot), fmt.Sprintf("%.1f%%", frac)})
		gRaw = append(gRaw, []any{ctx, kv, tot, math.Round(frac*10) / 10, nil})
	}
	blocks = append(blocks, Table{ID: "growth-table", Caption: "KV fraction of weights + KV as context grows (batch 1)",
		Header: []string{"Context", "KV (GiB)", "Weights + KV (GiB)", "KV fraction"}, Rows: gRows, Raw: gRaw, Keys: []string{"context_tokens", "kv_bytes", "weights_plus_kv_bytes", "kv_percent", "note"}, DataName: "model-" + s.slug + "-growth"})

	return blocks
}

// closingSection is the assumptions and formulas every page ends with.
func (b *builder) closingSection() []Block {
	return []Block{Text{Heading: "Assumptions", ID: "assumptions"}, b.assumptions(), Text{Heading: "Formulas", ID: "formulas"}, formulas}
}

// mainFormat is the format of the class holding the most parameters, marked
// "(mixed)" when other classes with parameters are stored differently (norms
// aside): a quantized checkpoint is not shown as its bf16 base.
func mainFormat(w analysis.WeightScheme, counts analysis.ClassCounts) string {
	largest := analysis.TensorClass(0)
	for c, n := range counts {
		if n > counts[largest] {
			largest = analysis.TensorClass(c)
		}
	}
	f := w.For(largest).Name
	for c, n := range counts {
		if n > 0 && analysis.TensorClass(c) != analysis.NormWeights && w.For(analysis.TensorClass(c)).Name != f {
			return f + " (mixed)"
		}
	}
	return f
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

// maxTP bounds the TP degrees the fit solvers try.
const maxTP = 64

// fitSection is the "what makes it fit" table: for every fleet where the
// page's scenario does not fit, the cheapest change that does; and the
// smallest tensor-parallel group of each accelerator that holds it.
func (b *builder) fitSection(s *study) []Block {
	c, set := b.c, b.c.Settings
	arch := &s.m.Arch
	var changes dataTable
	var links []string
	for i, p := range s.plans {
		if p.err != nil || p.p.Memory(set.ScenarioContext, set.ScenarioBatch).FreeBytes >= 0 {
			continue
		}
		opts := analysis.FitOptions(arch, s.sc, p.p.Fleet, set.ScenarioContext, set.ScenarioBatch, maxTP)
		var r dataRow
		r.add(c.Fleets[i].Title, c.Fleets[i].Name)
		r.add("short by "+gibText(-opts[0].FreeBytes)+" GiB", -opts[0].FreeBytes)
		found := false
		for _, o := range opts {
			if o.Fits {
				r.add(o.Change, o.Change)
				r.add(gibText(o.FreeBytes), o.FreeBytes)
				found = true
				break
			}
		}
		if !found {
			why := fmt.Sprintf("no change tried fits, up to TP %d", maxTP)
			r.null("none up to TP "+fmt.Sprint(maxTP), why)
			r.null("", why)
		}
		changes.append(&r)
		links = append(links, fleetPath(b.fleetSlugs[i]))
	}
	blocks := []Block{Text{Heading: "What makes it fit", ID: "what-fits",
		Paragraphs: []string{fmt.Sprintf("For %d sequences of %s tokens, changes are tried cheapest first: an fp8 KV cache, int4 weights (embeddings, head and routers kept in bf16), both, then doubling tensor parallelism (more GPUs of the same kind).", set.ScenarioBatch, units.Group(set.ScenarioContext))}}}
	if len(changes.rows) > 0 {
		blocks = append(blocks, Table{ID: "fit-changes", Caption: "Fleets where the scenario does not fit, and the cheapest change that makes it fit",
			Header: []string{"Fleet", "As given", "Cheapest change", "Free after (GiB/GPU)"}, Rows: changes.rows, Raw: changes.raw,
			Keys: []string{"fleet", "short_bytes_per_gpu", "change", "free_bytes_per_gpu_after", "note"}, DataName: "model-" + s.slug + "-fit-changes", RowLinks: links})
	} else {
		blocks = append(blocks, Text{Paragraphs: []string{"The scenario fits on every fleet as given."}})
	}
	var smallest dataTable
	for _, a := range c.Accelerators {
		tp, ok := analysis.SmallestTP(arch, s.sc, a.RuntimeBytes, set.ScenarioContext, set.ScenarioBatch, maxTP)
		var r dataRow
		r.add(a.Name, a.ID)
		r.add(units.FormatGiB(a.RuntimeBytes), a.RuntimeBytes)
		if ok {
			r.add(fmt.Sprintf("%d GPU(s), TP %d", tp, tp), tp)
		} else {
			r.null(fmt.Sprintf("more than %d", maxTP), fmt.Sprintf("no tensor-parallel group up to %d holds the scenario", maxTP))
		}
		smallest.append(&r)
	}
	blocks = append(blocks, Table{ID: "smallest", Caption: "Smallest tensor-parallel group of each accelerator that holds the scenario",
		Header: []string{"Accelerator", "Memory (runtime)", "Smallest group"}, Rows: smallest.rows, Raw: smallest.raw,
		Keys: []string{"accelerator", "runtime_bytes", "tp", "note"}, DataName: "model-" + s.slug + "-smallest"})
	return blocks
}
