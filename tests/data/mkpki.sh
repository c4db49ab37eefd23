#!/bin/sh
# Generates the small test PKI used by tests/unit/pki/ (and by the
# independent verifier tests/tools/BcVerify.java) with the openssl CLI.
#
#   tests/data/mkpki.sh DIR [-k]
#
# The committed fixtures under tests/data/pki/ were made with this
# script (OpenSSL 3.0); tests read them, they do not regenerate them, so
# results are deterministic. -k keeps the private keys in DIR/keys/
# (otherwise they are deleted).
#
# Every SM2 signature is made with the GM/T 0009 user ID
# 1234567812345678 (-sigopt distid:...), except the *-emptyid* files,
# which OpenSSL 3.0 signs with its empty default ID: egca and BouncyCastle
# must refuse those (gm-standards.md §5.3).
set -eu

[ $# -ge 1 ] || { echo "usage: $0 DIR [-k]" >&2; exit 2; }
out=$1
keep=${2:-}
ID=distid:1234567812345678
mkdir -p "$out/keys"
cd "$out"
k=keys

# Extension sections for openssl x509 -extfile.
cat > $k/ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ca_pl0]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ee]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF

genkey() { # alg file
	case $1 in
	sm2) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 \
	    -out "$2" ;;
	p256) openssl genpkey -algorithm EC \
	    -pkeyopt ec_paramgen_curve:prime256v1 -out "$2" ;;
	rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
	    -out "$2" ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$2" ;;
	esac
}

# sigargs ALG: digest and SM2 ID options for signing with ALG.
sigargs() {
	case $1 in
	sm2) echo "-sm3 -sigopt $ID" ;;
	*) echo "-sha256" ;;
	esac
}
vfyargs() {
	case $1 in
	sm2) echo "-vfyopt $ID" ;;
	*) echo "" ;;
	esac
}

# root ALG NAME
root() {
	genkey "$1" $k/$2.key
	# shellcheck disable=SC2046
	openssl req -x509 -new -key $k/$2.key $(sigargs "$1") \
	    -subj "/C=CN/O=egca test/CN=$2" -days 7300 -set_serial 0x01 \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -addext "subjectKeyIdentifier=hash" -out "$2.pem"
}

# issue ALG NAME ISSUER SECTION SERIAL [days]: key, CSR, certificate.
issue() {
	genkey "$1" $k/$2.key
	# shellcheck disable=SC2046
	openssl req -new -key $k/$2.key $(sigargs "$1") \
	    -subj "/C=CN/O=egca test/CN=$2" -out $k/$2.csr
	# shellcheck disable=SC2046
	openssl x509 -req -in $k/$2.csr -CA "$3.pem" -CAkey $k/$3.key \
	    $(sigargs "$1") $(vfyargs "$1") -set_serial "$5" \
	    -days "${6:-3650}" -extfile $k/ext.cnf -extensions "$4" \
	    -out "$2.pem"
}

for a in sm2 p256 rsa; do
	root $a $a-root
	issue $a $a-sub $a-root ca 0x1002
	issue $a $a-leaf $a-sub ee 0x100003
	cat $a-sub.pem $a-root.pem > $a-chain.pem
done

# A leaf whose issuer is not a CA (cA FALSE): signed with sm2-leaf's key.
issue sm2 sm2-ee-issued sm2-leaf ee 0x77

# A sub-CA with pathlen:0 above another sub-CA (pathLenConstraint).
issue sm2 sm2-sub-pl0 sm2-root ca_pl0 0x1003
issue sm2 sm2-sub2 sm2-sub-pl0 ca 0x1004
issue sm2 sm2-leaf2 sm2-sub2 ee 0x100004

# An expired SM2 leaf (2020) from sm2-sub: openssl ca for explicit dates.
mkdir -p $k/ca
: > $k/ca/index.txt
echo 1005 > $k/ca/serial
echo 01 > $k/ca/crlnumber
cat > $k/ca.cnf <<CNF
[ca]
default_ca = sub
[sub]
dir = $k/ca
crlnumber = $k/ca/crlnumber
default_crl_days = 3650
database = $k/ca/index.txt
serial = $k/ca/serial
new_certs_dir = $k/ca
certificate = sm2-sub.pem
private_key = $k/sm2-sub.key
default_md = sm3
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[ee]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
genkey sm2 $k/sm2-expired.key
openssl req -new -key $k/sm2-expired.key -sm3 -sigopt $ID \
    -subj "/C=CN/O=egca test/CN=sm2-expired" -out $k/sm2-expired.csr
openssl ca -batch -config $k/ca.cnf -in $k/sm2-expired.csr -notext \
    -startdate 20200101000000Z -enddate 20210101000000Z -extensions ee \
    -sigopt $ID -vfyopt $ID -out sm2-expired.pem 2>/dev/null

# CRLs from sm2-sub (revoking sm2-expired), with the ID and without.
openssl ca -config $k/ca.cnf -revoke sm2-expired.pem -sigopt $ID \
    2>/dev/null
openssl ca -config $k/ca.cnf -gencrl -sigopt $ID -out sm2-sub.crl \
    2>/dev/null
openssl ca -config $k/ca.cnf -gencrl -out sm2-sub-emptyid.crl 2>/dev/null

# The same SM2 shapes signed with OpenSSL 3.0's empty default ID.
genkey sm2 $k/sm2-root-emptyid.key
openssl req -x509 -new -key $k/sm2-root-emptyid.key -sm3 \
    -subj "/C=CN/O=egca test/CN=sm2-root-emptyid" -days 7300 \
    -set_serial 0x02 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out sm2-root-emptyid.pem
openssl req -new -key $k/sm2-leaf.key -sm3 \
    -subj "/C=CN/O=egca test/CN=sm2-leaf-emptyid" -out $k/emptyid.csr
openssl x509 -req -in $k/emptyid.csr -CA sm2-sub.pem -CAkey $k/sm2-sub.key \
    -sm3 -set_serial 0x100005 -days 3650 -extfile $k/ext.cnf -extensions ee \
    -out sm2-leaf-emptyid.pem

# CSRs.
for a in sm2 p256 rsa; do
	# shellcheck disable=SC2046
	openssl req -new -key $k/$a-leaf.key $(sigargs $a) \
	    -subj "/C=CN/O=egca test/OU=unit/CN=csr-$a" -out csr-$a.pem
	openssl req -in csr-$a.pem -outform DER -out csr-$a.der
done
openssl req -new -key $k/sm2-leaf.key -sm3 \
    -subj "/C=CN/O=egca test/CN=csr-sm2-emptyid" -out csr-sm2-emptyid.pem
genkey rsa1024 $k/rsa1024.key
openssl req -new -key $k/rsa1024.key -sha256 \
    -subj "/C=CN/O=egca test/CN=csr-rsa1024" -out csr-rsa1024.pem
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' csr-p256.pem \
    > csr-p256-new.pem

for c in sm2-root sm2-sub sm2-leaf p256-leaf rsa-leaf; do
	openssl x509 -in $c.pem -outform DER -out $c.der
done

# Show the OpenSSL 3.0 trap this PKI exists for: -vfyopt reaches only
# the leaf, so the GM-conformant chain fails at depth 1 (issue #23471).
if openssl verify -vfyopt $ID -CAfile sm2-root.pem -untrusted sm2-sub.pem \
    sm2-leaf.pem >/dev/null 2>&1; then
	echo "note: openssl verify accepted the SM2 chain" >&2
else
	echo "note: openssl verify fails on the SM2 chain, as expected" >&2
fi

[ "$keep" = -k ] || rm -rf $k
