package pages

import (
	"fmt"
	"math"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/engine"
	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

// headline is one model on one fleet as the site's headline engine
// (site.yaml engine:) sees it: every max-context and concurrency figure of
// the index, the fleet pages and the model tables comes from here.
type headline struct {
	plan analysis.Plan
	// simple is set for engine: simple, whose figures are the plan's own.
	simple bool
	est    engine.Estimate
	err    error
	// shortened is the max_model_len the engine was started with when it
	// refused the model's own (0: it took the model's).
	shortened int64
}

// headlineProfile is the settings' engine profile; the settings were
// checked when loaded, so an unknown name falls back to vLLM.
func headlineProfile(set spec.Settings) engine.Profile {
	p, err := engine.Lookup(set.Engine)
	if err != nil {
		p, _ = engine.Lookup("vllm")
	}
	return p
}

// headlineFor runs the headline engine for a placed model, started with
// max_model_len at the model's limit (the scenario context when unknown).
func headlineFor(prof engine.Profile, c *spec.Catalog, m spec.Model, f spec.Fleet, p analysis.Plan) headline {
	h := headline{plan: p, simple: prof.Engine == "simple"}
	if h.simple {
		return h
	}
	a, _ := c.Accelerator(f.Accelerator)
	acc := engine.Accelerator{ID: a.ID, Name: a.Name, SMCount: a.SMCount}
	h.est, h.err = prof.Estimate(&m.Arch, c.Scenario(m), p.Fleet, acc, engine.Settings{MaxModelLen: headlineMaxModelLen(m, c.Settings), ModelFamily: m.Family})
	if h.err == nil && h.est.KVCacheTokens <= 0 && h.est.MaxModelLenEstimate > 0 {
		// The engine refuses the model's full length but would start with
		// the longest that fits, as an operator would set it.
		h.shortened = h.est.MaxModelLenEstimate
		h.est, h.err = prof.Estimate(&m.Arch, c.Scenario(m), p.Fleet, acc, engine.Settings{MaxModelLen: h.shortened, ModelFamily: m.Family})
	}
	return h
}

// headlineMaxModelLen is the max_model_len the headline engine starts with.
func headlineMaxModelLen(m spec.Model, set spec.Settings) int64 {
	if m.Arch.MaxContext > 0 {
		return m.Arch.MaxContext
	}
	return set.ScenarioContext
}

// fits reports whether any KV cache is left after the weights and reserves.
func (h headline) fits() bool {
	if h.simple {
		return h.plan.Fits()
	}
	return h.err == nil && h.est.KVCacheTokens > 0
}

// whyNot says why nothing fits, in words.
func (h headline) whyNot() string {
	switch {
	case h.simple:
		return "weights and reserves leave no memory for the KV cache"
	case h.err != nil:
		return h.err.Error()
	case h.est.StartupError != "":
		return h.est.Engine + " would not start: " + h.est.StartupError
	}
	return h.est.Engine + " leaves no memory for the KV cache"
}

// maxContext is the longest context each of batch requests can have,
// capped by the model's limit.
func (h headline) maxContext(batch int64) analysis.ContextLimit {
	if h.simple {
		return h.plan.MaxContext(batch)
	}
	if !h.fits() {
		return analysis.ContextLimit{ModelTokens: h.plan.Model.MaxContext}
	}
	return analysis.SolveContext(func(c int64) bool { return h.est.MaxConcurrency(c) >= float64(batch) }, h.plan.Bounded(), h.plan.Model.MaxContext)
}

// concurrency is how many requests of ctx tokens one replica holds.
func (h headline) concurrency(ctx int64) int64 {
	if h.simple {
		return h.plan.MaxConcurrency(ctx)
	}
	if !h.fits() {
		return 0
	}
	c := math.Floor(h.est.MaxConcurrency(ctx))
	if c >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(c)
}

// weightsPerGPU and kvBudgetPerGPU are the binding accelerator's.
func (h headline) weightsPerGPU() int64 {
	if h.simple {
		return h.plan.WeightsBytesPerGPU()
	}
	return h.est.WeightsBytes
}

func (h headline) kvBudgetPerGPU() int64 {
	if h.simple {
		return h.plan.KVBudgetBytesPerGPU()
	}
	return h.est.AvailableKVBytes
}

// headlineText names the headline engine and its settings for a page.
func headlineText(prof engine.Profile, set spec.Settings) string {
	if prof.Engine == "simple" {
		o := set.Overhead
		act := fmt.Sprintf("an activation reserve of %.2f × the weights each accelerator holds", o.WeightsMultiple)
		if o.WeightsMultiple == 0 {
			act = "no activation reserve at all (the forward pass's activations are assumed to fit in the runtime reserve)"
		}
		return fmt.Sprintf("Headline engine: kvplot's simple policy (site.yaml engine: simple): per accelerator a runtime reserve of %s + %.0f%% of capacity, and %s. Real engines keep more; set engine: vllm for vLLM's own budget.",
			units.FormatGiB(o.FixedBytes), 100*o.CapacityFraction, act)
	}
	desc := map[string]string{
		"vllm":   "gpu_memory_utilization 0.9, the activation peak of its profiling pass, blocks of 16 tokens",
		"sglang": "mem_fraction_static by its heuristic from GPU size and TP, one token per page",
	}[prof.Engine]
	return fmt.Sprintf("Headline engine: %s (site.yaml engine: %s) with its default settings (%s) and max_model_len at each model's limit: every max-context and concurrency figure is what that engine would hold. Weights and KV budget per GPU are the engine's.",
		prof.Name(), set.Engine, desc)
}
