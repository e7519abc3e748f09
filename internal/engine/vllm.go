package engine

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
)

// VLLM is vLLM's V1 engine (calibrated on v0.10.1.1). Its fields are the
// settings and version-dependent constants that decide the KV cache; zero
// values take the defaults DefaultVLLM documents, so VLLM{} is usable.
//
// The budget per GPU follows vllm/v1/worker/gpu_worker.py
// (determine_available_memory): capacity × GPUMemoryUtilization, less the
// weights on the rank, less the torch peak of a profiling forward pass of
// MaxNumBatchedTokens tokens plus a sampling step, less memory allocated
// outside PyTorch during that pass. The CUDA context is created before
// vLLM's baseline snapshot and is not charged.
//
// The paged cache follows vllm/v1/kv_cache_interface.py (page bytes per
// layer type and the blocks a request needs) and vllm/v1/core/
// kv_cache_utils.py (grouping of hybrid models into equal-size layer groups
// that share one block pool, num_blocks, the minimum over pipeline stages,
// the logged token count and concurrency, and the max model length
// estimate). Releases after 0.10 differ in details kvplot does not follow:
// some subtract a CUDA-graph estimate (set CUDAGraphBytes), and the newest
// log the token count as concurrency × max_model_len.
type VLLM struct {
	// GPUMemoryUtilization is --gpu-memory-utilization: 0.9 (newer releases
	// default to 0.92).
	GPUMemoryUtilization float64
	// BlockSize is --block-size, tokens per page: 16.
	BlockSize int64
	// MaxNumBatchedTokens is the tokens of the profiling forward pass
	// (--max-num-batched-tokens); 0 takes VLLMBatchDefaults.
	MaxNumBatchedTokens int64
	// MaxNumSeqs is --max-num-seqs, which sets how many rows the profiling
	// sampler step has; 0 takes VLLMBatchDefaults.
	MaxNumSeqs int64
	// MaxModelLen is --max-model-len; 0 takes the model's MaxContext.
	MaxModelLen int64
	// KVCacheMemoryBytes is --kv-cache-memory: when positive, the KV cache
	// gets exactly this much per GPU; the activation and non-torch
	// estimates are still reported but not charged.
	KVCacheMemoryBytes int64
	// NonTorchBytes is what a single-GPU profile run allocates outside
	// PyTorch (cuBLAS workspaces, lazily loaded kernels): 32 MiB, fit to
	// the Qwen2-7B logs.
	NonTorchBytes int64
	// NCCLBytes is added to NonTorchBytes when the replica spans more than
	// one GPU (NCCL connects lazily, during the profile run): 128 MiB, fit
	// to the Qwen2-7B TP2 log.
	NCCLBytes int64
	// CUDAGraphBytes is reserved from the budget for CUDA graphs; 0 as in
	// v0.10, where graphs are captured after the cache is allocated (newer
	// releases estimate graph memory and subtract it).
	CUDAGraphBytes int64
	// NativeSampler models PyTorch's top-k/top-p sampler (sorting the
	// logits), used when FlashInfer is not installed; the default is
	// FlashInfer's sampler.
	NativeSampler bool
	// NoExpertPadding counts MXFP4 routed experts at their true size. By
	// default they are padded as vLLM's Marlin MoE kernel (used for MXFP4
	// on GPUs before Hopper, such as the A100) lays them out: per rank,
	// intermediate ÷ TP up to a multiple of 128 and hidden up to a multiple
	// of 256 (vllm/model_executor/layers/quantization/mxfp4.py). For
	// gpt-oss-120b at TP4 that is 720 → 768 and 2880 → 3072: +2 GiB a GPU.
	NoExpertPadding bool
	// DisableHybridKVCacheManager treats sliding-window and chunked layers
	// as full attention (--disable-hybrid-kv-cache-manager).
	DisableHybridKVCacheManager bool
	// Accelerator is the GPU's name or catalog ID; vLLM picks smaller batch
	// defaults for A100s (see VLLMBatchDefaults).
	Accelerator string
}

// vLLM's defaults for the fields of VLLM.
const (
	vllmDefaultUtilization = 0.9
	vllmDefaultBlockSize   = 16
	vllmDefaultNonTorch    = 32 << 20
	vllmDefaultNCCL        = 128 << 20
	// vllmKernelBlockAlignment is the attention kernels' block-size
	// multiple when vLLM enlarges blocks for hybrid Mamba models.
	vllmKernelBlockAlignment = 16
)

