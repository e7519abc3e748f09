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
