#!/usr/bin/env bash
# Bad input gets a clear message, a documented exit code, and leaves the
# store unchanged (no certificate, no serial reservation).
. "$(dirname "$0")/lib.sh"

d=$T/ca
check "init" init_ca "$d"
sm2_csr "$T/good.key" "$T/good.csr" "/C=CN/O=Good/CN=Good"

state() {
	echo "$(sql "$d" "SELECT count(*) FROM certificate")/$(sql "$d" "SELECT count(*) FROM serial_reservation")"
}
before=$(state)
issue() { "$EGCA" cert issue --dir "$d" --passphrase-file "$PASSFILE" "$@"; }

head -c 200 "$T/good.csr" >"$T/trunc.csr"
expect_exit 3 "truncated CSR" issue --csr "$T/trunc.csr" --profile tls-server
expect_out "CSR" "message names the CSR"
openssl req -in "$T/good.csr" -outform DER -out "$T/good.der"
head -c 100 "$T/good.der" >"$T/trunc.der"
expect_exit 3 "truncated DER CSR" issue --csr "$T/trunc.der" --profile tls-server
printf 'this is not a CSR\n' >"$T/garbage.csr"
expect_exit 3 "garbage CSR" issue --csr "$T/garbage.csr" --profile tls-server
cat "$T/good.der" "$T/good.der" >"$T/trailing.der"
expect_exit 3 "CSR with trailing data" issue --csr "$T/trailing.der" --profile tls-server
# Wrong signature: SM2 CSR signed with OpenSSL's empty default ID.
openssl req -new -key "$T/good.key" -sm3 -subj "/C=CN/O=Good/CN=Good" -out "$T/emptyid.csr"
expect_exit 5 "CSR signed with the wrong SM2 user ID" issue --csr "$T/emptyid.csr" --profile tls-server
expect_out "signature" "message names the signature"
python3 - "$T/good.der" "$T/badsig.der" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-3] ^= 0x40
open(sys.argv[2], 'wb').write(b)
PY
expect_exit 5 "CSR with a flipped signature bit" issue --csr "$T/badsig.der" --profile tls-server
expect_exit 6 "unknown profile" issue --csr "$T/good.csr" --profile no-such-profile
expect_out "no-such-profile" "message names the profile"
expect_exit 6 "profile name with a path" issue --csr "$T/good.csr" --profile ../egca
openssl req -new -newkey rsa:1024 -nodes -keyout "$T/weak.key" -subj "/CN=weak" -out "$T/weak.csr" 2>/dev/null
expect_exit 4 "RSA-1024 key" issue --csr "$T/weak.csr" --profile tls-server
expect_out "2048" "message names the key size rule"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:secp224r1 -nodes -keyout "$T/p224.key" \
	-subj "/CN=p224" -out "$T/p224.csr" 2>/dev/null
expect_exit 4 "P-224 key" issue --csr "$T/p224.csr" --profile tls-server
expect_exit 3 "bad subject: C must be two letters" issue --csr "$T/good.csr" \
	--profile tls-server --subject "C=China,CN=x"
expect_out "C" "message names the attribute"
long=$(printf 'x%.0s' $(seq 1 65))
expect_exit 3 "bad subject: CN over 64" issue --csr "$T/good.csr" --profile tls-server --subject "C=CN,CN=$long"
openssl req -new -key "$T/good.key" -sm3 -sigopt distid:1234567812345678 \
	-subj "/C=CHN/CN=x" -out "$T/badc.csr" 2>/dev/null
if [ -s "$T/badc.csr" ]; then
	expect_exit 3 "CSR with a three-letter country" issue --csr "$T/badc.csr" --profile tls-server
fi
expect_exit 4 "validity above the profile maximum" issue --csr "$T/good.csr" --profile tls-server --days 5000
openssl req -new -key "$d/keys/root.key" -passin "file:$PASSFILE" -sm3 \
	-sigopt distid:1234567812345678 -subj "/C=CN/CN=own" -out "$T/own.csr"
expect_exit 4 "a CSR carrying the CA's own key" issue --csr "$T/own.csr" --profile tls-server
expect_out "own public key" "message names the CA key rule"
printf 'wrong passphrase\n' >"$T/wrongpass"
expect_exit 5 "wrong passphrase" "$EGCA" cert issue --dir "$d" --csr "$T/good.csr" \
	--profile tls-server --passphrase-file "$T/wrongpass"
expect_out "passphrase" "message names the passphrase"
after=$(state)
if [ "$before" = "$after" ]; then pass "store unchanged by bad input ($after)"; else fail "store changed: $before -> $after"; fi
n=$(sql "$d" "SELECT count(*) FROM audit_event WHERE outcome = 'failure'")
if [ "$n" -ge 5 ]; then pass "refusals audited ($n)"; else fail "refusals audited: $n"; fi
check "audit chain intact after refusals" "$EGCA" audit verify --dir "$d"

expect_exit 7 "second init over an existing directory" init_ca "$d"
expect_exit 0 "first CA still there" "$EGCA" ca show --dir "$d" --json
expect_out '"status": "active"' "CA unchanged"
expect_exit 2 "CA validity above 3653 days" "$EGCA" init --dir "$T/long" \
	--validity-days 4000 --passphrase-file "$PASSFILE"
if [ ! -f "$T/long/egca.conf" ]; then pass "no data directory left by a refused init"; else fail "refused init left egca.conf"; fi
expect_exit 2 "unknown algorithm" "$EGCA" init --dir "$T/alg" --alg dsa --passphrase-file "$PASSFILE"
expect_exit 2 "unknown command" "$EGCA" frobnicate
expect_exit 2 "unknown option" "$EGCA" cert list --dir "$d" --frob
expect_exit 6 "not a data directory" "$EGCA" cert list --dir "$T/nowhere"
expect_exit 2 "bad revocation reason" "$EGCA" cert revoke --dir "$d" --reason nonsense 01
for c in "" init ca cert audit verify serve crl ocsp; do
	expect_exit 0 "egca $c --help" "$EGCA" $c --help
done
finish
