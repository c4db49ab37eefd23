#!/usr/bin/env bash
# The key management centre benchmarks of issue 5, in one run
# (docs/performance.md, "Key management centre"):
#   1. bench_km in process, SQLite: raw SM2 key generation (EVP_PKEY_keygen)
#      beside the KM's key generation + escrow (egca_km_apply through the
#      in-process client), 1 and N threads, and the cost of each step
#   2. the same on PostgreSQL (tests/pg/pg.sh), when PostgreSQL is installed
#   3. the KM over HTTPS with mutual TLS on loopback: `egca km serve
#      --tls-client-ca`, unsealed with 2 of 3 shares by `egca km unseal`,
#      `bench_km https` applying through egca_km_client_https (one TLS
#      connection per request, as the client does), with the server's
#      CPU time per request; on each backend
# after a Release build (-DEGCA_WERROR=ON).
#
#   bench/km_run.sh [-t SECONDS] [-r ROUNDS] [-n THREADS] [-o OUTDIR]
#     -t  seconds per rate, split into ROUNDS interleaved slices (default 6)
#     -r  rounds (default 3)
#     -n  the "N threads" case (default: nproc)
#     -o  results directory (default bench/results): km-<time>.txt, .json
#   4. (perf installed, PERF=1 by default) a perf profile of a 1-thread
#      in-process apply, charged to its steps
# Environment: BUILD (default build-kmbench; configured and built unless
# SKIP_BUILD=1), BACKENDS (default "sqlite postgres"), NICE (default
# "nice": the benchmark runs at nice 10 on a shared machine; NICE= to
# run at normal priority).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build-kmbench}
SECS=6
ROUNDS=3
THREADS=$(nproc)
OUT=$SRC/bench/results
NICE=${NICE-nice}
while getopts t:r:n:o: o; do
	case $o in
	t) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	n) THREADS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) sed -n '2,25p' "$0"; exit 2 ;;
	esac
done
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
		-DEGCA_WERROR=ON >/dev/null
	$NICE make -C "$BUILD" -j2 egca bench_km >/dev/null
fi
EGCA=$BUILD/egca
BENCH=$BUILD/bench_km
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
txt=$OUT/km-$stamp.txt
json=$OUT/km-$stamp.json
T=$(mktemp -d /tmp/egca-kmbench.XXXXXX)

PG_DIR=""
KM_PID=""
cleanup() {
	if [ -n "$KM_PID" ]; then
		kill -TERM "$KM_PID" 2>/dev/null || true
		wait "$KM_PID" 2>/dev/null || true
	fi
	if [ -n "$PG_DIR" ]; then
		"$SRC/tests/pg/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
		rm -rf "$PG_DIR"
	fi
	rm -rf "$T"
}
trap cleanup EXIT

pg_uri() { # start the throw-away server once (in the main shell); its URI
	if [ -z "$PG_DIR" ]; then
		PG_DIR=$(mktemp -d /tmp/egca-kmbench-pg.XXXXXX)
		chmod 755 "$PG_DIR"
		"$SRC/tests/pg/pg.sh" start "$PG_DIR" >"$PG_DIR/uri"
	fi
	cat "$PG_DIR/uri"
}

have_pg() { ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; }

# The store transactions the KM ran again (serialization failures or busy
# timeouts: egca_store_tx retries the whole transaction, key generation
# and envelope included), from the KM's log on standard error.
retries() {
	local r o
	r=$(grep -c 'SQLSTATE 40001\|database is locked\|busy' "$1" || true)
	o=$(grep -v 'SQLSTATE 40001\|database is locked\|busy' "$1" |
		grep -vc '^egca km: \|event=km_unseal\|^$' || true)
	echo "KM transactions retried (log lines): $r; other log lines: $o"
	grep -v 'SQLSTATE 40001\|database is locked\|busy' "$1" | head -n 5 || true
}

