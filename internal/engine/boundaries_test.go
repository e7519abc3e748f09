package engine

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// hybridModel is full full-attention layers followed by sliding sliding-
// window layers (window tokens), 8 KV heads of 128: 4 KiB a token a layer.
func hybridModel(full, sliding int, window int64) *analysis.Model {
	m := &analysis.Model{Name: fmt.Sprintf("%d-full-%d-sliding", full, sliding), VocabSize: 32000, Hidden: 4096, NormsPerLayer: 2, MaxContext: 32768}
	for i := range full + sliding {
		l := analysis.Layer{Kind: analysis.FullAttention, Attn: analysis.Attention{Heads: 32, KVHeads: 8, HeadDim: 128, VHeadDim: 128},
			FFN: analysis.FFN{Intermediate: 14336, Gated: true}}
		if i >= full {
			l.Kind, l.Window = analysis.SlidingAttention, window
		}
		m.Layers = append(m.Layers, l)
	}
	return m
}

// TestVLLMGroupSizeRatioEdge checks vLLM's choice of KV-cache group size
// (kv_cache_utils.py, _get_kv_cache_groups_uniform_page_size) on both sides
// of its 1.5× rule: when the larger layer type has fewer than 1.5 × the
// smaller's layers, both pad to the larger count; at exactly 1.5 × and
// above, groups take the smaller count and the larger type splits.
func TestVLLMGroupSizeRatioEdge(t *testing.T) {
	const kv = 8 << 30
	for _, tc := range []struct {
		full, sliding int
		groups        int64 // groups sharing the pool
		groupSize     int64 // layers per group: a block is groupSize × 64 KiB
	}{
		{8, 11, 2, 11},  // 11 < 12: pad both to 11
		{8, 12, 3, 8},   // 12 = 1.5 × 8: split the sliding layers in two groups of 8 (6 + 6 padded)
		{8, 13, 3, 8},   // above the edge
		{12, 8, 3, 8},   // the full-attention layers are the larger type
		{11, 8, 2, 11},  // and below the edge
		{10, 10, 2, 10}, // equal counts
	} {
		m := hybridModel(tc.full, tc.sliding, 1024)
		t.Run(m.Name, func(t *testing.T) {
			e, err := VLLM{MaxModelLen: 32768, MaxNumBatchedTokens: 2048, KVCacheMemoryBytes: kv}.Estimate(m, analysis.Scenario{Weights: weightsBF16, KV: kvBF16}, fleet("x", 80<<30, 1))
			if err != nil {
				t.Fatal(err)
			}
			// 16 tokens × 8 heads × 256 × 2 bytes = 64 KiB a layer a block.
			blocks := int64(kv) / (tc.groupSize << 16)
			if e.NumBlocks != blocks || e.KVCacheTokens != blocks/tc.groups*16 {
				t.Errorf("VLLM.Estimate(%s) = %d blocks, %d tokens, want %d blocks in %d groups of %d layers, %d tokens",
					m.Name, e.NumBlocks, e.KVCacheTokens, blocks, tc.groups, tc.groupSize, blocks/tc.groups*16)
			}
		})
	}
}

