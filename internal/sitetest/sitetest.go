// Package sitetest loads a rendered kvplot site in headless Chromium and
// checks every page the way a reader would see it: no console errors or
// exceptions, every chart drawn with the series it should have, no
// injected script run, and every relative link pointing at a file that
// exists. Only tests import it, which keeps chromedp out of the kvplot
// binary.
package sitetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/kvplot/kvplot/internal/snapshot"
)

// DefaultChromium is where Debian's chromium package installs the browser.
const DefaultChromium = snapshot.DefaultChromium

// FindChromium returns the browser to run, as kvplot snapshot finds it:
// $KVPLOT_CHROMIUM if set, else DefaultChromium, else one on $PATH.
func FindChromium() (string, error) { return snapshot.FindChromium() }

// Report is what CheckSite saw.
type Report struct {
	Pages []PageReport
	// Screenshot is the PNG of the first page, if one was saved.
	Screenshot string
}

// PageReport is what CheckSite saw on one page.
type PageReport struct {
	Path string
	// RenderTime runs from the start of the navigation until every chart
	// on the page has drawn, measured in Go; InPage is the same moment
	// by the page's own clock (performance.now()).
	RenderTime, InPage time.Duration
	Charts             []ChartReport
	// Console has every console message, exception and browser log entry.
	Console []string
	// Problems are the failures: errors and warnings on the console,
	// charts that did not draw, injected code that ran, broken links.
	Problems []string
}

// ChartReport describes one chart container.
type ChartReport struct {
	ID string
	// WantSeries is the page's data-kvplot-series attribute; GotSeries
	// is the series count of the ECharts instance (-1 without one).
	WantSeries, GotSeries int
	// Shapes counts SVG paths, rects and texts drawn.
	Shapes        int
	Width, Height int
	// Cells counts the cells of heat maps that show labels; Labelled
	// those of them whose label was drawn with some text.
	Cells, Labelled int
}

// pageCheck is what the page reports about itself.
type pageCheck struct {
	Charts []struct {
		ID     string `json:"id"`
		Want   int    `json:"want"`
		Got    int    `json:"got"`
		Shapes int    `json:"shapes"`
		W      int    `json:"w"`
		H      int    `json:"h"`
		Cells  int    `json:"cells"`
		Labels int    `json:"labelled"`
	} `json:"charts"`
	Overlaps []string `json:"overlaps"`
	Sorting  []string `json:"sorting"`
	Refs     []struct {
		Attr string `json:"attr"`
		URL  string `json:"url"`
		Tag  string `json:"tag"`
	} `json:"refs"`
	MissingAnchors []string `json:"missingAnchors"`
	Pwned          string   `json:"pwned"`
	Images         int      `json:"images"`
}

// drawnJS is truthy (the page's clock) once every chart has an ECharts
// instance that drew SVG.
const drawnJS = `(function () {
  var els = document.querySelectorAll('[data-kvplot-chart]');
  if (els.length && !window.echarts) { return false; }
  for (var i = 0; i < els.length; i++) {
    var inst = echarts.getInstanceByDom(els[i]);
    var svg = els[i].querySelector('svg');
    if (!inst || !svg || !svg.querySelector('path, rect, text')) { return false; }
  }
  return performance.now() + 1;
})()`

// tooltipJS shows the first tooltip of every series, so that formatter
// output is put into the DOM.
const tooltipJS = `(function () {
  document.querySelectorAll('[data-kvplot-chart]').forEach(function (el) {
    var inst = echarts.getInstanceByDom(el);
    var n = inst.getOption().series.length;
    for (var s = 0; s < n; s++) { inst.dispatchAction({type: 'showTip', seriesIndex: s, dataIndex: 0}); }
  });
  return true;
})()`

