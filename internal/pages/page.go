package pages

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/kvplot/kvplot/internal/charts"
)

// The page model: what a page shows, as plain values. Package site renders
// it; nothing here knows HTML.

// Page is one HTML page of the site.
type Page struct {
	// Path is the page's slash path relative to the output directory,
	// such as "index.html" or "models/llama-3-8b.html". Its segments are
	// lower-case slugs (see Slug); "assets/" and "data/" are reserved.
	Path  string
	Title string
	// Intro is shown under the title; blank lines separate paragraphs.
	Intro  string
	Blocks []Block
}

// Block is one part of a page: Text, Figure, Table, Assumptions, Formulas
// or Links.
type Block interface{ block() }

// Text is a section of prose with an optional heading.
type Text struct {
	Heading string
	// ID is an optional anchor for the heading, e.g. "fleets".
	ID         string
	Paragraphs []string
}

// Figure is a chart, with an optional caption under it.
type Figure struct {
	Chart   charts.Chart
	Caption string
	// Height is the chart's height in CSS pixels; 0 means the default
	// (420 px, less on narrow screens).
	Height int
	// MinWidth is the narrowest the chart may be drawn, in CSS pixels;
	// on a narrower screen it scrolls sideways. 0 means no minimum.
	MinWidth int
}

// Align is the alignment of a table column.
type Align uint8

// Column alignments. AlignAuto right-aligns a column whose cells all look
// like numbers (optionally followed by a unit) and left-aligns the rest.
const (
	AlignAuto Align = iota
	AlignLeft
	AlignRight
	AlignCenter
)

// Table is a table of text cells. When DataName is set the table is also
// written as data/<DataName>.csv and data/<DataName>.json, and the page
// links to both.
type Table struct {
	// ID is an optional element id, e.g. "kv-per-token".
	ID      string
	Caption string
	Header  []string
	Rows    [][]string
	// Align is optional, one entry per column; missing entries are
	// AlignAuto.
	Align []Align
	// DataName is a slug naming the table's data files; it must be
	// unique in the site.
	DataName string
	// Raw optionally holds the rows' underlying values for the JSON file
	// (numbers as numbers); it must have the shape of Rows. Without it
	// the JSON holds the cell strings. NaN and infinities become null.
	Raw [][]any
	// Keys, with Raw, are the columns' names in the data files: snake_case
	// with the unit (weights_bytes, max_context_tokens_batch_8). Then the
	// CSV's header is Keys and its cells are Raw's plain numbers (empty for
	// null), the JSON's keys are Keys; a "note" column says why a row's
	// cells are null. Keys may run past Header: the extra columns (such as
	// the note) are in the data files only. See docs/data.md.
	Keys []string
	// Fixed keeps the rows in their order: no sort buttons, for tables
	// whose order is their meaning (a list of facts). Other tables of
	// three rows or more sort by any column.
	Fixed bool
	// RowLinks optionally link each row's first cell, one site path
	// (see Link) per row; "" leaves a row's cell as text.
	RowLinks []string
}

// Assumptions is a box listing what a page's numbers assume.
type Assumptions []string

// Formulas is a box of pre-formatted lines, one formula a line.
type Formulas []string

// Link is a hyperlink. Href is either a site path relative to the output
// directory ("models/llama-3-8b.html", "data/kv.csv", optionally with a
// "#fragment"), which is rewritten relative to the page, a "#fragment" of
// the page itself, or an absolute http(s) URL.
type Link struct {
	Text string
	Href string
	// External marks a link that comes from a spec: it is kept only if
	// it is an absolute http or https URL and is shown as plain text
	// otherwise. An internal link that is not valid is an error.
	External bool
	// Note is optional text shown after the link.
	Note string
}

// Links is a list of links.
type Links []Link

func (Text) block()        {}
func (Figure) block()      {}
func (Table) block()       {}
func (Assumptions) block() {}
func (Formulas) block()    {}
func (Links) block()       {}

var (
	segmentPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	slugPattern    = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
)

// IsSlug reports whether s is a slug: lower-case ASCII letters and digits
// in runs joined by single hyphens, as Slug makes.
func IsSlug(s string) bool { return slugPattern.MatchString(s) }

// CheckPath reports whether p can be a page path.
func CheckPath(p string) error {
	if !strings.HasSuffix(p, ".html") {
		return fmt.Errorf("page path %q: must end in .html", p)
	}
	if path.Clean(p) != p || path.IsAbs(p) {
		return fmt.Errorf("page path %q: must be a clean relative slash path", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if !segmentPattern.MatchString(seg) || isReservedName(strings.SplitN(seg, ".", 2)[0]) {
			return fmt.Errorf("page path %q: segment %q must be a lower-case slug", p, seg)
		}
	}
	if first, _, ok := strings.Cut(p, "/"); ok && (first == "assets" || first == "data") {
		return fmt.Errorf("page path %q: %s/ is reserved", p, first)
	}
	return nil
}
