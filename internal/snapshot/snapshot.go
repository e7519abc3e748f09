// Package snapshot exports every chart of a built kvplot site as an SVG and
// a PNG image for documents that take images rather than HTML (design docs,
// slides, wikis). It opens each page in headless Chromium, lets ECharts draw
// the chart again off screen at a fixed size with animation off, once with
// its SVG renderer (renderToSVGString) and once with its canvas renderer
// (getDataURL), and names each file after its page and chart id, so a
// rebuilt site gives the same names. The site itself never needs a browser;
// only this export does.
package snapshot

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultChromium is where Debian's chromium package installs the browser.
const DefaultChromium = "/usr/bin/chromium"

// FindChromium returns the browser to run: $KVPLOT_CHROMIUM if set, else
// DefaultChromium if it exists, else chromium, chromium-browser,
// google-chrome or google-chrome-stable from $PATH. Its error says how to
// get one.
func FindChromium() (string, error) {
	return findChromium(os.Getenv("KVPLOT_CHROMIUM"), DefaultChromium, exec.LookPath)
}

const installHint = "snapshot draws the charts in headless Chromium or Chrome: " +
	"install it (Debian/Ubuntu: apt-get install chromium; Fedora: dnf install chromium; macOS: brew install --cask chromium) " +
	"or set KVPLOT_CHROMIUM to the browser's path (kvplot build never needs a browser)"

