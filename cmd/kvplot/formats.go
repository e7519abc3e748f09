package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/spec"
)

// unreadQuantization refuses an engine estimate for a Hugging Face config
// whose checkpoint is quantized (a quantization_config with a
// quant_method) when the model was read with every tensor in 16 or more
// bits: the engine's budget would be built on weights sized as if
// unquantized. It says
// nothing when the spec reader understood the quantization or when
// --weight-dtype chose the format.
func unreadQuantization(m spec.Model, w analysis.WeightScheme, weightDTypeGiven bool) error {
	if weightDTypeGiven || m.ConfigFile == "" && m.File == "" {
		return nil
	}
	for _, c := range analysis.TensorClasses() {
		if w.For(c).Bits < 16 {
			return nil
		}
	}
	for _, path := range []string{m.ConfigFile, m.File} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var cfg struct {
			Quant *struct {
				Method string `json:"quant_method"`
			} `json:"quantization_config"`
			Text *struct {
				Quant *struct {
					Method string `json:"quant_method"`
				} `json:"quantization_config"`
			} `json:"text_config"`
		}
		if json.Unmarshal(b, &cfg) != nil {
			continue
		}
		q := cfg.Quant
		if q == nil && cfg.Text != nil {
			q = cfg.Text.Quant
		}
		if q != nil {
			return fmt.Errorf("%s: quantization_config.quant_method: the checkpoint is quantized (%q) but was read as %s weights; give --weight-dtype for its stored format, or use a model spec that states it, rather than get %s-sized weights",
				path, q.Method, w.Default.Name, w.Default.Name)
		}
	}
	return nil
}

// autoKVDType resolves --kv-dtype auto as vLLM does: the KV cache takes the
// model's dtype, which is the weights' format when it is 16 or 32 bits
// (the --weight-dtype given, or the checkpoint's), and bf16 for quantized
// weights, whose activations run in 16 bits. Other names pass through.
func autoKVDType(name string, m spec.Model, weightDType string) string {
	if name != "auto" {
		return name
	}
	d := m.Weights.Default
	if weightDType != "" {
		d, _ = analysis.LookupDType(weightDType)
	}
	if d.Bits >= 16 && d.GroupSize == 0 {
		return d.Name
	}
	return "bf16"
}
