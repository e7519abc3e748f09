package checkpoint

import (
	"fmt"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// Tensor names as published checkpoints store them (the family in each
// comment), with the class kvplot counts them in.
func TestClassify(t *testing.T) {
	const (
		emb, head, attn, mlp  = "embeddings", "lm_head", "attention", "mlp"
		exp, shared, router   = "experts", "shared_experts", "router"
		norms, mamba, vision  = "norms", "mamba", "vision"
		unclassified, skipped = "unclassified", "not loaded"
	)
	tests := []struct{ name, want string }{
		// Llama / Qwen / Mistral, and their quantized companions.
		{"model.embed_tokens.weight", emb},
		{"lm_head.weight", head},
		{"model.norm.weight", norms},
		{"model.layers.0.input_layernorm.weight", norms},
		{"model.layers.0.post_attention_layernorm.weight", norms},
		{"model.layers.0.self_attn.q_proj.weight", attn},
		{"model.layers.0.self_attn.q_proj.bias", attn},
		{"model.layers.0.self_attn.q_norm.weight", attn},           // Qwen3 QK-norm
		{"model.layers.0.self_attn.q_proj.qweight", attn},          // AWQ / GPTQ
		{"model.layers.0.self_attn.q_proj.g_idx", attn},            // GPTQ
		{"model.layers.0.self_attn.k_proj.weight_scale_inv", attn}, // fp8 block scales
		{"model.layers.0.self_attn.k_proj.weight_packed", attn},    // compressed-tensors
		{"model.layers.0.mlp.down_proj.weight", mlp},
		{"model.layers.0.mlp.down_proj.scales", mlp},
		{"model.layers.0.mlp.down_proj.weight.absmax", mlp},                        // bitsandbytes nf4
		{"model.layers.0.mlp.down_proj.weight.quant_state.bitsandbytes__nf4", mlp}, // bitsandbytes nf4
		{"lm_head.weight.quant_map", head},
		{"model.layers.0.self_attn.rotary_emb.inv_freq", skipped},
		// GPT-2, GPT-NeoX, Falcon, Phi-2, InternLM2, ChatGLM, EXAONE.
		{"wte.weight", emb},
		{"h.0.attn.c_attn.weight", attn},
		{"h.0.attn.c_attn.bias", attn},
		{"h.0.attn.bias", skipped}, // [1, 1, 1024, 1024] causal mask in GPT-2's model.safetensors
		{"h.0.attn.masked_bias", skipped},
		{"h.0.ln_1.weight", norms},
		{"h.0.mlp.c_fc.bias", mlp},
		{"ln_f.bias", norms},
		{"gpt_neox.embed_in.weight", emb},
		{"embed_out.weight", head},
		{"transformer.word_embeddings.weight", emb},
		{"transformer.h.0.self_attention.query_key_value.weight", attn},
		{"transformer.h.0.mlp.dense_h_to_4h.weight", mlp},
		{"transformer.h.0.ln_attn.weight", norms},
		{"model.layers.0.self_attn.dense.weight", attn},
		{"model.final_layernorm.weight", norms},
		{"lm_head.bias", head},
		{"model.tok_embeddings.weight", emb},
		{"model.layers.0.attention.wqkv.weight", attn},
		{"model.layers.0.attention_norm.weight", norms},
		{"model.layers.0.feed_forward.w2.weight", mlp},
		{"output.weight", head},
		{"transformer.embedding.word_embeddings.weight", emb},
		{"transformer.encoder.layers.0.self_attention.dense.weight", attn},
		{"transformer.encoder.final_layernorm.weight", norms},
		{"transformer.output_layer.weight", head},
		{"transformer.rotary_pos_emb.inv_freq", skipped},
		{"transformer.h.0.attn.attention.q_proj.weight", attn},
		// MoE: Mixtral, Qwen2-MoE, DeepSeek-V3, gpt-oss, Llama 4, DBRX, GraniteMoE, ERNIE 4.5.
		{"model.layers.0.block_sparse_moe.experts.7.w1.weight", exp},
		{"model.layers.0.block_sparse_moe.gate.weight", router},
		{"model.layers.0.mlp.shared_expert.gate_proj.weight", shared},
		{"model.layers.0.mlp.shared_expert_gate.weight", router},
		{"model.layers.3.mlp.experts.255.down_proj.weight_scale_inv", exp},
		{"model.layers.3.mlp.gate.e_score_correction_bias", router},
		{"model.layers.3.mlp.shared_experts.up_proj.weight", shared},
		{"model.layers.0.self_attn.kv_a_layernorm.weight", attn}, // MLA
		{"model.layers.0.self_attn.sinks", attn},                 // gpt-oss
		{"model.layers.0.mlp.experts.gate_up_proj_blocks", exp},  // mxfp4
		{"model.layers.0.mlp.experts.gate_up_proj_scales", exp},
		{"model.layers.0.mlp.router.bias", router},
		{"language_model.model.layers.0.feed_forward.experts.gate_up_proj", exp},
		{"language_model.model.layers.0.feed_forward.router.weight", router},
		{"language_model.model.layers.0.feed_forward.shared_expert.down_proj.weight", shared},
		{"language_model.model.layers.1.feed_forward.up_proj.weight", mlp},
		{"language_model.lm_head.weight", head},
		{"transformer.blocks.0.ffn.experts.mlp.w1", exp},
		{"transformer.blocks.0.ffn.router.layer.weight", router},
		{"transformer.blocks.0.norm_attn_norm.attn.Wqkv.weight", attn},
		{"transformer.blocks.0.norm_attn_norm.norm_1.weight", norms},
		{"model.layers.0.block_sparse_moe.input_linear.weight", exp},
		{"model.layers.0.block_sparse_moe.router.layer.weight", router},
		{"model.layers.0.shared_mlp.output_linear.weight", shared},
		{"model.layers.1.mlp.moe_statics.e_score_correction_bias", router},
		// State-space and hybrid: Mamba, Jamba, Nemotron-H, Falcon-H1, Qwen3-Next.
		{"backbone.embeddings.weight", emb},
		{"backbone.layers.0.mixer.A_log", mamba},
		{"backbone.layers.0.mixer.norm.weight", mamba},
		{"backbone.layers.0.norm.weight", norms},
		{"backbone.norm_f.weight", norms},
		{"backbone.layers.1.mixer.q_proj.weight", attn},
		{"backbone.layers.2.mixer.down_proj.weight", mlp},
		{"backbone.layers.3.mixer.experts.5.up_proj.weight", exp},
		{"backbone.layers.3.mixer.gate.weight", router},
		{"backbone.layers.3.mixer.shared_experts.down_proj.weight", shared},
		{"model.layers.0.mamba.dt_layernorm.weight", mamba},
		{"model.layers.0.mamba.conv1d.bias", mamba},
		{"model.layers.1.feed_forward.experts.0.gate_proj.weight", exp},
		{"model.layers.0.linear_attn.in_proj_qkvz.weight", mamba},
		{"model.layers.0.linear_attn.norm.weight", mamba},
		// Vision towers and projectors.
		{"vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight", vision},
		{"model.visual.blocks.0.attn.qkv.weight", vision},
		{"visual.merger.mlp.0.weight", vision},
		{"multi_modal_projector.linear_1.weight", vision},
		{"model.multi_modal_projector.mm_input_projection_weight", vision},
		{"vision_model.patch_embedding.linear.weight", vision},
		{"mlp1.1.weight", vision},
		{"image_newline", vision}, // LLaVA-Next: a bare parameter
		{"model.image_newline", vision},
		// Not loaded: MTP modules and layers beyond num_hidden_layers (4 here).
		{"model.layers.4.eh_proj.weight", skipped},
		{"model.layers.4.shared_head.head.weight", skipped},
		{"mtp.fc.weight", skipped},
		{"model.mtp_layers.0.input_proj.weight", skipped},
		{"model.mtp_block.0.self_attn.q_proj.weight", skipped},
		// Unknown blocks stay unclassified.
		{"model.layers.0.altup.correction_coefs.weight", unclassified},
		{"model.per_layer_projection.weight", unclassified},
		{"audio_tower.layers.0.fc1.weight", unclassified},
	}
	for _, tc := range tests {
		p := Classify(tc.name, 4)
		got := p.Class.String()
		switch {
		case p.NotLoaded != "":
			got = skipped
		case p.Unclassified:
			got = unclassified
		}
		if got != tc.want {
			t.Errorf("Classify(%q) = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// Without a layer count every layer is taken as loaded.
func TestClassifyUnknownLayerCount(t *testing.T) {
	if p := Classify("model.layers.61.mlp.down_proj.weight", 0); p.NotLoaded != "" || p.Class != analysis.MLPWeights {
		t.Errorf("Classify(layer 61, unknown count) = %+v, want mlp", p)
	}
	want := fmt.Sprintf(reasonLayerFmt, 61)
	if p := Classify("model.layers.61.mlp.down_proj.weight", 61); p.NotLoaded != want {
		t.Errorf("Classify(layer 61 of 61) = %+v, want not loaded: %s", p, want)
	}
}
