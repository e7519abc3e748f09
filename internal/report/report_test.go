package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/spec"
)

// seedOutput is the Python prototype's own output
// (shared/seed/memory_analysis.output.txt), copied into testdata.
const seedOutput = "testdata/memory_analysis.output.txt"

// TestSeedReproduced checks every line and number of the seed's report
// against `kvplot report --specs specs/seed`. kvplot labels sizes GiB where
// the seed printed GB for the same 2^30-byte unit, and names the detail
// model where the seed said "7B Model"; nothing else may differ.
func TestSeedReproduced(t *testing.T) {
	c, err := spec.LoadCatalog(filepath.Join("..", "..", "specs", "seed"))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Write(&got, c); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(seedOutput)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(s string) []string {
		s = strings.NewReplacer("GiB", "GB", "MiB", "MB", "KiB", "KB", "Llama-2-7B (batch", "7B Model (batch").Replace(s)
		var out []string
		for _, l := range strings.Split(s, "\n") {
			f := strings.Fields(l)
			if len(f) == 0 || strings.Trim(l, "-= ") == "" {
				continue // blank lines and rules (their widths follow the headers)
			}
			out = append(out, strings.Join(f, " "))
		}
		return out
	}
	g, w := norm(got.String()), norm(string(want))
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, gl, wl)
		}
	}
	if t.Failed() {
		t.Logf("full report:\n%s", got.String())
	}
}
