package analysis

import (
	"math"
	"testing"
)

var (
	kvBF16, _ = LookupKVDType("bf16")
	kvFP8, _  = LookupKVDType("fp8")
	kvInt4, _ = LookupKVDType("int4")
)

// llama3_8b is Meta-Llama-3-8B's architecture (config.json on the Hub).
func llama3_8b() *Model {
	m := &Model{Name: "llama-3-8b", VocabSize: 128256, Hidden: 4096, NormsPerLayer: 2, FinalNorm: true, MaxContext: 8192}
	for range 32 {
		m.Layers = append(m.Layers, Layer{Kind: FullAttention,
			Attn: Attention{Heads: 32, KVHeads: 8, HeadDim: 128, VHeadDim: 128},
			FFN:  FFN{Intermediate: 14336, Gated: true}})
	}
	return m
}

// gemma2_9b is google/gemma-2-9b: 42 layers alternating sliding(4096)/global.
func gemma2_9b() *Model {
	m := &Model{Name: "gemma-2-9b", VocabSize: 256000, Hidden: 3584, NormsPerLayer: 4, FinalNorm: true, TiedEmbedding: true}
	for i := range 42 {
		l := Layer{Kind: FullAttention, Attn: Attention{Heads: 16, KVHeads: 8, HeadDim: 256, VHeadDim: 256}, FFN: FFN{Intermediate: 14336, Gated: true}}
		if i%2 == 0 {
			l.Kind, l.Window = SlidingAttention, 4096
		}
		m.Layers = append(m.Layers, l)
	}
	return m
}

// deepseekV3Attn is one DeepSeek-V3 MLA layer (dense MLP, for cache tests).
func mlaModel(layers int) *Model {
	m := &Model{Name: "mla", VocabSize: 129280, Hidden: 7168, NormsPerLayer: 2, FinalNorm: true}
	for range layers {
		m.Layers = append(m.Layers, Layer{Kind: MLAAttention,
			MLA: MLA{Heads: 128, QLoraRank: 1536, KVLoraRank: 512, QKNopeHeadDim: 128, QKRopeHeadDim: 64, VHeadDim: 128},
			FFN: FFN{Intermediate: 18432, Gated: true}})
	}
	return m
}

func TestKVBytes(t *testing.T) {
	tests := []struct {
		name           string
		m              *Model
		kv             DType
		context, batch int64
		want           int64
	}{
		// shared/configs/README.md: Gemma-2-9B, one sequence of 8,192 tokens
		// holds 2,113,929,216 bytes with the window applied.
		{"gemma-2-9b window capped at 8K", gemma2_9b(), kvBF16, 8192, 1, 2_113_929_216},
		{"gemma-2-9b below the window grows on every layer", gemma2_9b(), kvBF16, 4096, 1, 344_064 * 4096},
		{"llama-3-8b 8 sequences of 8K", llama3_8b(), kvBF16, 8192, 8, 131_072 * 8192 * 8},
		{"llama-3-8b fp8 halves bf16", llama3_8b(), kvFP8, 1000, 1, 65_536 * 1000},
		// int4: 64 elements per group, fp16 scale+zero (4 bytes) per group:
		// per head vector of 128: 64 bytes + 2 groups × 4 = 72 bytes; K and
		// V for 8 heads on 32 layers: 72 × 2 × 8 × 32 = 36,864 per token.
		{"llama-3-8b int4 with group scales", llama3_8b(), kvInt4, 10, 1, 36_864 * 10},
		{"deepseek mla latent 576 per layer", mlaModel(61), kvBF16, 1, 1, 70_272},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.KVBytes(tc.kv, tc.context, tc.batch); got != tc.want {
				t.Errorf("KVBytes(%s, %d, %d) = %d, want %d", tc.m.Name, tc.context, tc.batch, got, tc.want)
			}
		})
	}
}

