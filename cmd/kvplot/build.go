package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"

	"github.com/kvplot/kvplot/internal/pages"
	"github.com/kvplot/kvplot/internal/provenance"
	"github.com/kvplot/kvplot/internal/site"
	"github.com/kvplot/kvplot/internal/spec"
)

func runBuild(args []string, stdout, stderr io.Writer) error {
	const synopsis = "build [--specs DIR] [--out DIR] [--standalone [--base-url URL]] [--perf FILE]"
	fs := newFlags("build")
	specs := fs.String("specs", "specs", "spec directory")
	out := fs.String("out", "out", "output directory; replaced as a whole only after the new site is complete")
	standalone := fs.Bool("standalone", false, "write each page as one self-contained HTML file (ECharts inlined); links to other pages and files are dropped unless --base-url is given")
	baseURL := fs.String("base-url", "", "with --standalone: the address where the site is published; links to other pages and files point there")
	perfFile := fs.String("perf", "", "benchmark results of make bench (bench/results.json) to chart on the about page; none when not given")
	if err := parse(fs, synopsis, args, stdout); err != nil {
		return err
	}
	if *baseURL != "" && !*standalone {
		return usagef("build: --base-url is for --standalone pages (a site's own pages link to each other)")
	}
	if *baseURL != "" && !isWebURL(*baseURL) {
		return usagef("build: --base-url %q: want an absolute http or https URL", *baseURL)
	}
	opts := site.WriteOptions{Protect: []string{*specs}}
	// Repair a build killed midway first, even if this one then fails.
	if err := site.Recover(*out, opts); err != nil {
		return err
	}
	perf, err := loadPerf(*perfFile)
	if err != nil {
		return err
	}
	files, err := buildSiteWith(*specs, site.Options{Standalone: *standalone, BaseURL: *baseURL}, perf)
	if err != nil {
		return err
	}
	if err := site.WriteDir(*out, files, opts); err != nil {
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
	return buildSiteWith(specDir, site.Options{Standalone: standalone}, nil)
}

// buildSiteWith is buildSite with rendering options and benchmark results
// for the about page. Every page states its provenance.
func buildSiteWith(specDir string, opt site.Options, perf *pages.Perf) (site.Files, error) {
	c, err := spec.LoadCatalog(specDir)
	if err != nil {
		return nil, err
	}
	prov, err := provenance.For(c)
	if err != nil {
		return nil, err
	}
	opt.Provenance = prov.String()
	s, err := pages.Build(c, perf)
	if err != nil {
		return nil, fmt.Errorf("laying out the site: %w", err)
	}
	files, err := site.Render(s.Pages, opt)
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

// isWebURL reports whether s is an absolute http or https URL with a host.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && u.User == nil && (u.Scheme == "http" || u.Scheme == "https")
}
