package analysis

import (
	"math"
	"math/big"
	"testing"
)

// satBig is what a saturating function must return for the exact value v:
// v itself when it fits in an int64, math.MaxInt64 above, math.MinInt64 below.
func satBig(v *big.Int) int64 {
	switch {
	case v.Cmp(big.NewInt(math.MaxInt64)) > 0:
		return math.MaxInt64
	case v.Cmp(big.NewInt(math.MinInt64)) < 0:
		return math.MinInt64
	}
	return v.Int64()
}

func bi(x int64) *big.Int { return big.NewInt(x) }

// nonNeg folds a fuzzed int64 onto [0, MaxInt64].
func nonNeg(x int64) int64 {
	if x < 0 {
		return -(x + 1)
	}
	return x
}

// FuzzSaturatingArithmetic checks the helpers every count goes through
// against math/big's exact arithmetic.
func FuzzSaturatingArithmetic(f *testing.F) {
	f.Add(int64(1<<32), int64(1<<32))
	f.Add(int64(math.MaxInt64), int64(2))
	f.Add(int64(3037000499), int64(3037000500)) // √MaxInt64 neighbours
	f.Add(int64(math.MaxInt64-7), int64(8))
	f.Add(int64(0), int64(math.MaxInt64))
	f.Add(int64(-5), int64(7))
	f.Add(int64(5), int64(0))
	f.Add(int64(math.MinInt64+3), int64(10)) // a budget near the bottom less a cost
	f.Fuzz(func(t *testing.T, x, y int64) {
		a, b := nonNeg(x), nonNeg(y)
		// Division by nothing is 0, not a panic.
		if ceilDiv(a, 0) != 0 || divSat(a, 0) != 0 {
			t.Errorf("ceilDiv(%d, 0) = %d, divSat = %d; want 0", a, ceilDiv(a, 0), divSat(a, 0))
		}
		prod := new(big.Int).Mul(bi(a), bi(b))
		if got, want := mulSat(a, b), satBig(prod); got != want {
			t.Errorf("mulSat(%d, %d) = %d, want %d", a, b, got, want)
		}
		if got, want := mulSatN(a, b, 3), satBig(new(big.Int).Mul(prod, bi(3))); got != want {
			t.Errorf("mulSatN(%d, %d, 3) = %d, want %d", a, b, got, want)
		}
		sum := new(big.Int).Add(bi(a), bi(b))
		if got, want := addSat(a, b), satBig(sum); got != want {
			t.Errorf("addSat(%d, %d) = %d, want %d", a, b, got, want)
		}
		if got, want := addSatN(a, b, a), satBig(new(big.Int).Add(sum, bi(a))); got != want {
			t.Errorf("addSatN(%d, %d, %d) = %d, want %d", a, b, a, got, want)
		}
		// A budget (any sign) less a cost.
		if got, want := subSat(x, b), satBig(new(big.Int).Sub(bi(x), bi(b))); got != want {
			t.Errorf("subSat(%d, %d) = %d, want %d", x, b, got, want)
		}
		if b > 0 {
			q, r := new(big.Int).QuoRem(bi(a), bi(b), new(big.Int))
			wantFloor, wantCeil := q.Int64(), q.Int64()
			if r.Sign() != 0 {
				wantCeil++
			}
			if a == math.MaxInt64 { // saturated stays saturated
				wantFloor, wantCeil = math.MaxInt64, math.MaxInt64
			}
			if got := divSat(a, b); got != wantFloor {
				t.Errorf("divSat(%d, %d) = %d, want %d", a, b, got, wantFloor)
			}
			if got := ceilDiv(a, b); got != wantCeil {
				t.Errorf("ceilDiv(%d, %d) = %d, want %d", a, b, got, wantCeil)
			}
		}
		// Stored bytes of a elements in every format: ⌈a·bits/8⌉ plus
		// ⌈⌈a/group⌉·scale_bits/8⌉.
		for _, d := range append(append([]DType{}, builtinDTypes...), builtinKVDTypes...) {
			want := new(big.Int).Mul(bi(a), bi(d.Bits))
			want.Add(want, bi(7)).Quo(want, bi(8))
			if d.GroupSize > 0 {
				g := new(big.Int).Add(bi(a), bi(d.GroupSize-1))
				g.Quo(g, bi(d.GroupSize)).Mul(g, bi(d.ScaleBits)).Add(g, bi(7)).Quo(g, bi(8))
				want.Add(want, g)
			}
			if a == math.MaxInt64 { // saturated stays saturated
				want = bi(math.MaxInt64)
			}
			if got := d.Bytes(a); got != satBig(want) {
				t.Errorf("%s.Bytes(%d) = %d, want %d", d.Name, a, got, satBig(want))
			}
		}
	})
}

