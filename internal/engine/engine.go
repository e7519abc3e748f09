package engine

import (
	"math"
	"strconv"

	"github.com/kvplot/kvplot/internal/analysis"
)

// Engine is a serving engine's memory policy: given a model placed on a
// fleet, it predicts the KV cache the engine allocates at startup and the
// lines it logs about it. VLLM, SGLang and Simple implement it.
type Engine interface {
	// Name is the engine's short name: "vllm", "sglang" or "simple".
	Name() string
	// Estimate predicts the engine's startup numbers. It fails only when
	// the fleet's shape or the profile's settings are impossible; a model
	// that does not fit gives an estimate with StartupError set.
	Estimate(m *analysis.Model, s analysis.Scenario, f analysis.Fleet) (Estimate, error)
}

// Estimate is what an engine reports when it starts, per GPU of the
// pipeline stage that limits the cache (the binding stage).
type Estimate struct {
	// Engine is the name of the engine that made the estimate.
	Engine string
	// CapacityBytes is the per-GPU total the runtime reports.
	CapacityBytes int64
	// BudgetBytes is what the engine allows itself: vLLM's capacity ×
	// gpu_memory_utilization, SGLang's mem_fraction_static × the memory
	// free before loading, Simple's capacity less its runtime reserve.
	BudgetBytes int64
	// WeightsBytes is the weights on one GPU of the binding stage.
	WeightsBytes int64
	// ActivationBytes is the forward-pass reserve: vLLM's profiled
	// activation peak (estimated), SGLang's (1 − mem_fraction_static) share.
	ActivationBytes int64
	// NonTorchBytes is memory outside the engine's tensor allocator that
	// it charges against the budget (NCCL buffers, library workspaces), or
	// for SGLang what is in use before it measures (CUDA context, NCCL).
	NonTorchBytes int64
	// CUDAGraphBytes is a CUDA-graph reserve taken from the budget.
	CUDAGraphBytes int64
	// AvailableKVBytes is the memory left for the KV cache on one GPU of
	// the binding stage (vLLM's "Available KV cache memory"); negative when
	// the weights and reserves alone do not fit.
	AvailableKVBytes int64
	// KVCacheTokens is vLLM's "GPU KV cache size" or SGLang's
	// max_total_num_tokens (the full-attention pool for hybrid models).
	KVCacheTokens int64
	// NumBlocks is vLLM's num_gpu_blocks, or SGLang's pages of PageSize tokens.
	NumBlocks int64
	// BlockSize is the tokens per block (page) of the attention layers.
	BlockSize int64
	// SlidingTokens is SGLang's separate sliding-window pool, 0 without one.
	SlidingTokens int64
	// MaxRequests is SGLang's request-pool size (max_num_reqs), 0 for
	// other engines.
	MaxRequests int64
	// StateSlots is the number of sequences whose Mamba or linear-attention
	// state fits (SGLang's max_mamba_cache_size), 0 for models without one.
	StateSlots int64
	// MaxModelLen is the context the estimate is made for (vLLM's
	// max_model_len, SGLang's context_len).
	MaxModelLen int64
	// MaxModelLenEstimate is the longest context one request can have in
	// the available memory, by the engine's own arithmetic.
	MaxModelLenEstimate int64
	// StartupError says why the engine would refuse to start, empty when
	// it starts.
	StartupError string
	// Stages is each pipeline stage's budget on one of its GPUs, first to
	// last (vLLM only; one entry without pipeline parallelism).
	Stages []StageEstimate
	// Assumptions lists what the estimate took for granted because the
	// input did not say (such as the SM count of an unnamed accelerator).
	Assumptions []string
	// LogLines are the startup lines about the cache, formatted as the
	// engine prints them (without timestamps and process prefixes).
	LogLines []string

	demand requestDemand
	// sglangLog is what SGLang's log lines print beyond the figures above.
	sglangLog *sglangLog
}

// StageEstimate is one pipeline stage's budget on one of its GPUs.
type StageEstimate struct {
	// FirstLayer and EndLayer bound the stage's layers [FirstLayer, EndLayer).
	FirstLayer, EndLayer int
	WeightsBytes         int64
	ActivationBytes      int64
	NonTorchBytes        int64
	AvailableKVBytes     int64
}

// requestDemand prices one request in an estimate's cache units.
type requestDemand struct {
	// vLLM: the KV-cache groups sharing the block pool.
	groups              []vllmGroupSpec
	maxNumBatchedTokens int64
	// SGLang: token pools and state slots.
	fullTokens, swaTokens, swaWindow int64
	stateSlots                       int64
	// Simple: per-stage budgets and costs.
	simple []simpleStage
}

type simpleStage struct {
	budget int64
	stage  analysis.Stage
}

