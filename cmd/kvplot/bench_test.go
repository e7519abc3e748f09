package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/catalogen"
	"github.com/kvplot/kvplot/internal/site"
	"github.com/kvplot/kvplot/internal/spec"
)

// generatedCatalog sizes BenchmarkBuildGenerated: MODELSxFLEETS.
var generatedCatalog = flag.String("catalog", "100x40", "size of the generated catalog BenchmarkBuildGenerated builds, as MODELSxFLEETS")

// benchSink keeps results alive so the compiler cannot drop the work.
var benchSink int64

// BenchmarkFleetSolve places every model of the default catalog on every
// fleet and answers each question the pages ask of a placement: the max
// context for every batch of the grid and the max concurrency for every
// context.
func BenchmarkFleetSolve(b *testing.B) {
	c, err := spec.LoadCatalog(defaultSpecs)
	if err != nil {
		b.Fatal(err)
	}
	set := c.Settings
	pairs := len(c.Models) * len(c.Fleets)
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range c.Models {
			for _, f := range c.Fleets {
				p, err := c.Plan(m, f)
				if err != nil {
					continue // a fleet that cannot split the model: shown as n/a
				}
				for _, bs := range set.Batches {
					benchSink += p.MaxContext(bs).Tokens
				}
				for _, ctx := range set.Contexts {
					benchSink += p.MaxConcurrency(ctx)
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pairs), "ns/pair")
}

// pageKindBytes sums a site's files by page kind; for models and fleets it
// also keeps the largest page.
type pageKindBytes struct {
	index, about              int
	models, fleets            int
	nModels, nFleets          int
	largestModel, largestFlet int
	total                     int
}

func measurePages(files site.Files) pageKindBytes {
	var k pageKindBytes
	for p, data := range files {
		n := len(data)
		k.total += n
		switch {
		case p == "index.html":
			k.index = n
		case p == "about.html":
			k.about = n
		case strings.HasPrefix(p, "models/") && strings.HasSuffix(p, ".html"):
			k.models += n
			k.nModels++
			k.largestModel = max(k.largestModel, n)
		case strings.HasPrefix(p, "fleets/") && strings.HasSuffix(p, ".html"):
			k.fleets += n
			k.nFleets++
			k.largestFlet = max(k.largestFlet, n)
		}
	}
	return k
}

// BenchmarkBuildSite renders the default catalog's whole site into memory,
// as kvplot build does before it writes, and reports the bytes of each
// page kind: the index, the largest model and fleet pages, and the
// largest standalone model page (ECharts inline).
func BenchmarkBuildSite(b *testing.B) {
	for _, standalone := range []bool{false, true} {
		name := "shared-asset"
		if standalone {
			name = "standalone"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var files site.Files
			for b.Loop() {
				var err error
				if files, err = buildSite(defaultSpecs, standalone); err != nil {
					b.Fatal(err)
				}
			}
			k := measurePages(files)
			if standalone {
				b.ReportMetric(float64(k.largestModel), "standalone-model-page-B")
				return
			}
			b.ReportMetric(float64(len(files)), "files")
			b.ReportMetric(float64(k.total), "site-B")
			b.ReportMetric(float64(k.index), "index-B")
			b.ReportMetric(float64(k.largestModel), "model-page-B")
			b.ReportMetric(float64(k.largestFlet), "fleet-page-B")
			b.ReportMetric(float64(k.about), "about-B")
		})
	}
}

// BenchmarkBuildGenerated renders the site of a synthetic catalog
// (internal/catalogen) of -catalog models × fleets. Profile the large
// case with
//
//	go test ./cmd/kvplot/ -run '^$' -bench BuildGenerated -benchtime 1x -catalog=500x40 -cpuprofile cpu.out
func BenchmarkBuildGenerated(b *testing.B) {
	var models, fleets int
	if _, err := fmt.Sscanf(*generatedCatalog, "%dx%d", &models, &fleets); err != nil {
		b.Fatalf("-catalog %q: want MODELSxFLEETS such as 500x40", *generatedCatalog)
	}
	base, err := catalogen.LoadBase(defaultSpecs)
	if err != nil {
		b.Fatal(err)
	}
	files, err := catalogen.Generate(base, catalogen.Options{Models: models, Fleets: fleets})
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "specs")
	if err := catalogen.Write(dir, files); err != nil {
		b.Fatal(err)
	}
	b.Run(*generatedCatalog, func(b *testing.B) {
		b.ReportAllocs()
		var out site.Files
		for b.Loop() {
			if out, err = buildSite(dir, false); err != nil {
				b.Fatal(err)
			}
		}
		k := measurePages(out)
		b.ReportMetric(float64(k.total), "site-B")
		b.ReportMetric(float64(k.index), "index-B")
		b.ReportMetric(float64(k.largestModel), "model-page-B")
		b.ReportMetric(float64(k.largestFlet), "fleet-page-B")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*models*fleets), "ns/pair")
	})
}
