package analysis

import (
	"fmt"
	"math"
)

// Fleet is a deployment's shape: Count accelerators of CapacityBytes each
// (the total the runtime reports), split TP-way by tensor parallelism and
// PP-way by pipeline parallelism. Count / (TP·PP) replicas serve in parallel.
type Fleet struct {
	Name          string
	CapacityBytes int64
	Count         int64
	TP            int64
	PP            int64
}

// Replicas is the number of independent model copies in the fleet.
func (f Fleet) Replicas() int64 {
	if f.TP*f.PP <= 0 {
		return 0
	}
	return f.Count / (f.TP * f.PP)
}

// check reports a fleet shape that cannot hold m at all.
func (f Fleet) check(m *Model) error {
	if f.TP < 1 || f.PP < 1 || f.Count < 1 {
		return fmt.Errorf("fleet %s: count, tp and pp must be at least 1", f.Name)
	}
	if f.PP > int64(len(m.Layers)) {
		return fmt.Errorf("fleet %s: pp %d exceeds the model's %d layers", f.Name, f.PP, len(m.Layers))
	}
	return nil
}

// Reserves is memory set aside on each accelerator before the KV cache.
type Reserves struct {
	// ActivationBytes is kept for the forward pass's activations.
	ActivationBytes int64
	// RuntimeBytes is kept for the runtime: CUDA context, allocator slack,
	// communication buffers.
	RuntimeBytes int64
}

// Overhead decides each accelerator's reserves. SimpleOverhead is the
// explicit policy; engine profiles implement the same interface.
type Overhead interface {
	Reserves(m *Model, capacityBytes, weightsBytes int64, f Fleet) Reserves
	Describe() string
}

// SimpleOverhead reserves, per accelerator, FixedBytes plus CapacityFraction
// of its capacity for the runtime, and WeightsMultiple times the weights it
// holds for activations. The seed prototype is WeightsMultiple 2, nothing else.
type SimpleOverhead struct {
	FixedBytes       int64
	CapacityFraction float64
	WeightsMultiple  float64
}

// Reserves implements Overhead.
func (o SimpleOverhead) Reserves(_ *Model, capacityBytes, weightsBytes int64, _ Fleet) Reserves {
	return Reserves{
		ActivationBytes: scaleBytes(weightsBytes, o.WeightsMultiple),
		RuntimeBytes:    addSat(o.FixedBytes, scaleBytes(capacityBytes, o.CapacityFraction)),
	}
}

// Describe implements Overhead.
func (o SimpleOverhead) Describe() string {
	return fmt.Sprintf("simple: runtime reserve %d bytes + %.4g × capacity; activation reserve %.4g × weights per accelerator",
		o.FixedBytes, o.CapacityFraction, o.WeightsMultiple)
}