// denseShape is a Llama-style model reduced to the numbers that size it:
// RMSNorm, two norms per layer and a final one, GQA attention, a gated MLP
// and optionally routed experts with a router.
type denseShape struct {
	vocab, hidden, layers, heads, kvHeads, headDim, inter int64
	experts, topK, expertInter                            int64
	tied                                                  bool
}

func (s denseShape) model() *Model {
	m := &Model{Name: "shape", VocabSize: s.vocab, Hidden: s.hidden, NormsPerLayer: 2, FinalNorm: true, TiedEmbedding: s.tied}
	for range s.layers {
		m.Layers = append(m.Layers, Layer{Kind: FullAttention,
			Attn: Attention{Heads: s.heads, KVHeads: s.kvHeads, HeadDim: s.headDim, VHeadDim: s.headDim},
			FFN:  FFN{Intermediate: s.inter, Gated: true, Experts: s.experts, TopK: s.topK, ExpertIntermediate: s.expertInter}})
	}
	return m
}

// bigCounts is the closed form of the shape's total and active parameters
// and its bf16 KV bytes per token, in exact arithmetic: written as whole-model
// products, not tensor by tensor as params.go counts them.
func (s denseShape) bigCounts() (total, active, kvPerToken *big.Int) {
	n := func(xs ...int64) *big.Int {
		p := big.NewInt(1)
		for _, x := range xs {
			p.Mul(p, bi(x))
		}
		return p
	}
	perLayer := new(big.Int).Add(n(2, s.hidden), n(2, s.hidden, s.heads, s.headDim)) // norms, q and o
	perLayer.Add(perLayer, n(2, s.hidden, s.kvHeads, s.headDim))                     // k and v
	perLayer.Add(perLayer, n(3, s.hidden, s.inter))
	routed := new(big.Int)
	if s.experts > 0 {
		perLayer.Add(perLayer, n(s.hidden, s.experts)) // router
		routed = n(3, s.hidden, s.expertInter)
	}
	embeddings := int64(2)
	if s.tied {
		embeddings = 1
	}
	total = new(big.Int).Add(n(embeddings, s.vocab, s.hidden), bi(s.hidden))
	active = new(big.Int).Set(total)
	active.Add(active, new(big.Int).Mul(perLayer, bi(s.layers)))
	total.Add(total, new(big.Int).Mul(new(big.Int).Add(perLayer, new(big.Int).Mul(routed, bi(s.experts))), bi(s.layers)))
	active.Add(active, new(big.Int).Mul(new(big.Int).Mul(routed, bi(min(s.topK, s.experts))), bi(s.layers)))
	kvPerToken = n(4, s.layers, s.kvHeads, s.headDim)
	return total, active, kvPerToken
}

