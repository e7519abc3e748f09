package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"github.com/kvplot/kvplot/internal/pages"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/charts"
)

// echartsSHA256 is the sha256 of the custom ECharts 5.6.0 build that
// scripts/echarts/build.sh makes, as recorded in assets/VERSIONS.
const echartsSHA256 = "7790e9372afcaf526ce631196472b4d3de66d0e6231451a131b5a31e1f76a0af"

func TestEChartsAsset(t *testing.T) {
	sum := sha256.Sum256(echartsJS)
	if got := hex.EncodeToString(sum[:]); got != echartsSHA256 {
		t.Errorf("sha256(assets/echarts.min.js) = %s, want %s", got, echartsSHA256)
	}
	if !bytes.Contains(echartsVersions, []byte(echartsSHA256)) {
		t.Errorf("assets/VERSIONS does not record sha256 %s", echartsSHA256)
	}
	// Standalone pages inline the file into a <script> element.
	if m := regexp.MustCompile(`(?i)</script|<!--`).Find(echartsJS); m != nil {
		t.Errorf("echarts.min.js contains %q and cannot be inlined", m)
	}
	if len(echartsLicence) == 0 || len(echartsNotice) == 0 || len(zrenderLicence) == 0 || len(tslibLicence) == 0 {
		t.Errorf("a licence file is empty")
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	first, err := Render(demoPages(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for i := range 3 {
		again, err := Render(demoPages(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sortedKeys(first), sortedKeys(again)) {
			t.Fatalf("render %d: files %v, want %v", i+2, sortedKeys(again), sortedKeys(first))
		}
		for p, b := range first {
			if !bytes.Equal(b, again[p]) {
				t.Errorf("render %d: %s differs", i+2, p)
			}
		}
		runtime.GOMAXPROCS(4)
	}
}

func sortedKeys(f Files) []string {
	var ks []string
	for k := range f {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestRenderFiles(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opt        Options
		wantJS     bool
		wantInline bool
	}{
		{"shared asset", Options{}, true, false},
		{"standalone", Options{Standalone: true}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Render(demoPages(), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			want := append(demoPaths(), ".nojekyll", MarkerFile, licencePath, noticePath, versionsPath, zrenderPath, tslibPath,
				"data/kv-per-token.csv", "data/kv-per-token.json")
			if tc.wantJS {
				want = append(want, EChartsPath)
			}
			slices.Sort(want)
			if got := sortedKeys(files); !slices.Equal(got, want) {
				t.Errorf("files = %v, want %v", got, want)
			}
			index := string(files["index.html"])
			if got := strings.Contains(index, "<script src="); got == tc.wantInline {
				t.Errorf("index.html has <script src=> = %v, want %v", got, !tc.wantInline)
			}
			if got := len(index) > len(echartsJS); got != tc.wantInline {
				t.Errorf("index.html is %d bytes; echarts inlined = %v, want %v", len(index), got, tc.wantInline)
			}
			if about := string(files["about.html"]); strings.Contains(about, "<script") {
				t.Errorf("about.html has no chart but loads a script")
			}
		})
	}
}

func TestAssetPathFollowsPageDepth(t *testing.T) {
	chart := pages.Figure{Chart: charts.Bar{ID: "b", Categories: []string{"a"}, Series: []charts.Series{{Name: "s", Values: []float64{1}}}}}
	for _, tc := range []struct{ page, want string }{
		{"index.html", `<script src="assets/echarts.min.js" defer>`},
		{"models/a.html", `<script src="../assets/echarts.min.js" defer>`},
		{"x/y/z.html", `<script src="../../assets/echarts.min.js" defer>`},
	} {
		t.Run(tc.page, func(t *testing.T) {
			files, err := Render([]pages.Page{{Path: tc.page, Title: "t", Blocks: []pages.Block{chart}}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(files[tc.page]), tc.want) {
				t.Errorf("%s does not contain %s:\n%s", tc.page, tc.want, files[tc.page])
			}
		})
	}
}

// TestHostileTextIsEscaped puts hostile text in every text slot of a page;
// the only <script> elements must be kvplot's own.
func TestHostileTextIsEscaped(t *testing.T) {
	var blocks []pages.Block
	nCharts := 0
	for i, h := range []string{hostileScript, hostileMarker, hostileImg, hostileMisc} {
		blocks = append(blocks,
			pages.Text{Heading: h, Paragraphs: []string{h}},
			pages.Figure{Chart: charts.Line{ID: "c" + string(rune('a'+i)), Title: h, X: []string{h}, Series: []charts.Series{{Name: h, Values: []float64{1}}}}, Caption: h},
			pages.Table{Caption: h, Header: []string{h, "n"}, Rows: [][]string{{h, "1"}}},
			pages.Assumptions{h}, pages.Formulas{h},
			pages.Links{{Text: h, Href: "index.html", Note: h}, {Text: h, Href: h, External: true}},
		)
		nCharts++
	}
	for _, standalone := range []bool{false, true} {
		files, err := Render([]pages.Page{{Path: "index.html", Title: hostileScript, Intro: hostileImg, Blocks: blocks}}, Options{Standalone: standalone, SiteTitle: hostileMisc})
		if err != nil {
			t.Fatal(err)
		}
		page := string(files["index.html"])
		if standalone {
			page = strings.Replace(page, string(echartsJS), "", 1)
		}
		if n := strings.Count(strings.ToLower(page), "<script"); n != 2+nCharts {
			t.Errorf("standalone=%v: page has %d <script tags, want %d (echarts, the chart queue and one a chart)", standalone, n, 2+nCharts)
		}
		for _, bad := range []string{"<img", "<!--", "javascript:"} {
			if strings.Contains(page, bad) {
				t.Errorf("standalone=%v: page contains %q", standalone, bad)
			}
		}
		for _, m := range scriptText.FindAllStringSubmatch(page, -1) {
			for _, bad := range []string{"__f__", "\u2028", "\u2029", "<!--", "<script", "<img"} {
				if strings.Contains(m[1], bad) {
					t.Errorf("standalone=%v: script contains %q: %s", standalone, bad, m[1])
				}
			}
		}
	}
}

// scriptText matches the text of an inline <script> element.
var scriptText = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

func TestRel(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"index.html", "about.html", "about.html"},
		{"index.html", "models/a.html", "models/a.html"},
		{"models/a.html", "index.html", "../index.html"},
		{"models/a.html", "models/b.html", "b.html"},
		{"models/a.html", "assets/LICENSE", "../assets/LICENSE"},
		{"a/b/c.html", "a/d.html", "../d.html"},
	} {
		if got := Rel(tc.from, tc.to); got != tc.want {
			t.Errorf("Rel(%q, %q) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestResolveLink(t *testing.T) {
	for _, tc := range []struct {
		name     string
		page     string
		link     pages.Link
		wantHref string
		wantErr  bool
	}{
		{"site path from a nested page", "models/a.html", pages.Link{Href: "index.html"}, "../index.html", false},
		{"site path with fragment", "models/a.html", pages.Link{Href: "index.html#kv-table"}, "../index.html#kv-table", false},
		{"fragment of the page", "index.html", pages.Link{Href: "#top"}, "#top", false},
		{"internal https URL", "index.html", pages.Link{Href: "https://example.com/x"}, "https://example.com/x", false},
		{"spec https URL", "index.html", pages.Link{Href: "https://huggingface.co/x", External: true}, "https://huggingface.co/x", false},
		{"spec javascript URL is text", "index.html", pages.Link{Href: "javascript:alert(1)", External: true}, "", false},
		{"spec data URL is text", "index.html", pages.Link{Href: "data:text/html,x", External: true}, "", false},
		{"spec relative path is text", "index.html", pages.Link{Href: "../../etc/passwd", External: true}, "", false},
		{"spec protocol-relative URL is text", "index.html", pages.Link{Href: "//evil.example/", External: true}, "", false},
		{"spec URL with user info is text", "index.html", pages.Link{Href: "https://user:pw@example.com/", External: true}, "", false},
		{"internal javascript URL is an error", "index.html", pages.Link{Href: "javascript:alert(1)"}, "", true},
		{"internal path leaving the site is an error", "index.html", pages.Link{Href: "../x.html"}, "", true},
		{"internal absolute path is an error", "index.html", pages.Link{Href: "/x.html"}, "", true},
		{"empty internal href is an error", "index.html", pages.Link{Href: ""}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lv, err := resolveLink(tc.page, tc.link)
			if (err != nil) != tc.wantErr {
				t.Fatalf("resolveLink(%q, %+v) error = %v, want error %v", tc.page, tc.link, err, tc.wantErr)
			}
			if lv.Href != tc.wantHref {
				t.Errorf("resolveLink(%q, %+v) href = %q, want %q", tc.page, tc.link, lv.Href, tc.wantHref)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	okChart := charts.Bar{ID: "b", Categories: []string{"a"}, Series: []charts.Series{{Name: "s", Values: []float64{1}}}}
	page := func(path string, blocks ...pages.Block) pages.Page {
		return pages.Page{Path: path, Title: "t", Blocks: blocks}
	}
	for _, tc := range []struct {
		name string
		pgs  []pages.Page
		want []string
	}{
		{"upper-case path", []pages.Page{page("Index.html")}, []string{"lower-case slug"}},
		{"path leaving the site", []pages.Page{page("../x.html")}, []string{`page path "../x.html"`}},
		{"absolute path", []pages.Page{page("/x.html")}, []string{"clean relative"}},
		{"not html", []pages.Page{page("x.htm")}, []string{"must end in .html"}},
		{"reserved directory", []pages.Page{page("assets/x.html")}, []string{"reserved"}},
		{"windows device name", []pages.Page{page("models/con.html")}, []string{"lower-case slug"}},
		{"duplicate path", []pages.Page{page("a.html"), page("a.html")}, []string{"used twice"}},
		{"duplicate chart id", []pages.Page{page("a.html", pages.Figure{Chart: okChart}, pages.Figure{Chart: okChart})}, []string{`element id "b" used twice`}},
		{"duplicate data name", []pages.Page{
			page("a.html", pages.Table{Header: []string{"x"}, DataName: "kv"}),
			page("b.html", pages.Table{Header: []string{"x"}, DataName: "kv"}),
		}, []string{`data name "kv" already used on a.html`}},
		{"bad data name", []pages.Page{page("a.html", pages.Table{Header: []string{"x"}, DataName: "../kv"})}, []string{"must be a slug"}},
		{"ragged table", []pages.Page{page("a.html", pages.Table{Caption: "c", Header: []string{"x", "y"}, Rows: [][]string{{"1"}}})}, []string{"row 1 has 1 cells for 2 columns"}},
		{"ragged raw values", []pages.Page{page("a.html", pages.Table{Caption: "c", Header: []string{"x"}, Rows: [][]string{{"1"}}, Raw: [][]any{{1, 2}}})}, []string{"raw row 1"}},
		{"chart error", []pages.Page{page("a.html", pages.Figure{Chart: charts.Line{ID: "bad-id"}})}, []string{"chart id"}},
		{"figure without chart", []pages.Page{page("a.html", pages.Figure{})}, []string{"without a chart"}},
		{"nil block", []pages.Page{page("a.html", nil)}, []string{"nil block"}},
		{"bad internal link", []pages.Page{page("a.html", pages.Links{{Text: "x", Href: "javascript:x"}})}, []string{"neither a site path"}},
		{"every problem is reported", []pages.Page{
			page("a.html", pages.Figure{}),
			page("b.html", pages.Links{{Text: "x", Href: "../up.html"}}),
		}, []string{"page a.html", "page b.html"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.pgs, Options{})
			if err == nil {
				t.Fatalf("Render() succeeded, want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Render() error = %v, want one containing %q", err, w)
				}
			}
		})
	}
}

func TestTableColumnAlignment(t *testing.T) {
	tbl := pages.Table{
		Header: []string{"model", "params", "kv", "note", "forced"},
		Rows: [][]string{
			{"llama", "8.03B", "128 KiB", "x", "1"},
			{"mistral", "7,241,732,096", "-", "y", "2"},
			{"tiny", "1e9", "0.5 GiB", "z", "3"},
		},
		Align: []pages.Align{pages.AlignAuto, pages.AlignAuto, pages.AlignAuto, pages.AlignAuto, pages.AlignCenter},
	}
	tv, err := tableBlock("index.html", tbl, Files{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range tv.Header {
		got = append(got, h.Class)
	}
	if want := []string{"", "num", "num", "", "ctr"}; !slices.Equal(got, want) {
		t.Errorf("column classes = %q, want %q", got, want)
	}
}

func TestParagraphs(t *testing.T) {
	got := paragraphs("one\ntwo\n\n  three  \r\n \r\nfour\n\n\n")
	if want := []string{"one\ntwo", "three", "four"}; !slices.Equal(got, want) {
		t.Errorf("paragraphs = %q, want %q", got, want)
	}
}
