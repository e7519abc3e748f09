package spec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"
)

// MaxFileBytes caps every spec file kvplot reads (model specs, config.json
// files, accelerators.yaml, fleets.yaml, site.yaml): 16 MiB. The largest
// real config.json is a few tens of KiB; the cap keeps a mistaken or hostile
// file from taking the machine's memory.
const MaxFileBytes = 16 << 20

// errNotRegular, errTooLarge and errOutside are reading refusals; readError
// prints them as they are.
var (
	errNotRegular = errors.New("not a regular file: kvplot reads only regular files")
	errTooLarge   = fmt.Errorf("larger than kvplot's limit of 16 MiB (%d bytes) for a spec file", MaxFileBytes)
)

// outsideError is a path that leaves the spec directory.
type outsideError struct{ root string }

func (e outsideError) Error() string {
	return "outside the spec directory: paths in specs must stay inside it (symlinks resolved)"
}

// tree is the spec directory a set of files must stay inside. Its zero
// value has no boundary.
type tree struct {
	root string // absolute, symlinks resolved; "" for none
}

// newTree resolves dir as the boundary of a spec tree.
func newTree(dir string) (tree, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return tree{}, err
	}
	r, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return tree{}, err
	}
	return tree{root: r}, nil
}

// modelTree is the spec tree of a model file read on its own (calc
// --model path): the directory holding models/ when the file sits in a
// models folder, as in a spec directory, else the file's own directory.
func modelTree(p string) tree {
	dir := filepath.Dir(p)
	if filepath.Base(dir) == "models" {
		dir = filepath.Dir(dir)
	}
	t, err := newTree(dir)
	if err != nil {
		return tree{}
	}
	return t
}

// contains reports whether path p, symlinks resolved, lies inside the tree.
func (t tree) check(p string) error {
	if t.root == "" {
		return nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return err
	}
	r, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(t.root, r)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return outsideError{root: t.root}
	}
	return nil
}

// read reads spec file p: inside the tree, a regular file (a FIFO or a
// device is refused without blocking on it), at most MaxFileBytes.
func (t tree) read(p string) ([]byte, error) {
	if err := t.check(p); err != nil {
		return nil, err
	}
	return readBounded(p)
}

// readBounded reads a regular file of at most MaxFileBytes.
func readBounded(p string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &os.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
	}
	if !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	if st.Size() > MaxFileBytes {
		return nil, errTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, errTooLarge
	}
	return data, nil
}

// MaxFileValues caps the values in one spec file: 100,000. Parsing takes
// memory per value (a few hundred bytes), so a file of millions of tiny
// values would cost gigabytes though it is under MaxFileBytes; real
// config.json files hold a few hundred.
const MaxFileValues = 100_000

// valueCount bounds the number of values in a spec file from above without
// parsing it: for JSON, the commas and opening brackets outside strings
// (plus one); for YAML, the lines, commas and opening brackets.
func valueCount(p string, data []byte) int {
	n := 1
	if isJSON(p, data) {
		outsideStrings(data, func(i int) int {
			switch data[i] {
			case ',', '[', '{':
				n++
			}
			return 1
		})
		return n
	}
	for _, c := range data {
		switch c {
		case '\n', ',', '[', '{':
			n++
		}
	}
	return n
}

// maxQuoted is how many characters of a value a message quotes.
const maxQuoted = 64

// quoteShort quotes s for a message, control characters escaped, cut to
// its first maxQuoted characters.
func quoteShort(s string) string {
	r := []rune(s)
	if len(r) > maxQuoted {
		return fmt.Sprintf("%q…", string(r[:maxQuoted]))
	}
	return fmt.Sprintf("%q", s)
}

// cutText cuts a value for a message to its first maxQuoted characters.
func cutText(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	r := []rune(s)
	if len(r) <= maxQuoted {
		return s
	}
	return string(r[:maxQuoted]) + "…"
}

// cutQuoted cuts every string argument that format quotes (%q): those are
// values from specs, and a message shows only their first maxQuoted
// characters.
func cutQuoted(format string, args []any) {
	arg := 0
	for i := 0; i < len(format) && arg < len(args); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i >= len(format) || format[i] == '%' {
			continue
		}
		if s, ok := args[arg].(string); ok && format[i] == 'q' {
			args[arg] = cutText(s)
		}
		arg++
	}
}

// escapeControls writes control characters (C0 but tab, DEL, C1, and the
// Unicode bidirectional and line controls) as Go escapes, so text from a
// spec or a file name cannot clear a terminal or forge a line.
func escapeControls(s string) string {
	if !hasControls(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func hasControls(s string) bool {
	for _, r := range s {
		if isControl(r) {
			return true
		}
	}
	return false
}

// isControl reports runes that change how a terminal shows text.
func isControl(r rune) bool {
	switch {
	case r == '\t':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r == 0x2028, r == 0x2029, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == utf8.RuneError:
		return true
	}
	return false
}
