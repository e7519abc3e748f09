package engine_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/engine"
	"github.com/kvplot/kvplot/internal/spec"
)

// TestVLLM019EndToEnd predicts test-half start-ups from the model spec
// alone, as `kvplot calc --engine vllm` does: kvplot's own weight count
// (not the logged one), the settings of the log and an unnamed 79.19 GiB
// accelerator. Tokens must land within 1 % of the log.
func TestVLLM019EndToEnd(t *testing.T) {
	b, err := os.ReadFile("testdata/vllm-0.19-h100.json")
	if err != nil {
		t.Fatal(err)
	}
	var logs []struct {
		ID, Split            string
		SourceURL            string `json:"source_url"`
		TP                   int64
		GPUMemoryUtilization float64 `json:"gpu_memory_utilization"`
		MaxModelLen          int64   `json:"max_model_len"`
		Reported             struct {
			WeightsGiB float64 `json:"weights_gib"`
			Tokens     int64   `json:"kv_cache_tokens"`
		}
	}
	if err := json.Unmarshal(b, &logs); err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	for i, l := range logs {
		byID[l.ID] = i
	}
	kv, _ := analysis.LookupKVDType("bf16")
	for _, tc := range []struct {
		log, model, weightDType string
	}{
		// The catalog's gpt-oss-20b states its MXFP4 experts.
		{"gpt-oss-20b-tp2", "../../specs/models/gpt-oss-20b.yaml", ""},
		// RedHatAI's FP8-dynamic and W8A8 checkpoints of Qwen2.5-7B-Instruct:
		// 8-bit linear layers, 16-bit embeddings and head.
		{"qwen2.5-7b-fp8dyn-tp1", "../../specs/hf/qwen2.5-7b.config.json", "fp8"},
		{"qwen2.5-7b-w8a8-tp1", "../../specs/hf/qwen2.5-7b.config.json", "int8"},
	} {
		t.Run(tc.log, func(t *testing.T) {
			l := logs[byID[tc.log]]
			if l.ID != tc.log || l.Split != "test" {
				t.Fatalf("log %s is not a test-half log of testdata/vllm-0.19-h100.json", tc.log)
			}
			m, err := spec.LoadModel(tc.model)
			if err != nil {
				t.Fatal(err)
			}
			set := spec.DefaultSettings()
			set.WeightDType, set.KVDType = tc.weightDType, kv
			sc := spec.ScenarioFor(m, set)
			prof, err := engine.Lookup("vllm")
			if err != nil {
				t.Fatal(err)
			}
			f := analysis.Fleet{Name: "custom", CapacityBytes: int64(math.Round(79.19 * (1 << 30))), Count: l.TP, TP: l.TP, PP: 1}
			e, err := prof.Estimate(&m.Arch, sc, f, engine.Accelerator{}, engine.Settings{GPUMemoryUtilization: l.GPUMemoryUtilization, MaxModelLen: l.MaxModelLen})
			if err != nil {
				t.Fatal(err)
			}
			rel := float64(e.KVCacheTokens-l.Reported.Tokens) / float64(l.Reported.Tokens)
			t.Logf("tokens %d vs %d (%+.2f%%); weights %.2f vs %.2f GiB logged", e.KVCacheTokens, l.Reported.Tokens, 100*rel,
				float64(e.WeightsBytes)/(1<<30), l.Reported.WeightsGiB)
			if math.Abs(rel) > 0.01 {
				t.Errorf("vllm@0.19 %s: %d tokens, want %d ± 1%% (%s)", tc.log, e.KVCacheTokens, l.Reported.Tokens, l.SourceURL)
			}
		})
	}
}