// TestSGLangTenGiBFloor checks the floor of SGLang's default reservation
// on GPUs over 60 GiB (server_args.py, _handle_gpu_memory_settings): on an
// H100 (81559 MiB to nvidia-smi) at TP 1 with 256 CUDA-graph batches, a
// chunked prefill of 2048 or 4096 tokens reserves less than 10 GiB
// (512 + 1.5 × chunk + 512 + 128 MiB), so the floor binds and both get
// (81559 − 10240) / 81559 = 0.874; 8192 reserves 13440 MiB (0.835) and
// 16384 reserves 25728 MiB (0.685). The chunk is what --max-num-batched-
// tokens sets for SGLang.
func TestSGLangTenGiBFloor(t *testing.T) {
	prof, err := Lookup("sglang")
	if err != nil {
		t.Fatal(err)
	}
	h100 := gibBytes(79.19)
	m := llama3_8b()
	sc := analysis.Scenario{Weights: weightsBF16, KV: kvBF16}
	for _, tc := range []struct {
		chunk int64
		mfs   float64
	}{{2048, 0.874}, {4096, 0.874}, {6058, 0.874}, {8192, 0.835}, {16384, 0.685}} {
		t.Run(fmt.Sprintf("chunk %d", tc.chunk), func(t *testing.T) {
			if got := SGLangMemFractionStatic(81559, tc.chunk, 256, 1, 1); got != tc.mfs {
				t.Errorf("SGLangMemFractionStatic(81559 MiB, chunk %d) = %g, want %g", tc.chunk, got, tc.mfs)
			}
			e, err := prof.Estimate(m, sc, fleet("h100", h100, 1), Accelerator{}, Settings{MaxNumBatchedTokens: tc.chunk, MaxModelLen: 8192})
			if err != nil {
				t.Fatal(err)
			}
			// The budget is mem_fraction_static × the memory free before loading.
			pre := e.CapacityBytes - e.NonTorchBytes
			if got := float64(e.BudgetBytes) / float64(pre); math.Abs(got-tc.mfs) > 1e-9 {
				t.Errorf("sglang with --max-num-batched-tokens %d budgets %.6f of the free memory, want %g", tc.chunk, got, tc.mfs)
			}
		})
	}
	t.Run("no floor at 48 GiB", func(t *testing.T) {
		// 46068 MiB (an L40S), 32 CUDA-graph batches: 2048 and 4096 reserve
		// 512 + 3072 + 64 + 128 = 3776 and 6848 MiB, both under 10 GiB.
		a, b := SGLangMemFractionStatic(46068, 2048, 32, 1, 1), SGLangMemFractionStatic(46068, 4096, 32, 1, 1)
		if a != 0.918 || b != 0.851 {
			t.Errorf("SGLangMemFractionStatic(46068 MiB, 2048 | 4096) = %g, %g, want 0.918, 0.851", a, b)
		}
	})
}

// TestSGLangPoolSplitUnequalLayers checks SGLang's split of one budget
// into a full-attention pool and a sliding-window pool
// (model_runner.py, set_num_token_hybrid) when the two layer counts
// differ, and that Gemma 3 (and gpt-oss) turn the split off. rest =
// 40 GiB − 50 GiB × 0.2 = 30 GiB; a token costs 4096 bytes a layer.
func TestSGLangPoolSplitUnequalLayers(t *testing.T) {
	sc := analysis.Scenario{Weights: weightsBF16, KV: kvBF16}
	base := SGLang{MemFractionStatic: 0.8, AvailableBeforeLoadBytes: 50 << 30, AvailableAfterLoadBytes: 40 << 30, ContextLen: 32768}
	for _, tc := range []struct {
		name           string
		full, sliding  int
		family         string
		wantFull, swa  int64
		wantLogPerPool bool
	}{
		// 34 layers: ⌊30 GiB / 139,264⌋ = 231,303 tokens priced on every
		// layer; full = ⌊231,303 × 34 / (0.8 × 29 + 5)⌋ = 278,875 and the
		// sliding pool ⌊0.8 × 278,875⌋ = 223,100.
		{"5 full + 29 sliding", 5, 29, "", 278875, 223100, true},
		// 24 layers: 327,680 tokens priced on every layer; full =
		// ⌊327,680 × 24 / (0.8 × 4 + 20)⌋ = 338,979, sliding 271,183.
		{"20 full + 4 sliding", 20, 4, "", 338979, 271183, true},
		// Gemma 3: one pool, every layer at full context.
		{"gemma3 turns the split off", 5, 29, "gemma3", 231303, 0, false},
		{"gpt-oss turns the split off", 5, 29, "gpt_oss", 231303, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.Family = tc.family
			m := hybridModel(tc.full, tc.sliding, 1024)
			for i := range m.Layers {
				m.Layers[i].Attn.KVHeads, m.Layers[i].Attn.HeadDim, m.Layers[i].Attn.VHeadDim = 4, 256, 256
			}
			e, err := p.Estimate(m, sc, fleet("x", 80<<30, 1))
			if err != nil {
				t.Fatal(err)
			}
			if e.KVCacheTokens != tc.wantFull || e.SlidingTokens != tc.swa {
				t.Errorf("SGLang.Estimate(%s, family %q) pools = %d full, %d sliding; want %d, %d", m.Name, tc.family, e.KVCacheTokens, e.SlidingTokens, tc.wantFull, tc.swa)
			}
			if got := strings.Count(strings.Join(e.LogLines, "\n"), "KV Cache is allocated"); (got == 2) != tc.wantLogPerPool {
				t.Errorf("SGLang.Estimate(%s) logs %d KV pools:\n%s", m.Name, got, strings.Join(e.LogLines, "\n"))
			}
		})
	}
}

