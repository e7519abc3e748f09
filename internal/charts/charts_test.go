package charts

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var nan = math.NaN()

// smallCharts is one small chart of each kind, with a missing value and
// a mark line where the kind has them.
func smallCharts() map[string]builder {
	return map[string]builder{
		"line": Line{
			ID: "kvLine", Title: "KV cache", Subtitle: "fp16, batch 1", XName: "context", YName: "KV cache", YUnit: "GiB",
			X: []string{"1K", "2K", "4K"},
			Series: []Series{
				{Name: "Llama-3-8B", Values: []float64{0.125, 0.25, 0.5}},
				{Name: "Llama-3-70B", Values: []float64{0.3125, nan, 1.25}, Color: "#123456"},
			},
			MarkLines: []MarkLine{{Name: "L4 budget", Value: 6.2}},
		},
		"stacked": StackedBar{
			ID: "memStack", Title: "Memory per GPU", XName: "context", YName: "memory", YUnit: "GiB",
			Categories: []string{"8K", "32K"},
			Series: []Series{
				{Name: ComponentWeights, Values: []float64{14.96, 14.96}},
				{Name: ComponentKVCache, Values: []float64{1, 4}},
				{Name: "other", Values: []float64{0.5, math.Inf(1)}},
			},
			MarkLines: []MarkLine{{Name: "H100 80GB", Value: 74.5, Color: "#333"}},
		},
		"bar": Bar{
			ID: "kvPerToken", Title: "KV per token", XName: "model", YName: "KV per token", YUnit: "KiB",
			Categories: []string{"a", "b"}, Horizontal: true,
			Series: []Series{{Name: "KV", Values: []float64{128, nan}}},
		},
		"heatmap": HeatMap{
			ID: "kvHeat", Title: "KV by batch", XName: "context", YName: "batch", Unit: "GiB",
			X: []string{"1K", "2K"}, Y: []string{"1", "2"},
			Values: [][]float64{{0.125, 0.25}, {0.25, nan}},
		},
	}
}

// goldenOption is the option with the JSON indented, and the functions
// decoded the way Option decodes them.
func goldenOption(t *testing.T, b builder) []byte {
	t.Helper()
	c, err := b.build()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := optionJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	js, err := decodeFuncs(ind.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(js), '\n')
}

func TestOptionGolden(t *testing.T) {
	for name, b := range smallCharts() {
		t.Run(name, func(t *testing.T) {
			got := goldenOption(t, b)
			path := filepath.Join("testdata", name+".golden.js")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("option of %s differs from %s (run with -update to accept):\n%s", name, path, got)
			}
		})
	}
}

