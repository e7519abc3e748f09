package analysis

import (
	"strings"
	"testing"
)

// qwen25_7b is Qwen/Qwen2.5-7B's attention shape (config.json on the Hub):
// 28 layers of 28 query heads and 4 KV heads, so TP 8 divides neither.
func qwen25_7b() *Model {
	m := &Model{Name: "Qwen2.5 7B", VocabSize: 152064, Hidden: 3584, NormsPerLayer: 2, FinalNorm: true, MaxContext: 131072}
	for range 28 {
		m.Layers = append(m.Layers, Layer{Kind: FullAttention,
			Attn: Attention{Heads: 28, KVHeads: 4, HeadDim: 128, VHeadDim: 128, QKVBias: true},
			FFN:  FFN{Intermediate: 18944, Gated: true}})
	}
	return m
}

func TestChooseLayoutHeadsTP8DoesNotDivide(t *testing.T) {
	m := qwen25_7b()
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16, Overhead: SimpleOverhead{FixedBytes: 1 << 30}}
	h := Hardware{Name: "8x80", CapacityBytes: 80 << 30, Count: 8, GPUsPerNode: 8}
	c := ChooseLayout(m, sc, h, 8192)
	best, ok := c.Best()
	if !ok {
		t.Fatalf("ChooseLayout: nothing placeable (%s), want a layout", c.Reason)
	}
	// TP 4 stores the weights twice instead of eight times (TP 1) or four
	// times (TP 2), and splits the 4 KV heads one per GPU, so its two
	// replicas hold the most sequences.
	if want := (Layout{TP: 4, PP: 1, Replicas: 2}); best.Layout != want {
		t.Errorf("chosen layout = %+v, want %+v", best.Layout, want)
	}
	var sawTP8 bool
	for _, o := range c.Options {
		if o.Problem == "" && o.Total > best.Total {
			t.Errorf("option %+v holds %d sequences, more than the chosen %d", o.Layout, o.Total, best.Total)
		}
		if o.TP == 8 {
			sawTP8 = true
			if !strings.Contains(o.Problem, "28 attention heads") {
				t.Errorf("TP 8 problem = %q, want it to name the 28 attention heads", o.Problem)
			}
		}
	}
	if !sawTP8 {
		t.Errorf("options %v do not list TP 8 as refused", c.Options)
	}
	// The total is the per-replica count times the replicas, as a direct
	// plan of that layout gives it.
	p, err := NewPlan(m, sc, Fleet{CapacityBytes: 80 << 30, Count: 8, TP: 4, PP: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := best.Total, 2*p.MaxConcurrency(8192); got != want || want == 0 {
		t.Errorf("chosen total = %d, want %d (2 replicas × %d)", got, want, p.MaxConcurrency(8192))
	}
}

func TestChooseLayoutNeedsPPAcrossNodes(t *testing.T) {
	// Llama 3 8B in bf16 is 14.96 GiB: eight 1.5 GiB accelerators (one
	// node) cannot hold it, sixteen (two nodes) can, as TP 8 × PP 2.
	m := llama3_8b()
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}
	h := Hardware{Name: "16xsmall", CapacityBytes: 3 << 29, Count: 16, GPUsPerNode: 8}
	c := ChooseLayout(m, sc, h, 4096)
	best, ok := c.Best()
	if !ok {
		t.Fatalf("nothing placeable: %s", c.Reason)
	}
	if want := (Layout{TP: 8, PP: 2, Replicas: 1}); best.Layout != want || best.Total == 0 {
		t.Errorf("chosen = %+v holding %d, want %+v holding at least one sequence", best.Layout, best.Total, want)
	}
	for _, o := range c.Options {
		if o.PP > 1 && o.TP != 8 {
			t.Errorf("layout %+v pipelines inside a node; PP is only across nodes", o.Layout)
		}
		if o.Problem == "" && o.Layout != best.Layout && o.Total != 0 {
			t.Errorf("layout %+v holds %d sequences; only TP 8 × PP 2 should fit", o.Layout, o.Total)
		}
	}
	// 80 GiB accelerators: one node holds the model, so the two nodes serve
	// two TP 8 replicas rather than one pipeline over both (which would
	// hold more sequences by storing the weights once).
	big := h
	big.CapacityBytes = 80 << 30
	cb := ChooseLayout(m, sc, big, 4096)
	b2, ok := cb.Best()
	if !ok || b2.Layout != (Layout{TP: 8, PP: 1, Replicas: 2}) {
		t.Errorf("16 × 80 GiB: chosen %+v, want TP 8 × 2 replicas", b2.Layout)
	}
	for _, o := range cb.Options {
		if o.PP == 2 && o.Problem == "" && o.Total <= b2.Total {
			t.Errorf("TP 8 × PP 2 on 16 × 80 GiB holds %d sequences, not more than the chosen %d: the test no longer shows the rule", o.Total, b2.Total)
		}
	}
	// One node alone: no layout holds the weights, but the model is still
	// placed (it does not fit), at the layout that is least short.
	one := h
	one.Count = 8
	c1 := ChooseLayout(m, sc, one, 4096)
	b1, ok := c1.Best()
	if !ok || b1.TP != 8 || b1.Plan.Fits() {
		t.Errorf("one node: chosen %+v (ok %v, fits %v), want TP 8 that does not fit", b1.Layout, ok, b1.Plan.Fits())
	}
}