// scaleBytes is ⌊b·f⌋ for a finite non-negative f, saturating.
func scaleBytes(b int64, f float64) int64 {
	if !(f > 0) || math.IsInf(f, 0) {
		return 0
	}
	v := math.Floor(float64(b) * f)
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// Scenario is how a model is served: weight and KV formats and reserves.
type Scenario struct {
	Weights  WeightScheme
	KV       DType
	Overhead Overhead
}

// Stage is one pipeline stage as seen from one of its accelerators.
type Stage struct {
	FirstLayer, EndLayer int // layers [FirstLayer, EndLayer)
	CapacityBytes        int64
	WeightsBytes         int64
	Reserves
	// KVBudgetBytes is capacity − weights − reserves; negative when the
	// weights and reserves alone do not fit.
	KVBudgetBytes int64
	cost          seqCost
	// tally is the stage's per-rank parameters by class (tallied is false
	// for a Stage built by hand), kept so speed figures need not recount.
	tally   tally
	tallied bool
}

// Plan is a model placed on a fleet in a scenario.
type Plan struct {
	Model    *Model
	Fleet    Fleet
	Scenario Scenario
	Stages   []Stage
}

// NewPlan places m on f. It fails when the fleet's shape is impossible.
func NewPlan(m *Model, s Scenario, f Fleet) (Plan, error) {
	if err := f.check(m); err != nil {
		return Plan{}, err
	}
	if f.Count%(f.TP*f.PP) != 0 {
		return Plan{}, fmt.Errorf("fleet %s: %d accelerators is not a multiple of tp×pp = %d", f.Name, f.Count, f.TP*f.PP)
	}
	p := Plan{Model: m, Fleet: f, Scenario: s}
	for i, r := range StageLayers(len(m.Layers), int(f.PP)) {
		t := m.tallyRange(f.TP, r[0], r[1], i == 0, i == int(f.PP)-1)
		st := Stage{FirstLayer: r[0], EndLayer: r[1], CapacityBytes: f.CapacityBytes}
		st.WeightsBytes = s.Weights.Bytes(t.counts)
		if s.Overhead != nil {
			st.Reserves = s.Overhead.Reserves(m, f.CapacityBytes, st.WeightsBytes, f)
		}
		st.KVBudgetBytes = subSat(f.CapacityBytes, addSatN(st.WeightsBytes, st.ActivationBytes, st.RuntimeBytes))
		st.cost = m.seqCost(s.KV, f.TP, r[0], r[1])
		st.tally, st.tallied = t, true
		p.Stages = append(p.Stages, st)
	}
	return p, nil
}

// StageLayers splits n layers into pp contiguous stages, as evenly as
// possible, giving the extra layers to the earliest stages.
func StageLayers(n, pp int) [][2]int {
	out := make([][2]int, pp)
	start := 0
	for i := range pp {
		size := n / pp
		if i < n%pp {
			size++
		}
		out[i] = [2]int{start, start + size}
		start += size
	}
	return out
}

// WeightsBytesPerGPU is the weights on the most loaded accelerator.
func (p Plan) WeightsBytesPerGPU() int64 {
	var b int64
	for _, s := range p.Stages {
		b = max(b, s.WeightsBytes)
	}
	return b
}

// KVBudgetBytesPerGPU is the smallest KV budget over the stages (negative
// when the model does not fit).
func (p Plan) KVBudgetBytesPerGPU() int64 {
	b := int64(math.MaxInt64)
	for _, s := range p.Stages {
		b = min(b, s.KVBudgetBytes)
	}
	return b
}

// Binding is the stage with the least KV room, which limits the plan.
func (p Plan) Binding() Stage {
	best := p.Stages[0]
	for _, s := range p.Stages[1:] {
		if s.KVBudgetBytes < best.KVBudgetBytes {
			best = s
		}
	}
	return best
}

// Fits reports whether weights and reserves leave any room for a cache.
func (p Plan) Fits() bool { return p.KVBudgetBytesPerGPU() > 0 }

// KVBytesPerGPU is the cache one accelerator of the fullest stage holds for
// batch sequences of context tokens.
func (p Plan) KVBytesPerGPU(context, batch int64) int64 {
	var b int64
	for _, s := range p.Stages {
		b = max(b, mulSat(s.cost.bytes(context), batch))
	}
	return b
}

// MemoryPerGPU breaks down the fullest accelerator's memory for batch
// sequences of context tokens.
type MemoryPerGPU struct {
	CapacityBytes   int64
	WeightsBytes    int64
	KVBytes         int64
	ActivationBytes int64
	RuntimeBytes    int64
	// FreeBytes is what is left; negative when the scenario does not fit.
	FreeBytes int64
}

// Memory is the per-accelerator breakdown on the binding stage.
func (p Plan) Memory(context, batch int64) MemoryPerGPU {
	var worst MemoryPerGPU
	for i, s := range p.Stages {
		m := MemoryPerGPU{
			CapacityBytes:   s.CapacityBytes,
			WeightsBytes:    s.WeightsBytes,
			KVBytes:         mulSat(s.cost.bytes(context), batch),
			ActivationBytes: s.ActivationBytes,
			RuntimeBytes:    s.RuntimeBytes,
		}
		m.FreeBytes = subSat(s.CapacityBytes, addSatN(m.WeightsBytes, m.KVBytes, m.ActivationBytes, m.RuntimeBytes))
		if i == 0 || m.FreeBytes < worst.FreeBytes {
			worst = m
		}
	}
	return worst
}

// ContextCeiling bounds the context solver: 2^40 tokens.
const ContextCeiling = int64(1) << 40

// ContextLimit is the answer of MaxContext and KVCapacity.
type ContextLimit struct {
	// Tokens is the longest context per sequence that can be served: the
	// memory limit capped by the model's own limit. 0 when not even an
	// empty sequence fits.
	Tokens int64
	// Unbounded is set when every layer stops growing (windows, fixed
	// states) and the plateau fits: memory does not limit the context.
	Unbounded bool
	// KVCapacityTokens is the memory-only limit: the longest context the
	// KV budget holds, whatever the model was built for (ContextCeiling
	// when Unbounded).
	KVCapacityTokens int64
	// ModelTokens is the model's own limit (Model.MaxContext), 0 when
	// unknown.
	ModelTokens int64
	// LimitedByModel is set when the model's limit, not memory, decides
	// Tokens (memory holds at least that much).
	LimitedByModel bool
}

// KVCapacity is the longest context each of batch sequences can have so
// that every accelerator's cache fits its budget, by memory alone. The
// cache grows monotonically with context, so a binary search over [0,
// ContextCeiling] finds it in at most 41 steps.
func (p Plan) KVCapacity(batch int64) ContextLimit {
	if batch < 1 {
		batch = 1
	}
	fits := func(c int64) bool {
		for _, s := range p.Stages {
			if s.KVBudgetBytes <= 0 || mulSat(s.cost.bytes(c), batch) > s.KVBudgetBytes {
				return false
			}
		}
		return true
	}
	if !fits(0) {
		return ContextLimit{}
	}
	if fits(ContextCeiling) {
		bounded := true
		for _, s := range p.Stages {
			bounded = bounded && s.cost.bounded()
		}
		return ContextLimit{Tokens: ContextCeiling, KVCapacityTokens: ContextCeiling, Unbounded: bounded}
	}
	n := largestFitting(0, ContextCeiling, fits)
	return ContextLimit{Tokens: n, KVCapacityTokens: n}
}

// MaxContext is the longest context each of batch sequences can be
// served with: KVCapacity capped by the model's own limit when that is
// known. LimitedByModel says which of the two decided.
func (p Plan) MaxContext(batch int64) ContextLimit {
	l := p.KVCapacity(batch)
	if p.Model == nil {
		return l
	}
	return capContext(l, p.Model.MaxContext)
}

// SolveContext is the ContextLimit of any monotone fit test: fits(c)
// holds for every context up to the answer and for none past it (a serving
// engine's "does a batch of c-token requests fit"). bounded says whether
// the cache stops growing; model is the model's own limit (0: unknown).
func SolveContext(fits func(int64) bool, bounded bool, model int64) ContextLimit {
	var l ContextLimit
	switch {
	case !fits(1):
	case fits(ContextCeiling):
		l = ContextLimit{Tokens: ContextCeiling, KVCapacityTokens: ContextCeiling, Unbounded: bounded}
	default:
		n := largestFitting(1, ContextCeiling, fits)
		l = ContextLimit{Tokens: n, KVCapacityTokens: n}
	}
	return capContext(l, model)
}

// Bounded reports whether every stage's cache stops growing with context
// (all layers windowed or stateful).
func (p Plan) Bounded() bool {
	for _, s := range p.Stages {
		if !s.cost.bounded() {
			return false
		}
	}
	return len(p.Stages) > 0
}

// capContext caps a memory-only limit by a model limit (0: unknown).
func capContext(l ContextLimit, model int64) ContextLimit {
	l.ModelTokens = model
	if model > 0 && l.KVCapacityTokens >= model {
		l.Tokens, l.LimitedByModel = model, true
	}
	return l
}

// ContextServable reports whether sequences of context tokens are within
// the model's limit (always true when the limit is unknown).
func (m *Model) ContextServable(context int64) bool {
	return m.MaxContext <= 0 || context <= m.MaxContext
}

// largestFitting is the largest n in [lo, hi] with fits(n), for a fits
// that holds at lo and, once false, stays false: a binary search of at most
// log2(hi−lo)+1 steps.
func largestFitting(lo, hi int64, fits func(int64) bool) int64 {
	if fits(hi) {
		return hi
	}
	for hi-lo > 1 { // fits(lo), !fits(hi)
		mid := lo + (hi-lo)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// MaxConcurrency is how many sequences of context tokens one replica holds:
// the least, over stages, of budget ÷ one sequence's cache.
func (p Plan) MaxConcurrency(context int64) int64 {
	n := int64(math.MaxInt64)
	for _, s := range p.Stages {
		if s.KVBudgetBytes <= 0 {
			return 0
		}
		per := s.cost.bytes(context)
		if per <= 0 {
			continue
		}
		n = min(n, s.KVBudgetBytes/per)
	}
	if n == math.MaxInt64 {
		return 0
	}
	return n
}

// KVGrid is the whole-model cache for each context (rows) × batch (columns).
func (m *Model) KVGrid(kv DType, contexts, batches []int64) [][]int64 {
	cost := m.seqCost(kv, 1, 0, len(m.Layers))
	out := make([][]int64, len(contexts))
	for i, c := range contexts {
		per := cost.bytes(c)
		out[i] = make([]int64, len(batches))
		for j, b := range batches {
			out[i][j] = mulSat(per, b)
		}
	}
	return out
}
