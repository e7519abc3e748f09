package engine

import (
	"fmt"
	"math"

	"github.com/kvplot/kvplot/internal/analysis"
)

// SGLang is SGLang's memory policy (python/sglang/srt/server_args.py and
// model_executor/model_runner.py, 2025 releases). Zero fields take the
// defaults documented on each, so SGLang{} is usable.
//
// SGLang measures the memory free on the GPU before it loads the model
// (pre) and after (post), and gives the KV cache
//
//	rest = post − pre × (1 − mem_fraction_static)
//
// so everything that is not weights or KV cache must fit in the
// (1 − mem_fraction_static) share: activations, CUDA graphs, workspaces.
// max_total_num_tokens = rest ÷ (bytes per token across all layers), in
// whole pages. Sliding-window models get two pools (a full-attention pool
// and a smaller sliding pool, in the ratio SWAFullTokensRatio), and
// Mamba/linear-attention layers get a state pool carved from rest first.
type SGLang struct {
	// MemFractionStatic is --mem-fraction-static; 0 takes the heuristic of
	// SGLangMemFractionStatic.
	MemFractionStatic float64
	// ChunkedPrefillSize is --chunked-prefill-size; 0 takes the default by
	// GPU memory (SGLangChunkedPrefillSize).
	ChunkedPrefillSize int64
	// CUDAGraphMaxBS is --cuda-graph-max-bs; 0 takes the default by GPU
	// memory and TP.
	CUDAGraphMaxBS int64
	// GPUMemoryMiB is the GPU memory SGLang's heuristics see (nvidia-smi's
	// total, in MiB); 0 estimates it from the runtime capacity (see
	// sglangNvidiaSMIRatio).
	GPUMemoryMiB int64
	// PageSize is --page-size: 1 token.
	PageSize int64
	// ContextLen is --context-length; 0 takes the model's MaxContext.
	ContextLen int64
	// MaxPrefillTokens is --max-prefill-tokens: 16384.
	MaxPrefillTokens int64
	// SWAFullTokensRatio is --swa-full-tokens-ratio: the sliding pool's
	// size as a fraction of the full pool's, 0.8.
	SWAFullTokensRatio float64
	// DisableHybridSWA prices sliding-window layers like full ones in one
	// pool (--disable-hybrid-swa-memory). SGLang sets it itself for some
	// model families (see sglangModelRules).
	DisableHybridSWA bool
	// Family is the model's Hugging Face model_type ("gemma3", "gpt_oss"),
	// which SGLang's per-model rules key on; empty applies none.
	Family string
	// MambaFullMemoryRatio is --mamba-full-memory-ratio: the state pool's
	// memory as a fraction of the KV pool's, 0.9.
	MambaFullMemoryRatio float64
	// MaxMambaCacheSize is --max-mamba-cache-size: state slots; 0 sizes
	// them by MambaFullMemoryRatio.
	MaxMambaCacheSize int64
	// CUDAContextBytes is what is in use on a GPU before SGLang measures
	// pre, without NCCL: CUDA context and PyTorch's own; 600 MiB, fit to an
	// L4 log.
	CUDAContextBytes int64
	// NCCLBytes is what initialising the process groups takes when the
	// model spans more than one GPU: 0.13 GiB, as SGLang logged on 4 × L4.
	NCCLBytes int64
	// AvailableBeforeLoadBytes and AvailableAfterLoadBytes replace the
	// estimates of pre and post with measured values (SGLang logs them as
	// "Load weight begin. avail mem" and "Load weight end. ... avail mem").
	AvailableBeforeLoadBytes int64
	AvailableAfterLoadBytes  int64
}

// SGLang's defaults.
const (
	sglangDefaultPageSize         = 1
	sglangDefaultMaxPrefillTokens = 16384
	sglangDefaultSWARatio         = 0.8
	sglangDefaultMambaRatio       = 0.9
	sglangDefaultContextBytes     = 600 << 20
	sglangDefaultNCCLBytes        = 139586437 // 0.13 GiB
	// sglangNvidiaSMIRatio converts the runtime capacity to nvidia-smi's
	// total: H100 SXM shows 81559 MiB to nvidia-smi and 79.19 GiB to
	// PyTorch (the ratio specs/accelerators.yaml uses).
	sglangNvidiaSMIRatio = 0.99426
)