# Where one apply's CPU time goes: a 1-thread in-process run (SQLite)
# under perf with DWARF call graphs; each sample under egca_km_apply is
# charged to the step nearest its leaf.
perf_split() {
	local secs=$1
	# shellcheck disable=SC2086 # NICE may be empty
	perf record -q -F 400 --call-graph dwarf,16384 -o "$T/perf.data" \
		$NICE "$BENCH" --sqlite --threads 1 -t "$secs" -r 1 --no-split \
		>"$T/perf.out" 2>&1 || { echo "perf record failed"; cat "$T/perf.out"; return 0; }
	perf script -i "$T/perf.data" -F ip,sym 2>/dev/null >"$T/perf.txt"
	python3 - "$T/perf.txt" <<'PY'
import collections, sys

samples, cur = [], []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line.strip():
        if cur:
            samples.append(cur)
        cur = []
        continue
    parts = line.split(None, 1)
    cur.append(parts[1].split("+")[0] if len(parts) > 1 else "?")
if cur:
    samples.append(cur)

def step(st):
    km = "egca_km_handle" in st
    for f in st:  # leaf first: the nearest marker wins
        if f == "km_key_generate": return "KM: key generation (km_key_generate)"
        if f == "egca_envelope_seal": return "KM: SM2 envelope (egca_envelope_seal)"
        if f == "egca_km_request_sign": return "CA: request signature"
        if f == "egca_km_response_sign": return "KM: answer signature"
        if f in ("km_wrap", "km_data_key"): return "KM: data key + AES-GCM wrap"
        if f == "egca_crypto_verify_tbs":
            return "KM: request signature check" if km else "CA: answer signature check"
        if f in ("egca_crypto_spki_decode", "egca_crypto_key_check", "egca_pki_cert_info"):
            return ("KM: trust list CA key, holder key decode+check" if km
                    else "CA: retPubKey decode+check")
        if f in ("fdatasync", "fsync", "__x64_sys_fdatasync", "do_fsync"):
            return "store: fsync"
        if f.startswith("sqlite3") or f.startswith("egca_store") or f.startswith("egca_audit"):
            return "store: SQLite, audit (CPU)"
        if f in ("egca_km_response_parse", "egca_km_request_parse", "km_request_parse_shell",
                 "km_request_parse_items", "egca_envelope_parse"):
            return "DER parsing"
    return "other"

c, tot = collections.Counter(), 0
for st in samples:
    if "egca_km_apply" in st:
        tot += 1
        c[step(st)] += 1
print("perf samples under egca_km_apply: %d (400 Hz, CPU time)" % tot)
for k, v in c.most_common():
    print("  %-48s %5d %5.1f %%" % (k, v, 100.0 * v / tot))
PY
}

# TLS material (GnuTLS: ECDSA P-256; the messages are SM2-signed).
tls_material() {
	local d=$T/tls n
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -subj /CN=km-bench-tls-ca \
		-days 2 2>/dev/null
	for n in srv cli; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/$n.key" -out "$d/$n.csr" \
			-subj "/CN=$([ $n = srv ] && echo 127.0.0.1 || echo egca-bench-ca)" \
			2>/dev/null
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -out "$d/$n.pem" -days 2 \
			-extfile <(printf 'subjectAltName=IP:127.0.0.1\n') 2>/dev/null
	done
}

