package engine

import (
	"errors"
	"fmt"
	"math"

	"github.com/kvplot/kvplot/internal/analysis"
)

// VLLM is vLLM's V1 engine at one release (Calibration; nil is the newest
// modelled, VLLM019). Its other fields are start-up settings; zero values
// take the release's defaults, so VLLM{} is usable.
//
// The budget per GPU follows vllm/v1/worker/gpu_worker.py
// (determine_available_memory): capacity × gpu_memory_utilization, less
// the weights on the rank, less the torch peak of a profiling pass of
// max_num_batched_tokens tokens plus a sampling step, less memory allocated
// outside PyTorch during that pass. The CUDA context and NCCL's start-up
// are taken before vLLM's baseline snapshot and are not charged. What the
// activation peak and the non-torch increase are made of differs by
// release; see vllmActivation and vllmNonTorch.
//
// The paged cache follows vllm/v1/kv_cache_interface.py (page bytes per
// layer type and the blocks a request needs) and vllm/v1/core/
// kv_cache_utils.py (grouping of hybrid models into equal-size layer groups
// that share one block pool, num_blocks, the minimum over pipeline stages,
// the logged token count and concurrency, and the max model length
// estimate); these did not change between the modelled releases.
type VLLM struct {
	// Calibration is the release; nil means VLLM019.
	Calibration *VLLMCalibration
	// GPUMemoryUtilization is --gpu-memory-utilization.
	GPUMemoryUtilization float64
	// BlockSize is --block-size, tokens per page.
	BlockSize int64
	// MaxNumBatchedTokens is the tokens of the profiling forward pass
	// (--max-num-batched-tokens); 0 takes the batch defaults.
	MaxNumBatchedTokens int64
	// MaxNumSeqs is --max-num-seqs, which sets how many rows the profiling
	// sampler step has; 0 takes the batch defaults.
	MaxNumSeqs int64
	// MaxModelLen is --max-model-len; 0 takes the model's MaxContext.
	MaxModelLen int64
	// KVCacheMemoryBytes is --kv-cache-memory: when positive, the KV cache
	// gets exactly this much per GPU; the activation and non-torch
	// estimates are still reported but not charged.
	KVCacheMemoryBytes int64
	// LoadedWeightsBytes replaces kvplot's count of the weights on every
	// GPU with what vLLM logged ("Model loading took X
	// GiB"), to check the other terms on their own; 0 uses kvplot's count.
	LoadedWeightsBytes int64
	// CUDAGraphBytes is reserved from the budget for CUDA graphs; 0 as in
	// the modelled releases, which do not subtract their estimate.
	CUDAGraphBytes int64
	// NativeSampler models PyTorch's top-k/top-p sampler in 0.10 (used
	// when FlashInfer is not installed).
	NativeSampler bool
	// NoExpertPadding counts MXFP4 routed experts at their true size
	// instead of the padded layout vLLM loads them in (see
	// VLLMDefaults.MXFP4IntermediateAlign): for gpt-oss-120b at TP4 the
	// padding is 720 → 768 and 2880 → 3072, +2 GiB a GPU.
	NoExpertPadding bool
	// DisableHybridKVCacheManager treats sliding-window and chunked layers
	// as full attention (--disable-hybrid-kv-cache-manager).
	DisableHybridKVCacheManager bool
	// Accelerator is the GPU: vLLM keeps small batch defaults on A100s,
	// and the Triton sampler's buffer is SMs × vocab.
	Accelerator Accelerator
}

// calibration is the release the profile follows.
func (p VLLM) calibration() *VLLMCalibration {
	if p.Calibration == nil {
		return &VLLM019
	}
	return p.Calibration
}

// VLLMBatchDefaults is what a release's OpenAI server picks for
// max_num_batched_tokens and max_num_seqs when they are not given: the
// large defaults on GPUs of at least 70 GiB other than the A100 (whose
// throughput drops with large batches), the small ones elsewhere.
func VLLMBatchDefaults(c *VLLMCalibration, a Accelerator, capacityBytes int64) (maxNumBatchedTokens, maxNumSeqs int64) {
	d := c.Defaults
	if capacityBytes >= d.LargeGPUBytes.Value && !a.isA100() {
		return d.LargeBatchedTokens.Value, d.LargeNumSeqs.Value
	}
	return d.SmallBatchedTokens.Value, d.SmallNumSeqs.Value
}

// Name implements Engine.
func (VLLM) Name() string { return "vllm" }

// Version is the release the profile follows.
func (p VLLM) Version() string { return p.calibration().Version }

