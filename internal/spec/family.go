package spec

import (
	"sort"
	"strings"
)

// family holds what a Hugging Face model_type implies but its config.json
// does not state: the layout and defaults of the architecture's config
// class and modeling code. transformers writes a config.json with only the
// values that differ from the class defaults, so an absent key means the
// default of that family's class, not a universal one.
type family struct {
	// name is the model_type; architectures are the class names that
	// identify the family when a config has no model_type.
	name          string
	architectures []string
	// text names the family whose rules read a nested text_config when it
	// has no model_type of its own (multimodal wrappers).
	text string
	// textKey is the key of the nested language-model config when it is not
	// text_config (InternVL's llm_config).
	textKey string
	// vision names the vision tower of a multimodal wrapper (see visionTowers).
	vision string
	// refused, when set, says why kvplot does not size this family yet: a
	// config of it is refused with this reason instead of guessed.
	refused string

	plainMLP      bool // two matrices (GPT-2, Falcon) instead of gated three
	layerNorm     bool // LayerNorm with bias instead of RMSNorm
	normNoBias    bool // LayerNorm without a bias (Cohere, DBRX)
	normsPerLayer int64
	tied          bool // default of tie_word_embeddings
	qkvBias       bool
	outBias       bool
	mlpBias       bool
	qkNorm        bool // per-head RMSNorm on q and k (head_dim wide)
	qkNormFull    bool // RMSNorm over the whole q and k projections (OLMo 2)
	// qkNormWide: the config's use_qk_norm turns on norms over every head's
	// own weights (Cohere: heads × head_dim wide) rather than one shared
	// head_dim-wide norm (GLM-4.5); qkNormWeightless: its norm has no
	// weights (Llama 4's L2 norm).
	qkNormWide       bool
	qkNormWeightless bool
	// attnBiasQKVOnly: attention_bias adds biases to q, k and v but not to
	// the output projection (GLM).
	attnBiasQKVOnly bool
	// useBias: the config's use_bias puts biases on every linear layer
	// (StarCoder 2, ERNIE 4.5).
	useBias bool
	// scoreBias: MoE routers carry a per-expert score-correction bias
	// whatever topk_method says (GLM-4.5).
	scoreBias bool
	// sharedMLP: a dense MLP of shared_intermediate_size in every layer,
	// beside the experts when there are any (Granite 4.0).
	sharedMLP   bool
	lmHeadBias  bool // the output projection has a bias (Phi-2)
	learnedPos  bool
	sinks       bool
	routerBias  bool
	sharedGate  bool
	routerParam bool // the MoE gate is a bare parameter, not a Linear (DeepSeek): bitsandbytes leaves it alone
	outputGate  bool // gated full attention (Qwen3-Next)
	mamba       bool // every layer a Mamba mixer, no MLP
	// parallelMamba: every layer runs attention and a Mamba-2 mixer side by
	// side on the same input, then an MLP (Falcon-H1).
	parallelMamba bool
	// lightning: linear-attention layers are MiniMax's lightning attention,
	// as wide as the softmax attention (num_attention_heads × head_dim).
	lightning    bool
	defaultFFN4x bool // intermediate defaults to 4 × hidden
	// newDecoder is Falcon's two-norm layout with grouped KV heads.
	newDecoder bool
	// defaults are the config class's values for whole-number fields a
	// config.json may leave out (transformers fills them in when it loads
	// the config).
	defaults map[string]int64
	// nested are fields the family's config keeps in sub-objects, read as
	// the field kvplot knows them by: {"attn_config.kv_n_heads",
	// "num_key_value_heads"} (DBRX).
	nested [][2]string
	// mtp names the field counting multi-token-prediction layers the
	// checkpoint carries but inference does not load; they are not counted.
	mtp string
}