# https BACKEND: prepare a KM, serve it with mutual TLS, unseal, apply.
https_case() {
	local b=$1 d=$T/https-$1 store="" port="" s
	[ "$b" = postgres ] && store="--store $(pg_uri)"
	# shellcheck disable=SC2086
	"$BENCH" prepare "$d" $store
	$NICE "$EGCA" km serve --dir "$d/km" --listen 127.0.0.1 --port 0 \
		--threads "$THREADS" --tls-cert "$T/tls/srv.pem" \
		--tls-key "$T/tls/srv.key" --tls-client-ca "$T/tls/ca.pem" \
		--passphrase-file "$d/pass" 2>"$d/serve.err" &
	KM_PID=$!
	for _ in $(seq 1 100); do
		port=$(sed -n 's#.*listening on https://127.0.0.1:\([0-9]*\).*#\1#p' \
			"$d/serve.err")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$d/serve.err" >&2; exit 1; }
	for s in "$d"/shares/*-1-of-3.txt "$d"/shares/*-2-of-3.txt; do
		"$EGCA" km unseal --dir "$d/km" --share "$s" >/dev/null
	done
	echo "egca km serve: pid $KM_PID, --threads $THREADS, store $b"
	$NICE "$BENCH" https "$d" --url "https://127.0.0.1:$port" \
		--tls-cert "$T/tls/cli.pem" --tls-key "$T/tls/cli.key" \
		--tls-ca "$T/tls/ca.pem" -t "$SECS" -r "$ROUNDS" \
		--threads "$THREADS" --server-pid "$KM_PID" \
		--json-out "$T/https-$b.json"
	retries "$d/serve.err"
	# The TLS connection alone: GET (405, no KM work, nothing stored)
	# with the client certificate, one connection each (curl).
	local n=200 s0 s1 t0 t1
	s0=$(awk '{print $14 + $15}' "/proc/$KM_PID/stat")
	t0=$(date +%s.%N)
	for _ in $(seq 1 $n); do
		curl -s -o /dev/null -w '%{http_code}\n' --cacert "$T/tls/ca.pem" \
			--cert "$T/tls/cli.pem" --key "$T/tls/cli.key" \
			"https://127.0.0.1:$port/km/v1/request"
	done | sort | uniq -c | sed 's/^/  curl GET answers: /'
	t1=$(date +%s.%N)
	s1=$(awk '{print $14 + $15}' "/proc/$KM_PID/stat")
	python3 -c 'import sys; n, s, t, hz = map(float, sys.argv[1:]); print("mutual TLS connection + GET 405, %d with curl: server CPU %.0f us per connection, %.1f ms wall each (curl process included)" % (n, s / hz / n * 1e6, t / n * 1e3))' \
		$n "$((s1 - s0))" "$(echo "$t1 - $t0" | bc)" "$(getconf CLK_TCK)"
	# The same applies with TCP_NODELAY on the client's socket.
	if cc -O2 -shared -fPIC -o "$T/km_nodelay.so" "$SRC/bench/km_nodelay.c" -ldl 2>/dev/null; then
		echo "with TCP_NODELAY on the client socket (LD_PRELOAD bench/km_nodelay.c):"
		LD_PRELOAD=$T/km_nodelay.so $NICE "$BENCH" https "$d" \
			--url "https://127.0.0.1:$port" --tls-cert "$T/tls/cli.pem" \
			--tls-key "$T/tls/cli.key" --tls-ca "$T/tls/ca.pem" -t "$SECS" \
			-r "$ROUNDS" --threads "$THREADS" --server-pid "$KM_PID" \
			--json-out "$T/https-$b-nodelay.json" | tail -n 3
	fi
	kill -TERM "$KM_PID"
	wait "$KM_PID" || { echo "egca km serve exited $?" >&2; exit 1; }
	KM_PID=""
	keys=$(python3 -c 'import json,sys; print(sum(r["ops"] for f in sys.argv[1:] for r in json.load(open(f))["rates"]))' \
		"$T"/https-"$b"*.json)
	stored=""
	[ "$b" = sqlite ] && stored=$(sqlite3 "$d/km/egca.db" "SELECT count(*) FROM escrowed_key")
	[ "$b" = postgres ] && stored=$(psql -Atq "$(pg_uri)" -c "SELECT count(*) FROM escrowed_key")
	echo "applies timed: $keys, plus $THREADS checked per run; escrowed_key rows: $stored"
}

BACKENDS=${BACKENDS:-sqlite postgres}
case " $BACKENDS " in *" postgres "*) have_pg && pg_uri >/dev/null ;; esac
(
	trap '[ -n "$KM_PID" ] && kill -TERM "$KM_PID" 2>/dev/null' EXIT
	echo "egca KM benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit:  $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')" \
		"$(git -C "$SRC" status --porcelain 2>/dev/null | grep -q . && echo '(working tree modified)')"
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
		"$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel:  $(uname -sr)"
	echo "openssl: $(openssl version)"
	echo "gnutls:  $(gnutls-cli --version 2>/dev/null | head -n 1 || echo '?')"
	echo "sqlite:  $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '?')"
	echo "pg:      $(psql --version 2>/dev/null || echo '?')"
	echo "load:    $(cat /proc/loadavg)"
	echo "run:     -t $SECS -r $ROUNDS, threads 1 and $THREADS, nice: ${NICE:-none}"
	n=1
	for b in $BACKENDS; do
		if [ "$b" = postgres ] && ! have_pg; then
			echo; echo "== $n. in process, PostgreSQL: skipped (not installed) =="
			continue
		fi
		echo
		echo "== $n. in process, $b =="
		if [ "$b" = postgres ]; then
			st="--store $(pg_uri)"
		else
			st=--sqlite
		fi
		# shellcheck disable=SC2086
		$NICE "$BENCH" $st -t "$SECS" -r "$ROUNDS" --threads "$THREADS" \
			--json-out "$T/inproc-$b.json" 2>"$T/inproc-$b.err"
		retries "$T/inproc-$b.err"
		n=$((n + 1))
	done
	tls_material
	for b in $BACKENDS; do
		[ "$b" = postgres ] && ! have_pg && continue
		echo
		echo "== $n. HTTPS + mutual TLS on loopback, $b =="
		https_case "$b"
		n=$((n + 1))
	done
	if command -v perf >/dev/null && [ "${PERF:-1}" = 1 ]; then
		echo
		echo "== $n. where an in-process apply's CPU time goes (perf, SQLite, 1 thread) =="
		perf_split "$SECS"
	fi
	echo
	echo "load:    $(cat /proc/loadavg)"
) 2>&1 | tee "$txt"

python3 - "$json" "$T" "$stamp" <<'EOF'
import glob, json, os, sys
out, t, stamp = sys.argv[1:4]
doc = {"stamp": stamp, "inproc": {}, "https": {}}
for f in sorted(glob.glob(os.path.join(t, "*.json"))):
    kind, backend = os.path.basename(f)[:-5].split("-", 1)
    doc[kind][backend] = json.load(open(f))
json.dump(doc, open(out, "w"), indent=1)
EOF
echo "results: $txt $json"