func TestTensorParallelKV(t *testing.T) {
	tests := []struct {
		name    string
		m       *Model
		tp      int64
		perTok  int64 // cache bytes per token on one rank
		weights int64 // weights per rank, bf16
	}{
		// 8 KV heads over 4 ranks: 2 heads each.
		{"llama-3-8b tp4 splits kv heads", llama3_8b(), 4, 131_072 / 4, 0},
		// 8 KV heads over 16 ranks: each rank keeps a replica of one head,
		// so the per-rank cache is that of 1 head, not 1/2.
		{"llama-3-8b tp16 replicates kv heads", llama3_8b(), 16, 131_072 / 8, 0},
		// MLA's latent is not split by heads: every rank holds all of it.
		{"mla tp8 replicates the latent", mlaModel(61), 8, 70_272, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Fleet{Name: "t", CapacityBytes: 1 << 50, Count: tc.tp, TP: tc.tp, PP: 1}
			p, err := NewPlan(tc.m, Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}, f)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.KVBytesPerGPU(1, 1); got != tc.perTok {
				t.Errorf("KVBytesPerGPU(%s, tp=%d) = %d, want %d", tc.m.Name, tc.tp, got, tc.perTok)
			}
		})
	}
}

func TestTensorParallelWeights(t *testing.T) {
	m := llama3_8b()
	one := WeightScheme{Default: bf16}.Bytes(m.Params().ByClass)
	p, err := NewPlan(m, Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}, Fleet{Name: "t", CapacityBytes: 1 << 40, Count: 2, TP: 2, PP: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := p.WeightsBytesPerGPU()
	// Norms (65 × 4096 parameters) are replicated; everything else halves.
	norms := int64(65*4096) * 2
	if want := (one-norms)/2 + norms; got != want {
		t.Errorf("WeightsBytesPerGPU(tp2) = %d, want %d", got, want)
	}
}

func TestPipelineStages(t *testing.T) {
	tests := []struct {
		n, pp int
		want  [][2]int
	}{
		{32, 1, [][2]int{{0, 32}}},
		{32, 2, [][2]int{{0, 16}, {16, 32}}},
		{61, 4, [][2]int{{0, 16}, {16, 31}, {31, 46}, {46, 61}}},
	}
	for _, tc := range tests {
		got := StageLayers(tc.n, tc.pp)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("StageLayers(%d, %d) = %v, want %v", tc.n, tc.pp, got, tc.want)
				break
			}
		}
	}
	// With PP 2, each stage holds half the layers' cache.
	m := llama3_8b()
	p, _ := NewPlan(m, Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}, Fleet{Name: "t", CapacityBytes: 1 << 40, Count: 2, TP: 1, PP: 2})
	if got, want := p.KVBytesPerGPU(1, 1), int64(131_072/2); got != want {
		t.Errorf("KVBytesPerGPU(pp2) = %d, want %d", got, want)
	}
}

func TestMaxContext(t *testing.T) {
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16, Overhead: SimpleOverhead{FixedBytes: 1 << 30}}
	m := llama3_8b()
	weights := WeightScheme{Default: bf16}.Bytes(m.Params().ByClass)
	capacity := int64(80) << 30
	p, err := NewPlan(m, sc, Fleet{Name: "t", CapacityBytes: capacity, Count: 1, TP: 1, PP: 1})
	if err != nil {
		t.Fatal(err)
	}
	budget := capacity - weights - 1<<30
	for _, batch := range []int64{1, 3, 64} {
		want := budget / (131_072 * batch)
		if got := p.KVCapacity(batch); got.Tokens != want || got.Unbounded {
			t.Errorf("MaxContext(batch %d) = %+v, want %d tokens", batch, got, want)
		}
	}
	if got, want := p.MaxConcurrency(8192), budget/(131_072*8192); got != want {
		t.Errorf("MaxConcurrency(8192) = %d, want %d", got, want)
	}

	// Every layer windowed: the cache plateaus, so memory never limits context.
	all := llama3_8b()
	for i := range all.Layers {
		all.Layers[i].Kind, all.Layers[i].Window = SlidingAttention, 4096
	}
	p2, _ := NewPlan(all, sc, Fleet{Name: "t", CapacityBytes: capacity, Count: 1, TP: 1, PP: 1})
	if got := p2.MaxContext(1); !got.Unbounded {
		t.Errorf("MaxContext(all sliding) = %+v, want unbounded", got)
	}

	// Weights alone overflow: nothing fits.
	p3, _ := NewPlan(m, sc, Fleet{Name: "t", CapacityBytes: 8 << 30, Count: 1, TP: 1, PP: 1})
	if got := p3.MaxContext(1); got.Tokens != 0 || got.Unbounded || p3.Fits() {
		t.Errorf("MaxContext(8 GiB) = %+v, fits %v; want 0 and not fitting", got, p3.Fits())
	}
	if got := p3.MaxConcurrency(1024); got != 0 {
		t.Errorf("MaxConcurrency(8 GiB) = %d, want 0", got)
	}
}