const inspectJS = `(function () {
  var out = {charts: [], refs: [], missingAnchors: [], pwned: '', images: 0, overlaps: [], sorting: []};
  if (typeof window.__pwned !== 'undefined') { out.pwned = String(window.__pwned); }
  document.querySelectorAll('[data-kvplot-chart]').forEach(function (el) {
    var inst = window.echarts ? echarts.getInstanceByDom(el) : null;
    var svg = el.querySelector('svg');
    var c = {id: el.id, want: +el.getAttribute('data-kvplot-series'),
      got: inst ? inst.getOption().series.length : -1,
      shapes: svg ? svg.querySelectorAll('path, rect, text').length : 0,
      w: el.clientWidth, h: el.clientHeight, cells: 0, labelled: 0};
    if (inst) {
      inst.getModel().eachSeries(function (s) {
        if (s.subType !== 'heatmap' || !s.get(['label', 'show'])) { return; }
        var d = s.getData();
        for (var i = 0; i < d.count(); i++) {
          c.cells++;
          var g = d.getItemGraphicEl(i);
          var t = g && g.getTextContent && g.getTextContent();
          if (t && !t.ignore && !t.invisible && t.style && String(t.style.text || '').trim() !== '') { c.labelled++; }
        }
      });
    }
    out.charts.push(c);
    if (!inst || !svg) { return; }
    var names = [];
    var opt = inst.getOption();
    ['xAxis', 'yAxis'].forEach(function (k) { (opt[k] || []).forEach(function (a) { if (a.name) { names.push(a.name); } }); });
    var texts = Array.prototype.slice.call(svg.querySelectorAll('text')).map(function (t) {
      var r = t.getBoundingClientRect(); return {text: t.textContent, r: r};
    }).filter(function (t) { return t.r.width > 0 && t.r.height > 0; });
    texts.forEach(function (a) {
      if (names.indexOf(a.text) < 0) { return; }
      texts.forEach(function (b) {
        if (a === b || names.indexOf(b.text) >= 0) { return; }
        var w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        var h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (w > 1 && h > 1) { out.overlaps.push(el.id + ': axis name "' + a.text + '" overlaps "' + b.text + '"'); }
      });
    });
  });
  document.querySelectorAll('table.sortable').forEach(function (table, ti) {
    var heads = table.tHead.rows[0].cells;
    var where = (table.closest('[id]') || {}).id || ('table ' + ti);
    var numCol = -1;
    for (var j = 1; j < heads.length; j++) { if (heads[j].classList.contains('num')) { numCol = j; break; } }
    [0, numCol].forEach(function (col) {
      if (col < 0) { return; }
      var button = heads[col].querySelector('button');
      if (!button) { out.sorting.push(where + ': column ' + col + ' has no sort button'); return; }
      [1, -1].forEach(function (dir) {
        button.click();
        var state = heads[col].getAttribute('aria-sort');
        if (state !== (dir > 0 ? 'ascending' : 'descending')) { out.sorting.push(where + ': column ' + col + ' aria-sort ' + state); }
        var cells = Array.prototype.map.call(table.tBodies[0].rows, function (r) { return r.cells[col].textContent; });
        for (var i = 1; i < cells.length; i++) {
          var a = cells[i - 1], b = cells[i], d;
          if (col === numCol) {
            var p = parseFloat(a.replace(/,/g, '')), q = parseFloat(b.replace(/,/g, ''));
            if (isNaN(p) || isNaN(q)) { if (!isNaN(q) && isNaN(p)) { out.sorting.push(where + ': column ' + col + ': ' + a + ' before the number ' + b); } continue; }
            d = p - q;
          } else {
            d = a.localeCompare(b, 'en', {numeric: true});
          }
          if (d * dir > 0) { out.sorting.push(where + ': column ' + col + (dir > 0 ? ' ascending' : ' descending') + ': ' + a + ' before ' + b); break; }
        }
      });
    });
  });
  document.querySelectorAll('a[href], script[src], link[href], img[src]').forEach(function (el) {
    var attr = el.getAttribute('href') !== null ? 'href' : 'src';
    out.refs.push({tag: el.tagName.toLowerCase(), attr: el.getAttribute(attr), url: el[attr]});
    var raw = el.getAttribute(attr);
    if (raw.charAt(0) === '#' && raw.length > 1 && !document.getElementById(decodeURIComponent(raw.slice(1)))) {
      out.missingAnchors.push(raw);
    }
  });
  out.images = document.querySelectorAll('img').length;
  return out;
})()`

// CheckSite loads each of pages (slash paths relative to dir) from the
// site in dir through file:// URLs in a fresh headless Chromium and
// reports what it saw. With screenshotDir set, it saves a full-page PNG of
// the first page and of the first page under models/ there. The error lists every problem on every page; the
// report is filled in either way.
func CheckSite(ctx context.Context, dir string, pages []string, screenshotDir string) (Report, error) {
	var rep Report
	browser, err := FindChromium()
	if err != nil {
		return rep, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return rep, err
	}
	browserCtx, stop, err := snapshot.Launch(ctx, browser)
	if err != nil {
		return rep, err
	}
	defer stop()

	var errs []error
	shotModel := false
	for i, p := range pages {
		pr, err := checkPage(browserCtx, dir, p)
		if err != nil {
			return rep, fmt.Errorf("page %s: %w", p, err)
		}
		firstModel := !shotModel && strings.HasPrefix(p, "models/")
		shotModel = shotModel || firstModel
		if (i == 0 || firstModel) && screenshotDir != "" {
			rep.Screenshot, err = screenshot(browserCtx, dir, p, screenshotDir)
			if err != nil {
				return rep, fmt.Errorf("page %s: screenshot: %w", p, err)
			}
		}
		rep.Pages = append(rep.Pages, pr)
		for _, msg := range pr.Problems {
			errs = append(errs, fmt.Errorf("page %s: %s", p, msg))
		}
	}
	return rep, errors.Join(errs...)
}

// fileURL turns a site path into a file:// URL below dir.
func fileURL(dir, page string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(page)))}).String()
}