// Bytes per sampled row per vocabulary entry that the profile run's
// sampling step holds at its peak, in vLLM 0.10's sampler
// (vllm/v1/sample/sampler.py, ops/topk_topp_sampler.py). The dummy
// sampling step applies top-k and top-p. With FlashInfer: the 16-bit
// logits (2), their fp32 copy (4), the top-k masked logits (4) and the
// softmax probabilities (4). With the PyTorch fallback the fp32 logits are
// sorted: sorted values (4) and int64 indices (8) plus the sort's
// workspace, masks, cumulative probabilities and the scattered result;
// 38 bytes is fit to the one published log that used it (A100 40GB, TP2).
const (
	vllmFlashInferLogitBytes = 14
	vllmNativeLogitBytes     = 38
)

// DefaultVLLM is vLLM 0.10's default profile: utilization 0.9, blocks of
// 16 tokens, batch defaults by GPU, FlashInfer sampling.
func DefaultVLLM() VLLM {
	return VLLM{GPUMemoryUtilization: vllmDefaultUtilization, BlockSize: vllmDefaultBlockSize,
		NonTorchBytes: vllmDefaultNonTorch, NCCLBytes: vllmDefaultNCCL}
}

// VLLMBatchDefaults is what vLLM's OpenAI server picks for
// max_num_batched_tokens and max_num_seqs when they are not given
// (vllm/engine/arg_utils.py, _set_default_args): 8192 and 1024 on GPUs of
// at least 70 GiB other than the A100 (whose throughput drops with large
// batches), 2048 and 256 elsewhere.
func VLLMBatchDefaults(accelerator string, capacityBytes int64) (maxNumBatchedTokens, maxNumSeqs int64) {
	if capacityBytes >= 70<<30 && !strings.Contains(strings.ToLower(accelerator), "a100") {
		return 8192, 1024
	}
	return 2048, 256
}

// Name implements Engine.
func (VLLM) Name() string { return "vllm" }

// withDefaults fills zero fields.
func (p VLLM) withDefaults(m *analysis.Model, f analysis.Fleet) VLLM {
	d := DefaultVLLM()
	if p.GPUMemoryUtilization == 0 {
		p.GPUMemoryUtilization = d.GPUMemoryUtilization
	}
	if p.BlockSize == 0 {
		p.BlockSize = d.BlockSize
	}
	if p.NonTorchBytes == 0 {
		p.NonTorchBytes = d.NonTorchBytes
	}
	if p.NCCLBytes == 0 {
		p.NCCLBytes = d.NCCLBytes
	}
	tokens, seqs := VLLMBatchDefaults(p.Accelerator, f.CapacityBytes)
	if p.MaxNumBatchedTokens == 0 {
		p.MaxNumBatchedTokens = tokens
	}
	if p.MaxNumSeqs == 0 {
		p.MaxNumSeqs = seqs
	}
	p.MaxNumSeqs = min(p.MaxNumSeqs, p.MaxNumBatchedTokens)
	if p.MaxModelLen == 0 {
		p.MaxModelLen = m.MaxContext
	}
	return p
}

// vllmKind is the cache type of a layer in vLLM's KV cache specs.
type vllmKind int

const (
	vllmFull    vllmKind = iota // FullAttentionSpec (and MLAAttentionSpec)
	vllmSliding                 // SlidingWindowSpec
	vllmChunked                 // ChunkedLocalAttentionSpec
	vllmState                   // MambaSpec: Mamba and gated delta-net layers
)

// vllmLayerSpec is one layer's cache spec on one rank.
type vllmLayerSpec struct {
	kind      vllmKind
	window    int64 // sliding window or attention chunk, in tokens
	blockSize int64 // tokens per block
	page      int64 // bytes per block
}

