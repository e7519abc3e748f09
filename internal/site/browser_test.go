package site

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvplot/kvplot/internal/sitetest"
)

// TestBrowser renders the demo site, writes it and loads every page in
// headless Chromium: no console errors, every chart drawn with its
// series, no injected code run, no broken relative links. Set
// KVPLOT_SCREENSHOT_DIR to keep a PNG of the first page.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(sitetest.DefaultChromium); err != nil && os.Getenv("KVPLOT_CHROMIUM") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs %s for the browser test: %v", sitetest.DefaultChromium, err)
		}
		t.Skipf("no %s; install chromium to run the browser test", sitetest.DefaultChromium)
	}
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"shared-assets", Options{}},
		{"standalone", Options{Standalone: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Render(demoPages(), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			if err := WriteDir(out, files, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			shots := os.Getenv("KVPLOT_SCREENSHOT_DIR")
			if shots != "" {
				shots = filepath.Join(shots, tc.name)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			rep, err := sitetest.CheckSite(ctx, out, demoPaths(), shots)
			var total time.Duration
			for _, p := range rep.Pages {
				total += p.RenderTime
				t.Logf("%-60s %2d charts, drawn %6.1f ms after navigation (page clock %6.1f ms), %7d bytes",
					p.Path, len(p.Charts), ms(p.RenderTime), ms(p.InPage), len(files[p.Path]))
				for _, m := range p.Console {
					t.Logf("  console: %s", m)
				}
			}
			if len(rep.Pages) > 0 {
				t.Logf("%d pages, mean time to all charts drawn: %.1f ms", len(rep.Pages), ms(total)/float64(len(rep.Pages)))
			}
			if rep.Screenshot != "" {
				t.Logf("screenshot: %s", rep.Screenshot)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Pages) != len(demoPaths()) {
				t.Fatalf("checked %d pages, want %d", len(rep.Pages), len(demoPaths()))
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// TestBrowserCatchesProblems breaks a rendered site in the ways the
// browser check exists for, and expects each to be reported.
func TestBrowserCatchesProblems(t *testing.T) {
	if _, err := os.Stat(sitetest.DefaultChromium); err != nil && os.Getenv("KVPLOT_CHROMIUM") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs %s for the browser test: %v", sitetest.DefaultChromium, err)
		}
		t.Skipf("no %s; install chromium to run the browser test", sitetest.DefaultChromium)
	}
	files, err := Render(demoPages(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	model := demoPaths()[1]
	page := string(files[model])
	for _, r := range []struct{ old, new string }{
		{`data-kvplot-series="4"`, `data-kvplot-series="5"`},
		{`</main>`, `<script>window.__pwned = 'x'; console.error('boom'); null.x;</script></main>`},
		{`href="../index.html#kv-table"`, `href="missing.html"`},
		{`(p.value[2]); }`, `(p.value[2]) && ''; }`}, // heat-map cells without labels
	} {
		if !strings.Contains(page, r.old) {
			t.Fatalf("%s has no %q to break", model, r.old)
		}
		page = strings.Replace(page, r.old, r.new, 1)
	}
	files[model] = []byte(page)
	index := string(files["index.html"])
	for _, r := range []struct{ old, new string }{
		{`"nameGap":28`, `"nameGap":16,"nameTextStyle":{"fontSize":40}`}, // the x axis name on its tick labels
		{`if (!asc) { d = -d; }`, ``},                                    // tables that cannot sort descending
	} {
		if !strings.Contains(index, r.old) {
			t.Fatalf("index.html has no %q to break", r.old)
		}
		index = strings.Replace(index, r.old, r.new, 1)
	}
	files["index.html"] = []byte(index)
	out := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(out, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = sitetest.CheckSite(ctx, out, []string{"index.html", model}, "")
	if err == nil {
		t.Fatal("CheckSite passed a broken page")
	}
	for _, want := range []string{"4 series, want 5", "window.__pwned = x", "console.error: boom", "exception: Uncaught TypeError", `"missing.html": no such file`,
		`axis name "context (tokens)" overlaps`, "descending", "heat-map cells have no label"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckSite error does not report %q:\n%v", want, err)
		}
	}
}
