#!/bin/sh
# fuzz.sh runs every native fuzz target of kvplot (each func FuzzXxx in a
# _test.go file) for a bounded time each.
#
# Usage: scripts/fuzz.sh [DURATION]   DURATION as go test -fuzztime takes it
#                                     (default 10s; e.g. 60s, 5m, 10000x)
#
# Seed corpora live in each package's testdata/fuzz/<FuzzName>/. A failing
# input is written there too: commit it with the fix, so that plain
# `go test` replays it from then on. Exits non-zero on the first failure.
set -eu

fuzztime=${1:-10s}
GO=${GO:-go}
cd "$(dirname "$0")/.."

targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	dir=$(dirname "$file")
	sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file" | while read -r name; do
		echo "$dir:$name"
	done
done)

if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# fuzz runs one target, printing its output. Go's fuzzer sometimes ends a
# time-bounded run with a bare "context deadline exceeded" when the clock
# runs out while a worker is busy, with no failing input: that run is
# retried once. A real failure always writes its input ("Failing input
# written to ...") and is never retried.
fuzz() {
	if "$GO" test -run='^$' -fuzz="^$2\$" -fuzztime="$fuzztime" "$1" >"$log" 2>&1; then
		cat "$log"
		return 0
	fi
	cat "$log"
	if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
		echo "fuzz.sh: $2 stopped at the deadline without a failing input; running it once more"
		"$GO" test -run='^$' -fuzz="^$2\$" -fuzztime="$fuzztime" "$1"
		return
	fi
	return 1
}

for t in $targets; do
	dir=${t%%:*}
	name=${t#*:}
	echo "fuzz.sh: $name in $dir for $fuzztime"
	fuzz "$dir" "$name"
done
