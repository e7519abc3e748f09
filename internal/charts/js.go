package charts

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// The formatter functions below are JavaScript source. Rules, from the
// go-echarts brief: one line, single-quoted strings, no comments. Any text
// that ends up in them goes through jsString, and any text a formatter
// returns as tooltip HTML goes through echarts.format.encodeHTML.

// jsString returns s as a single-quoted JavaScript string literal in which
// every character other than a letter, digit or space is a \u escape, so
// the literal cannot end early, hide a marker or close a <script>.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range CleanText(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ':
			b.WriteRune(r)
		default:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, `\u%04x`, u)
			}
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// formatValueJS is a JavaScript function expression that formats a number
// for display, followed by the unit: three significant digits below 100,
// whole numbers with thousands separators above; missing values read "n/a".
func formatValueJS(unit string) string {
	suffix := "''"
	if unit != "" {
		suffix = jsString(" " + unit)
	}
	return `(function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; ` +
		`var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); ` +
		`return s + ` + suffix + `; })`
}

// valueFormatterJS formats values in the default axis tooltip, which
// escapes series names itself but shows our string as HTML.
func valueFormatterJS(unit string) string {
	return `function (v) { return echarts.format.encodeHTML(` + formatValueJS(unit) + `(v)); }`
}

// stackTooltipJS lists every stacked series of a category (the first
// stacked of them), the total, and then the capacity series if any.
func stackTooltipJS(unit string, stacked int) string {
	return `function (ps) { var e = echarts.format.encodeHTML; var f = ` + formatValueJS(unit) + `; ` +
		`if (!ps.length) { return ''; } var t = 0; var h = e(String(ps[0].axisValueLabel)); var cap = ''; ` +
		`for (var i = 0; i < ps.length; i++) { var v = ps[i].value; ` +
		`if (ps[i].seriesIndex >= ` + fmt.Sprint(stacked) + `) { if (ps[i].seriesIndex === ` + fmt.Sprint(stacked) + `) { cap = '<br>' + ps[i].marker + e(String(ps[i].seriesName)) + ': <b>' + e(f(v)) + '</b>'; } continue; } ` +
		`if (v != null && !isNaN(v)) { t += +v; } ` +
		`h += '<br>' + ps[i].marker + e(String(ps[i].seriesName)) + ': <b>' + e(f(v)) + '</b>'; } ` +
		`return h + '<br>Total: <b>' + e(f(t)) + '</b>' + cap; }`
}

// heatTooltipJS describes one heat-map cell: both categories (named by
// their axes) and the value, or that the configuration does not fit.
func heatTooltipJS(xName, yName, unit, noFit string) string {
	return `function (p) { var e = echarts.format.encodeHTML; var v = p.value; ` +
		`var h = e(` + jsString(labelPrefix(yName)) + ` + v[1]) + '<br>' + e(` + jsString(labelPrefix(xName)) + ` + v[0]) + '<br>'; ` +
		`if (p.seriesIndex === 1) { return h + '<b>' + e(` + jsString(noFit) + `) + '</b>'; } ` +
		`return h + '<b>' + e(` + formatValueJS(unit) + `(v[2])) + '</b>'; }`
}

func labelPrefix(name string) string {
	if name == "" {
		return ""
	}
	return name + ": "
}

// heatLabelJS is the text inside a heat-map cell.
func heatLabelJS() string {
	return `function (p) { return ` + formatValueJS("") + `(p.value[2]); }`
}

// barLabelJS is the text at the end of a bar.
func barLabelJS(unit string) string {
	return `function (p) { return ` + formatValueJS(unit) + `(p.value); }`
}
