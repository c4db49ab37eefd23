#!/usr/bin/env bash
# `openssl ca` issuing in a loop, for comparison with bench_issue: one
# process per certificate, so the rate includes process start, config
# parsing, loading the CA key (unencrypted PEM here) and certificate,
# parsing and verifying the CSR, and rewriting index.txt and serial.
# Durability: openssl ca writes index.txt and serial with plain
# fopen/fclose (no fsync), so this is not a durable commit rate.
#
#   bench/openssl_ca.sh [N]       N certificates per algorithm (200)
#
# Prints one line per algorithm, and JSON lines (prefix "json:") for
# bench/run.sh.
set -euo pipefail

N=${1:-200}
OPENSSL=${OPENSSL:-openssl}
T=$(mktemp -d "${TMPDIR:-/tmp}/egca-osslca.XXXXXX")
trap 'rm -rf "$T"' EXIT

SM2_ID=distid:1234567812345678

# setup DIR ALG: a root CA and one applicant CSR of the same algorithm.
setup() {
	local d=$1 alg=$2 keyopt md sig=()
	mkdir -p "$d/new"
	: >"$d/index.txt"
	echo 01 >"$d/serial"
	case $alg in
	sm2)
		md=sm3
		sig=(-sigopt "$SM2_ID")
		"$OPENSSL" genpkey -algorithm SM2 -out "$d/ca.key" 2>/dev/null
		"$OPENSSL" genpkey -algorithm SM2 -out "$d/ee.key" 2>/dev/null
		;;
	p256)
		md=sha256
		keyopt=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
		"$OPENSSL" genpkey "${keyopt[@]}" -out "$d/ca.key"
		"$OPENSSL" genpkey "${keyopt[@]}" -out "$d/ee.key"
		;;
	rsa2048)
		md=sha256
		keyopt=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
		"$OPENSSL" genpkey "${keyopt[@]}" -out "$d/ca.key" 2>/dev/null
		"$OPENSSL" genpkey "${keyopt[@]}" -out "$d/ee.key" 2>/dev/null
		;;
	esac
	cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = bench

[ bench ]
dir = $d
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/new
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = $md
default_days = 365
policy = policy_anything
copy_extensions = none
unique_subject = no
x509_extensions = ee_ext

[ policy_anything ]
countryName = optional
stateOrProvinceName = optional
organizationName = optional
commonName = supplied

[ ee_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.gov.cn
certificatePolicies = 2.999.1.1.7
crlDistributionPoints = URI:http://127.0.0.1:8080/crl/root.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8080/ocsp, caIssuers;URI:http://127.0.0.1:8080/ca/root.crt

[ req ]
distinguished_name = dn
[ dn ]
[ root_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
	"$OPENSSL" req -new -x509 -config "$d/ca.cnf" -extensions root_ext \
		-key "$d/ca.key" -"$md" "${sig[@]}" -days 3650 \
		-subj "/C=CN/O=egca bench/CN=openssl ca $alg root" \
		-out "$d/ca.pem"
	"$OPENSSL" req -new -config "$d/ca.cnf" -key "$d/ee.key" -"$md" \
		"${sig[@]}" \
		-subj "/C=CN/ST=Zhejiang/O=Test Bureau/CN=www.example.gov.cn" \
		-out "$d/ee.csr"
}

# run DIR ALG: N issuances, one `openssl ca` process each.
run() {
	local d=$1 alg=$2 i t0 t1 extra=()
	[ "$alg" = sm2 ] && extra=(-sigopt "$SM2_ID" -vfyopt "$SM2_ID")
	# One issuance first, checked, so a broken setup does not time.
	"$OPENSSL" ca -batch -notext -config "$d/ca.cnf" "${extra[@]}" \
		-in "$d/ee.csr" -out "$d/check.pem" 2>"$d/err" ||
		{ cat "$d/err" >&2; exit 1; }
	if [ "$alg" = sm2 ]; then
		"$OPENSSL" verify -vfyopt "$SM2_ID" -CAfile "$d/ca.pem" \
			"$d/check.pem" >/dev/null
	else
		"$OPENSSL" verify -CAfile "$d/ca.pem" "$d/check.pem" >/dev/null
	fi
	t0=$(date +%s.%N)
	for ((i = 0; i < N; i++)); do
		"$OPENSSL" ca -batch -notext -config "$d/ca.cnf" "${extra[@]}" \
			-in "$d/ee.csr" -out /dev/null 2>/dev/null
	done
	t1=$(date +%s.%N)
	awk -v a="$alg" -v n="$N" -v t0="$t0" -v t1="$t1" 'BEGIN {
		s = t1 - t0
		printf "openssl ca  %-8s %5d certs in %7.2f s: %8.1f certs/s, %7.2f ms each\n", a, n, s, n / s, 1000 * s / n
		printf "json: {\"bench\": \"openssl_ca\", \"alg\": \"%s\", \"n\": %d, \"seconds\": %.3f, \"per_s\": %.1f, \"ms_each\": %.3f}\n", a, n, s, n / s, 1000 * s / n
	}'
}

echo "openssl ca in a loop ($("$OPENSSL" version)): one process per" \
	"certificate, process start included, no fsync"
for alg in sm2 p256 rsa2048; do
	setup "$T/$alg" "$alg"
	run "$T/$alg" "$alg"
done
