// Package charts describes kvplot's charts as plain data (Line, StackedBar,
// Bar, HeatMap) and turns each description into an ECharts option object that
// is safe to paste into a <script> element.
//
// It is the only package that imports go-echarts. go-echarts builds the option
// tree; this package encodes it with encoding/json (which escapes <, >, & and
// U+2028/U+2029 in every string) and then turns only its own formatter
// functions back into JavaScript. Text that comes from specs (titles, series
// names, categories) is neutralized first, so it is always shown as text and
// never run.
package charts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	echarts "github.com/go-echarts/go-echarts/v2/charts"
	eopts "github.com/go-echarts/go-echarts/v2/opts"
)

// Chart is implemented by every chart description in this package.
type Chart interface {
	// ChartID is the chart's element id; it is also the id of its
	// ECharts instance and the file name of a saved image.
	ChartID() string
	// ChartTitle is the chart's title, for accessible labels.
	ChartTitle() string
	// SeriesCount is the number of series the option defines.
	SeriesCount() int
	// Option returns the ECharts option object as JavaScript that is safe
	// inside a <script> element.
	Option() (template.JS, error)
}

// Series is one named row of values, one value per category. A NaN or
// infinite value is a missing point.
type Series struct {
	Name   string
	Values []float64
	// Color is an optional "#rrggbb" colour; empty picks one from
	// ColorFor (or ComponentColor for memory components).
	Color string
}

// MarkLine is a horizontal reference line across a chart, such as a
// fleet's memory budget. It is drawn dashed and the value axis always
// extends far enough to show it.
type MarkLine struct {
	Name  string
	Value float64
	// Color is optional; empty means dark red.
	Color string
}

var idPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckID reports whether id can be used as a chart id: go-echarts and the
// page templates use it as a JavaScript identifier fragment and element id.
func CheckID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("chart id %q: must match %s", id, idPattern)
	}
	return nil
}

var colorPattern = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

func checkColor(what, c string) error {
	if c != "" && !colorPattern.MatchString(c) {
		return fmt.Errorf("%s: colour %q is not #rgb or #rrggbb", what, c)
	}
	return nil
}

// funcMarker is how go-echarts tags a string as JavaScript code
// (opts.FuncOpts). Data must never contain it.
const funcMarker = "__f__"

// CleanText neutralizes text from specs before it enters an option: it
// makes the text valid UTF-8 and breaks every "__" pair of a string that
// contains the function marker "__f__" with a zero-width space, so that no
// data string can be mistaken for code. Everything else (<, >, &, quotes,
// U+2028) is left to JSON encoding, which escapes it.
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.Contains(s, funcMarker) {
		return s
	}
	for strings.Contains(s, "__") {
		s = strings.ReplaceAll(s, "__", "_\u200b_")
	}
	return s
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = CleanText(s)
	}
	return out
}

// round6 keeps six significant digits, so that float noise from the
// analysis never reaches the page and the output stays small.
func round6(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return r
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// dataValues maps values to JSON-ready items; missing points become null.
func dataValues(vs []float64) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		if finite(v) {
			out[i] = round6(v)
		}
	}
	return out
}

// optioner is what a go-echarts chart offers once built.
type optioner interface {
	Validate()
	JSON() map[string]interface{}
}

// funcString matches a JSON string that holds one of our formatter
// functions, as json.Marshal wrote it.
var funcString = regexp.MustCompile(`"__f__((?:[^"\\]|\\.)*?)__f__"`)

// optionJSON returns the option as JSON, with functions still marked.
func optionJSON(c optioner) ([]byte, error) {
	c.Validate()
	raw, err := json.Marshal(c.JSON()) // escapes <, >, &, U+2028, U+2029
	if err != nil {
		return nil, fmt.Errorf("encoding chart option: %w", err)
	}
	return raw, nil
}

// builder is a chart description that can build its go-echarts chart.
type builder interface{ build() (optioner, error) }

// option builds a chart and returns its option as JavaScript.
func option(b builder) (template.JS, error) {
	c, err := b.build()
	if err != nil {
		return "", err
	}
	raw, err := optionJSON(c)
	if err != nil {
		return "", err
	}
	return decodeFuncs(raw)
}

