package charts

import (
	"errors"
	"fmt"
	"html/template"
	"math"

	echarts "github.com/go-echarts/go-echarts/v2/charts"
	eopts "github.com/go-echarts/go-echarts/v2/opts"
)

// StackedBar stacks its series in each category, such as the memory of
// one accelerator split into weights, KV cache and reserves. The tooltip
// lists each part and the total.
type StackedBar struct {
	ID         string
	Title      string
	Subtitle   string
	XName      string
	YName      string
	YUnit      string
	Categories []string
	// Series are stacked bottom to top in order. A series without a
	// colour named like a memory component gets ComponentColor.
	Series []Series
	// MarkLines are optional capacity lines.
	MarkLines []MarkLine
}

// ChartID implements Chart.
func (c StackedBar) ChartID() string { return c.ID }

// ChartTitle implements Chart.
func (c StackedBar) ChartTitle() string { return c.Title }

// SeriesCount implements Chart.
func (c StackedBar) SeriesCount() int { return len(c.Series) }

func (c StackedBar) build() (optioner, error) {
	errs := []error{CheckID(c.ID)}
	if len(c.Categories) == 0 {
		errs = append(errs, errors.New("no categories"))
	}
	errs = append(errs, checkSeries(c.Series, len(c.Categories)), checkMarkLines(c.MarkLines))
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("stacked bar chart %s: %w", c.ID, err)
	}
	// The highest stack decides the data maximum.
	dataMax := 0.0
	for i := range c.Categories {
		sum := 0.0
		for _, s := range c.Series {
			if v := s.Values[i]; finite(v) && v > 0 {
				sum += v
			}
		}
		dataMax = math.Max(dataMax, sum)
	}
	legend := len(c.Series) > 1
	bar := echarts.NewBar()
	bar.SetGlobalOptions(commonOpts(c.ID, c.Title, c.Subtitle, seriesPalette(c.Series, componentOrModelColor))...)
	bar.SetGlobalOptions(
		gridOpts(c.Subtitle, legend),
		legendOpts(legend),
		echarts.WithTooltipOpts(eopts.Tooltip{
			Trigger:     "axis",
			AxisPointer: &eopts.AxisPointer{Type: "shadow"},
			Formatter:   eopts.FuncOpts(stackTooltipJS(c.YUnit)),
		}),
		echarts.WithXAxisOpts(eopts.XAxis{
			Type:         "category",
			Name:         CleanText(c.XName),
			NameLocation: "middle",
			NameGap:      28,
			AxisLabel:    &eopts.AxisLabel{Width: 120, Overflow: "truncate", Interval: "0", Rotate: 30},
		}),
		echarts.WithYAxisOpts(eopts.YAxis{
			Type: "value",
			Name: axisName(c.YName, c.YUnit),
			Max:  valueAxisMax(dataMax, c.MarkLines),
		}),
	)
	bar.SetXAxis(cleanAll(c.Categories))
	bar.Accept(rectVisitor{})
	for i, s := range c.Series {
		opts := []echarts.SeriesOpts{
			echarts.WithBarChartOpts(eopts.BarChart{Stack: "total", BarCategoryGap: "35%"}),
			withBarMaxWidth,
			withData(s.Values),
		}
		if i == len(c.Series)-1 && len(c.MarkLines) > 0 {
			opts = append(opts, markLineOpts(c.MarkLines, c.YUnit))
		}
		bar.AddSeries(CleanText(s.Name), nil, opts...)
	}
	return bar, nil
}

// Bar is a plain bar chart, one bar per category and series, such as KV
// bytes per token across models. Horizontal bars suit long category names.
type Bar struct {
	ID         string
	Title      string
	Subtitle   string
	XName      string // the category axis
	YName      string // the value axis
	YUnit      string
	Categories []string
	// CategoryColors optionally colours the bars of a single-series chart
	// by category, one "#rrggbb" per category, e.g. ColorFor(model,
	// allModels) so a model keeps its colour across pages. Without it the
	// colours come from ColorFor(category, Categories).
	CategoryColors []string
	Series         []Series
	Horizontal     bool
	MarkLines      []MarkLine
}

// ChartID implements Chart.
func (c Bar) ChartID() string { return c.ID }

// ChartTitle implements Chart.
func (c Bar) ChartTitle() string { return c.Title }

// SeriesCount implements Chart.
func (c Bar) SeriesCount() int { return len(c.Series) }

