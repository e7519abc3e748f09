package pages

import (
	"fmt"
	"math"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/units"
)

// fleetSpeed is one fleet's serving figures for a model at the page
// scenario's context: the serving curve's end and the cost there.
type fleetSpeed struct {
	fleet         int // index into the catalog's fleets
	plan          analysis.Plan
	speed         analysis.Speed
	limit         int64 // sequences per replica at the end of the curve
	memoryLimited bool
	atLimit       analysis.Perf
	price         float64 // per accelerator-hour, 0 unknown
}

// tokensPerS is the whole fleet's estimated output at the limit.
func (f fleetSpeed) tokensPerS() float64 {
	return f.atLimit.DecodeTokensPerS * float64(f.plan.Fleet.Replicas())
}

// costPerMillion is the estimated cost of a million output tokens at the
// limit, NaN without a price.
func (f fleetSpeed) costPerMillion() float64 {
	if f.price <= 0 {
		return math.NaN()
	}
	gpus := float64(f.plan.Fleet.TP * f.plan.Fleet.PP)
	return f.price * gpus / 3600 / f.atLimit.DecodeTokensPerS * 1e6
}

// fleetSpeeds are the fleets a model fits on whose accelerators have
// speed figures, in catalog order.
func (b *builder) fleetSpeeds(s *study) []fleetSpeed {
	ctx := b.c.Settings.ScenarioContext
	var out []fleetSpeed
	for i, p := range s.plans {
		if p.err != nil || !p.p.Fits() {
			continue
		}
		a, _ := b.c.Accelerator(b.c.Fleets[i].Accelerator)
		sp := a.Speed()
		pts, limit, mem, err := p.p.ServingCurve(sp, analysis.DefaultSpeedCalibration, ctx, ctx)
		if err != nil || len(pts) == 0 {
			continue
		}
		out = append(out, fleetSpeed{fleet: i, plan: p.p, speed: sp, limit: limit, memoryLimited: mem, atLimit: pts[len(pts)-1].Perf, price: a.PricePerHour})
	}
	return out
}

