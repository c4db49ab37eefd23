#!/usr/bin/env bash
# Dual-certificate issuance end to end (issue 5, docs/performance.md "Key
# management centre"): CSR in, both certificates and the envelope out,
# through the REST API of a real `egca serve` whose egca.conf "km" names
# a KM served by `egca km serve` with mutual TLS on loopback (unsealed
# with 2 of 3 shares, the CA on its trust list). bench_ra submits N "new"
# applications (org-sign + enc_profile org-enc, SM2 CSRs) and R
# reviewers approve them; the executing approval must answer with the
# signing certificate, the encryption certificate and the envelope.
# Beside it, in the same run and on the same server, the plain
# single-certificate issuance (org-sign alone), and the dual issuance
# again with TCP_NODELAY on egca serve's sockets (LD_PRELOAD
# bench/km_nodelay.c: the KM client's two TLS records otherwise wait for
# the KM's delayed ACK). Afterwards the stores
# are counted: one signing and one encryption certificate per dual
# application, one escrowed key per encryption certificate.
#
#   bench/dual_run.sh [-n APPS] [-r REVIEWERS] [-s SUBMITTERS] [-o OUTDIR]
#
# Environment: BUILD (default build-kmbench, Release; configured and
# built here unless SKIP_BUILD=1), BACKENDS (default "sqlite postgres"),
# KM_THREADS (egca km serve --threads, default 2), NICE (default "nice").
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build-kmbench}
N=200
REVIEWERS=4
SUBMITTERS=2
OUT=$SRC/bench/results
NICE=${NICE-nice}
KM_THREADS=${KM_THREADS:-2}
while getopts n:r:s:o: o; do
	case $o in
	n) N=$OPTARG ;;
	r) REVIEWERS=$OPTARG ;;
	s) SUBMITTERS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) sed -n '2,22p' "$0"; exit 2 ;;
	esac
done
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
		-DEGCA_WERROR=ON >/dev/null
	$NICE make -C "$BUILD" -j2 egca bench_ra bench_km >/dev/null
