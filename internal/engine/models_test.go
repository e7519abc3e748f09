package engine

import "github.com/kvplot/kvplot/internal/analysis"

// Architectures of the models in testdata/vllm-0.19-h100.json, from each
// model's config.json on the Hugging Face Hub
// (https://huggingface.co/<model>/blob/main/config.json; for multimodal
// models its text_config). Only what the cache layout and vLLM's profile
// run depend on is filled in: the vLLM tests pass the logged weights, so
// parameter details (norms, biases) do not matter; the vision encoder is
// marked, not sized.

type archSpec struct {
	vocab, hidden, layers, heads, kvHeads, headDim int64
	inter                                          int64
	plainMLP                                       bool
	// sliding: window of the sliding layers; slidingEvery > 0: every
	// slidingEvery-th layer (1-based) is full, the others slide; -1: even
	// layers (0-based) slide.
	window, fullEvery int64
	// chunked: window is an attention chunk instead of a sliding window.
	chunked bool
	// MoE.
	experts, topK, expertInter, shared, sharedInter int64
	firstDense                                      int
	// MLA.
	kvLora, ropeDim, nopeDim, vDim int64
	vision                         bool
	maxContext                     int64
}

func (a archSpec) model(name string) *analysis.Model {
	m := &analysis.Model{Name: name, VocabSize: a.vocab, Hidden: a.hidden, NormsPerLayer: 2, FinalNorm: true, MaxContext: a.maxContext}
	if a.vision {
		m.Vision = &analysis.VisionEncoder{Hidden: 1152, Layers: 27, Intermediate: 4304, PatchSize: 14, ImageSize: 896, Channels: 3}
	}
	for i := range a.layers {
		l := analysis.Layer{Kind: analysis.FullAttention,
			Attn: analysis.Attention{Heads: a.heads, KVHeads: a.kvHeads, HeadDim: a.headDim, VHeadDim: a.headDim},
			FFN:  analysis.FFN{Intermediate: a.inter, Gated: !a.plainMLP}}
		if a.kvLora > 0 {
			l = analysis.Layer{Kind: analysis.MLAAttention,
				MLA: analysis.MLA{Heads: a.heads, KVLoraRank: a.kvLora, QKNopeHeadDim: a.nopeDim, QKRopeHeadDim: a.ropeDim, VHeadDim: a.vDim},
				FFN: l.FFN}
		}
		if a.window > 0 {
			slide := i%2 == 0
			if a.fullEvery > 0 {
				slide = (i+1)%a.fullEvery != 0
			}
			if slide {
				l.Kind, l.Window = analysis.SlidingAttention, a.window
				if a.chunked {
					l.Kind = analysis.ChunkedAttention
				}
			}
		}
		if a.experts > 0 && int(i) >= a.firstDense {
			l.FFN = analysis.FFN{Gated: true, Experts: a.experts, TopK: a.topK, ExpertIntermediate: a.expertInter,
				SharedExperts: a.shared, SharedIntermediate: a.sharedInter}
		}
		m.Layers = append(m.Layers, l)
	}
	return m
}

