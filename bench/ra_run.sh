#!/usr/bin/env bash
# The RA benchmark (docs/performance.md, "Applications"): applications
# submitted and approved per second through the REST API of a real
# `egca serve`, with durable commits (SQLite WAL synchronous=FULL;
# PostgreSQL fsync=on, synchronous_commit=on from tests/pg/pg.sh), and
# 16 reviewers - 16 different people, each with its own API token -
# colliding on the same queue (bench/bench_ra.c). Afterwards the store
# is checked: every application ends in exactly one state (executed),
# one certificate per application, no certificate twice.
#
#   bench/ra_run.sh [-n APPS] [-r REVIEWERS] [-s SUBMITTERS] [-o OUTDIR]
#
# Environment: BUILD (default build: configured and built here unless
# SKIP_BUILD=1), BACKENDS (default "sqlite postgres").
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
N=500
REVIEWERS=16
SUBMITTERS=4
OUT=$SRC/bench/results
while getopts n:r:s:o: o; do
	case $o in
	n) N=$OPTARG ;;
	r) REVIEWERS=$OPTARG ;;
	s) SUBMITTERS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) sed -n '2,16p' "$0"; exit 2 ;;
	esac
done
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	make -C "$BUILD" -j"$(nproc)" egca bench_ra >/dev/null
fi
mkdir -p "$OUT"

run_backend() {
	local backend=$1
	(
		export EGCA=$BUILD/egca EGCA_SOURCE_DIR=$SRC EGCA_BACKEND=$backend
		# shellcheck source=../tests/integration/lib.sh
		. "$SRC/tests/integration/lib.sh"
		D=$T/ca
		init_ca "$D" --subject "C=CN,O=Bench,CN=Bench SM2 CA" >/dev/null
		serve_start "$D" --threads 4 >/dev/null
		op_bootstrap "$D" >/dev/null
		op_new sysadm sysadmin >/dev/null
		api token:sysadm POST /api/v1/points \
			'{"id":"bench-point","name":"Bench point","home_region":"110000"}' >/dev/null
		api token:sysadm POST /api/v1/points/bench-point/regions \
			'{"region":"110000"}' >/dev/null
		op_new raop ra-operator --point bench-point >/dev/null
		: >"$T/reviewers"
		for i in $(seq 1 "$REVIEWERS"); do
			op_new "rev$i" ra-reviewer --point bench-point >>"$T/reviewers"
			echo >>"$T/reviewers"
		done
		api token:raop POST /api/v1/subscribers \
			'{"type":"enterprise","name":"Bench Org","uscc":"91110108MA01A0QX89","region":"110108"}' >/dev/null
		sub=$(jfield "$T/body" 'd["id"]')
		[ -n "$sub" ] || { echo "bench: no subscriber: $(cat "$T/body")" >&2; exit 1; }
		port=${U##*:}
		"$BUILD/bench_ra" --port "$port" --subscriber "$sub" \
			--profile org-sign -n "$N" --submitters "$SUBMITTERS" \
			--reviewers "$REVIEWERS" \
			--operator-token-file "$OPDIR/raop.token" \
			--reviewer-tokens-file "$T/reviewers" >"$T/result.json" ||
			echo "bench_ra reported errors (see above); the store check follows" >&2
		serve_stop
		apps=$(sql "$D" "SELECT count(*) FROM application")
		executed=$(sql "$D" "SELECT count(*) FROM application WHERE state = 'executed'")
		certs=$(sql "$D" "SELECT count(*) FROM certificate WHERE profile = 'org-sign'")
		distinct=$(sql "$D" "SELECT count(DISTINCT result_serial) FROM application WHERE state = 'executed'")
		approvals=$(sql "$D" "SELECT count(*) FROM app_approval")
		echo "application states: $(sql "$D" "SELECT state || ':' || count(*) FROM application GROUP BY state" | tr '\n' ' ')" >&2
		sql "$D" "SELECT result_error, count(*) FROM application WHERE state <> 'executed' GROUP BY result_error" >&2
		python3 - "$T/result.json" "$backend" "$apps" "$executed" "$certs" "$distinct" "$approvals" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["backend"] = sys.argv[2]
r["store_applications"], r["store_executed"], r["store_certificates"], \
    r["store_distinct_serials"], r["store_approvals"] = map(int, sys.argv[3:8])
r["exactly_once"] = (r["store_applications"] == r["store_executed"]
    == r["store_certificates"] == r["store_distinct_serials"]
    == r["submitted"])
print(json.dumps(r))
EOF
	)
}

PG_DIR=""
trap '[ -n "$PG_DIR" ] && "$SRC/tests/pg/pg.sh" stop "$PG_DIR" >/dev/null 2>&1; [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"' EXIT
for b in ${BACKENDS:-sqlite postgres}; do
	if [ "$b" = postgres ]; then
		PG_DIR=$(mktemp -d /tmp/egca-rabench-pg.XXXXXX)
		EGCA_PG_URI=$("$SRC/tests/pg/pg.sh" start "$PG_DIR")
		export EGCA_PG_URI
	fi
	run_backend "$b" | tee "$OUT/ra-$b.json"
done
