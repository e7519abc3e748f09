package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/kvplot/kvplot/internal/pages"
	"github.com/kvplot/kvplot/internal/site"
	"github.com/kvplot/kvplot/internal/spec"
)

func runBuild(args []string, stdout, stderr io.Writer) error {
	const synopsis = "build [--specs DIR] [--out DIR] [--standalone] [--perf FILE]"
	fs := newFlags("build")
	specs := fs.String("specs", "specs", "spec directory")
	out := fs.String("out", "out", "output directory; replaced as a whole only after the new site is complete")
	standalone := fs.Bool("standalone", false, "write each page as one self-contained HTML file (ECharts inlined)")
	perfFile := fs.String("perf", "", "benchmark results of make bench (bench/results.json) to chart on the about page; none when not given")
	if err := parse(fs, synopsis, args, stdout); err != nil {
		return err
	}
	perf, err := loadPerf(*perfFile)
	if err != nil {
		return err
	}
	files, err := buildSiteWith(*specs, *standalone, perf)
	if err != nil {
		return err
	}
	if err := site.WriteDir(*out, files, site.WriteOptions{Protect: []string{*specs}}); err != nil {
		return err
	}
	var bytes int
	for _, b := range files {
		bytes += len(b)
	}
	fmt.Fprintf(stdout, "wrote %d files (%d bytes) to %s\n", len(files), bytes, *out)
	return nil
}

// loadPerf reads make bench's results; "" means none.
func loadPerf(p string) (*pages.Perf, error) {
	if p == "" {
		return nil, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading benchmark results: %w", err)
	}
	var perf pages.Perf
	if err := json.Unmarshal(data, &perf); err != nil {
		return nil, fmt.Errorf("%s: not benchmark results: %v", p, err)
	}
	return &perf, nil
}

// buildSite renders the whole site for a spec directory into memory.
func buildSite(specDir string, standalone bool) (site.Files, error) {
	return buildSiteWith(specDir, standalone, nil)
}

// buildSiteWith is buildSite with benchmark results for the about page.
func buildSiteWith(specDir string, standalone bool, perf *pages.Perf) (site.Files, error) {
	c, err := spec.LoadCatalog(specDir)
	if err != nil {
		return nil, err
	}
	s, err := pages.Build(c, perf)
	if err != nil {
		return nil, fmt.Errorf("laying out the site: %w", err)
	}
	files, err := site.Render(s.Pages, site.Options{Standalone: standalone})
	if err != nil {
		return nil, fmt.Errorf("rendering the site: %w", err)
	}
	// Copy the spec files the pages link to, so each page's source is one
	// click away, offline too.
	paths := make([]string, 0, len(s.SpecFiles))
	for p := range s.SpecFiles {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		b, err := c.ReadFile(s.SpecFiles[p])
		if err != nil {
			return nil, fmt.Errorf("copying spec file: %w", err)
		}
		files[p] = b
	}
	return files, nil
}