func findChromium(env, defaultPath string, lookPath func(string) (string, error)) (string, error) {
	if env != "" {
		if _, err := os.Stat(env); err != nil {
			return "", fmt.Errorf("KVPLOT_CHROMIUM=%s: no such file; %s", env, installHint)
		}
		return env, nil
	}
	if _, err := os.Stat(defaultPath); err == nil {
		return defaultPath, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := lookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: " + installHint)
}

// Options control Export.
type Options struct {
	// Browser is the Chromium or Chrome executable; "" finds one with
	// FindChromium.
	Browser string
	// Width is each image's width in CSS pixels (default 960); a chart
	// keeps the height it has on its page.
	Width int
	// Scale is the PNG's pixels per CSS pixel (default 2).
	Scale int
	// Timeout bounds the drawing of one page (default 30 s).
	Timeout time.Duration
}

// Image is one exported chart.
type Image struct {
	// Page is the page's site path ("models/llama-3-8b.html"), Chart the
	// chart's element id, Title its accessible title.
	Page, Chart, Title string
	// SVG and PNG are the files' slash paths in the output.
	SVG, PNG string
	// Width and Height are in CSS pixels; the PNG has Scale times as many.
	Width, Height int
	Scale         int
}

// PageImages are the charts of one page, in page order.
type PageImages struct {
	Path, Title string
	// Provenance is the page's own statement of what made it.
	Provenance string
	Images     []Image
}

// Files are exported images and the index, by slash path.
type Files map[string][]byte

// IndexPath is the file listing every image.
const IndexPath = "images.html"

// Pages lists the HTML pages of the site in dir as slash paths: index.html
// first, then the others sorted.
func Pages(dir string) ([]string, error) {
	var pages []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "assets" || rel == "data" || rel == "specs" || (rel != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".html") && d.Type().IsRegular() {
			pages = append(pages, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the site: %w", err)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%s holds no pages: build the site first (kvplot build --out %s)", dir, dir)
	}
	// The overview first, then the rest by path.
	sort.Slice(pages, func(i, j int) bool {
		if (pages[i] == "index.html") != (pages[j] == "index.html") {
			return pages[i] == "index.html"
		}
		return pages[i] < pages[j]
	})
	return pages, nil
}

// Export draws the charts of pages (slash paths below the site in dir)
// and returns the image files with an IndexPath page listing them.
func Export(ctx context.Context, dir string, pages []string, opt Options) (Files, []PageImages, error) {
	if opt.Width <= 0 {
		opt.Width = 960
	}
	if opt.Scale <= 0 {
		opt.Scale = 2
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.Width > 8000 || opt.Scale > 8 {
		return nil, nil, fmt.Errorf("image width %d px at scale %d: at most 8000 px and scale 8", opt.Width, opt.Scale)
	}
	browser := opt.Browser
	if browser == "" {
		var err error
		if browser, err = FindChromium(); err != nil {
			return nil, nil, err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	browserCtx, stop, err := Launch(ctx, browser)
	if err != nil {
		return nil, nil, err
	}
	defer stop()

	files := Files{}
	var all []PageImages
	for _, p := range pages {
		pi, err := exportPage(browserCtx, dir, p, opt, files)
		if err != nil {
			return nil, nil, fmt.Errorf("page %s: %w", p, err)
		}
		all = append(all, pi)
	}
	index, err := indexPage(all, opt)
	if err != nil {
		return nil, nil, err
	}
	files[IndexPath] = index
	return files, all, nil
}

// drawnJS is true once every chart container has an ECharts instance that
// drew something.
const drawnJS = `(function () {
  var els = document.querySelectorAll('[data-kvplot-chart]');
  if (els.length && !window.echarts) { return false; }
  for (var i = 0; i < els.length; i++) {
    var inst = echarts.getInstanceByDom(els[i]);
    if (!inst || !els[i].querySelector('svg, canvas')) { return false; }
  }
  return true;
})()`

// exportJS draws each chart again off screen with its current option,
// animation off and a white background: with the SVG renderer for the SVG
// and with the canvas renderer for the PNG.
const exportJS = `(function (width, scale) {
  var out = [];
  document.querySelectorAll('[data-kvplot-chart]').forEach(function (el) {
    var inst = echarts.getInstanceByDom(el);
    var h = el.clientHeight;
    var box = document.createElement('div');
    box.style.cssText = 'position:absolute;left:-20000px;top:0;width:' + width + 'px;height:' + h + 'px';
    document.body.appendChild(box);
    var draw = function (renderer) {
      var opt = inst.getOption();
      opt.animation = false;
      opt.backgroundColor = '#ffffff';
      (opt.toolbox || []).forEach(function (t) { t.show = false; });
      var c = echarts.init(box, null, {renderer: renderer, width: width, height: h, devicePixelRatio: scale});
      c.setOption(opt);
      return c;
    };
    var s = draw('svg');
    var svg = s.renderToSVGString();
    s.dispose();
    var c = draw('canvas');
    var png = c.getDataURL({type: 'png', pixelRatio: scale, backgroundColor: '#ffffff'});
    c.dispose();
    box.remove();
    out.push({id: el.id, title: el.getAttribute('aria-label') || el.id, width: width, height: h, svg: svg, png: png});
  });
  var prov = document.querySelector('meta[name="kvplot-provenance"]');
  return {title: document.title, provenance: prov ? prov.getAttribute('content') : '', charts: out};
})(%d, %d)`

type exported struct {
	Title      string `json:"title"`
	Provenance string `json:"provenance"`
	Charts     []struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		SVG    string `json:"svg"`
		PNG    string `json:"png"`
	} `json:"charts"`
}

var chartIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

func exportPage(browserCtx context.Context, dir, page string, opt Options, files Files) (PageImages, error) {
	pi := PageImages{Path: page}
	tab, cancel := chromedp.NewContext(browserCtx)
	defer cancel()
	tab, cancelTimeout := context.WithTimeout(tab, opt.Timeout)
	defer cancelTimeout()
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(page)))}).String()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(u)); err != nil {
		return pi, err
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](drawnJS, chromedp.WithPollingInterval(10*time.Millisecond))); err != nil {
		return pi, fmt.Errorf("charts did not draw: %w", err)
	}
	ex, err := chromedp.Run(tab, chromedp.Evaluate[exported](fmt.Sprintf(exportJS, opt.Width, opt.Scale)))
	if err != nil {
		return pi, fmt.Errorf("exporting charts: %w", err)
	}
	pi.Title, pi.Provenance = ex.Title, ex.Provenance
	stem := strings.TrimSuffix(page, ".html")
	for _, c := range ex.Charts {
		if !chartIDPattern.MatchString(c.ID) {
			return pi, fmt.Errorf("chart id %q cannot name a file", c.ID)
		}
		png, err := decodePNG(c.PNG)
		if err != nil {
			return pi, fmt.Errorf("chart %s: %w", c.ID, err)
		}
		if !strings.HasPrefix(c.SVG, "<svg") {
			return pi, fmt.Errorf("chart %s: the SVG renderer gave no <svg> element", c.ID)
		}
		img := Image{Page: page, Chart: c.ID, Title: c.Title, SVG: path.Join(stem, c.ID+".svg"), PNG: path.Join(stem, c.ID+".png"),
			Width: c.Width, Height: c.Height, Scale: opt.Scale}
		if _, dup := files[img.SVG]; dup {
			return pi, fmt.Errorf("chart id %q used twice", c.ID)
		}
		files[img.SVG] = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + c.SVG + "\n")
		files[img.PNG] = png
		pi.Images = append(pi.Images, img)
	}
	return pi, nil
}

