package pages

import (
	"slices"
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain model name", "Llama-3.1-8B-Instruct", "llama-3-1-8b-instruct"},
		{"spaces and punctuation collapse", "  Mixtral 8x7B (v0.1) ", "mixtral-8x7b-v0-1"},
		{"path traversal stays a name", "../../etc/passwd", "etc-passwd"},
		{"windows separators", `..\..\boot.ini`, "boot-ini"},
		{"html", "</script><script>alert(1)</script>", "script-script-alert-1-script"},
		{"reserved device name", "CON", "con-x"},
		{"reserved device name with digit", "com1", "com1-x"},
		{"not reserved", "com10", "com10"},
		{"nothing usable", "../", "x" + shortHash("../", 8)},
		{"empty", "", "x" + shortHash("", 8)},
		{"non-ascii only", "模型", "x" + shortHash("模型", 8)},
		{"long names keep a prefix and a hash", strings.Repeat("a", 100), strings.Repeat("a", 55) + "-" + shortHash(strings.Repeat("a", 100), 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Slug(tc.in)
			if got != tc.want {
				t.Errorf("Slug(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !slugPattern.MatchString(got) || len(got) > maxSlug {
				t.Errorf("Slug(%q) = %q is not a slug of at most %d bytes", tc.in, got, maxSlug)
			}
			if err := CheckPath("models/" + got + ".html"); err != nil {
				t.Errorf("Slug(%q) = %q is not a valid page name: %v", tc.in, got, err)
			}
		})
	}
}

func TestUniqueSlugs(t *testing.T) {
	names := []string{"Llama 3", "llama-3", "Mistral", "LLAMA_3", "Mistral", "llama-3-" + shortHash("llama-3", 8)}
	got := UniqueSlugs(names)
	if len(got) != len(names) {
		t.Fatalf("UniqueSlugs returned %d slugs for %d names", len(got), len(names))
	}
	seen := map[string]bool{}
	for i, s := range got {
		if seen[s] {
			t.Errorf("UniqueSlugs gives %q twice: %q", s, got)
		}
		seen[s] = true
		if !slugPattern.MatchString(s) {
			t.Errorf("UniqueSlugs(%q)[%d] = %q is not a slug", names, i, s)
		}
	}
	// "LLAMA_3" sorts first among the names sharing "llama-3".
	if got[3] != "llama-3" {
		t.Errorf("UniqueSlugs(%q) = %q, want LLAMA_3 to keep llama-3", names, got)
	}
	if got[2] != "mistral" || !strings.HasPrefix(got[4], "mistral-") {
		t.Errorf("UniqueSlugs(%q) = %q, want mistral then mistral-<hash>", names, got)
	}

	// The slugs do not depend on the order of distinct names.
	names = slices.Delete(names, 4, 5)
	got = UniqueSlugs(names)
	rev := slices.Clone(names)
	slices.Reverse(rev)
	gotRev := UniqueSlugs(rev)
	slices.Reverse(gotRev)
	if !slices.Equal(got, gotRev) {
		t.Errorf("UniqueSlugs depends on order: %q and reversed %q", got, gotRev)
	}
}