// Windowed layers: the solver must find the exact crossing point on a
// piecewise-linear cost, matching a direct scan on a small case.
func TestMaxContextPiecewiseMatchesScan(t *testing.T) {
	m := gemma2_9b()
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}
	w := WeightScheme{Default: bf16}.Bytes(m.Params().ByClass)
	for _, extra := range []int64{1 << 30, 3 << 30, 7<<30 + 12345} {
		p, _ := NewPlan(m, sc, Fleet{Name: "t", CapacityBytes: w + extra, Count: 1, TP: 1, PP: 1})
		got := p.KVCapacity(1).Tokens
		if m.KVBytes(kvBF16, got, 1) > extra || m.KVBytes(kvBF16, got+1, 1) <= extra {
			t.Errorf("MaxContext with %d bytes of room = %d: not the largest fitting context", extra, got)
		}
	}
}

func TestNoOverflow(t *testing.T) {
	// A trillion-parameter-class model, 10M-token contexts, 16,384 sequences:
	// 2.2e19 bytes does not fit in an int64.
	m := &Model{Name: "huge", VocabSize: 1 << 20, Hidden: 1 << 16, NormsPerLayer: 2, FinalNorm: true}
	for range 512 {
		m.Layers = append(m.Layers, Layer{Kind: FullAttention, Attn: Attention{Heads: 512, KVHeads: 512, HeadDim: 128, VHeadDim: 128}, FFN: FFN{Intermediate: 1 << 18, Gated: true}})
	}
	got := m.KVBytes(kvBF16, 10_000_000, 16384)
	if got != math.MaxInt64 {
		t.Errorf("KVBytes(huge) = %d, want saturation at MaxInt64 rather than a wrapped value", got)
	}
	// 2^36 embeddings and output each, and per layer 4 attention
	// projections of 2^32, 3 × 2^34 MLP weights and 2 norms of 2^16, plus
	// the final norm.
	if got, want := m.Params().Total, int64(2<<36+512*(4<<32+3<<34+2<<16)+1<<16); got != want {
		t.Errorf("Params(huge).Total = %d, want %d", got, want)
	}
	// A large but representable case stays exact.
	l := llama3_8b()
	if got, want := l.KVBytes(kvBF16, 10_000_000, 1000), int64(131_072)*10_000_000*1000; got != want {
		t.Errorf("KVBytes(llama, 10M, 1000) = %d, want %d", got, want)
	}
}

func TestWeightBytes(t *testing.T) {
	int4, _ := LookupDType("int4")
	mx, _ := LookupDType("mxfp4")
	counts := ClassCounts{}
	counts[MLPWeights] = 1 << 20
	counts[Embeddings] = 1000
	counts[NormWeights] = 10
	tests := []struct {
		name string
		w    WeightScheme
		want int64
	}{
		{"bf16 everything", WeightScheme{Default: bf16}, (1<<20 + 1010) * 2},
		// int4: half a byte per weight plus a 2-byte scale per 128; norms stay bf16.
		{"int4 keeps norms in bf16", WeightScheme{Default: int4}, (1<<20)/2 + (1<<20)/128*2 + 500 + 8*2 + 20},
		{"int4 keeps embeddings", WeightScheme{Default: int4, Keep16: []TensorClass{Embeddings}}, (1<<20)/2 + (1<<20)/128*2 + 2000 + 20},
		// MXFP4: 4 bits plus one 8-bit scale per 32 = 4.25 bits.
		{"mxfp4 override on the MLP", WeightScheme{Default: bf16, Overrides: map[TensorClass]DType{MLPWeights: mx}}, (1<<20)*17/32 + 2020},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Bytes(counts); got != tc.want {
				t.Errorf("Bytes = %d, want %d", got, tc.want)
			}
		})
	}
}
