#!/usr/bin/env bash
# A CRL of N revoked certificates (default 1,000,000), egca beside
# `openssl ca -gencrl`, in one run (docs/performance.md, "CRL"):
#   bench/crl_1m.sh [-n N] [-a ALG] [BUILD_DIR]
# Makes a P-256 CA and an index.txt of N revoked entries with awk (the
# same serials, reasons and invalidity dates as bench_crl's store rows:
# reasons 0..5 in turn, every tenth with an invalidity date), then runs
# BUILD_DIR/bench_crl, which measures egca and openssl each in a child
# process (wall time, peak RSS from getrusage).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
N=1000000
ALG=ecdsa-p256
while getopts "n:a:" o; do
	case $o in
	n) N=$OPTARG ;;
	a) ALG=$OPTARG ;;
	*) echo "usage: bench/crl_1m.sh [-n N] [-a ALG] [BUILD_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
BUILD=${1:-$SRC/build-bench}
W=$(mktemp -d "${TMPDIR:-/tmp}/crl1m.XXXXXX")
trap 'rm -rf "$W"' EXIT
O=$W/openssl
mkdir -p "$O"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$O/ca.key" -out "$O/ca.pem" -subj "/C=CN/O=Bench/CN=Bench CRL CA" \
	-days 3650 2>/dev/null
# index.txt: status, expiry, revocation date[,reason[,invalidity]], serial,
# file, subject. Expiry 2030-12-31; revoked 2026-11-24 + i % 86400 s.
awk -v n="$N" 'BEGIN {
	split("unspecified keyCompromise CACompromise affiliationChanged superseded cessationOfOperation", r, " ")
	for (i = 0; i < n; i++) {
		s = i % 86400
		rev = sprintf("261124%02d%02d%02dZ", int(s / 3600), int(s / 60) % 60, s % 60)
		reason = r[i % 6 + 1]
		if (i % 10 == 0 && reason != "unspecified")
			reason = reason ",20261123000000Z"
		printf "R\t301231235959Z\t%s,%s\t7F%030X\tunknown\t/CN=u%d\n", rev, reason, i, i
	}
}' >"$O/index.txt"
echo "01" >"$O/crlnumber"
cat >"$O/openssl.cnf" <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $O
database = \$dir/index.txt
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
crlnumber = \$dir/crlnumber
default_md = sha256
default_crl_days = 1
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid:always
CNF
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "openssl: $(openssl version)"
"$BUILD/bench_crl" -n "$N" -a "$ALG" -o "$O" -d "$W"
echo "openssl CRL entries: $(openssl crl -in "$O/crl.pem" -noout -text | grep -c 'Serial Number')"
echo "egca CRL entries:    $(openssl crl -inform DER -in "$W/data/bench.crl" -noout -text | grep -c 'Serial Number')"
ls -l "$O/crl.pem" "$W/data/bench.crl" "$W/data/crl/root.crl"