// logArchs maps a log's model to its architecture.
var logArchs = map[string]archSpec{
	// https://huggingface.co/codellama/CodeLlama-7b-hf/blob/main/config.json
	"codellama/CodeLlama-7b-hf": {vocab: 32016, hidden: 4096, layers: 32, heads: 32, kvHeads: 32, headDim: 128, inter: 11008, maxContext: 16384},
	// https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct/blob/main/config.json (the RedHatAI quantizations keep it)
	"RedHatAI/Llama-3.3-70B-Instruct-fp8-dynamic":    llama70b,
	"redhatai/Llama-3.3-70B-Instruct-quantized.w8a8": llama70b,
	// https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/config.json
	"RedHatAI/Qwen2.5-7B-Instruct-fp8-dynamic":    qwen25_7b,
	"RedHatAI/Qwen2.5-7B-Instruct-quantized.w8a8": qwen25_7b,
	// https://huggingface.co/google/gemma-2-2b-it/blob/main/config.json
	"google/gemma-2-2b-it": {vocab: 256000, hidden: 2304, layers: 26, heads: 8, kvHeads: 4, headDim: 256, inter: 9216, window: 4096, maxContext: 8192},
	// https://huggingface.co/google/gemma-3-12b-it/blob/main/config.json: sliding_window 1024, every 6th layer global
	"google/gemma-3-12b-it": {vocab: 262208, hidden: 3840, layers: 48, heads: 16, kvHeads: 8, headDim: 256, inter: 15360, window: 1024, fullEvery: 6, vision: true, maxContext: 131072},
	// https://huggingface.co/google/gemma-3-4b-it/blob/main/config.json
	"google/gemma-3-4b-it": {vocab: 262208, hidden: 2560, layers: 34, heads: 8, kvHeads: 4, headDim: 256, inter: 10240, window: 1024, fullEvery: 6, vision: true, maxContext: 131072},
	// https://huggingface.co/google/gemma-7b/blob/main/config.json
	"google/gemma-7b": {vocab: 256000, hidden: 3072, layers: 28, heads: 16, kvHeads: 16, headDim: 256, inter: 24576, maxContext: 8192},
	// https://huggingface.co/ibm-granite/granite-3.1-2b-instruct/blob/main/config.json
	"ibm-granite/granite-3.1-2b-instruct": {vocab: 49155, hidden: 2048, layers: 40, heads: 32, kvHeads: 8, headDim: 64, inter: 8192, maxContext: 131072},
	// https://huggingface.co/ibm-granite/granite-3.1-8b-instruct/blob/main/config.json
	"ibm-granite/granite-3.1-8b-instruct": granite8b,
	// https://huggingface.co/ibm-granite/granite-3.3-8b-instruct/blob/main/config.json
	"ibm-granite/granite-3.3-8b-instruct": granite8b,
	// https://huggingface.co/ibm-granite/granite-vision-3.3-2b/blob/main/config.json (granite text model, SigLIP encoder)
	"ibm-granite/granite-vision-3.3-2b": {vocab: 49156, hidden: 2048, layers: 40, heads: 32, kvHeads: 8, headDim: 64, inter: 8192, vision: true, maxContext: 131072},
	// https://huggingface.co/meta-llama/Llama-4-Scout-17B-16E-Instruct/blob/main/config.json:
	// attention_chunk_size 8192 on three layers of four, 16 experts top 1 and one shared expert
	"meta-llama/Llama-4-Scout-17B-16E-Instruct": {vocab: 202048, hidden: 5120, layers: 48, heads: 40, kvHeads: 8, headDim: 128, window: 8192, fullEvery: 4, chunked: true,
		experts: 16, topK: 1, expertInter: 8192, shared: 1, sharedInter: 8192, vision: true, maxContext: 10485760},
	// https://huggingface.co/microsoft/phi-2/blob/main/config.json
	"microsoft/phi-2": {vocab: 51200, hidden: 2560, layers: 32, heads: 32, kvHeads: 32, headDim: 80, inter: 10240, plainMLP: true, maxContext: 2048},
	// https://huggingface.co/microsoft/phi-4/blob/main/config.json
	"microsoft/phi-4": {vocab: 100352, hidden: 5120, layers: 40, heads: 40, kvHeads: 10, headDim: 128, inter: 17920, maxContext: 16384},
	// https://huggingface.co/mistralai/Mistral-Small-3.1-24B-Instruct-2503/blob/main/config.json
	"mistralai/Mistral-Small-3.1-24B-Instruct-2503":               mistralSmall,
	"RedHatAI/Mistral-Small-3.1-24B-Instruct-2503-quantized.w8a8": mistralSmall,
	// https://huggingface.co/moonshotai/Kimi-Dev-72B/blob/main/config.json (Qwen2.5-72B)
	"moonshotai/Kimi-Dev-72B": {vocab: 152064, hidden: 8192, layers: 80, heads: 64, kvHeads: 8, headDim: 128, inter: 29568, maxContext: 131072},
	// https://huggingface.co/moonshotai/Kimi-VL-A3B-Instruct/blob/main/config.json (DeepSeek-V3 text model)
	"moonshotai/Kimi-VL-A3B-Instruct": {vocab: 163840, hidden: 2048, layers: 27, heads: 16, inter: 11264, experts: 64, topK: 6, expertInter: 1408, shared: 2, sharedInter: 1408, firstDense: 1,
		kvLora: 512, ropeDim: 64, nopeDim: 128, vDim: 128, vision: true, maxContext: 131072},
	// https://huggingface.co/Qwen/Qwen1.5-MoE-A2.7B/blob/main/config.json: one shared expert of 5632
	"Qwen/Qwen1.5-MoE-A2.7B": {vocab: 151936, hidden: 2048, layers: 24, heads: 16, kvHeads: 16, headDim: 128, experts: 60, topK: 4, expertInter: 1408, shared: 1, sharedInter: 5632, maxContext: 8192},
	// https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/blob/main/config.json
	"RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16": llama8b,
	"RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w8a8":  llama8b,
	"meta-llama/Llama-3.1-8B-Instruct":                    llama8b,
	// https://huggingface.co/openai/gpt-oss-20b/blob/main/config.json: sliding_window 128 on even layers
	"openai/gpt-oss-20b": {vocab: 201088, hidden: 2880, layers: 24, heads: 64, kvHeads: 8, headDim: 64, window: 128, experts: 32, topK: 4, expertInter: 2880, maxContext: 131072},
}

var (
	llama70b     = archSpec{vocab: 128256, hidden: 8192, layers: 80, heads: 64, kvHeads: 8, headDim: 128, inter: 28672, maxContext: 131072}
	llama8b      = archSpec{vocab: 128256, hidden: 4096, layers: 32, heads: 32, kvHeads: 8, headDim: 128, inter: 14336, maxContext: 131072}
	qwen25_7b    = archSpec{vocab: 152064, hidden: 3584, layers: 28, heads: 28, kvHeads: 4, headDim: 128, inter: 18944, maxContext: 32768}
	granite8b    = archSpec{vocab: 49155, hidden: 4096, layers: 40, heads: 32, kvHeads: 8, headDim: 128, inter: 12800, maxContext: 131072}
	mistralSmall = archSpec{vocab: 131072, hidden: 5120, layers: 40, heads: 32, kvHeads: 8, headDim: 128, inter: 32768, vision: true, maxContext: 131072}
)