fi
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_backend() {
	local backend=$1
	(
		export EGCA=$BUILD/egca EGCA_SOURCE_DIR=$SRC EGCA_BACKEND=$backend
		# shellcheck source=../tests/integration/lib.sh
		. "$SRC/tests/integration/lib.sh"
		D=$T/ca
		K=$T/kmb
		init_ca "$D" --subject "C=CN,O=Bench,CN=Bench SM2 CA" >/dev/null
		"$EGCA" ca export --dir "$D" --out "$T/ca.pem"
		# The KM: ceremony (bench_km prepare), the CA on its trust list.
		kms=""
		[ "$backend" = postgres ] && kms="--store $(store_uri)"
		# shellcheck disable=SC2086
		"$BUILD/bench_km" prepare "$K" $kms >/dev/null
		"$BUILD/bench_km" trust "$K/km" "$T/ca.pem" >/dev/null
		# TLS (GnuTLS: ECDSA P-256).
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$T/tlsca.key" -out "$T/tlsca.pem" -subj /CN=km-bench-tls-ca \
			-days 2 2>/dev/null
		for n in srv cli; do
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout "$T/$n.key" -out "$T/$n.csr" -subj "/CN=$n" 2>/dev/null
			openssl x509 -req -in "$T/$n.csr" -CA "$T/tlsca.pem" \
				-CAkey "$T/tlsca.key" -CAcreateserial -out "$T/$n.pem" -days 2 \
				-extfile <(printf 'subjectAltName=IP:127.0.0.1\n') 2>/dev/null
		done
		chmod 600 "$T/cli.key"
		$NICE "$EGCA" km serve --dir "$K/km" --listen 127.0.0.1 --port 0 \
			--threads "$KM_THREADS" --tls-cert "$T/srv.pem" --tls-key "$T/srv.key" \
			--tls-client-ca "$T/tlsca.pem" --passphrase-file "$K/pass" \
			>/dev/null 2>"$T/km.err" &
		KM_PID=$!
		trap 'kill -TERM $KM_PID 2>/dev/null || true; serve_stop || true; cleanup' EXIT
		kport=""
		for _ in $(seq 1 100); do
			kport=$(sed -n 's#.*listening on https://127.0.0.1:\([0-9]*\).*#\1#p' "$T/km.err")
			[ -n "$kport" ] && break
			sleep 0.1
		done
		[ -n "$kport" ] || { cat "$T/km.err" >&2; exit 1; }
		for s in "$K"/shares/*-1-of-3.txt "$K"/shares/*-2-of-3.txt; do
			"$EGCA" km unseal --dir "$K/km" --share "$s" >/dev/null
		done
		python3 - "$D/egca.conf" "$T" "$K/km" "$kport" <<'PY'
import json, sys
p, t, k, port = sys.argv[1:]
c = json.load(open(p))
c["km"] = {"url": "https://127.0.0.1:" + port, "client_cert": t + "/cli.pem",
           "client_key": t + "/cli.key", "ca_bundle": t + "/tlsca.pem",
           "km_cert": k + "/km.pem"}
json.dump(c, open(p, "w"), indent=2)
PY
		# NICE applies to egca serve too (env execs it: SERVE_PID is egca's).
		SERVE_ENV="$NICE" serve_start "$D" --threads 4 >/dev/null ||
			{ kill -TERM "$KM_PID"; cat "$T/serve.err" >&2; exit 1; }
		trap 'kill -TERM $KM_PID 2>/dev/null || true; serve_stop || true; cleanup' EXIT
		op_bootstrap "$D" >/dev/null
		op_new sysadm sysadmin >/dev/null
		api token:sysadm POST /api/v1/points \
			'{"id":"bench-point","name":"Bench point","home_region":"110000"}' >/dev/null
		api token:sysadm POST /api/v1/points/bench-point/regions '{"region":"110108"}' >/dev/null
		op_new raop ra-operator --point bench-point >/dev/null
		: >"$T/reviewers"
		for i in $(seq 1 "$REVIEWERS"); do
			op_new "rev$i" ra-reviewer --point bench-point >>"$T/reviewers"
			echo >>"$T/reviewers"
		done
		api token:raop POST /api/v1/subscribers \
			'{"type":"enterprise","name":"Bench Org","uscc":"91110108MA01A0QX89","region":"110108"}' >/dev/null
		sub=$(jfield "$T/body" 'd["id"]' || true)
		[ -n "$sub" ] || { echo "no subscriber: $(cat "$T/body")" >&2; exit 1; }
		port=${U##*:}
		cc -O2 -shared -fPIC -o "$T/km_nodelay.so" "$SRC/bench/km_nodelay.c" -ldl
		for mode in single dual dual_nodelay; do
			enc=()
			[ $mode != single ] && enc=(--enc-profile org-enc)
			if [ $mode = dual_nodelay ]; then
				# egca serve again, its KM client's socket TCP_NODELAY.
				serve_stop
				SERVE_ENV="LD_PRELOAD=$T/km_nodelay.so $NICE" serve_start "$D" \
					--threads 4 >/dev/null ||
					{ kill -TERM "$KM_PID"; cat "$T/serve.err" >&2; exit 1; }
				trap 'kill -TERM $KM_PID 2>/dev/null || true; serve_stop || true; cleanup' EXIT
				port=${U##*:}
			fi
			c0=$(cpu_of "$SERVE_PID")
			k0=$(cpu_of "$KM_PID")
			rc=0
			"$BUILD/bench_ra" --port "$port" --subscriber "$sub" \
				--profile org-sign "${enc[@]}" -n "$N" \
				--submitters "$SUBMITTERS" --reviewers "$REVIEWERS" \
				--operator-token-file "$OPDIR/raop.token" \
				--reviewer-tokens-file "$T/reviewers" >"$T/$mode.json" ||
				rc=$?
			c1=$(cpu_of "$SERVE_PID")
			k1=$(cpu_of "$KM_PID")
			python3 - "$T/$mode.json" "$backend" "$mode" "$rc" \
				"$((c1 - c0))" "$((k1 - k0))" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["backend"], r["mode"] = sys.argv[2], sys.argv[3]
r["bench_ra_exit"] = int(sys.argv[4])
hz = float(sys.argv[7])
# Whole run (submit + review), CPU of the two server processes.
r["serve_cpu_s"] = int(sys.argv[5]) / hz
r["km_serve_cpu_s"] = int(sys.argv[6]) / hz
print(json.dumps(r))
EOF
		done
		sign=$(sql "$D" "SELECT count(*) FROM certificate WHERE profile = 'org-sign'")
		encc=$(sql "$D" "SELECT count(*) FROM certificate WHERE profile = 'org-enc'")
		keys=$(sql "$K/km" "SELECT count(*) FROM escrowed_key")
		echo "{\"backend\": \"$backend\", \"store_org_sign_certificates\": $sign," \
			"\"store_org_enc_certificates\": $encc, \"km_escrowed_keys\": $keys," \
			"\"expected_sign\": $((3 * N)), \"expected_enc\": $((2 * N))," \
			"\"expected_keys\": $((2 * N)), \"km_serve_threads\": $KM_THREADS}"
		kill -TERM "$KM_PID"
		wait "$KM_PID" || true
		serve_stop || echo "egca serve exited $?" >&2
	)
}

PG_DIR=""
trap '[ -n "$PG_DIR" ] && "$SRC/tests/pg/pg.sh" stop "$PG_DIR" >/dev/null 2>&1; [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"' EXIT
case " ${BACKENDS:-sqlite postgres} " in
*" postgres "*)
	PG_DIR=$(mktemp -d /tmp/egca-dualbench-pg.XXXXXX)
	chmod 755 "$PG_DIR"
	EGCA_PG_URI=$("$SRC/tests/pg/pg.sh" start "$PG_DIR")
	export EGCA_PG_URI
	;;
esac
{
	echo "# dual-certificate issuance, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit" \
		"$(git -C "$SRC" rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)," \
		"N=$N reviewers=$REVIEWERS submitters=$SUBMITTERS"
	for b in ${BACKENDS:-sqlite postgres}; do
		run_backend "$b"
	done
	echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/dual-$stamp.txt"
echo "results: $OUT/dual-$stamp.txt"