// TestSGLangRequestPoolCap checks the request pool's bounds: 512 requests
// per context of tokens, never below 2048 nor above 4096.
func TestSGLangRequestPoolCap(t *testing.T) {
	for _, tc := range []struct{ tokens, ctx, want int64 }{
		{46611, 131072, 2048},     // the QwQ-32B log: 182 by the formula, raised to 2048
		{8192 * 4, 8192, 2048},    // 2048 exactly
		{8192*4 + 16, 8192, 2049}, // just above the floor
		{8192 * 8, 8192, 4096},    // the cap exactly
		{8192 * 100, 8192, 4096},  // far above the cap
		{1_000_000, 0, 2048},      // no context: the floor
	} {
		if got := SGLangMaxRunningRequests(tc.tokens, tc.ctx); got != tc.want {
			t.Errorf("SGLangMaxRunningRequests(%d tokens, context %d) = %d, want %d", tc.tokens, tc.ctx, got, tc.want)
		}
	}
}

// TestSGLangVisionFactor checks adjust_mem_fraction_for_vlm on known
// encoders: a ViT-L/14 (24 × 1024) keeps 0.95; SigLIP-so400m (27 × 1152)
// is 1.424 × as complex: 0.95 × (1 − 0.0424); a huge tower clamps at 0.8.
func TestSGLangVisionFactor(t *testing.T) {
	for _, tc := range []struct {
		layers, hidden int64
		want           float64
	}{
		{24, 1024, 0.95},
		{27, 1152, 0.95 * (1 - 0.1*(27*1152*1152/(24*1024*1024.0)-1))},
		{64, 4096, 0.95 * 0.8},
		{12, 768, 0.95 * 1.05},
	} {
		if got := SGLangVisionFactor(tc.layers, tc.hidden); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("SGLangVisionFactor(%d, %d) = %g, want %g", tc.layers, tc.hidden, got, tc.want)
		}
	}
}

// TestNoStartWithoutReason checks, over engines, models and memory sizes
// from nothing to plenty, that an estimate without tokens for a model with
// a cache always says why the engine would not start.
func TestNoStartWithoutReason(t *testing.T) {
	sc := analysis.Scenario{Weights: weightsBF16, KV: kvBF16, Overhead: analysis.SimpleOverhead{FixedBytes: 1 << 30}}
	models := []*analysis.Model{llama3_8b(), hybridModel(5, 29, 1024), mlaModel(8)}
	for _, name := range []string{"vllm", "vllm@0.10", "sglang", "simple"} {
		prof, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range models {
			m.MaxContext = 8192
			for _, gb := range []int64{0, 1, 8, 15, 16, 17, 18, 20, 24, 80} {
				f := fleet("x", gb<<30+1, 1)
				e, err := prof.Estimate(m, sc, f, Accelerator{}, Settings{})
				if err != nil {
					continue // an impossible setting is an error, not an estimate
				}
				if e.KVCacheTokens == 0 && strings.TrimSpace(e.StartupError) == "" {
					t.Errorf("%s on %s with %d GiB: 0 tokens and no reason", name, m.Name, gb)
				}
				if e.StartupError != "" && e.KVCacheTokens != 0 {
					t.Errorf("%s on %s with %d GiB: %d tokens but would not start: %s", name, m.Name, gb, e.KVCacheTokens, e.StartupError)
				}
			}
		}
	}
}

