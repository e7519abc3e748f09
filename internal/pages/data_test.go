package pages

import (
	"fmt"
	"strings"
	"testing"
)

// TestDataTablesAreScriptable checks every table with data files against
// the schema of docs/data.md: named columns ending in a note; in each
// column one kind of value (no mix of numbers, strings such as
// "unbounded", and booleans); byte and token columns whole numbers; a null
// only with a note saying why.
func TestDataTablesAreScriptable(t *testing.T) {
	_, s := buildDefault(t)
	tables := 0
	for _, pg := range s.Pages {
		for _, b := range pg.Blocks {
			tb, ok := b.(Table)
			if !ok || tb.DataName == "" {
				continue
			}
			tables++
			name := pg.Path + " " + tb.DataName
			if len(tb.Keys) < len(tb.Header) || tb.Keys[len(tb.Keys)-1] != "note" || len(tb.Raw) != len(tb.Rows) {
				t.Errorf("%s: keys %v for header %v (%d raw rows, %d rows): want a key per column and a last note", name, tb.Keys, tb.Header, len(tb.Raw), len(tb.Rows))
				continue
			}
			kinds := make([]string, len(tb.Keys))
			for i, row := range tb.Raw {
				note, _ := row[len(row)-1].(string)
				for j, v := range row[:len(row)-1] {
					key := tb.Keys[j]
					kind := fmt.Sprintf("%T", v)
					switch v.(type) {
					case nil:
						if note == "" {
							t.Errorf("%s row %d: %s is null without a note", name, i+1, key)
						}
						continue
					case int, int64:
						kind = "integer"
					case float64:
						if strings.Contains(key, "bytes") || strings.Contains(key, "tokens") || strings.HasPrefix(key, "max_concurrency") {
							t.Errorf("%s row %d: %s = %v, want a whole number", name, i+1, key, v)
						}
					case string:
						if strings.Contains(key, "bytes") || strings.Contains(key, "tokens") || strings.HasPrefix(key, "max_concurrency") || strings.HasPrefix(key, "params") {
							t.Errorf("%s row %d: %s = %q, want a number", name, i+1, key, v)
						}
					}
					if kinds[j] == "" {
						kinds[j] = kind
					} else if kinds[j] != kind {
						t.Errorf("%s: column %s mixes %s and %s (row %d: %v)", name, key, kinds[j], kind, i+1, v)
					}
				}
			}
		}
	}
	if tables < 10 {
		t.Errorf("found %d data tables, want the index, model, fleet and about tables (at least 10)", tables)
	}
}

// TestGridBeyondModelLimit: Llama 3 8B is trained to 8,192 tokens, so its
// concurrency at longer contexts is not applicable on every fleet, and its
// max context on a fleet with memory to spare is the model's limit.
func TestGridBeyondModelLimit(t *testing.T) {
	_, s := buildDefault(t)
	var found bool
	for _, pg := range s.Pages {
		if pg.Path != "models/llama-3-8b.html" {
			continue
		}
		for _, b := range pg.Blocks {
			tb, ok := b.(Table)
			if !ok {
				continue
			}
			switch tb.ID {
			case "max-concurrency":
				found = true
				for i, k := range tb.Keys {
					for r, row := range tb.Raw {
						if k == "max_concurrency_per_replica_context_16384" && (row[i] != nil || tb.Rows[r][i] != "beyond model limit") {
							t.Errorf("%s at 16K = %v (%q), want null shown as beyond model limit", row[0], row[i], tb.Rows[r][i])
						}
						if k == "max_concurrency_per_replica_context_8192" && row[i] == nil && !strings.Contains(fmt.Sprint(row[len(row)-1]), "does not fit") {
							t.Errorf("%s at 8K is null (%v), want a count", row[0], row[len(row)-1])
						}
					}
				}
			case "max-context":
				for r, row := range tb.Rows {
					if tb.Raw[r][0] == "1x-h100" && row[2] != "8,192 (model limit)" {
						t.Errorf("1× H100 max context at batch 1 = %q, want 8,192 (model limit)", row[2])
					}
				}
			}
		}
	}
	if !found {
		t.Fatal("no max-concurrency table on the Llama 3 8B page")
	}
}
