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
