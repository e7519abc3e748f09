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
	out, errs, code := runKVPlot(append([]string{"calc", "--specs", "../../specs/seed", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("kvplot calc %v: exit %d: %s", args, code, errs)
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	e, ok := doc["engine"].(map[string]any)
	if !ok {
		t.Fatalf("no engine object in\n%s", out)
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

// TestCalcEngineProfiles checks that profiling engines charge activations
// and non-torch memory, and that each engine names itself.
func TestCalcEngineProfiles(t *testing.T) {
	for _, engine := range []string{"vllm", "sglang"} {
		t.Run(engine+" charges its reserves", func(t *testing.T) {
			e := calcEngineJSON(t, "--model", hfDir+"llama-3-8b.config.json", "--gpu", "h100-80gb", "--tp", "2", "--engine", engine, "--max-model-len", "8192")
			if e["name"] != engine {
				t.Errorf("engine.name = %v, want %s", e["name"], engine)
			}
			for _, k := range []string{"activation_bytes", "non_torch_bytes", "available_kv_bytes", "kv_cache_tokens", "max_model_len_estimate"} {
				n, ok := e[k].(json.Number)
				if v, err := n.Int64(); !ok || err != nil || v <= 0 {
					t.Errorf("engine.%s = %v, want a positive integer", k, e[k])
				}
			}
			if c, err := e["max_concurrency"].(json.Number).Float64(); err != nil || c <= 0 {
				t.Errorf("engine.max_concurrency = %v, want a positive number", e["max_concurrency"])
			}
		})
	}
}

// TestCalcEngineSimpleUnchanged checks that the default engine adds nothing.
func TestCalcEngineSimpleUnchanged(t *testing.T) {
	args := []string{"calc", "--model", hfDir + "llama-3-8b.config.json", "--specs", "../../specs/seed", "--gpu-memory", "79.19GiB", "--json"}
	plain, _, _ := runKVPlot(args...)
	simple, _, _ := runKVPlot(append(args, "--engine", "simple")...)
	if plain != simple {
		t.Errorf("--engine simple changed the output:\n%s\nwant\n%s", simple, plain)
	}
	if strings.Contains(plain, `"engine"`) {
		t.Errorf("default output has an engine object:\n%s", plain)
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
