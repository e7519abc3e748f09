package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenOutput pins the text kvplot prints for the default catalog, so
// any change to a number shows up in review as a diff of testdata/*.golden.
func TestGoldenOutput(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"calc-llama-3-8b-h100", []string{"calc", "--specs", defaultSpecs, "--model", "llama-3-8b", "--fleet", "1x-h100", "--batch", "8", "--context", "32768"}},
		{"calc-deepseek-v3-json", []string{"calc", "--specs", defaultSpecs, "--model", "deepseek-v3", "--fleet", "8x-h200", "--context", "131072", "--json"}},
		{"calc-gemma-3-no-gpu", []string{"calc", "--specs", defaultSpecs, "--model", "gemma-3-4b-it", "--context", "131072"}},
		{"calc-qwen3-next-fp8", []string{"calc", "--specs", defaultSpecs, "--model", "qwen3-next-80b-a3b-thinking", "--gpu", "h100-sxm", "--gpus", "2", "--kv-dtype", "fp8"}},
		{"report-default", []string{"report", "--specs", defaultSpecs}},
		{"report-seed", []string{"report", "--specs", "../../specs/seed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runKVPlot(tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run make golden)", err)
			}
			if out != string(want) {
				t.Errorf("kvplot %v output differs from %s:\n%s", tc.args, golden, out)
			}
		})
	}
}
