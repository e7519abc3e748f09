package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// WriteOptions control WriteDir.
type WriteOptions struct {
	// Protect lists directories, such as the specs directory, that the
	// output directory must not be, be inside of, or contain.
	Protect []string
}

// rename is os.Rename; tests replace it to make the swap fail.
var rename = os.Rename

// WriteDir replaces outDir with exactly files, in one step: it writes
// everything into a new directory next to outDir, renames the old outDir
// aside, renames the new one into place and removes the old one. On any
// failure the previous outDir is left as it was and the new directory is
// removed.
//
// To keep a mistyped path from destroying data, WriteDir refuses an
// outDir that is "", ".", a filesystem root, the current directory or one
// of its parents, a symbolic link, a directory holding go.mod or .git, a
// protected directory or one inside or around it, and any non-empty
// directory without the MarkerFile that WriteDir leaves in every site.
func WriteDir(outDir string, files Files, opt WriteOptions) error {
	target, exists, err := checkOutDir(outDir, opt)
	if err != nil {
		return err
	}
	paths, err := checkFilePaths(files)
	if err != nil {
		return err
	}
	parent := filepath.Dir(target)
	tmp, err := os.MkdirTemp(parent, ".kvplot-new-*")
	if err != nil {
		return fmt.Errorf("writing site: %w", err)
	}
	if err := fill(tmp, paths, files); err != nil {
		return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
	}
	if !exists {
		if err := rename(tmp, target); err != nil {
			return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
		}
		return nil
	}
	old, err := unusedName(parent, ".kvplot-old-*")
	if err != nil {
		return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
	}
	if err := rename(target, old); err != nil {
		return errors.Join(fmt.Errorf("writing site: moving the previous site aside: %w", err), removeTemp(tmp))
	}
	if err := rename(tmp, target); err != nil {
		if rerr := rename(old, target); rerr != nil {
			return fmt.Errorf("writing site: %w; restoring the previous site also failed, it is in %s: %v", err, old, rerr)
		}
		return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("site written, but removing the previous site in %s failed: %w", old, err)
	}
	return nil
}

// checkOutDir applies WriteDir's refusals and returns outDir as an
// absolute path with its parent's symbolic links resolved.
func checkOutDir(outDir string, opt WriteOptions) (target string, exists bool, err error) {
	refuse := func(why string) (string, bool, error) {
		return "", false, fmt.Errorf("refusing to replace %q: %s", outDir, why)
	}
	if strings.TrimSpace(outDir) == "" {
		return refuse("empty path")
	}
	if c := filepath.Clean(outDir); c == "." || c == ".." {
		return refuse("it is the current directory or its parent")
	}
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return "", false, err
	}
	if filepath.Dir(abs) == abs {
		return refuse("it is a filesystem root")
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", false, fmt.Errorf("output directory %q: parent: %w", outDir, err)
	}
	target = filepath.Join(parent, filepath.Base(abs))
	if filepath.Dir(target) == target {
		return refuse("it is a filesystem root")
	}
	if cwd, err := os.Getwd(); err == nil {
		if real, err := filepath.EvalSymlinks(cwd); err == nil && within(target, real) {
			return refuse("it is the current directory or one of its parents")
		}
	}
	for _, p := range opt.Protect {
		pabs, err := filepath.Abs(p)
		if err != nil {
			return "", false, err
		}
		if real, err := filepath.EvalSymlinks(pabs); err == nil {
			pabs = real
		}
		if within(target, pabs) || within(pabs, target) {
			return refuse(fmt.Sprintf("it is, is inside or contains the protected directory %q", p))
		}
	}
	info, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return target, false, nil
	}
	if err != nil {
		return "", false, err
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		return refuse("it is a symbolic link")
	case !info.IsDir():
		return refuse("it is not a directory")
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return "", false, err
	}
	marked := false
	for _, e := range entries {
		switch e.Name() {
		case "go.mod", ".git":
			return refuse("it holds " + e.Name() + " (a repository root?)")
		case MarkerFile:
			marked = true
		}
	}
	if len(entries) > 0 && !marked {
		return refuse("it is not empty and has no " + MarkerFile + " file, so kvplot did not write it")
	}
	return target, true, nil
}

// within reports whether p is dir or inside it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// checkFilePaths returns the paths of files, sorted, after checking that
// each stays inside the output directory.
func checkFilePaths(files Files) ([]string, error) {
	var errs []error
	paths := make([]string, 0, len(files))
	for p := range files {
		if p == "" || path.Clean(p) != p || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") ||
			strings.Contains(p, `\`) || strings.ContainsRune(p, 0) {
			errs = append(errs, fmt.Errorf("file path %q: must be a clean relative slash path", p))
			continue
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	// A file cannot also be a directory of another file.
	for i := 1; i < len(paths); i++ {
		if strings.HasPrefix(paths[i], paths[i-1]+"/") {
			errs = append(errs, fmt.Errorf("file path %q: %q is a file", paths[i], paths[i-1]))
		}
	}
	return paths, errors.Join(errs...)
}

// fill writes files, and the marker, into the new directory dir.
func fill(dir string, paths []string, files Files) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, MarkerFile), []byte(markerText), 0o644); err != nil {
		return err
	}
	for _, p := range paths {
		if p == MarkerFile {
			continue
		}
		name := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(name, files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func removeTemp(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}

// unusedName returns a path in dir matching pattern that does not exist.
func unusedName(dir, pattern string) (string, error) {
	p, err := os.MkdirTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	return p, os.Remove(p)
}
