package charts

import (
	"errors"
	"fmt"
	"html/template"
	"math"

	echarts "github.com/go-echarts/go-echarts/v2/charts"
	eopts "github.com/go-echarts/go-echarts/v2/opts"
)

// Line is a line chart over a category x axis, such as memory against
// context length. Contexts that are powers of two ("1K", "2K", "4K", ...)
// are evenly spaced on a category axis, which makes it a log2 axis.
type Line struct {
	ID       string
	Title    string
	Subtitle string
	XName    string
	YName    string
	YUnit    string // e.g. "GiB"; shown in the axis name and tooltips
	X        []string
	Series   []Series
	// MarkLines are horizontal reference lines, e.g. each fleet's KV budget.
	MarkLines []MarkLine
	// YLog draws the value axis on a log10 scale, for values that span
	// orders of magnitude; non-positive values are left out.
	YLog bool
}

// ChartID implements Chart.
func (c Line) ChartID() string { return c.ID }

// ChartTitle implements Chart.
func (c Line) ChartTitle() string { return c.Title }

// SeriesCount implements Chart.
func (c Line) SeriesCount() int { return len(c.Series) }

func (c Line) check() error {
	errs := []error{CheckID(c.ID)}
	if len(c.X) == 0 {
		errs = append(errs, errors.New("no x categories"))
	}
	errs = append(errs, checkSeries(c.Series, len(c.X)), checkMarkLines(c.MarkLines))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("line chart %s: %w", c.ID, err)
	}
	return nil
}

func (c Line) build() (optioner, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	dataMax := math.Inf(-1)
	for _, s := range c.Series {
		for _, v := range s.Values {
			if finite(v) {
				dataMax = math.Max(dataMax, v)
			}
		}
	}
	legend := len(c.Series) > 1
	line := echarts.NewLine()
	line.SetGlobalOptions(commonOpts(c.ID, c.Title, c.Subtitle, seriesPalette(c.Series, ColorFor))...)
	line.SetGlobalOptions(
		gridOpts(c.Subtitle, legend),
		legendOpts(legend),
		echarts.WithTooltipOpts(eopts.Tooltip{
			Trigger:        "axis",
			ValueFormatter: eopts.FuncOpts(valueFormatterJS(c.YUnit)),
		}),
		echarts.WithXAxisOpts(eopts.XAxis{
			Type:         "category",
			Name:         CleanText(c.XName),
			NameLocation: "middle",
			NameGap:      28,
			AxisTick:     &eopts.AxisTick{AlignWithLabel: eopts.Bool(true)},
		}),
		echarts.WithYAxisOpts(c.yAxis(dataMax)),
	)
	line.SetXAxis(cleanAll(c.X))
	line.Accept(rectVisitor{})
	for i, s := range c.Series {
		opts := []echarts.SeriesOpts{
			echarts.WithLineChartOpts(eopts.LineChart{ShowSymbol: eopts.Bool(true), Symbol: lineSymbols[i%len(lineSymbols)], SymbolSize: 7}),
			echarts.WithLineStyleOpts(eopts.LineStyle{Width: 2}),
			withData(s.Values),
		}
		if i == 0 && len(c.MarkLines) > 0 {
			opts = append(opts, markLineOptsAt(c.MarkLines, c.YUnit, "insideStartTop", c.markLabels(dataMax)))
		}
		line.AddSeries(CleanText(s.Name), nil, opts...)
	}
	return line, nil
}

// lineSymbols mark each series' points differently, so that lines stay
// apart where colours do not (greyscale print, colour-vision deficiency).
var lineSymbols = []string{"circle", "rect", "triangle", "diamond", "emptyCircle", "emptyRect", "emptyTriangle", "emptyDiamond"}

// markLabels spreads the mark lines' labels on the chart's value axis.
func (c Line) markLabels(dataMax float64) []string {
	const plotPx = 260 // the plot area of a 420 px chart with a legend
	y := c.yAxis(dataMax)
	if c.YLog {
		return markLabels(c.MarkLines, y.Min.(float64), y.Max.(float64), true, plotPx)
	}
	hi := dataMax
	if m, ok := y.Max.(float64); ok {
		hi = m
	}
	for _, m := range c.MarkLines {
		hi = math.Max(hi, m.Value)
	}
	if !finite(hi) || hi <= 0 {
		hi = 1
	}
	return markLabels(c.MarkLines, 0, hi, false, plotPx)
}

// yAxis is the value axis: linear, or log10 from the power of ten at or
// below the smallest positive value to the one at or above the largest
// value or mark line.
func (c Line) yAxis(dataMax float64) eopts.YAxis {
	if !c.YLog {
		return eopts.YAxis{Type: "value", Name: axisName(c.YName, c.YUnit), Max: valueAxisMax(dataMax, c.MarkLines)}
	}
	lo, hi := math.Inf(1), dataMax
	for _, s := range c.Series {
		for _, v := range s.Values {
			if finite(v) && v > 0 {
				lo = math.Min(lo, v)
			}
		}
	}
	for _, m := range c.MarkLines {
		if m.Value > 0 {
			lo, hi = math.Min(lo, m.Value), math.Max(hi, m.Value)
		}
	}
	if !finite(lo) || !finite(hi) || hi <= 0 {
		lo, hi = 1, 10
	}
	unit := "log scale"
	if c.YUnit != "" {
		unit = c.YUnit + ", log scale"
	}
	return eopts.YAxis{Type: "log", Name: axisName(c.YName, unit),
		Min: round6(math.Pow(10, math.Floor(math.Log10(lo)))), Max: round6(math.Pow(10, math.Ceil(math.Log10(hi*1.0001))))}
}

// Option implements Chart.
func (c Line) Option() (template.JS, error) { return option(c) }

// withData sets a series' data to plain numbers with null for missing
// points, which is smaller than go-echarts' {"value": v} items.
func withData(vs []float64) echarts.SeriesOpts {
	return echarts.WithSeriesOpts(func(s *echarts.SingleSeries) { s.Data = dataValues(vs) })
}
