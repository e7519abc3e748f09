package engine

// Cited is an engine default taken from its source code or documentation:
// the value and where it is set.
type Cited[T any] struct {
	Value T
	// Source names the file and function (or document) that sets it.
	Source string
}

// Fitted is a constant kvplot fitted to published start-up logs because
// the engine's source does not pin it down (memory taken by CUDA
// libraries, allocator rounding). FitOn lists the logs it was fitted on,
// by their ID in testdata/vllm-logs.json; tests check it against other
// logs only.
type Fitted[T any] struct {
	Value T
	// Method says how the value was obtained from the logs.
	Method string
	FitOn  []string
}

// VLLMCalibration is everything version-dependent about one vLLM release:
// the rules it follows, its documented defaults, and kvplot's fitted
// constants, kept apart.
type VLLMCalibration struct {
	// Version is the release the record models, "0.19".
	Version string
	// Rules selects the activation and non-torch arithmetic the release
	// follows (the code paths differ, not only the numbers).
	Rules vllmRules
	// Release says which tags and commits the record was read from.
	Release  string
	Defaults VLLMDefaults
	Fitted   VLLMFitted
}

type vllmRules int

const (
	// vllmRules010: activation peak = max(forward, sampler); MoE buffers
	// are transient; non-torch = a constant plus NCCL when sharded.
	vllmRules010 vllmRules = iota
	// vllmRules019: activation peak = base + persistent MoE workspace +
	// multimodal profiling batch + max(sampler with Triton buffer, dense
	// forward); non-torch by TP and pipeline stage.
	vllmRules019
)

// VLLMDefaults are a vLLM release's documented defaults.
type VLLMDefaults struct {
	GPUMemoryUtilization Cited[float64]
	BlockSize            Cited[int64]
	// Batch defaults of `vllm serve`: on GPUs of at least LargeGPUBytes
	// that are not A100s, Large; otherwise Small.
	LargeGPUBytes             Cited[int64]
	LargeBatchedTokens        Cited[int64]
	LargeNumSeqs              Cited[int64]
	SmallBatchedTokens        Cited[int64]
	SmallNumSeqs              Cited[int64]
	SamplerBytesPerLogit      Cited[int64]
	TritonBufferBytesPerLogit Cited[int64]
	SubtractsCUDAGraphs       Cited[bool]
	MoEWorkspacePersistent    Cited[bool]
	// MXFP4 routed experts are laid out padded: intermediate ÷ TP up to a
	// multiple of MXFP4IntermediateAlign and hidden up to MXFP4HiddenAlign.
	MXFP4IntermediateAlign Cited[int64]
	MXFP4HiddenAlign       Cited[int64]
	// Gemma 3's multimodal profiling batch: images × tokens per image of
	// encoder output, and the dummy pixel tensor of images × 3 × side².
	Gemma3ProfileImages  Cited[int64]
	Gemma3TokensPerImage Cited[int64]
	Gemma3ImageSide      Cited[int64]
	KernelBlockAlignment Cited[int64]
}

// VLLMFitted are the constants kvplot fitted for a vLLM release.
type VLLMFitted struct {
	// 0.10 rules.
	NonTorchBytes    Fitted[int64]
	NCCLBytes        Fitted[int64]
	NativeLogitBytes Fitted[int64]

	// 0.19 rules.
	// TorchPeakBaseBytes (C0) is the profile run's peak beyond the terms
	// kvplot models: small buffers, allocator rounding.
	TorchPeakBaseBytes Fitted[int64]
	// ForwardHiddenFactor is the hidden-size multiple of a dense layer's
	// activation peak per token (F = T·a·(3·I/TP + factor·H)).
	ForwardHiddenFactor Fitted[float64]
	// NonTorchSingleBytes is the non-torch increase of a one-GPU replica
	// (and of the last stage of a TP-1 pipeline).
	NonTorchSingleBytes Fitted[int64]
	// NonTorchStageBytes is a non-last pipeline stage's at TP 1.
	NonTorchStageBytes Fitted[int64]
	// NonTorchTPBytes + NonTorchTPSlope × (TP−1) × T·H·a is a rank's at TP ≥ 2.
	NonTorchTPBytes Fitted[int64]
	NonTorchTPSlope Fitted[float64]
	// MultimodalExtraBytes is added to T·H·a for the profiling batch of a
	// multimodal model other than Gemma 3.
	MultimodalExtraBytes Fitted[int64]
	// PipelineStageHiddenCopies is the hidden-state tensors of T tokens a
	// non-last stage holds for the next stage (hidden and residual).
	PipelineStageHiddenCopies Fitted[int64]
}

