package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvplot/kvplot/internal/sitetest"
)

// needChromium skips a browser test without Chromium, except on CI.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := sitetest.FindChromium(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs Chromium for the browser tests: %v", err)
		}
		t.Skipf("%v; install chromium to run the browser tests", err)
	}
}

// TestDiffPageInBrowser opens diff.html of the sample change offline in
// Chromium: no console errors, both change charts drawn with their series,
// and no link that leaves the page except to http(s) addresses.
func TestDiffPageInBrowser(t *testing.T) {
	needChromium(t)
	out := filepath.Join(t.TempDir(), "x")
	if _, stderr, code := runKVPlot("diff", diffBase, diffHead, "--out", out); code != 0 {
		t.Fatalf("diff: exit %d: %s", code, stderr)
	}
	page, err := os.ReadFile(filepath.Join(out, "diff.html"))
	if err != nil {
		t.Fatal(err)
	}
	// A single file: ECharts inlined, every href a fragment or absolute.
	if bytes.Contains(page, []byte("<script src=")) {
		t.Error("diff.html loads a script file; it must inline ECharts")
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllSubmatch(page, -1) {
		h := string(m[1])
		if !strings.HasPrefix(h, "#") && !strings.HasPrefix(h, "https://") && !strings.HasPrefix(h, "http://") {
			t.Errorf("diff.html links %q, which cannot work in a detached file", h)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := sitetest.CheckSite(ctx, out, []string{"diff.html"}, os.Getenv("KVPLOT_SCREENSHOT_DIR"))
	if err != nil {
		t.Fatal(err)
	}
	// A chart for each figure that moves (diff.json says which).
	var report struct {
		Context     []json.RawMessage `json:"max_context_changes"`
		Concurrency []json.RawMessage `json:"max_concurrency_changes"`
	}
	j, err := os.ReadFile(filepath.Join(out, "diff.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j, &report); err != nil {
		t.Fatal(err)
	}
	// Each moving figure has a heat map of every pair and bars of the
	// largest changes.
	var want []string
	if len(report.Context) > 0 {
		want = append(want, "contextChangeMap", "contextChange")
	}
	if len(report.Concurrency) > 0 {
		want = append(want, "concurrencyChangeMap", "concurrencyChange")
	}
	if len(want) == 0 {
		t.Fatal("the sample change moves neither figure; the test needs a chart to check")
	}
	var ids []string
	for _, c := range rep.Pages[0].Charts {
		ids = append(ids, c.ID)
	}
	if got := strings.Join(ids, " "); got != strings.Join(want, " ") {
		t.Errorf("charts drawn: %s, want %s", got, strings.Join(want, " "))
	}
}

// TestSnapshotOnePage builds the sample head specs' site and exports one
// model page's charts: every chart gives an SVG and a PNG of the asked
// width, at the chart's height on its page, and images.html lists them.
func TestSnapshotOnePage(t *testing.T) {
	needChromium(t)
	tmp := t.TempDir()
	siteDir := filepath.Join(tmp, "site")
	if _, stderr, code := runKVPlot("build", "--specs", diffHead, "--out", siteDir, "--perf", ""); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	const page = "models/llama-3-8b.html"
	html, err := os.ReadFile(filepath.Join(siteDir, page))
	if err != nil {
		t.Fatal(err)
	}
	// The chart containers and the heights the page gives them.
	boxes := regexp.MustCompile(`<div id="([A-Za-z0-9_-]+)" class="chart-box"(?: style="height:(\d+)px")?[^>]*data-kvplot-chart=`).FindAllSubmatch(html, -1)
	if len(boxes) < 3 {
		t.Fatalf("%s has %d charts; the test wants a page with several", page, len(boxes))
	}
	// Not the defaults, so that the sizes show the flags took effect.
	for _, tc := range []struct{ width, scale int }{{700, 3}} {
		t.Run(fmt.Sprintf("%dpx at %dx", tc.width, tc.scale), func(t *testing.T) {
			out := filepath.Join(tmp, fmt.Sprintf("img-%d", tc.width))
			_, stderr, code := runKVPlot("snapshot", "--site", siteDir, "--out", out, "--page", page,
				"--width", strconv.Itoa(tc.width), "--scale", strconv.Itoa(tc.scale))
			if code != 0 {
				t.Fatalf("snapshot: exit %d: %s", code, stderr)
			}
			index, err := os.ReadFile(filepath.Join(out, "images.html"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(index, []byte(`<p class="prov">Made by kvplot`)) {
				t.Error("images.html does not carry the page's provenance")
			}
			for _, b := range boxes {
				id := string(b[1])
				cssHeight := 420 // the stylesheet's default
				if len(b[2]) > 0 {
					cssHeight, _ = strconv.Atoi(string(b[2]))
				}
				stem := filepath.Join(out, "models", "llama-3-8b", id)
				f, err := os.Open(stem + ".png")
				if err != nil {
					t.Errorf("chart %s: %v", id, err)
					continue
				}
				cfg, err := png.DecodeConfig(f)
				f.Close()
				if err != nil {
					t.Errorf("chart %s: %v", id, err)
					continue
				}
				// The box's 1px borders are not drawn on.
				if cfg.Width != tc.width*tc.scale || cfg.Height < (cssHeight-2)*tc.scale || cfg.Height > cssHeight*tc.scale {
					t.Errorf("chart %s: PNG %d×%d px, want %d × %d..%d", id, cfg.Width, cfg.Height, tc.width*tc.scale, (cssHeight-2)*tc.scale, cssHeight*tc.scale)
				}
				svg, err := os.ReadFile(stem + ".svg")
				if err != nil {
					t.Errorf("chart %s: %v", id, err)
					continue
				}
				wantSVG := fmt.Sprintf(`<svg width="%d" height="%d"`, tc.width, cfg.Height/tc.scale)
				if !bytes.Contains(svg, []byte(wantSVG)) || !bytes.Contains(svg, []byte("<text")) {
					t.Errorf("chart %s: SVG lacks %s or any text", id, wantSVG)
				}
				if !bytes.Contains(index, []byte(`src="models/llama-3-8b/`+id+`.png"`)) {
					t.Errorf("images.html does not show chart %s", id)
				}
			}
		})
	}
}

func TestSnapshotWithoutChromium(t *testing.T) {
	t.Setenv("KVPLOT_CHROMIUM", filepath.Join(t.TempDir(), "no-chromium"))
	siteDir := filepath.Join(t.TempDir(), "site")
	if _, stderr, code := runKVPlot("build", "--specs", diffBase, "--out", siteDir, "--perf", ""); code != 0 {
		t.Fatalf("build (which needs no browser): exit %d: %s", code, stderr)
	}
	_, stderr, code := runKVPlot("snapshot", "--site", siteDir, "--out", filepath.Join(t.TempDir(), "img"))
	if code != 1 || !strings.Contains(stderr, "install it") {
		t.Errorf("exit %d, stderr %q; want 1 saying how to install Chromium", code, stderr)
	}
}