// Name implements Engine.
func (SGLang) Name() string { return "sglang" }

// SGLangChunkedPrefillSize and the CUDA-graph batch size are SGLang's
// defaults by GPU memory (server_args.py, _handle_gpu_memory_settings):
// under 20 GiB 2048 tokens and 8; under 35 GiB 2048 and 24 (80 at TP ≥ 4);
// under 60 GiB 4096 and 32 (160); under 160 GiB 8192 and 256 (512);
// above 16384 and 512.
func SGLangChunkedPrefillSize(gpuMemMiB, tp int64) (chunkedPrefillSize, cudaGraphMaxBS int64) {
	big := tp >= 4
	pick := func(small, large int64) int64 {
		if big {
			return large
		}
		return small
	}
	switch {
	case gpuMemMiB < 20*1024:
		return 2048, 8
	case gpuMemMiB < 35*1024:
		return 2048, pick(24, 80)
	case gpuMemMiB < 60*1024:
		return 4096, pick(32, 160)
	case gpuMemMiB < 160*1024:
		return 8192, pick(256, 512)
	}
	return 16384, 512
}

// SGLangMemFractionStatic is SGLang's default mem_fraction_static
// (server_args.py, _handle_gpu_memory_settings): it reserves, in MiB,
// 512 for attention metadata, 1.5 per token of the larger of the chunked
// prefill size and 2048 for activations, 2 per CUDA-graph batch entry, and
// 1024 per 8 GPUs of TP × PP, at least 10 GiB on GPUs over 60 GiB, and
// keeps (gpu_mem − reserved) ÷ gpu_mem rounded to three decimals.
func SGLangMemFractionStatic(gpuMemMiB, chunkedPrefillSize, cudaGraphMaxBS, tp, pp int64) float64 {
	if gpuMemMiB <= 0 {
		return 0.88
	}
	reserved := 512 + float64(max(chunkedPrefillSize, 2048))*1.5 + float64(cudaGraphMaxBS)*2 + float64(tp*pp)/8*1024
	if gpuMemMiB > 60*1024 {
		reserved = math.Max(reserved, 10*1024)
	}
	f := math.Round((float64(gpuMemMiB)-reserved)/float64(gpuMemMiB)*1000) / 1000
	if !(f > 0) {
		return 0
	}
	return f
}

func (p SGLang) withDefaults(m *analysis.Model, f analysis.Fleet) SGLang {
	if p.GPUMemoryMiB == 0 {
		p.GPUMemoryMiB = int64(math.Round(float64(f.CapacityBytes) / (1 << 20) / sglangNvidiaSMIRatio))
	}
	chunk, bs := SGLangChunkedPrefillSize(p.GPUMemoryMiB, f.TP)
	if p.ChunkedPrefillSize == 0 {
		p.ChunkedPrefillSize = chunk
	}
	if p.CUDAGraphMaxBS == 0 {
		p.CUDAGraphMaxBS = bs
	}
	if p.MemFractionStatic == 0 {
		p.MemFractionStatic = SGLangMemFractionStatic(p.GPUMemoryMiB, p.ChunkedPrefillSize, p.CUDAGraphMaxBS, f.TP, f.PP)
		if m.Vision != nil {
			p.MemFractionStatic *= SGLangVisionFactor(m.Vision.Layers, m.Vision.Hidden)
		}
	}
	if r, ok := sglangRuleFor(p.Family); ok && r.disableHybridSWA {
		p.DisableHybridSWA = true
	}
	if p.PageSize == 0 {
		p.PageSize = sglangDefaultPageSize
	}
	if p.ContextLen == 0 {
		p.ContextLen = m.MaxContext
	}
	if p.MaxPrefillTokens == 0 {
		p.MaxPrefillTokens = sglangDefaultMaxPrefillTokens
	}
	if p.SWAFullTokensRatio == 0 {
		p.SWAFullTokensRatio = sglangDefaultSWARatio
	}
	if p.MambaFullMemoryRatio == 0 {
		p.MambaFullMemoryRatio = sglangDefaultMambaRatio
	}
	if p.CUDAContextBytes == 0 {
		p.CUDAContextBytes = sglangDefaultContextBytes
	}
	if p.NCCLBytes == 0 {
		p.NCCLBytes = sglangDefaultNCCLBytes
	}
	return p
}