func checkPage(browserCtx context.Context, dir, page string) (PageReport, error) {
	pr := PageReport{Path: page}
	var mu sync.Mutex
	note := func(problem bool, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		msg := fmt.Sprintf(format, args...)
		pr.Console = append(pr.Console, msg)
		if problem {
			pr.Problems = append(pr.Problems, msg)
		}
	}
	tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				var s string
				switch {
				case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
					parts = append(parts, s)
				case a.Value != nil:
					parts = append(parts, string(a.Value))
				default:
					parts = append(parts, a.Description)
				}
			}
			bad := ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert
			note(bad, "console.%s: %s", ev.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + strings.SplitN(d.Exception.Description, "\n", 2)[0]
			}
			note(true, "exception: %s (%s:%d:%d)", text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
		case *log.EventEntryAdded:
			e := ev.Entry
			bad := e.Level == log.EntryLevelError || e.Level == log.EntryLevelWarning
			note(bad, "log %s %s: %s %s", e.Source, e.Level, e.Text, e.URL)
		}
	}))
	defer cancel()

	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil {
		return pr, err
	}
	start := time.Now()
	if err := chromedp.Do(tab, chromedp.Navigate(fileURL(dir, page))); err != nil {
		return pr, err
	}
	inPage, err := chromedp.Run(tab, chromedp.Poll[float64](drawnJS,
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	pr.RenderTime = time.Since(start)
	if err != nil {
		note(true, "charts did not draw within 10s: %v", err)
	} else {
		pr.InPage = time.Duration((inPage - 1) * float64(time.Millisecond))
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](tooltipJS)); err != nil {
			note(true, "showing tooltips: %v", err)
		}
		// Tooltips are filled in asynchronously.
		if err := chromedp.Do(tab, chromedp.Sleep(150*time.Millisecond)); err != nil {
			return pr, err
		}
	}
	check, err := chromedp.Run(tab, chromedp.Evaluate[pageCheck](inspectJS))
	if err != nil {
		return pr, err
	}
	if check.Pwned != "" {
		note(true, "injected code ran: window.__pwned = %s", check.Pwned)
	}
	if check.Images > 0 {
		note(true, "%d <img> elements on the page (kvplot draws none)", check.Images)
	}
	for _, o := range check.Overlaps {
		note(true, "chart %s", o)
	}
	for _, o := range check.Sorting {
		note(true, "sorting %s", o)
	}
	for _, c := range check.Charts {
		pr.Charts = append(pr.Charts, ChartReport{ID: c.ID, WantSeries: c.Want, GotSeries: c.Got, Shapes: c.Shapes, Width: c.W, Height: c.H, Cells: c.Cells, Labelled: c.Labels})
		if c.Labels < c.Cells {
			note(true, "chart %s: %d of %d heat-map cells have no label", c.ID, c.Cells-c.Labels, c.Cells)
		}
		switch {
		case c.Got < 0:
			note(true, "chart %s: no ECharts instance", c.ID)
		case c.Got != c.Want:
			note(true, "chart %s: %d series, want %d", c.ID, c.Got, c.Want)
		case c.Shapes == 0 || c.W == 0 || c.H == 0:
			note(true, "chart %s: nothing drawn (%d shapes, %dx%d px)", c.ID, c.Shapes, c.W, c.H)
		}
	}
	for _, a := range check.MissingAnchors {
		note(true, "link %s: no element with that id", a)
	}
	for _, r := range check.Refs {
		if msg := checkRef(dir, r.Tag, r.Attr, r.URL); msg != "" {
			note(true, "%s", msg)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return pr, nil
}

// checkRef checks one link or asset reference: file:// targets must exist
// inside dir, http(s) links are left alone, anything else is a problem.
func checkRef(dir, tag, attr, resolved string) string {
	u, err := url.Parse(resolved)
	if err != nil {
		return fmt.Sprintf("<%s> %q: %v", tag, attr, err)
	}
	switch u.Scheme {
	case "http", "https":
		if tag != "a" {
			return fmt.Sprintf("<%s> %q loads from the network", tag, attr)
		}
		return ""
	case "file":
	default:
		return fmt.Sprintf("<%s> %q: scheme %q", tag, attr, u.Scheme)
	}
	p := filepath.FromSlash(u.Path)
	if rel, err := filepath.Rel(dir, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Sprintf("<%s> %q leaves the site", tag, attr)
	}
	if info, err := os.Stat(p); err != nil || info.IsDir() {
		return fmt.Sprintf("<%s> %q: no such file", tag, attr)
	}
	return ""
}

func screenshot(browserCtx context.Context, dir, page, outDir string) (string, error) {
	tab, cancel := chromedp.NewContext(browserCtx)
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(fileURL(dir, page)),
	); err != nil {
		return "", err
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[float64](drawnJS, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		return "", err
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	name := filepath.Join(outDir, strings.ReplaceAll(strings.TrimSuffix(page, ".html"), "/", "_")+".png")
	return name, os.WriteFile(name, png, 0o644)
}
