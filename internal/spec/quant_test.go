package spec

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQuantizedConfigStoredBytes reads published configs with a
// quantization_config and checks the weight bytes against the checkpoint's
// own byte count.
func TestQuantizedConfigStoredBytes(t *testing.T) {
	for _, tc := range []struct {
		file string
		want int64
		how  string
	}{
		// openai/gpt-oss-20b model.safetensors.index.json metadata.total_size
		// (https://huggingface.co/openai/gpt-oss-20b/blob/main/model.safetensors.index.json):
		// bf16 attention, router, embeddings and head; mxfp4 expert blocks and scales.
		{"hf/gpt-oss-20b-hub.config.json", 13_761_264_768, "quantization_config mxfp4: experts mxfp4; the rest bf16"},
		// his0si/EXAONE-4.0-1.2B @12a8c5b2 models/submit_c_qmod_w8a8: one
		// model.safetensors of 1,490,219,184 bytes (Git LFS pointer) = 8 +
		// a 62,120-byte header + 1,490,157,056 bytes of tensors: int8 weights,
		// bf16 per-channel scales, no input scales (dynamic), tied head.
		{"families/his0si--exaone-4.0-1.2b-w8a8-submit.config.json", 1_490_157_056,
			"quantization_config compressed-tensors: attention, mlp compressed-tensors int8 per-channel; the rest bf16"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, err := LoadModel(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Weights.Bytes(m.Arch.Params().ByClass); got != tc.want {
				t.Errorf("stored bytes = %d, want %d (index.json total_size)", got, tc.want)
			}
			if m.WeightsFrom != tc.how {
				t.Errorf("WeightsFrom = %q, want %q", m.WeightsFrom, tc.how)
			}
		})
	}
}

// TestQuantizationRules pins what each method quantizes, on a small
// Mixtral-shaped config: which classes, and which modules stay 16-bit.
func TestQuantizationRules(t *testing.T) {
	const base = `{"model_type": "mixtral", "vocab_size": 1024, "hidden_size": 512, "num_hidden_layers": 2,
	"num_attention_heads": 8, "num_key_value_heads": 2, "intermediate_size": 1024, "num_local_experts": 4,
	"num_experts_per_tok": 2, "torch_dtype": "bfloat16", "quantization_config": %s}`
	for _, tc := range []struct {
		name, qc string
		how      string
	}{
		{"awq skips the router it is told to", `{"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": true, "version": "gemm", "modules_to_not_convert": ["gate"]}`,
			"quantization_config awq: attention, experts awq int4 g128; the rest bf16"},
		{"gptq with lm_head", `{"quant_method": "gptq", "bits": 8, "group_size": -1, "desc_act": true, "lm_head": true}`,
			"quantization_config gptq: lm_head, attention, experts gptq int8 per-channel; the rest bf16"},
		{"fp8 block, attention kept", `{"quant_method": "fp8", "weight_block_size": [128, 128], "modules_to_not_convert": ["model.layers.*.self_attn"]}`,
			"quantization_config fp8: experts fp8 block 128×128; the rest bf16"},
		{"compressed-tensors w8a8 ignoring the head and gates", `{"quant_method": "compressed-tensors", "format": "int-quantized", "ignore": ["lm_head", "re:.*block_sparse_moe.gate$"],
			"config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 8, "type": "int", "strategy": "channel", "symmetric": true}, "input_activations": {"num_bits": 8, "type": "int", "strategy": "token", "dynamic": true}}}}`,
			"quantization_config compressed-tensors: attention, experts compressed-tensors int8 per-channel; the rest bf16"},
		{"bitsandbytes quantizes the gate Linear", `{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_use_double_quant": true}`,
			"quantization_config bitsandbytes: attention, experts, router bnb 4-bit; the rest bf16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(base, "%s", tc.qc, 1)
			m, err := ParseModel("config.json", []byte(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.WeightsFrom != tc.how {
				t.Errorf("WeightsFrom = %q\n                want %q", m.WeightsFrom, tc.how)
			}
			p := m.Arch.Params()
			if q, plain := m.Weights.Bytes(p.ByClass), 2*p.Total; q >= plain {
				t.Errorf("quantized weights %d bytes, not below bf16's %d", q, plain)
			}
		})
	}
}

// TestCompressedTensorsW4A16StoredHead: the W4A16 export of the same
// EXAONE-4.0-1.2B (model/: 1,390,692,528 bytes = 8 + 85,384 + 1,390,607,136)
// stores lm_head as its own bf16 tensor although the config says the head
// is tied; kvplot's figure from the config is exactly that one matrix less.
func TestCompressedTensorsW4A16StoredHead(t *testing.T) {
	m, err := LoadModel(filepath.Join("testdata", "families", "his0si--exaone-4.0-1.2b-w4a16-model.config.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Weights.Bytes(m.Arch.Params().ByClass)
	head := 2 * m.Arch.VocabSize * m.Arch.Hidden
	if want := int64(1_390_607_136) - head; got != want {
		t.Errorf("stored bytes = %d, want %d (file data %d less a bf16 %d × %d head)", got, want, 1_390_607_136, m.Arch.VocabSize, m.Arch.Hidden)
	}
}
