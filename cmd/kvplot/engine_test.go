package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// calcEngineJSON runs calc with args and returns its engine object.
func calcEngineJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	e, ok := calcJSONIn(t, "../../specs/seed", args...)["engine"].(map[string]any)
	if !ok {
		t.Fatalf("kvplot calc %v: no engine object", args)
	}
	return e
}

// TestCalcEngineJSON checks the engine fields of calc --json. With
// --kv-cache-memory the cache is known exactly: Meta-Llama-3-8B has 32
// layers × 8 KV heads × 128 × 2 (K and V) × 2 bytes = 128 KiB a token, so
// 16 GiB is 8192 blocks of 16 tokens: 131,072 tokens, 16 requests of 8192.
func TestCalcEngineJSON(t *testing.T) {
	e := calcEngineJSON(t, "--model", hfDir+"llama-3-8b.config.json", "--gpu-memory", "79.25GiB", "--kv-dtype", "bf16",
		"--engine", "vllm", "--max-model-len", "8192", "--kv-cache-memory", "16GiB")
	want := map[string]int64{
		"kv_cache_tokens":        131072,
		"num_blocks":             8192,
		"available_kv_bytes":     16 << 30,
		"max_model_len":          8192,
		"block_size":             16,
		"max_model_len_estimate": 8192,
	}
	for k, w := range want {
		n, ok := e[k].(json.Number)
		if !ok {
			t.Errorf("engine.%s = %v (%T), want integer %d", k, e[k], e[k], w)
			continue
		}
		if got, err := n.Int64(); err != nil || got != w {
			t.Errorf("engine.%s = %s, want %d", k, n, w)
		}
	}
	if e["name"] != "vllm" {
		t.Errorf("engine.name = %v, want vllm", e["name"])
	}
	if c, _ := e["max_concurrency"].(json.Number).Float64(); c != 16 {
		t.Errorf("engine.max_concurrency = %v, want 16", e["max_concurrency"])
	}
	lines, _ := e["log_lines"].([]any)
	wantLines := []any{
		"Available KV cache memory: 16.00 GiB",
		"GPU KV cache size: 131,072 tokens",
		"Maximum concurrency for 8,192 tokens per request: 16.00x",
	}
	if len(lines) != len(wantLines) {
		t.Fatalf("engine.log_lines = %v, want %v", lines, wantLines)
	}
	for i := range lines {
		if lines[i] != wantLines[i] {
			t.Errorf("engine.log_lines[%d] = %q, want %q", i, lines[i], wantLines[i])
		}
	}
}

// jsonInt reads an integer field of a decoded calc --json object.
func jsonInt(t *testing.T, obj map[string]any, k string) int64 {
	t.Helper()
	n, ok := obj[k].(json.Number)
	v, err := n.Int64()
	if !ok || err != nil {
		t.Fatalf("%s = %v (%T), want an integer", k, obj[k], obj[k])
	}
	return v
}

// TestCalcEngineProfiles checks the profiling engines' budgets for
// Meta-Llama-3-8B on two H100s (TP 2) against their documented arithmetic,
// from the architecture: one rank holds 4 of the 8 KV heads, so a token
// costs 32 layers × 4 heads × 128 × 2 (K, V) × 2 bytes = 65,536 bytes.
func TestCalcEngineProfiles(t *testing.T) {
	const perToken = 65536
	capacity := int64(80) << 30 // h100-80gb's runtime capacity in specs/seed
	// Weights on one rank: half of the 8,030,261,248 parameters (Meta's
	// count) but the 65 × 4096 norm weights every rank keeps, in bf16.
	const total, norms = 8_030_261_248, 65 * 4096
	wantWeights := int64(2 * ((total-norms)/2 + norms))
	t.Run("vllm", func(t *testing.T) {
		e := calcEngineJSON(t, "--model", hfDir+"llama-3-8b.config.json", "--gpu", "h100-80gb", "--tp", "2", "--engine", "vllm", "--max-model-len", "8192")
		if e["name"] != "vllm" {
			t.Errorf("engine.name = %v, want vllm", e["name"])
		}
		budget, weights := jsonInt(t, e, "budget_bytes"), jsonInt(t, e, "weights_bytes")
		act, nonTorch, avail := jsonInt(t, e, "activation_bytes"), jsonInt(t, e, "non_torch_bytes"), jsonInt(t, e, "available_kv_bytes")
		if want := int64(float64(capacity) * 0.9); budget != want {
			t.Errorf("budget_bytes = %d, want 0.9 × capacity = %d", budget, want)
		}
		if weights != wantWeights {
			t.Errorf("weights_bytes = %d, want %d", weights, wantWeights)
		}
		if act <= 0 || act >= budget-weights {
			t.Errorf("activation_bytes = %d, want a reserve between 0 and what the weights leave", act)
		}
		if avail != budget-weights-act-nonTorch {
			t.Errorf("available_kv_bytes = %d, want budget − weights − activation − non-torch = %d", avail, budget-weights-act-nonTorch)
		}
		blocks := avail / (16 * perToken)
		if got := jsonInt(t, e, "num_blocks"); got != blocks {
			t.Errorf("num_blocks = %d, want ⌊%d / (16 × %d)⌋ = %d", got, avail, perToken, blocks)
		}
		if got := jsonInt(t, e, "kv_cache_tokens"); got != 16*blocks {
			t.Errorf("kv_cache_tokens = %d, want %d", got, 16*blocks)
		}
		if c, _ := e["max_concurrency"].(json.Number).Float64(); math.Abs(c-float64(16*blocks)/8192) > 1e-9 {
			t.Errorf("max_concurrency = %v, want %v", c, float64(16*blocks)/8192)
		}
	})
	t.Run("sglang", func(t *testing.T) {
		e := calcEngineJSON(t, "--model", hfDir+"llama-3-8b.config.json", "--gpu", "h100-80gb", "--tp", "2", "--engine", "sglang", "--max-model-len", "8192")
		if e["name"] != "sglang" {
			t.Errorf("engine.name = %v, want sglang", e["name"])
		}
		// CUDA context 600 MiB and NCCL 0.13 GiB when TP > 1.
		if got, want := jsonInt(t, e, "non_torch_bytes"), int64(600<<20+139586437); got != want {
			t.Errorf("non_torch_bytes = %d, want %d", got, want)
		}
		if got := jsonInt(t, e, "weights_bytes"); got != wantWeights {
			t.Errorf("weights_bytes = %d, want %d", got, wantWeights)
		}
		avail := jsonInt(t, e, "available_kv_bytes")
		if got, want := jsonInt(t, e, "kv_cache_tokens"), avail/perToken; got != want {
			t.Errorf("kv_cache_tokens = %d, want ⌊%d / %d⌋ = %d", got, avail, perToken, want)
		}
	})
}