// decodeFuncs turns the marked function strings of option JSON back into
// code. Data strings cannot match because CleanText removed the marker
// from them.
func decodeFuncs(raw []byte) (template.JS, error) {
	var errs []error
	out := funcString.ReplaceAllFunc(raw, func(m []byte) []byte {
		body := funcString.FindSubmatch(m)[1]
		var code string
		if err := json.Unmarshal(append(append([]byte{'"'}, body...), '"'), &code); err != nil {
			errs = append(errs, err)
			return m
		}
		if err := checkCode(code); err != nil {
			errs = append(errs, err)
		}
		return []byte(code)
	})
	if bytes.Contains(out, []byte(funcMarker)) {
		errs = append(errs, errors.New("stray function marker in chart option"))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	return template.JS(out), nil
}

// checkCode guards against our own formatter code breaking the page.
func checkCode(code string) error {
	l := strings.ToLower(code)
	for _, bad := range []string{"</script", "<!--", "<script", funcMarker} {
		if strings.Contains(l, bad) {
			return fmt.Errorf("formatter code contains %q", bad)
		}
	}
	return nil
}

// commonOpts are the options every chart shares: fixed id, SVG, no
// animation, title, save-as-image toolbox and the series palette.
func commonOpts(id, title, subtitle string, palette []string) []echarts.GlobalOpts {
	return []echarts.GlobalOpts{
		echarts.WithInitializationOpts(eopts.Initialization{
			ChartID:    id,
			Width:      "100%",
			Height:     "420px",
			Renderer:   "svg",
			Theme:      "white",
			PageTitle:  "kvplot",
			AssetsHost: "assets/",
		}),
		echarts.WithAnimation(false),
		echarts.WithTitleOpts(eopts.Title{
			Title:      CleanText(title),
			Subtitle:   CleanText(subtitle),
			Left:       "8",
			Top:        "4",
			TitleStyle: &eopts.TextStyle{FontSize: 16},
		}),
		echarts.WithToolboxOpts(eopts.Toolbox{
			Show:  eopts.Bool(true),
			Right: "12",
			Top:   "4",
			Feature: &eopts.ToolBoxFeature{SaveAsImage: &eopts.ToolBoxFeatureSaveAsImage{
				Show:  eopts.Bool(true),
				Type:  "png",
				Name:  id,
				Title: "Save as image",
			}},
		}),
		echarts.WithColorsOpts(palette),
	}
}

// gridOpts leaves room for the title on top and the legend below.
func gridOpts(subtitle string, legend bool) echarts.GlobalOpts {
	return gridOptsRight(subtitle, legend, "28")
}

// gridOptsRight is gridOpts with room on the right, e.g. for bar labels.
func gridOptsRight(subtitle string, legend bool, right string) echarts.GlobalOpts {
	bottom := "36"
	if legend {
		bottom = "64"
	}
	return echarts.WithGridOpts(eopts.Grid{
		Left: "16", Right: right, Top: gridTop(subtitle), Bottom: bottom,
		ContainLabel: eopts.Bool(true),
	})
}

func legendOpts(show bool) echarts.GlobalOpts {
	if !show {
		return echarts.WithLegendOpts(eopts.Legend{Show: eopts.Bool(false)})
	}
	return echarts.WithLegendOpts(eopts.Legend{Type: "scroll", Bottom: "4", Left: "center"})
}

// axisName joins an axis name and its unit: "KV cache (GiB)".
func axisName(name, unit string) string {
	name, unit = CleanText(name), CleanText(unit)
	switch {
	case unit == "":
		return name
	case name == "":
		return unit
	}
	return name + " (" + unit + ")"
}

// checkSeries validates series against the number of categories.
func checkSeries(series []Series, n int) error {
	if len(series) == 0 {
		return errors.New("no series")
	}
	var errs []error
	for _, s := range series {
		if len(s.Values) != n {
			errs = append(errs, fmt.Errorf("series %q: %d values for %d categories", s.Name, len(s.Values), n))
		}
		if err := checkColor(fmt.Sprintf("series %q", s.Name), s.Color); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkMarkLines(ms []MarkLine) error {
	var errs []error
	for _, m := range ms {
		if !finite(m.Value) {
			errs = append(errs, fmt.Errorf("mark line %q: value must be finite", m.Name))
		}
		if err := checkColor(fmt.Sprintf("mark line %q", m.Name), m.Color); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// seriesPalette returns one colour per series: the series' own, or else
// pick(name, names).
func seriesPalette(series []Series, pick func(key string, keys []string) string) []string {
	names := make([]string, len(series))
	for i, s := range series {
		names[i] = s.Name
	}
	out := make([]string, len(series))
	for i, s := range series {
		out[i] = s.Color
		if out[i] == "" {
			out[i] = pick(s.Name, names)
		}
	}
	return out
}

// markLineItem is one horizontal mark line with its own style; go-echarts'
// MarkLineNameYAxisItem has no per-line style.
type markLineItem struct {
	Name      string           `json:"name"`
	YAxis     float64          `json:"yAxis"`
	LineStyle *eopts.LineStyle `json:"lineStyle,omitempty"`
	Label     *eopts.Label     `json:"label,omitempty"`
}

// markLineOpts attaches all mark lines to one series, each labelled at
// its start.
func markLineOpts(ms []MarkLine, unit string) echarts.SeriesOpts {
	return markLineOptsAt(ms, unit, "insideStartTop", nil)
}

// markLineOptsAt attaches all mark lines to one series with their labels
// at position; labels, when not nil, replaces each line's label text ("":
// no label).
func markLineOptsAt(ms []MarkLine, unit, position string, labels []string) echarts.SeriesOpts {
	return echarts.WithSeriesOpts(func(s *echarts.SingleSeries) {
		ml := &eopts.MarkLines{MarkLineStyle: eopts.MarkLineStyle{
			Symbol: []string{"none", "none"},
			Label:  &eopts.Label{Show: eopts.Bool(true), Position: position, Formatter: "{b}"},
			Emphasis: &eopts.Emphasis{Label: &eopts.Label{Show: eopts.Bool(true), Formatter: string(eopts.FuncOpts(
				`function (p) { return p.name + ': ' + ` + formatValueJS(unit) + `(p.value); }`))}},
		}}
		for i, m := range ms {
			c := m.Color
			if c == "" {
				c = markLineColor
			}
			label := &eopts.Label{Color: c, BackgroundColor: "rgba(255,255,255,0.85)"}
			if labels != nil {
				label.Formatter = CleanText(labels[i])
				label.Show = eopts.Bool(labels[i] != "")
			}
			ml.Data = append(ml.Data, markLineItem{
				Name:      CleanText(m.Name),
				YAxis:     round6(m.Value),
				LineStyle: &eopts.LineStyle{Color: c, Type: "dashed", Width: 1.5},
				Label:     label,
			})
		}
		s.MarkLines = ml
	})
}

const markLineColor = "#b22222"

// markLabels gives each mark line its label so that no two labels
// overlap: lines closer than minGap pixels on an axis from lo to hi drawn
// plotPx tall (log10 when log) share one label, on the highest of them,
// naming them all. The result is in the order of ms.
func markLabels(ms []MarkLine, lo, hi float64, log bool, plotPx float64) []string {
	const minGap = 18.0
	pos := func(v float64) float64 {
		if log {
			if v <= 0 || lo <= 0 {
				return math.Inf(-1)
			}
			return (math.Log10(v) - math.Log10(lo)) / (math.Log10(hi) - math.Log10(lo)) * plotPx
		}
		return (v - lo) / (hi - lo) * plotPx
	}
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ms[order[a]].Value > ms[order[b]].Value })
	labels := make([]string, len(ms))
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && pos(ms[order[start]].Value)-pos(ms[order[end]].Value) < minGap {
			end++
		}
		var names []string
		for _, i := range order[start:end] {
			names = append(names, ms[i].Name)
		}
		labels[order[start]] = strings.Join(names, " · ")
		start = end
	}
	return labels
}

// valueAxisMax returns the maximum the value axis needs so that every
// mark line is drawn (ECharts does not widen an axis for a mark line), or
// nil to let ECharts choose.
func valueAxisMax(dataMax float64, ms []MarkLine) any {
	markMax := math.Inf(-1)
	for _, m := range ms {
		markMax = math.Max(markMax, m.Value)
	}
	if len(ms) == 0 || markMax <= 0 || markMax*1.08 <= dataMax {
		return nil
	}
	return niceCeil(math.Max(dataMax, markMax*1.08))
}

// niceCeil rounds v up to 1, 2, 2.5, 5 or 10 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 || !finite(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v*(1-1e-12) {
			return round6(m * p)
		}
	}
	return round6(10 * p)
}

