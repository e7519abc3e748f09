package charts

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// optionMap builds a chart and decodes its option JSON (functions still
// marked as strings).
func optionMap(t *testing.T, b builder) map[string]any {
	t.Helper()
	c, err := b.build()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := optionJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBandMapLabelsEveryCell(t *testing.T) {
	bm := BandMap{ID: "bands", X: []string{"1× H100", "8× H100"}, Y: []string{"a", "b"},
		Bands: []Band{{Name: "does not fit", Color: "#eeeeee"}, {Name: "< 8K", Color: "#c7e9b4"}, {Name: "unused", Color: "#253494"}},
		Cells: [][]BandCell{
			{{Band: 0, Label: "✗"}, {Band: 1, Label: "6.2K", Href: "models/a.html"}},
			{{Band: 1, Label: "1K"}, {Band: 1, Label: "7K"}},
		},
		YLinks: []string{"models/a.html", "models/b.html"},
	}
	m := optionMap(t, bm)
	series := m["series"].([]any)
	if len(series) != 3 || bm.SeriesCount() != 3 {
		t.Fatalf("%d series (SeriesCount %d), want one per band (3)", len(series), bm.SeriesCount())
	}
	var labels []string
	for _, s := range series {
		for _, d := range s.(map[string]any)["data"].([]any) {
			labels = append(labels, d.(map[string]any)["t"].(string))
		}
	}
	slices.Sort(labels)
	if want := []string{"1K", "6.2K", "7K", "✗"}; !slices.Equal(labels, want) {
		t.Errorf("cell labels = %q, want %q", labels, want)
	}
	y := m["yAxis"].([]any)[0].(map[string]any)
	if links := y["kvplotLinks"].([]any); len(links) != 2 || links[1] != "models/b.html" || y["triggerEvent"] != true {
		t.Errorf("y axis links = %v, triggerEvent %v; want the two model pages, clickable", y["kvplotLinks"], y["triggerEvent"])
	}
	if _, ok := m["xAxis"].([]any)[0].(map[string]any)["kvplotLinks"]; ok {
		t.Error("x axis has links though none were given")
	}
	legend := m["legend"].(map[string]any)["data"].([]any)
	if len(legend) != 3 {
		t.Errorf("legend = %v, want all three bands, even the empty one", legend)
	}
}

func TestBandMapErrors(t *testing.T) {
	ok := BandMap{ID: "b", X: []string{"x"}, Y: []string{"y"}, Bands: []Band{{Name: "n", Color: "#ffffff"}}, Cells: [][]BandCell{{{Band: 0, Label: "1"}}}}
	if _, err := ok.Option(); err != nil {
		t.Fatalf("valid band map: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*BandMap)
		want string
	}{
		{"band out of range", func(b *BandMap) { b.Cells = [][]BandCell{{{Band: 1}}} }, "band 1 of 1"},
		{"ragged", func(b *BandMap) { b.Cells = [][]BandCell{{}} }, "0 cells for 1"},
		{"links", func(b *BandMap) { b.YLinks = []string{"a", "b"} }, "2 y links"},
		{"colour", func(b *BandMap) { b.Bands = []Band{{Name: "n", Color: "red"}} }, "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ok
			tc.edit(&b)
			if _, err := b.Option(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Option() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestMarkLabelsNeverOverlap: labels of lines closer than 18 px merge on
// the highest line; lines far apart keep their own.
func TestMarkLabelsNeverOverlap(t *testing.T) {
	ms := []MarkLine{{Name: "a", Value: 10}, {Name: "b", Value: 1000}, {Name: "c", Value: 1100}, {Name: "d", Value: 1200}, {Name: "e", Value: 100}}
	got := markLabels(ms, 0.1, 10000, true, 260)
	want := []string{"a", "", "", "d · c · b", "e"}
	if !slices.Equal(got, want) {
		t.Errorf("markLabels = %q, want %q", got, want)
	}
	// Property: any two labelled lines are at least 18 px apart.
	pos := func(v float64) float64 { return (math.Log10(v) + 1) / 5 * 260 }
	for i := range ms {
		for j := range ms {
			if i != j && got[i] != "" && got[j] != "" && math.Abs(pos(ms[i].Value)-pos(ms[j].Value)) < 18 {
				t.Errorf("labels %q and %q are %.1f px apart", got[i], got[j], math.Abs(pos(ms[i].Value)-pos(ms[j].Value)))
			}
		}
	}
	if got := markLabels(ms[:1], 0, 20, false, 260); got[0] != "a" {
		t.Errorf("single linear line label = %q, want a", got[0])
	}
}

// TestCapacityClipsHugeStacks: a stack 26× its capacity does not set the
// axis; it is cut at 1.3 × the largest capacity and marked with its total.
func TestCapacityClipsHugeStacks(t *testing.T) {
	sb := StackedBar{ID: "mem", YUnit: "GiB", Categories: []string{"1× RTX 4090", "8× H200, TP8"},
		Series:   []Series{{Name: ComponentWeights, Values: []float64{627, 80}}, {Name: ComponentKVCache, Values: []float64{8, 20}}},
		Capacity: []float64{23.6, 139.8},
	}
	m := optionMap(t, sb)
	if got, want := m["yAxis"].([]any)[0].(map[string]any)["max"], 200.0; got != want { // niceCeil(1.3 × 139.8 = 181.7)
		t.Errorf("y axis max = %v, want %v", got, want)
	}
	series := m["series"].([]any)
	if len(series) != sb.SeriesCount() || len(series) != 4 {
		t.Fatalf("%d series, SeriesCount %d, want 4 (two parts, capacity, cut-off marks)", len(series), sb.SeriesCount())
	}
	capData := series[2].(map[string]any)["data"].([]any)
	if capData[0] != 23.6 || capData[1] != 139.8 {
		t.Errorf("capacity markers = %v, want [23.6 139.8]", capData)
	}
	over := series[3].(map[string]any)["data"].([]any)
	first, second := over[0].(map[string]any), over[1].(map[string]any)
	if first["t"] != "635 GiB ↑" || first["value"] != 200.0 {
		t.Errorf("cut-off mark of the huge stack = %v, want 635 GiB ↑ at 200", first)
	}
	if second["value"] != "-" || second["t"] != nil {
		t.Errorf("cut-off mark of a stack that fits the axis = %v, want none", second)
	}
	// Without capacities nothing is clipped.
	sb.Capacity = nil
	if got := optionMap(t, sb)["yAxis"].([]any)[0].(map[string]any)["max"]; got != nil {
		t.Errorf("y axis max without capacities = %v, want automatic", got)
	}
}

// TestLongCategoriesAreNotCut: long fleet names are turned, never
// truncated, and the axis name they would cover is left out.
func TestLongCategoriesAreNotCut(t *testing.T) {
	long := []string{"16× H100 SXM, TP8 × PP2", "8× TPU v6e (v6e-8), TP8", "2× A100 80GB, TP2", "1× RTX 4090"}
	for _, b := range []builder{
		StackedBar{ID: "s", XName: "fleet", Categories: long, Series: []Series{{Name: "w", Values: []float64{1, 2, 3, 4}}}},
		Bar{ID: "b", XName: "fleet", Categories: long, Series: []Series{{Name: "w", Values: []float64{1, 2, 3, 4}}}},
	} {
		x := optionMap(t, b)["xAxis"].([]any)[0].(map[string]any)
		label := x["axisLabel"].(map[string]any)
		if label["overflow"] != nil || label["width"] != nil || label["rotate"] != 30.0 {
			t.Errorf("long category labels = %v, want turned 30° and never cut", label)
		}
		if x["name"] != nil {
			t.Errorf("axis name %v shown under turned labels", x["name"])
		}
	}
	x := optionMap(t, StackedBar{ID: "s", XName: "context", Categories: []string{"1K", "2K"}, Series: []Series{{Name: "w", Values: []float64{1, 2}}}})["xAxis"].([]any)[0].(map[string]any)
	if x["name"] != "context" {
		t.Errorf("short categories: axis name = %v, want context", x["name"])
	}
}

func TestLogAxisSaysLog(t *testing.T) {
	y := optionMap(t, Line{ID: "l", YName: "KV cache", YUnit: "GiB", YLog: true, X: []string{"1K"}, Series: []Series{{Name: "s", Values: []float64{3}}}})["yAxis"].([]any)[0].(map[string]any)
	if y["name"] != "KV cache (GiB, log scale)" || y["type"] != "log" {
		t.Errorf("log y axis = %v %v, want a log axis named KV cache (GiB, log scale)", y["type"], y["name"])
	}
}

func TestSequentialDarkens(t *testing.T) {
	lum := func(c string) float64 {
		var r, g, b int
		for i, p := range []*int{&r, &g, &b} {
			for _, ch := range c[1+2*i : 3+2*i] {
				*p = *p*16 + strings.IndexRune("0123456789abcdef", ch)
			}
		}
		return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
	}
	for _, n := range []int{1, 3, 6, 9} {
		cs := Sequential(n)
		if len(cs) != n {
			t.Fatalf("Sequential(%d) gave %d colours", n, len(cs))
		}
		for i := 1; i < n; i++ {
			if lum(cs[i]) > lum(cs[i-1]) {
				t.Errorf("Sequential(%d): %s is lighter than %s before it", n, cs[i], cs[i-1])
			}
		}
	}
}
