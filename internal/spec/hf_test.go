package spec

import (
	"path/filepath"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// Official figures from each maker's model card / checkpoint metadata, as
// collected in shared/configs/README.md; configs from each model's
// config.json on the Hugging Face Hub (e.g.
// https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json).
var officialConfigs = []struct {
	file          string
	params        int64
	kvBytesPerTok int64 // bf16, all layers, short context
}{
	{"llama-2-7b.config.json", 6_738_415_616, 524_288},
	{"llama-3-8b.config.json", 8_030_261_248, 131_072},
	{"mistral-7b-v0.1.config.json", 7_241_732_096, 131_072},
	{"mixtral-8x7b-v0.1.config.json", 46_702_792_704, 131_072},
	{"qwen2.5-7b.config.json", 7_615_616_512, 57_344},
	{"gemma-2-9b.config.json", 9_241_705_984, 344_064},
	{"deepseek-v3.config.json", 671_026_419_200, 70_272},
	{"gpt-oss-20b.config.json", 20_914_757_184, 49_152},
}

func TestOfficialConfigs(t *testing.T) {
	bf16, _ := analysis.LookupKVDType("bf16")
	for _, c := range officialConfigs {
		t.Run(c.file, func(t *testing.T) {
			m, err := LoadModel(filepath.Join("testdata", "hf", c.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Arch.Params().Total; got != c.params {
				t.Errorf("Params(%s).Total = %d, want %d (off by %d)", c.file, got, c.params, got-c.params)
			}
			if got := m.Arch.KVBytesPerToken(bf16); got != c.kvBytesPerTok {
				t.Errorf("KVBytesPerToken(%s) = %d, want %d", c.file, got, c.kvBytesPerTok)
			}
		})
	}
}

// TestHybridStateBytes checks the fixed per-sequence state of hybrid
// models. Nemotron-3-Nano: 23 Mamba-2 layers, d_inner 64 heads × 64 = 4096,
// 8 groups of state 128, conv kernel 4: conv (4096 + 2·8·128) × 3 in bf16
// and an fp32 SSM state (mamba_ssm_cache_dtype) of 4096 × 128 — 2,134,016
// bytes a layer. Qwen3-Next: 36 gated delta-net layers, 16 key heads and 32
// value heads of 128, kernel 4: conv (2·2048 + 4096) × 3 and recurrent
// 32 × 128 × 128, in bf16 — 1,097,728 bytes a layer.
func TestHybridStateBytes(t *testing.T) {
	bf16, _ := analysis.LookupKVDType("bf16")
	for _, c := range []struct {
		file string
		want int64
	}{
		{"nemotron-3-nano-30b-a3b.config.json", 23 * 2_134_016},
		{"qwen3-next-80b-a3b-thinking.config.json", 36 * 1_097_728},
	} {
		m, err := LoadModel(filepath.Join("..", "..", "specs", "hf", c.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Arch.StateBytesPerSequence(bf16); got != c.want {
			t.Errorf("StateBytesPerSequence(%s) = %d, want %d", c.file, got, c.want)
		}
	}
}
