package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const hfDir = "../../internal/spec/testdata/hf/"

func runKVPlot(args ...string) (stdout, stderr string, code int) {
	var out, errw bytes.Buffer
	code = exitCode(run(args, &out, &errw), &errw)
	return out.String(), errw.String(), code
}

// TestCalcJSONContract checks the documented JSON fields, their nesting and
// integer types, and their values on a published config.
func TestCalcJSONContract(t *testing.T) {
	out, errs, code := runKVPlot("calc", "--model", hfDir+"llama-3-8b.config.json", "--specs", "../../specs/seed",
		"--gpu-memory", "79.19GiB", "--kv-dtype", "bf16", "--batch", "4", "--context", "8192", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	get := func(path string) any {
		var v any = doc
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	}
	capacity := int64(85029615043) // 79.19 × 2^30 = 85,029,615,042.56, rounded
	weights := int64(8030261248 * 2)
	activation := 2 * weights // the seed spec set's simple policy: 2 × weights
	budget := capacity - weights - activation
	want := map[string]int64{
		"params.total":            8030261248, // Meta-Llama-3-8B model card
		"params.active":           8030261248,
		"weights_bytes":           weights,
		"kv_bytes_per_token":      131072,
		"kv_bytes":                131072 * 8192 * 4,
		"per_gpu.capacity_bytes":  capacity,
		"per_gpu.weights_bytes":   weights,
		"per_gpu.kv_budget_bytes": budget,
		// Meta-Llama-3-8B's config: max_position_embeddings 8192. Memory
		// holds more, so the model's limit decides.
		"model_max_context_tokens": 8192,
		"max_context_tokens":       8192,
		"kv_capacity_tokens":       budget / (131072 * 4),
		"max_concurrency":          budget / (131072 * 8192),
		"max_concurrency_total":    budget / (131072 * 8192),
		"layout.tp":                1,
		"layout.replicas":          1,
	}
	if budget/(131072*4) <= 8192 {
		t.Fatalf("the test needs memory for more than 8,192 tokens, budget holds %d", budget/(131072*4))
	}
	if got := get("max_context_limited_by"); got != "model" {
		t.Errorf("max_context_limited_by = %v, want \"model\"", got)
	}
	if got := get("layout.chosen"); got != false {
		t.Errorf("layout.chosen = %v, want false (one accelerator, nothing to choose)", got)
	}
	for path, w := range want {
		v, ok := get(path).(json.Number)
		if !ok {
			t.Errorf("%s = %v (%T), want integer %d", path, get(path), get(path), w)
			continue
		}
		n, err := v.Int64()
		if err != nil {
			t.Errorf("%s = %s, not an integer", path, v)
		} else if n != w {
			t.Errorf("%s = %d, want %d", path, n, w)
		}
	}
}

func TestCalcWithoutAccelerator(t *testing.T) {
	out, errs, code := runKVPlot("calc", "--model", hfDir+"deepseek-v3.config.json", "--specs", "../../specs/seed", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"per_gpu", "max_context_tokens", "max_concurrency"} {
		if _, ok := doc[k]; ok {
			t.Errorf("field %s present without an accelerator", k)
		}
	}
	if got := doc["params"].(map[string]any)["total"].(float64); got != 671026419200 {
		t.Errorf("params.total = %v, want 671026419200", got)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command is usage", nil, 2, "no command"},
		{"unknown command is usage", []string{"frobnicate"}, 2, "unknown command"},
		{"help exits 0", []string{"calc", "--help"}, 0, ""},
		{"unknown flag is usage", []string{"calc", "--modle", "x"}, 2, "unknown flag"},
		{"missing model is usage", []string{"calc"}, 2, "--model is required"},
		{"bad size unit is usage", []string{"calc", "--model", hfDir + "llama-2-7b.config.json", "--gpu-memory", "80 GBs", "--specs", "../../specs/seed"}, 2, "unknown unit"},
		{"unknown model is bad input", []string{"calc", "--model", "no-such-model", "--specs", "../../specs/seed"}, 1, "unknown model"},
		{"missing spec dir is bad input", []string{"validate", "--specs", "/nonexistent/specs"}, 1, "no such file"},
		{"seed specs validate", []string{"validate", "--specs", "../../specs/seed"}, 0, ""},
		{"a cache beyond int64 is refused, not saturated", []string{"calc", "--model", "llama-3.1-405b", "--specs", "../../specs", "--context", "4294967296", "--batch", "1048576"}, 2, "more than 8 EiB"},
		{"misspelt model gets a suggestion", []string{"calc", "--model", "qwen25-7b", "--specs", "../../specs"}, 1, `did you mean "qwen2.5-7b"?`},
		{"tp not dividing heads is bad input", []string{"calc", "--model", "qwen2.5-7b", "--specs", "../../specs", "--gpu", "h100-sxm", "--tp", "8"}, 1, "tp 8 does not divide the 28 attention heads"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := runKVPlot(tc.args...)
			if code != tc.code {
				t.Errorf("kvplot %v exit = %d, want %d (stderr %q)", tc.args, code, tc.code, errs)
			}
			if !strings.Contains(errs, tc.stderr) {
				t.Errorf("kvplot %v stderr = %q, want it to mention %q", tc.args, errs, tc.stderr)
			}
		})
	}
}

