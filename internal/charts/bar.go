package charts

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

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
	// Capacity optionally gives each category its own capacity, such as
	// each fleet's memory per GPU (NaN: unknown). Each bar then carries a
	// capacity marker; the value axis stops at 1.3 × the largest capacity,
	// so one huge stack cannot flatten the others, and a stack cut off at
	// the top is marked with its total.
	Capacity []float64
}

// The extra series of a StackedBar with capacities.
const (
	capacitySeries = "capacity"
	overSeries     = "beyond the axis"
)

// ChartID implements Chart.
func (c StackedBar) ChartID() string { return c.ID }

// ChartTitle implements Chart.
func (c StackedBar) ChartTitle() string { return c.Title }

// SeriesCount implements Chart: the stacked series, plus the capacity
// markers and the cut-off marks when there are capacities.
func (c StackedBar) SeriesCount() int {
	if c.Capacity != nil {
		return len(c.Series) + 2
	}
	return len(c.Series)
}

func (c StackedBar) build() (optioner, error) {
	errs := []error{CheckID(c.ID)}
	if len(c.Categories) == 0 {
		errs = append(errs, errors.New("no categories"))
	}
	errs = append(errs, checkSeries(c.Series, len(c.Categories)), checkMarkLines(c.MarkLines))
	if c.Capacity != nil && len(c.Capacity) != len(c.Categories) {
		errs = append(errs, fmt.Errorf("%d capacities for %d categories", len(c.Capacity), len(c.Categories)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("stacked bar chart %s: %w", c.ID, err)
	}
	// The highest stack decides the data maximum.
	totals := make([]float64, len(c.Categories))
	dataMax := 0.0
	for i := range c.Categories {
		for _, s := range c.Series {
			if v := s.Values[i]; finite(v) && v > 0 {
				totals[i] += v
			}
		}
		dataMax = math.Max(dataMax, totals[i])
	}
	axisMax := valueAxisMax(dataMax, c.MarkLines)
	capMax := math.Inf(-1)
	for _, v := range c.Capacity {
		if finite(v) {
			capMax = math.Max(capMax, v)
		}
	}
	clip := math.Inf(1)
	if finite(capMax) && capMax > 0 && dataMax > 1.3*capMax {
		clip = niceCeil(1.3 * capMax)
		axisMax = clip
	}
	legend := len(c.Series) > 1 || c.Capacity != nil
	names := cleanAll(seriesNames(c.Series))
	palette := seriesPalette(c.Series, componentOrModelColor)
	if c.Capacity != nil {
		names = append(names, capacitySeries)
		palette = append(palette, capacityColor, overColor)
	}
	bar := echarts.NewBar()
	bar.SetGlobalOptions(commonOpts(c.ID, c.Title, c.Subtitle, palette)...)
	bar.SetGlobalOptions(
		gridOpts(c.Subtitle, legend),
		echarts.WithLegendOpts(eopts.Legend{Show: eopts.Bool(legend), Type: "scroll", Bottom: "4", Left: "center", Data: names}),
		echarts.WithTooltipOpts(eopts.Tooltip{
			Trigger:     "axis",
			AxisPointer: &eopts.AxisPointer{Type: "shadow"},
			Formatter:   eopts.FuncOpts(stackTooltipJS(c.YUnit, len(c.Series))),
		}),
		echarts.WithXAxisOpts(categoryXAxis(c.XName, c.Categories)),
		echarts.WithYAxisOpts(eopts.YAxis{
			Type: "value",
			Name: axisName(c.YName, c.YUnit),
			Max:  axisMax,
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
	if c.Capacity != nil {
		addCapacitySeries(bar, c.Capacity, totals, clip, c.YUnit)
	}
	return bar, nil
}

func seriesNames(series []Series) []string {
	out := make([]string, len(series))
	for i, s := range series {
		out[i] = s.Name
	}
	return out
}

// The capacity marker is near-black, the cut-off mark dark red: both
// stand out from the component colours, in greyscale too.
const (
	capacityColor = "#1a1a1a"
	overColor     = "#a11a1a"
)

// overItem is a cut-off mark at the top of the axis, labelled with the
// stack's total.
type overItem struct {
	Value any    `json:"value"`
	Label string `json:"t,omitempty"`
}

// addCapacitySeries draws a capacity marker across each bar (a line
// series with no line, only a flat rectangle at each point) and, for each
// stack taller than clip, a triangle at the top of the axis labelled with
// the stack's total.
func addCapacitySeries(bar *echarts.Bar, capacity, totals []float64, clip float64, unit string) {
	bar.AddSeries(capacitySeries, nil,
		withData(capacity),
		echarts.WithLineChartOpts(eopts.LineChart{Symbol: "rect", SymbolSize: []int{44, 4}, ShowSymbol: eopts.Bool(true)}),
		echarts.WithLineStyleOpts(eopts.LineStyle{Opacity: eopts.Float(0)}),
		echarts.WithItemStyleOpts(eopts.ItemStyle{Color: capacityColor}),
		withSeriesType("line"),
	)
	items := make([]overItem, len(totals))
	for i, t := range totals {
		items[i].Value = "-"
		if t > clip {
			items[i] = overItem{Value: round6(clip), Label: formatNumber(t) + " " + unit + " ↑"}
		}
	}
	bar.AddSeries(overSeries, nil,
		echarts.WithSeriesOpts(func(s *echarts.SingleSeries) { s.Data = items }),
		echarts.WithLineChartOpts(eopts.LineChart{Symbol: "triangle", SymbolSize: 12, ShowSymbol: eopts.Bool(true)}),
		echarts.WithLineStyleOpts(eopts.LineStyle{Opacity: eopts.Float(0)}),
		echarts.WithItemStyleOpts(eopts.ItemStyle{Color: overColor}),
		echarts.WithLabelOpts(eopts.Label{Show: eopts.Bool(true), Position: "bottom", Color: "#ffffff", FontSize: 11, FontWeight: "bold",
			BackgroundColor: overColor, BorderRadius: 3, Formatter: string(eopts.FuncOpts(`function (p) { return p.data.t || ''; }`))}),
		withSeriesType("line"),
	)
}

// withSeriesType makes a series of another type, such as a line series
// of markers on a bar chart.
func withSeriesType(t string) echarts.SeriesOpts {
	return echarts.WithSeriesOpts(func(s *echarts.SingleSeries) { s.Type = t })
}

// formatNumber prints a value as the charts' formatters do: three
// significant digits below 100, whole numbers with thousands separators
// from 100.
func formatNumber(v float64) string {
	if math.Abs(v) >= 100 {
		return groupThousands(int64(math.Round(v)))
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// categoryXAxis shows every category in full. Many long labels (fleet
// names) are turned 30°; the axis name, which they would cover, is then
// left out, since the labels say what the axis is.
func categoryXAxis(name string, cats []string) eopts.XAxis {
	a := eopts.XAxis{Type: "category", Name: CleanText(name), NameLocation: "middle", NameGap: 28,
		AxisLabel: &eopts.AxisLabel{Interval: "0"}}
	if longLabels(cats) {
		a.Name = ""
		a.AxisLabel.Rotate = 30
	}
	return a
}

// longLabels reports whether categories would collide side by side.
func longLabels(cats []string) bool {
	long := 0
	for _, x := range cats {
		long = max(long, len([]rune(x)))
	}
	return len(cats)*long > 80
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
	catAxis := categoryXAxis(c.XName, c.Categories)
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
				AxisLabel: &eopts.AxisLabel{Interval: "0"}}),
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
