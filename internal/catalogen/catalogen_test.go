package catalogen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvplot/kvplot/internal/catalogen"
	"github.com/kvplot/kvplot/internal/spec"
)

const defaultSpecs = "../../specs"

func loadBase(t *testing.T) catalogen.Base {
	t.Helper()
	b, err := catalogen.LoadBase(defaultSpecs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGeneratedCatalogIsValid writes the benchmark's 500 × 40 catalog and
// loads it the way kvplot validate and kvplot build do.
func TestGeneratedCatalogIsValid(t *testing.T) {
	opt := catalogen.Options{Models: 500, Fleets: 40}
	if testing.Short() {
		opt = catalogen.Options{Models: 60, Fleets: 12}
	}
	files, err := catalogen.Generate(loadBase(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "specs")
	if err := catalogen.Write(dir, files); err != nil {
		t.Fatal(err)
	}
	c, err := spec.LoadCatalog(dir)
	if err != nil {
		t.Fatalf("LoadCatalog(generated) failed:\n%v", err)
	}
	if len(c.Models) != opt.Models || len(c.Fleets) != opt.Fleets {
		t.Errorf("LoadCatalog(generated) = %d models, %d fleets, want %d, %d", len(c.Models), len(c.Fleets), opt.Models, opt.Fleets)
	}
	// Most placements must be possible, or the benchmark measures pages of
	// "n/a" cells.
	placed, fit := 0, 0
	for _, m := range c.Models {
		for _, f := range c.Fleets {
			p, err := c.Plan(m, f)
			if err != nil {
				continue
			}
			placed++
			if p.Fits() {
				fit++
			}
		}
	}
	pairs := opt.Models * opt.Fleets
	if placed < pairs/2 || fit < pairs/4 {
		t.Errorf("generated catalog: %d of %d pairs placed, %d fit; want at least half placed and a quarter fitting", placed, pairs, fit)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	b := loadBase(t)
	opt := catalogen.Options{Models: 80, Fleets: 20}
	x, err := catalogen.Generate(b, opt)
	if err != nil {
		t.Fatal(err)
	}
	y, err := catalogen.Generate(b, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != len(y) {
		t.Fatalf("two generations: %d files vs %d", len(x), len(y))
	}
	for p, data := range x {
		if !bytes.Equal(data, y[p]) {
			t.Errorf("%s differs between two generations", p)
		}
	}
}

// TestGenerateVaries checks that models of one base architecture differ:
// a catalog of copies would not exercise the analysis.
func TestGenerateVaries(t *testing.T) {
	b := loadBase(t)
	n := 4 * len(b.Configs)
	files, err := catalogen.Generate(b, catalogen.Options{Models: n, Fleets: 1})
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for p, data := range files {
		if filepath.Dir(p) == "hf" {
			distinct[string(data)] = true
		}
	}
	if len(distinct) < n*3/4 {
		t.Errorf("Generate(%d models): %d distinct configs, want at least %d", n, len(distinct), n*3/4)
	}
}

func TestGenerateRejects(t *testing.T) {
	b := loadBase(t)
	tests := []struct {
		name string
		opt  catalogen.Options
	}{
		{"no models", catalogen.Options{Models: 0, Fleets: 1}},
		{"no fleets", catalogen.Options{Models: 1, Fleets: 0}},
		{"too many models", catalogen.Options{Models: catalogen.MaxModels + 1, Fleets: 1}},
		{"too many fleets", catalogen.Options{Models: 1, Fleets: catalogen.MaxFleets + 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := catalogen.Generate(b, tc.opt); err == nil {
				t.Errorf("Generate(%+v) succeeded, want an error", tc.opt)
			}
		})
	}
	t.Run("empty base", func(t *testing.T) {
		if _, err := catalogen.Generate(catalogen.Base{}, catalogen.Options{Models: 1, Fleets: 1}); err == nil {
			t.Error("Generate(empty base) succeeded, want an error")
		}
	})
}

func TestWriteRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := catalogen.Write(dir, catalogen.Files{"site.yaml": []byte("{}\n")}); err == nil {
		t.Error("Write into a non-empty directory succeeded, want an error")
	}
	if _, err := os.Stat(filepath.Join(dir, "site.yaml")); err == nil {
		t.Error("Write into a non-empty directory wrote site.yaml")
	}
}

func TestLoadBaseFailures(t *testing.T) {
	t.Run("no configs", func(t *testing.T) {
		if _, err := catalogen.LoadBase(t.TempDir()); err == nil {
			t.Error("LoadBase(empty dir) succeeded, want an error")
		}
	})
	t.Run("no accelerators", func(t *testing.T) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "hf"), 0o755)
		os.WriteFile(filepath.Join(dir, "hf", "x.config.json"), []byte("{}"), 0o644)
		if _, err := catalogen.LoadBase(dir); err == nil {
			t.Error("LoadBase(without accelerators.yaml) succeeded, want an error")
		}
	})
}
