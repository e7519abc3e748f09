// Package spec reads kvplot's inputs: model specs (native YAML or Hugging
// Face config.json files), accelerators, fleets and site settings. It turns
// them into internal/analysis values and reports every problem it finds
// with its file, line, column and field.
package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kvplot/kvplot/internal/units"
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
	return escapeControls(p.rawString())
}

func (p Problem) rawString() string {
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
	// notes list the config-class defaults kvplot used for fields a config
	// leaves out, as "field = value".
	notes []string
}

// note records an assumption, once.
func (f *file) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	for _, have := range f.notes {
		if have == n {
			return
		}
	}
	f.notes = append(f.notes, n)
}

func (f *file) errorf(n *yaml.Node, field, format string, args ...any) {
	cutQuoted(format, args)
	p := Problem{Path: f.path, Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	f.problems = append(f.problems, p)
}

// parse reads YAML (or JSON, which is YAML) into its top-level node. A JSON
// file is first checked as strict JSON, so a config.json
// that transformers could not load fails here too, at its exact line and
// column. YAML syntax errors carry yaml.v3's line; the column is that of the
// offending tab or the first character of the line.
func (f *file) parse(data []byte) *yaml.Node {
	if n := valueCount(f.path, data); n > MaxFileValues {
		f.problems = append(f.problems, Problem{Path: f.path, Message: fmt.Sprintf("holds about %s values, more than kvplot's limit of %s for a spec file",
			units.Group(int64(n)), units.Group(MaxFileValues))})
		return nil
	}
	if isJSON(f.path, data) {
		if line, col, msg, ok := jsonSyntaxError(data); !ok {
			f.problems = append(f.problems, Problem{Path: f.path, Line: line, Col: col, Message: "syntax error: " + msg})
			return nil
		}
		data = untab(data)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			f.problems = append(f.problems, Problem{Path: f.path, Message: "file is empty"})
			return nil
		}
		f.problems = append(f.problems, yamlSyntaxProblem(f.path, data, err))
		return nil
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.problems = append(f.problems, yamlSyntaxProblem(f.path, data, err))
			return nil
		}
		if len(next.Content) > 0 && !(next.Content[0].Kind == yaml.ScalarNode && next.Content[0].Tag == "!!null") {
			c := next.Content[0]
			f.problems = append(f.problems, Problem{Path: f.path, Line: c.Line, Col: c.Column,
				Message: "file holds more than one YAML document (another starts here after ---); kvplot reads one"})
			return nil
		}
	}
	if len(doc.Content) == 0 {
		f.problems = append(f.problems, Problem{Path: f.path, Message: "file is empty"})
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		f.problems = append(f.problems, Problem{Path: f.path, Message: "file is empty"})
		return nil
	}
	resolveAliases(root)
	return root
}

// resolveAliases replaces each alias (*name) below n by the node it names,
// so fields read through an alias like any other value. Each original node
// is visited once, so aliases cannot make this blow up.
func resolveAliases(n *yaml.Node) {
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode {
			t := c.Alias
			for hops := 0; t != nil && t.Kind == yaml.AliasNode && hops < 100; hops++ {
				t = t.Alias
			}
			if t != nil && t.Kind != yaml.AliasNode {
				n.Content[i] = t
			}
			continue
		}
		resolveAliases(c)
	}
}

// yamlSyntaxProblem turns a yaml.v3 parse error into a positioned problem.
func yamlSyntaxProblem(p string, data []byte, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	lines := strings.Split(string(data), "\n")
	if l := firstBadLine(lines); l > 0 {
		line = l
	}
	col := 0
	if name, ok := quotedAnchor(msg); ok {
		// "unknown anchor 'x' referenced": find the first *x.
		for i, l := range lines {
			if j := strings.Index(l, "*"+name); j >= 0 {
				line, col = i+1, utf8.RuneCountInString(l[:j])+1
				break
			}
		}
	} else if line == 0 && len(data) > 0 {
		line = 1
	}
	if line > 0 && col == 0 {
		col = 1
		if line <= len(lines) {
			l := lines[line-1]
			if j := strings.IndexByte(l, '\t'); j >= 0 && strings.Contains(msg, "cannot start any token") {
				col = utf8.RuneCountInString(l[:j]) + 1
				msg += " (YAML does not allow tabs for indentation)"
			} else if t := strings.TrimLeft(l, " \t"); t != "" {
				col = utf8.RuneCountInString(l[:len(l)-len(t)]) + 1
			}
		}
	}
	if line == 0 {
		col = 0
	}
	return Problem{Path: p, Line: line, Col: col, Message: "syntax error: " + msg}
}

// maxScanLines bounds the files firstBadLine scans (it parses each prefix).
const maxScanLines = 2000