// blocksFor is how many blocks one request of maxModelLen tokens needs in
// a layer of this spec (max_memory_usage_bytes ÷ page size in
// vllm/v1/kv_cache_interface.py): a sliding window keeps the last
// window − 1 computed tokens plus a chunk of newly scheduled ones, plus one
// block because the window need not start at a block boundary; a chunked
// layer keeps a chunk plus the scheduled tokens; a Mamba state is one block.
func (s vllmLayerSpec) blocksFor(maxModelLen, maxNumBatchedTokens int64) int64 {
	switch s.kind {
	case vllmSliding:
		return addSat(ceilDiv(min(addSat(s.window-1, maxNumBatchedTokens), maxModelLen), s.blockSize), 1)
	case vllmChunked:
		return ceilDiv(min(addSat(s.window, maxNumBatchedTokens), maxModelLen), s.blockSize)
	case vllmState:
		return 1
	}
	return ceilDiv(maxModelLen, s.blockSize)
}

// vllmGroupSpec is one KV cache group: layers with one spec sharing a
// block table. uniformType groups hold every layer of a model whose
// layers differ only in page size; pages then lists each layer's.
type vllmGroupSpec struct {
	spec        vllmLayerSpec
	layers      []int
	uniformType bool
	pages       map[int]int64
}

// vllmBlocksPerRequest is the blocks one request needs across all groups
// (get_max_concurrency_for_kv_cache_config).
func vllmBlocksPerRequest(groups []vllmGroupSpec, maxModelLen, maxNumBatchedTokens int64) int64 {
	var n int64
	for _, g := range groups {
		n = addSat(n, g.spec.blocksFor(maxModelLen, maxNumBatchedTokens))
	}
	return n
}

// vllmLayerSpecs builds each layer's spec on one of tp ranks, as the model
// runner's get_kv_cache_spec does; layers without a cache are absent.
func (p VLLM) vllmLayerSpecs(m *analysis.Model, kv analysis.DType, tp int64) map[int]vllmLayerSpec {
	specs := map[int]vllmLayerSpec{}
	var attnTokenBytes, statePage int64
	for i := range m.Layers {
		l := &m.Layers[i]
		s := vllmLayerSpec{blockSize: p.BlockSize}
		switch l.Kind {
		case analysis.FullAttention, analysis.SlidingAttention, analysis.ChunkedAttention:
			a := l.Attn
			perToken := mulSat(analysis.KVHeadsPerRank(a.KVHeads, tp), addSat(kv.Bytes(a.HeadDim), kv.Bytes(a.VHeadDim)))
			s.page = mulSat(perToken, p.BlockSize)
			switch {
			case l.Kind == analysis.SlidingAttention && !p.DisableHybridKVCacheManager:
				s.kind, s.window = vllmSliding, l.Window
			case l.Kind == analysis.ChunkedAttention && !p.DisableHybridKVCacheManager:
				s.kind, s.window = vllmChunked, l.Window
			}
			if attnTokenBytes == 0 {
				attnTokenBytes = perToken
			}
		case analysis.MLAAttention:
			// One latent of kv_lora_rank + rope dims, as one "head", no V;
			// replicated on every rank.
			perToken := kv.Bytes(addSat(l.MLA.KVLoraRank, l.MLA.QKRopeHeadDim))
			s.page = mulSat(perToken, p.BlockSize)
			if attnTokenBytes == 0 {
				attnTokenBytes = perToken
			}
		case analysis.MambaMixer, analysis.LinearAttention:
			s.kind = vllmState
			_, _, s.page = m.LayerCacheBytes(i, kv, tp)
			s.blockSize = p.MaxModelLen
			statePage = max(statePage, s.page)
		default:
			continue
		}
		if s.page <= 0 {
			continue
		}
		specs[i] = s
	}
	if statePage > 0 && attnTokenBytes > 0 {
		// Hybrid Mamba models (vllm/model_executor/models/config.py,
		// HybridAttentionMambaModelConfig): attention blocks grow to a
		// multiple of the kernel alignment whose page holds a Mamba state,
		// and Mamba pages are padded to that attention page.
		a := vllmKernelBlockAlignment
		block := max(p.BlockSize, mulSat(int64(a), ceilDiv(statePage, mulSat(int64(a), attnTokenBytes))))
		page := mulSat(block, attnTokenBytes)
		for i, s := range specs {
			if s.kind == vllmState {
				s.page = page
			} else {
				s.page = mulSat(divSat(s.page, s.blockSize), block)
				s.blockSize = block
			}
			specs[i] = s
		}
	}
	return specs
}

