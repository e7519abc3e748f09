package analysis

import (
	"fmt"
	"math"
	"strings"
)

// Speed is what an accelerator can move and compute: the figures a speed
// bound divides by. Zero means unknown.
type Speed struct {
	// BandwidthBytesPerS is the memory (HBM/GDDR) bandwidth per accelerator.
	BandwidthBytesPerS float64
	// PeakFLOPS is the dense (no sparsity) tensor peak per format, in
	// operations per second: "bf16" (also fp16), "fp8", "int8", "fp4".
	PeakFLOPS map[string]float64
	// LinkBytesPerS is the interconnect bandwidth per accelerator and
	// direction (NVLink, Infinity Fabric or PCIe) used by tensor parallelism.
	LinkBytesPerS float64
	// LinkLatencyS is the time of one small all-reduce over that link.
	LinkLatencyS float64
}

// peakFormats are the compute formats of Speed.PeakFLOPS with their width.
var peakFormats = []struct {
	name string
	bits int64
}{{"bf16", 16}, {"fp8", 8}, {"int8", 8}, {"fp4", 4}}

// BoundPeakFLOPS is the highest dense peak a weight format can use: any
// listed format at least as narrow as 16 bits and no narrower than the
// weights (8-bit weights may run in int8 or fp8 arithmetic, 4-bit ones even
// in fp4; 16-bit weights only in bf16). A bound divides by it, so no engine
// can beat it with a faster arithmetic than the weights allow.
func (s Speed) BoundPeakFLOPS(w DType) float64 {
	var best float64
	for _, f := range peakFormats {
		if f.bits >= w.Bits || f.name == "bf16" {
			best = math.Max(best, s.PeakFLOPS[f.name])
		}
	}
	return best
}

// TypicalPeakFLOPS is the peak of the arithmetic engines usually run a
// weight format in: fp8 weights in fp8 where the chip has it (W8A8), every
// other format in bf16 (int8 and 4-bit weights are usually weight-only:
// dequantized to 16 bits). It is at most BoundPeakFLOPS.
func (s Speed) TypicalPeakFLOPS(w DType) float64 {
	if s.nativeFP8(w) {
		return s.PeakFLOPS["fp8"]
	}
	return s.PeakFLOPS["bf16"]
}

// nativeFP8 reports fp8 weights on a chip with fp8 arithmetic.
func (s Speed) nativeFP8(w DType) bool { return w.Name == "fp8" && s.PeakFLOPS["fp8"] > 0 }

// StepTraffic is one accelerator's work in one step of the busiest pipeline
// stage: bytes it must read (or write) from its memory and arithmetic it
// must do.
type StepTraffic struct {
	// WeightBytes is the weights read: every tensor a token passes through
	// (the LM head included, input-embedding rows excluded; for MoE only
	// the experts routed to).
	WeightBytes float64
	// KVBytes is the cache read (decode) or written (prefill).
	KVBytes float64
	// FLOPs is the arithmetic: 2 per multiply-add of the matmuls plus attention.
	FLOPs float64
	// AllReduces is the count of tensor-parallel all-reduces in the step
	// (two per layer of the stage), each of AllReduceBytes.
	AllReduces     int64
	AllReduceBytes float64
}

// Bytes is the memory traffic of the step.
func (t StepTraffic) Bytes() float64 { return t.WeightBytes + t.KVBytes }

// ExpectedExpertsTouched is how many of e experts at least one of n tokens
// routes to when each picks k of them uniformly: e·(1 − (1 − k/e)^n). One
// token touches k; many tokens touch nearly all e.
func ExpectedExpertsTouched(e, k, n int64) float64 {
	if e <= 0 || k <= 0 || n <= 0 {
		return 0
	}
	if k >= e {
		return float64(e)
	}
	return float64(e) * (1 - math.Pow(1-float64(k)/float64(e), float64(n)))
}

// activationBytes is the width of one activation element exchanged by
// tensor-parallel all-reduces (bf16).
const activationBytes = 2

