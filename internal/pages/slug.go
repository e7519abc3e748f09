package pages

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// maxSlug bounds a slug's length; longer names keep a prefix and a hash.
const maxSlug = 64

// Slug turns a name from a spec into a file-name-safe slug of lower-case
// ASCII letters, digits and single hyphens: "Llama-3.1 8B" becomes
// "llama-3-1-8b". It is never empty (a name with no usable character
// becomes "x" and a short hash of the name), never a reserved Windows
// device name (those get "-x"), and never contains a path separator or
// dot, so a name like "../../etc/passwd" cannot leave the output
// directory.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	s := b.String()
	switch {
	case s == "":
		return "x" + shortHash(name, 8)
	case len(s) > maxSlug:
		s = strings.TrimRight(s[:maxSlug-9], "-") + "-" + shortHash(name, 8)
	}
	if isReservedName(s) {
		s += "-x"
	}
	return s
}

// isReservedName reports Windows device names, which cannot be file names
// (with any extension) on Windows.
func isReservedName(s string) bool {
	switch strings.ToLower(s) {
	case "con", "prn", "aux", "nul":
		return true
	}
	if len(s) == 4 && (strings.HasPrefix(strings.ToLower(s), "com") || strings.HasPrefix(strings.ToLower(s), "lpt")) {
		return s[3] >= '1' && s[3] <= '9'
	}
	return false
}

func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// UniqueSlugs returns one distinct slug per name, in the order of names.
// Names whose slugs collide are ordered by name (then position); the
// first keeps the plain slug and the others get a hash of their name
// appended, so the result does not depend on the order of names and a
// page keeps its slug when an unrelated model is added. Equal names get
// "-2", "-3", ... in order of appearance.
func UniqueSlugs(names []string) []string {
	out := make([]string, len(names))
	groups := map[string][]int{}
	var order []string
	used := map[string]bool{}
	for i, n := range names {
		s := Slug(n)
		out[i] = s
		if groups[s] == nil {
			order = append(order, s)
		}
		groups[s] = append(groups[s], i)
		used[s] = true
	}
	for _, s := range order {
		idx := groups[s]
		if len(idx) == 1 {
			continue
		}
		slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(names[a], names[b]) })
		for _, i := range idx[1:] {
			base := s + "-" + shortHash(names[i], 8)
			cand := base
			for n := 2; used[cand]; n++ { // equal names, or a freak collision
				cand = base + "-" + strconv.Itoa(n)
			}
			used[cand] = true
			out[i] = cand
		}
	}
	return out
}
