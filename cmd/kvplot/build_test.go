package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kvplot/kvplot/internal/site"
	"github.com/kvplot/kvplot/internal/sitetest"
)

const defaultSpecs = "../../specs"

// TestBuildDeterministic builds the default site twice and compares every byte.
func TestBuildDeterministic(t *testing.T) {
	a, err := buildSite(defaultSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := buildSite(defaultSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("builds differ: %d files vs %d", len(a), len(b))
	}
	for p, x := range a {
		if !bytes.Equal(x, b[p]) {
			t.Errorf("%s differs between two builds", p)
		}
	}
}

// TestSiteContents checks what the issue asks every built site to have.
func TestSiteContents(t *testing.T) {
	files, err := buildSite(defaultSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"index.html", "about.html", ".nojekyll", "assets/echarts.min.js", "assets/LICENSE", "assets/VERSIONS", "data/models.csv", "data/models.json",
		"models/llama-3-8b.html", "models/deepseek-v3.html", "fleets/1x-h100.html", "specs/models/llama-3-8b.yaml", "specs/hf/llama-3-8b.config.json", "specs/site.yaml", "specs/fleets.yaml"} {
		if _, ok := files[p]; !ok {
			t.Errorf("site lacks %s", p)
		}
	}
	for p, b := range files {
		if !strings.HasSuffix(p, ".html") {
			continue
		}
		s := string(b)
		if strings.Contains(s, "://go-echarts.github.io") || strings.Contains(s, "cdn.") {
			t.Errorf("%s refers to a CDN", p)
		}
		// A page's HTML without the shared ECharts file stays under 150 KB.
		if len(b) > 150_000 {
			t.Errorf("%s is %d bytes, want under 150,000", p, len(b))
		}
		if strings.HasPrefix(p, "models/") && !strings.Contains(s, "GiB = 2^30 bytes") {
			t.Errorf("%s does not state its units", p)
		}
	}
}

// TestStandaloneSite checks that --standalone pages carry ECharts inline.
func TestStandaloneSite(t *testing.T) {
	files, err := buildSite(defaultSpecs, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files[site.EChartsPath]; ok {
		t.Errorf("standalone site still writes %s", site.EChartsPath)
	}
	page := files["models/llama-3-8b.html"]
	shared, err := buildSite(defaultSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	asset := shared[site.EChartsPath]
	if bytes.Contains(page, []byte(`src="../assets/echarts.min.js"`)) || !bytes.Contains(page, asset) {
		t.Errorf("standalone model page (%d bytes) does not carry the %d-byte ECharts asset inline", len(page), len(asset))
	}
}

// TestBuildFailureKeepsPreviousSite: a build that fails (bad specs) leaves
// the previous out/ byte-identical.
func TestBuildFailureKeepsPreviousSite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if _, errs, code := runKVPlot("build", "--specs", defaultSpecs, "--out", out); code != 0 {
		t.Fatalf("first build: exit %d: %s", code, errs)
	}
	before := snapshot(t, out)
	bad := filepath.Join(dir, "specs")
	if err := os.MkdirAll(filepath.Join(bad, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bad, "models", "x.yaml"), []byte("name: X\narchitecture: {hidden_size: -1}\n"), 0o644)
	_, errs, code := runKVPlot("build", "--specs", bad, "--out", out)
	if code != 1 || !strings.Contains(errs, "x.yaml:2:") {
		t.Errorf("bad build: exit %d, stderr %q; want 1 and a positioned error", code, errs)
	}
	if after := snapshot(t, out); after != before {
		t.Errorf("failed build changed out/")
	}
}

// snapshot lists every file of dir with its contents, for comparison.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		b.WriteString(p + "\n" + string(data) + "\n")
	}
	return b.String()
}

// TestSiteInBrowser loads every page of the default site in headless
// Chromium: no console errors, every chart drawn with its series, every
// link resolving. Screenshots of the index and a model page go to
// $KVPLOT_SCREENSHOT_DIR when set.
func TestSiteInBrowser(t *testing.T) {
	requireBrowser(t)
	perf, err := loadPerf("../../bench/results.json") // the about page's chart, when measured
	if err != nil {
		t.Fatal(err)
	}
	files, err := buildSiteWith(defaultSpecs, site.Options{}, perf)
	if err != nil {
		t.Fatal(err)
	}
	rep, pages := checkInBrowser(t, files, os.Getenv("KVPLOT_SCREENSHOT_DIR"))
	var worst time.Duration
	charts := 0
	for _, p := range rep.Pages {
		worst = max(worst, p.RenderTime)
		charts += len(p.Charts)
	}
	if charts < 3*len(pages)/2 {
		t.Errorf("only %d charts drawn on %d pages", charts, len(pages))
	}
	t.Logf("%d pages, %d charts drawn; slowest page drawn in %v", len(rep.Pages), charts, worst)
}

