package spec

import (
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// TestFleetsAreHardware: the default fleets state no tp or pp, take the
// node size from the accelerator, and each model gets the layout the search
// chooses: Llama 3.1 405B in bf16 (756 GiB) needs both H100 nodes, as
// TP 8 × PP 2; Qwen2.5 7B, whose 28 heads TP 8 does not divide, runs on one
// node as TP 4 × 2 replicas.
func TestFleetsAreHardware(t *testing.T) {
	c, err := LoadCatalog("../../specs")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := c.Fleet("16x-h100")
	if !ok {
		t.Fatal("no fleet 16x-h100")
	}
	if hw := c.Hardware(f); hw.TP != 0 || hw.PP != 0 || hw.GPUsPerNode != analysis.DefaultGPUsPerNode || hw.Count != 16 {
		t.Errorf("Hardware(16x-h100) = %+v, want 16 accelerators, 8 per node, nothing pinned", hw)
	}
	for _, tc := range []struct {
		model, fleet string
		want         analysis.Layout
	}{
		{"llama-3.1-405b", "16x-h100", analysis.Layout{TP: 8, PP: 2, Replicas: 1}},
		{"qwen2.5-7b", "8x-h100", analysis.Layout{TP: 4, PP: 1, Replicas: 2}},
	} {
		m, _ := c.Model(tc.model)
		fl, _ := c.Fleet(tc.fleet)
		p, err := c.Plan(m, fl)
		if err != nil {
			t.Errorf("Plan(%s, %s): %v", tc.model, tc.fleet, err)
			continue
		}
		if got := (analysis.Layout{TP: p.Fleet.TP, PP: p.Fleet.PP, Replicas: p.Fleet.Replicas()}); got != tc.want {
			t.Errorf("Plan(%s, %s) layout = %+v, want %+v", tc.model, tc.fleet, got, tc.want)
		}
	}
	if notes := c.CheckFleets(); len(notes) != 0 {
		t.Errorf("CheckFleets() = %v, want none: no default fleet pins a layout", notes)
	}
}
