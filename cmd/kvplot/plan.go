package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

const planSynopsis = "plan --model NAME|PATH (--fleet NAME | --gpu ID --gpus N [--gpus-per-node N]) [--tp N] [--pp N] [--context N] [--specs DIR] [--weight-dtype D] [--kv-dtype D] [--rank-by concurrency|throughput|cost] [--json]"

// planResult is plan's JSON answer: every layout considered, best first.
type planResult struct {
	Model       string       `json:"model"`
	Accelerator string       `json:"accelerator"`
	GPUs        int64        `json:"gpus"`
	GPUsPerNode int64        `json:"gpus_per_node"`
	Context     int64        `json:"context"`
	RankBy      string       `json:"rank_by"`
	Layouts     []planLayout `json:"layouts"`
	// Chosen indexes Layouts, null when no layout works (Reason says why).
	Chosen *int   `json:"chosen"`
	Reason string `json:"reason,omitempty"`
}

// planLayout is one layout; the byte and count fields are null when the
// layout is refused (Problem says why).
type planLayout struct {
	TP                    int64  `json:"tp"`
	PP                    int64  `json:"pp"`
	Replicas              int64  `json:"replicas"`
	Problem               string `json:"problem,omitempty"`
	WeightsBytesPerGPU    *int64 `json:"weights_bytes_per_gpu"`
	KVBudgetBytesPerGPU   *int64 `json:"kv_budget_bytes_per_gpu"`
	MaxConcurrency        *int64 `json:"max_concurrency"`
	MaxConcurrencyTotal   *int64 `json:"max_concurrency_total"`
	MaxContextTokens      *int64 `json:"max_context_tokens"`
	MaxContextLimitedBy   string `json:"max_context_limited_by,omitempty"`
	MaxContextUnboundedKV bool   `json:"max_context_unbounded,omitempty"`
	// Speed at ServingBatch sequences per replica (the memory limit at the
	// context, at most analysis.MaxServingBatch): estimates, null when the
	// accelerator's speed figures are unknown.
	ServingBatch               *int64   `json:"serving_batch"`
	DecodeTokensPerSTotal      *float64 `json:"decode_tokens_per_s_total"`
	DecodeTokensPerSPerSeq     *float64 `json:"decode_tokens_per_s_per_seq"`
	CostPerMillionOutputTokens *float64 `json:"cost_per_million_output_tokens"`
}