// firstBadLine finds the line of a YAML syntax error more reliably than
// yaml.v3's message (which gives the line of the enclosing construct, or
// none on the first line): one past the longest prefix of whole lines that
// parses. For a quote or bracket left open, that is the line it opens on.
// It returns 0 for files too long to scan.
func firstBadLine(lines []string) int {
	if len(lines) > maxScanLines {
		return 0
	}
	for j := len(lines) - 1; j > 0; j-- {
		if yamlParses(strings.Join(lines[:j], "\n")) {
			return j + 1
		}
	}
	return 1
}

// yamlParses reports whether every document in s parses.
func yamlParses(s string) bool {
	dec := yaml.NewDecoder(strings.NewReader(s))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

func quotedAnchor(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "unknown anchor '")
	if !ok {
		return "", false
	}
	i := strings.Index(rest, "'")
	if i <= 0 {
		return "", false
	}
	return rest[:i], true
}

// isJSON tells whether a file is to be read as JSON: by its extension, or,
// for a file named neither .yaml nor .yml, by its content.
func isJSON(p string, data []byte) bool {
	switch strings.ToLower(path.Ext(filepath.ToSlash(p))) {
	case ".json":
		return true
	case ".yaml", ".yml":
		return false
	}
	return looksLikeJSON(data)
}

// looksLikeJSON reports whether data is a JSON object or array: its first
// non-blank byte (after a byte-order mark) is '{' or '['. JSON files in
// flow style are also YAML, but YAML accepts what JSON readers refuse.
func looksLikeJSON(data []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// jsonSyntaxError checks data as JSON, tolerating Python's NaN, Infinity and
// -Infinity (json.dump writes them; kvplot rejects them where it reads a
// number). It returns the 1-based line and column of the first error.
func jsonSyntaxError(data []byte) (line, col int, msg string, ok bool) {
	clean := pythonJSON(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.UseNumber() // 1e400 is valid JSON; a field kvplot reads checks its range
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			off := dec.InputOffset()
			line, col = lineCol(clean, off)
			return line, col, "unexpected text after the end of the JSON value", false
		}
		return 0, 0, "", true
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := se.Offset - 1
		if off < 0 {
			off = 0
		}
		line, col = lineCol(clean, off)
		return line, col, strings.TrimPrefix(se.Error(), "json: "), false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col = lineCol(clean, int64(len(clean)))
		return line, col, "unexpected end of JSON input (a bracket or quote is not closed)", false
	}
	// Other errors (e.g. too deeply nested) have no position.
	return 1, 1, strings.TrimPrefix(err.Error(), "json: "), false
}

// lineCol turns a byte offset into a 1-based line and column (in runes).
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// pythonJSON replaces NaN, Infinity and -Infinity outside strings with
// blanks and a 0 of the same length, keeping every offset.
func pythonJSON(data []byte) []byte {
	out := data
	copied := false
	outsideStrings(data, func(i int) int {
		for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
			if bytes.HasPrefix(data[i:], []byte(tok)) {
				if !copied {
					out = append([]byte(nil), data...)
					copied = true
				}
				for j := range len(tok) {
					out[i+j] = ' '
				}
				out[i] = '0'
				return len(tok)
			}
		}
		return 1
	})
	return out
}

// untab replaces tabs outside JSON strings with spaces (same offsets):
// JSON allows tabs as blanks, YAML's block context does not.
func untab(data []byte) []byte {
	if bytes.IndexByte(data, '\t') < 0 {
		return data
	}
	out := append([]byte(nil), data...)
	outsideStrings(data, func(i int) int {
		if out[i] == '\t' {
			out[i] = ' '
		}
		return 1
	})
	return out
}

// outsideStrings calls visit with the offset of each byte of JSON text
// that is not inside a string literal (quotes included in neither);
// visit returns how many bytes it consumed (at least 1).
func outsideStrings(data []byte, visit func(i int) int) {
	inStr, esc := false, false
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
		case inStr:
		case c == '"':
			inStr = true
		default:
			i += max(1, visit(i))
			continue
		}
		i++
	}
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
		if first, dup := o.keys[k.Value]; dup {
			f.errorf(k, prefix+k.Value, "duplicate field (first given at line %d)", first.Line)
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
		return "the string " + quoteShort(n.Value)
	}
	return cutText(n.Value)
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

