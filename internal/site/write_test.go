package site

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshot reads every file and directory under dir, by slash path.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			out[rel] = "symlink"
		case d.IsDir():
			out[rel+"/"] = ""
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// previousSite makes parent/out holding an earlier build.
func previousSite(t *testing.T, parent string) string {
	t.Helper()
	out := filepath.Join(parent, "out")
	if err := WriteDir(out, Files{"index.html": []byte("old"), "models/a.html": []byte("old a")}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return out
}

// leftovers lists WriteDir's temporary directories left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".kvplot-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteDirReplacesSite(t *testing.T) {
	parent := t.TempDir()
	out := previousSite(t, parent)
	if err := WriteDir(out, Files{"index.html": []byte("new"), "data/x.csv": []byte("a\n")}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, out)
	want := map[string]string{"./": "", "index.html": "new", "data/": "", "data/x.csv": "a\n", MarkerFile: markerText}
	if !maps.Equal(got, want) {
		t.Errorf("out = %v, want %v", got, want)
	}
	if l := leftovers(t, parent); l != nil {
		t.Errorf("temporary directories left behind: %v", l)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o755 {
		t.Errorf("out has mode %v, want 0755", perm)
	}
}

func TestWriteDirRenderedSite(t *testing.T) {
	files, err := Render(demoPages(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(out, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, out)
	for p, b := range files {
		if got[p] != string(b) {
			t.Errorf("%s not written as rendered", p)
		}
	}
}

func TestWriteDirRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup makes the directory to write, below parent, and returns
		// the outDir argument and the options.
		setup func(t *testing.T, parent string) (string, WriteOptions)
		want  string
	}{
		{"empty path", func(t *testing.T, parent string) (string, WriteOptions) { return "", WriteOptions{} }, "empty path"},
		{"current directory", func(t *testing.T, parent string) (string, WriteOptions) {
			t.Chdir(parent)
			return ".", WriteOptions{}
		}, "current directory"},
		{"current directory by absolute path", func(t *testing.T, parent string) (string, WriteOptions) {
			dir := mkdir(t, parent, "here")
			t.Chdir(dir)
			return dir, WriteOptions{}
		}, "current directory"},
		{"parent of the current directory", func(t *testing.T, parent string) (string, WriteOptions) {
			dir := mkdir(t, parent, "site")
			t.Chdir(mkdir(t, dir, "sub"))
			return dir, WriteOptions{}
		}, "current directory"},
		{"filesystem root", func(t *testing.T, parent string) (string, WriteOptions) { return "/", WriteOptions{} }, "root"},
		{"repository root", func(t *testing.T, parent string) (string, WriteOptions) {
			dir := mkdir(t, parent, "repo")
			write(t, dir, "go.mod", "module x\n")
			write(t, dir, MarkerFile, "")
			return dir, WriteOptions{}
		}, "go.mod"},
		{"git work tree", func(t *testing.T, parent string) (string, WriteOptions) {
			dir := mkdir(t, parent, "repo")
			mkdir(t, dir, ".git")
			write(t, dir, MarkerFile, "")
			return dir, WriteOptions{}
		}, ".git"},
		{"non-empty directory kvplot did not write", func(t *testing.T, parent string) (string, WriteOptions) {
			dir := mkdir(t, parent, "docs")
			write(t, dir, "thesis.tex", "years of work")
			return dir, WriteOptions{}
		}, "no " + MarkerFile},
		{"a file", func(t *testing.T, parent string) (string, WriteOptions) {
			write(t, parent, "out", "x")
			return filepath.Join(parent, "out"), WriteOptions{}
		}, "not a directory"},
		{"symbolic link", func(t *testing.T, parent string) (string, WriteOptions) {
			real := previousSite(t, parent)
			link := filepath.Join(parent, "link")
			if err := os.Symlink(real, link); err != nil {
				t.Skip(err)
			}
			return link, WriteOptions{}
		}, "symbolic link"},
		{"protected directory", func(t *testing.T, parent string) (string, WriteOptions) {
			dir := mkdir(t, parent, "specs")
			write(t, dir, MarkerFile, "")
			return dir, WriteOptions{Protect: []string{dir}}
		}, "protected"},
		{"inside a protected directory", func(t *testing.T, parent string) (string, WriteOptions) {
			dir := mkdir(t, parent, "specs")
			return filepath.Join(dir, "out"), WriteOptions{Protect: []string{dir}}
		}, "protected"},
		{"around a protected directory", func(t *testing.T, parent string) (string, WriteOptions) {
			dir := mkdir(t, parent, "site")
			write(t, dir, MarkerFile, "")
			return dir, WriteOptions{Protect: []string{mkdir(t, dir, "specs")}}
		}, "protected"},
		{"protected directory by relative path", func(t *testing.T, parent string) (string, WriteOptions) {
			t.Chdir(parent)
			return "specs/../specs", WriteOptions{Protect: []string{"./specs"}}
		}, "protected"},
		{"file path leaving the site", nil, "clean relative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			files := Files{"index.html": []byte("new")}
			var outDir string
			var opt WriteOptions
			if tc.setup != nil {
				outDir, opt = tc.setup(t, parent)
			} else {
				outDir = previousSite(t, parent)
				files["../escape.html"] = []byte("x")
			}
			before := snapshot(t, parent)
			err := WriteDir(outDir, files, opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WriteDir(%q) error = %v, want one containing %q", outDir, err, tc.want)
			}
			if after := snapshot(t, parent); !maps.Equal(before, after) {
				t.Errorf("WriteDir(%q) changed the tree:\nbefore %v\nafter  %v", outDir, before, after)
			}
		})
	}
}