func runPlan(args []string, stdout, stderr io.Writer) error {
	var f calcFlags
	fs := newFlags("plan")
	fs.StringVar(&f.model, "model", "", "model: a catalog name or slug, or a path to a spec or Hugging Face config.json")
	fs.StringVar(&f.specs, "specs", "specs", "spec directory")
	fs.StringVar(&f.fleet, "fleet", "", "a fleet from the catalog")
	fs.StringVar(&f.gpu, "gpu", "", "an accelerator ID from the catalog")
	fs.Int64Var(&f.gpus, "gpus", 0, "number of accelerators")
	fs.Int64Var(&f.gpusPerNode, "gpus-per-node", 0, "accelerators per node (default: the accelerator's, usually 8)")
	fs.Int64Var(&f.tp, "tp", 0, "fix the tensor-parallel degree")
	fs.Int64Var(&f.pp, "pp", 0, "fix the pipeline-parallel degree")
	fs.Int64Var(&f.context, "context", 0, "tokens per sequence the layouts are ranked by (default: the spec set's scenario)")
	fs.StringVar(&f.weightDType, "weight-dtype", "", "weight format (default: the model's own)")
	fs.StringVar(&f.kvDType, "kv-dtype", "", "KV-cache format (default: the spec set's)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object")
	rankBy := fs.String("rank-by", "concurrency", "rank layouts by concurrency (sequences held), throughput (estimated output tokens/s of the fleet) or cost (estimated $ per million output tokens)")
	if err := parse(fs, planSynopsis, args, stdout); err != nil {
		return err
	}
	switch *rankBy {
	case "concurrency", "throughput", "cost":
	default:
		return usagef("plan: unknown --rank-by %q (want concurrency, throughput or cost)", *rankBy)
	}
	if f.model == "" {
		return usagef("plan: --model is required")
	}
	if f.fleet == "" && f.gpu == "" {
		return usagef("plan: give --fleet, or --gpu with --gpus")
	}
	if f.fleet != "" && f.gpu != "" {
		return usagef("plan: give --fleet or --gpu, not both")
	}
	if f.gpu != "" && !fs.Changed("gpus") {
		return usagef("plan: --gpu needs --gpus")
	}
	for _, v := range []struct {
		name string
		n    int64
	}{{"gpus", f.gpus}, {"tp", f.tp}, {"pp", f.pp}, {"gpus-per-node", f.gpusPerNode}} {
		if fs.Changed(v.name) && (v.n < 1 || v.n > 4096) {
			return usagef("plan: --%s must be between 1 and 4096, got %d", v.name, v.n)
		}
	}
	if fs.Changed("context") && (f.context < 1 || f.context > spec.MaxContextTokens) {
		return usagef("plan: --context must be between 1 and %d, got %d", spec.MaxContextTokens, f.context)
	}
	cat, err := spec.LoadCatalog(f.specs)
	if err != nil {
		return err
	}
	m, err := lookupModel(cat, f)
	if err != nil {
		return err
	}
	settings := cat.Settings
	if err := applyDTypeFlags(f, &settings); err != nil {
		return err
	}
	if !fs.Changed("context") {
		f.context = settings.ScenarioContext
	}
	fl, _, err := calcFleetFor(f, cat, fs.Changed)
	if err != nil {
		return err
	}
	sc := spec.ScenarioFor(m, settings)
	choice := analysis.ChooseLayout(&m.Arch, sc, fl.hw, f.context)
	res := planResult{Model: m.Name, Accelerator: fl.accel, GPUs: fl.hw.Count, GPUsPerNode: fl.hw.GPUsPerNode, Context: f.context, RankBy: *rankBy, Reason: choice.Reason}
	if choice.Chosen >= 0 {
		res.Chosen = &choice.Chosen
	}
	accel, _ := cat.Accelerator(fl.accel)
	for _, o := range choice.Options {
		pl := planLayout{TP: o.TP, PP: o.PP, Replicas: o.Replicas, Problem: o.Problem}
		if o.Problem == "" {
			w, b := o.Plan.WeightsBytesPerGPU(), o.Plan.KVBudgetBytesPerGPU()
			per, tot := o.PerReplica, o.Total
			lim := o.Plan.MaxContext(1)
			pl.WeightsBytesPerGPU, pl.KVBudgetBytesPerGPU, pl.MaxConcurrency, pl.MaxConcurrencyTotal = &w, &b, &per, &tot
			pl.MaxContextTokens, pl.MaxContextLimitedBy, pl.MaxContextUnboundedKV = &lim.Tokens, limitedBy(lim), lim.Unbounded
			servingSpeed(&pl, o, accel, f.context)
		}
		res.Layouts = append(res.Layouts, pl)
	}
	if *rankBy != "concurrency" && res.Chosen != nil {
		rankLayouts(&res, *rankBy)
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = writePlan(stdout, res)
	}
	if err == nil && res.Chosen == nil {
		// The layouts are printed; the exit code and stderr say no.
		err = fmt.Errorf("not placeable: %s", res.Reason)
	}
	return err
}

// servingSpeed sets a layout's estimated speed at its serving batch: as
// many sequences of the context as a replica holds, at most
// analysis.MaxServingBatch.
func servingSpeed(pl *planLayout, o analysis.LayoutOption, a spec.Accelerator, context int64) {
	batch := min(o.PerReplica, analysis.MaxServingBatch)
	if batch < 1 {
		return
	}
	p, err := o.Plan.Perf(a.Speed(), analysis.DefaultSpeedCalibration, batch, context, context)
	if err != nil {
		return
	}
	total := round3(p.DecodeTokensPerS * float64(o.Replicas))
	per := round3(p.DecodeTokensPerSPerSeq)
	pl.ServingBatch, pl.DecodeTokensPerSTotal, pl.DecodeTokensPerSPerSeq = &batch, &total, &per
	if a.PricePerHour > 0 {
		gpus := float64(o.Plan.Fleet.TP * o.Plan.Fleet.PP)
		c := round3(a.PricePerHour * gpus / 3600 / p.DecodeTokensPerS * 1e6)
		pl.CostPerMillionOutputTokens = &c
	}
}