// MaxConcurrency is how many requests of maxModelLen tokens the cache
// holds at once, as the engine computes it (vLLM's "Maximum concurrency
// for L tokens per request"). It is 0 when nothing fits and never NaN or
// infinite.
func (e Estimate) MaxConcurrency(maxModelLen int64) float64 {
	if maxModelLen < 1 {
		return 0
	}
	d := e.demand
	switch {
	case len(d.groups) > 0:
		per := vllmBlocksPerRequest(d.groups, maxModelLen, d.maxNumBatchedTokens)
		if per <= 0 || e.NumBlocks <= 0 {
			return 0
		}
		return float64(e.NumBlocks) / float64(per)
	case len(d.simple) > 0:
		best := math.Inf(1)
		for _, s := range d.simple {
			if s.budget <= 0 {
				return 0
			}
			if per := s.stage.SequenceBytes(maxModelLen); per > 0 {
				best = math.Min(best, float64(s.budget)/float64(per))
			}
		}
		if math.IsInf(best, 0) {
			return 0
		}
		return best
	}
	c := math.Inf(1)
	if d.fullTokens > 0 {
		c = float64(d.fullTokens) / float64(maxModelLen)
	}
	if d.swaTokens > 0 && d.swaWindow > 0 {
		c = math.Min(c, float64(d.swaTokens)/float64(min(maxModelLen, d.swaWindow)))
	}
	if d.stateSlots > 0 {
		c = math.Min(c, float64(d.stateSlots))
	}
	if math.IsInf(c, 0) || math.IsNaN(c) {
		return 0
	}
	return c
}

// groupDigits prints n with a comma every three digits, as Python's
// format(n, ",") does: 1192160 → "1,192,160".
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// gib2 prints bytes as GiB with two decimals, as the engines' "%.2f" does.
func gib2(b float64) string { return strconv.FormatFloat(b/(1<<30), 'f', 2, 64) }

// floorBytes converts a finite float byte count to int64, flooring and
// saturating; NaN becomes 0.
func floorBytes(v float64) int64 {
	switch {
	case math.IsNaN(v):
		return 0
	case v >= math.MaxInt64:
		return math.MaxInt64
	case v <= math.MinInt64:
		return math.MinInt64
	}
	return int64(math.Floor(v))
}

// activationElementBytes is the width of activations: 16-bit unless the
// weights themselves are 32-bit.
func activationElementBytes(w analysis.WeightScheme) int64 {
	if w.Default.Bits >= 32 {
		return 4
	}
	return 2
}

// stageWeights is the weights one tensor-parallel rank holds for layers
// [from, to), with the embeddings when first and the head when last.
func stageWeights(m *analysis.Model, w analysis.WeightScheme, tp int64, from, to int, first, last bool) int64 {
	return w.Bytes(m.StageParams(tp, from, to, first, last))
}

// Simple is kvplot's explicit-reserve policy (SimpleOverhead) seen as an
// engine, so it can be compared with VLLM and SGLang: the KV budget is
// what NewPlan leaves, and the cache holds budget ÷ bytes per token.
type Simple struct {
	Overhead analysis.SimpleOverhead
	// MaxModelLen is the context the concurrency is reported for; 0 uses
	// the model's MaxContext.
	MaxModelLen int64
}

// Name implements Engine.
func (Simple) Name() string { return "simple" }

// Estimate implements Engine.
func (p Simple) Estimate(m *analysis.Model, s analysis.Scenario, f analysis.Fleet) (Estimate, error) {
	s.Overhead = p.Overhead
	plan, err := analysis.NewPlan(m, s, f)
	if err != nil {
		return Estimate{}, err
	}
	e := Estimate{Engine: "simple", CapacityBytes: f.CapacityBytes, BlockSize: 1}
	b := plan.Binding()
	e.WeightsBytes, e.ActivationBytes, e.NonTorchBytes = b.WeightsBytes, b.ActivationBytes, b.RuntimeBytes
	e.BudgetBytes = subSat(f.CapacityBytes, b.RuntimeBytes)
	e.AvailableKVBytes = b.KVBudgetBytes
	e.KVCacheTokens = math.MaxInt64
	for _, st := range plan.Stages {
		e.demand.simple = append(e.demand.simple, simpleStage{budget: st.KVBudgetBytes, stage: st})
		per := st.TokenBytes()
		switch {
		case st.KVBudgetBytes <= 0:
			e.KVCacheTokens = 0
		case per > 0:
			e.KVCacheTokens = min(e.KVCacheTokens, st.KVBudgetBytes/per)
		}
	}
	if e.KVCacheTokens == math.MaxInt64 {
		e.KVCacheTokens = 0
	}
	e.NumBlocks = e.KVCacheTokens
	e.MaxModelLen = p.MaxModelLen
	if e.MaxModelLen <= 0 {
		e.MaxModelLen = m.MaxContext
	}
	lim := plan.MaxContext(1)
	e.MaxModelLenEstimate = lim.Tokens
	if !plan.Fits() {
		e.StartupError = "the weights and reserves leave no memory for the KV cache"
	}
	return e, nil
}
