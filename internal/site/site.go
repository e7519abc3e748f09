// Package site turns kvplot's pages into a static web site: it renders
// each Page through the embedded templates into memory (Render), with the
// vendored ECharts asset and CSV/JSON files for tables, and then swaps the
// result into the output directory in one step (WriteDir), so a failed build
// never leaves a half-written site.
//
// Pages are plain values: a path, a title, an intro and a list of blocks
// (Text, Figure, Table, Assumptions, Formulas, Links). Every piece of text
// is HTML-escaped by html/template; chart options come from package charts,
// which makes them safe inside <script>.
package site

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"path"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/kvplot/kvplot/internal/charts"
	"github.com/kvplot/kvplot/templates"
)

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

// Options control Render.
type Options struct {
	// Standalone inlines echarts.min.js into every page that has a
	// chart, so each page works as a single file, and leaves
	// assets/echarts.min.js out.
	Standalone bool
	// SiteTitle is shown in the header and page titles; empty means
	// "kvplot".
	SiteTitle string
	// Nav are the header links (site paths); nil means Overview
	// (index.html) and About (about.html).
	Nav []Link
}

// Files is a rendered site: file contents by slash path relative to the
// output directory.
type Files map[string][]byte

// The fixed files of every site.
const (
	MarkerFile   = ".kvplot-site"
	EChartsPath  = "assets/echarts.min.js"
	licencePath  = "assets/LICENSE"
	noticePath   = "assets/NOTICE"
	versionsPath = "assets/VERSIONS"
)

var defaultNav = []Link{{Text: "Overview", Href: "index.html"}, {Text: "About", Href: "about.html"}}

// Render renders pages into memory, together with .nojekyll, the ECharts
// asset and its licence files, and the tables' data files. Pages render
// in parallel; the output depends only on pages and opt. All problems are
// reported, not only the first.
func Render(pages []Page, opt Options) (Files, error) {
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	if opt.SiteTitle == "" {
		opt.SiteTitle = "kvplot"
	}
	if opt.Nav == nil {
		opt.Nav = defaultNav
	}
	if err := checkPages(pages); err != nil {
		return nil, err
	}

	type result struct {
		html []byte
		data Files
		err  error
	}
	results := make([]result, len(pages))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(pages), 1)) {
		wg.Go(func() {
			for i := range jobs {
				html, data, err := renderPage(tmpl, pages[i], opt)
				results[i] = result{html, data, err}
			}
		})
	}
	for i := range pages {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	files := Files{
		".nojekyll":  {},
		MarkerFile:   []byte(markerText),
		licencePath:  echartsLicence,
		noticePath:   echartsNotice,
		versionsPath: echartsVersions,
	}
	if !opt.Standalone {
		files[EChartsPath] = echartsJS
	}
	var errs []error
	for i, r := range results {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("page %s: %w", pages[i].Path, r.err))
			continue
		}
		files[pages[i].Path] = r.html
		for p, b := range r.data {
			files[p] = b
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

const markerText = "This directory is generated by kvplot and replaced on every build.\n"

var (
	segmentPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	slugPattern    = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	elemIDPattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
)

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

// checkPages checks what spans pages: paths, and data names.
func checkPages(pages []Page) error {
	var errs []error
	paths := map[string]bool{}
	dataNames := map[string]string{}
	for _, pg := range pages {
		if err := CheckPath(pg.Path); err != nil {
			errs = append(errs, err)
		}
		if paths[pg.Path] {
			errs = append(errs, fmt.Errorf("page path %q: used twice", pg.Path))
		}
		paths[pg.Path] = true
		for _, b := range pg.Blocks {
			t, ok := b.(Table)
			if !ok || t.DataName == "" {
				continue
			}
			if other, dup := dataNames[t.DataName]; dup {
				errs = append(errs, fmt.Errorf("page %s: table data name %q already used on %s", pg.Path, t.DataName, other))
			}
			dataNames[t.DataName] = pg.Path
		}
	}
	return errors.Join(errs...)
}

func parseTemplates() (*template.Template, error) {
	t, err := template.New("site").ParseFS(templates.FS, "*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing templates: %w", err)
	}
	return t, nil
}