// stageTraffic is the work of one accelerator of stage st for tokens new
// tokens per sequence, seqs sequences, each attending to context tokens
// (decode: tokens 1; prefill: tokens = context = P). routed is how many
// tokens are routed through the experts together (decode: the batch;
// prefill: the prompt).
func (p Plan) stageTraffic(si int, seqs, tokens, context int64, prefill bool) StepTraffic {
	m, w, tp := p.Model, p.Scenario.Weights, p.Fleet.TP
	st := p.Stages[si]
	first, last := si == 0, si == len(p.Stages)-1
	t := st.tally
	if !st.tallied {
		t = m.tallyRange(tp, st.FirstLayer, st.EndLayer, first, last)
	}
	var out StepTraffic
	n := float64(seqs * tokens) // tokens through the matmuls
	// Weights every token passes through: all classes but the input
	// embedding (only its rows are read), the vision encoder (no images in
	// a text step) and the routed experts (below).
	for c := range t.counts {
		switch TensorClass(c) {
		case Embeddings, VisionWeights, ExpertWeights:
			continue
		}
		out.WeightBytes += float64(classBytes(w, TensorClass(c), t.counts[c]))
		out.FLOPs += 2 * n * float64(t.active[c])
	}
	headParams := ceilDiv(mulSat(m.VocabSize, m.Hidden), tp)
	if last && m.TiedEmbedding && first {
		// A tied head is the embedding matrix, read again at the end.
		out.WeightBytes += float64(classBytes(w, Embeddings, headParams))
		out.FLOPs += 2 * n * float64(headParams)
	}
	if prefill && last {
		// Engines compute logits for the last prompt token only.
		out.FLOPs -= 2 * (n - float64(seqs)) * float64(headParams)
	}
	// Routed experts: the expected union of the experts the step's tokens
	// are sent to, per layer; arithmetic is top-k per token.
	routedTokens := seqs * tokens
	for i := st.FirstLayer; i < st.EndLayer; i++ {
		l := &m.Layers[i]
		f := l.FFN
		if f.Experts <= 0 {
			continue
		}
		one := ceilDiv(MLPParams(m.Hidden, f.ExpertIntermediate, f.Gated, f.Bias), tp)
		touched := ExpectedExpertsTouched(f.Experts, f.TopK, routedTokens)
		all := float64(classBytes(w, ExpertWeights, mulSat(f.Experts, one)))
		out.WeightBytes += touched / float64(f.Experts) * all
		out.FLOPs += 2 * n * float64(min(f.TopK, f.Experts)) * float64(one)
	}
	// Attention arithmetic: scores and weighted values over the cached
	// tokens, causal in prefill.
	for i := st.FirstLayer; i < st.EndLayer; i++ {
		l := &m.Layers[i]
		var perKey float64 // FLOPs per query token per attended key, this rank
		switch l.Kind {
		case FullAttention, SlidingAttention, ChunkedAttention:
			heads := float64(ceilDiv(l.Attn.Heads, tp))
			perKey = 2 * heads * float64(l.Attn.HeadDim+l.Attn.VHeadDim)
		case MLAAttention:
			a := l.MLA
			heads := float64(ceilDiv(a.Heads, tp))
			if prefill {
				// Prefill expands the latent into per-head keys and values
				// (kv_b, already counted with the weights) and attends
				// over them: the cheaper way for many queries.
				perKey = 2 * heads * float64(a.QKNopeHeadDim+a.QKRopeHeadDim+a.VHeadDim)
			} else {
				// Decode absorbs kv_b into the query and output: each head
				// scores the latent and rope part and sums the latent.
				perKey = 2 * heads * float64(2*a.KVLoraRank+a.QKRopeHeadDim)
			}
		default:
			continue
		}
		window := int64(0)
		if l.Kind != FullAttention {
			window = l.Window
		}
		out.FLOPs += float64(seqs) * perKey * attendedKeys(context, tokens, window)
	}
	// Cache traffic: decode reads every sequence's cache; prefill writes
	// the prompt's.
	out.KVBytes = float64(mulSat(st.cost.bytes(context), seqs))
	if tp > 1 {
		layers := int64(st.EndLayer - st.FirstLayer)
		out.AllReduces = 2 * layers
		out.AllReduceBytes = n * float64(m.Hidden) * activationBytes
	}
	return out
}

// computeFormat is the format of the plan's largest tensor class (the
// experts of an MoE, the MLP of a dense model): the one that decides which
// arithmetic the matmuls can use. A checkpoint that stores its experts in
// fp8 under a bf16 default counts as fp8.
func (p Plan) computeFormat() DType {
	params := p.Model.Params()
	best := MLPWeights
	for c, n := range params.ByClass {
		if n > params.ByClass[best] {
			best = TensorClass(c)
		}
	}
	if f, ok := p.Scenario.Weights.Formats[best]; ok {
		kind := "int"
		if f.Float {
			kind = "fp"
		}
		return DType{Name: fmt.Sprintf("%s%d", kind, f.Bits), Bits: f.Bits}
	}
	return p.Scenario.Weights.For(best)
}

