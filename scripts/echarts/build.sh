#!/usr/bin/env bash
# build.sh: builds kvplot's ECharts asset, internal/site/assets/echarts.min.js,
# from the echarts npm package's own sources (its ES modules under lib/, as
# the echarts/core, echarts/charts, echarts/components and echarts/renderers
# entry points publish them) with only the chart types and components that
# entry.js lists, bundled and minified by esbuild.
#
# Versions are pinned twice: exact versions in package.json and npm
# integrity hashes in package-lock.json; `npm ci` installs exactly those
# into a temporary directory (node_modules is never kept in the repository).
# The build is reproducible: the same inputs give the same bytes, and the
# script rewrites assets/VERSIONS with the sha256 that internal/site's tests
# check. It also copies the licences of what the bundle contains (ECharts:
# LICENSE and NOTICE; zrender; tslib) next to the asset.
#
# Needs node and npm (Node 18 or later) and network access to the npm
# registry. Usage: bash scripts/echarts/build.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
assets="$root/internal/site/assets"

work=$(mktemp -d "${TMPDIR:-/tmp}/kvplot-echarts.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/entry.js" "$work/"
cd "$work"
# --ignore-scripts: esbuild's install script only checks its binary, which
# npm installs from the lockfile's @esbuild/<platform> package anyway.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null

version() { node -p "require('./node_modules/$1/package.json').version"; }
integrity() { node -p "require('./package-lock.json').packages['node_modules/$1'].integrity"; }
echarts_v=$(version echarts)
zrender_v=$(version zrender)
tslib_v=$(version tslib)
esbuild_v=$(version esbuild)

banner="/*! Apache ECharts $echarts_v (Apache-2.0, see LICENSE and NOTICE), bundling zrender $zrender_v (BSD-3-Clause, LICENSE-zrender) and tslib $tslib_v (0BSD, LICENSE-tslib). Only the parts kvplot uses; built by kvplot's scripts/echarts/build.sh with esbuild $esbuild_v. */"
./node_modules/.bin/esbuild entry.js \
	--bundle --minify --format=iife --target=es2017 --charset=utf8 \
	--legal-comments=none --define:process.env.NODE_ENV='"production"' \
	--banner:js="$banner" --log-level=warning --outfile=echarts.min.js

cp echarts.min.js "$assets/echarts.min.js"
cp node_modules/echarts/LICENSE "$assets/LICENSE"
cp node_modules/echarts/NOTICE "$assets/NOTICE"
cp node_modules/zrender/LICENSE "$assets/LICENSE-zrender"
cp node_modules/tslib/LICENSE.txt "$assets/LICENSE-tslib"

sum=$(sha256sum echarts.min.js | cut -d' ' -f1)
bytes=$(wc -c <echarts.min.js | tr -d ' ')
gz=$(gzip -9n <echarts.min.js | wc -c | tr -d ' ')
entries=$(sed -n '/^echarts.use(\[/,/^\]);/s/^  \([A-Za-z]*\),$/\1/p' entry.js | tr '\n' ' ' | sed 's/ $//')
cat >"$assets/VERSIONS" <<VERSIONS
# Vendored JavaScript, written to out/assets/ on every build.
# internal/site checks the sha256 below in its tests.
# Made by scripts/echarts/build.sh; do not edit by hand, rerun it.

echarts.min.js
  what:      a custom build of Apache ECharts with only what kvplot's pages use:
             $entries
  package:   echarts $echarts_v, from its own ES module sources (lib/), bundling
             zrender $zrender_v and tslib $tslib_v
  integrity: echarts $(integrity echarts)
             zrender $(integrity zrender)
             tslib   $(integrity tslib)
             (npm dist.integrity of each tarball, from scripts/echarts/package-lock.json)
  built by:  esbuild $esbuild_v (--bundle --minify --format=iife --target=es2017,
             process.env.NODE_ENV = "production"), entry scripts/echarts/entry.js
  licence:   Apache-2.0 (ECharts: LICENSE, NOTICE), BSD-3-Clause (zrender:
             LICENSE-zrender), 0BSD (tslib: LICENSE-tslib), all next to this file
  sha256:    $sum
  bytes:     $bytes ($gz gzipped)
VERSIONS

echo "echarts.min.js: $bytes bytes ($gz gzipped), sha256 $sum"