// sglangPools is one stage's cache layout.
type sglangPools struct {
	cellBytes        int64 // KV bytes per token across the stage's attention layers
	fullLayers       int64
	swaLayers        int64
	swaWindow        int64
	stateBytes       int64 // Mamba/linear state of one sequence across the stage
	convBytes        int64 // its convolution part
	mla              bool
	kvHeads, headDim int64 // of the first attention layer, for the log line
	latentDim        int64 // MLA: kv_lora_rank + rope dims
}

func sglangPoolsOf(m *analysis.Model, kv analysis.DType, tp int64, from, to int) sglangPools {
	var p sglangPools
	for i := from; i < to; i++ {
		l := &m.Layers[i]
		perToken, _, state := m.LayerCacheBytes(i, kv, tp)
		switch l.Kind {
		case analysis.FullAttention, analysis.MLAAttention, analysis.ChunkedAttention:
			p.fullLayers++
		case analysis.SlidingAttention:
			p.swaLayers++
			if p.swaWindow == 0 || l.Window > p.swaWindow {
				p.swaWindow = l.Window
			}
		case analysis.MambaMixer, analysis.LinearAttention:
			p.stateBytes = addSat(p.stateBytes, state)
			p.convBytes = addSat(p.convBytes, stateConvBytes(l, kv, tp))
			continue
		default:
			continue
		}
		p.cellBytes = addSat(p.cellBytes, perToken)
		if p.kvHeads == 0 && p.latentDim == 0 {
			if l.Kind == analysis.MLAAttention {
				p.mla, p.latentDim = true, addSat(l.MLA.KVLoraRank, l.MLA.QKRopeHeadDim)
			} else {
				p.kvHeads, p.headDim = analysis.KVHeadsPerRank(l.Attn.KVHeads, tp), l.Attn.HeadDim
			}
		}
	}
	return p
}

// stateConvBytes is the convolution part of a layer's state on one rank.
func stateConvBytes(l *analysis.Layer, kv analysis.DType, tp int64) int64 {
	s := analysis.StateDType(kv)
	switch l.Kind {
	case analysis.MambaMixer:
		mb := l.Mamba
		convDim := mb.DInner
		if mb.Version == 2 {
			convDim = addSat(convDim, mulSatN(2, mb.NGroups, mb.DState))
		}
		return ceilDiv(s.Bytes(mulSat(convDim, mb.DConv-1)), tp)
	case analysis.LinearAttention:
		la := l.Linear
		return ceilDiv(s.Bytes(mulSat(addSat(mulSatN(2, la.KHeads, la.KHeadDim), mulSat(la.VHeads, la.VHeadDim)), la.ConvKernel-1)), tp)
	}
	return 0
}

// Estimate implements Engine: it sizes the pools, then formats the lines
// SGLang would log about them.
func (p SGLang) Estimate(m *analysis.Model, s analysis.Scenario, f analysis.Fleet) (Estimate, error) {
	e, err := p.size(m, s, f)
	if err != nil {
		return Estimate{}, err
	}
	e.LogLines = sglangLogLines(e)
	return e, nil
}

