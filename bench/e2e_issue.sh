#!/usr/bin/env bash
# End-to-end durable issuance rate of the real CLI: `egca cert issue`
# run N times in a row against a data directory on SQLite (WAL,
# synchronous=FULL) and on PostgreSQL (fsync=on, synchronous_commit=on,
# unix socket, from tests/pg/pg.sh). Each call is a new process that
# reads the config, opens the store, decrypts the CA key file (PKCS#8,
# scrypt N=2^15 r=8 p=1), parses and checks the CSR, reserves the serial
# (one committed transaction), lints, signs, and commits the
# certificate with its audit event (a second transaction).
#
# To separate the per-process costs it also times, N/4 times each:
#   show      `egca cert show SERIAL`: process, config, store open and a
#             read; no key.
#   keyload   decrypting the same CA key file with `openssl pkey
#             -passin file:` (the same PBES2/scrypt parameters as egca);
#   keyplain  `openssl pkey` on the same key unencrypted: keyload minus
#             keyplain is the scrypt decryption alone.
#
#   bench/e2e_issue.sh [N]        N issuances per backend and alg (200)
#
# Environment: EGCA (the binary; default build/egca), ALGS (CA key
# algorithms, default "sm2 ecdsa-p256"), BACKENDS (default
# "sqlite postgres"), PG_DIR (where pg.sh puts its server; default a
# temporary directory, stopped at the end).
set -euo pipefail

N=${1:-200}
SRC=$(cd "$(dirname "$0")/.." && pwd)
EGCA=${EGCA:-$SRC/build/egca}
ALGS=${ALGS:-sm2 ecdsa-p256}
BACKENDS=${BACKENDS:-sqlite postgres}
T=$(mktemp -d "${TMPDIR:-/tmp}/egca-e2e.XXXXXX")
chmod 755 "$T"
PG_DIR=${PG_DIR:-}
PG_STARTED=""
PG_URI=""

cleanup() {
	if [ -n "$PG_STARTED" ]; then
		bash "$SRC/tests/pg/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
		rm -rf "$PG_DIR"
	fi
	rm -rf "$T"
}
trap cleanup EXIT

[ -x "$EGCA" ] || { echo "e2e_issue.sh: no egca binary at $EGCA" >&2; exit 1; }
printf 'correct horse battery staple\n' >"$T/pass"
chmod 600 "$T/pass"

# elapsed T0 T1 N LABEL ALG BACKEND: one text line and one JSON line.
report() {
	awk -v t0="$1" -v t1="$2" -v n="$3" -v what="$4" -v a="$5" -v b="$6" 'BEGIN {
		s = t1 - t0
		printf "%-8s %-11s %-8s %5d in %7.2f s: %8.1f /s, %8.2f ms each\n", b, a, what, n, s, n / s, 1000 * s / n
		printf "json: {\"bench\": \"e2e\", \"backend\": \"%s\", \"alg\": \"%s\", \"what\": \"%s\", \"n\": %d, \"seconds\": %.3f, \"per_s\": %.2f, \"ms_each\": %.3f}\n", b, a, what, n, s, n / s, 1000 * s / n
	}'
}

now() { date +%s.%N; }

# csr ALG OUT: an applicant key and CSR of the CA's family.
csr() {
	local alg=$1 out=$2 subj="/C=CN/ST=Zhejiang/O=Test Bureau/CN=www.example.gov.cn"
	case $alg in
	sm2)
		openssl genpkey -algorithm SM2 -out "$out.key" 2>/dev/null
		openssl req -new -key "$out.key" -sm3 \
			-sigopt distid:1234567812345678 -subj "$subj" -out "$out"
		;;
	ecdsa-p256)
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$out.key"
		openssl req -new -key "$out.key" -sha256 -subj "$subj" -out "$out"
		;;
	rsa-*)
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$out.key" 2>/dev/null
		openssl req -new -key "$out.key" -sha256 -subj "$subj" -out "$out"
		;;
	esac
}

store_for() {
	local backend=$1 db
	if [ "$backend" = sqlite ]; then
		echo "sqlite:egca.db"
		return
	fi
	if [ -z "$PG_URI" ]; then
		if [ -z "$PG_DIR" ]; then
			PG_DIR=$(mktemp -d /tmp/egca-bpg.XXXXXX)
			chmod 755 "$PG_DIR"
			PG_STARTED=1
		fi
		PG_URI=$(bash "$SRC/tests/pg/pg.sh" start "$PG_DIR")
	fi
	db=bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	psql -q "$PG_URI" -c "CREATE DATABASE $db" >/dev/null
	echo "$PG_URI" | sed "s#^\(postgres[a-z]*://[^/]*/\)[^?]*#\1$db#"
}

echo "egca cert issue end to end: one process per certificate, durable" \
	"commits; N=$N"
for backend in $BACKENDS; do
	for alg in $ALGS; do
		d=$T/$backend-$alg
		store=$(store_for "$backend")
		"$EGCA" init --dir "$d" --store "$store" \
			--passphrase-file "$T/pass" --alg "$alg" \
			--subject "C=CN,O=egca bench,CN=egca bench $alg root" \
			>/dev/null
		csr "$alg" "$T/$alg.csr"
		# One issuance first, checked, so a broken setup does not time.
		"$EGCA" cert issue --dir "$d" --csr "$T/$alg.csr" \
			--profile tls-server --dns www.example.gov.cn \
			--passphrase-file "$T/pass" --out "$T/check.pem" 2>/dev/null
		serial=$(openssl x509 -in "$T/check.pem" -noout -serial | cut -d= -f2)

		t0=$(now)
		for ((i = 0; i < N; i++)); do
			"$EGCA" cert issue --dir "$d" --csr "$T/$alg.csr" \
				--profile tls-server --dns www.example.gov.cn \
				--passphrase-file "$T/pass" --der \
				--out "$T/out.der" 2>/dev/null
		done
		t1=$(now)
		report "$t0" "$t1" "$N" issue "$alg" "$backend"

		m=$((N / 4 > 0 ? N / 4 : 1))
		t0=$(now)
		for ((i = 0; i < m; i++)); do
			"$EGCA" cert show --dir "$d" "$serial" >/dev/null
		done
		t1=$(now)
		report "$t0" "$t1" "$m" show "$alg" "$backend"

		key=$(ls "$d"/keys/*.key | head -n 1)
		t0=$(now)
		for ((i = 0; i < m; i++)); do
			openssl pkey -in "$key" -passin "file:$T/pass" \
				-noout 2>/dev/null
		done
		t1=$(now)
		report "$t0" "$t1" "$m" keyload "$alg" "$backend"

		# The same key unencrypted: openssl's own process cost.
		openssl pkey -in "$key" -passin "file:$T/pass" -out "$T/plain.key"
		t0=$(now)
		for ((i = 0; i < m; i++)); do
			openssl pkey -in "$T/plain.key" -noout 2>/dev/null
		done
		t1=$(now)
		report "$t0" "$t1" "$m" keyplain "$alg" "$backend"
		rm -f "$T/plain.key"

		got=$("$EGCA" cert list --dir "$d" --json |
			sed -n 's/.*"total": *\([0-9]*\).*/\1/p')
		echo "$backend $alg: $got certificates in the store after the run" \
			"(expected $((N + 1)))"
	done
done