// errUnifyPages is vLLM's refusal to serve layers whose page sizes do not
// divide each other.
var errUnifyPages = errors.New("vllm: page sizes of the layers do not divide each other, so they cannot share one block pool")

// vllmGroups splits the layers into KV cache groups (get_kv_cache_groups).
func vllmGroups(specs map[int]vllmLayerSpec, nLayers int) ([]vllmGroupSpec, error) {
	var order []int
	for i := range nLayers {
		if _, ok := specs[i]; ok {
			order = append(order, i)
		}
	}
	if len(order) == 0 {
		return nil, nil
	}
	first := specs[order[0]]
	uniform, uniformType := true, first.kind != vllmState
	for _, i := range order[1:] {
		s := specs[i]
		uniform = uniform && s == first
		uniformType = uniformType && s.kind == first.kind && s.window == first.window && s.blockSize == first.blockSize
	}
	switch {
	case uniform:
		return []vllmGroupSpec{{spec: first, layers: order}}, nil
	case uniformType:
		// UniformTypeKVCacheSpecs: one group, each layer with its own page.
		g := vllmGroupSpec{spec: first, layers: order, uniformType: true, pages: map[int]int64{}}
		for _, i := range order {
			g.pages[i] = specs[i].page
		}
		return []vllmGroupSpec{g}, nil
	}
	// unify_kv_cache_spec_page_size: smaller pages grow their block size
	// until every page is the largest one.
	var maxPage int64
	for _, i := range order {
		maxPage = max(maxPage, specs[i].page)
	}
	unified := map[int]vllmLayerSpec{}
	for _, i := range order {
		s := specs[i]
		if s.page != maxPage {
			if maxPage%s.page != 0 {
				return nil, errUnifyPages
			}
			s.blockSize = mulSat(s.blockSize, divSat(maxPage, s.page))
			s.page = maxPage
		}
		unified[i] = s
	}
	// _get_kv_cache_groups_uniform_page_size: layers of one spec, in
	// order of first appearance, split into groups of equal size.
	var kinds []vllmLayerSpec
	byKind := map[vllmLayerSpec][]int{}
	for _, i := range order {
		s := unified[i]
		if _, ok := byKind[s]; !ok {
			kinds = append(kinds, s)
		}
		byKind[s] = append(byKind[s], i)
	}
	minN, maxN := len(order), 0
	for _, k := range kinds {
		minN, maxN = min(minN, len(byKind[k])), max(maxN, len(byKind[k]))
	}
	size := minN
	if 2*maxN < 3*minN { // max < 1.5 × min: pad the smaller types instead
		size = maxN
	}
	var groups []vllmGroupSpec
	for _, k := range kinds {
		layers := byKind[k]
		n := int(ceilDiv(int64(len(layers)), int64(size)))
		for g := range n {
			var part []int
			for j := g; j < len(layers); j += n {
				part = append(part, layers[j])
			}
			groups = append(groups, vllmGroupSpec{spec: k, layers: part})
		}
	}
	return groups, nil
}

// vllmStage is one pipeline stage as vLLM sizes its cache.
type vllmStage struct {
	from, to            int
	weights, activation int64
	available           int64
	// groupSize is the most layers of one group on this stage.
	groupSize int64
	// pageBytes is one block across groupSize layers, or across all the
	// stage's layers for a uniform-type group.
	pageBytes   int64
	numBlocks   int64
	hasCache    bool
	uniformType bool
	uniformSpec vllmLayerSpec
}

// neededBytes is the cache one request of maxModelLen tokens needs on the
// stage (_max_memory_usage_bytes_from_groups).
func (st vllmStage) neededBytes(groups []vllmGroupSpec, maxModelLen, maxNumBatchedTokens int64) int64 {
	if st.uniformType {
		return mulSat(st.uniformSpec.blocksFor(maxModelLen, maxNumBatchedTokens), st.pageBytes)
	}
	return mulSat(st.pageBytes, vllmBlocksPerRequest(groups, maxModelLen, maxNumBatchedTokens))
}

// Marlin's MXFP4 MoE alignment of the per-rank expert intermediate size
// and of the hidden size.
const (
	vllmMarlinIntermediateAlign = 128
	vllmMarlinHiddenAlign       = 256
)