// size is SGLang's budget and token pools for m on f.
func (p SGLang) size(m *analysis.Model, s analysis.Scenario, f analysis.Fleet) (Estimate, error) {
	if err := f.Check(m); err != nil {
		return Estimate{}, err
	}
	if err := parallelHybrid("sglang", m); err != nil {
		return Estimate{}, err
	}
	given := p.MemFractionStatic
	p = p.withDefaults(m, f)
	switch {
	case given == 0 && !(p.MemFractionStatic > 0):
		// Not the user's setting: the GPU is smaller than what SGLang
		// reserves by default, so its heuristic leaves nothing.
		return Estimate{}, fmt.Errorf("sglang: a GPU of %d MiB is too small for SGLang: its default reserve for activations, CUDA graphs and metadata (chunked prefill %d tokens, CUDA-graph batch %d) takes all of it",
			p.GPUMemoryMiB, p.ChunkedPrefillSize, p.CUDAGraphMaxBS)
	case !(p.MemFractionStatic > 0 && p.MemFractionStatic <= 1):
		return Estimate{}, fmt.Errorf("sglang: mem_fraction_static must be in (0, 1], got %g", p.MemFractionStatic)
	case p.PageSize < 1:
		return Estimate{}, fmt.Errorf("sglang: page_size must be at least 1, got %d", p.PageSize)
	case p.ContextLen < 1:
		return Estimate{}, fmt.Errorf("sglang: context_len is unknown for %s: set it", m.Name)
	}
	e := Estimate{Engine: "sglang", CapacityBytes: f.CapacityBytes, BlockSize: p.PageSize, MaxModelLen: p.ContextLen}

	// pre: free memory before loading, the least over all GPUs.
	pre := p.AvailableBeforeLoadBytes
	if pre <= 0 {
		pre = subSat(f.CapacityBytes, p.CUDAContextBytes)
		if f.TP*f.PP > 1 {
			pre = subSat(pre, p.NCCLBytes)
		}
	}
	e.NonTorchBytes = f.CapacityBytes - pre
	e.BudgetBytes = floorBytes(float64(pre) * p.MemFractionStatic)
	e.ActivationBytes = pre - e.BudgetBytes

	type stage struct {
		weights, rest, tokens, swa, slots int64
		pools                             sglangPools
	}
	var stages []stage
	for k, r := range analysis.StageLayers(len(m.Layers), int(f.PP)) {
		st := stage{pools: sglangPoolsOf(m, s.KV, f.TP, r[0], r[1])}
		st.weights = stageWeights(m, s.Weights, f.TP, r[0], r[1], k == 0, k == int(f.PP)-1)
		post := p.AvailableAfterLoadBytes
		if post <= 0 {
			post = subSat(pre, st.weights)
		}
		rest := float64(post) - float64(pre)*(1-p.MemFractionStatic)
		if st.pools.stateBytes > 0 {
			// handle_max_mamba_cache: state pool : KV pool = ratio : 1; a
			// model without attention gives all of rest to states.
			st.slots = p.MaxMambaCacheSize
			if st.slots <= 0 {
				raw := rest * p.MambaFullMemoryRatio / (1 + p.MambaFullMemoryRatio)
				if st.pools.cellBytes == 0 {
					raw = rest
				}
				st.slots = max(0, floorBytes(raw/float64(st.pools.stateBytes)))
			}
			rest -= float64(mulSat(st.slots, st.pools.stateBytes))
		}
		st.rest = floorBytes(rest)
		if st.pools.cellBytes > 0 && st.rest > 0 {
			st.tokens = st.rest / st.pools.cellBytes
		}
		if pl := st.pools; pl.swaLayers > 0 && pl.fullLayers > 0 && !p.DisableHybridSWA {
			// set_num_token_hybrid: the tokens priced over every layer are
			// shared so that swa = ratio × full.
			total := float64(st.tokens) * float64(pl.swaLayers+pl.fullLayers)
			full := floorBytes(total / (p.SWAFullTokensRatio*float64(pl.swaLayers) + float64(pl.fullLayers)))
			st.swa = floorBytes(float64(full) * p.SWAFullTokensRatio)
			st.tokens = full
		}
		st.tokens = st.tokens / p.PageSize * p.PageSize
		st.swa = st.swa / p.PageSize * p.PageSize
		stages = append(stages, st)
	}
	bind := 0
	for k, st := range stages {
		if st.tokens < stages[bind].tokens {
			bind = k
		}
	}
	b := stages[bind]
	e.WeightsBytes, e.AvailableKVBytes = b.weights, b.rest
	e.KVCacheTokens, e.SlidingTokens, e.StateSlots = b.tokens, b.swa, b.slots
	e.NumBlocks = b.tokens / p.PageSize
	e.demand = requestDemand{fullTokens: b.tokens, swaTokens: b.swa, swaWindow: b.pools.swaWindow, stateSlots: b.slots}
	e.MaxModelLenEstimate = min(b.tokens, max(p.ContextLen, m.MaxContext))
	if b.pools.cellBytes == 0 && b.slots > 0 {
		// Attention-free: only states, any context.
		e.MaxModelLenEstimate = max(p.ContextLen, m.MaxContext)
	}
	if b.tokens <= 0 && (b.pools.cellBytes > 0 || b.slots <= 0) {
		e.StartupError = fmt.Sprintf("no memory is left for the KV cache (%s GiB after the weights and the %.3g reserve): raise mem_fraction_static",
			gib2(float64(b.rest)), 1-p.MemFractionStatic)
		e.MaxModelLenEstimate = 0
		return e, nil
	}

	// init_memory_pool: max_num_reqs, and the request pool holds one more.
	e.MaxRequests = SGLangMaxRunningRequests(b.tokens, p.ContextLen)
	e.sglangLog = &sglangLog{pools: b.pools, slots: b.slots, tokens: b.tokens, swa: b.swa, elem: s.KV.BitsPerElement() / 8,
		pageSize: p.PageSize, chunk: p.ChunkedPrefillSize, maxPrefill: p.MaxPrefillTokens, contextLen: p.ContextLen}
	return e, nil
}

