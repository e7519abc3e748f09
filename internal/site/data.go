package site

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/kvplot/kvplot/internal/pages"
	"math"
	"strconv"
	"strings"
)

// TableCSV returns the table as CSV: the header, then the rows as shown.
// A cell that a spreadsheet would run as a formula (it starts with =, +,
// -, @ or a control character and is not a number) gets a leading
// apostrophe.
func TableCSV(t pages.Table) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header, rows := t.Header, t.Rows
	if t.Keys != nil && t.Raw != nil {
		header, rows = t.Keys, make([][]string, len(t.Raw))
		for i, r := range t.Raw {
			rows[i] = make([]string, len(r))
			for j, v := range r {
				rows[i][j] = plainCell(v)
			}
		}
	}
	if err := w.Write(csvSafe(header)); err != nil {
		return nil, err
	}
	for _, row := range rows {
		if err := w.Write(csvSafe(row)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func csvSafe(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = c
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) && !numberLike.MatchString(c) {
			out[i] = "'" + c
		}
	}
	return out
}

// TableJSON returns the table as a JSON array with one object per row,
// keyed by the header, keys in column order, one row a line. Values come
// from Raw when set (NaN and infinities become null), else from the cells.
func TableJSON(t pages.Table) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("[")
	for i, row := range t.Rows {
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n  {")
		keys := t.Header
		if t.Keys != nil {
			keys = t.Keys
		}
		for j, h := range keys {
			if j > 0 {
				buf.WriteString(", ")
			}
			var v any
			if t.Raw != nil {
				v = jsonSafe(t.Raw[i][j])
			} else {
				v = row[j]
			}
			k, err := json.Marshal(h)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("table %q: row %d, column %q: %w", t.Caption, i+1, h, err)
			}
			buf.Write(k)
			buf.WriteString(": ")
			buf.Write(b)
		}
		buf.WriteString("}")
	}
	if len(t.Rows) > 0 {
		buf.WriteString("\n")
	}
	buf.WriteString("]\n")
	return buf.Bytes(), nil
}

// plainCell is a data value as a CSV cell: numbers plain (no thousands
// separators, no units), null and non-finite numbers empty.
func plainCell(v any) string {
	switch x := jsonSafe(v).(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	}
	return fmt.Sprint(v)
}

// jsonSafe maps non-finite floats, which JSON cannot hold, to null.
func jsonSafe(v any) any {
	switch f := v.(type) {
	case float64:
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
	case float32:
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil
		}
	}
	return v
}