// withDefaults fills zero fields.
func (p VLLM) withDefaults(m *analysis.Model, f analysis.Fleet) VLLM {
	c := p.calibration()
	p.Calibration = c
	if p.GPUMemoryUtilization == 0 {
		p.GPUMemoryUtilization = c.Defaults.GPUMemoryUtilization.Value
	}
	if p.BlockSize == 0 {
		p.BlockSize = c.Defaults.BlockSize.Value
	}
	tokens, seqs := VLLMBatchDefaults(c, p.Accelerator, f.CapacityBytes)
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
		a := p.calibration().Defaults.KernelBlockAlignment.Value
		block := max(p.BlockSize, mulSat(a, ceilDiv(statePage, mulSat(a, attnTokenBytes))))
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
	nonTorch            int64
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

// stageWeights is the weights one rank of a stage holds as vLLM loads
// them: kvplot's count, with MXFP4 routed experts in their padded layout
// (unless NoExpertPadding), plus the extra copies vLLM keeps (see
// weightExtras).
func (p VLLM) stageWeights(m *analysis.Model, w analysis.WeightScheme, tp int64, from, to int, first, last bool) int64 {
	d := p.calibration().Defaults
	counts := m.StageParams(tp, from, to, first, last)
	if e := w.For(analysis.ExpertWeights); !p.NoExpertPadding && e.Name == "mxfp4" {
		var n int64
		for i := from; i < to; i++ {
			f := m.Layers[i].FFN
			if f.Experts <= 0 {
				continue
			}
			inter := roundUp(ceilDiv(f.ExpertIntermediate, tp), d.MXFP4IntermediateAlign.Value)
			hidden := roundUp(m.Hidden, d.MXFP4HiddenAlign.Value)
			one := analysis.MLPParams(hidden, inter, f.Gated, f.Bias)
			n = addSat(n, mulSat(f.Experts, one))
		}
		counts[analysis.ExpertWeights] = n
	}
	return addSat(w.Bytes(counts), p.weightExtras(m, w, tp, from, to))
}

// weightExtras is memory vLLM 0.19 allocates while loading beyond the
// checkpoint's tensors: MLA layers keep their kv_b_proj split into W_UK
// and W_UV, a second copy of kv_lora_rank × heads/TP × (nope + v) in the
// activation dtype (vllm/model_executor/layers/attention/mla_attention.py,
// process_weights_after_loading). RoPE cos/sin caches are not modelled:
// the model spec does not carry the RoPE scaling (at most 0.25 GiB, on
// Gemma 3's global layers).
func (p VLLM) weightExtras(m *analysis.Model, w analysis.WeightScheme, tp int64, from, to int) int64 {
	if p.calibration().Rules < vllmRules019 {
		return 0
	}
	a := activationElementBytes(w)
	var n int64
	for i := from; i < to; i++ {
		l := m.Layers[i]
		if l.Kind != analysis.MLAAttention {
			continue
		}
		x := l.MLA
		n = addSat(n, mulSat(mulSat(x.KVLoraRank, ceilDiv(x.Heads, tp)), (x.QKNopeHeadDim+x.VHeadDim)*a))
	}
	return n
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

// Estimate implements Engine: it sizes the cache, then formats the lines
// vLLM would log about it.
func (p VLLM) Estimate(m *analysis.Model, s analysis.Scenario, f analysis.Fleet) (Estimate, error) {
	e, err := p.size(m, s, f)
	if err != nil {
		return Estimate{}, err
	}
	e.LogLines = vllmLogLines(e)
	return e, nil
}

// size is vLLM's budget and paging for m on f.
func (p VLLM) size(m *analysis.Model, s analysis.Scenario, f analysis.Fleet) (Estimate, error) {
	if err := f.Check(m); err != nil {
		return Estimate{}, err
	}
	if err := parallelHybrid("vllm", m); err != nil {
		return Estimate{}, err
	}
	p = p.withDefaults(m, f)
	switch {
	case !(p.GPUMemoryUtilization > 0 && p.GPUMemoryUtilization <= 1):
		return Estimate{}, fmt.Errorf("vllm: gpu_memory_utilization must be in (0, 1], got %g", p.GPUMemoryUtilization)
	case p.BlockSize < 1:
		return Estimate{}, fmt.Errorf("vllm: block_size must be at least 1, got %d", p.BlockSize)
	case p.MaxNumBatchedTokens < 1:
		return Estimate{}, fmt.Errorf("vllm: max_num_batched_tokens must be at least 1, got %d", p.MaxNumBatchedTokens)
	case p.MaxModelLen < 1:
		return Estimate{}, fmt.Errorf("vllm: max_model_len is unknown for %s: set it", m.Name)
	}
	specs := p.vllmLayerSpecs(m, s.KV, f.TP)
	groups, err := vllmGroups(specs, len(m.Layers))
	if err != nil {
		return Estimate{}, err
	}

	e := Estimate{Engine: "vllm", CapacityBytes: f.CapacityBytes, MaxModelLen: p.MaxModelLen,
		CUDAGraphBytes: p.CUDAGraphBytes}
	e.demand.groups, e.demand.maxNumBatchedTokens = groups, p.MaxNumBatchedTokens
	requested := float64(f.CapacityBytes) * p.GPUMemoryUtilization
	e.BudgetBytes = floorBytes(requested)
	elem := activationElementBytes(s.Weights)

	var stages []vllmStage
	ranges := VLLMStageLayers(len(m.Layers), int(f.PP))
	for k, r := range ranges {
		first, last := k == 0, k == len(ranges)-1
		st := vllmStage{from: r[0], to: r[1]}
		st.weights = p.stageWeights(m, s.Weights, f.TP, r[0], r[1], first, last)
		if p.LoadedWeightsBytes > 0 {
			st.weights = p.LoadedWeightsBytes
		}
		st.activation = p.activation(m, s.Weights, f, r[0], r[1], first, last, elem)
		st.nonTorch = p.nonTorch(m, f, last, elem)
		if p.KVCacheMemoryBytes > 0 {
			st.available = p.KVCacheMemoryBytes
		} else {
			st.available = floorBytes(requested - float64(st.weights) - float64(st.activation) -
				float64(st.nonTorch) - float64(p.CUDAGraphBytes))
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
	e.WeightsBytes, e.ActivationBytes, e.NonTorchBytes, e.AvailableKVBytes = b.weights, b.activation, b.nonTorch, b.available
	for _, st := range stages {
		e.Stages = append(e.Stages, StageEstimate{FirstLayer: st.from, EndLayer: st.to, WeightsBytes: st.weights,
			ActivationBytes: st.activation, NonTorchBytes: st.nonTorch, AvailableKVBytes: st.available})
	}
	if p.calibration().Rules >= vllmRules019 && p.Accelerator.SMCount <= 0 {
		e.Assumptions = append(e.Assumptions, fmt.Sprintf("the accelerator's SM count is unknown: the sampler's Triton buffer is sized for %d SMs (H100 SXM)", defaultSMCount))
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
			e.StartupError = noCacheReason(st, f.CapacityBytes, p.CUDAGraphBytes, p.KVCacheMemoryBytes > 0)
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
	return e, nil
}

// noCacheReason says why a stage has no memory left for the KV cache, in
// the terms a user can act on: when the weights, activations and the
// engine's own memory fill the whole GPU, no utilization setting helps and
// the model needs more GPUs or a smaller format.
func noCacheReason(st vllmStage, capacity, graphs int64, kvGiven bool) string {
	layers := fmt.Sprintf("a GPU of layers %d-%d", st.from, st.to-1)
	if kvGiven {
		return fmt.Sprintf("--kv-cache-memory leaves no KV cache on %s", layers)
	}
	used := st.weights + st.activation + st.nonTorch + graphs
	if used >= capacity {
		return fmt.Sprintf("weights %s GiB, activations %s GiB and non-torch memory %s GiB need %s GiB on %s, more than its %s GiB: split the model over more GPUs or use a smaller weight format",
			gib2(float64(st.weights)), gib2(float64(st.activation)), gib2(float64(st.nonTorch)), gib2(float64(used)), layers, gib2(float64(capacity)))
	}
	return fmt.Sprintf("no memory is left for the KV cache on %s (%s GiB short at this gpu_memory_utilization; the GPU has %s GiB free above the model): raise gpu_memory_utilization",
		layers, gib2(float64(-st.available)), gib2(float64(capacity-used)))
}

// parallelHybrid refuses models whose layers run attention and a Mamba
// mixer side by side (Falcon-H1): the engines give such a layer both a KV
// page and a state slot, which kvplot does not emulate yet. kvplot's own
// memory model (the simple engine) sizes them.
func parallelHybrid(engine string, m *analysis.Model) error {
	for _, l := range m.Layers {
		if l.ParallelMamba {
			return fmt.Errorf("%s: kvplot does not emulate the cache of layers that run attention and Mamba side by side (%s); use --engine simple", engine, m.Name)
		}
	}
	return nil
}
