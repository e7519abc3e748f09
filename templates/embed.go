// Package templates holds the html/template files kvplot renders its pages
// with: the page layout and the partials for charts, tables, text, links
// and the assumptions and formulas boxes. internal/site executes them.
package templates

import "embed"

// FS holds every *.html template of this directory.
//
//go:embed *.html
var FS embed.FS
