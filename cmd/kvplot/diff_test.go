package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The sample change of internal/diff: a fleet resized so that Llama 2 70B
// stops fitting, Mistral 7B added, the KV cache switched to fp8.
const (
	diffBase = "../../internal/diff/testdata/base"
	diffHead = "../../internal/diff/testdata/head"
)

func TestDiffCommand(t *testing.T) {
	t.Run("writes the three files and exits 0 with a flip", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "x")
		stdout, stderr, code := runKVPlot("diff", diffBase, diffHead, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d, want 0: %s", code, stderr)
		}
		for _, f := range []string{"diff.html", "diff.md", "diff.json"} {
			b, err := os.ReadFile(filepath.Join(out, f))
			if err != nil || len(b) == 0 {
				t.Errorf("%s: %v (%d bytes)", f, err, len(b))
			}
		}
		if !strings.Contains(stdout, "Llama 2 70B no longer fits on H100 pool") {
			t.Errorf("stdout does not name the flip:\n%s", stdout)
		}
		// A second run replaces the directory it made.
		if _, stderr, code := runKVPlot("diff", diffBase, diffHead, "--out", out); code != 0 {
			t.Fatalf("second run: exit %d: %s", code, stderr)
		}
	})
	t.Run("fail-on flip exits 3", func(t *testing.T) {
		_, stderr, code := runKVPlot("diff", diffBase, diffHead, "--out", filepath.Join(t.TempDir(), "x"), "--fail-on", "flip")
		if code != 3 || !strings.Contains(stderr, "1 model × fleet verdict(s) flip") {
			t.Errorf("exit %d, stderr %q; want 3 naming one flip", code, stderr)
		}
	})
	t.Run("fail-on flip without a flip exits 0", func(t *testing.T) {
		_, stderr, code := runKVPlot("diff", diffBase, diffBase, "--out", filepath.Join(t.TempDir(), "x"), "--fail-on", "flip")
		if code != 0 {
			t.Errorf("exit %d, want 0: %s", code, stderr)
		}
	})
	t.Run("missing tree exits 1 naming it", func(t *testing.T) {
		_, stderr, code := runKVPlot("diff", diffBase, "no/such/specs", "--out", filepath.Join(t.TempDir(), "x"))
		if code != 1 || !strings.Contains(stderr, "no/such/specs") {
			t.Errorf("exit %d, stderr %q; want 1 naming no/such/specs", code, stderr)
		}
	})
	t.Run("bad spec exits 1 with its position", func(t *testing.T) {
		bad := t.TempDir()
		copyTree(t, diffBase, bad)
		if err := os.WriteFile(filepath.Join(bad, "site.yaml"), []byte("kv_dtype: fp9\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := runKVPlot("diff", diffBase, bad, "--out", filepath.Join(t.TempDir(), "x"))
		if code != 1 || !strings.Contains(stderr, "site.yaml:1:11: kv_dtype") {
			t.Errorf("exit %d, stderr %q; want 1 with site.yaml:1:11: kv_dtype", code, stderr)
		}
	})
	for _, args := range [][]string{
		{"diff", diffBase},
		{"diff", diffBase, diffHead, "--fail-on", "growth"},
		{"diff", diffBase, diffHead, "--colour"},
	} {
		t.Run("usage "+strings.Join(args[2:], " "), func(t *testing.T) {
			if _, _, code := runKVPlot(args...); code != 2 {
				t.Errorf("kvplot %s: exit %d, want 2", strings.Join(args, " "), code)
			}
		})
	}
}

// copyTree copies a spec directory's files (one level of subdirectories).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