// SGLangVersion is the SGLang release whose rules SGLang follows here:
// python/sglang/srt/server_args.py of the 0.5 series (_handle_gpu_memory_
// settings with the CUDA-graph term and the 10 GiB floor,
// _handle_model_specific_adjustments, adjust_mem_fraction_for_vlm) and
// model_executor/model_runner.py (profile_max_num_token, init_memory_pool).
const SGLangVersion = "0.5"

// sglangModelRule is what SGLang changes on its own for a model family
// (server_args.py, _handle_model_specific_adjustments).
type sglangModelRule struct {
	families []string
	// disableHybridSWA: one pool for sliding and full layers, every layer
	// priced at full context.
	disableHybridSWA bool
	source           string
}

// sglangModelRules is one entry per family SGLang adjusts for, as far as
// the KV cache is concerned.
var sglangModelRules = []sglangModelRule{
	{families: []string{"gemma2", "gemma3", "gemma3_text", "gemma3n", "gemma3n_text"}, disableHybridSWA: true,
		source: "Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3ForConditionalGeneration, Gemma3n*: \"Disable hybrid SWA memory ... as it is not yet supported\""},
	{families: []string{"gpt_oss"}, disableHybridSWA: true, source: "GptOssForCausalLM: disable_hybrid_swa_memory = True"},
	{families: []string{"olmo2", "olmo3"}, disableHybridSWA: true, source: "Olmo2ForCausalLM (Olmo 3): hybrid SWA memory not yet supported"},
}

func sglangRuleFor(family string) (sglangModelRule, bool) {
	for _, r := range sglangModelRules {
		for _, f := range r.families {
			if f == family {
				return r, true
			}
		}
	}
	return sglangModelRule{}, false
}

// SGLangVisionFactor is what SGLang multiplies its default
// mem_fraction_static by for a vision-language model
// (server_args.py, adjust_mem_fraction_for_vlm): 0.95 × a factor that
// falls 10 % for every 100 % the vision tower's layers × hidden² exceed a
// ViT-L/14's (24 × 1024²), clamped to [0.8, 1.05].
func SGLangVisionFactor(layers, hidden int64) float64 {
	if layers <= 0 {
		layers = 24
	}
	if hidden <= 0 {
		hidden = 1024
	}
	ratio := float64(layers) * float64(hidden) * float64(hidden) / (24 * 1024 * 1024)
	adj := math.Max(0.8, math.Min(1.05, 1-0.1*(ratio-1)))
	return 0.95 * adj
}

// SGLangMaxRunningRequests is the request pool SGLang sizes from the
// token pool (model_runner.py, init_memory_pool): 512 requests per
// context's worth of tokens, at least 2048 and at most 4096.
func SGLangMaxRunningRequests(tokens, contextLen int64) int64 {
	if contextLen < 1 {
		return 2048
	}
	return min(max(int64(float64(tokens)/float64(contextLen)*512), 2048), 4096)
}
