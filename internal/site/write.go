package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// WriteOptions control WriteDir.
type WriteOptions struct {
	// Protect lists directories, such as the specs directory, that the
	// output directory must not be, be inside of, or contain.
	Protect []string
}

// rename is os.Rename; tests replace it to make the swap fail.
var rename = os.Rename

// exchange swaps two directories in one atomic step (renameat2 with
// RENAME_EXCHANGE on Linux); errNoExchange where the system has no such
// call. Tests replace it.
var exchange = exchangeDirs

// errNoExchange says the atomic swap is not available here: WriteDir then
// falls back to two renames.
var errNoExchange = errors.New("atomic directory exchange not supported")

// step is called before each file-system step of WriteDir with its name
// ("mkdtemp", "write", "exchange", "rename-aside", "rename-in",
// "remove-old", "recover", "remove-stale"). It does nothing; tests use it
// to kill or interrupt a build at a chosen system call.
var step = func(name string) {}

// Temporary directories WriteDir makes beside the output directory out:
// .kvplot-new-out-<random> while the new site is written (and, after an
// exchange, while the previous site is removed) and .kvplot-old-out-<random>
// for the previous site when the swap takes two renames.
func tempPrefix(kind, base string) string { return ".kvplot-" + kind + "-" + base + "-" }

// WriteDir replaces outDir with exactly files. It renders into a new
// directory next to outDir and swaps it in: on Linux in one atomic step
// (renameat2 RENAME_EXCHANGE), so outDir always holds a complete site,
// the previous or the new one, whenever the process dies; elsewhere (or
// on a file system without the call) by renaming the previous site aside
// and the new one in, where a crash between the two renames leaves the
// previous site in .kvplot-old-<name>-*. Every call first recovers from a
// crashed one: a missing outDir is restored from such a stranded copy, and
// kvplot's stale temporaries for outDir are removed. SIGINT and SIGTERM
// during the write stop it cleanly: the new directory is removed and the
// previous site is left as it was. Two builds into one parent directory
// at once are refused (an advisory lock on the parent).
//
// To keep a mistyped path from destroying data, WriteDir refuses an
// outDir that is "", ".", a filesystem root, the current directory or one
// of its parents, a symbolic link, a mount point, a directory holding go.mod or .git, a
// protected directory or one inside or around it, and any non-empty
// directory without the MarkerFile that WriteDir leaves in every site.
func WriteDir(outDir string, files Files, opt WriteOptions) (err error) {
	paths, err := checkFilePaths(files)
	if err != nil {
		return err
	}
	target, _, err := checkOutDir(outDir, opt)
	if err != nil {
		return err
	}
	parent, base := filepath.Dir(target), filepath.Base(target)
	unlock, err := lockDir(parent)
	if err != nil {
		return fmt.Errorf("writing site: %w", err)
	}
	defer unlock()
	if err := recoverStale(parent, base); err != nil {
		return fmt.Errorf("writing site: recovering from an earlier build: %w", err)
	}
	// Checked again: recovery may have restored the previous site.
	target, exists, err := checkOutDir(outDir, opt)
	if err != nil {
		return err
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	interrupted := func() error {
		select {
		case s := <-sigs:
			return fmt.Errorf("interrupted by %v: the previous site is unchanged", s)
		default:
			return nil
		}
	}

	step("mkdtemp")
	tmp, err := os.MkdirTemp(parent, tempPrefix("new", base)+"*")
	if err != nil {
		return fmt.Errorf("writing site: %w", err)
	}
	if err := fill(tmp, paths, files, interrupted); err != nil {
		return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
	}
	if err := interrupted(); err != nil {
		return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
	}
	if !exists {
		step("rename-in")
		if err := rename(tmp, target); err != nil {
			return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
		}
		return nil
	}
	step("exchange")
	switch err := exchange(tmp, target); {
	case err == nil:
		// tmp now holds the previous site.
		step("remove-old")
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("site written, but removing the previous site in %s failed: %w", tmp, err)
		}
		return nil
	case !errors.Is(err, errNoExchange):
		return errors.Join(fmt.Errorf("writing site: swapping the new site in: %w", err), removeTemp(tmp))
	}
	old, err := unusedName(parent, tempPrefix("old", base)+"*")
	if err != nil {
		return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
	}
	step("rename-aside")
	if err := rename(target, old); err != nil {
		return errors.Join(fmt.Errorf("writing site: moving the previous site aside: %w", err), removeTemp(tmp))
	}
	step("rename-in")
	if err := rename(tmp, target); err != nil {
		if rerr := rename(old, target); rerr != nil {
			return fmt.Errorf("writing site: %w; restoring the previous site also failed, it is in %s (the next build restores it): %v", err, old, rerr)
		}
		return errors.Join(fmt.Errorf("writing site: %w", err), removeTemp(tmp))
	}
	step("remove-old")
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("site written, but removing the previous site in %s failed: %w", old, err)
	}
	return nil
}

// Recover does, for outDir, what every WriteDir does first: it restores a
// previous site stranded by a build killed between its two renames and
// removes kvplot's stale temporaries. A build calls it before loading its
// specs, so a crash is repaired even when the next build fails.
func Recover(outDir string, opt WriteOptions) error {
	target, _, err := checkOutDir(outDir, opt)
	if err != nil {
		return err
	}
	parent, base := filepath.Dir(target), filepath.Base(target)
	unlock, err := lockDir(parent)
	if err != nil {
		return err
	}
	defer unlock()
	return recoverStale(parent, base)
}

// recoverStale undoes what a build of parent/base killed midway left: when
// base is missing and a previous site is stranded in .kvplot-old-base-*,
// it is renamed back; every other kvplot temporary for base is removed.
func recoverStale(parent, base string) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	var stale, stranded []string
	for _, e := range entries {
		n := e.Name()
		kind := ""
		switch {
		case isTempName(n, tempPrefix("new", base)):
			kind = "new"
		case isTempName(n, tempPrefix("old", base)):
			kind = "old"
		default:
			continue
		}
		info, err := os.Lstat(filepath.Join(parent, n))
		if err != nil || !info.IsDir() {
			continue // not kvplot's: a temporary is always a directory
		}
		stale = append(stale, n)
		if kind == "old" {
			if _, err := os.Stat(filepath.Join(parent, n, MarkerFile)); err == nil {
				stranded = append(stranded, n)
			}
		}
	}
	target := filepath.Join(parent, base)
	if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) && len(stranded) > 0 {
		// Only one build runs at a time (lockDir), so at most one
		// previous site is stranded; take the last name to be sure.
		slices.Sort(stranded)
		keep := stranded[len(stranded)-1]
		step("recover")
		if err := rename(filepath.Join(parent, keep), target); err != nil {
			return fmt.Errorf("restoring the previous site from %s: %w", keep, err)
		}
		stale = slices.DeleteFunc(stale, func(n string) bool { return n == keep })
	}
	for _, n := range stale {
		step("remove-stale")
		if err := os.RemoveAll(filepath.Join(parent, n)); err != nil {
			return err
		}
	}
	return nil
}

// isTempName reports whether name is prefix followed by MkdirTemp's
// random digits.
func isTempName(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
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
	case isMountPoint(target):
		return refuse("it is a mount point, which cannot be swapped for a new directory: give a directory inside it, such as " + filepath.Join(outDir, "site"))
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

// fill writes files, and the marker, into the new directory dir; it stops
// when interrupted returns an error.
func fill(dir string, paths []string, files Files, interrupted func() error) error {
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
		if err := interrupted(); err != nil {
			return err
		}
		step("write")
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