// TestOptionIsGoldenCompacted checks that the golden files show what
// Option returns, only laid out: the two are equal once the whitespace
// outside string literals is dropped from both.
func TestOptionIsGoldenCompacted(t *testing.T) {
	for name, b := range smallCharts() {
		t.Run(name, func(t *testing.T) {
			js, err := b.(Chart).Option()
			if err != nil {
				t.Fatal(err)
			}
			golden, err := os.ReadFile(filepath.Join("testdata", name+".golden.js"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := withoutLayout(string(js)), withoutLayout(string(golden)); got != want {
				t.Errorf("Option() = %s\nwant the golden file's %s", got, want)
			}
		})
	}
}

// withoutLayout drops spaces, tabs and newlines outside JavaScript string
// literals (double- or single-quoted).
func withoutLayout(js string) string {
	var b strings.Builder
	var quote byte
	esc := false
	for i := 0; i < len(js); i++ {
		c := js[i]
		switch {
		case quote != 0 && esc:
			esc = false
		case quote != 0 && c == '\\':
			esc = true
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '"' || c == '\'':
			quote = c
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

var hostile = []string{
	`</script><script>alert(1)</script>`,
	`</SCRIPT ><script>alert(1)</script>`,
	`__f__alert(1)__f__`,
	`x__f__alert(1)__f__y`,
	`___f__f__f___`,
	`<!--<script>`,
	`<img src=x onerror=alert(1)>`,
	"line\u2028sep\u2029end",
	`"quoted" 'single' \ backslash`,
	`{a|rich} {b} {c}`,
	"bad utf8 \xff\xfe",
}

// withText puts s into every text field of every chart kind.
func withText(s string) map[string]builder {
	return map[string]builder{
		"line": Line{ID: "l", Title: s, Subtitle: s, XName: s, YName: s, YUnit: s, X: []string{s, "2K"},
			Series:    []Series{{Name: s, Values: []float64{1, 2}}},
			MarkLines: []MarkLine{{Name: s, Value: 3}}},
		"stacked": StackedBar{ID: "s", Title: s, Subtitle: s, XName: s, YName: s, YUnit: s, Categories: []string{s},
			Series:    []Series{{Name: s, Values: []float64{1}}, {Name: "b", Values: []float64{2}}},
			MarkLines: []MarkLine{{Name: s, Value: 4}}},
		"bar": Bar{ID: "b", Title: s, Subtitle: s, XName: s, YName: s, YUnit: s, Categories: []string{s, "x"},
			Series: []Series{{Name: s, Values: []float64{1, 2}}}},
		"hbar": Bar{ID: "h", Title: s, XName: s, YName: s, YUnit: s, Categories: []string{s}, Horizontal: true,
			Series: []Series{{Name: s, Values: []float64{1}}}},
		"heatmap": HeatMap{ID: "m", Title: s, Subtitle: s, XName: s, YName: s, Unit: s, NoFit: s,
			X: []string{s, "x"}, Y: []string{s}, Values: [][]float64{{1, nan}}},
	}
}

// unsafeInScript matches what must never appear in a <script> element's
// text: the end of the element, comment openers and HTML, markers, and
// raw line separators (older JS engines end a string at them).
var unsafeInScript = regexp.MustCompile("(?i)</script|<script|<!--|<img|__f__|\u2028|\u2029")

func TestHostileTextStaysText(t *testing.T) {
	for _, h := range hostile {
		for kind, b := range withText(h) {
			t.Run(kind+"/"+h, func(t *testing.T) {
				js, err := b.(Chart).Option()
				if err != nil {
					t.Fatalf("Option() error: %v", err)
				}
				if m := unsafeInScript.FindString(string(js)); m != "" {
					t.Errorf("Option() contains %q:\n%s", m, js)
				}
				// The text reaches the option intact, as a string.
				c, _ := b.build()
				raw, err := optionJSON(c)
				if err != nil {
					t.Fatal(err)
				}
				var v any
				if err := json.Unmarshal(raw, &v); err != nil {
					t.Fatal(err)
				}
				want := CleanText(h)
				if n := countStrings(v, want); n == 0 {
					t.Errorf("option has no string %q", want)
				}
			})
		}
	}
}

// countStrings counts the strings in v equal to s.
func countStrings(v any, s string) int {
	switch v := v.(type) {
	case string:
		if v == s {
			return 1
		}
	case []any:
		n := 0
		for _, e := range v {
			n += countStrings(e, s)
		}
		return n
	case map[string]any:
		n := 0
		for _, e := range v {
			n += countStrings(e, s)
		}
		return n
	}
	return 0
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain text is unchanged", "Llama-3-8B", "Llama-3-8B"},
		{"html is left to the encoder", "</script>", "</script>"},
		{"double underscores without the marker stay", "a__b", "a__b"},
		{"marker is broken", "__f__x__f__", "_\u200b_f_\u200b_x_\u200b_f_\u200b_"},
		{"overlapping markers are broken", "___f__f__", "_\u200b_\u200b_f_\u200b_f_\u200b_"},
		{"invalid utf-8 is replaced", "a\xffb", "a\ufffdb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CleanText(tc.in)
			if got != tc.want {
				t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.Contains(got, funcMarker) {
				t.Errorf("CleanText(%q) = %q still holds the marker", tc.in, got)
			}
		})
	}
}

func TestCheckID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"kvLine", true},
		{"_x9", true},
		{"", false},
		{"kv-cache", false},
		{"9lives", false},
		{"a b", false},
		{"x</script>", false},
	} {
		if err := CheckID(tc.id); (err == nil) != tc.ok {
			t.Errorf("CheckID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chart Chart
		want  string
	}{
		{"bad id", Line{ID: "kv-line", X: []string{"a"}, Series: []Series{{Values: []float64{1}}}}, "chart id"},
		{"no series", Line{ID: "l", X: []string{"a"}}, "no series"},
		{"value count", Line{ID: "l", X: []string{"a", "b"}, Series: []Series{{Name: "s", Values: []float64{1}}}}, "1 values for 2 categories"},
		{"bad colour", StackedBar{ID: "s", Categories: []string{"a"}, Series: []Series{{Name: "s", Values: []float64{1}, Color: "red;x"}}}, "colour"},
		{"infinite mark line", Bar{ID: "b", Categories: []string{"a"}, Series: []Series{{Name: "s", Values: []float64{1}}}, MarkLines: []MarkLine{{Name: "m", Value: math.Inf(1)}}}, "finite"},
		{"repeated heat-map category", HeatMap{ID: "h", X: []string{"a", "a"}, Y: []string{"1"}, Values: [][]float64{{1, 2}}}, "repeats"},
		{"ragged heat map", HeatMap{ID: "h", X: []string{"a", "b"}, Y: []string{"1"}, Values: [][]float64{{1}}}, "1 values for 2"},
		{"reversed scale", HeatMap{ID: "h", X: []string{"a"}, Y: []string{"1"}, Values: [][]float64{{1}}, Min: 2, Max: 1}, "finite range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.chart.Option()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Option() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMissingValuesAreNull(t *testing.T) {
	c, err := Line{ID: "l", X: []string{"a", "b", "c", "d"},
		Series: []Series{{Name: "s", Values: []float64{1, nan, math.Inf(1), math.Inf(-1)}}}}.build()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := optionJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"data":[1,null,null,null]`)) {
		t.Errorf("option = %s, want data [1,null,null,null]", raw)
	}
}

func TestValueAxisMax(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dataMax float64
		marks   []MarkLine
		want    any
	}{
		{"no mark lines", 40, nil, nil},
		{"mark line above the data widens the axis", 40, []MarkLine{{Value: 80}}, 100.0},
		{"highest mark line counts", 10, []MarkLine{{Value: 5}, {Value: 20}}, 25.0},
		{"mark line well below the data", 100, []MarkLine{{Value: 50}}, nil},
		{"mark line just below the data max still gets room", 79, []MarkLine{{Value: 78}}, 100.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := valueAxisMax(tc.dataMax, tc.marks); got != tc.want {
				t.Errorf("valueAxisMax(%g, %v) = %v, want %v", tc.dataMax, tc.marks, got, tc.want)
			}
		})
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{86.4, 100}, {0.7, 0.8}, {1, 1}, {12.3, 15}, {21, 25}, {0, 1}, {123456, 150000},
	} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%g) = %g, want %g", tc.in, got, tc.want)
		}
	}
}

func TestColorFor(t *testing.T) {
	keys := []string{"llama-3-8b", "mistral-7b", "gemma-2-9b"}
	reordered := []string{"mistral-7b", "gemma-2-9b", "llama-3-8b", "mistral-7b"}
	for _, k := range keys {
		if a, b := ColorFor(k, keys), ColorFor(k, reordered); a != b {
			t.Errorf("ColorFor(%q) = %s with one key order and %s with another", k, a, b)
		}
	}
	seen := map[string]string{}
	for _, k := range keys {
		c := ColorFor(k, keys)
		if other, dup := seen[c]; dup {
			t.Errorf("ColorFor gives %s to both %q and %q", c, other, k)
		}
		seen[c] = k
	}
	if a, b := ColorFor("unknown", keys), ColorFor("unknown", nil); a != b {
		t.Errorf("ColorFor of a key outside keys is %s and %s, want one hash colour", a, b)
	}
	if c, ok := ComponentColor("kv CACHE "); !ok || c != componentColors["kv cache"] {
		t.Errorf("ComponentColor(kv CACHE) = %s, %v; want the KV cache colour", c, ok)
	}
	if _, ok := ComponentColor("llama"); ok {
		t.Errorf("ComponentColor(llama) ok, want false")
	}
}

func TestJSStringIsInert(t *testing.T) {
	inert := regexp.MustCompile(`^'(?:[A-Za-z0-9 ]|\\u[0-9a-f]{4})*'$`)
	for _, h := range hostile {
		if got := jsString(h); !inert.MatchString(got) {
			t.Errorf("jsString(%q) = %s, want only letters, digits, spaces and \\u escapes", h, got)
		}
	}
}
