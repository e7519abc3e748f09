package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindChromium(t *testing.T) {
	none := func(string) (string, error) { return "", errors.New("not found") }
	t.Run("none says how to install one", func(t *testing.T) {
		_, err := findChromium("", filepath.Join(t.TempDir(), "no-chromium"), none)
		if err == nil || !strings.Contains(err.Error(), "apt-get install chromium") || !strings.Contains(err.Error(), "KVPLOT_CHROMIUM") {
			t.Errorf("error = %v, want install instructions", err)
		}
	})
	t.Run("a missing KVPLOT_CHROMIUM is an error, not a fallback", func(t *testing.T) {
		_, err := findChromium("/no/such/chrome", "/bin/sh", none)
		if err == nil || !strings.Contains(err.Error(), "KVPLOT_CHROMIUM=/no/such/chrome") {
			t.Errorf("error = %v, want it to name KVPLOT_CHROMIUM", err)
		}
	})
	t.Run("PATH is searched", func(t *testing.T) {
		got, err := findChromium("", filepath.Join(t.TempDir(), "no-chromium"), func(name string) (string, error) {
			if name == "google-chrome" {
				return "/opt/google/chrome", nil
			}
			return "", errors.New("not found")
		})
		if err != nil || got != "/opt/google/chrome" {
			t.Errorf("findChromium = %q, %v; want /opt/google/chrome", got, err)
		}
	})
}

func TestPages(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"about.html", "index.html", "models/b.html", "models/a.html", "assets/x.html", "data/t.json", "specs/s.html", ".hidden/h.html"} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("<html></html>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Pages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := "index.html about.html models/a.html models/b.html"; strings.Join(got, " ") != want {
		t.Errorf("Pages = %v, want %s", got, want)
	}
	if _, err := Pages(t.TempDir()); err == nil || !strings.Contains(err.Error(), "kvplot build") {
		t.Errorf("Pages of an empty directory: %v, want a hint to build the site", err)
	}
}