// The values the templates see.
type (
	pageView struct {
		Title, SiteTitle string
		Intro            []string
		Home, Licence    string
		Nav              []linkView
		EChartsSrc       string
		EChartsInline    template.JS
		HasCharts        bool
		Blocks           []blockView
	}
	blockView struct {
		Kind  string
		Text  Text
		Chart chartView
		Table tableView
		Items []string
		Links []linkView
	}
	chartView struct {
		ID, Title, Caption string
		Series             int
		Height             int
		Option             template.JS
	}
	linkView struct {
		Text, Href, Note  string
		External, Current bool
	}
	tableView struct {
		ID, Caption string
		Header      []cellView
		Rows        [][]cellView
		CSV, JSON   string
	}
	cellView struct{ Text, Class string }
)

// renderPage renders one page and its data files.
func renderPage(tmpl *template.Template, pg Page, opt Options) ([]byte, Files, error) {
	view := pageView{
		Title:     pg.Title,
		SiteTitle: opt.SiteTitle,
		Intro:     paragraphs(pg.Intro),
		Home:      Rel(pg.Path, "index.html"),
		Licence:   Rel(pg.Path, licencePath),
	}
	var errs []error
	for _, l := range opt.Nav {
		lv, err := resolveLink(pg.Path, l)
		if err != nil {
			errs = append(errs, fmt.Errorf("nav: %w", err))
		}
		lv.Current = l.Href == pg.Path
		view.Nav = append(view.Nav, lv)
	}
	data := Files{}
	ids := map[string]bool{}
	useID := func(id string) {
		if id == "" {
			return
		}
		if ids[id] {
			errs = append(errs, fmt.Errorf("element id %q used twice", id))
		}
		ids[id] = true
	}
	for i, b := range pg.Blocks {
		var bv blockView
		var err error
		switch b := b.(type) {
		case Text:
			bv = blockView{Kind: "text", Text: b}
			if b.ID != "" && !elemIDPattern.MatchString(b.ID) {
				err = fmt.Errorf("text id %q: must match %s", b.ID, elemIDPattern)
			}
			useID(b.ID)
		case Figure:
			bv.Kind = "chart"
			bv.Chart, err = chartBlock(b)
			useID(bv.Chart.ID)
			view.HasCharts = true
		case Table:
			bv.Kind = "table"
			bv.Table, err = tableBlock(pg.Path, b, data)
			useID(b.ID)
		case Assumptions:
			bv = blockView{Kind: "assumptions", Items: b}
		case Formulas:
			bv = blockView{Kind: "formulas", Items: b}
		case Links:
			bv.Kind = "links"
			for _, l := range b {
				lv, lerr := resolveLink(pg.Path, l)
				err = errors.Join(err, lerr)
				bv.Links = append(bv.Links, lv)
			}
		case nil:
			err = errors.New("nil block")
		default:
			err = fmt.Errorf("unknown block type %T", b)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("block %d: %w", i+1, err))
		}
		view.Blocks = append(view.Blocks, bv)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if view.HasCharts {
		if opt.Standalone {
			view.EChartsInline = template.JS(echartsJS)
		} else {
			view.EChartsSrc = Rel(pg.Path, EChartsPath)
		}
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "page", view); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), data, nil
}

func chartBlock(f Figure) (chartView, error) {
	if f.Chart == nil {
		return chartView{}, errors.New("figure without a chart")
	}
	opt, err := f.Chart.Option()
	if err != nil {
		return chartView{}, err
	}
	return chartView{
		ID:      f.Chart.ChartID(),
		Title:   f.Chart.ChartTitle(),
		Caption: f.Caption,
		Series:  f.Chart.SeriesCount(),
		Height:  min(max(f.Height, 0), 4000),
		Option:  opt,
	}, nil
}

var blankLine = regexp.MustCompile(`\n[ \t]*\n`)

// paragraphs splits text at blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range blankLine.Split(strings.ReplaceAll(s, "\r\n", "\n"), -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Rel returns the href from the page at site path from to the site path
// to, e.g. Rel("models/a.html", "index.html") is "../index.html".
func Rel(from, to string) string {
	fromDir := strings.Split(path.Dir(from), "/")
	if fromDir[0] == "." {
		fromDir = nil
	}
	toParts := strings.Split(to, "/")
	n := 0
	for n < len(fromDir) && n < len(toParts)-1 && fromDir[n] == toParts[n] {
		n++
	}
	return strings.Repeat("../", len(fromDir)-n) + strings.Join(toParts[n:], "/")
}