// FuzzParamsAgainstBig counts fuzzed architectures, with every dimension up
// to kvplot's input limit of 2^40, and compares with exact arithmetic: a
// count either is exact or saturates at MaxInt64, never wraps.
func FuzzParamsAgainstBig(f *testing.F) {
	// The example: hidden = intermediate = 2^32 and 4096 heads of
	// 2^20 wrapped to 30,064,771,072 parameters (truly ≈ 2.6·10^20).
	f.Add(uint64(32000), uint64(1<<32), uint8(2), uint64(4096), uint64(4096), uint64(1<<20), uint64(1<<32), uint64(0), uint8(0), uint64(0), false)
	f.Add(uint64(128256), uint64(4096), uint8(32), uint64(32), uint64(8), uint64(128), uint64(14336), uint64(0), uint8(0), uint64(0), false)
	f.Add(uint64(129280), uint64(7168), uint8(3), uint64(128), uint64(128), uint64(128), uint64(0), uint64(256), uint8(8), uint64(2048), true)
	f.Add(uint64(1<<40), uint64(1<<40), uint8(255), uint64(1<<40), uint64(1<<40), uint64(1<<40), uint64(1<<40), uint64(1<<40), uint8(255), uint64(1<<40), false)
	f.Fuzz(func(t *testing.T, vocab, hidden uint64, layers uint8, heads, kvHeads, headDim, inter, experts uint64, topK uint8, expertInter uint64, tied bool) {
		lim := func(x uint64) int64 { return int64(x % (1<<40 + 1)) }
		s := denseShape{vocab: lim(vocab), hidden: lim(hidden), layers: int64(layers%8) + 1, heads: lim(heads), kvHeads: lim(kvHeads),
			headDim: lim(headDim), inter: lim(inter), experts: lim(experts), topK: int64(topK), expertInter: lim(expertInter), tied: tied}
		m := s.model()
		total, active, kv := s.bigCounts()
		p := m.Params()
		if got, want := p.Total, satBig(total); got != want {
			t.Errorf("Params(%+v).Total = %d, want %d (exact %s)", s, got, want, total)
		}
		if got, want := p.Active, satBig(active); got != want {
			t.Errorf("Params(%+v).Active = %d, want %d (exact %s)", s, got, want, active)
		}
		if got, want := m.KVBytesPerToken(kvBF16), satBig(kv); got != want {
			t.Errorf("KVBytesPerToken(%+v) = %d, want %d (exact %s)", s, got, want, kv)
		}
		ctx, batch := int64(1<<32), int64(1<<20)
		allKV := new(big.Int).Mul(kv, new(big.Int).Mul(bi(ctx), bi(batch)))
		if got, want := m.KVBytes(kvBF16, ctx, batch), satBig(allKV); got != want {
			t.Errorf("KVBytes(%+v, 2^32, 2^20) = %d, want %d", s, got, want)
		}
	})
}

// perRankParams is the parameters one rank of a tp-way split holds, read
// back from the plan's bf16 weight bytes (2 bytes each, every class).
func perRankParams(t *testing.T, m *Model, tp int64) int64 {
	t.Helper()
	p, err := NewPlan(m, Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}, Fleet{Name: "t", CapacityBytes: 1 << 50, Count: tp, TP: tp, PP: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p.WeightsBytesPerGPU() / 2
}

// Summed over the ranks, a tensor-parallel split holds every parameter at
// least once, and exactly once when nothing is replicated.
func TestTensorParallelRanksSumToTotal(t *testing.T) {
	t.Run("nothing replicated sums exactly", func(t *testing.T) {
		s := denseShape{vocab: 32768, hidden: 4096, layers: 4, heads: 32, kvHeads: 8, headDim: 128, inter: 14336}
		m := s.model()
		m.NormsPerLayer, m.FinalNorm = 0, false
		total := m.Params().Total
		for _, tp := range []int64{1, 2, 4, 8} {
			if got := tp * perRankParams(t, m, tp); got != total {
				t.Errorf("tp %d: %d ranks × %d = %d, want the total %d", tp, tp, got/tp, got, total)
			}
		}
	})
	// With norms and routers on every rank, and K/V heads copied when
	// there are more ranks than KV heads, the excess is exactly those
	// copies: (tp − 1) × the replicated tensors, and for each layer
	// (tp − kv_heads) extra K and V heads of hidden × head_dim each.
	tests := []struct {
		name string
		s    denseShape
	}{
		{"llama-3-8b shape", denseShape{vocab: 128256, hidden: 4096, layers: 32, heads: 32, kvHeads: 8, headDim: 128, inter: 14336}},
		{"multi-query", denseShape{vocab: 65024, hidden: 4544, layers: 4, heads: 64, kvHeads: 1, headDim: 64, inter: 4544 * 4}},
		{"mixture of experts with a router", denseShape{vocab: 151936, hidden: 2048, layers: 4, heads: 32, kvHeads: 4, headDim: 128, experts: 128, topK: 8, expertInter: 768}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.s.model()
			total := m.Params().Total
			router := int64(0)
			if tc.s.experts > 0 {
				router = tc.s.hidden * tc.s.experts
			}
			replicated := tc.s.layers*(2*tc.s.hidden+router) + tc.s.hidden
			for _, tp := range []int64{1, 2, 4, 8, 16, 32} {
				if m.TPProblem(tp) != "" {
					continue
				}
				sum := tp * perRankParams(t, m, tp)
				kvCopies := max(0, tp-tc.s.kvHeads)
				want := total + (tp-1)*replicated + tc.s.layers*2*kvCopies*tc.s.hidden*tc.s.headDim
				if sum < total || sum != want {
					t.Errorf("tp %d: ranks hold %d parameters in all, want %d (total %d)", tp, sum, want, total)
				}
			}
		})
	}
}

