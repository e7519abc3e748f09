package charts

import (
	"errors"
	"fmt"
	"html/template"

	echarts "github.com/go-echarts/go-echarts/v2/charts"
	eopts "github.com/go-echarts/go-echarts/v2/opts"
)

// BandMap is a grid of X by Y categories in which every cell falls into
// one of a few named bands and carries its own label, such as the max
// context of each model on each fleet: "does not fit", "< 8K", ... Each
// band is drawn in its own colour and is one legend entry, so the chart
// reads at a glance and the exact value is in every cell.
type BandMap struct {
	ID       string
	Title    string
	Subtitle string
	XName    string
	YName    string
	X        []string
	Y        []string
	// Bands are the legend entries, in order.
	Bands []Band
	// Cells[i][j] is the cell at Y[i], X[j].
	Cells [][]BandCell
	// XLinks and YLinks optionally give each category an href (relative
	// to the page), followed when its axis label is clicked.
	XLinks, YLinks []string
}

// Band is one class of cells.
type Band struct {
	Name string
	// Color fills the band's cells; TextColor is its labels' colour
	// (empty: dark grey).
	Color, TextColor string
}

// BandCell is one cell: its band (an index into Bands), the text drawn
// in it, an optional tooltip line and an optional href followed on click.
type BandCell struct {
	Band    int
	Label   string
	Tooltip string
	Href    string
}

// ChartID implements Chart.
func (c BandMap) ChartID() string { return c.ID }

// ChartTitle implements Chart.
func (c BandMap) ChartTitle() string { return c.Title }

// SeriesCount implements Chart: one series per band.
func (c BandMap) SeriesCount() int { return len(c.Bands) }