// resolveLink makes a link's href relative to the page, or drops it.
func resolveLink(page string, l Link) (linkView, error) {
	lv := linkView{Text: l.Text, Note: l.Note}
	href := strings.TrimSpace(l.Href)
	if isWebURL(href) {
		lv.Href, lv.External = href, true
		return lv, nil
	}
	if l.External {
		return lv, nil // shown as text: not an http(s) URL
	}
	if strings.HasPrefix(href, "#") && elemIDPattern.MatchString(href[1:]) {
		lv.Href = href
		return lv, nil
	}
	p, frag, _ := strings.Cut(href, "#")
	if p == "" || path.Clean(p) != p || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") ||
		strings.ContainsAny(p, `\:?`) || (frag != "" && !elemIDPattern.MatchString(frag)) {
		return lv, fmt.Errorf("link %q: href %q is neither a site path nor an http(s) URL", l.Text, l.Href)
	}
	lv.Href = Rel(page, p)
	if frag != "" {
		lv.Href += "#" + frag
	}
	return lv, nil
}

// numberLike matches a cell that reads as a number, maybe with a unit.
var numberLike = regexp.MustCompile(`^[-+−]?(?:[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?(?:\s?[%×xA-Za-z/]+)?$`)

func tableBlock(pagePath string, t Table, data Files) (tableView, error) {
	var errs []error
	if len(t.Header) == 0 {
		errs = append(errs, errors.New("table without header"))
	}
	if t.ID != "" && !elemIDPattern.MatchString(t.ID) {
		errs = append(errs, fmt.Errorf("table id %q: must match %s", t.ID, elemIDPattern))
	}
	for i, row := range t.Rows {
		if len(row) != len(t.Header) {
			errs = append(errs, fmt.Errorf("table %q: row %d has %d cells for %d columns", t.Caption, i+1, len(row), len(t.Header)))
		}
	}
	if len(t.Align) > len(t.Header) {
		errs = append(errs, fmt.Errorf("table %q: %d alignments for %d columns", t.Caption, len(t.Align), len(t.Header)))
	}
	if t.Raw != nil {
		if len(t.Raw) != len(t.Rows) {
			errs = append(errs, fmt.Errorf("table %q: %d raw rows for %d rows", t.Caption, len(t.Raw), len(t.Rows)))
		}
		for i, row := range t.Raw {
			if len(row) != len(t.Header) {
				errs = append(errs, fmt.Errorf("table %q: raw row %d has %d values for %d columns", t.Caption, i+1, len(row), len(t.Header)))
			}
		}
	}
	if t.DataName != "" && !slugPattern.MatchString(t.DataName) {
		errs = append(errs, fmt.Errorf("table %q: data name %q must be a slug", t.Caption, t.DataName))
	}
	if err := errors.Join(errs...); err != nil {
		return tableView{}, err
	}

	classes := make([]string, len(t.Header))
	for j := range t.Header {
		a := AlignAuto
		if j < len(t.Align) {
			a = t.Align[j]
		}
		if a == AlignAuto {
			a = AlignRight
			seen := false
			for _, row := range t.Rows {
				c := strings.TrimSpace(row[j])
				if c == "" || c == "-" || c == "—" || c == "n/a" {
					continue
				}
				seen = true
				if !numberLike.MatchString(c) {
					a = AlignLeft
					break
				}
			}
			if !seen {
				a = AlignLeft
			}
		}
		classes[j] = map[Align]string{AlignRight: "num", AlignCenter: "ctr"}[a]
	}
	tv := tableView{ID: t.ID, Caption: t.Caption}
	for j, h := range t.Header {
		tv.Header = append(tv.Header, cellView{Text: h, Class: classes[j]})
	}
	for _, row := range t.Rows {
		cells := make([]cellView, len(row))
		for j, c := range row {
			cells[j] = cellView{Text: c, Class: classes[j]}
		}
		tv.Rows = append(tv.Rows, cells)
	}
	if t.DataName != "" {
		csvPath, jsonPath := "data/"+t.DataName+".csv", "data/"+t.DataName+".json"
		csvBytes, err := TableCSV(t)
		if err != nil {
			return tableView{}, err
		}
		jsonBytes, err := TableJSON(t)
		if err != nil {
			return tableView{}, err
		}
		data[csvPath], data[jsonPath] = csvBytes, jsonBytes
		tv.CSV, tv.JSON = Rel(pagePath, csvPath), Rel(pagePath, jsonPath)
	}
	return tv, nil
}
