package pages

import (
	"math"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/internal/spec"
)

// TestServingCurveStopsAtTheMemoryLimit: on every model page, each fleet's
// serving curve has a point for every power-of-two concurrency up to the
// sequences one replica holds at the scenario context (the memory model's
// MaxConcurrency, capped at the batch limit) and none beyond; throughput
// never falls along it; every speed chart names itself an estimate with
// the held-out error.
func TestServingCurveStopsAtTheMemoryLimit(t *testing.T) {
	c, s := buildDefault(t)
	ctx := c.Settings.ScenarioContext
	curves := 0
	for _, pg := range s.Pages {
		if !strings.HasPrefix(pg.Path, "models/") {
			continue
		}
		var model *spec.Model
		for i := range c.Models {
			if c.Models[i].Name == pg.Title {
				model = &c.Models[i]
			}
		}
		for _, f := range pg.Blocks {
			fig, ok := f.(Figure)
			if !ok {
				continue
			}
			l, ok := fig.Chart.(charts.Line)
			if !ok || (l.ID != "servingCurve" && l.ID != "ttftCurve") {
				continue
			}
			if !strings.Contains(l.Title, "estimate (±") {
				t.Errorf("%s %s: title %q does not say estimate (±x%%)", pg.Path, l.ID, l.Title)
			}
			if l.ID != "servingCurve" {
				continue
			}
			curves++
			if model == nil {
				t.Fatalf("%s: no model titled %q", pg.Path, pg.Title)
			}
			for _, ser := range l.Series {
				fi := -1
				for i, f := range c.Fleets {
					if strings.HasPrefix(ser.Name, f.Title+" (") {
						fi = i
					}
				}
				if fi < 0 {
					t.Fatalf("%s: series %q names no fleet", pg.Path, ser.Name)
				}
				plan, err := c.Plan(*model, c.Fleets[fi])
				if err != nil {
					t.Fatal(err)
				}
				limit := min(plan.MaxConcurrency(ctx), analysis.MaxServingBatch)
				prev := 0.0
				for j, v := range ser.Values {
					batch := int64(1) << j
					switch {
					case batch <= limit && math.IsNaN(v):
						t.Errorf("%s %s: no point at %d sequences, under the limit %d", pg.Path, ser.Name, batch, limit)
					case batch > limit && !math.IsNaN(v):
						t.Errorf("%s %s: a point at %d sequences, past the limit %d", pg.Path, ser.Name, batch, limit)
					case !math.IsNaN(v) && v < prev:
						t.Errorf("%s %s: output falls from %g to %g tokens/s at %d sequences", pg.Path, ser.Name, prev, v, batch)
					}
					if !math.IsNaN(v) {
						prev = v
					}
				}
			}
		}
	}
	if curves < len(c.Models)/2 {
		t.Errorf("%d serving curves on %d model pages", curves, len(c.Models))
	}
}