// stageWeights is the weights one rank of a stage holds as vLLM loads
// them: kvplot's count, with MXFP4 experts padded (see NoExpertPadding).
func (p VLLM) stageWeights(m *analysis.Model, w analysis.WeightScheme, tp int64, from, to int, first, last bool) int64 {
	counts := m.StageParams(tp, from, to, first, last)
	if d := w.For(analysis.ExpertWeights); !p.NoExpertPadding && d.Name == "mxfp4" {
		var n int64
		for i := from; i < to; i++ {
			f := m.Layers[i].FFN
			if f.Experts <= 0 {
				continue
			}
			inter := roundUp(ceilDiv(f.ExpertIntermediate, tp), vllmMarlinIntermediateAlign)
			hidden := roundUp(m.Hidden, vllmMarlinHiddenAlign)
			one := analysis.MLPParams(hidden, inter, f.Gated, f.Bias)
			n = addSat(n, mulSat(f.Experts, one))
		}
		counts[analysis.ExpertWeights] = n
	}
	return w.Bytes(counts)
}

// roundUp rounds n up to a multiple of align.
func roundUp(n, align int64) int64 { return mulSat(ceilDiv(n, align), align) }

// VLLMStageLayers splits n layers into pp stages as vLLM does
// (vllm/distributed/utils.py, get_pp_indices): equal parts, with the
// remainder going one layer each to the stages before the last.
func VLLMStageLayers(n, pp int) [][2]int {
	parts := make([]int, pp)
	for i := range parts {
		parts[i] = n / pp
	}
	for i := 2; i < n%pp+2; i++ {
		parts[pp-i]++
	}
	out := make([][2]int, pp)
	start := 0
	for i, p := range parts {
		out[i] = [2]int{start, start + p}
		start += p
	}
	return out
}