const gib = int64(1) << 30

// mib is n MiB in bytes.
func mib(n float64) int64 { return int64(n * (1 << 20)) }

// gibf is x GiB in bytes, rounded down.
func gibf(x float64) int64 { return int64(x * (1 << 30)) }

var (
	// The logs each 0.19 constant was fitted on: the fit half of
	// testdata/vllm-logs.json (architectures Llama, Gemma 2, Gemma 3,
	// Granite, Kimi-VL and Llama 4).
	vllm019FitTP1 = []string{
		"codellama-7b-tp1",
		"gemma-2-2b-it-tp1",
		"gemma-3-4b-it-tp1",
		"gemma-3-12b-it-tp1",
		"granite-3.1-2b-tp1",
		"granite-3.1-8b-tp1",
		"granite-3.3-8b-tp1",
		"kimi-vl-a3b-tp1",
		"llama-3.1-8b-w4a16-tp1",
		"llama-3.1-8b-w8a8-tp1",
	}
	vllm019FitTP = []string{
		"llama-3.3-70b-fp8dyn-tp2",
		"llama-3.3-70b-fp8dyn-tp4",
		"llama-3.3-70b-w8a8-tp2",
		"kimi-vl-a3b-tp2",
		"llama-4-scout-tp4",
	}
	vllm019FitDense = []string{
		"codellama-7b-tp1",
		"granite-3.1-2b-tp1",
		"granite-3.1-8b-tp1",
		"granite-3.3-8b-tp1",
	}
	vllm019FitPP = []string{"llama-3.1-8b-pp2-stage0", "llama-3.1-8b-pp4-stage0"}
)

// VLLM019 is vLLM 0.19.0 (V1 engine), the newest release kvplot models.
var VLLM019 = VLLMCalibration{
	Version: "0.19",
	Rules:   vllmRules019,
	Release: "v0.19.0 (cut from main at 1031c84c3, 2026-03-30; memory code unchanged through 50cd5674b)",
	Defaults: VLLMDefaults{
		GPUMemoryUtilization:      Cited[float64]{0.9, "vllm/config/cache.py CacheConfig.gpu_memory_utilization"},
		BlockSize:                 Cited[int64]{16, "vllm/config/cache.py CacheConfig.block_size (CUDA)"},
		LargeGPUBytes:             Cited[int64]{70 * gib, "vllm/engine/arg_utils.py get_batch_defaults"},
		LargeBatchedTokens:        Cited[int64]{8192, "vllm/engine/arg_utils.py get_batch_defaults (OpenAI server)"},
		LargeNumSeqs:              Cited[int64]{1024, "vllm/engine/arg_utils.py get_batch_defaults (OpenAI server)"},
		SmallBatchedTokens:        Cited[int64]{2048, "vllm/engine/arg_utils.py get_batch_defaults (OpenAI server)"},
		SmallNumSeqs:              Cited[int64]{256, "vllm/engine/arg_utils.py get_batch_defaults (OpenAI server)"},
		SamplerBytesPerLogit:      Cited[int64]{14, "vllm/v1/sample/sampler.py Sampler.forward (bf16 logits, fp32 copy) and ops/topk_topp_sampler.py random_sample (probs, exponential noise)"},
		TritonBufferBytesPerLogit: Cited[int64]{4, "vllm/v1/sample/ops/topk_topp_sampler.py apply_top_k_top_p_triton: cached fp32 buffer of SMs × vocab"},
		SubtractsCUDAGraphs:       Cited[bool]{false, "vllm/v1/worker/gpu_worker.py determine_available_memory: VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS off"},
		MoEWorkspacePersistent:    Cited[bool]{true, "vllm/v1/worker/workspace.py WorkspaceManager; fused_moe TritonExperts.workspace_shapes"},
		MXFP4IntermediateAlign:    Cited[int64]{128, "vllm/model_executor/layers/quantization/mxfp4.py Mxfp4MoEMethod.create_weights"},
		MXFP4HiddenAlign:          Cited[int64]{256, "vllm/model_executor/layers/quantization/mxfp4.py Mxfp4MoEMethod.create_weights"},
		Gemma3ProfileImages:       Cited[int64]{32, "vllm/model_executor/models/gemma3_mm.py dummy inputs (max images per prompt in the profiling batch)"},
		Gemma3TokensPerImage:      Cited[int64]{256, "Gemma 3 config mm_tokens_per_image"},
		Gemma3ImageSide:           Cited[int64]{896, "Gemma 3 vision_config image_size"},
		KernelBlockAlignment:      Cited[int64]{16, "vllm/model_executor/models/config.py HybridAttentionMambaModelConfig"},
	},
	Fitted: VLLMFitted{
		TorchPeakBaseBytes:        Fitted[int64]{gibf(0.052), "median of logged torch peak − modelled terms over the logs where the sampler step binds and no encoder runs", append(append([]string{}, vllm019FitTP1...), vllm019FitTP...)},
		ForwardHiddenFactor:       Fitted[float64]{3.41, "median over the logs whose dense forward exceeds the sampler step", vllm019FitDense},
		NonTorchSingleBytes:       Fitted[int64]{gibf(0.25), "median of logged non-torch increase", vllm019FitTP1},
		NonTorchStageBytes:        Fitted[int64]{gibf(0.07), "logged non-torch increase of the first stage", vllm019FitPP},
		NonTorchTPBytes:           Fitted[int64]{gibf(2.056), "least-squares line through logged non-torch increase against (TP−1)·T·H·a", vllm019FitTP},
		NonTorchTPSlope:           Fitted[float64]{0.426, "least-squares line through logged non-torch increase against (TP−1)·T·H·a", vllm019FitTP},
		MultimodalExtraBytes:      Fitted[int64]{gibf(0.092), "logged torch peak − modelled terms", []string{"gemma-3-4b-it-tp1", "gemma-3-12b-it-tp1", "kimi-vl-a3b-tp1", "kimi-vl-a3b-tp2", "llama-4-scout-tp4"}},
		PipelineStageHiddenCopies: Fitted[int64]{2, "logged torch peak of the first stage", vllm019FitPP},
	},
}

