package charts

import (
	"errors"
	"fmt"
	"html/template"
	"math"

	echarts "github.com/go-echarts/go-echarts/v2/charts"
	eopts "github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"
)

// HeatMap colours a grid of X by Y categories, such as the memory of each
// batch size and context length. A NaN or infinite value marks a cell that
// does not fit: it is drawn grey with a cross, and its tooltip says so.
type HeatMap struct {
	ID       string
	Title    string
	Subtitle string
	XName    string
	YName    string
	X        []string
	Y        []string
	// Values[i][j] is the cell at Y[i], X[j].
	Values [][]float64
	Unit   string
	// Min and Max bound the colour scale; when both are zero they are
	// the smallest and largest finite values.
	Min, Max float64
	// NoFit names the grey cells in the legend and tooltip; empty means
	// "does not fit".
	NoFit string
	// Colors is the colour scale from Min to Max, "#rrggbb" each, such as
	// red–white–green for a change that can go either way; empty means
	// light to dark blue.
	Colors []string
}

// ChartID implements Chart.
func (c HeatMap) ChartID() string { return c.ID }

// ChartTitle implements Chart.
func (c HeatMap) ChartTitle() string { return c.Title }

// SeriesCount implements Chart: the values, plus the cells that do not
// fit if there are any.
func (c HeatMap) SeriesCount() int {
	if c.hasNoFit() {
		return 2
	}
	return 1
}

func (c HeatMap) hasNoFit() bool {
	for _, row := range c.Values {
		for _, v := range row {
			if !finite(v) {
				return true
			}
		}
	}
	return false
}

func (c HeatMap) check() error {
	errs := []error{CheckID(c.ID)}
	if len(c.X) == 0 || len(c.Y) == 0 {
		errs = append(errs, errors.New("no x or y categories"))
	}
	errs = append(errs, checkUnique("x", c.X), checkUnique("y", c.Y))
	if len(c.Values) != len(c.Y) {
		errs = append(errs, fmt.Errorf("%d value rows for %d y categories", len(c.Values), len(c.Y)))
	}
	for i, row := range c.Values {
		if len(row) != len(c.X) {
			errs = append(errs, fmt.Errorf("value row %d: %d values for %d x categories", i, len(row), len(c.X)))
		}
	}
	if !finite(c.Min) || !finite(c.Max) || c.Min > c.Max {
		errs = append(errs, fmt.Errorf("colour scale %g..%g is not a finite range", c.Min, c.Max))
	}
	if len(c.Colors) == 1 {
		errs = append(errs, errors.New("a colour scale needs at least two colours"))
	}
	for _, col := range c.Colors {
		errs = append(errs, checkColor("colour scale", col))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("heat map %s: %w", c.ID, err)
	}
	return nil
}

// checkUnique rejects repeated categories: cells address them by name.
func checkUnique(axis string, cats []string) error {
	seen := make(map[string]bool, len(cats))
	for _, c := range cats {
		c = CleanText(c)
		if seen[c] {
			return fmt.Errorf("%s category %q repeats", axis, c)
		}
		seen[c] = true
	}
	return nil
}

// visualMap adds the fields go-echarts v2.6.7 lacks: which series the
// scale colours (not the grey no-fit cells) and how it prints values.
type visualMap struct {
	eopts.VisualMap
	SeriesIndex int           `json:"seriesIndex"`
	Formatter   types.FuncStr `json:"formatter,omitempty"`
}

type heatVisitor struct {
	rectVisitor
	unit string
}

func (v heatVisitor) VisitVisualMaps(vms []eopts.VisualMap) interface{} {
	out := make([]visualMap, len(vms))
	for i, vm := range vms {
		out[i] = visualMap{VisualMap: vm, Formatter: eopts.FuncOpts(`function (v) { return ` + formatValueJS(v.unit) + `(v); }`)}
	}
	return out
}

const noFitColor = "#d9d9d9"