func (c Bar) build() (optioner, error) {
	errs := []error{CheckID(c.ID)}
	if len(c.Categories) == 0 {
		errs = append(errs, errors.New("no categories"))
	}
	errs = append(errs, checkSeries(c.Series, len(c.Categories)), checkMarkLines(c.MarkLines))
	if c.Horizontal && len(c.MarkLines) > 0 {
		errs = append(errs, errors.New("mark lines need vertical bars"))
	}
	if c.CategoryColors != nil {
		if len(c.CategoryColors) != len(c.Categories) {
			errs = append(errs, fmt.Errorf("%d category colours for %d categories", len(c.CategoryColors), len(c.Categories)))
		}
		for _, col := range c.CategoryColors {
			errs = append(errs, checkColor("category", col))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bar chart %s: %w", c.ID, err)
	}
	dataMax := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if finite(v) {
				dataMax = math.Max(dataMax, v)
			}
		}
	}
	legend := len(c.Series) > 1
	bar := echarts.NewBar()
	bar.SetGlobalOptions(commonOpts(c.ID, c.Title, c.Subtitle, seriesPalette(c.Series, ColorFor))...)
	catAxis := eopts.XAxis{
		Type:         "category",
		Name:         CleanText(c.XName),
		NameLocation: "middle",
		NameGap:      28,
		AxisLabel:    &eopts.AxisLabel{Width: 120, Overflow: "truncate", Interval: "0", Rotate: 30},
	}
	valAxis := eopts.YAxis{
		Type: "value",
		Name: axisName(c.YName, c.YUnit),
		Max:  valueAxisMax(dataMax, c.MarkLines),
	}
	if c.Horizontal {
		bar.XYReversal()
		bar.SetGlobalOptions(
			echarts.WithXAxisOpts(eopts.XAxis{Type: "value", Name: valAxis.Name, NameLocation: "middle", NameGap: 28}),
			// The category axis has no name: its labels say what it is.
			echarts.WithYAxisOpts(eopts.YAxis{Type: "category", Inverse: eopts.Bool(true),
				AxisLabel: &eopts.AxisLabel{Width: 160, Overflow: "truncate"}}),
		)
	} else {
		bar.SetGlobalOptions(echarts.WithXAxisOpts(catAxis), echarts.WithYAxisOpts(valAxis))
	}
	right := "28"
	if c.Horizontal && len(c.Series) == 1 {
		right = "72" // the value labels
	}
	bar.SetGlobalOptions(
		gridOptsRight(c.Subtitle, legend, right),
		legendOpts(legend),
		echarts.WithTooltipOpts(eopts.Tooltip{
			Trigger:        "axis",
			AxisPointer:    &eopts.AxisPointer{Type: "shadow"},
			ValueFormatter: eopts.FuncOpts(valueFormatterJS(c.YUnit)),
		}),
	)
	bar.SetXAxis(cleanAll(c.Categories))
	bar.Accept(rectVisitor{})
	position := "top"
	if c.Horizontal {
		position = "right"
	}
	for i, s := range c.Series {
		opts := []echarts.SeriesOpts{
			echarts.WithBarChartOpts(eopts.BarChart{BarCategoryGap: "30%"}),
			withBarMaxWidth,
			withData(s.Values),
		}
		if len(c.Series) == 1 {
			opts = append(opts,
				echarts.WithLabelOpts(eopts.Label{Show: eopts.Bool(true), Position: position,
					Formatter: string(eopts.FuncOpts(barLabelJS(c.YUnit)))}),
				withCategoryColors(c.Categories, c.CategoryColors, s.Color),
			)
		}
		if i == 0 && len(c.MarkLines) > 0 {
			opts = append(opts, markLineOpts(c.MarkLines, c.YUnit))
		}
		bar.AddSeries(CleanText(s.Name), nil, opts...)
	}
	return bar, nil
}

// withCategoryColors colours each bar of a single series by its category
// (colors if given, else ColorFor), so a model has the same colour here as
// in its line charts; a series colour without colors paints every bar.
func withCategoryColors(categories, colors []string, color string) echarts.SeriesOpts {
	return echarts.WithSeriesOpts(func(s *echarts.SingleSeries) {
		values, _ := s.Data.([]any)
		items := make([]eopts.BarData, len(values))
		for i, v := range values {
			var c string
			switch {
			case colors != nil:
				c = colors[i]
			case color != "":
				c = color
			default:
				c = ColorFor(categories[i], categories)
			}
			items[i] = eopts.BarData{Value: v, ItemStyle: &eopts.ItemStyle{Color: c}}
			if v == nil {
				items[i].Value = "-"
			}
		}
		s.Data = items
	})
}

// withBarMaxWidth keeps a chart with few categories from drawing slabs.
func withBarMaxWidth(s *echarts.SingleSeries) { s.BarMaxWidth = "64" }

// Option implements Chart.
func (c StackedBar) Option() (template.JS, error) { return option(c) }

// Option implements Chart.
func (c Bar) Option() (template.JS, error) { return option(c) }