// TestCalcEngineSimpleUnchanged checks that the default engine adds
// nothing: both runs succeed, print the same figures, and those figures are
// Llama-3-8B's (128 KiB of bf16 KV cache a token).
func TestCalcEngineSimpleUnchanged(t *testing.T) {
	args := []string{"calc", "--model", hfDir + "llama-3-8b.config.json", "--specs", "../../specs/seed", "--gpu-memory", "79.19GiB", "--json"}
	plain, errs, code := runKVPlot(args...)
	if code != 0 {
		t.Fatalf("kvplot %v: exit %d: %s", args, code, errs)
	}
	simple, errs, code := runKVPlot(append(args, "--engine", "simple")...)
	if code != 0 {
		t.Fatalf("kvplot --engine simple: exit %d: %s", code, errs)
	}
	if plain != simple {
		t.Errorf("--engine simple changed the output:\n%s\nwant\n%s", simple, plain)
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(plain))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, plain)
	}
	if _, ok := doc["engine"]; ok {
		t.Errorf("default output has an engine object:\n%s", plain)
	}
	if got := jsonInt(t, doc, "kv_bytes_per_token"); got != 131072 {
		t.Errorf("kv_bytes_per_token = %d, want 131072", got)
	}
}

func TestCalcEngineUsage(t *testing.T) {
	model := hfDir + "llama-3-8b.config.json"
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown engine", []string{"--engine", "tgi"}, `unknown engine "tgi"`},
		{"newer vllm refused with the reason", []string{"--gpu-memory", "80GiB", "--engine", "vllm@0.21"}, "subtract their CUDA-graph memory estimate"},
		{"unmodelled older vllm refused", []string{"--gpu-memory", "80GiB", "--engine", "vllm@0.8"}, "kvplot models vllm@0.19, vllm@0.10"},
		{"empty version", []string{"--gpu-memory", "80GiB", "--engine", "sglang@"}, "empty version"},
		{"engine settings need an engine", []string{"--gpu-memory", "80GiB", "--gpu-memory-utilization", "0.8"}, "needs --engine"},
		{"kv cache memory is vllm's", []string{"--gpu-memory", "80GiB", "--engine", "sglang", "--kv-cache-memory", "10GiB"}, "needs --engine vllm"},
		{"utilization above 1", []string{"--gpu-memory", "80GiB", "--engine", "vllm", "--gpu-memory-utilization", "1.2"}, "at most 1"},
		{"engine needs a gpu", []string{"--engine", "vllm"}, "needs --fleet, --gpu or --gpu-memory"},
		{"bad kv cache size", []string{"--gpu-memory", "80GiB", "--engine", "vllm", "--kv-cache-memory", "10"}, "no unit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"calc", "--model", model, "--specs", "../../specs/seed"}, tc.args...)
			_, errs, code := runKVPlot(args...)
			if code != 2 || !strings.Contains(errs, tc.stderr) {
				t.Errorf("kvplot %v = exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, errs, tc.stderr)
			}
		})
	}
}

