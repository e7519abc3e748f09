// Package spec reads kvplot's inputs: model specs (native YAML or Hugging
// Face config.json files), accelerators, fleets and site settings. It turns
// them into internal/analysis values and reports every problem it finds
// with its file, line, column and field.
package spec

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a spec file.
type Problem struct {
	Path      string // as the user gave it
	Line, Col int    // 1-based; 0 when unknown
	Field     string // dotted field name, "" for the whole file
	Message   string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Path)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is a list of problems; as an error it prints one per line,
// capped at MaxShown like a compiler.
type Problems []Problem

// MaxShown caps how many problems Error prints.
const MaxShown = 20

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i == MaxShown {
			fmt.Fprintf(&b, "too many problems: %d more not shown\n", len(ps)-MaxShown)
			break
		}
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// sortProblems orders problems by file and position, keeping insertion
// order for ties.
func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// file collects the problems of one spec file.
type file struct {
	path     string
	problems Problems
}

func (f *file) errorf(n *yaml.Node, field, format string, args ...any) {
	p := Problem{Path: f.path, Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	f.problems = append(f.problems, p)
}

// parse reads YAML (or JSON, which is YAML) into its top-level node.
func (f *file) parse(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := 0, err.Error()
		msg = strings.TrimPrefix(msg, "yaml: ")
		if strings.HasPrefix(msg, "line ") {
			rest := strings.TrimPrefix(msg, "line ")
			if i := strings.Index(rest, ":"); i > 0 {
				if n, err := strconv.Atoi(rest[:i]); err == nil {
					line, msg = n, strings.TrimSpace(rest[i+1:])
				}
			}
		}
		p := Problem{Path: f.path, Line: line, Message: "syntax error: " + msg}
		if line > 0 {
			p.Col = 1
		}
		f.problems = append(f.problems, p)
		return nil
	}
	if len(doc.Content) == 0 {
		f.problems = append(f.problems, Problem{Path: f.path, Message: "file is empty"})
		return nil
	}
	return doc.Content[0]
}

// obj reads fields of one mapping node, remembering which it used.
type obj struct {
	f      *file
	n      *yaml.Node
	prefix string
	keys   map[string]*yaml.Node // key name → key node
	vals   map[string]*yaml.Node
	order  []string
	// defaults answer integer reads of absent fields, keyed by the first name asked.
	defaults map[string]int64
}

func (f *file) object(n *yaml.Node, prefix string) *obj {
	o := &obj{f: f, n: n, prefix: prefix, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	if n == nil {
		return o
	}
	if n.Kind != yaml.MappingNode {
		f.errorf(n, strings.TrimSuffix(prefix, "."), "must be a mapping of fields, got %s", kindName(n))
		return o
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := o.keys[k.Value]; dup {
			f.errorf(k, prefix+k.Value, "duplicate field")
			continue
		}
		o.keys[k.Value] = k
		o.vals[k.Value] = v
		o.order = append(o.order, k.Value)
	}
	return o
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "null"
	}
	if n.Tag == "!!str" {
		return fmt.Sprintf("the string %q", n.Value)
	}
	return n.Value
}

// field returns the first present, non-null field among names.
func (o *obj) field(names ...string) (string, *yaml.Node) {
	for _, name := range names {
		if v, ok := o.vals[name]; ok && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			return name, v
		}
	}
	return "", nil
}

func (o *obj) has(names ...string) bool { _, v := o.field(names...); return v != nil }

// node returns the key node of a field, for positions of whole-field problems.
func (o *obj) pos(name string) *yaml.Node {
	if k, ok := o.keys[name]; ok {
		return k
	}
	return o.n
}

// str reads a string field.
func (o *obj) str(names ...string) (string, bool) {
	name, v := o.field(names...)
	if v == nil {
		return "", false
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		o.f.errorf(v, o.prefix+name, "must be a string, got %s", kindName(v))
		return "", false
	}
	return v.Value, true
}

// boolean reads a boolean field.
func (o *obj) boolean(names ...string) (bool, bool) {
	name, v := o.field(names...)
	if v == nil {
		return false, false
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
		o.f.errorf(v, o.prefix+name, "must be true or false, got %s", kindName(v))
		return false, false
	}
	return v.Value == "true", true
}

// maxCount bounds any count in a spec (layers, heads, widths, tokens).
const maxCount = int64(1) << 40

// integer reads a whole-number field in [lo, hi].
func (o *obj) integer(lo, hi int64, names ...string) (int64, bool) {
	name, v := o.field(names...)
	if v == nil {
		if d, ok := o.defaults[names[0]]; ok {
			return d, true
		}
		return 0, false
	}
	return o.f.intValue(v, o.prefix+name, lo, hi)
}

func (f *file) intValue(v *yaml.Node, field string, lo, hi int64) (int64, bool) {
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
		f.errorf(v, field, "must be a whole number, got %s", kindName(v))
		return 0, false
	}
	if v.Tag == "!!float" {
		x, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			f.errorf(v, field, "must be a whole number, got %s", v.Value)
			return 0, false
		}
		return f.checkRange(v, field, int64(x), lo, hi)
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
	if err != nil {
		f.errorf(v, field, "must be a whole number no larger than %d, got %s", hi, v.Value)
		return 0, false
	}
	return f.checkRange(v, field, n, lo, hi)
}

func (f *file) checkRange(v *yaml.Node, field string, n, lo, hi int64) (int64, bool) {
	if n < lo {
		if lo == 1 {
			f.errorf(v, field, "must be at least 1, got %d", n)
		} else {
			f.errorf(v, field, "must be at least %d, got %d", lo, n)
		}
		return 0, false
	}
	if n > hi {
		f.errorf(v, field, "must be at most %d, got %d", hi, n)
		return 0, false
	}
	return n, true
}

// number reads a finite real field in [lo, hi].
func (o *obj) number(lo, hi float64, names ...string) (float64, bool) {
	name, v := o.field(names...)
	if v == nil {
		return 0, false
	}
	field := o.prefix + name
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
		o.f.errorf(v, field, "must be a number, got %s", kindName(v))
		return 0, false
	}
	x, err := strconv.ParseFloat(v.Value, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		o.f.errorf(v, field, "must be a finite number, got %s", v.Value)
		return 0, false
	}
	if x < lo || x > hi {
		o.f.errorf(v, field, "must be between %g and %g, got %s", lo, hi, v.Value)
		return 0, false
	}
	return x, true
}

// strict reports every field not in known, with a suggestion.
func (o *obj) strict(known ...string) {
	set := map[string]bool{}
	for _, k := range known {
		set[k] = true
	}
	for _, k := range o.order {
		if set[k] {
			continue
		}
		msg := "unknown field"
		if s := suggest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += fmt.Sprintf(" (known fields: %s)", strings.Join(known, ", "))
		}
		o.f.errorf(o.keys[k], o.prefix+k, "%s", msg)
	}
}

// suggest returns the known name closest to s, if it is close enough to be
// a misspelling.
func suggest(s string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		d := editDistance(strings.ToLower(s), strings.ToLower(k))
		if d < bestD {
			best, bestD = k, d
		}
	}
	limit := 1
	if len(s) >= 5 {
		limit = 2
	}
	if len(s) >= 12 {
		limit = 3
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// editDistance is the Damerau–Levenshtein (optimal string alignment) distance.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
