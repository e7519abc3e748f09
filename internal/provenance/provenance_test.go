package provenance

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/spec"
)

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func hashOf(t *testing.T, dir string) Specs {
	t.Helper()
	c, err := spec.LoadCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := HashSpecs(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashSpecs(t *testing.T) {
	const tree = "../diff/testdata/head"
	orig := hashOf(t, tree)
	t.Run("independent of the tree's location", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "elsewhere", "specs")
		copyDir(t, tree, dir)
		if got := hashOf(t, dir); got != orig {
			t.Errorf("copy hashes %v, original %v", got, orig)
		}
	})
	t.Run("counts every file read, configs included", func(t *testing.T) {
		// 3 model specs, their 3 configs, accelerators, fleets, site.yaml.
		if orig.Files != 9 {
			t.Errorf("files = %d, want 9", orig.Files)
		}
	})
	t.Run("a byte changed in a referenced config changes it", func(t *testing.T) {
		dir := t.TempDir()
		copyDir(t, tree, dir)
		p := filepath.Join(dir, "hf", "mistral-7b-v0.1.config.json")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := hashOf(t, dir); got.Hash == orig.Hash {
			t.Errorf("a changed config keeps the hash %s", got.Hash)
		}
	})
	if !strings.HasPrefix(orig.Hash, "sha256:") || len(orig.Hash) != len("sha256:")+64 || len(orig.Short()) != len("sha256:")+12 {
		t.Errorf("hash %q, short %q: want sha256: and 64 (12) hex digits", orig.Hash, orig.Short())
	}
}

func TestBuild(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"release with revision", debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}}},
			"kvplot v1.2.0 (revision 0123456789ab)"},
		{"modified work tree", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			"kvplot (devel) (revision abc, modified)"},
		{"nothing known", debug.BuildInfo{}, "kvplot (devel)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fromBuildInfo(&tc.bi).String(); got != tc.want {
				t.Errorf("Build = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	s := spec.DefaultSettings()
	got := Settings(s)
	for _, want := range []string{"headline engine " + s.Engine, "KV cache bf16", "scenario 8 × 8,192 tokens", "contexts 1K–128K"} {
		if !strings.Contains(got, want) {
			t.Errorf("Settings() = %q, lacks %q", got, want)
		}
	}
	s.Engine = "simple"
	if got := Settings(s); !strings.Contains(got, "headline engine simple (1.00 GiB + 10% of capacity reserved, 0 × weights") {
		t.Errorf("Settings(engine simple) = %q, lacks the simple policy's reserves", got)
	}
}