// families is kvplot's table of model families, one entry per model_type.
// A raw config.json is read only when its model_type (or architectures) is
// here; every entry is tested against a real published config.
var families = []family{
	{name: "llama", architectures: []string{"LlamaForCausalLM"}, normsPerLayer: 2},
	{name: "mistral", architectures: []string{"MistralForCausalLM"}, normsPerLayer: 2,
		// MistralConfig defaults sliding_window to 4096: a config without the key
		// slides; Mistral 7B v0.2+ write "sliding_window": null to turn it off.
		defaults: map[string]int64{"sliding_window": 4096}},
	{name: "ministral", architectures: []string{"MinistralForCausalLM"}, normsPerLayer: 2},
	{name: "mixtral", architectures: []string{"MixtralForCausalLM"}, normsPerLayer: 2},
	{name: "qwen2", architectures: []string{"Qwen2ForCausalLM"}, normsPerLayer: 2, qkvBias: true},
	{name: "qwen2_moe", architectures: []string{"Qwen2MoeForCausalLM"}, normsPerLayer: 2, qkvBias: true, sharedGate: true},
	{name: "qwen3", architectures: []string{"Qwen3ForCausalLM"}, normsPerLayer: 2, qkNorm: true},
	{name: "qwen3_moe", architectures: []string{"Qwen3MoeForCausalLM"}, normsPerLayer: 2, qkNorm: true},
	{name: "qwen3_next", architectures: []string{"Qwen3NextForCausalLM"}, normsPerLayer: 2, qkNorm: true, sharedGate: true, outputGate: true, mtp: "num_nextn_predict_layers"},
	{name: "gemma", architectures: []string{"GemmaForCausalLM"}, normsPerLayer: 2, tied: true,
		defaults: map[string]int64{"head_dim": 256}},
	{name: "gemma2", architectures: []string{"Gemma2ForCausalLM"}, normsPerLayer: 4, tied: true},
	{name: "gemma3_text", architectures: []string{"Gemma3ForCausalLM"}, normsPerLayer: 4, tied: true, qkNorm: true, defaults: map[string]int64{
		// transformers' Gemma3TextConfig defaults
		"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
		"num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 131072,
		"sliding_window": 4096, "sliding_window_pattern": 6,
	}},
	{name: "gemma3", architectures: []string{"Gemma3ForConditionalGeneration"}, text: "gemma3_text", vision: "siglip", tied: true},
	{name: "mistral3", architectures: []string{"Mistral3ForConditionalGeneration"}, text: "mistral", vision: "pixtral"},
	// Llama 4: chunked attention on RoPE layers, global NoPE layers, MoE
	// with a shared expert (interleaved by interleave_moe_layer_step), a
	// weightless L2 QK norm.
	{name: "llama4", architectures: []string{"Llama4ForConditionalGeneration"}, text: "llama4_text", vision: "llama4"},
	{name: "llama4_text", architectures: []string{"Llama4ForCausalLM"}, normsPerLayer: 2, qkNormWeightless: true},
	// Kimi-VL: a DeepSeek-V3-style MLA MoE text model (text_config has no
	// model_type) and a MoonViT tower.
	{name: "kimi_vl", architectures: []string{"KimiVLForConditionalGeneration"}, text: "deepseek_v3", vision: "moonvit"},
	// InternVL (remote code, model_type internvl_chat): the language model
	// in llm_config, read by its own model_type; an InternViT tower and an
	// MLP projector over pixel-shuffled patches.
	{name: "internvl_chat", architectures: []string{"InternVLChatModel"}, textKey: "llm_config", vision: "internvit"},
	{name: "internvl", architectures: []string{"InternVLForConditionalGeneration"}, refused: "transformers' native InternVL layout (InternVLVisionConfig's keys) is not mapped yet; kvplot reads the same checkpoints in their remote-code form, model_type internvl_chat (the OpenGVLab repositories)"},
	{name: "qwen2_vl", architectures: []string{"Qwen2VLForConditionalGeneration"}, text: "qwen2_vl_text", vision: "qwen2_vl"},
	{name: "qwen2_vl_text", normsPerLayer: 2, qkvBias: true},
	{name: "qwen2_5_vl", architectures: []string{"Qwen2_5_VLForConditionalGeneration"}, text: "qwen2_5_vl_text", vision: "qwen2_5_vl"},
	{name: "qwen2_5_vl_text", normsPerLayer: 2, qkvBias: true},
	{name: "qwen3_vl", architectures: []string{"Qwen3VLForConditionalGeneration"}, text: "qwen3_vl_text", vision: "qwen3_vl"},
	{name: "qwen3_vl_text", normsPerLayer: 2, qkNorm: true},
	{name: "deepseek_v2", routerParam: true, architectures: []string{"DeepseekV2ForCausalLM"}, normsPerLayer: 2},
	{name: "deepseek_v3", routerParam: true, architectures: []string{"DeepseekV3ForCausalLM"}, normsPerLayer: 2, mtp: "num_nextn_predict_layers"},
	{name: "kimi_k2", routerParam: true, architectures: []string{"KimiK2ForCausalLM"}, normsPerLayer: 2, mtp: "num_nextn_predict_layers"},
	{name: "gpt_oss", architectures: []string{"GptOssForCausalLM"}, normsPerLayer: 2, sinks: true, routerBias: true, mlpBias: true},
	{name: "phi3", architectures: []string{"Phi3ForCausalLM"}, normsPerLayer: 2},
	{name: "phi", architectures: []string{"PhiForCausalLM"}, plainMLP: true, layerNorm: true, normsPerLayer: 1, qkvBias: true, outBias: true, mlpBias: true, lmHeadBias: true},
	{name: "granite", architectures: []string{"GraniteForCausalLM"}, normsPerLayer: 2},
	{name: "olmo2", architectures: []string{"Olmo2ForCausalLM"}, normsPerLayer: 2, qkNormFull: true},
	// OLMoE: pre-norm like Llama, OLMo 2's full-width q and k norms, a
	// mixture of experts in every layer, no shared expert.
	{name: "olmoe", architectures: []string{"OlmoeForCausalLM"}, normsPerLayer: 2, qkNormFull: true},
	// DBRX: d_model/n_heads/n_layers at the top, the rest nested in
	// attn_config and ffn_config; fused Wqkv (counted as q, k and v), no
	// biases, weight-only LayerNorms, 16 GLU experts in every layer.
	{name: "dbrx", architectures: []string{"DbrxForCausalLM"}, normsPerLayer: 2,
		nested: [][2]string{{"attn_config.kv_n_heads", "num_key_value_heads"}, {"ffn_config.ffn_hidden_size", "intermediate_size"},
			{"ffn_config.moe_num_experts", "num_local_experts"}, {"ffn_config.moe_top_k", "num_experts_per_tok"}, {"max_seq_len", "max_position_embeddings"}},
		// DbrxAttentionConfig.kv_n_heads: one KV head when attn_config leaves it out
		defaults: map[string]int64{"num_key_value_heads": 1}},
	// Phi-3.5-MoE: LayerNorms with biases, attention biases and an
	// lm_head bias when the config says so (the class defaults are off),
	// Mixtral-style experts in every layer.
	{name: "phimoe", architectures: []string{"PhiMoEForCausalLM"}, normsPerLayer: 2, layerNorm: true},
	{name: "glm4", architectures: []string{"Glm4ForCausalLM"}, normsPerLayer: 4, qkvBias: true, attnBiasQKVOnly: true},
	{name: "glm4_moe", architectures: []string{"Glm4MoeForCausalLM"}, normsPerLayer: 2, attnBiasQKVOnly: true, scoreBias: true, mtp: "num_nextn_predict_layers"},
	{name: "smollm3", architectures: []string{"SmolLM3ForCausalLM"}, normsPerLayer: 2, tied: true},
	// Cohere: one weight-only LayerNorm per layer (parallel attention and
	// MLP), counted like an RMSNorm.
	{name: "cohere", architectures: []string{"CohereForCausalLM"}, normsPerLayer: 1, tied: true, qkNormWide: true},
	{name: "cohere2", architectures: []string{"Cohere2ForCausalLM"}, normsPerLayer: 1, tied: true, qkNormWide: true},
	{name: "granitemoe", architectures: []string{"GraniteMoeForCausalLM"}, normsPerLayer: 2},
	{name: "granitemoehybrid", architectures: []string{"GraniteMoeHybridForCausalLM"}, normsPerLayer: 2, sharedMLP: true,
		// GraniteMoeHybridConfig defaults for absent keys
		defaults: map[string]int64{"num_local_experts": 8, "num_experts_per_tok": 2, "shared_intermediate_size": 1024,
			"mamba_n_heads": 128, "mamba_n_groups": 1, "mamba_d_state": 256, "mamba_d_conv": 4, "mamba_expand": 2}},
	{name: "exaone", architectures: []string{"ExaoneForCausalLM"}, normsPerLayer: 2},
	// EXAONE 4: post-attention and post-feedforward norms, per-head q/k norms.
	{name: "exaone4", architectures: []string{"Exaone4ForCausalLM"}, normsPerLayer: 2, qkNorm: true},
	{name: "ernie4_5", architectures: []string{"Ernie4_5_ForCausalLM", "Ernie4_5ForCausalLM"}, normsPerLayer: 2, useBias: true},
	// ERNIE 4.5 MoE: moe_* names; MoE layers from moe_layer_start_index to
	// moe_layer_end_index (the last layer when absent), dense before; shared
	// experts fused into one MLP (counted as moe_num_shared_experts experts);
	// a per-expert score-correction bias (moe_statics).
	{name: "ernie4_5_moe", architectures: []string{"Ernie4_5_MoeForCausalLM"}, normsPerLayer: 2, useBias: true, scoreBias: true,
		nested: [][2]string{{"moe_num_experts", "num_local_experts"}, {"moe_k", "num_experts_per_tok"}, {"moe_num_shared_experts", "n_shared_experts"}}},
	{name: "chatglm", architectures: []string{"ChatGLMModel", "ChatGLMForConditionalGeneration"}, normsPerLayer: 2},
	{name: "internlm2", architectures: []string{"InternLM2ForCausalLM"}, normsPerLayer: 2},
	{name: "jamba", architectures: []string{"JambaForCausalLM"}, normsPerLayer: 2},
	{name: "falcon", architectures: []string{"FalconForCausalLM"}, plainMLP: true, layerNorm: true, normsPerLayer: 1, tied: true, defaultFFN4x: true,
		defaults: map[string]int64{"max_position_embeddings": 2048}},
	// Falcon's original remote-code names: RefinedWebModel is the 7B layout,
	// RefinedWeb the 40B/180B one (transformers maps it to new_decoder_architecture).
	{name: "RefinedWebModel", architectures: []string{"RWForCausalLM"}, plainMLP: true, layerNorm: true, normsPerLayer: 1, tied: true, defaultFFN4x: true,
		defaults: map[string]int64{"max_position_embeddings": 2048}},
	{name: "RefinedWeb", plainMLP: true, layerNorm: true, normsPerLayer: 2, tied: true, defaultFFN4x: true, newDecoder: true,
		defaults: map[string]int64{"max_position_embeddings": 2048}},
	{name: "gpt2", architectures: []string{"GPT2LMHeadModel"}, plainMLP: true, layerNorm: true, normsPerLayer: 2, tied: true, qkvBias: true, outBias: true, mlpBias: true, learnedPos: true, defaultFFN4x: true},
	{name: "gpt_neox", architectures: []string{"GPTNeoXForCausalLM"}, plainMLP: true, layerNorm: true, normsPerLayer: 2, qkvBias: true, outBias: true, mlpBias: true},
	{name: "opt", architectures: []string{"OPTForCausalLM"}, plainMLP: true, layerNorm: true, normsPerLayer: 2, tied: true, qkvBias: true, outBias: true, mlpBias: true, learnedPos: true},
	{name: "starcoder2", architectures: []string{"Starcoder2ForCausalLM"}, plainMLP: true, layerNorm: true, normsPerLayer: 2, tied: true, qkvBias: true, outBias: true, mlpBias: true, useBias: true},
	{name: "falcon_mamba", architectures: []string{"FalconMambaForCausalLM"}, normsPerLayer: 1, tied: true, mamba: true},
	// Mamba-2 in transformers' format: every layer a Mamba-2 mixer
	// (num_heads × head_dim = expand × hidden_size), no MLP.
	{name: "mamba2", architectures: []string{"Mamba2ForCausalLM"}, normsPerLayer: 1, mamba: true},
	{name: "mamba", architectures: []string{"MambaForCausalLM"}, normsPerLayer: 1, tied: true, mamba: true},
	{name: "mistral3_text", normsPerLayer: 2},
	// MiniMax: lightning (linear) attention layers with a fixed float32
	// state and softmax attention layers, chosen by attn_type_list (0
	// lightning, 1 softmax) in the remote-code configs or layer_types in
	// transformers' own; a mixture of experts in every layer.
	{name: "minimax_m1", architectures: []string{"MiniMaxM1ForCausalLM"}, normsPerLayer: 2, lightning: true},
	{name: "minimax_text_01", architectures: []string{"MiniMaxText01ForCausalLM"}, normsPerLayer: 2, lightning: true},
	{name: "minimax", architectures: []string{"MiniMaxForCausalLM"}, normsPerLayer: 2, lightning: true},
	{name: "qwen", architectures: []string{"QWenLMHeadModel"}, refused: "first-generation Qwen remote code (transformer.h layout, kv_channels and seq_length names, Qwen-VL's own visual tower) is not mapped, and no exact published count is at hand to check a rule against"},
	{name: "molmo", architectures: []string{"MolmoForCausalLM"}, refused: "Molmo's remote-code layout (fused attention and MLP projections, a CLIP-style tower with image pooling) is not mapped yet"},
	{name: "minimax_m2", architectures: []string{"MiniMaxM2ForCausalLM"}, refused: "MiniMax-M2 is a different architecture from MiniMax-Text-01/M1 (softmax attention in every layer with QK norms over all heads, a sigmoid router with score-correction bias, multi-token-prediction modules) and kvplot has no published config and exact count to check its rule against"},
	// Falcon-H1: attention and a Mamba-2 mixer in parallel in every layer,
	// then a gated MLP; input and pre-feed-forward RMSNorms; untied.
	{name: "falcon_h1", architectures: []string{"FalconH1ForCausalLM"}, normsPerLayer: 2, parallelMamba: true,
		// FalconH1Config defaults that agree across transformers versions
		defaults: map[string]int64{"mamba_n_groups": 1, "mamba_d_conv": 4, "mamba_expand": 2}},
	{name: "nemotron_h", architectures: []string{"NemotronHForCausalLM"}, normsPerLayer: 1, plainMLP: true, mtp: "num_nextn_predict_layers"},
}

// familyIndex maps model_type and architecture class names to their entry.
var familyIndex, architectureIndex = func() (map[string]*family, map[string]*family) {
	byType, byArch := map[string]*family{}, map[string]*family{}
	for i := range families {
		f := &families[i]
		if _, dup := byType[f.name]; dup {
			panic("spec: family listed twice: " + f.name)
		}
		byType[f.name] = f
		for _, a := range f.architectures {
			byArch[a] = f
		}
	}
	return byType, byArch
}()

// lookupFamily returns the family of a model_type.
func lookupFamily(modelType string) (*family, bool) {
	f, ok := familyIndex[modelType]
	return f, ok
}

// FamilyNames lists the model_types kvplot reads (refused ones excluded), sorted.
func FamilyNames() []string {
	var out []string
	for _, f := range families {
		if f.refused == "" {
			out = append(out, f.name)
		}
	}
	sort.Strings(out)
	return out
}

// IsFamily reports whether name is a model_type kvplot reads.
func IsFamily(name string) bool {
	f, ok := lookupFamily(name)
	return ok && f.refused == ""
}

// familyList is the supported families for a message, shortened.
func familyList() string {
	names := FamilyNames()
	return strings.Join(names, ", ")
}
