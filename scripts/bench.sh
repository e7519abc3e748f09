#!/usr/bin/env bash
# bench.sh: kvplot's performance figures, run by `make bench`.
#
# On a fresh machine it builds kvplot, runs the Go benchmarks, times the
# default site build with /usr/bin/time -v (wall time, peak RSS, bytes per
# page kind), builds generated catalogs of 50, 100, 200 and 500 models × 40
# fleets to show how time grows, times `kvplot report --specs specs/seed`
# against the seed Python script, and reads the browser test's slowest
# chart drawing time and the size of the ECharts asset (the custom build of
# scripts/echarts/build.sh). It prints a summary and writes it, without
# timestamps, to bench/results.json (raw Go benchmark output to
# bench/gobench.txt). It takes two to four minutes on two cores.
#
# Environment: GO (go command), RUNS (default-site builds, best of; 5),
# SCALE_RUNS (builds per generated catalog, best of; 3), REPORT_RUNS
# (report and seed runs each; 20), SCALE_MODELS (list; "50 100 200 500"),
# SCALE_FLEETS (40), PYTHON (the seed script's interpreter; /usr/bin/python3).
set -euo pipefail

root=$(git rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/.." && pwd))
cd "$root"

GO=${GO:-go}
if ! command -v "$GO" >/dev/null 2>&1; then
	GO=/usr/local/go/bin/go
fi
RUNS=${RUNS:-5}
SCALE_RUNS=${SCALE_RUNS:-3}
REPORT_RUNS=${REPORT_RUNS:-20}
SCALE_MODELS=${SCALE_MODELS:-"50 100 200 500"}
SCALE_FLEETS=${SCALE_FLEETS:-40}
SEED_SCRIPT="$root/../shared/seed/memory_analysis.py"
PYTHON=${PYTHON:-/usr/bin/python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/kvplot-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p bench

step() { printf '\n== %s\n' "$*"; }

# /usr/bin/time (Debian package "time") measures peak RSS.
if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		step "installing /usr/bin/time (Debian package time)"
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
	else
		echo "bench.sh: needs /usr/bin/time: run 'apt-get install time' as root" >&2
		exit 1
	fi
fi

step "building kvplot and kvplot-gen"
"$GO" build -o "$work/kvplot" ./cmd/kvplot
"$GO" build -o "$work/kvplot-gen" ./cmd/kvplot-gen
kvplot="$work/kvplot"
go_version=$("$GO" env GOVERSION)
cpus=$(nproc)
load_start=$(cut -d' ' -f1 /proc/loadavg)
echo "$go_version, $cpus CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates wall times)"

# timed LABEL CMD...: runs CMD under /usr/bin/time -v and sets wall and cpu
# (user + system seconds) and rss (peak resident bytes).
timed() {
	local label=$1
	shift
	if ! /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/$label.stdout" 2>"$work/$label.stderr"; then
		echo "bench.sh: $label failed:" >&2
		cat "$work/$label.stderr" "$work/time.txt" >&2
		exit 1
	fi
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, p, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + p[i]
		printf "%.3f", s }' "$work/time.txt")
	cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.3f", s }' "$work/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%d", $2 * 1024 }' "$work/time.txt")
}

# best LABEL RUNS CMD...: the least wall and CPU time of RUNS runs, and
# the largest peak RSS; sets best_wall, best_cpu and best_rss.
best() {
	local label=$1 runs=$2
	shift 2
	best_wall="" best_cpu="" best_rss=0
	for _ in $(seq "$runs"); do
		timed "$label" "$@"
		if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
			best_wall=$wall
		fi
		if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then
			best_cpu=$cpu
		fi
		if [ "$rss" -gt "$best_rss" ]; then best_rss=$rss; fi
	done
}

# kinds DIR: bytes of each kind of file of a built site, as "kind bytes
# count largest" lines.
kinds() {
	find "$1" -type f -printf '%s %P\n' | awk '
		{ size = $1; p = $2
		  if (p == "index.html") k = "index"
		  else if (p == "about.html") k = "about"
		  else if (p ~ /^models\/.*\.html$/) k = "models"
		  else if (p ~ /^fleets\/.*\.html$/) k = "fleets"
		  else if (p ~ /^data\//) k = "data"
		  else if (p ~ /^assets\//) k = "assets"
		  else if (p ~ /^specs\//) k = "specs"
		  else k = "other"
		  bytes[k] += size; count[k]++; if (size > big[k]) big[k] = size
		  bytes["total"] += size; count["total"]++ }
		END { for (k in bytes) printf "%s %d %d %d\n", k, bytes[k], count[k], big[k] }' | sort
}
kind_field() { awk -v k="$2" -v f="$3" '$1 == k { print $f; found = 1 } END { if (!found) print 0 }' "$1"; }

step "Go benchmarks (internal/analysis, cmd/kvplot)"
{
	"$GO" test -run '^$' -bench . -benchtime 200x ./internal/analysis/
	"$GO" test -run '^$' -bench 'FleetSolve|BuildSite' -benchtime 3x ./cmd/kvplot/
	"$GO" test ./cmd/kvplot/ -run '^$' -bench 'BuildGenerated' -benchtime 1x -catalog=100x40
} 2>&1 | tee "$work/gobench.txt"
grep -E '^(goos|goarch|pkg|cpu|Benchmark)' "$work/gobench.txt" >bench/gobench.txt

step "default site: kvplot build --specs specs (best of $RUNS)"
best default "$RUNS" "$kvplot" build --specs specs --out "$work/out"
default_wall=$best_wall default_cpu=$best_cpu default_rss=$best_rss
kinds "$work/out" >"$work/default-kinds.txt"
cat "$work/default-kinds.txt" | awk '{ printf "  %-7s %10d bytes in %4d files (largest %d)\n", $1, $2, $3, $4 }'
timed standalone "$kvplot" build --specs specs --out "$work/out-standalone" --standalone
kinds "$work/out-standalone" >"$work/standalone-kinds.txt"
standalone_model=$(kind_field "$work/standalone-kinds.txt" models 4)
echo "  wall ${default_wall}s, CPU ${default_cpu}s, peak RSS $default_rss bytes; largest standalone model page $standalone_model bytes"

step "scale: generated catalogs of ($SCALE_MODELS) models × $SCALE_FLEETS fleets (best of $SCALE_RUNS)"
: >"$work/scale.txt"
for n in $SCALE_MODELS; do
	"$work/kvplot-gen" --from specs --models "$n" --fleets "$SCALE_FLEETS" --out "$work/cat-$n" >/dev/null
	"$kvplot" validate --specs "$work/cat-$n" >/dev/null
	best "scale-$n" "$SCALE_RUNS" "$kvplot" build --specs "$work/cat-$n" --out "$work/out-$n"
	kinds "$work/out-$n" >"$work/kinds-$n.txt"
	printf '%d %d %s %d %d %d %d %s\n' "$n" "$SCALE_FLEETS" "$best_wall" "$best_rss" \
		"$(kind_field "$work/kinds-$n.txt" total 2)" "$(kind_field "$work/kinds-$n.txt" models 4)" \
		"$(kind_field "$work/kinds-$n.txt" index 2)" "$best_cpu" >>"$work/scale.txt"
	printf '  %4d x %d: %6.2f s wall, %6.2f s CPU, peak RSS %5d MiB, %d bytes written\n' "$n" "$SCALE_FLEETS" "$best_wall" \
		"$best_cpu" $((best_rss >> 20)) "$(kind_field "$work/kinds-$n.txt" total 2)"
	rm -rf "$work/cat-$n" "$work/out-$n"
done
# fit COLUMN: the least-squares line seconds = a + b·(models·fleets) through
# column COLUMN of scale.txt (3 wall, 8 CPU), its R² and the largest
# relative distance of a point from it, as "a b r2 deviation".
fit() {
	awk -v c="$1" '
		{ x[NR] = $1 * $2; y[NR] = $c; sx += x[NR]; sy += y[NR] }
		END { n = NR; mx = sx / n; my = sy / n
		      for (i = 1; i <= n; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ^ 2; syy += (y[i] - my) ^ 2 }
		      b = (sxx > 0) ? sxy / sxx : 0; a = my - b * mx
		      r2 = (syy > 0) ? sxy * sxy / (sxx * syy) : 1
		      for (i = 1; i <= n; i++) { d = (y[i] - a - b * x[i]) / y[i]; if (d < 0) d = -d; if (d > dev) dev = d }
		      printf "%.4f %.9f %.4f %.3f\n", a, b, r2, dev }' "$work/scale.txt"
}
read -r fit_a fit_b fit_r2 fit_dev < <(fit 3)
read -r cfit_a cfit_b cfit_r2 cfit_dev < <(fit 8)
pct() { awk -v d="$1" 'BEGIN { printf "%.0f%%", 100 * d }'; }
echo "  wall: seconds = $fit_a + $fit_b × models × fleets (R² $fit_r2, largest deviation $(pct "$fit_dev"))"
echo "  CPU:  seconds = $cfit_a + $cfit_b × models × fleets (R² $cfit_r2, largest deviation $(pct "$cfit_dev"))"

step "kvplot report vs the seed script ($REPORT_RUNS runs each)"
report_status=ok
if [ ! -f "$SEED_SCRIPT" ]; then
	report_status="skipped: no seed script at $SEED_SCRIPT"
elif ! [ -x "$PYTHON" ] || ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
	report_status="skipped: $PYTHON has no numpy (Debian: apt-get install python3-numpy)"
fi
if [ "$report_status" = ok ]; then
	# loop RUNS CMD...: mean seconds of one run of CMD.
	loop() {
		local runs=$1 t0 t1
		shift
		"$@" >/dev/null # warm the file cache
		t0=$(date +%s.%N)
		for _ in $(seq "$runs"); do "$@" >/dev/null; done
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" -v n="$runs" 'BEGIN { printf "%.6f", (b - a) / n }'
	}
	report_s=$(loop "$REPORT_RUNS" "$kvplot" report --specs specs/seed)
	python_s=$(loop "$REPORT_RUNS" "$PYTHON" "$SEED_SCRIPT")
	report_ratio=$(awk -v p="$python_s" -v k="$report_s" 'BEGIN { printf "%.1f", p / k }')
	echo "  kvplot report ${report_s}s, seed script ${python_s}s per run: kvplot is ${report_ratio}× faster"
else
	echo "  $report_status"
fi

step "ECharts asset: internal/site/assets/echarts.min.js"
echarts_bytes=$(wc -c <internal/site/assets/echarts.min.js | tr -d ' ')
echarts_gzip=$(gzip -9n <internal/site/assets/echarts.min.js | wc -c | tr -d ' ')
echo "  $echarts_bytes bytes minified, $echarts_gzip gzipped"

step "browser: go test ./cmd/kvplot/ -run TestSiteInBrowser -v"
browser_status=ok browser_ms="" browser_pages=""
if "$GO" test ./cmd/kvplot/ -run '^TestSiteInBrowser$' -v -count=1 >"$work/browser.txt" 2>&1; then :; else
	browser_status="failed"
fi
if line=$(grep -o '[0-9]* pages, [0-9]* charts drawn; slowest page drawn in [0-9.]*[a-zµ]*' "$work/browser.txt"); then
	browser_pages=$(echo "$line" | awk '{ print $1 }')
	browser_ms=$(echo "$line" | awk '{ d = $NF
		if (d ~ /ms$/) v = d + 0
		else if (d ~ /(µs|us)$/) v = (d + 0) / 1000
		else if (d ~ /ns$/) v = (d + 0) / 1e6
		else if (d ~ /m[0-9.]+s$/) { split(d, p, "m"); v = (p[1] * 60 + p[2]) * 1000 }
		else v = (d + 0) * 1000
		printf "%.1f", v }')
	echo "  $line"
elif grep -q -- '--- SKIP' "$work/browser.txt"; then
	browser_status="skipped: $(grep -A1 -- '--- SKIP' "$work/browser.txt" | tail -1 | sed 's/^ *//')"
	echo "  $browser_status"
else
	if [ "$browser_status" = ok ]; then browser_status="failed: no timing line"; fi
	tail -20 "$work/browser.txt"
fi

# Statuses go into JSON strings.
browser_status=$(printf '%s' "$browser_status" | tr -d '"\\')
report_status=$(printf '%s' "$report_status" | tr -d '"\\')

# ---- targets ----
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
yes_no() { if "$@"; then echo met; else echo NOT MET; fi; }
read -r big_n big_f big_s big_rss big_total big_model big_index big_cpu < <(tail -1 "$work/scale.txt")
default_model=$(kind_field "$work/default-kinds.txt" models 4)
t_default=$(yes_no le "$default_wall" 0.3)
t_big_time=$(yes_no le "$big_s" 15)
t_big_rss=$(yes_no le "$big_rss" $((1 << 30)))
# Linear (or better): the largest catalog's time per model × fleet pair is
# at most 1.25 × the smallest's. R² is printed too, but fixed costs and
# parallel rendering bend the curve below a straight line at the small end.
read -r small_n small_f small_s _ < <(head -1 "$work/scale.txt")
per_pair_ratio=$(awk -v a="$small_s" -v an="$small_n" -v af="$small_f" -v b="$big_s" -v bn="$big_n" -v bf="$big_f" 'BEGIN { printf "%.2f", (b / (bn * bf)) / (a / (an * af)) }')
t_linear=$(yes_no le "$per_pair_ratio" 1.25)
t_clinear=$(yes_no awk -v r="$cfit_r2" 'BEGIN { exit !(r >= 0.95) }')
t_model=$(yes_no le "$(awk -v a="$default_model" -v b="$big_model" 'BEGIN { print (a > b ? a : b) }')" 150000)
t_standalone=$(yes_no le "$standalone_model" 1200000)
if [ -n "$browser_ms" ]; then t_browser=$(yes_no le "$browser_ms" 500); else t_browser="unmeasured ($browser_status)"; fi
t_echarts=$(yes_no le "$echarts_bytes" 650000)

# ---- JSON ----
{
	printf '{\n'
	printf '  "go_version": "%s",\n  "cpu_count": %d,\n  "load_average_at_start": %s,\n' "$go_version" "$cpus" "$load_start"
	printf '  "default_site": {\n    "wall_seconds": %s,\n    "cpu_seconds": %s,\n    "peak_rss_bytes": %d,\n' "$default_wall" "$default_cpu" "$default_rss"
	printf '    "bytes_by_kind": {'
	awk '{ printf "%s\"%s\": %d", (NR > 1 ? ", " : ""), $1, $2 }' "$work/default-kinds.txt"
	printf '},\n    "files_by_kind": {'
	awk '{ printf "%s\"%s\": %d", (NR > 1 ? ", " : ""), $1, $3 }' "$work/default-kinds.txt"
	printf '},\n    "largest_model_page_bytes": %d,\n    "largest_fleet_page_bytes": %d,\n    "largest_standalone_model_page_bytes": %d\n  },\n' \
		"$default_model" "$(kind_field "$work/default-kinds.txt" fleets 4)" "$standalone_model"
	printf '  "scale": [\n'
	awk '{ printf "%s    {\"models\": %d, \"fleets\": %d, \"seconds\": %s, \"cpu_seconds\": %s, \"peak_rss_bytes\": %d, \"bytes_written\": %d, \"largest_model_page_bytes\": %d, \"index_bytes\": %d}",
		(NR > 1 ? ",\n" : ""), $1, $2, $3, $8, $4, $5, $6, $7 }' "$work/scale.txt"
	printf '\n  ],\n'
	printf '  "scale_fit": {"intercept_seconds": %s, "seconds_per_model_fleet_pair": %s, "r2": %s, "largest_relative_deviation": %s},\n' \
		"$fit_a" "$fit_b" "$fit_r2" "$fit_dev"
	printf '  "scale_fit_cpu": {"intercept_seconds": %s, "seconds_per_model_fleet_pair": %s, "r2": %s, "largest_relative_deviation": %s},\n' \
		"$cfit_a" "$cfit_b" "$cfit_r2" "$cfit_dev"
	if [ "$report_status" = ok ]; then
		printf '  "report_vs_python": {"runs": %d, "kvplot_report_seconds": %s, "python_seconds": %s, "ratio": %s},\n' \
			"$REPORT_RUNS" "$report_s" "$python_s" "$report_ratio"
	else
		printf '  "report_vs_python": {"skipped": "%s"},\n' "${report_status#skipped: }"
	fi
	printf '  "echarts_asset": {"bytes": %d, "gzip_bytes": %d},\n' "$echarts_bytes" "$echarts_gzip"
	if [ -n "$browser_ms" ]; then
		printf '  "browser": {"pages": %d, "slowest_draw_ms": %s, "status": "%s"},\n' "$browser_pages" "$browser_ms" "$browser_status"
	else
		printf '  "browser": {"status": "%s"},\n' "$browser_status"
	fi
	printf '  "targets": {\n'
	printf '    "default_site_under_0.3s": "%s",\n    "catalog_500x40_under_15s": "%s",\n    "catalog_500x40_under_1GiB": "%s",\n' "$t_default" "$t_big_time" "$t_big_rss"
	printf '    "time_linear_in_pairs": "%s",\n    "cpu_time_linear_in_pairs": "%s",\n    "model_page_under_150KB": "%s",\n    "standalone_page_under_1.2MB": "%s",\n    "echarts_asset_under_650KB": "%s",\n    "slowest_page_charts_drawn_within_0.5s": "%s"\n  },\n' \
		"$t_linear" "$t_clinear" "$t_model" "$t_standalone" "$t_echarts" "$t_browser"
	printf '  "go_benchmarks": [\n'
	awk '/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name)
		printf "%s    {\"name\": \"%s\", \"iterations\": %d", (n++ ? ",\n" : ""), name, $2
		for (i = 3; i < NF; i += 2) printf ", \"%s\": %s", $(i + 1), $i
		printf "}" }' bench/gobench.txt
	printf '\n  ]\n}\n'
} >bench/results.json

# ---- summary ----
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
row() { printf '  %-44s %-34s %s\n' "$1" "$2" "$3"; }
echo
echo "== summary ($go_version, $cpus CPUs, load average $load_start at start; written to bench/results.json)"
row "figure" "value" "target"
row "default site wall time (CPU time)" "${default_wall} s (${default_cpu} s)" "< 0.3 s: $t_default"
row "default site peak RSS" "$(mib "$default_rss")" ""
while read -r k b c l; do
	row "  bytes: $k" "$(kb "$b") in $c files" ""
done <"$work/default-kinds.txt"
row "largest model page (default / ${big_n}x${big_f})" "$(kb "$default_model") / $(kb "$big_model")" "< 150 KB: $t_model"
row "largest fleet page (default)" "$(kb "$(kind_field "$work/default-kinds.txt" fleets 4)")" ""
row "largest standalone model page" "$(kb "$standalone_model")" "< 1.2 MB: $t_standalone"
while read -r n f s r t m i c; do
	row "catalog ${n}x${f}: wall (CPU), peak RSS, bytes" "$(printf '%.2f s (%.2f s), %s, %s' "$s" "$c" "$(mib "$r")" "$(kb "$t")")" "$(
		if [ "$n" = "$big_n" ]; then echo "< 15 s: $t_big_time; < 1 GiB: $t_big_rss"; fi)"
done <"$work/scale.txt"
row "index page at ${big_n}x${big_f}" "$(kb "$big_index")" ""
row "wall time vs models x fleets (fit)" "$(awk -v b="$fit_b" 'BEGIN { printf "%.0f us/pair", b * 1e6 }') + ${fit_a} s, R^2 $fit_r2; per-pair ratio largest/smallest $per_pair_ratio" "at most linear (ratio <= 1.25): $t_linear"
row "CPU time vs models x fleets (fit)" "$(awk -v b="$cfit_b" 'BEGIN { printf "%.0f us/pair", b * 1e6 }') + ${cfit_a} s, R^2 $cfit_r2" "linear (R^2 >= 0.95): $t_clinear"
row "ECharts asset (minified, gzipped)" "$(kb "$echarts_bytes"), $(kb "$echarts_gzip")" "<= 650 KB: $t_echarts"
if [ "$report_status" = ok ]; then
	row "kvplot report vs seed script" "${report_s} s vs ${python_s} s" "kvplot ${report_ratio}x faster"
else
	row "kvplot report vs seed script" "$report_status" ""
fi
if [ -n "$browser_ms" ]; then
	row "slowest page's charts drawn (Chromium)" "${browser_ms} ms over $browser_pages pages" "<= 0.5 s: $t_browser"
else
	row "slowest page's charts drawn (Chromium)" "$browser_status" ""
fi
