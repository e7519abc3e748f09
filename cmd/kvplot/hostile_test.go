package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileSpecs writes a spec set whose names and descriptions try to run
// script in every place a spec's text reaches: titles, legends, tooltips,
// tables, attributes and file names.
func hostileSpecs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join(defaultSpecs, "hf", "llama-3-8b.config.json"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hf/base.json", string(cfg))
	models := map[string]string{
		"script":  `"</script><script>window.__pwned=1</script>"`,
		"marker":  `"__f__window.__pwned=2__f__"`,
		"img":     `"<img src=x onerror=\"window.__pwned=3\">"`,
		"comment": `"<!--<script>window.__pwned=4//"`,
		"CON":     `"CON"`,
	}
	for slug, name := range models {
		write("models/"+slug+".yaml", "name: "+name+"\ndescription: "+name+"\nsource: https://example.com/?q=%22%3E%3Cscript%3Ewindow.__pwned=5%3C/script%3E\nconfig: ../hf/base.json\n")
	}
	write("accelerators.yaml", "accelerators:\n  - {id: gpu, name: \"<b onmouseover=window.__pwned=6>GPU</b>\", memory: 80 GB, runtime_memory: 79.19 GiB}\n")
	write("fleets.yaml", "fleets:\n  - {name: one, title: \"'; window.__pwned=7; '\", accelerator: gpu, description: \"</title><script>window.__pwned=8</script>\"}\n")
	return dir
}

func TestHostileNamesNeverRun(t *testing.T) {
	specs := hostileSpecs(t)
	files, err := buildSite(specs, false)
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range files {
		if strings.Contains(p, "..") || strings.HasPrefix(p, "/") {
			t.Errorf("file %q escapes the site", p)
		}
		if strings.HasSuffix(p, ".html") && strings.Contains(string(b), "<script>window.__pwned") {
			t.Errorf("%s contains a live injected <script>", p)
		}
	}
	// The checker fails on window.__pwned, console errors and undrawn charts.
	requireBrowser(t)
	checkInBrowser(t, files, "")
}
