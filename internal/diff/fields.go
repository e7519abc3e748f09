package diff

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/kvplot/kvplot/internal/analysis"
)

// skipFields are fields that say where a value was read, not what it is:
// two trees in different directories differ in them without any change.
var skipFields = map[string]bool{"File": true, "ConfigFile": true, "Line": true, "Col": true, "Dir": true}

// specNames are the spec files' names for fields whose Go names read
// differently; derived byte counts are left out in favour of the sizes as
// written (an accelerator's memory: "80 GB").
var specNames = map[string]string{
	"KVDType":         "kv_dtype",
	"WeightDType":     "weight_dtype",
	"ModelOrder":      "models",
	"ScenarioContext": "scenario.context",
	"ScenarioBatch":   "scenario.batch",
	"FixedBytes":      "fixed",
	"Default":         "dtype",
	"Keep16":          "keep_16bit",
	"NameplateText":   "memory",
	"RuntimeText":     "runtime_memory",
	"RuntimeSource":   "runtime_memory_source",
	"BandwidthText":   "bandwidth",
	"NameplateBytes":  "",
	"RuntimeBytes":    "",
	"BandwidthBytes":  "",
}

var dtypeType = reflect.TypeOf(analysis.DType{})

// flatten lists a loaded spec value as field paths and printed values, such
// as "arch.layers[3].attn.kv_heads" → "8". Unexported fields and skipFields
// are left out; a DType prints as its name (with its group when it has one);
// a slice of structs also records its length as "path.count".
func flatten(v any) map[string]string {
	out := map[string]string{}
	flattenValue(out, "", reflect.ValueOf(v))
	return out
}

func flattenValue(out map[string]string, prefix string, v reflect.Value) {
	if v.Type() == dtypeType {
		out[prefix] = dtypeText(v.Interface().(analysis.DType))
		return
	}
	if _, ok := v.Interface().(fmt.Stringer); ok && v.Kind() != reflect.Struct && v.Kind() != reflect.Pointer {
		out[prefix] = fmt.Sprint(v.Interface())
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			out[prefix] = "none"
			return
		}
		flattenValue(out, prefix, v.Elem())
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, renamed := specNames[f.Name]
			if !renamed {
				name = snake(f.Name)
			}
			if !f.IsExported() || skipFields[f.Name] || name == "" {
				continue
			}
			flattenValue(out, join(prefix, name), v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		el := v.Type().Elem()
		if el.Kind() == reflect.Struct && el != dtypeType {
			out[join(prefix, "count")] = strconv.Itoa(v.Len())
			for i := range v.Len() {
				flattenValue(out, fmt.Sprintf("%s[%d]", prefix, i), v.Index(i))
			}
			return
		}
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = leafText(v.Index(i))
		}
		out[prefix] = "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		keys := v.MapKeys()
		type kv struct{ k, v string }
		var items []kv
		for _, k := range keys {
			items = append(items, kv{leafText(k), leafText(v.MapIndex(k))})
		}
		sort.Slice(items, func(i, j int) bool { return items[i].k < items[j].k })
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = it.k + ": " + it.v
		}
		out[prefix] = "{" + strings.Join(parts, ", ") + "}"
	default:
		out[prefix] = leafText(v)
	}
}

func leafText(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case analysis.DType:
		return dtypeText(x)
	case analysis.NormKind:
		return map[analysis.NormKind]string{analysis.RMSNorm: "rmsnorm", analysis.LayerNorm: "layernorm"}[x]
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}

func dtypeText(d analysis.DType) string {
	if d.Name == "" {
		return "none"
	}
	if d.GroupSize > 0 {
		return fmt.Sprintf("%s (%d-bit scale per %d)", d.Name, d.ScaleBits, d.GroupSize)
	}
	return d.Name
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// snake turns a Go field name into the lower-case words specs use:
// KVHeads → kv_heads, QKVBias → qkv_bias, DInner → d_inner.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// FieldChange is one field whose printed value differs. Base or Head is
// "—" when the field exists on one side only.
type FieldChange struct {
	Field string `json:"field"`
	Base  string `json:"base"`
	Head  string `json:"head"`
}

// absent marks a field that one side does not have.
const absent = "—"

// compareFields lists the fields of base and head that differ, with runs of
// layers that change the same way folded into one entry
// ("arch.layers[0-31].attn.kv_heads"). Fields of layers that exist on one
// side only are summed up by the list's count.
func compareFields(base, head any) []FieldChange {
	b, h := flatten(base), flatten(head)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range h {
		keys[k] = true
	}
	var raw []FieldChange
	for k := range keys {
		bv, bok := b[k]
		hv, hok := h[k]
		if bok && hok && bv == hv {
			continue
		}
		if (!bok || !hok) && underShorterList(k, b, h) {
			continue // an element only one side has: its list's count says so
		}
		if !bok {
			bv = absent
		}
		if !hok {
			hv = absent
		}
		raw = append(raw, FieldChange{k, bv, hv})
	}
	return foldRuns(raw)
}

// underShorterList reports whether field path k lies inside an element of a
// list that only one of the two sides has.
func underShorterList(k string, b, h map[string]string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] != '[' {
			continue
		}
		j := strings.IndexByte(k[i:], ']')
		if j < 0 {
			return false
		}
		list := k[:i]
		idx, err := strconv.Atoi(k[i+1 : i+j])
		if err != nil {
			return false
		}
		bn, _ := strconv.Atoi(b[join(list, "count")])
		hn, _ := strconv.Atoi(h[join(list, "count")])
		if idx >= bn || idx >= hn {
			return true
		}
		i += j
	}
	return false
}

// foldRuns merges entries that differ only in one list index, over a run
// of consecutive indices with the same values, and sorts the result by
// field path (indices numerically).
func foldRuns(raw []FieldChange) []FieldChange {
	type group struct {
		pre, post  string
		base, head string
	}
	idxs := map[group][]int{}
	var plain []FieldChange
	for _, c := range raw {
		pre, idx, post, ok := splitLastIndex(c.Field)
		if !ok {
			plain = append(plain, c)
			continue
		}
		g := group{pre, post, c.Base, c.Head}
		idxs[g] = append(idxs[g], idx)
	}
	out := plain
	for g, list := range idxs {
		sort.Ints(list)
		for start := 0; start < len(list); {
			end := start
			for end+1 < len(list) && list[end+1] == list[end]+1 {
				end++
			}
			label := strconv.Itoa(list[start])
			if end > start {
				label += "-" + strconv.Itoa(list[end])
			}
			out = append(out, FieldChange{g.pre + "[" + label + "]" + g.post, g.base, g.head})
			start = end + 1
		}
	}
	sort.Slice(out, func(i, j int) bool { return fieldLess(out[i].Field, out[j].Field) })
	return out
}

// splitLastIndex splits "a.b[12].c" into "a.b", 12, ".c".
func splitLastIndex(s string) (pre string, idx int, post string, ok bool) {
	open := strings.LastIndexByte(s, '[')
	if open < 0 {
		return "", 0, "", false
	}
	end := strings.IndexByte(s[open:], ']')
	if end < 0 {
		return "", 0, "", false
	}
	n, err := strconv.Atoi(s[open+1 : open+end])
	if err != nil {
		return "", 0, "", false
	}
	return s[:open], n, s[open+end+1:], true
}

// fieldLess orders field paths with their numbers compared as numbers, so
// that layers[2] comes before layers[10].
func fieldLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			na, _ := strconv.Atoi(da)
			nb, _ := strconv.Atoi(db)
			if na != nb {
				return na < nb
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