// speedSection charts how fast each fleet serves the model: output tokens
// per second as concurrency grows until memory (or the batch limit) stops
// it, time to first token against prompt length, and the cost of a million
// output tokens; a table holds the figures with their bounds.
func (b *builder) speedSection(s *study, ctxs []int64) []Block {
	c := b.c
	ctx := c.Settings.ScenarioContext
	cal := analysis.DefaultSpeedCalibration
	fs := b.fleetSpeeds(s)
	blocks := []Block{Text{Heading: "Speed and cost", ID: "speed", Paragraphs: []string{
		fmt.Sprintf("How fast each fleet serves the model with sequences of %s tokens. A bound is physics: every decode step reads the weights a token passes through and every sequence's KV cache (max of bytes ÷ memory bandwidth and FLOPs ÷ peak). An estimate divides the bound by an efficiency fitted on published measurements and adds all-reduce and per-layer costs; %d%% of held-out published decode measurements fall within ±%.0f%% of it, %d%% of prefill ones within ±%.0f%%. See the README for the constants and sources.",
			units.Group(ctx), 80, cal.DecodeErrorP80Pct, 80, cal.PrefillErrorP80Pct),
	}}}
	if len(fs) == 0 {
		return append(blocks, Text{Paragraphs: []string{"No fleet both holds this model and has the accelerator speed figures (bandwidth, bf16 peak, interconnect) a speed estimate needs."}})
	}

	// Serving curve: fleet output against sequences per replica.
	var batches []int64
	for bt := int64(1); bt <= analysis.MaxServingBatch; bt *= 2 {
		batches = append(batches, bt)
	}
	curve := charts.Line{ID: "servingCurve", Title: "Serving curve: output tokens/s vs concurrency — " + cal.EstimateLabel(false),
		Subtitle: fmt.Sprintf("whole fleet, %s-token sequences; a line stops where memory (or the %d-sequence batch limit) stops it", units.Group(ctx), analysis.MaxServingBatch),
		XName:    "sequences per replica", YName: "output", YUnit: "tokens/s", YLog: true}
	for _, bt := range batches {
		curve.X = append(curve.X, fmt.Sprint(bt))
	}
	for _, f := range fs {
		vals := make([]float64, len(batches))
		for j, bt := range batches {
			vals[j] = math.NaN()
			if bt > f.limit {
				continue
			}
			if p, err := f.plan.Perf(f.speed, cal, bt, ctx, ctx); err == nil {
				vals[j] = round1(p.DecodeTokensPerS * float64(f.plan.Fleet.Replicas()))
			}
		}
		why := "memory"
		if !f.memoryLimited {
			why = "batch limit"
		}
		curve.Series = append(curve.Series, charts.Series{Name: fmt.Sprintf("%s (stops at %d: %s)", c.Fleets[f.fleet].Title, f.limit, why), Values: vals})
	}
	blocks = append(blocks, Figure{Chart: curve, Caption: "Each line ends at the most sequences one replica holds at this context (memory) or at 256 (vLLM's default max_num_seqs); past that point requests queue."})

	// Time to first token against prompt length.
	ttft := charts.Line{ID: "ttftCurve", Title: "Time to first token vs prompt length — " + cal.EstimateLabel(true),
		Subtitle: "one prompt on an idle replica", XName: "prompt (tokens)", YName: "time to first token", YUnit: "ms", YLog: true, X: tokenLabels(ctxs)}
	for _, f := range fs {
		vals := make([]float64, len(ctxs))
		for j, n := range ctxs {
			vals[j] = math.NaN()
			if s.m.Arch.MaxContext > 0 && n > s.m.Arch.MaxContext {
				continue
			}
			if p, err := f.plan.Perf(f.speed, cal, 1, n, n); err == nil {
				vals[j] = round1(p.PrefillS * 1000)
			}
		}
		ttft.Series = append(ttft.Series, charts.Series{Name: c.Fleets[f.fleet].Title, Values: vals})
	}
	blocks = append(blocks, Figure{Chart: ttft})

	// Cost per million output tokens, where a price is known.
	cost := charts.Bar{ID: "costPerMillion", Title: "Cost per million output tokens — " + cal.EstimateLabel(false),
		Subtitle: "at the end of each fleet's serving curve, at the accelerators' listed price per hour", XName: "fleet", YName: "cost", YUnit: "$", Horizontal: true}
	var costs []float64
	for _, f := range fs {
		if v := f.costPerMillion(); !math.IsNaN(v) {
			cost.Categories = append(cost.Categories, c.Fleets[f.fleet].Title)
			costs = append(costs, round3(v))
		}
	}
	if len(costs) > 0 {
		cost.Series = []charts.Series{{Name: "$ per million output tokens", Values: costs}}
		blocks = append(blocks, Figure{Chart: cost, Height: rowsHeight(len(costs)), Caption: "Only fleets whose accelerator has a price_per_hour in accelerators.yaml (with its source and date); prices vary by provider and commitment."})
	}

	// The figures, bounds beside estimates.
	var tbl dataTable
	for _, f := range fs {
		var r dataRow
		fl := c.Fleets[f.fleet]
		r.add(fl.Title, fl.Name)
		r.add(fmt.Sprintf("%d × TP %d × PP %d", f.plan.Fleet.Replicas(), f.plan.Fleet.TP, f.plan.Fleet.PP), fmt.Sprintf("%dx%dx%d", f.plan.Fleet.Replicas(), f.plan.Fleet.TP, f.plan.Fleet.PP))
		why := "memory"
		if !f.memoryLimited {
			why = "batch limit"
		}
		r.add(fmt.Sprintf("%d (%s)", f.limit, why), f.limit)
		r.add(fmt.Sprintf("%.2f", f.atLimit.DecodeStepBoundS*1000), round3(f.atLimit.DecodeStepBoundS*1000))
		r.add(fmt.Sprintf("%.2f", f.atLimit.DecodeStepS*1000), round3(f.atLimit.DecodeStepS*1000))
		r.add(fmt.Sprintf("%.1f", f.atLimit.DecodeTokensPerSPerSeq), round1(f.atLimit.DecodeTokensPerSPerSeq))
		r.add(fmt.Sprintf("%.0f", f.tokensPerS()), round1(f.tokensPerS()))
		r.add(fmt.Sprintf("%.1f", f.atLimit.PrefillBoundS*1000), round1(f.atLimit.PrefillBoundS*1000))
		r.add(fmt.Sprintf("%.1f", f.atLimit.PrefillS*1000), round1(f.atLimit.PrefillS*1000))
		if v := f.costPerMillion(); math.IsNaN(v) {
			r.null("no price", "no price_per_hour for "+fl.Accelerator)
		} else {
			r.add(fmt.Sprintf("%.3f", v), round3(v))
		}
		tbl.append(&r)
	}
	blocks = append(blocks, Table{ID: "speed-table", DataName: "model-" + s.slug + "-speed",
		Caption: fmt.Sprintf("At the end of each serving curve (%s-token sequences): decode step of all sequences of a replica (bound and estimate, ms), output per sequence and for the whole fleet (estimate, tokens/s), time to first token of a %s-token prompt (bound and estimate, ms), cost per million output tokens (estimate, $).", units.Group(ctx), units.Group(ctx)),
		Header:  []string{"Fleet", "Layout", "Sequences/replica", "Step bound (ms)", "Step est. (ms)", "Tokens/s/seq", "Tokens/s fleet", "TTFT bound (ms)", "TTFT est. (ms)", "$/M tokens"},
		Keys:    []string{"fleet", "layout", "max_concurrency_served", "decode_step_ms_bound", "decode_step_ms", "output_per_second_per_sequence", "output_per_second_fleet", "prefill_ms_bound", "prefill_ms", "usd_per_million_output", "note"},
		Rows:    tbl.rows, Raw: tbl.raw})
	return blocks
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// speedIndex is the index's cost and throughput view: for each model, the
// fleet with the lowest estimated cost per million output tokens, and the
// estimated output of every fleet at the end of its serving curve.
func (b *builder) speedIndex() []Block {
	c := b.c
	cal := analysis.DefaultSpeedCalibration
	bar := charts.Bar{ID: "cheapestFleet", Title: "Lowest cost per million output tokens — " + cal.EstimateLabel(false),
		Subtitle: fmt.Sprintf("per model, the cheapest priced fleet, %s-token sequences, each replica as full as memory allows (at most %d)", units.Group(c.Settings.ScenarioContext), analysis.MaxServingBatch),
		XName:    "model (fleet)", YName: "cost", YUnit: "$", Horizontal: true}
	var vals []float64
	header := []string{"Model"}
	keys := []string{"model"}
	for _, f := range c.Fleets {
		header = append(header, f.Title+" tokens/s")
		keys = append(keys, "output_per_second_"+f.Name)
	}
	header = append(header, "Cheapest fleet", "$/M tokens")
	keys = append(keys, "cheapest_fleet", "usd_per_million_output", "note")
	var tbl dataTable
	for i := range b.studies {
		s := &b.studies[i]
		fs := b.fleetSpeeds(s)
		byFleet := map[int]fleetSpeed{}
		best := -1
		for j, f := range fs {
			byFleet[f.fleet] = f
			if v := f.costPerMillion(); !math.IsNaN(v) && (best < 0 || v < fs[best].costPerMillion()) {
				best = j
			}
		}
		var r dataRow
		r.add(s.m.Name, s.m.Name)
		for k := range c.Fleets {
			if f, ok := byFleet[k]; ok {
				r.add(fmt.Sprintf("%.0f", f.tokensPerS()), round1(f.tokensPerS()))
			} else {
				r.null("-", "-: the model does not fit or the accelerator lacks speed figures")
			}
		}
		if best < 0 {
			r.null("-", "no priced fleet holds the model")
			r.null("-", "no priced fleet holds the model")
		} else {
			f := fs[best]
			title := c.Fleets[f.fleet].Title
			r.add(title, c.Fleets[f.fleet].Name)
			r.add(fmt.Sprintf("%.3f", f.costPerMillion()), round3(f.costPerMillion()))
			bar.Categories = append(bar.Categories, s.m.Name+" ("+title+")")
			vals = append(vals, round3(f.costPerMillion()))
		}
		tbl.append(&r)
	}
	blocks := []Block{Text{Heading: "Throughput and cost", ID: "speed", Paragraphs: []string{
		"Estimated output tokens per second of each fleet with every replica decoding as many sequences as it holds, and the cheapest priced fleet per model. Estimates are bounds (memory traffic and arithmetic) divided by efficiencies fitted on published measurements; each model page shows the bounds beside them."}}}
	if len(vals) > 0 {
		bar.Series = []charts.Series{{Name: "$ per million output tokens", Values: vals}}
		blocks = append(blocks, Figure{Chart: bar, Height: rowsHeight(len(vals))})
	}
	blocks = append(blocks, Table{ID: "speed-table", DataName: "speed", Header: header, Keys: keys, Rows: tbl.rows, Raw: tbl.raw,
		Caption: "Estimated output tokens/s per fleet (whole fleet) and the cheapest priced fleet's cost per million output tokens ($, estimate)."})
	return blocks
}