func decodePNG(dataURL string) ([]byte, error) {
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(dataURL, prefix) {
		return nil, errors.New("the canvas renderer gave no PNG")
	}
	b, err := base64.StdEncoding.DecodeString(dataURL[len(prefix):])
	if err != nil {
		return nil, fmt.Errorf("decoding the PNG: %w", err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, errors.New("the canvas renderer's image is not a PNG")
	}
	return b, nil
}

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kvplot snapshot">
<title>Chart images · kvplot</title>
<style>
body{margin:0 auto;max-width:1120px;padding:0 24px 40px;color:#1f2328;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
h1{font-size:1.8rem;margin:28px 0 10px}h2{font-size:1.25rem;margin:36px 0 8px}
h2 small{color:#57606a;font-weight:400;font-size:.85rem}
figure{margin:18px 0;border:1px solid #d0d7de;border-radius:6px;padding:10px}
img{max-width:100%;height:auto;display:block}
figcaption,.prov{color:#57606a;font-size:.9rem;margin-top:6px}
a{color:#0969da}
</style>
</head>
<body>
<h1>Chart images</h1>
<p>{{.Count}} charts of {{len .Pages}} pages, each as SVG (vector) and PNG ({{.Scale}}× pixels, {{.Width}} CSS px wide), drawn by ECharts in headless Chromium. File names are the page's path and the chart's id, the same on every build.</p>
{{- with .Provenance}}
<p class="prov">{{.}}</p>
{{- end}}
{{- range .Pages}}
{{- if .Images}}
<h2>{{.Title}} <small>{{.Path}}</small></h2>
{{- if not $.Provenance}}{{with .Provenance}}
<p class="prov">{{.}}</p>
{{- end}}{{end}}
{{- range .Images}}
<figure>
<img src="{{.PNG}}" width="{{.Width}}" height="{{.Height}}" alt="{{.Title}}" loading="lazy">
<figcaption>{{.Title}} · <a href="{{.SVG}}">{{.SVG}}</a> · <a href="{{.PNG}}">{{.PNG}}</a></figcaption>
</figure>
{{- end}}
{{- end}}
{{- end}}
</body>
</html>
`))

func indexPage(pages []PageImages, opt Options) ([]byte, error) {
	n := 0
	// One provenance line for all when the pages agree, as a site's do.
	prov := ""
	if len(pages) > 0 {
		prov = pages[0].Provenance
	}
	for _, p := range pages {
		n += len(p.Images)
		if p.Provenance != prov {
			prov = ""
		}
	}
	var b bytes.Buffer
	err := indexTemplate.Execute(&b, struct {
		Pages        []PageImages
		Count        int
		Width, Scale int
		Provenance   string
	}{pages, n, opt.Width, opt.Scale, prov})
	return b.Bytes(), err
}

// Launch starts headless Chromium for offline pages: a fresh profile, no
// background networking, every host name unresolvable. stop closes the
// browser and removes the profile.
func Launch(ctx context.Context, browser string) (browserCtx context.Context, stop func(), err error) {
	profile, err := os.MkdirTemp("", "kvplot-chromium-*")
	if err != nil {
		return nil, nil, err
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		// Pages are offline; nothing may load from the network.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	stop = func() {
		cancelBrowser()
		cancelAlloc()
		os.RemoveAll(profile)
	}
	if err := chromedp.Do(browserCtx); err != nil {
		stop()
		return nil, nil, fmt.Errorf("starting %s: %w", browser, err)
	}
	return browserCtx, stop, nil
}