// yAxis adds what go-echarts v2.6.7's YAxis lacks: the style of the axis
// name, which is left-aligned so that a long name at the top of the axis
// is not cut off at the chart's left edge.
type yAxis struct {
	eopts.YAxis
	NameTextStyle *eopts.TextStyle `json:"nameTextStyle,omitempty"`
}

// tooltip adds what go-echarts v2.6.7 lacks to keep tooltips inside the
// chart on narrow screens: confine, and CSS that lets long names wrap.
type tooltip struct {
	eopts.Tooltip
	Confine      bool   `json:"confine"`
	ExtraCSSText string `json:"extraCssText"`
}

// rectVisitor adjusts the options of charts with x and y axes.
type rectVisitor struct {
	echarts.BaseConfigurationVisitor
}

func (rectVisitor) VisitTooltipOpt(t eopts.Tooltip) interface{} {
	return tooltip{Tooltip: t, Confine: true, ExtraCSSText: "max-width:min(90vw,560px);white-space:normal;overflow-wrap:anywhere"}
}

func (rectVisitor) VisitYAxis(ys []eopts.YAxis) interface{} {
	out := make([]yAxis, len(ys))
	for i, y := range ys {
		out[i].YAxis = y
		if y.Type != "category" {
			out[i].NameTextStyle = &eopts.TextStyle{Align: "left"}
		}
	}
	return out
}
