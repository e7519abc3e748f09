package main

import (
	"strings"
	"testing"
)

const badDir = "../../internal/spec/testdata/bad/"

// TestBadInputCLI runs bad spec sets through the command: each must exit 1
// with the problem as file:line:col: field: message on stderr, and nothing
// on stderr may look like a Go internal (a panic, a type name).
func TestBadInputCLI(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"unknown accelerator", []string{"validate", "--specs", badDir + "fleet-unknown-accelerator/spec"},
			[]string{badDir + `fleet-unknown-accelerator/spec/fleets.yaml:3:18: fleets[0].accelerator: unknown accelerator "h100-smx" (did you mean "h100-sxm"?)`}},
		{"size without a known unit", []string{"validate", "--specs", badDir + "accel-bad-units/spec"},
			[]string{`accelerators.yaml:4:13: accelerators[0].memory: "80 GBs": unknown unit "GBs" (did you mean "GB"?)`,
				`accelerators.yaml:8:13: accelerators[1].memory: 24 has no unit: write e.g. "24 GB"`}},
		{"empty spec directory", []string{"validate", "--specs", badDir + "dir-empty/spec"},
			[]string{"dir-empty/spec: spec directory is empty"}},
		{"unknown references in site.yaml", []string{"validate", "--specs", badDir + "site-unknown-references/spec"},
			[]string{`site.yaml:1:16: models[1]: unknown model "tinny" (did you mean "tiny"?)`, `site.yaml:2:16: heatmap_fleet: unknown fleet "1x-h10" (did you mean "1x-h100"?)`}},
		{"all problems of a directory at once", []string{"validate", "--specs", badDir + "dir-one-bad-model-among-good/spec"},
			[]string{"models/bad.yaml:7:24: architecture.num_key_value_heads: must divide the attention heads (8), got 3",
				"models/worse.json:1:24: syntax error: invalid character '}' looking for beginning of object key string"}},
		{"report on a bad directory", []string{"report", "--specs", badDir + "fleet-bad-numbers/spec"},
			[]string{"fleets.yaml:8:9: fleets[1].tp: must be at least 1, got -2"}},
		{"spec path is a file", []string{"validate", "--specs", badDir + "empty-file/model.yaml"},
			[]string{"model.yaml: not a directory"}},
		{"calc on a bad model file", []string{"calc", "--model", badDir + "kv-heads-not-dividing/model.yaml", "--specs", "../../specs/seed"},
			[]string{"kv-heads-not-dividing/model.yaml:7:24: architecture.num_key_value_heads: must divide the attention heads (8), got 3"}},
		{"calc on a YAML syntax error", []string{"calc", "--model", badDir + "yaml-syntax-indent/model.yaml", "--specs", "../../specs/seed"},
			[]string{"yaml-syntax-indent/model.yaml:4:4: syntax error: mapping values are not allowed in this context"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := runKVPlot(tc.args...)
			if code != 1 {
				t.Errorf("kvplot %v exit = %d, want 1\nstderr:\n%s", tc.args, code, errs)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(errs, want) {
					t.Errorf("kvplot %v stderr:\n%s\nwant it to contain %q", tc.args, errs, want)
				}
			}
			for _, bad := range []string{"panic", "goroutine", "spec.Problem", "*errors.", "yaml: line", "yaml: unmarshal"} {
				if strings.Contains(errs, bad) {
					t.Errorf("kvplot %v stderr shows internals (%q):\n%s", tc.args, bad, errs)
				}
			}
		})
	}
}