// classBytes is the storage of n parameters of class c in scheme w (a
// quantized checkpoint's exact bytes, pro rata, when it has them).
func classBytes(w WeightScheme, c TensorClass, n int64) int64 {
	var counts ClassCounts
	counts[c] = n
	return w.Bytes(counts)
}

// attendedKeys is the number of (query, key) pairs of the last tokens of a
// sequence of context tokens under a window (0: none): the causal sum of
// min(position, window) over the new tokens.
func attendedKeys(context, tokens, window int64) float64 {
	sum := func(n int64) float64 { // Σ_{i=1..n} min(i, window)
		if n <= 0 {
			return 0
		}
		if window <= 0 || n <= window {
			return float64(n) * float64(n+1) / 2
		}
		return float64(window)*float64(window+1)/2 + float64(n-window)*float64(window)
	}
	return sum(context) - sum(context-tokens)
}

// DecodeTraffic is one accelerator's work in one decode step of batch
// sequences at context tokens each, per pipeline stage.
func (p Plan) DecodeTraffic(batch, context int64) []StepTraffic {
	out := make([]StepTraffic, len(p.Stages))
	for i := range p.Stages {
		out[i] = p.stageTraffic(i, batch, 1, context, false)
	}
	return out
}

// PrefillTraffic is one accelerator's work to prefill one prompt of prompt
// tokens, per pipeline stage.
func (p Plan) PrefillTraffic(prompt int64) []StepTraffic {
	out := make([]StepTraffic, len(p.Stages))
	for i := range p.Stages {
		out[i] = p.stageTraffic(i, 1, prompt, prompt, true)
	}
	return out
}

// boundTraffic is the traffic a bound counts: the KV cache at most 8 bits
// per element, since an engine may keep it in fp8 whatever format the
// scenario names (TensorRT-LLM's fp8 engines, vLLM's --kv-cache-dtype fp8);
// a bound must hold for those runs too. Estimates use the scenario's format.
func (p Plan) boundTraffic(t StepTraffic) StepTraffic {
	if bits := p.Scenario.KV.Bits; bits > 8 {
		t.KVBytes *= 8 / float64(bits)
	}
	return t
}

// roofline is max(bytes ÷ bandwidth, flops ÷ peak) in seconds.
func roofline(t StepTraffic, bandwidth, peak float64) float64 {
	return math.Max(t.Bytes()/bandwidth, t.FLOPs/peak)
}

// SpeedCalibration is the fitted part of kvplot's speed estimates: decode
// efficiencies (the share of the bound real engines reach) by weight format,
// factors for MoE and tensor parallelism, and fixed overheads. The
// constants, the measurements they were fitted on and the out-of-sample
// error are stated together in one record.
type SpeedCalibration struct {
	Name string
	// DecodeDense is the efficiency with 16-bit weights (or fp8 on a chip
	// with fp8 arithmetic); DecodeWeightQuantized with weight-only
	// quantized ones (int8, int4, mxfp4; fp8 without fp8 arithmetic).
	DecodeDense, DecodeWeightQuantized float64
	// DecodeMoE and DecodeTP multiply the efficiency of a mixture of
	// experts and of a tensor-parallel layout (smaller, more scattered
	// matrices per accelerator).
	DecodeMoE, DecodeTP float64
	// DecodeLayerOverheadS is a fixed cost per layer and step (the kernels
	// of a layer each take a few microseconds however little they read);
	// DecodeStepOverheadS a fixed cost per step (scheduling, sampling).
	DecodeLayerOverheadS, DecodeStepOverheadS float64
	// PrefillEfficiency is the share of the prefill bound reached (model
	// FLOPs utilization when compute-bound); PrefillOverheadS the fixed
	// cost of a request before its first token.
	PrefillEfficiency float64
	PrefillOverheadS  float64
	// FitOn and HeldOut describe the data: which measurements fitted the
	// constants and the error on the others.
	FitOn, HeldOut string
	// DecodeErrorP80Pct and PrefillErrorP80Pct are the held-out errors 80%
	// of held-out decode and prefill estimates stay within, in percent: the
	// "±x%" figures state.
	DecodeErrorP80Pct, PrefillErrorP80Pct float64
	// HeldOutWithinTarget of HeldOutCount held-out estimates are within
	// ±25% (single-GPU decode) or ±35% (tensor-parallel decode, prefill).
	HeldOutWithinTarget, HeldOutCount int
}