// TestCalcEngineVersion checks that the engine object names the version it
// followed, that a bare engine name is the newest modelled version, and
// that the held-back check's command line (a config path, --gpu-memory
// without --gpu, explicit --gpus/--tp/--pp) works and says what it assumed.
func TestCalcEngineVersion(t *testing.T) {
	base := []string{"--model", hfDir + "llama-3-8b.config.json", "--gpu-memory", "79.19GiB", "--gpus", "2", "--tp", "2", "--pp", "1",
		"--gpu-memory-utilization", "0.95", "--max-model-len", "8192", "--kv-dtype", "fp8", "--weight-dtype", "bf16"}
	for _, tc := range []struct{ engine, profile, version string }{
		{"vllm", "vllm@0.19", "0.19"},
		{"vllm@0.19.0", "vllm@0.19", "0.19"},
		{"vllm@0.10", "vllm@0.10", "0.10"},
		{"sglang", "sglang@0.5", "0.5"},
	} {
		t.Run(tc.engine, func(t *testing.T) {
			e := calcEngineJSON(t, append(base, "--engine", tc.engine)...)
			if e["profile"] != tc.profile || e["version"] != tc.version {
				t.Errorf("--engine %s: engine.profile, .version = %v, %v; want %s, %s", tc.engine, e["profile"], e["version"], tc.profile, tc.version)
			}
		})
	}
	newest := calcEngineJSON(t, append(base, "--engine", "vllm")...)
	old := calcEngineJSON(t, append(base, "--engine", "vllm@0.10")...)
	if newest["kv_cache_tokens"] == old["kv_cache_tokens"] {
		t.Errorf("vllm@0.19 and vllm@0.10 give the same %v tokens at TP 2; 0.19 holds ≈2 GiB more non-torch memory", newest["kv_cache_tokens"])
	}
	if a, _ := newest["assumptions"].([]any); len(a) == 0 {
		t.Errorf("an unnamed accelerator's SM count is assumed but engine.assumptions is empty")
	}
}

// TestCalcEngineRefusesUnreadQuantization checks that an engine estimate
// for a quantized checkpoint is never built on 16-bit weights: a config
// whose quantization_config kvplot did not turn into a quantized weight
// scheme is refused with the field named, and --weight-dtype or a spec
// that states the format (the catalog's gpt-oss-120b: MXFP4 experts) is
// accepted.
func TestCalcEngineRefusesUnreadQuantization(t *testing.T) {
	args := []string{"calc", "--specs", "../../specs", "--gpu-memory", "79.19GiB", "--gpus", "4", "--tp", "4", "--engine", "vllm", "--max-model-len", "8192"}
	if _, errs, code := runKVPlot(append(args, "--model", "../../specs/hf/gpt-oss-120b.config.json")...); code == 0 {
		// Read as quantized by the spec reader: then the weights must not be 16-bit.
		e := calcEngineJSON(t, append(args[1:], "--model", "../../specs/hf/gpt-oss-120b.config.json")...)
		if w := numberOf(e["weights_bytes"]); !(w < 40<<30) {
			t.Errorf("gpt-oss-120b config accepted with %.1f GiB of weights a GPU at TP 4; its MXFP4 experts make it ≈17 GiB", w/(1<<30))
		}
	} else if !strings.Contains(errs, "quantization_config.quant_method") {
		t.Errorf("gpt-oss-120b config: exit %d, stderr %q; want the quantization_config named", code, errs)
	}
	e := calcEngineJSON(t, append(args[1:], "--model", "gpt-oss-120b")...)
	if w := numberOf(e["weights_bytes"]); !(w >= 10<<30 && w <= 20<<30) {
		t.Errorf("catalog gpt-oss-120b at TP 4: %.1f GiB of weights a GPU, want the MXFP4 size (≈17 GiB)", w/(1<<30))
	}
}

// numberOf is a decoded JSON number as a float64, NaN if it is not one.
func numberOf(v any) float64 {
	n, ok := v.(json.Number)
	if !ok {
		return math.NaN()
	}
	f, err := n.Float64()
	if err != nil {
		return math.NaN()
	}
	return f
}

// TestCalcKVDTypeAuto checks --kv-dtype auto, vLLM's default: the model's
// own 16- or 32-bit dtype, bf16 under quantized weights.
func TestCalcKVDTypeAuto(t *testing.T) {
	for _, tc := range []struct {
		weights, want string
	}{{"", "bf16"}, {"fp32", "fp32"}, {"fp8", "bf16"}, {"fp16", "fp16"}} {
		args := []string{"calc", "--model", hfDir + "llama-3-8b.config.json", "--specs", "../../specs/seed", "--kv-dtype", "auto", "--json"}
		if tc.weights != "" {
			args = append(args, "--weight-dtype", tc.weights)
		}
		out, errs, code := runKVPlot(args...)
		if code != 0 {
			t.Fatalf("kvplot %v: exit %d: %s", args, code, errs)
		}
		var doc struct {
			KVDType string `json:"kv_dtype"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.KVDType != tc.want {
			t.Errorf("--kv-dtype auto with weights %q: kv_dtype %q, want %q", tc.weights, doc.KVDType, tc.want)
		}
	}
}
