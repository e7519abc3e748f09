package site

import "embed"

// The vendored ECharts build (a custom build made by
// scripts/echarts/build.sh) and the licences of what it bundles;
// assets/VERSIONS records how it was made and the sha256 the tests check.
var (
	//go:embed assets/echarts.min.js
	echartsJS []byte
	//go:embed assets/LICENSE
	echartsLicence []byte
	//go:embed assets/NOTICE
	echartsNotice []byte
	//go:embed assets/VERSIONS
	echartsVersions []byte
	//go:embed assets/LICENSE-zrender
	zrenderLicence []byte
	//go:embed assets/LICENSE-tslib
	tslibLicence []byte
)

// templateFS holds the page layout and the partials for charts, tables,
// text, links and the assumptions and formulas boxes that Render executes.
//
//go:embed templates/*.html
var templateFS embed.FS