// EstimateLabel is how a figure of decode (or prefill) estimates names
// itself: "estimate (±31% on published measurements)".
func (c SpeedCalibration) EstimateLabel(prefill bool) string {
	e := c.DecodeErrorP80Pct
	if prefill {
		e = c.PrefillErrorP80Pct
	}
	return fmt.Sprintf("estimate (±%.0f%% on published measurements)", e)
}

// Regime is what decides a plan's decode efficiency.
type Regime struct {
	WeightQuantized, MoE, TP bool
}

// String names the regime, e.g. "dense", "weight-only quantized, MoE, tensor-parallel".
func (r Regime) String() string {
	var parts []string
	if r.WeightQuantized {
		parts = append(parts, "weight-only quantized")
	} else {
		parts = append(parts, "dense")
	}
	if r.MoE {
		parts = append(parts, "MoE")
	}
	if r.TP {
		parts = append(parts, "tensor-parallel")
	}
	return strings.Join(parts, ", ")
}

// DecodeRegime is the regime of a plan on an accelerator: weight-only
// quantized when its weights are under 16 bits (except fp8 on a chip with
// fp8 arithmetic), MoE, tensor parallel.
func (p Plan) DecodeRegime(s Speed) Regime {
	w := p.computeFormat()
	return Regime{WeightQuantized: w.Bits < 16 && !s.nativeFP8(w), MoE: p.Model.hasExperts(), TP: p.Fleet.TP > 1}
}

func (m *Model) hasExperts() bool {
	for i := range m.Layers {
		if m.Layers[i].FFN.Experts > 0 {
			return true
		}
	}
	return false
}

// check refuses efficiencies outside (0, 1] and negative overheads: an
// estimate must never be faster than its bound.
func (c SpeedCalibration) check() error {
	for _, e := range []float64{c.DecodeDense, c.DecodeWeightQuantized, c.DecodeMoE, c.DecodeTP, c.PrefillEfficiency} {
		if !(e > 0 && e <= 1) {
			return fmt.Errorf("calibration %s: efficiency %g outside (0, 1]", c.Name, e)
		}
	}
	for _, o := range []float64{c.DecodeLayerOverheadS, c.DecodeStepOverheadS, c.PrefillOverheadS} {
		if !(o >= 0) || math.IsInf(o, 0) {
			return fmt.Errorf("calibration %s: overhead %g not a finite non-negative time", c.Name, o)
		}
	}
	return nil
}

// Efficiency is the calibration's decode efficiency for a regime: the
// format's, times the MoE and TP factors that apply.
func (c SpeedCalibration) Efficiency(r Regime) float64 {
	e := c.DecodeDense
	if r.WeightQuantized {
		e = c.DecodeWeightQuantized
	}
	if r.MoE {
		e *= c.DecodeMoE
	}
	if r.TP {
		e *= c.DecodeTP
	}
	return e
}

// Perf is a plan's speed at one load.
type Perf struct {
	// DecodeStepBoundS is the least time one decode step of all batch
	// sequences can take: per stage, max(bytes ÷ bandwidth, FLOPs ÷ peak),
	// the slowest stage (stages may pipeline).
	DecodeStepBoundS float64
	// DecodeStepS is the estimate: per stage, the roofline at the typical
	// peak ÷ the regime's efficiency, plus the all-reduces and the layers'
	// overhead; summed over stages (one batch passes through each), plus
	// the engine's step overhead.
	DecodeStepS float64
	// DecodeTokensPerS is all sequences' output of one replica per second;
	// DecodeTokensPerSPerSeq one sequence's.
	DecodeTokensPerS       float64
	DecodeTokensPerSPerSeq float64
	// PrefillBoundS and PrefillS: one prompt, time to first token (the
	// bound is the slowest stage's, the estimate sums the stages).
	PrefillBoundS float64
	PrefillS      float64
	Regime        Regime
	// CommS and PrefillCommS are the all-reduce times included in
	// DecodeStepS and PrefillS.
	CommS, PrefillCommS float64
}

// allReduceS is the time of one ring all-reduce of size bytes over tp
// ranks: a latency plus 2(tp−1)/tp of the payload over the link.
func allReduceS(s Speed, tp int64, size float64) float64 {
	if tp <= 1 {
		return 0
	}
	t := s.LinkLatencyS
	if s.LinkBytesPerS > 0 {
		t += 2 * float64(tp-1) / float64(tp) * size / s.LinkBytesPerS
	}
	return t
}