// rankLayouts orders the accepted layouts by estimated fleet throughput
// (highest first) or cost per million output tokens (lowest first),
// layouts without the figure last, ties kept in concurrency order; the
// first is chosen. Refused layouts stay at the end.
func rankLayouts(r *planResult, by string) {
	key := func(l planLayout) (float64, bool) {
		if by == "cost" {
			if l.CostPerMillionOutputTokens == nil {
				return 0, false
			}
			return *l.CostPerMillionOutputTokens, true
		}
		if l.DecodeTokensPerSTotal == nil {
			return 0, false
		}
		return -*l.DecodeTokensPerSTotal, true
	}
	var ok, rest []planLayout
	for _, l := range r.Layouts {
		if l.Problem != "" {
			rest = append(rest, l)
		} else {
			ok = append(ok, l)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool {
		a, aok := key(ok[i])
		b, bok := key(ok[j])
		if aok != bok {
			return aok
		}
		return aok && a < b
	})
	r.Layouts = append(ok, rest...)
	zero := 0
	r.Chosen = &zero
}

// lookupModel finds --model in the catalog or reads it from a path.
func lookupModel(cat *spec.Catalog, f calcFlags) (spec.Model, error) {
	if isFile(f.model) {
		return spec.LoadModel(f.model)
	}
	m, ok := cat.Model(f.model)
	if !ok {
		hint := ""
		if g := cat.SuggestModel(f.model); g != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", g)
		}
		return m, fmt.Errorf("unknown model %q: not a file, and not in %s/models%s", f.model, f.specs, hint)
	}
	return m, nil
}

// applyDTypeFlags applies --weight-dtype and --kv-dtype to settings.
func applyDTypeFlags(f calcFlags, settings *spec.Settings) error {
	if f.weightDType != "" {
		if _, ok := analysis.LookupDType(f.weightDType); !ok {
			return usagef("unknown --weight-dtype %q (want one of %s)", f.weightDType, strings.Join(analysis.DTypeNames(), ", "))
		}
		settings.WeightDType = f.weightDType
	}
	if f.kvDType != "" {
		kv, ok := analysis.LookupKVDType(f.kvDType)
		if !ok {
			return usagef("unknown --kv-dtype %q (want one of %s)", f.kvDType, strings.Join(analysis.KVDTypeNames(), ", "))
		}
		settings.KVDType = kv
	}
	return nil
}

func writePlan(w io.Writer, r planResult) error {
	var b strings.Builder
	by := "concurrent sequences"
	switch r.RankBy {
	case "throughput":
		by = "estimated output tokens/s"
	case "cost":
		by = "estimated cost per million output tokens"
	}
	fmt.Fprintf(&b, "%s on %d × %s (%d per node), ranked by %s of %s tokens over the whole fleet:\n\n",
		r.Model, r.GPUs, r.Accelerator, r.GPUsPerNode, by, units.Group(r.Context))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	if r.Chosen != nil {
		fmt.Fprintln(tw, "rank\tTP\tPP\treplicas\tweights/GPU (GiB)\tKV budget/GPU (GiB)\tseqs/replica\tseqs total\tmax context (batch 1)\ttokens/s (est.)\t$/M tokens (est.)\t")
	}
	rank := 0
	var refused []planLayout
	for i, l := range r.Layouts {
		if l.Problem != "" {
			refused = append(refused, l)
			continue
		}
		rank++
		ctx := units.Group(*l.MaxContextTokens)
		switch {
		case l.MaxContextLimitedBy == "model":
			ctx += " (model limit)"
		case l.MaxContextUnboundedKV:
			ctx = "unbounded"
		case *l.MaxContextTokens == 0:
			ctx = "does not fit"
		}
		mark := fmt.Sprint(rank)
		if r.Chosen != nil && *r.Chosen == i {
			mark = "chosen"
		}
		tps, cost := "unknown", "no price"
		if l.DecodeTokensPerSTotal != nil {
			tps = fmt.Sprintf("%.0f", *l.DecodeTokensPerSTotal)
		} else if *l.MaxConcurrency == 0 {
			tps, cost = "-", "-"
		}
		if l.CostPerMillionOutputTokens != nil {
			cost = fmt.Sprintf("%.3f", *l.CostPerMillionOutputTokens)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", mark, l.TP, l.PP, l.Replicas,
			fmt.Sprintf("%.2f", units.GiB(*l.WeightsBytesPerGPU)), fmt.Sprintf("%.2f", units.GiB(*l.KVBudgetBytesPerGPU)),
			units.Group(*l.MaxConcurrency), units.Group(*l.MaxConcurrencyTotal), ctx, tps, cost)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Chosen != nil {
		fmt.Fprintf(&b, "\ntokens/s: estimated output of the whole fleet with each replica decoding as many sequences as it holds (at most %d); bounds and the estimate's error: kvplot calc.\n", analysis.MaxServingBatch)
	}
	if len(refused) > 0 {
		b.WriteString("\nLayouts an engine would refuse:\n")
		for _, l := range refused {
			fmt.Fprintf(&b, "  TP %d × PP %d: %s\n", l.TP, l.PP, l.Problem)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
