#!/usr/bin/env bash
# Source-point management (Art. 6(6)): a subordinate CA requests its
# certificate from the source point (here another egca data directory
# standing in for it), imports it after the chain and key checks, and
# issues; the three-level SM2 chain verifies with the GM/T user ID at
# every level in egca and BouncyCastle, where OpenSSL 3.0 cannot.
. "$(dirname "$0")/lib.sh"

src=$T/source-point
sub=$T/provincial
check "source point root" init_ca "$src" --name sp \
	--subject "C=CN,O=E-Government Source Point,CN=Source Point SM2 Root"
"$EGCA" ca export --dir "$src" --out "$T/sp.pem"

check "subordinate init" init_ca "$sub" --subordinate --name prov \
	--subject "C=CN,ST=Zhejiang,O=Zhejiang E-Gov CA,CN=Zhejiang SM2 CA"
expect_exit 0 "pending CA shows pending" "$EGCA" ca show --dir "$sub" --json
expect_out '"status": "pending"' "status pending"
sm2_csr "$T/x.key" "$T/x.csr" "/C=CN/O=X/CN=x"
expect_exit 8 "a pending CA does not issue" "$EGCA" cert issue --dir "$sub" \
	--csr "$T/x.csr" --profile tls-server --passphrase-file "$PASSFILE"
check "ca request" "$EGCA" ca request --dir "$sub" --out "$T/prov.csr"
check "request is a valid SM2 CSR (openssl, distid)" openssl req -in "$T/prov.csr" \
	-noout -verify -vfyopt distid:1234567812345678
check "request verifies (BouncyCastle)" bcverify csr "$T/prov.csr"

check "source point issues the sub-CA certificate" "$EGCA" cert issue \
	--dir "$src" --csr "$T/prov.csr" --profile sub-ca \
	--passphrase-file "$PASSFILE" --out "$T/prov.pem"

expect_exit 8 "import without a trust anchor refused" "$EGCA" ca import \
	--dir "$sub" --cert "$T/prov.pem" --chain "$T/sp.pem"
# A certificate for another key is refused.
sm2_csr "$T/other.key" "$T/other.csr" "/C=CN/O=Other/CN=Other CA"
"$EGCA" cert issue --dir "$src" --csr "$T/other.csr" --profile sub-ca \
	--passphrase-file "$PASSFILE" --out "$T/other.pem" 2>/dev/null
check "anchors add" "$EGCA" ca anchors add --dir "$sub" "$T/sp.pem"
expect_exit 0 "anchors list" "$EGCA" ca anchors --dir "$sub" --json
expect_out "Source Point SM2 Root" "anchor listed"
expect_exit 4 "import of a certificate for another key refused" \
	"$EGCA" ca import --dir "$sub" --cert "$T/other.pem" --chain "$T/sp.pem"
# A certificate that does not chain to the anchor is refused.
other=$T/other-root
init_ca "$other" --name other >/dev/null 2>&1
"$EGCA" cert issue --dir "$other" --csr "$T/prov.csr" --profile sub-ca \
	--passphrase-file "$PASSFILE" --out "$T/prov-other.pem" 2>/dev/null
expect_exit 13 "import of a certificate from an unknown root refused" \
	"$EGCA" ca import --dir "$sub" --cert "$T/prov-other.pem"
check "ca import" "$EGCA" ca import --dir "$sub" --cert "$T/prov.pem" --chain "$T/sp.pem"
expect_exit 0 "imported CA is active" "$EGCA" ca show --dir "$sub" --json
expect_out '"status": "active"' "status active"
expect_exit 8 "second import refused" "$EGCA" ca import --dir "$sub" --cert "$T/prov.pem"

check "ca export chain" "$EGCA" ca export --dir "$sub" --out "$T/chain.pem"
if [ "$(grep -c 'BEGIN CERTIFICATE' "$T/chain.pem")" = 2 ]; then
	pass "exported chain holds the CA and the source point"
else
	fail "exported chain"
fi
sm2_csr "$T/leaf.key" "$T/leaf.csr" "/C=CN/O=Hangzhou Bureau/CN=Li Si"
check "subordinate issues a leaf" "$EGCA" cert issue --dir "$sub" \
	--csr "$T/leaf.csr" --profile individual-sign --id-card 11010519491231002X \
	--passphrase-file "$PASSFILE" --out "$T/leaf.pem"
check "egca verify: three-level SM2 chain" "$EGCA" verify --chain "$T/chain.pem" "$T/leaf.pem"
check "BouncyCastle: leaf <- sub" bcverify cert "$T/leaf.pem" "$T/prov.pem"
check "BouncyCastle: sub <- root" bcverify cert "$T/prov.pem" "$T/sp.pem"
# OpenSSL 3.0 applies -vfyopt to the leaf only (openssl/openssl#23471):
# the same chain fails there at depth 1. Recorded, not required.
if openssl verify -vfyopt distid:1234567812345678 -CAfile "$T/sp.pem" \
	-untrusted "$T/prov.pem" "$T/leaf.pem" >/dev/null 2>&1; then
	echo "# note: this openssl verifies SM2 intermediates with the ID"
else
	echo "# note: openssl verify fails the SM2 chain at depth 1 (known 3.0 limit)"
fi
# Tampered leaf: egca verify fails.
openssl x509 -in "$T/leaf.pem" -outform DER -out "$T/leaf.der"
python3 - "$T/leaf.der" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[-5] ^= 0x01
open(p, 'wb').write(b)
PY
expect_exit 13 "egca verify: tampered signature fails" "$EGCA" verify --chain "$T/chain.pem" "$T/leaf.der"
expect_exit 0 "ca list" "$EGCA" ca list --dir "$sub" --json
expect_out '"prov"' "ca list names the CA"
check "several CAs in one data dir: ca create" "$EGCA" ca create --dir "$sub" \
	--name prov-p256 --alg ecdsa-p256 --subject "C=CN,O=Zhejiang E-Gov CA,CN=Zhejiang P-256 CA" \
	--passphrase-file "$PASSFILE"
"$EGCA" ca list --dir "$sub" --json >"$T/out"
expect_out '"prov-p256"' "second CA listed"
check "issue from the second CA" "$EGCA" cert issue --dir "$sub" --ca prov-p256 \
	--csr "$T/x.csr" --profile tls-server --passphrase-file "$PASSFILE"
check "audit chain intact" "$EGCA" audit verify --dir "$sub"
finish
