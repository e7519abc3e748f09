package pages

import (
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/engine"
)

// indexCell is the index model table's value for a model on a fleet.
func indexCell(t *testing.T, s Site, model, fleet string) (shown string, raw any) {
	t.Helper()
	for _, b := range s.Pages[0].Blocks {
		tb, ok := b.(Table)
		if !ok || tb.DataName != "models" {
			continue
		}
		col := -1
		for j, k := range tb.Keys {
			if k == "max_context_tokens_"+fleet {
				col = j
			}
		}
		for i, r := range tb.Raw {
			if r[0] == model && col >= 0 {
				return tb.Rows[i][col], r[col]
			}
		}
	}
	t.Fatalf("no index cell for %s on %s", model, fleet)
	return "", nil
}

// TestHeadlineEngine: site.yaml engine: decides the index's figures.
// gpt-oss-120b on one H100 holds 278,262 tokens by kvplot's simple policy
// (capped to its 131,072 limit), but vLLM keeps an activation peak and
// 10% of the GPU back and would start only with a shorter max_model_len:
// the index must show vLLM's own estimate of that length.
func TestHeadlineEngine(t *testing.T) {
	c, s := buildDefault(t)
	if c.Settings.Engine != "vllm" {
		t.Fatalf("default specs: engine %q, the test expects vllm", c.Settings.Engine)
	}
	m, _ := c.Model("gpt-oss-120b")
	f, _ := c.Fleet("1x-h100")
	a, _ := c.Accelerator(f.Accelerator)
	p, err := c.Plan(m, f)
	if err != nil {
		t.Fatal(err)
	}
	prof, _ := engine.Lookup("vllm")
	est, err := prof.Estimate(&m.Arch, c.Scenario(m), p.Fleet, engine.Accelerator{ID: a.ID, Name: a.Name, SMCount: a.SMCount}, engine.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if est.StartupError == "" || est.MaxModelLenEstimate <= 0 || est.MaxModelLenEstimate >= m.Arch.MaxContext {
		t.Fatalf("vLLM estimate: start-up error %q, longest %d; the test needs vLLM to refuse the full %d", est.StartupError, est.MaxModelLenEstimate, m.Arch.MaxContext)
	}
	if _, raw := indexCell(t, s, m.Name, "1x-h100"); raw != est.MaxModelLenEstimate {
		t.Errorf("vllm headline: index max context = %v, want vLLM's longest request %d", raw, est.MaxModelLenEstimate)
	}
	for _, pg := range s.Pages {
		if !assumes(pg, "Headline engine: "+prof.Name()) {
			t.Errorf("%s does not say its figures assume %s", pg.Path, prof.Name())
		}
	}

	// engine: simple: the memory model's own figure, capped by the model.
	simple := *c
	simple.Settings.Engine = "simple"
	s2, err := Build(&simple, nil)
	if err != nil {
		t.Fatal(err)
	}
	shown, raw := indexCell(t, s2, m.Name, "1x-h100")
	if want := p.MaxContext(1); raw != want.Tokens || shown != "131,072 (model limit)" || want.KVCapacityTokens <= want.Tokens {
		t.Errorf("simple headline: index = %q (%v), want %d shown as the model limit", shown, raw, want.Tokens)
	}
	if !assumes(s2.Pages[0], "activation reserve") || !assumes(s2.Pages[0], "kvplot's simple policy") {
		t.Errorf("simple headline: the index does not state the simple policy and its activation reserve")
	}
}

// assumes reports whether a page's assumptions mention text.
func assumes(pg Page, text string) bool {
	for _, b := range pg.Blocks {
		if a, ok := b.(Assumptions); ok {
			for _, line := range a {
				if strings.Contains(line, text) {
					return true
				}
			}
		}
	}
	return false
}