// A model whose every layer grows its cache is never "unbounded", even
// when the largest context the solver tries fits; one whose every layer
// is windowed is.
func TestUnboundedOnlyWhenEveryLayerStopsGrowing(t *testing.T) {
	tiny := denseShape{vocab: 1000, hidden: 64, layers: 2, heads: 1, kvHeads: 1, headDim: 1, inter: 64}.model()
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}
	huge := Fleet{Name: "t", CapacityBytes: 1 << 62, Count: 1, TP: 1, PP: 1}
	p, err := NewPlan(tiny, sc, huge)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.MaxContext(1); got.Tokens != ContextCeiling || got.Unbounded {
		t.Errorf("MaxContext(full attention, 2^62 bytes) = %+v, want the ceiling, bounded by memory", got)
	}
	for i := range tiny.Layers {
		tiny.Layers[i].Kind, tiny.Layers[i].Window = SlidingAttention, 128
	}
	p, _ = NewPlan(tiny, sc, huge)
	if got := p.MaxContext(1); !got.Unbounded {
		t.Errorf("MaxContext(all sliding) = %+v, want unbounded", got)
	}
}

// deepseekV3 is DeepSeek-V3 (config.json on the Hub): MLA with a query
// LoRA, 3 dense layers then 58 MoE layers of 256 routed experts (top 8),
// one shared expert and a score-correction bias.
func deepseekV3() *Model {
	m := &Model{Name: "deepseek-v3", VocabSize: 129280, Hidden: 7168, NormsPerLayer: 2, FinalNorm: true}
	mla := MLA{Heads: 128, QLoraRank: 1536, KVLoraRank: 512, QKNopeHeadDim: 128, QKRopeHeadDim: 64, VHeadDim: 128}
	for i := range 61 {
		l := Layer{Kind: MLAAttention, MLA: mla, FFN: FFN{Intermediate: 18432, Gated: true}}
		if i >= 3 {
			l.FFN = FFN{Gated: true, Experts: 256, TopK: 8, ExpertIntermediate: 2048, SharedExperts: 1, SharedIntermediate: 2048, ScoreCorrectionBias: true}
		}
		m.Layers = append(m.Layers, l)
	}
	return m
}

// DeepSeek-V3's own count, 671,026,419,200 parameters without the
// multi-token-prediction module (specs/models/deepseek-v3.yaml, from
// https://huggingface.co/deepseek-ai/DeepSeek-V3), exercises MLA with a
// query LoRA, dense and MoE layers, shared experts and the routing bias.
func TestDeepSeekV3PublishedCount(t *testing.T) {
	m := deepseekV3()
	p := m.Params()
	if p.Total != 671_026_419_200 {
		t.Errorf("Params(deepseek-v3).Total = %d, want 671,026,419,200", p.Total)
	}
	// Active: all but 248 of the 256 routed experts in each of the 58 MoE
	// layers, each expert 3 × 7168 × 2048.
	if want := p.Total - 58*248*3*7168*2048; p.Active != want {
		t.Errorf("Params(deepseek-v3).Active = %d, want %d", p.Active, want)
	}
}