// VLLM010 is vLLM 0.10.1.1 (V1 engine), kvplot's first calibration.
var VLLM010 = VLLMCalibration{
	Version: "0.10",
	Rules:   vllmRules010,
	Release: "v0.10.1.1",
	Defaults: VLLMDefaults{
		GPUMemoryUtilization:      Cited[float64]{0.9, "vllm/config/cache.py CacheConfig.gpu_memory_utilization"},
		BlockSize:                 Cited[int64]{16, "vllm/config/cache.py CacheConfig.block_size (CUDA)"},
		LargeGPUBytes:             Cited[int64]{70 * gib, "vllm/engine/arg_utils.py _set_default_args"},
		LargeBatchedTokens:        Cited[int64]{8192, "vllm/engine/arg_utils.py _set_default_args (OpenAI server)"},
		LargeNumSeqs:              Cited[int64]{1024, "vllm/engine/arg_utils.py _set_default_args (OpenAI server)"},
		SmallBatchedTokens:        Cited[int64]{2048, "vllm/engine/arg_utils.py _set_default_args (OpenAI server)"},
		SmallNumSeqs:              Cited[int64]{256, "vllm/engine/arg_utils.py _set_default_args (OpenAI server)"},
		SamplerBytesPerLogit:      Cited[int64]{14, "vllm/v1/sample/sampler.py, ops/topk_topp_sampler.py (FlashInfer): bf16 logits, fp32 copy, masked logits, probabilities"},
		TritonBufferBytesPerLogit: Cited[int64]{0, "no Triton top-k/top-p buffer in 0.10"},
		SubtractsCUDAGraphs:       Cited[bool]{false, "vllm/v1/worker/gpu_worker.py: graphs captured after the cache is allocated"},
		MoEWorkspacePersistent:    Cited[bool]{false, "fused_moe buffers are transient torch.empty allocations in 0.10"},
		MXFP4IntermediateAlign:    Cited[int64]{128, "vllm/model_executor/layers/quantization/mxfp4.py (Marlin)"},
		MXFP4HiddenAlign:          Cited[int64]{256, "vllm/model_executor/layers/quantization/mxfp4.py (Marlin)"},
		KernelBlockAlignment:      Cited[int64]{16, "vllm/model_executor/models/config.py HybridAttentionMambaModelConfig"},
	},
	Fitted: VLLMFitted{
		NonTorchBytes:    Fitted[int64]{32 << 20, "logged available memory of a one-GPU run", []string{"dennislee22 vllm-7B-1gpuA10080GB-0.5GRAM.log"}},
		NCCLBytes:        Fitted[int64]{128 << 20, "logged available memory of a TP2 run", []string{"dennislee22 vllm-7B-2gpuA10080GB-0.5GRAM-same-node.log"}},
		NativeLogitBytes: Fitted[int64]{38, "logged available memory of a run without FlashInfer", []string{"dennislee22 vllm-7B-2gpuA10040GB-0.5GRAM-diff-nodes.log"}},
	},
}
