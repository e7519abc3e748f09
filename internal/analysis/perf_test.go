package analysis

import (
	"math"
	"testing"
)

// h100Speed is the H100 SXM's datasheet figures (specs/accelerators.yaml).
func h100Speed() Speed {
	return Speed{BandwidthBytesPerS: 3.35e12, PeakFLOPS: map[string]float64{"bf16": 989.4e12, "fp8": 1978.9e12, "int8": 1978.9e12},
		LinkBytesPerS: 450e9, LinkLatencyS: 10e-6}
}

// mixtral is Mixtral-8x7B: 32 layers, 8 experts, top-2.
func mixtral() *Model {
	m := &Model{Name: "mixtral", VocabSize: 32000, Hidden: 4096, NormsPerLayer: 2, FinalNorm: true}
	for range 32 {
		m.Layers = append(m.Layers, Layer{Kind: FullAttention,
			Attn: Attention{Heads: 32, KVHeads: 8, HeadDim: 128, VHeadDim: 128},
			FFN:  FFN{Experts: 8, TopK: 2, ExpertIntermediate: 14336, Gated: true}})
	}
	return m
}

func plan(t *testing.T, m *Model, weights string, tp int64) Plan {
	t.Helper()
	w, _ := LookupDType(weights)
	p, err := NewPlan(m, Scenario{Weights: WeightScheme{Default: w}, KV: kvBF16}, Fleet{Name: "f", CapacityBytes: 80 << 30, Count: tp, TP: tp, PP: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDecodeWeightBytesLlama2 pins the bytes a batch-1 decode step reads
// against the published parameter count: Llama-2-7B has 6,738,415,616
// parameters (https://huggingface.co/meta-llama/Llama-2-7b-hf), of which
// the 32,000 × 4,096 input embedding is not read (only one row per token);
// the untied LM head is.
func TestDecodeWeightBytesLlama2(t *testing.T) {
	m := &Model{Name: "llama-2-7b", VocabSize: 32000, Hidden: 4096, NormsPerLayer: 2, FinalNorm: true}
	for range 32 {
		m.Layers = append(m.Layers, Layer{Kind: FullAttention,
			Attn: Attention{Heads: 32, KVHeads: 32, HeadDim: 128, VHeadDim: 128},
			FFN:  FFN{Intermediate: 11008, Gated: true}})
	}
	got := plan(t, m, "bf16", 1).DecodeTraffic(1, 1)[0].WeightBytes
	if want := 2 * float64(6_738_415_616-32000*4096); got != want {
		t.Errorf("DecodeTraffic(llama-2-7b).WeightBytes = %.0f, want %.0f", got, want)
	}
	// Under TP 4 each rank reads a quarter of the sharded weights and
	// every norm: the ranks together read the whole step plus 3 extra
	// copies of the norms.
	norms := float64(2 * (32*2*4096 + 4096))
	tp4 := plan(t, m, "bf16", 4).DecodeTraffic(1, 1)[0].WeightBytes
	if want := (got-norms)/4 + norms; tp4 != want {
		t.Errorf("DecodeTraffic(llama-2-7b, tp 4).WeightBytes = %.0f, want %.0f", tp4, want)
	}
}

// TestTiedHeadIsRead checks that a tied embedding is read once as the LM
// head: Gemma-2-9B's decode step reads its 256,000 × 3,584 matrix.
func TestTiedHeadIsRead(t *testing.T) {
	m := gemma2_9b()
	p := plan(t, m, "bf16", 1)
	got := p.DecodeTraffic(1, 1)[0].WeightBytes
	params := m.Params()
	want := 2 * float64(params.Total) // everything, the embedding read once as the head
	if got != want {
		t.Errorf("tied gemma-2-9b WeightBytes = %.0f, want %.0f", got, want)
	}
}

func TestExpectedExpertsTouched(t *testing.T) {
	tests := []struct {
		name    string
		e, k, n int64
		want    float64
	}{
		{"one token touches top-k", 8, 2, 1, 2},
		{"two tokens: 8·(1−(6/8)²)", 8, 2, 2, 8 * (1 - 0.5625)},
		{"no tokens touch nothing", 8, 2, 0, 0},
		{"top-k of all experts touches all", 4, 4, 3, 4},
	}
	for _, tt := range tests {
		if got := ExpectedExpertsTouched(tt.e, tt.k, tt.n); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: ExpectedExpertsTouched(%d, %d, %d) = %g, want %g", tt.name, tt.e, tt.k, tt.n, got, tt.want)
		}
	}
}

// TestMoEBoundBetweenTopKAndAllExperts: at any batch, the MoE decode step
// reads no less than the top-k experts of one token and no more than all
// of them, grows with the batch, and ends at all experts.
func TestMoEBoundBetweenTopKAndAllExperts(t *testing.T) {
	m := mixtral()
	p := plan(t, m, "bf16", 1)
	// Independent figures from the parameter count: active = top-k only,
	// total = all experts; the input embedding is not read.
	params := m.Params()
	emb := 2 * float64(params.ByClass[Embeddings])
	topK := 2*float64(params.Active) - emb
	all := 2*float64(params.Total) - emb
	prev := 0.0
	for _, b := range []int64{1, 2, 3, 4, 8, 16, 64, 256, 4096} {
		got := p.DecodeTraffic(b, 1)[0].WeightBytes
		if got < topK*(1-1e-12) || got > all*(1+1e-12) {
			t.Errorf("batch %d: MoE weight bytes %.4g outside [top-k %.4g, all %.4g]", b, got, topK, all)
		}
		if got < prev {
			t.Errorf("batch %d: weight bytes %.4g fell below batch before (%.4g)", b, got, prev)
		}
		prev = got
		if b == 1 && math.Abs(got-topK) > 1 {
			t.Errorf("batch 1 reads %.0f bytes, want the top-k figure %.0f", got, topK)
		}
	}
	if math.Abs(prev-all)/all > 1e-9 {
		t.Errorf("batch 4096 reads %.6g bytes, want all experts %.6g", prev, all)
	}
	// And the decode bound follows: between the bounds of those byte counts.
	s := h100Speed()
	pf, err := p.Perf(s, DefaultSpeedCalibration, 16, 1024, 1024)
	if err != nil {
		t.Fatal(err)
	}
	kv := float64(p.KVBytesPerGPU(1024, 16))
	// The bound counts the cache at 8 bits (half the bf16 bytes).
	lo, hi := (topK+kv/2)/s.BandwidthBytesPerS, (all+kv/2)/s.BandwidthBytesPerS
	if pf.DecodeStepBoundS < lo || pf.DecodeStepBoundS > hi {
		t.Errorf("mixtral batch 16 bound %.4g s outside [%.4g, %.4g]", pf.DecodeStepBoundS, lo, hi)
	}
}

func TestAttendedKeys(t *testing.T) {
	tests := []struct {
		name                    string
		context, tokens, window int64
		want                    float64
	}{
		{"decode step attends to the whole context", 1000, 1, 0, 1000},
		{"decode step within a window", 1000, 1, 128, 128},
		{"causal prefill of 4 tokens: 1+2+3+4", 4, 4, 0, 10},
		{"windowed prefill: 1+2+2+2", 4, 4, 2, 7},
	}
	for _, tt := range tests {
		if got := attendedKeys(tt.context, tt.tokens, tt.window); got != tt.want {
			t.Errorf("%s: attendedKeys(%d, %d, %d) = %g, want %g", tt.name, tt.context, tt.tokens, tt.window, got, tt.want)
		}
	}
}

// TestPrefillFLOPsQuadratic checks the attention term of a prompt: doubling
// the prompt doubles the matmul FLOPs and quadruples the attention FLOPs.
func TestPrefillFLOPsQuadratic(t *testing.T) {
	p := plan(t, llama3_8b(), "bf16", 1)
	f := func(n int64) float64 { return p.PrefillTraffic(n)[0].FLOPs }
	// Per-token matmul FLOPs: 2 × (params − embedding − head), plus the
	// head for the last token only.
	params := llama3_8b().Params()
	head := float64(128256 * 4096)
	body := 2 * (float64(params.Total) - 2*head)
	perKey := 32.0 * 2 * 32 * (128 + 128) // layers × 2 × heads × (d_k + d_v)
	for _, n := range []int64{1, 100, 4096} {
		want := body*float64(n) + 2*head + perKey*float64(n)*float64(n+1)/2
		if got := f(n); math.Abs(got-want)/want > 1e-12 {
			t.Errorf("prefill FLOPs of %d tokens = %.6g, want %.6g", n, got, want)
		}
	}
}

// TestBoundNeverAboveEstimate and more bandwidth never slower, over a grid
// of models, formats, layouts and loads.
func TestBoundNeverAboveEstimate(t *testing.T) {
	models := []*Model{llama3_8b(), gemma2_9b(), mixtral(), mlaModel(4)}
	for _, m := range models {
		for _, w := range []string{"bf16", "fp8", "int8", "int4"} {
			for _, tp := range []int64{1, 2, 4} {
				p := plan(t, m, w, tp)
				for _, load := range [][3]int64{{1, 1, 1}, {1, 8192, 8192}, {64, 2048, 512}, {256, 32768, 100000}} {
					var prev Perf
					for i, bw := range []float64{0.3e12, 1e12, 3.35e12, 8e12, 50e12} {
						s := h100Speed()
						s.BandwidthBytesPerS = bw
						pf, err := p.Perf(s, DefaultSpeedCalibration, load[0], load[1], load[2])
						if err != nil {
							t.Fatal(err)
						}
						if pf.DecodeStepBoundS > pf.DecodeStepS || pf.PrefillBoundS > pf.PrefillS {
							t.Errorf("%s %s tp%d %v: bound above estimate: decode %g > %g or prefill %g > %g",
								m.Name, w, tp, load, pf.DecodeStepBoundS, pf.DecodeStepS, pf.PrefillBoundS, pf.PrefillS)
						}
						if i > 0 && (pf.DecodeStepBoundS > prev.DecodeStepBoundS || pf.DecodeStepS > prev.DecodeStepS ||
							pf.PrefillBoundS > prev.PrefillBoundS || pf.PrefillS > prev.PrefillS) {
							t.Errorf("%s %s tp%d %v: %g B/s is slower than %g B/s", m.Name, w, tp, load, bw, bw/2)
						}
						prev = pf
					}
				}
			}
		}
	}
}

// TestBoundPeaks: a bound may use any arithmetic as narrow as the weights,
// never narrower; the typical peak never exceeds the bound's.
func TestBoundPeaks(t *testing.T) {
	s := Speed{PeakFLOPS: map[string]float64{"bf16": 1, "fp8": 2, "int8": 3, "fp4": 4}}
	for _, tt := range []struct {
		w          string
		bound, typ float64
	}{{"bf16", 1, 1}, {"fp8", 3, 2}, {"int8", 3, 1}, {"int4", 4, 1}, {"mxfp4", 4, 1}} {
		d, _ := LookupDType(tt.w)
		if got := s.BoundPeakFLOPS(d); got != tt.bound {
			t.Errorf("BoundPeakFLOPS(%s) = %g, want %g", tt.w, got, tt.bound)
		}
		if got := s.TypicalPeakFLOPS(d); got != tt.typ {
			t.Errorf("TypicalPeakFLOPS(%s) = %g, want %g", tt.w, got, tt.typ)
		}
	}
}

// TestTPAddsAllReduces: two all-reduces per layer of the hidden state, and
// a slower link makes the estimate slower but not the bound.
func TestTPAddsAllReduces(t *testing.T) {
	p := plan(t, llama3_8b(), "bf16", 8)
	tr := p.DecodeTraffic(4, 1024)[0]
	if tr.AllReduces != 64 || tr.AllReduceBytes != 4*4096*2 {
		t.Errorf("tp 8 decode: %d all-reduces of %g bytes, want 64 of %d", tr.AllReduces, tr.AllReduceBytes, 4*4096*2)
	}
	fast, slow := h100Speed(), h100Speed()
	slow.LinkBytesPerS, slow.LinkLatencyS = 32e9, 25e-6
	a, _ := p.Perf(fast, DefaultSpeedCalibration, 4, 1024, 1024)
	b, _ := p.Perf(slow, DefaultSpeedCalibration, 4, 1024, 1024)
	if a.DecodeStepBoundS != b.DecodeStepBoundS || !(b.DecodeStepS > a.DecodeStepS) {
		t.Errorf("slower link: bound %g→%g (want equal), estimate %g→%g (want slower)", a.DecodeStepBoundS, b.DecodeStepBoundS, a.DecodeStepS, b.DecodeStepS)
	}
}

func TestPerfRefusesUnknownSpeed(t *testing.T) {
	p := plan(t, llama3_8b(), "bf16", 2)
	for _, tt := range []struct {
		name string
		s    Speed
	}{
		{"no bandwidth", Speed{PeakFLOPS: map[string]float64{"bf16": 1e15}, LinkBytesPerS: 1e11}},
		{"no bf16 peak", Speed{BandwidthBytesPerS: 1e12, PeakFLOPS: map[string]float64{"fp8": 1e15}, LinkBytesPerS: 1e11}},
		{"no link under tp", Speed{BandwidthBytesPerS: 1e12, PeakFLOPS: map[string]float64{"bf16": 1e15}}},
	} {
		if _, err := p.Perf(tt.s, DefaultSpeedCalibration, 1, 1, 1); err == nil {
			t.Errorf("%s: Perf succeeded, want an error", tt.name)
		}
	}
	bad := DefaultSpeedCalibration
	bad.DecodeTP = 1.5
	if _, err := p.Perf(h100Speed(), bad, 1, 1, 1); err == nil {
		t.Errorf("efficiency 1.5: Perf succeeded, want an error")
	}
}

// TestServingCurve: batches double up to the memory limit, which is the
// last point; throughput never falls as the batch grows (weights are read
// once for all sequences) and per-sequence speed never rises.
func TestServingCurve(t *testing.T) {
	p := plan(t, llama3_8b(), "bf16", 1)
	pts, limit, mem, err := p.ServingCurve(h100Speed(), DefaultSpeedCalibration, 8192, 8192)
	if err != nil {
		t.Fatal(err)
	}
	if want := p.MaxConcurrency(8192); limit != want || !mem {
		t.Errorf("limit %d (memory %v), want the memory limit %d", limit, mem, want)
	}
	if pts[len(pts)-1].Batch != limit || pts[0].Batch != 1 {
		t.Errorf("curve runs from batch %d to %d, want 1 to %d", pts[0].Batch, pts[len(pts)-1].Batch, limit)
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if b.Batch <= a.Batch || b.Perf.DecodeTokensPerS < a.Perf.DecodeTokensPerS || b.Perf.DecodeTokensPerSPerSeq > a.Perf.DecodeTokensPerSPerSeq {
			t.Errorf("batch %d→%d: total %g→%g tokens/s, per sequence %g→%g", a.Batch, b.Batch,
				a.Perf.DecodeTokensPerS, b.Perf.DecodeTokensPerS, a.Perf.DecodeTokensPerSPerSeq, b.Perf.DecodeTokensPerSPerSeq)
		}
	}
	// A short context leaves memory for more than the batch limit.
	_, limit, mem, _ = p.ServingCurve(h100Speed(), DefaultSpeedCalibration, 512, 512)
	if limit != MaxServingBatch || mem {
		t.Errorf("context 512: limit %d (memory %v), want the batch limit %d", limit, mem, MaxServingBatch)
	}
}

// TestBoundCountsCacheAtEightBits: a bf16-cache scenario's decode bound is
// the fp8-cache scenario's (an engine may store the cache in fp8), while its
// estimate is slower.
func TestBoundCountsCacheAtEightBits(t *testing.T) {
	w, _ := LookupDType("bf16")
	pf := func(kv DType) Perf {
		p, err := NewPlan(llama3_8b(), Scenario{Weights: WeightScheme{Default: w}, KV: kv}, Fleet{Name: "f", CapacityBytes: 80 << 30, Count: 1, TP: 1, PP: 1})
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Perf(h100Speed(), DefaultSpeedCalibration, 64, 32768, 32768)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	b16, f8 := pf(kvBF16), pf(kvFP8)
	if b16.DecodeStepBoundS != f8.DecodeStepBoundS || !(b16.DecodeStepS > f8.DecodeStepS) {
		t.Errorf("bf16 cache: bound %g (fp8 %g, want equal), estimate %g (fp8 %g, want slower)", b16.DecodeStepBoundS, f8.DecodeStepBoundS, b16.DecodeStepS, f8.DecodeStepS)
	}
}
