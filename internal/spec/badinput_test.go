package spec

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*/expect.txt from the current messages")

// TestBadInput loads each case of testdata/bad: a spec directory in spec/
// (LoadCatalog, then CheckFleets when the catalog loads) or a single model
// file named model.* (LoadModel). Loading must fail, without a panic, with
// exactly the lines of expect.txt, in order, paths relative to the case
// directory. A line starting with "~ " need only be contained in its line.
func TestBadInput(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join("testdata", "bad", e.Name())
			got := loadBadCase(t, dir)
			expectFile := filepath.Join(dir, "expect.txt")
			if *update {
				if err := os.WriteFile(expectFile, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			data, err := os.ReadFile(expectFile)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			if len(got) != len(want) {
				t.Fatalf("%s: got %d lines, want %d:\n%s\nwant:\n%s", e.Name(), len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for i, w := range want {
				if sub, ok := strings.CutPrefix(w, "~ "); ok {
					if !strings.Contains(got[i], sub) {
						t.Errorf("line %d = %q, want it to contain %q", i+1, got[i], sub)
					}
				} else if got[i] != w {
					t.Errorf("line %d = %q\n          want %q", i+1, got[i], w)
				}
			}
		})
	}
	if n < 45 {
		t.Errorf("testdata/bad has %d cases, want at least 45", n)
	}
}

// loadBadCase loads one case and returns its error's lines, with the case
// directory cut from every path.
func loadBadCase(t *testing.T, dir string) (lines []string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic loading %s: %v", dir, r)
		}
	}()
	var err error
	if st, serr := os.Stat(filepath.Join(dir, "spec")); serr == nil && st.IsDir() {
		var c *Catalog
		c, err = LoadCatalog(filepath.Join(dir, "spec"))
		if err == nil {
			if ps := c.CheckFleets(); len(ps) > 0 {
				err = ps
			}
		}
	} else {
		matches, _ := filepath.Glob(filepath.Join(dir, "model.*"))
		if len(matches) != 1 {
			t.Fatalf("%s: want a spec/ directory or one model.* file, found %v", dir, matches)
		}
		_, err = LoadModel(matches[0])
	}
	if err == nil {
		t.Fatalf("%s loaded without an error", dir)
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("%s: error is %T, not Problems: %v", dir, err, err)
	}
	text := strings.ReplaceAll(filepath.ToSlash(err.Error()), filepath.ToSlash(dir)+"/", "")
	return strings.Split(text, "\n")
}