// Speed bounds and estimates fail without bandwidth and a bf16 peak.
func (s Speed) check(tp int64) error {
	switch {
	case !(s.BandwidthBytesPerS > 0) || math.IsInf(s.BandwidthBytesPerS, 0):
		return fmt.Errorf("memory bandwidth unknown")
	case !(s.PeakFLOPS["bf16"] > 0) || math.IsInf(s.PeakFLOPS["bf16"], 0):
		return fmt.Errorf("bf16 peak FLOPS unknown")
	case tp > 1 && !(s.LinkBytesPerS > 0):
		return fmt.Errorf("interconnect bandwidth unknown (needed for tp %d)", tp)
	}
	return nil
}

// Perf bounds and estimates the plan's speed for batch sequences at context
// tokens, and the time to first token of a prompt of prompt tokens.
func (p Plan) Perf(s Speed, c SpeedCalibration, batch, context, prompt int64) (Perf, error) {
	if err := s.check(p.Fleet.TP); err != nil {
		return Perf{}, err
	}
	if batch < 1 || context < 1 || prompt < 1 {
		return Perf{}, fmt.Errorf("batch, context and prompt must be at least 1")
	}
	if err := c.check(); err != nil {
		return Perf{}, err
	}
	w := p.computeFormat()
	bound, typical := s.BoundPeakFLOPS(w), s.TypicalPeakFLOPS(w)
	out := Perf{Regime: p.DecodeRegime(s)}
	eff := c.Efficiency(out.Regime)
	for _, t := range p.DecodeTraffic(batch, context) {
		out.DecodeStepBoundS = math.Max(out.DecodeStepBoundS, roofline(p.boundTraffic(t), s.BandwidthBytesPerS, bound))
		comm := float64(t.AllReduces) * allReduceS(s, p.Fleet.TP, t.AllReduceBytes)
		out.CommS += comm
		out.DecodeStepS += roofline(t, s.BandwidthBytesPerS, typical)/eff + comm
	}
	for _, st := range p.Stages {
		out.DecodeStepS += float64(st.EndLayer-st.FirstLayer) * c.DecodeLayerOverheadS
	}
	out.DecodeStepS += c.DecodeStepOverheadS
	for _, t := range p.PrefillTraffic(prompt) {
		out.PrefillBoundS = math.Max(out.PrefillBoundS, roofline(p.boundTraffic(t), s.BandwidthBytesPerS, bound))
		comm := float64(t.AllReduces) * allReduceS(s, p.Fleet.TP, t.AllReduceBytes)
		out.PrefillCommS += comm
		out.PrefillS += roofline(t, s.BandwidthBytesPerS, typical)/c.PrefillEfficiency + comm
	}
	out.PrefillS += c.PrefillOverheadS
	out.DecodeTokensPerSPerSeq = 1 / out.DecodeStepS
	out.DecodeTokensPerS = float64(batch) / out.DecodeStepS
	for _, v := range []float64{out.DecodeStepBoundS, out.DecodeStepS, out.PrefillBoundS, out.PrefillS} {
		if !(v > 0) || math.IsInf(v, 0) {
			return Perf{}, fmt.Errorf("speed estimate out of range")
		}
	}
	return out, nil
}

// MaxServingBatch is the most sequences one replica decodes together in
// kvplot's serving curves and throughput rankings: vLLM's default
// max_num_seqs of 256.
const MaxServingBatch = 256

// ServingPoint is a replica's speed with Batch sequences decoding together.
type ServingPoint struct {
	Batch int64
	Perf  Perf
}

// ServingCurve is a replica's speed as concurrency grows, at context tokens
// per sequence: batches 1, 2, 4, ... up to the limit, which is the last
// point. The limit is the memory (MaxConcurrency) or MaxServingBatch,
// whichever is smaller; memoryLimited says which. No point when not even
// one sequence fits.
func (p Plan) ServingCurve(s Speed, c SpeedCalibration, context, prompt int64) (points []ServingPoint, limit int64, memoryLimited bool, err error) {
	limit = p.MaxConcurrency(context)
	memoryLimited = limit <= MaxServingBatch
	limit = min(limit, MaxServingBatch)
	var batches []int64
	for b := int64(1); b < limit; b *= 2 {
		batches = append(batches, b)
	}
	if limit > 0 {
		batches = append(batches, limit)
	}
	for _, b := range batches {
		pf, err := p.Perf(s, c, b, context, prompt)
		if err != nil {
			return nil, 0, false, err
		}
		points = append(points, ServingPoint{Batch: b, Perf: pf})
	}
	return points, limit, memoryLimited, nil
}