// valueNode returns the value node of a field, or the object's node when
// the field is absent, for positions of problems about the value.
func (o *obj) valueNode(name string) *yaml.Node {
	if v, ok := o.vals[name]; ok {
		return v
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

// label reads a string shown as a name or title: one line of text, no
// control characters (a newline or an escape sequence in a name would let
// a spec forge lines in a terminal).
func (o *obj) label(names ...string) (string, bool) {
	s, ok := o.str(names...)
	if ok && hasControls(s) {
		name, v := o.field(names...)
		o.f.errorf(v, o.prefix+name, "must be one line of text without control characters, got %q", s)
		return s, false
	}
	return s, ok
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
		// A config class default answers only for an absent key: an explicit
		// null (Mistral's "sliding_window": null) means none.
		if d, ok := o.defaults[names[0]]; ok && o.firstPresent(names...) == "" {
			o.f.note("%s%s = %d", o.prefix, names[0], d)
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
		x, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange), math.IsNaN(x):
			f.errorf(v, field, "must be a whole number, got %s", v.Value)
			return 0, false
		case x > float64(hi):
			f.errorf(v, field, "must be at most %d, got %s", hi, v.Value)
			return 0, false
		case x < float64(lo):
			f.errorf(v, field, "must be at least %d, got %s", lo, v.Value)
			return 0, false
		case x != math.Trunc(x):
			f.errorf(v, field, "must be a whole number, got %s", v.Value)
			return 0, false
		}
		return f.checkRange(v, field, int64(x), lo, hi)
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
	if err != nil {
		switch {
		case !errors.Is(err, strconv.ErrRange):
			f.errorf(v, field, "must be a whole number, got %s", v.Value)
		case strings.HasPrefix(v.Value, "-"):
			f.errorf(v, field, "must be at least %d, got %s", lo, v.Value)
		default:
			f.errorf(v, field, "must be at most %d, got %s", hi, v.Value)
		}
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
		if k == "<<" {
			o.f.errorf(o.keys[k], o.prefix+k, "YAML merge keys (<<) are not supported: write the fields out")
			continue
		}
		if a, ok := fieldAliases[strings.ToLower(k)]; ok && set[a] {
			msg += fmt.Sprintf(" (did you mean %q?)", a)
		} else if s := suggest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else if len(known) <= maxListedFields {
			msg += fmt.Sprintf(" (known fields: %s)", strings.Join(known, ", "))
		} else {
			msg += " (not a field kvplot reads here)"
		}
		o.f.errorf(o.keys[k], o.prefix+k, "%s", msg)
	}
}

// maxListedFields caps the known fields an unknown-field message lists.
const maxListedFields = 12

// fieldAliases maps names people write for kvplot's fields (other tools'
// spellings) to kvplot's own, for suggestions edit distance cannot make.
var fieldAliases = map[string]string{
	"tensor_parallel": "tp", "tensor_parallel_size": "tp", "tp_size": "tp", "tensor-parallel-size": "tp",
	"pipeline_parallel": "pp", "pipeline_parallel_size": "pp", "pp_size": "pp", "pipeline-parallel-size": "pp",
	"gpus": "count", "num_gpus": "count", "gpu_count": "count", "n_gpus": "count", "accelerators": "count",
	"gpu": "accelerator", "accel": "accelerator", "device": "accelerator", "accelerator_id": "accelerator",
	"vram": "memory", "hbm": "memory", "memory_size": "memory", "capacity": "memory",
	"mem_bandwidth": "bandwidth", "memory_bandwidth": "bandwidth",
	"hf_config": "config", "config_json": "config", "config_file": "config", "arch": "architecture",
	"url": "source", "link": "source", "params": "params_published", "parameters": "params_published",
	"context": "contexts", "batch": "batches", "batch_sizes": "batches", "context_lengths": "contexts",
}

// suggest returns the known name closest to s, if it is close enough to be
// a misspelling.
func suggest(s string, known []string) string {
	limit := 1
	if len(s) >= 5 {
		limit = 2
	}
	if len(s) >= 12 {
		limit = 3
	}
	best, bestD := "", limit+1
	ls := strings.ToLower(s)
	for _, k := range known {
		if abs(len(s)-len(k)) > limit {
			continue // the distance is at least the length difference
		}
		if d := editDistance(ls, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the Damerau–Levenshtein (optimal string alignment)
// distance, in O(len(a)·len(b)) time and O(len(b)) space.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1) // row i-2
	prev := make([]int, len(rb)+1)  // row i-1
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// without returns a view of o that lacks the named fields.
func (o *obj) without(names ...string) *obj {
	c := *o
	c.keys, c.vals = map[string]*yaml.Node{}, map[string]*yaml.Node{}
	drop := map[string]bool{}
	for _, n := range names {
		drop[n] = true
	}
	c.order = nil
	for _, k := range o.order {
		if drop[k] {
			continue
		}
		c.keys[k], c.vals[k] = o.keys[k], o.vals[k]
		c.order = append(c.order, k)
	}
	return &c
}