func TestWriteDirFailureKeepsPreviousSite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files Files
		// failRename makes the n-th call of rename fail (0: none).
		failRename int
	}{
		// index.html is written before the over-long name fails.
		{"write fails midway", Files{"index.html": []byte("new"), strings.Repeat("x", 300) + "/a.html": []byte("new")}, 0},
		{"a file is also a directory", Files{"a": []byte("new"), "a/b": []byte("new")}, 0},
		{"moving the old site aside fails", Files{"index.html": []byte("new")}, 1},
		{"moving the new site in fails", Files{"index.html": []byte("new")}, 2},
		{"the atomic exchange fails", Files{"index.html": []byte("new")}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			out := previousSite(t, parent)
			before := snapshot(t, out)
			if tc.failRename != 0 {
				// The rename cases test the two-rename fallback.
				exchange = func(a, b string) error {
					if tc.failRename < 0 {
						return errors.New("injected exchange failure")
					}
					return errNoExchange
				}
				t.Cleanup(func() { exchange = exchangeDirs })
			}
			if tc.failRename > 0 {
				calls := 0
				rename = func(from, to string) error {
					if calls++; calls == tc.failRename {
						return errors.New("injected rename failure")
					}
					return os.Rename(from, to)
				}
				t.Cleanup(func() { rename = os.Rename })
			}
			if err := WriteDir(out, tc.files, WriteOptions{}); err == nil {
				t.Fatalf("WriteDir succeeded, want an error")
			}
			if after := snapshot(t, out); !maps.Equal(before, after) {
				t.Errorf("previous site changed:\nbefore %v\nafter  %v", before, after)
			}
			if l := leftovers(t, parent); l != nil {
				t.Errorf("temporary directories left behind: %v", l)
			}
		})
	}
}

func TestWriteDirUnwritableParent(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	parent := t.TempDir()
	out := previousSite(t, parent)
	before := snapshot(t, out)
	if err := os.Chmod(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(parent, 0o755) })
	if err := WriteDir(out, Files{"index.html": []byte("new")}, WriteOptions{}); err == nil {
		t.Fatal("WriteDir into a read-only parent succeeded, want an error")
	}
	if after := snapshot(t, out); !maps.Equal(before, after) {
		t.Errorf("previous site changed:\nbefore %v\nafter  %v", before, after)
	}
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
