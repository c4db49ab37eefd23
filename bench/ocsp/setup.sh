#!/usr/bin/env bash
# bench/ocsp/setup.sh DIR ALG: the certificate population of the OCSP
# serving benchmark, for ALG sm2 or ecdsa-p256.
#
#   DIR/data/          egca data directory (`egca init`), CA "root",
#                      COUNT certificates issued, 10% revoked
#   DIR/pass           its passphrase (a benchmark throwaway)
#   DIR/out/           what bench_ocsp_mkcerts writes (ca.pem, ca.key,
#                      index.txt, responses.b64, resp-good.der,
#                      leaf-good.pem, leaf-revoked.pem, serials.txt)
#   DIR/out/req.der        OCSPRequest for leaf-good, no nonce (SHA-1 CertID)
#   DIR/out/req-nonce.der  the same with a nonce (live signing)
#   DIR/out/req-revoked.der  for leaf-revoked, no nonce
#   DIR/out/req.get        URL-encoded base64 of req.der (GET /ocsp/<this>)
#   DIR/out/resp-egca.der  egca's answer to req.der (`egca ocsp respond`),
#                          when this egca has it
#
# Environment: EGCA (default build/egca), MKCERTS (default
# build/bench_ocsp_mkcerts), COUNT (default 10000), REVOKE_PCT (10).
set -euo pipefail

dir=${1:?usage: setup.sh DIR sm2|ecdsa-p256}
alg=${2:?usage: setup.sh DIR sm2|ecdsa-p256}
here=$(cd "$(dirname "$0")/../.." && pwd)
EGCA=${EGCA:-$here/build/egca}
MKCERTS=${MKCERTS:-$here/build/bench_ocsp_mkcerts}
COUNT=${COUNT:-10000}
REVOKE_PCT=${REVOKE_PCT:-10}

case "$alg" in
sm2) label="SM2" ;;
ecdsa-p256) label="P-256" ;;
*) echo "setup.sh: ALG must be sm2 or ecdsa-p256" >&2; exit 2 ;;
esac

rm -rf "$dir"
mkdir -p "$dir/out"
umask 077
printf 'ocsp-bench-%s\n' "$alg" >"$dir/pass"

"$EGCA" init --dir "$dir/data" --alg "$alg" --passphrase-file "$dir/pass" \
    --subject "C=CN,O=egca bench,CN=egca bench $label CA" >/dev/null

# One end-entity key and CSR, reused for every certificate (the subject
# and serial differ; the OCSP answer does not depend on the key).
if [ "$alg" = sm2 ]; then
	openssl genpkey -algorithm SM2 -out "$dir/leaf.key" 2>/dev/null
	openssl req -new -key "$dir/leaf.key" -sm3 \
	    -sigopt distid:1234567812345678 \
	    -subj "/C=CN/O=egca bench/CN=leaf" -out "$dir/leaf.csr"
else
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$dir/leaf.key" 2>/dev/null
	openssl req -new -key "$dir/leaf.key" -sha256 \
	    -subj "/C=CN/O=egca bench/CN=leaf" -out "$dir/leaf.csr"
fi

"$MKCERTS" --dir "$dir/data" --passphrase-file "$dir/pass" \
    --csr "$dir/leaf.csr" --out "$dir/out" --count "$COUNT" \
    --revoke-pct "$REVOKE_PCT"

o=$dir/out
openssl ocsp -issuer "$o/ca.pem" -cert "$o/leaf-good.pem" -no_nonce \
    -reqout "$o/req.der" >/dev/null
openssl ocsp -issuer "$o/ca.pem" -cert "$o/leaf-good.pem" \
    -reqout "$o/req-nonce.der" >/dev/null
openssl ocsp -issuer "$o/ca.pem" -cert "$o/leaf-revoked.pem" -no_nonce \
    -reqout "$o/req-revoked.der" >/dev/null
# RFC 6960 A.1: GET {url}/{url-encoding of base64 of the DER request}.
base64 -w0 "$o/req.der" | sed -e 's/+/%2B/g' -e 's|/|%2F|g' \
    -e 's/=/%3D/g' >"$o/req.get"
chmod 644 "$o"/req*.der "$o/req.get"

# The pre-signed responses must say what the store says, and (P-256)
# verify against the CA. OpenSSL 3.0's `openssl ocsp` verifies SM2
# signatures without the GM/T 0009 user ID, so an SM2 response is only
# checked for its status here.
verify=(-VAfile "$o/ca.pem")
[ "$alg" = sm2 ] && verify=(-noverify)
for c in good revoked; do
	openssl ocsp -respin "$o/resp-$c.der" "${verify[@]}" \
	    -issuer "$o/ca.pem" -cert "$o/leaf-$c.pem" -no_nonce 2>&1 |
	    grep -q ": $c" || {
		echo "setup.sh: pre-signed $c response wrong or not verifying" >&2
		exit 1
	}
done
# egca's own answer to req.der, when this egca has `egca ocsp respond`:
# the reference size for the static servers (nginx, mhd_ref), and it
# re-signs the responses that revocation left stale, once, here rather
# than at every `egca serve` start.
if "$EGCA" ocsp respond --help >/dev/null 2>&1; then
	"$EGCA" ocsp respond --dir "$dir/data" --passphrase-file "$dir/pass" \
	    --request "$o/req.der" --out "$o/resp-egca.der" >/dev/null
	chmod 644 "$o/resp-egca.der"
	openssl ocsp -respin "$o/resp-egca.der" -noverify -issuer "$o/ca.pem" \
	    -cert "$o/leaf-good.pem" -no_nonce 2>&1 | grep -q ': good' || {
		echo "setup.sh: egca ocsp respond: not a good answer" >&2
		exit 1
	}
fi
n=$(wc -l <"$o/index.txt")
r=$(grep -c '^R' "$o/index.txt")
echo "setup.sh: $alg: $n certificates, $r revoked, pre-signed response $(stat -c %s "$o/resp-good.der") bytes$([ -e "$o/resp-egca.der" ] && echo ", egca's $(stat -c %s "$o/resp-egca.der") bytes"), in $dir"
