package site

import (
	"regexp"
	"strings"
	"testing"
)

var hrefPattern = regexp.MustCompile(`href="([^"]*)"`)

func hrefs(page []byte) []string {
	var out []string
	for _, m := range hrefPattern.FindAllSubmatch(page, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// TestStandaloneLinks checks that a standalone page links only where a
// detached copy can follow: its own fragments and absolute URLs, under the
// base URL when one is given.
func TestStandaloneLinks(t *testing.T) {
	model := demoPaths()[1] // models/<slug>.html: links back to index.html#kv-table
	t.Run("without a base URL, site links are dropped", func(t *testing.T) {
		files, err := Render(demoPages(), Options{Standalone: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range demoPaths() {
			for _, h := range hrefs(files[p]) {
				if !strings.HasPrefix(h, "#") && !strings.HasPrefix(h, "https://") && !strings.HasPrefix(h, "http://") {
					t.Errorf("%s links %q, which a detached page cannot follow", p, h)
				}
			}
		}
		page := string(files[model])
		if !strings.Contains(page, `<span class="brand">kvplot</span>`) || !strings.Contains(page, "Back to the overview") {
			t.Errorf("%s: dropped links should keep their text", model)
		}
		if !strings.Contains(page, `href="`+apacheLicence+`"`) {
			t.Errorf("%s: the licence link should point to %s", model, apacheLicence)
		}
	})
	t.Run("with a base URL, site links point there", func(t *testing.T) {
		files, err := Render(demoPages(), Options{Standalone: true, BaseURL: "https://example.org/kv/"})
		if err != nil {
			t.Fatal(err)
		}
		page := string(files[model])
		for _, want := range []string{
			`href="https://example.org/kv/index.html#kv-table"`,
			`href="https://example.org/kv/index.html"`,
			`href="https://example.org/kv/assets/LICENSE"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %s", model, want)
			}
		}
		for _, h := range hrefs(files[model]) {
			if !strings.HasPrefix(h, "#") && !strings.HasPrefix(h, "https://") {
				t.Errorf("%s links %q", model, h)
			}
		}
	})
	t.Run("a site keeps relative links", func(t *testing.T) {
		files, err := Render(demoPages(), Options{BaseURL: "https://example.org/kv/"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(files[model]), `href="../index.html#kv-table"`) {
			t.Errorf("%s: a page inside its site should link relatively", model)
		}
	})
	t.Run("a base URL must be absolute http(s)", func(t *testing.T) {
		for _, u := range []string{"example.org/kv", "javascript:alert(1)", "file:///tmp/x"} {
			if _, err := Render(demoPages(), Options{Standalone: true, BaseURL: u}); err == nil {
				t.Errorf("base URL %q accepted", u)
			}
		}
	})
}

func TestProvenanceOnEveryPage(t *testing.T) {
	const prov = "Made by kvplot v9 from specs sha256:0123 (3 files). Settings: KV cache fp8 <b>."
	files, err := Render(demoPages(), Options{Provenance: prov})
	if err != nil {
		t.Fatal(err)
	}
	escaped := "Made by kvplot v9 from specs sha256:0123 (3 files). Settings: KV cache fp8 &lt;b&gt;."
	for _, p := range demoPaths() {
		page := string(files[p])
		if !strings.Contains(page, `<meta name="kvplot-provenance" content="`+escaped+`">`) || !strings.Contains(page, "<footer class=\"wrap\"><p>"+escaped) {
			t.Errorf("%s does not state its provenance in the footer and meta", p)
		}
	}
}