// TestSGLangQwen3MoELogLine checks SGLang's pool line on a TP-4 MoE start-
// up: Qwen3-235B-A22B-FP8 on 4 × H100, --mem-fraction-static 0.93, from
// github.com/vllm-project/vllm/issues/21348: "KV Cache is allocated.
// #tokens: 367404, K size: 8.23 GB, V size: 8.23 GB". 94 layers, 4 KV heads
// of 128 (one a rank): (367404 + 1) × 94 × 128 × 2 bytes = 8.23 GiB each.
// The log gives no free-memory figures, so the test takes the smallest
// memory after loading that reaches the logged token count and checks the
// line SGLang prints for it.
func TestSGLangQwen3MoELogLine(t *testing.T) {
	m := &analysis.Model{Name: "qwen3-235b-a22b", VocabSize: 151936, Hidden: 4096, NormsPerLayer: 2, FinalNorm: true, MaxContext: 40960}
	for range 94 {
		m.Layers = append(m.Layers, analysis.Layer{Kind: analysis.FullAttention,
			Attn: analysis.Attention{Heads: 64, KVHeads: 4, HeadDim: 128, VHeadDim: 128, QKNorm: true},
			FFN:  analysis.FFN{Gated: true, Experts: 128, TopK: 8, ExpertIntermediate: 1536}})
	}
	const want = 367404
	estimate := func(post int64) Estimate {
		p := SGLang{MemFractionStatic: 0.93, AvailableBeforeLoadBytes: gibBytes(78.0), AvailableAfterLoadBytes: post}
		e, err := p.Estimate(m, analysis.Scenario{Weights: weightsBF16, KV: kvBF16}, fleet("4x-h100", gibBytes(79.19), 4))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	post := smallestBytes(gibBytes(10), gibBytes(40), want, func(b int64) int64 { return estimate(b).KVCacheTokens })
	e := estimate(post)
	line := "KV Cache is allocated. #tokens: 367404, K size: 8.23 GB, V size: 8.23 GB"
	if e.KVCacheTokens != want || len(e.LogLines) == 0 || e.LogLines[0] != line {
		t.Errorf("SGLang.Estimate(qwen3-235b tp4) = %d tokens, logs %q; want %d and %q", e.KVCacheTokens, e.LogLines, want, line)
	}
}

// TestNoCacheReasonSaysWhatHelps: when the model alone fills the GPU, vLLM's
// refusal points at more GPUs or a smaller format, not at a utilization
// setting no value of which would help; when a higher setting would make
// room, it says so.
func TestNoCacheReasonSaysWhatHelps(t *testing.T) {
	sc := analysis.Scenario{Weights: weightsBF16, KV: kvBF16}
	prof, err := Lookup("vllm@0.19")
	if err != nil {
		t.Fatal(err)
	}
	m := llama3_8b() // about 15 GiB of bf16 weights
	m.MaxContext = 8192
	for _, tc := range []struct {
		gib  int64
		util float64
		want string
	}{
		{12, 0.9, "split the model over more GPUs or use a smaller weight format"},
		{80, 0.15, "raise gpu_memory_utilization"},
	} {
		e, err := prof.Estimate(m, sc, fleet("x", tc.gib<<30, 1), Accelerator{}, Settings{GPUMemoryUtilization: tc.util})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.StartupError, tc.want) {
			t.Errorf("%d GiB at %g: StartupError = %q, want it to say %q", tc.gib, tc.util, e.StartupError, tc.want)
		}
	}
}