func (c HeatMap) build() (optioner, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	xs, ys := cleanAll(c.X), cleanAll(c.Y)
	lo, hi := c.Min, c.Max
	if lo == 0 && hi == 0 {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, row := range c.Values {
			for _, v := range row {
				if finite(v) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
		if lo > hi { // no finite value at all
			lo, hi = 0, 1
		}
	}
	lo, hi = round6(lo), round6(hi)
	if lo == hi {
		hi = lo + 1
	}
	// Cells are [x, y, value] with the categories by name, which keeps
	// them readable in the tooltip.
	var cells, noFit [][3]any
	for i, row := range c.Values {
		for j, v := range row {
			if finite(v) {
				cells = append(cells, [3]any{xs[j], ys[i], round6(v)})
			} else {
				// A heat-map cell needs a number to be drawn; the
				// colour scale ignores this series.
				noFit = append(noFit, [3]any{xs[j], ys[i], 0})
			}
		}
	}
	noFitName := CleanText(c.NoFit)
	if noFitName == "" {
		noFitName = "does not fit"
	}
	labels := len(c.X)*len(c.Y) <= 160

	hm := echarts.NewHeatMap()
	hm.SetGlobalOptions(commonOpts(c.ID, c.Title, c.Subtitle, []string{"#4e79a7", noFitColor})...)
	hm.SetGlobalOptions(
		echarts.WithGridOpts(eopts.Grid{Left: "16", Right: "28", Top: gridTop(c.Subtitle), Bottom: "84", ContainLabel: eopts.Bool(true)}),
		echarts.WithLegendOpts(eopts.Legend{Show: eopts.Bool(len(noFit) > 0), Right: "12", Bottom: "8", Data: []string{noFitName}}),
		echarts.WithTooltipOpts(eopts.Tooltip{
			Trigger:   "item",
			Formatter: eopts.FuncOpts(heatTooltipJS(c.XName, c.YName, c.Unit, noFitName)),
		}),
		// HeatMap ignores SetXAxis: the categories go in the axes' data.
		echarts.WithXAxisOpts(c.xAxis(xs)),
		echarts.WithYAxisOpts(eopts.YAxis{
			Type: "category", Name: CleanText(c.YName), Data: ys,
			SplitArea: &eopts.SplitArea{Show: eopts.Bool(true)},
		}),
		echarts.WithVisualMapOpts(eopts.VisualMap{
			Type:       "continuous",
			Calculable: eopts.Bool(true),
			Min:        float32(lo),
			Max:        float32(hi),
			Orient:     "horizontal",
			Left:       "center",
			Bottom:     "4",
			InRange:    &eopts.VisualMapInRange{Color: c.scale()},
		}),
	)
	hm.Accept(heatVisitor{unit: c.Unit})
	hm.AddSeries("values", nil, withCells(cells),
		echarts.WithLabelOpts(eopts.Label{Show: eopts.Bool(labels), Formatter: string(eopts.FuncOpts(heatLabelJS()))}),
		echarts.WithItemStyleOpts(eopts.ItemStyle{BorderColor: "#ffffff", BorderWidth: 1}),
	)
	if len(noFit) > 0 {
		hm.AddSeries(noFitName, nil, withCells(noFit),
			echarts.WithLabelOpts(eopts.Label{Show: eopts.Bool(labels), Formatter: "✗", Color: "#555555"}),
			echarts.WithItemStyleOpts(eopts.ItemStyle{Color: noFitColor, BorderColor: "#ffffff", BorderWidth: 1}),
		)
	}
	return hm, nil
}

func gridTop(subtitle string) string {
	if subtitle != "" {
		return "76"
	}
	return "56"
}

// Option implements Chart.
func (c HeatMap) Option() (template.JS, error) { return option(c) }

// withCells sets a heat-map series' data to bare [x, y, value] triples,
// smaller than go-echarts' {"value": [...]} items.
func withCells(cells [][3]any) echarts.SeriesOpts {
	return echarts.WithSeriesOpts(func(s *echarts.SingleSeries) { s.Data = cells })
}

// xAxis shows every category. Many long labels (fleet names) are turned
// 30° so that none is skipped, and the axis name, which they would cover,
// is left out: the labels say what the axis is.
func (c HeatMap) xAxis(xs []string) eopts.XAxis {
	a := eopts.XAxis{Type: "category", Name: CleanText(c.XName), NameLocation: "middle", NameGap: 28, Data: xs,
		SplitArea: &eopts.SplitArea{Show: eopts.Bool(true)}, AxisLabel: &eopts.AxisLabel{Interval: "0"}}
	long := 0
	for _, x := range xs {
		long = max(long, len([]rune(x)))
	}
	if len(xs)*long > 80 {
		a.Name = ""
		a.AxisLabel.Rotate = 30
	}
	return a
}

// scale is the colour scale: Colors, or light to dark blue.
func (c HeatMap) scale() []string {
	if len(c.Colors) > 0 {
		return c.Colors
	}
	return []string{"#f7fbff", "#9ecae1", "#4292c6", "#08306b"}
}