func TestChooseLayoutPinned(t *testing.T) {
	m := qwen25_7b()
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16, Overhead: SimpleOverhead{FixedBytes: 1 << 30}}
	// Pinned to TP 2: four replicas, although TP 4 would hold more.
	h := Hardware{Name: "pinned", CapacityBytes: 80 << 30, Count: 8, GPUsPerNode: 8, TP: 2}
	c := ChooseLayout(m, sc, h, 8192)
	if best, ok := c.Best(); !ok || best.Layout != (Layout{TP: 2, PP: 1, Replicas: 4}) || len(c.Options) != 1 {
		t.Errorf("pinned tp 2: chosen %+v of %d options, want the only option TP 2 × 4 replicas", best.Layout, len(c.Options))
	}
	// Pinned to TP 8: the engine would refuse, and the reason says why in
	// words, naming the pin and the heads.
	h.TP = 8
	c = ChooseLayout(m, sc, h, 8192)
	if _, ok := c.Best(); ok {
		t.Fatalf("pinned tp 8 on 28 heads placed as %+v, want no layout", c.Options[c.Chosen].Layout)
	}
	for _, want := range []string{"tp 8 fixed", "28 attention heads", "Qwen2.5 7B"} {
		if !strings.Contains(c.Reason, want) {
			t.Errorf("reason %q does not say %q", c.Reason, want)
		}
	}
	if strings.Contains(c.Reason, "fleets[") || strings.Contains(c.Reason, ".yaml") {
		t.Errorf("reason %q reads like a validator line", c.Reason)
	}
}

func TestLayoutsSmallFleet(t *testing.T) {
	// Two accelerators on an 8-slot node: TP 1 × 2 replicas or TP 2.
	got := Hardware{Count: 2, GPUsPerNode: 8}.Layouts()
	want := []Layout{{TP: 1, PP: 1, Replicas: 2}, {TP: 2, PP: 1, Replicas: 1}}
	if len(got) != len(want) {
		t.Fatalf("Layouts(2 of 8) = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Layouts(2 of 8)[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMaxContextModelLimit(t *testing.T) {
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}
	m := llama3_8b() // trained to 8,192 tokens
	p, err := NewPlan(m, sc, Fleet{CapacityBytes: 80 << 30, Count: 1, TP: 1, PP: 1})
	if err != nil {
		t.Fatal(err)
	}
	mem := p.KVCapacity(1)
	if mem.KVCapacityTokens <= 8192 {
		t.Fatalf("KV capacity %d: the test needs memory for more than the model's 8,192", mem.KVCapacityTokens)
	}
	got := p.MaxContext(1)
	if got.Tokens != 8192 || !got.LimitedByModel || got.KVCapacityTokens != mem.KVCapacityTokens || got.ModelTokens != 8192 {
		t.Errorf("MaxContext(1) = %+v, want 8192 limited by the model, KV capacity %d", got, mem.KVCapacityTokens)
	}
	// Batch 128: memory binds before the model's limit.
	if got := p.MaxContext(128); got.LimitedByModel || got.Tokens != p.KVCapacity(128).Tokens || got.Tokens >= 8192 {
		t.Errorf("MaxContext(128) = %+v, want the memory limit below 8192", got)
	}
	// Unknown limit: memory alone decides.
	m.MaxContext = 0
	if got := p.MaxContext(1); got.LimitedByModel || got.Tokens != mem.KVCapacityTokens || got.ModelTokens != 0 {
		t.Errorf("MaxContext(1), limit unknown = %+v, want the KV capacity %d", got, mem.KVCapacityTokens)
	}
	// Every layer windowed, limit known: memory never binds, the model does.
	all := llama3_8b()
	for i := range all.Layers {
		all.Layers[i].Kind, all.Layers[i].Window = SlidingAttention, 4096
	}
	all.MaxContext = 32768
	p2, _ := NewPlan(all, sc, Fleet{CapacityBytes: 80 << 30, Count: 1, TP: 1, PP: 1})
	if got := p2.MaxContext(1); got.Tokens != 32768 || !got.LimitedByModel || !got.Unbounded {
		t.Errorf("MaxContext(all sliding, limit 32768) = %+v, want 32768 by the model, memory unbounded", got)
	}
}
