package site

import "embed"

// The vendored ECharts build and its licence; assets/VERSIONS records
// where they come from and the sha256 the tests check.
var (
	//go:embed assets/echarts.min.js
	echartsJS []byte
	//go:embed assets/LICENSE
	echartsLicence []byte
	//go:embed assets/NOTICE
	echartsNotice []byte
	//go:embed assets/VERSIONS
	echartsVersions []byte
)

// templateFS holds the page layout and the partials for charts, tables,
// text, links and the assumptions and formulas boxes that Render executes.
//
//go:embed templates/*.html
var templateFS embed.FS
