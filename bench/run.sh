#!/usr/bin/env bash
# The issuance benchmarks in one run (docs/performance.md):
#   1. bench_issue       in-process issuance vs raw OpenSSL signing, per
#                        core, SM2 / P-256 / RSA-2048
#   2. openssl speed     OpenSSL's own signing figures, for reference
#   3. openssl_ca.sh     `openssl ca` issuing in a loop
#   4. e2e_issue.sh      `egca cert issue` end to end, SQLite and
#                        PostgreSQL
# after a Release build (-DEGCA_WERROR=ON) into build-bench/.
#
#   bench/run.sh [-t SECONDS] [-n N] [-o OUTDIR]
#     -t  seconds per bench_issue rate (default 3)
#     -n  certificates per openssl ca / e2e series (default 200)
#     -o  where results go (default build-bench/bench-results)
# Environment: SKIP_BUILD=1 uses build-bench as it is; BACKENDS and ALGS
# pass through to e2e_issue.sh.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-bench
SECS=3
N=200
OUT=""
while getopts "t:n:o:" o; do
	case $o in
	t) SECS=$OPTARG ;;
	n) N=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: bench/run.sh [-t SECONDS] [-n N] [-o OUTDIR]" >&2; exit 2 ;;
	esac
done
OUT=${OUT:-$BUILD/bench-results}

if [ -z "${SKIP_BUILD:-}" ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
		-DEGCA_WERROR=ON >/dev/null
	cmake --build "$BUILD" -j"$(nproc)" --target egca bench_issue >/dev/null
fi
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
txt=$OUT/bench-$stamp.txt
json=$OUT/bench-$stamp.json

{
	echo "egca benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit:  $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')" \
		"$(git -C "$SRC" status --porcelain 2>/dev/null | grep -q . && echo '(working tree modified)')"
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
		"$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel:  $(uname -sr)"
	echo "openssl: $(openssl version)"
	echo "sqlite:  $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '?')"
	echo "pg:      $(psql --version 2>/dev/null || echo '?')"
	echo "load:    $(cat /proc/loadavg)"
	echo
	echo "== 1. in-process issuance (bench_issue -t $SECS) =="
	"$BUILD/bench_issue" -t "$SECS" --json-out "$json.issue" 2>/dev/null
	echo
	echo "== 2. openssl speed (pinned to CPU 0), for reference =="
	taskset -c 0 openssl speed -seconds "$SECS" sm2 ecdsap256 rsa2048 \
		2>/dev/null | grep -E "sign/s|^rsa|bits ecdsa|bits SM2"
	echo
	echo "== 3. openssl ca in a loop (N=$N) =="
	bash "$SRC/bench/openssl_ca.sh" "$N"
	echo
	echo "== 4. egca cert issue end to end (N=$N) =="
	EGCA=$BUILD/egca bash "$SRC/bench/e2e_issue.sh" "$N"
	echo
	echo "load:    $(cat /proc/loadavg)"
} 2>&1 | tee "$txt"

# One JSON document: bench_issue's object and the shell benchmarks' lines.
{
	echo "{\"bench_issue\": $(cat "$json.issue"),"
	echo " \"series\": ["
	sed -n 's/^json: //p' "$txt" | sed '$!s/$/,/'
	echo "]}"
} >"$json"
rm -f "$json.issue"
echo "results: $txt $json"
