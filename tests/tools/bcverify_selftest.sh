#!/bin/sh
# Checks the independent verifier against the committed test PKI:
# OpenSSL-made SM2 objects signed with -sigopt distid:1234567812345678
# must be OK, the same made with OpenSSL 3.0's empty default ID must FAIL.
#   tests/tools/bcverify_selftest.sh [SOURCE_DIR]
set -u
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
d=$src/tests/data/pki
bc() { java -cp /usr/share/java/bcprov.jar "$src/tests/tools/BcVerify.java" "$@"; }
rc=0
expect() { # want args...
	want=$1
	shift
	out=$(bc "$@" 2>&1)
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: BcVerify $* -> $got ($out), wanted $want"
		rc=1
	else
		echo "ok: BcVerify $* -> $out"
	fi
}
expect 0 cert "$d/sm2-root.pem" "$d/sm2-root.pem"
expect 0 cert "$d/sm2-sub.pem" "$d/sm2-root.pem"
expect 0 cert "$d/sm2-leaf.pem" "$d/sm2-sub.pem"
expect 0 cert "$d/sm2-leaf.der" "$d/sm2-sub.der"
expect 0 cert "$d/p256-leaf.pem" "$d/p256-sub.pem"
expect 0 cert "$d/rsa-leaf.pem" "$d/rsa-sub.pem"
expect 0 csr "$d/csr-sm2.pem"
expect 0 csr "$d/csr-p256-new.pem"
expect 0 csr "$d/csr-rsa.der"
expect 0 crl "$d/sm2-sub.crl" "$d/sm2-sub.pem"
expect 1 cert "$d/sm2-root-emptyid.pem" "$d/sm2-root-emptyid.pem"
expect 1 cert "$d/sm2-leaf-emptyid.pem" "$d/sm2-sub.pem"
expect 1 cert "$d/sm2-leaf.pem" "$d/sm2-root.pem"
expect 1 cert "$d/rsa-leaf.pem" "$d/p256-sub.pem"
expect 1 csr "$d/csr-sm2-emptyid.pem"
expect 1 crl "$d/sm2-sub-emptyid.crl" "$d/sm2-sub.pem"
expect 2 cert "$d/sm2-leaf.pem"
exit $rc
