package pages

import (
	"fmt"

	"github.com/kvplot/kvplot/internal/units"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/spec"
)

// modelLimitText shows a model's own context limit; never 0 for unknown.
func modelLimitText(n int64) string {
	if n <= 0 {
		return "unknown"
	}
	return units.Group(n)
}

// modelLimitRaw is the limit for data files: null when unknown.
func modelLimitRaw(n int64) any {
	if n <= 0 {
		return nil
	}
	return n
}

// layoutRule says how a fleet's layout is decided: pinned by the fleet, or
// chosen per model.
func (b *builder) layoutRule(f spec.Fleet) string {
	hw := b.c.Hardware(f)
	switch {
	case f.TP > 0 && f.PP > 0:
		return fmt.Sprintf("%d per node; layout fixed by the fleet: TP %d × PP %d, %d replica(s)", hw.GPUsPerNode, f.TP, f.PP, f.Count/(f.TP*f.PP))
	case f.TP > 0:
		return fmt.Sprintf("%d per node; TP fixed at %d by the fleet, PP chosen per model", hw.GPUsPerNode, f.TP)
	case f.PP > 0:
		return fmt.Sprintf("%d per node; PP fixed at %d by the fleet, TP chosen per model", hw.GPUsPerNode, f.PP)
	}
	return fmt.Sprintf("%d per node; layout chosen per model", hw.GPUsPerNode)
}

// layoutText names a plan's layout: "TP 4 × 2 replicas", "TP 8 × PP 2".
func layoutText(f analysis.Fleet) string {
	s := fmt.Sprintf("TP %d", f.TP)
	if f.PP > 1 {
		s += fmt.Sprintf(" × PP %d", f.PP)
	}
	if r := f.Replicas(); r > 1 {
		s += fmt.Sprintf(" × %d replicas", r)
	}
	return s
}

// layoutAssumption states the layout rule on every page.
const layoutAssumption = "Layouts: fleets are hardware. For each model kvplot tries every layout an engine accepts — tensor parallelism within a node (dividing the attention heads; KV heads divided or replicated, as vLLM requires), pipeline parallelism only across whole nodes, the remaining accelerators as replicas — and uses the one holding the most concurrent sequences of the scenario context over the whole fleet (ties: smaller TP). A fleet that states tp or pp fixes them."