// TestHelp: --help prints the command's usage and flags to stdout and
// nothing to stderr; a bad flag prints one line and a pointer to help.
func TestHelp(t *testing.T) {
	out, errs, code := runKVPlot("calc", "--help")
	if code != 0 || errs != "" || !strings.HasPrefix(out, "Usage: kvplot calc --model") || !strings.Contains(out, "--kv-dtype") {
		t.Errorf("calc --help: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	_, errs, code = runKVPlot("build", "--outt", "x")
	if want := "kvplot: build: unknown flag: --outt\nRun 'kvplot help' for usage.\n"; code != 2 || errs != want {
		t.Errorf("build --outt: exit %d, stderr %q; want 2, %q", code, errs, want)
	}
}

// TestUnknownFamilyRefusedOrForced: a config of a model_type kvplot has no
// rules for is refused with exit 1, naming the field, the value and the way
// out; --family reads it by a known family's rules and says so.
func TestUnknownFamilyRefusedOrForced(t *testing.T) {
	cfg := t.TempDir() + "/config.json"
	data := `{"model_type": "llamalike", "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32,
	"num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336}`
	if err := os.WriteFile(cfg, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runKVPlot("calc", "--model", cfg)
	if code != 1 || out != "" {
		t.Fatalf("unknown family: exit %d, stdout %q; want exit 1 and nothing printed", code, out)
	}
	for _, want := range []string{"config.json:1:16: model_type:", `"llamalike"`, "--family", "llama, "} {
		if !strings.Contains(errs, want) {
			t.Errorf("refusal %q does not contain %q", errs, want)
		}
	}
	if n := strings.Count(strings.TrimSpace(errs), "\n"); n != 0 {
		t.Errorf("refusal is %d lines, want one: %q", n+1, errs)
	}
	out, errs, code = runKVPlot("calc", "--model", cfg, "--family", "llama")
	if code != 0 {
		t.Fatalf("--family llama: exit %d: %s", code, errs)
	}
	// This is Mistral 7B v0.1's shape: its published count is 7,241,732,096
	// (https://huggingface.co/mistralai/Mistral-7B-v0.1).
	for _, want := range []string{"family           llama (forced by --family)", "7,241,732,096 total", "tie_word_embeddings = false"} {
		if !strings.Contains(out, want) {
			t.Errorf("--family output lacks %q:\n%s", want, out)
		}
	}
	if _, errs, code = runKVPlot("calc", "--model", cfg, "--family", "nosuch"); code != 1 || !strings.Contains(errs, `"nosuch" is not a family`) {
		t.Errorf("--family nosuch: exit %d, %q; want exit 1 naming it", code, errs)
	}
}