// requireBrowser skips a test without Chromium, except in CI, where it fails.
func requireBrowser(t *testing.T) {
	t.Helper()
	if _, err := sitetest.FindChromium(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs chromium: %v", err)
		}
		t.Skipf("no chromium: %v", err)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
}

// checkInBrowser writes a rendered site to a temporary out/ and checks
// every HTML page of it in Chromium (index first, so that it and the
// first model page are the ones screenshot). It fails the test on any
// problem the checker reports.
func checkInBrowser(t *testing.T, files site.Files, screenshotDir string) (sitetest.Report, []string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if err := site.WriteDir(out, files, site.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	var pages []string
	for p := range files {
		if strings.HasSuffix(p, ".html") {
			pages = append(pages, p)
		}
	}
	sort.Strings(pages)
	sort.SliceStable(pages, func(i, j int) bool { return pages[i] == "index.html" && pages[j] != "index.html" })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := sitetest.CheckSite(ctx, out, pages, screenshotDir)
	if err != nil {
		t.Fatal(err)
	}
	return rep, pages
}

// TestBuildRefusesSaturatedGrid: a grid whose cache exceeds int64 is a
// clear error, not a chart of saturated values.
func TestBuildRefusesSaturatedGrid(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"accelerators.yaml", "fleets.yaml"} {
		b, err := os.ReadFile(filepath.Join(defaultSpecs, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "models"), 0o755)
	cfg, _ := os.ReadFile(filepath.Join(defaultSpecs, "hf", "llama-3-8b.config.json"))
	os.WriteFile(filepath.Join(dir, "models", "llama.json"), cfg, 0o644)
	os.WriteFile(filepath.Join(dir, "site.yaml"), []byte("contexts: [4294967296]\nbatches: [1048576]\n"), 0o644)
	_, errs, code := runKVPlot("build", "--specs", dir, "--out", filepath.Join(dir, "..", "out"))
	if code != 1 || !strings.Contains(errs, "more than 8 EiB") {
		t.Errorf("exit %d, stderr %q; want 1 and a limit message", code, errs)
	}
}

// TestPerfChartOnlyWhenAsked: the about page charts kvplot's own
// benchmark only when build is given --perf, even run from the repository
// root, where make bench leaves bench/results.json.
func TestPerfChartOnlyWhenAsked(t *testing.T) {
	t.Chdir("../..")
	results := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(results, []byte(`{"go_version":"go1.x","cpu_count":2,"scale":[{"models":50,"fleets":40,"seconds":1.5,"peak_rss_bytes":1048576,"bytes_written":1000}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		wantChart bool
	}{
		{"without --perf", nil, false},
		{"with --perf", []string{"--perf", results}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"build", "--specs", "specs", "--out", out}, tc.args...)
			if err := run(args, io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			about, err := os.ReadFile(filepath.Join(out, "about.html"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(about), `id="buildScale"`); got != tc.wantChart {
				t.Errorf("about.html has the benchmark chart: %v, want %v", got, tc.wantChart)
			}
		})
	}
}

// TestCrossLinks: every model page links to every fleet page and every
// fleet page to every model page, and each link's target is in the site.
func TestCrossLinks(t *testing.T) {
	files, err := buildSite(defaultSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	var models, fleets []string
	for p := range files {
		switch {
		case strings.HasPrefix(p, "models/") && strings.HasSuffix(p, ".html"):
			models = append(models, p)
		case strings.HasPrefix(p, "fleets/") && strings.HasSuffix(p, ".html"):
			fleets = append(fleets, p)
		}
	}
	sort.Strings(models)
	sort.Strings(fleets)
	if len(models) == 0 || len(fleets) == 0 {
		t.Fatalf("%d model pages, %d fleet pages", len(models), len(fleets))
	}
	check := func(from string, to []string) {
		page := string(files[from])
		for _, target := range to {
			href := `href="../` + target + `"`
			if !strings.Contains(page, href) {
				t.Errorf("%s has no link %s", from, href)
			}
		}
	}
	for _, m := range models {
		check(m, fleets)
	}
	for _, f := range fleets {
		check(f, models)
	}
	index := string(files["index.html"])
	for _, m := range models {
		if !strings.Contains(index, `href="`+m+`"`) {
			t.Errorf("index.html has no link to %s", m)
		}
	}
}