// Estimate implements Engine.
func (p VLLM) Estimate(m *analysis.Model, s analysis.Scenario, f analysis.Fleet) (EngineEstimate, error) {
	if err := f.Check(m); err != nil {
		return EngineEstimate{}, err
	}
	p = p.withDefaults(m, f)
	switch {
	case !(p.GPUMemoryUtilization > 0 && p.GPUMemoryUtilization <= 1):
		return EngineEstimate{}, fmt.Errorf("vllm: gpu_memory_utilization must be in (0, 1], got %g", p.GPUMemoryUtilization)
	case p.BlockSize < 1:
		return EngineEstimate{}, fmt.Errorf("vllm: block_size must be at least 1, got %d", p.BlockSize)
	case p.MaxNumBatchedTokens < 1:
		return EngineEstimate{}, fmt.Errorf("vllm: max_num_batched_tokens must be at least 1, got %d", p.MaxNumBatchedTokens)
	case p.MaxModelLen < 1:
		return EngineEstimate{}, fmt.Errorf("vllm: max_model_len is unknown for %s: set it", m.Name)
	}
	specs := p.vllmLayerSpecs(m, s.KV, f.TP)
	groups, err := vllmGroups(specs, len(m.Layers))
	if err != nil {
		return EngineEstimate{}, err
	}

	e := EngineEstimate{Engine: "vllm", CapacityBytes: f.CapacityBytes, MaxModelLen: p.MaxModelLen,
		CUDAGraphBytes: p.CUDAGraphBytes}
	e.demand.groups, e.demand.maxNumBatchedTokens = groups, p.MaxNumBatchedTokens
	requested := float64(f.CapacityBytes) * p.GPUMemoryUtilization
	e.BudgetBytes = floorBytes(requested)
	e.NonTorchBytes = p.NonTorchBytes
	if f.TP*f.PP > 1 {
		e.NonTorchBytes = addSat(e.NonTorchBytes, p.NCCLBytes)
	}
	elem := activationElementBytes(s.Weights)
	perLogit := int64(vllmFlashInferLogitBytes)
	if p.NativeSampler {
		perLogit = vllmNativeLogitBytes
	}
	rows := min(p.MaxNumSeqs, p.MaxNumBatchedTokens)

	var stages []vllmStage
	ranges := VLLMStageLayers(len(m.Layers), int(f.PP))
	for k, r := range ranges {
		first, last := k == 0, k == len(ranges)-1
		st := vllmStage{from: r[0], to: r[1]}
		st.weights = p.stageWeights(m, s.Weights, f.TP, r[0], r[1], first, last)
		st.activation = forwardPeakBytes(m, r[0], r[1], p.MaxNumBatchedTokens, f.TP, elem)
		if last {
			st.activation = max(st.activation, samplerPeakBytes(m, p.MaxNumBatchedTokens, rows, elem, perLogit))
		}
		if p.KVCacheMemoryBytes > 0 {
			st.available = p.KVCacheMemoryBytes
		} else {
			st.available = floorBytes(requested - float64(st.weights) - float64(st.activation) -
				float64(e.NonTorchBytes) - float64(p.CUDAGraphBytes))
		}
		for _, g := range groups {
			var n int64
			for _, i := range g.layers {
				if i >= r[0] && i < r[1] {
					n++
					if g.uniformType {
						st.pageBytes = addSat(st.pageBytes, g.pages[i])
					}
				}
			}
			st.groupSize = max(st.groupSize, n)
			if g.uniformType {
				st.uniformType, st.uniformSpec = true, g.spec
			}
		}
		st.hasCache = st.groupSize > 0
		if !st.uniformType && st.hasCache {
			st.pageBytes = mulSat(groups[0].spec.page, st.groupSize)
		}
		if st.hasCache && st.available > 0 && st.pageBytes > 0 {
			st.numBlocks = st.available / st.pageBytes
		}
		stages = append(stages, st)
	}

	// The binding stage: the fewest blocks, then the least memory.
	bind := 0
	for k, st := range stages {
		b := stages[bind]
		if st.hasCache && (!b.hasCache || st.numBlocks < b.numBlocks ||
			st.numBlocks == b.numBlocks && st.available < b.available) {
			bind = k
		}
	}
	b := stages[bind]
	e.WeightsBytes, e.ActivationBytes, e.AvailableKVBytes = b.weights, b.activation, b.available
	for _, st := range stages {
		e.LogLines = append(e.LogLines, "Available KV cache memory: "+gib2(float64(st.available))+" GiB")
	}
	if len(groups) == 0 {
		// Attention-free: no cache groups, nothing to report.
		return e, nil
	}
	e.BlockSize = groups[0].spec.blockSize
	for _, g := range groups {
		e.BlockSize = min(e.BlockSize, g.spec.blockSize)
	}

	fits := func(maxModelLen int64) bool {
		for _, st := range stages {
			if st.hasCache && st.neededBytes(groups, maxModelLen, p.MaxNumBatchedTokens) > st.available {
				return false
			}
		}
		return true
	}
	hi := max(p.MaxModelLen, m.MaxContext)
	if fits(1) {
		e.MaxModelLenEstimate = analysis.LargestFitting(1, hi, fits)
	}

	for _, st := range stages {
		if !st.hasCache {
			continue
		}
		if st.available <= 0 {
			e.StartupError = fmt.Sprintf("no memory is left for the KV cache (%s GiB available on a GPU of layers %d-%d): raise gpu_memory_utilization",
				gib2(float64(st.available)), st.from, st.to-1)
			return e, nil
		}
		if need := st.neededBytes(groups, p.MaxModelLen, p.MaxNumBatchedTokens); need > st.available {
			e.StartupError = fmt.Sprintf("max_model_len %d needs %s GiB of KV cache, more than the %s GiB available; the longest that fits is %d tokens",
				p.MaxModelLen, gib2(float64(need)), gib2(float64(st.available)), e.MaxModelLenEstimate)
			return e, nil
		}
	}
	e.NumBlocks = math.MaxInt64
	for _, st := range stages {
		if st.hasCache {
			e.NumBlocks = min(e.NumBlocks, st.numBlocks)
		}
	}
	e.KVCacheTokens = mulSat(e.NumBlocks/int64(len(groups)), e.BlockSize)
	e.LogLines = append(e.LogLines,
		"GPU KV cache size: "+groupDigits(e.KVCacheTokens)+" tokens",
		fmt.Sprintf("Maximum concurrency for %s tokens per request: %.2fx", groupDigits(p.MaxModelLen), e.MaxConcurrency(p.MaxModelLen)))
	return e, nil
}
