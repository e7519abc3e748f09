// Package report prints kvplot's plain-text memory report: the seed
// prototype's five tables, computed correctly for any spec set.
package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

// Write prints the report for catalog c to w. Sizes are in GiB (2^30 bytes).
func Write(w io.Writer, c *spec.Catalog) error {
	b := bufio.NewWriter(w)
	s := c.Settings
	r := s.Report
	kvName := s.KVDType.Name
	rule := strings.Repeat("=", 80)
	fmt.Fprintln(b, rule)
	fmt.Fprintln(b, "KV-CACHE MEMORY GROWTH ANALYSIS")
	fmt.Fprintln(b, rule)

	compare, hasCompare := c.Fleet(r.CompareFleet)
	if !hasCompare && len(c.Fleets) > 0 {
		compare, hasCompare = c.Fleets[0], true
	}
	fmt.Fprintf(b, "\n--- Model Size Comparison (%s) ---\n\n", kvName)
	nameW := 20
	for _, m := range c.Models {
		nameW = max(nameW, len([]rune(m.Name)))
	}
	header := fmt.Sprintf("%-*s %11s", nameW, "Model", "Params(GiB)")
	for _, ctx := range r.CompareContexts {
		header += fmt.Sprintf(" %10s", "KV@"+units.FormatTokens(ctx))
	}
	if hasCompare {
		header += fmt.Sprintf(" %12s", "MaxCtx("+shortFleet(compare)+")")
	}
	fmt.Fprintln(b, header)
	fmt.Fprintln(b, strings.Repeat("-", len(header)))
	starred := false
	mc := func(m spec.Model, f spec.Fleet, batch int64) string {
		t := maxContext(c, m, f, batch)
		starred = starred || strings.HasSuffix(t, "*")
		return t
	}
	note := func() {
		if starred {
			fmt.Fprintln(b, "* the model's own context limit (memory would hold more)")
			starred = false
		}
	}
	for _, m := range c.Models {
		sc := c.Scenario(m)
		weights := sc.Weights.Bytes(m.Arch.Params().ByClass)
		line := fmt.Sprintf("%-*s %11.1f", nameW, m.Name, units.GiB(weights))
		for _, ctx := range r.CompareContexts {
			line += fmt.Sprintf(" %10.2f", units.GiB(m.Arch.KVBytes(sc.KV, ctx, 1)))
		}
		if hasCompare {
			line += fmt.Sprintf(" %12s", mc(m, compare, 1))
		}
		fmt.Fprintln(b, line)
	}
	note()

	detail, ok := c.Model(r.DetailModel)
	if !ok && len(c.Models) > 0 {
		detail, ok = c.Models[0], true
	}
	if ok {
		sc := c.Scenario(detail)
		weights := sc.Weights.Bytes(detail.Arch.Params().ByClass)
		fmt.Fprintf(b, "\n\n--- Detailed Growth: %s (batch=1, %s) ---\n\n", detail.Name, kvName)
		fmt.Fprintf(b, "%10s %14s %12s %12s\n", "Seq Len", "KV Cache(GiB)", "Total(GiB)", "KV Fraction")
		fmt.Fprintln(b, strings.Repeat("-", 52))
		for _, ctx := range r.DetailContexts {
			kv := detail.Arch.KVBytes(sc.KV, ctx, 1)
			total := kv + weights
			fmt.Fprintf(b, "%10s %14.2f %12.2f %11.1f%%\n", units.Group(ctx), units.GiB(kv), units.GiB(total), 100*float64(kv)/float64(total))
		}

		fmt.Fprintf(b, "\n\n--- Batch Size Impact (seq_len=%d, %s) ---\n\n", r.BatchContext, kvName)
		fmt.Fprintf(b, "%6s %14s %18s\n", "Batch", "KV Cache(GiB)", "Growth/Token(MiB)")
		fmt.Fprintln(b, strings.Repeat("-", 40))
		perTok := detail.Arch.KVBytesPerToken(sc.KV)
		for _, bs := range r.BatchSizes {
			fmt.Fprintf(b, "%6d %14.2f %18.4f\n", bs, units.GiB(detail.Arch.KVBytes(sc.KV, r.BatchContext, bs)), float64(perTok)*float64(bs)/(1<<20))
		}

		fmt.Fprintf(b, "\n\n--- Per-Token Memory Cost ---\n\n")
		fmt.Fprintf(b, "  Per token (all layers):  %s bytes = %.1f KiB\n", units.Group(perTok), float64(perTok)/1024)
		kinds := detail.Arch.KVCostByKind(sc.KV)
		for _, k := range kinds {
			switch {
			case len(kinds) == 1 && k.PerTokenPerLayer > 0:
				fmt.Fprintf(b, "  %-24s %s bytes\n", "Per token per layer:", units.Group(k.PerTokenPerLayer))
			case k.PerTokenPerLayer > 0:
				fmt.Fprintf(b, "  %-24s %s bytes × %d layers\n", fmt.Sprintf("Per token, %s layer:", kindLabel(k)), units.Group(k.PerTokenPerLayer), k.Layers)
			default:
				label := fmt.Sprintf("Per token, %s layer:", kindLabel(k))
				fmt.Fprintf(b, "  %-24s 0 bytes (fixed state %s bytes per sequence) × %d layers\n", label, units.Group(k.StatePerLayer), k.Layers)
			}
		}
		fmt.Fprintf(b, "  At %s context:          %.2f GiB\n", units.FormatTokens(r.PerTokenContext), units.GiB(detail.Arch.KVBytes(sc.KV, r.PerTokenContext, 1)))

		fmt.Fprintf(b, "\n\n--- Maximum Context Lengths by GPU ---\n\n")
		h := fmt.Sprintf("%-20s", "GPU")
		for _, bs := range r.FleetBatches {
			h += fmt.Sprintf(" %20s", fmt.Sprintf("Max Context (bs=%d)", bs))
		}
		fmt.Fprintln(b, h)
		fmt.Fprintln(b, strings.Repeat("-", len(h)))
		for _, f := range c.Fleets {
			line := fmt.Sprintf("%-20s", f.Title)
			for _, bs := range r.FleetBatches {
				line += fmt.Sprintf(" %20s", mc(detail, f, bs))
			}
			fmt.Fprintln(b, line)
		}
		note()
	}
	fmt.Fprintln(b, "\n"+rule)
	return b.Flush()
}

func kindLabel(k analysis.LayerKindCost) string {
	if k.Window > 0 {
		return fmt.Sprintf("%s(%s)", k.Kind, units.FormatTokens(k.Window))
	}
	return k.Kind.String()
}

// shortFleet is the compare column's label: the fleet title without a
// leading count ("1× "), up to its first space or dash.
func shortFleet(f spec.Fleet) string {
	t := f.Title
	if i := strings.Index(t, "× "); i > 0 {
		t = t[i+len("× "):]
	}
	if i := strings.IndexAny(t, "- "); i > 0 {
		t = t[:i]
	}
	return t
}

func maxContext(c *spec.Catalog, m spec.Model, f spec.Fleet, batch int64) string {
	p, err := c.Plan(m, f)
	if err != nil {
		return "n/a"
	}
	l := p.MaxContext(batch)
	switch {
	case l.LimitedByModel:
		return units.Group(l.Tokens) + "*"
	case l.Unbounded:
		return "unbounded"
	}
	return units.Group(l.Tokens)
}
