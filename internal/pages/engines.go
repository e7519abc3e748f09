package pages

import (
	"fmt"
	"math"
	"strings"

	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/engine"
	"github.com/kvplot/kvplot/internal/units"
)

// engineNote says what an engine makes of a fleet: its KV memory, or why
// it would not start.
func engineNote(est engine.Estimate, err error) string {
	switch {
	case err != nil:
		return "cannot be placed: " + err.Error()
	case est.StartupError != "":
		return "would not start: " + est.StartupError
	case est.KVCacheTokens == 0:
		return "no KV cache: " + gibText(est.AvailableKVBytes) + " GiB available"
	}
	return fmt.Sprintf("%s GiB available", gibText(est.AvailableKVBytes))
}

// engineSection compares what kvplot's simple policy, vLLM and SGLang
// would give the KV cache on every fleet (each in the layout kvplot
// chose), states the measured spread between them, and charts the
// headline engine's concurrency against context. No fleet is left out: a
// fleet without a layout or where an engine would not start says why.
func (b *builder) engineSection(s *study, ctxs []int64) []Block {
	c, set := b.c, b.c.Settings
	arch := &s.m.Arch
	maxLen := headlineMaxModelLen(s.m, set)
	names := []string{"simple", "vllm", "sglang"}
	profs := make([]engine.Profile, len(names))
	for j, n := range names {
		profs[j], _ = engine.Lookup(n)
	}
	bar := charts.Bar{ID: "engineTokens", Title: "KV cache tokens by engine", Subtitle: "per replica; a missing bar: the engine would not start (see the table)",
		XName: "fleet", YName: "KV cache", YUnit: "K tokens"}
	line := charts.Line{ID: "engineCapacity", Title: b.prof.Name() + " max concurrency vs context", Subtitle: "requests of max_model_len tokens, per replica",
		XName: "max_model_len (tokens, log₂ scale)", YName: "concurrency", YUnit: "requests", X: tokenLabels(ctxs), YLog: true}
	vals := make([][]float64, len(names))
	var tbl dataTable
	var notDrawn []string
	spread, spreadFleet := 0.0, ""
	for i, f := range c.Fleets {
		bar.Categories = append(bar.Categories, f.Title)
		var r dataRow
		r.add(f.Title, f.Name)
		p := s.plans[i]
		if p.err != nil {
			why := "no layout: " + p.err.Error()
			r.null("no layout", why)
			for j := range names {
				vals[j] = append(vals[j], math.NaN())
				r.add("n/a", nil)
			}
			r.add(why, why)
			tbl.append(&r)
			notDrawn = append(notDrawn, f.Title+" ("+why+")")
			continue
		}
		lt := layoutText(p.p.Fleet)
		r.add(lt, lt)
		a, _ := c.Accelerator(f.Accelerator)
		acc := engine.Accelerator{ID: a.ID, Name: a.Name, SMCount: a.SMCount}
		lo, hi := int64(math.MaxInt64), int64(0)
		var headNote string
		for j, prof := range profs {
			est, err := prof.Estimate(arch, s.sc, p.p.Fleet, acc, engine.Settings{MaxModelLen: maxLen, ModelFamily: s.m.Family})
			tokens := est.KVCacheTokens
			if err != nil || tokens <= 0 {
				vals[j] = append(vals[j], math.NaN())
				cell := "would not start"
				if prof.Engine == "simple" {
					cell = "does not fit"
				}
				r.null(cell, prof.Name()+" "+engineNote(est, err))
			} else {
				vals[j] = append(vals[j], math.Round(float64(tokens)/1024*10)/10)
				r.add(units.Group(tokens), tokens)
				lo, hi = min(lo, tokens), max(hi, tokens)
			}
			if prof.Engine == b.prof.Engine {
				headNote = engineNote(est, err)
				if err != nil || tokens <= 0 {
					notDrawn = append(notDrawn, f.Title+" ("+b.prof.Name()+" "+headNote+")")
				} else {
					conc := make([]float64, len(ctxs))
					for k, ctx := range ctxs {
						conc[k] = math.Round(est.MaxConcurrency(ctx)*100) / 100
					}
					line.Series = append(line.Series, charts.Series{Name: f.Title, Values: conc, Color: charts.ColorFor(f.Name, b.fleetKeys())})
				}
			}
		}
		r.add(headNote, headNote)
		tbl.append(&r)
		if hi > 0 && lo > 0 && lo != math.MaxInt64 {
			if x := float64(hi) / float64(lo); x > spread {
				spread, spreadFleet = x, f.Title
			}
		}
	}
	for j, n := range names {
		col, _ := charts.EngineColor(profs[j].Engine)
		bar.Series = append(bar.Series, charts.Series{Name: n, Values: vals[j], Color: col})
	}
	text := fmt.Sprintf("What each engine would give the KV cache with its default settings and max_model_len %s, in the layout kvplot chose on each fleet: vLLM %s (gpu_memory_utilization 0.9, activation peak of its profiling pass, blocks of 16 tokens), SGLang %s (mem_fraction_static heuristic by GPU size and TP), and kvplot's simple policy. The headline figures of this site use %s.",
		units.Group(maxLen), profs[1].Version, profs[2].Version, b.prof.Name())
	if spreadFleet != "" {
		text += fmt.Sprintf(" Measured here, the engines that start differ by up to %.1f× in KV-cache tokens (on %s).", spread, spreadFleet)
	}
	blocks := []Block{Text{Heading: "Engines: kvplot simple, vLLM, SGLang", ID: "engines", Paragraphs: []string{text}}, Figure{Chart: bar, MinWidth: categoriesMinWidth(len(bar.Categories))}}
	lineCaption := "Every fleet is drawn."
	if len(notDrawn) > 0 {
		lineCaption = "Not drawn: " + strings.Join(notDrawn, "; ") + "."
	}
	if len(line.Series) > 0 {
		blocks = append(blocks, Figure{Chart: line, Caption: lineCaption})
	} else {
		blocks = append(blocks, Text{Paragraphs: []string{b.prof.Name() + " would start on no fleet. " + lineCaption}})
	}
	blocks = append(blocks, Table{ID: "engine-table", Caption: "KV cache tokens per replica by engine",
		Header: []string{"Fleet", "Layout", "simple", profs[1].Name(), profs[2].Name(), b.prof.Name() + " KV memory per GPU"}, Rows: tbl.rows, Raw: tbl.raw,
		Keys: []string{"fleet", "layout", "kv_cache_tokens_simple", "kv_cache_tokens_vllm", "kv_cache_tokens_sglang", "headline_engine_status", "note"}, DataName: "model-" + s.slug + "-engines", RowLinks: b.fleetLinks()})
	return blocks
}
