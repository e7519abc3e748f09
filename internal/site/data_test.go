package site

import (
	"encoding/json"
	"github.com/kvplot/kvplot/internal/pages"
	"math"
	"testing"
)

func TestTableCSV(t *testing.T) {
	got, err := TableCSV(pages.Table{
		Header: []string{"model", "note"},
		Rows: [][]string{
			{"llama", "a, b"},
			{"=HYPERLINK(\"http://x\")", "-1.5"},
			{"@SUM(A1)", "+x"},
			{"say \"hi\"", "-"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "model,note\n" +
		"llama,\"a, b\"\n" +
		"\"'=HYPERLINK(\"\"http://x\"\")\",-1.5\n" +
		"'@SUM(A1),'+x\n" +
		"\"say \"\"hi\"\"\",'-\n"
	if string(got) != want {
		t.Errorf("TableCSV =\n%s\nwant\n%s", got, want)
	}
}

func TestTableJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		tbl  pages.Table
		want string
	}{
		{"cells", pages.Table{Header: []string{"model", "kv"}, Rows: [][]string{{"a<b>", "1 GiB"}}},
			"[\n  {\"model\": \"a\\u003cb\\u003e\", \"kv\": \"1 GiB\"}\n]\n"},
		{"raw values keep column order and map NaN to null", pages.Table{
			Header: []string{"z", "a", "m"},
			Rows:   [][]string{{"x", "1", "-"}, {"y", "2", "3"}},
			Raw:    [][]any{{"x", 1, math.NaN()}, {"y", int64(2), 3.5}},
		}, "[\n  {\"z\": \"x\", \"a\": 1, \"m\": null},\n  {\"z\": \"y\", \"a\": 2, \"m\": 3.5}\n]\n"},
		{"no rows", pages.Table{Header: []string{"x"}}, "[]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TableJSON(tc.tbl)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("TableJSON =\n%s\nwant\n%s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("TableJSON is not valid JSON")
			}
		})
	}
}

// TestTableDataKeys: with Keys, both files use the keys as column names,
// the CSV holds plain numbers (no separators, no units) and empty cells for
// null, and data-only columns past the shown ones are kept.
func TestTableDataKeys(t *testing.T) {
	tb := pages.Table{
		Header: []string{"Model", "Weights (GiB)", "Max ctx"},
		Rows:   [][]string{{"a", "14.96", "8,192 (model limit)"}, {"b", "0.50", "does not fit"}},
		Raw:    [][]any{{"a", int64(16060522496), int64(8192), nil}, {"b", int64(536870912), nil, "does not fit: weights exceed"}},
		Keys:   []string{"model", "weights_bytes", "max_context_tokens", "note"},
	}
	csv, err := TableCSV(tb)
	if err != nil {
		t.Fatal(err)
	}
	if want := "model,weights_bytes,max_context_tokens,note\na,16060522496,8192,\nb,536870912,,does not fit: weights exceed\n"; string(csv) != want {
		t.Errorf("TableCSV =\n%s\nwant\n%s", csv, want)
	}
	js, err := TableJSON(tb)
	if err != nil {
		t.Fatal(err)
	}
	want := "[\n  {\"model\": \"a\", \"weights_bytes\": 16060522496, \"max_context_tokens\": 8192, \"note\": null},\n" +
		"  {\"model\": \"b\", \"weights_bytes\": 536870912, \"max_context_tokens\": null, \"note\": \"does not fit: weights exceed\"}\n]\n"
	if string(js) != want {
		t.Errorf("TableJSON =\n%s\nwant\n%s", js, want)
	}
}