func (c BandMap) check() error {
	errs := []error{CheckID(c.ID)}
	if len(c.X) == 0 || len(c.Y) == 0 {
		errs = append(errs, errors.New("no x or y categories"))
	}
	if len(c.Bands) == 0 {
		errs = append(errs, errors.New("no bands"))
	}
	for _, b := range c.Bands {
		errs = append(errs, checkColor("band "+b.Name, b.Color), checkColor("band "+b.Name, b.TextColor))
	}
	errs = append(errs, checkUnique("x", c.X), checkUnique("y", c.Y))
	if len(c.Cells) != len(c.Y) {
		errs = append(errs, fmt.Errorf("%d cell rows for %d y categories", len(c.Cells), len(c.Y)))
	}
	for i, row := range c.Cells {
		if len(row) != len(c.X) {
			errs = append(errs, fmt.Errorf("cell row %d: %d cells for %d x categories", i, len(row), len(c.X)))
		}
		for j, cell := range row {
			if cell.Band < 0 || cell.Band >= len(c.Bands) {
				errs = append(errs, fmt.Errorf("cell %d,%d: band %d of %d", i, j, cell.Band, len(c.Bands)))
			}
		}
	}
	if c.XLinks != nil && len(c.XLinks) != len(c.X) {
		errs = append(errs, fmt.Errorf("%d x links for %d x categories", len(c.XLinks), len(c.X)))
	}
	if c.YLinks != nil && len(c.YLinks) != len(c.Y) {
		errs = append(errs, fmt.Errorf("%d y links for %d y categories", len(c.YLinks), len(c.Y)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("band map %s: %w", c.ID, err)
	}
	return nil
}

// bandItem is one cell as ECharts data: [x, y, band] plus the label and
// tooltip text and the link, which the formatters and the page's click
// handler read from the raw item.
type bandItem struct {
	Value [3]any `json:"value"`
	Label string `json:"t"`
	Tip   string `json:"tip,omitempty"`
	Href  string `json:"href,omitempty"`
}

// linkedAxis is a category axis whose labels can be clicked: kvplotLinks
// holds each category's href for the page's click handler.
type linkedAxis struct {
	eopts.XAxis
	TriggerEvent bool     `json:"triggerEvent,omitempty"`
	Links        []string `json:"kvplotLinks,omitempty"`
}

type linkedYAxis struct {
	eopts.YAxis
	TriggerEvent bool     `json:"triggerEvent,omitempty"`
	Links        []string `json:"kvplotLinks,omitempty"`
}

type bandVisitor struct {
	rectVisitor
	xLinks, yLinks []string
}

func (v bandVisitor) VisitXAxis(xs []eopts.XAxis) interface{} {
	out := make([]linkedAxis, len(xs))
	for i, x := range xs {
		out[i] = linkedAxis{XAxis: x, TriggerEvent: v.xLinks != nil, Links: cleanAll(v.xLinks)}
	}
	return out
}

func (v bandVisitor) VisitYAxis(ys []eopts.YAxis) interface{} {
	out := make([]linkedYAxis, len(ys))
	for i, y := range ys {
		out[i] = linkedYAxis{YAxis: y, TriggerEvent: v.yLinks != nil, Links: cleanAll(v.yLinks)}
	}
	return out
}

func (c BandMap) build() (optioner, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	xs, ys := cleanAll(c.X), cleanAll(c.Y)
	perBand := make([][]bandItem, len(c.Bands))
	for i, row := range c.Cells {
		for j, cell := range row {
			perBand[cell.Band] = append(perBand[cell.Band], bandItem{
				Value: [3]any{xs[j], ys[i], cell.Band},
				Label: CleanText(cell.Label),
				Tip:   CleanText(cell.Tooltip),
				Href:  CleanText(cell.Href),
			})
		}
	}
	colors := make([]string, len(c.Bands))
	names := make([]string, len(c.Bands))
	for i, b := range c.Bands {
		colors[i], names[i] = b.Color, CleanText(b.Name)
	}
	xa := c.xAxis(xs)
	grid := eopts.Grid{Left: "16", Right: "16", Top: gridTop(c.Subtitle), Bottom: "44", ContainLabel: eopts.Bool(true)}
	hm := echarts.NewHeatMap()
	hm.SetGlobalOptions(commonOpts(c.ID, c.Title, c.Subtitle, colors)...)
	hm.SetGlobalOptions(
		echarts.WithGridOpts(grid),
		echarts.WithLegendOpts(eopts.Legend{Show: eopts.Bool(true), Left: "center", Bottom: "6", Data: names}),
		echarts.WithTooltipOpts(eopts.Tooltip{Trigger: "item", Formatter: eopts.FuncOpts(bandTooltipJS(c.XName, c.YName))}),
		echarts.WithXAxisOpts(xa),
		echarts.WithYAxisOpts(eopts.YAxis{Type: "category", Data: ys, Inverse: eopts.Bool(true),
			AxisLabel: &eopts.AxisLabel{Interval: "0"}}),
	)
	hm.Accept(bandVisitor{xLinks: c.XLinks, yLinks: c.YLinks})
	for i, b := range c.Bands {
		tc := b.TextColor
		if tc == "" {
			tc = "#222222"
		}
		items := perBand[i]
		if items == nil {
			items = []bandItem{}
		}
		hm.AddSeries(names[i], nil,
			echarts.WithSeriesOpts(func(s *echarts.SingleSeries) { s.Data = items }),
			echarts.WithLabelOpts(eopts.Label{Show: eopts.Bool(true), Color: tc, Formatter: string(eopts.FuncOpts(`function (p) { return p.data.t; }`))}),
			echarts.WithItemStyleOpts(eopts.ItemStyle{Color: b.Color, BorderColor: "#ffffff", BorderWidth: 1}),
		)
	}
	return hm, nil
}

// xAxis puts the categories on top, where a reader looks first, turned
// when they are long; none is cut or skipped. The axis has no name: its
// labels say what it is.
func (c BandMap) xAxis(xs []string) eopts.XAxis {
	a := eopts.XAxis{Type: "category", Data: xs, Position: "top",
		AxisLabel: &eopts.AxisLabel{Interval: "0"}, AxisTick: &eopts.AxisTick{Show: eopts.Bool(false)}}
	long := 0
	for _, x := range xs {
		long = max(long, len([]rune(x)))
	}
	if len(xs)*long > 80 {
		a.AxisLabel.Rotate = 40
	}
	return a
}

// bandTooltipJS names the cell's row and column and gives its tooltip
// line, or its label.
func bandTooltipJS(xName, yName string) string {
	return `function (p) { var e = echarts.format.encodeHTML; var d = p.data; ` +
		`return e(` + jsString(labelPrefix(yName)) + ` + d.value[1]) + '<br>' + e(` + jsString(labelPrefix(xName)) + ` + d.value[0]) + '<br><b>' + e(d.tip || d.t) + '</b>'; }`
}

// Option implements Chart.
func (c BandMap) Option() (template.JS, error) { return option(c) }
