#!/usr/bin/env bash
# Dual certificates and user key recovery end to end: a KM (egca km
# init, egca km serve with mutual TLS, unsealed by 2 of 3 custodians,
# the CA on its trust list), a CA whose egca.conf "km" names it, and
# egca serve. Through the REST API, as real operators with API tokens:
# - a "new" application with enc_profile gov-enc and an SM2 CSR: both
#   certificates; subjects byte-identical (openssl x509 -nameopt RFC2253
#   and the DER of the subject cut out at the offsets openssl asn1parse
#   gives); the encryption keyUsage; the envelope (GET .../envelope)
#   opened by egca envelope open with the holder's signing key and the
#   encryption certificate, the key compared with openssl pkey, and by
#   BouncyCastle; the SKF blob opens too;
# - recover: two approvals from two reviewers (one is not enough), a new
#   signing certificate, the old one revoked superseded (openssl ocsp
#   against the server), the new envelope opens with the NEW signing key
#   to the SAME private key and not with the old key;
# - a revoke application of the encryption certificate: the KM's key
#   revoked and kept (its store);
# - the KM sealed (409), then down (503): the dual application fails,
#   no certificate is issued; back up, the retry issues the pair;
# - the single-node KM ("km": {"dir"}) opened by egca app approve /
#   execute with --km-share: one share leaves it sealed (nothing
#   issued), two issue the pair; egca app envelope --format skf.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
d=$T/ca
k=$T/km
eg() { "$EGCA" "$@"; }

uscc() {
	python3 - "$1" "$2" <<'PY'
import sys
region, org = sys.argv[1], sys.argv[2]
al = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ow = [3, 7, 9, 10, 5, 8, 4, 2]
v = lambda c: int(c) if c.isdigit() else ord(c) - 55
c = 11 - sum(v(ch) * w for ch, w in zip(org, ow)) % 11
org += "X" if c == 10 else "0" if c == 11 else str(c)
body = "11" + region + org
w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
print(body + al[(31 - sum(al.index(ch) * x for ch, x in zip(body, w)) % 31) % 31])
PY
}
priv_hex() {
	openssl pkey -in "$1" -text -noout |
		sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n' |
		sed 's/^00\(.\{64\}\)$/\1/'
}
BCE_CLASSES=${EGCA_BUILD_DIR:-$T}/bcenvelope-$(sha1sum "$SRC/tests/tools/BcEnvelope.java" | cut -c1-12)
bcenvelope() {
	if [ ! -f "$BCE_CLASSES/BcEnvelope.class" ]; then
		local tmp
		tmp=$(mktemp -d "$T/bce.XXXXXX")
		javac -nowarn -cp /usr/share/java/bcprov.jar -d "$tmp" \
			"$SRC/tests/tools/BcEnvelope.java" >/dev/null 2>&1
		mkdir -p "$(dirname "$BCE_CLASSES")"
		mv -T "$tmp" "$BCE_CLASSES" 2>/dev/null || true
	fi
	java -cp "/usr/share/java/bcprov.jar:$BCE_CLASSES" BcEnvelope "$@"
}
# subject_der CERT.pem OUT: the subject Name's DER, cut out of the
# certificate at the offset openssl asn1parse gives (the 6th element of
# the TBSCertificate: version, serial, signature, issuer, validity,
# subject).
subject_der() {
	local line off hl l
	openssl x509 -in "$1" -outform DER -out "$1.der" || return 1
	line=$(openssl asn1parse -inform DER -in "$1.der" | grep ':d=2 ' | sed -n 6p)
	off=$(echo "$line" | sed 's/^ *\([0-9]*\):.*/\1/')
	hl=$(echo "$line" | sed 's/.*hl= *\([0-9]*\).*/\1/')
	l=$(echo "$line" | sed 's/.* l= *\([0-9]*\).*/\1/')
	dd if="$1.der" of="$2" bs=1 skip="$off" count=$((hl + l)) 2>/dev/null
}
count_certs() { sql "$d" "SELECT count(*) FROM certificate"; }
keys() { sql "$k" "SELECT count(*) FROM escrowed_key"; }
ocsp_is() {
	local out _
	for _ in $(seq 1 50); do
		openssl ocsp -issuer "$T/ca.pem" -serial "0x$2" -url "$U/ocsp" \
			-noverify -no_nonce >"$T/ocsp.txt" 2>&1
		out=$(cat "$T/ocsp.txt")
		if echo "$out" | grep -q "^0x$2: $3\$" &&
			{ [ -z "${4:-}" ] || echo "$out" | grep -q "Reason: $4"; }; then
			pass "$1"
			return
		fi
		sleep 0.2
	done
	fail "$1: wanted $3 ${4:-}"
	sed 's/^/    /' "$T/ocsp.txt" | head -8
}
approve() { api "$1" POST "/api/v1/applications/$2/approve" "{\"digest\":\"$3\"}"; }
submit() {
	ST=$(api "$1" POST /api/v1/applications "$2")
	APP=$(jf 'd["id"]')
	DIGEST=$(jf 'd["digest"]')
}

# ---- the CA ----
check "an SM2 CA" init_ca "$d" --alg sm2 --subject "C=CN,O=Dual Test CA,CN=Dual Test Root"
eg ca export --dir "$d" --out "$T/ca.pem"
# store_uri runs in a subshell here (its PG_DB is lost): the test drops
# the databases of both stores itself at exit.
CA_STORE=$(sed -n 's/.*"store": *"\(.*\)".*/\1/p' "$d/egca.conf")

# ---- the KM: ceremony, TLS, serve, unseal, operators, trust ----
KM_STORE=$(store_uri)
check "km init: 2 of 3" eg km init --dir "$k" --store "$KM_STORE" --custodians 3 \
	--threshold 2 --share-dir "$T/shares" --passphrase-file "$PASSFILE"
cp "$T/out" "$T/km.init"
S1=$(ls "$T"/shares/*-1-of-3.txt)
S2=$(ls "$T"/shares/*-2-of-3.txt)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tlsca.key \
	-out tlsca.pem -subj /CN=km-tls-test-ca -days 2 2>/dev/null
tls_cert() { # NAME CN [SAN]
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=$2" 2>/dev/null &&
		openssl x509 -req -in "$1.csr" -CA tlsca.pem -CAkey tlsca.key -CAcreateserial \
			-out "$1.pem" -days 2 ${3:+-extfile <(printf 'subjectAltName=%s\n' "$3")} 2>/dev/null
}
tls_cert srv 127.0.0.1 IP:127.0.0.1
tls_cert cli "egca CA client"
chmod 600 cli.key

KM_PID=""
km_start() {
	local _
	: >"$T/km.err"
	"$EGCA" km serve --dir "$k" --listen 127.0.0.1 --port "${1:-0}" --tls-cert srv.pem \
		--tls-key srv.key --tls-client-ca tlsca.pem --passphrase-file "$PASSFILE" \
		2>"$T/km.err" &
	KM_PID=$!
	KM_PORT=""
	for _ in $(seq 1 100); do
		KM_PORT=$(sed -n 's#.*listening on https://127.0.0.1:\([0-9]*\).*#\1#p' "$T/km.err")
		[ -n "$KM_PORT" ] && break
		sleep 0.1
	done
	[ -n "$KM_PORT" ]
}
km_stop() {
	local rc=0
	[ -n "$KM_PID" ] || return 0
	kill -TERM "$KM_PID" 2>/dev/null
	wait "$KM_PID" 2>/dev/null || rc=$?
	KM_PID=""
	return $rc
}
drop_ca_db() {
	local u db
	[ "$EGCA_BACKEND" = postgres ] || return 0
	for u in "$CA_STORE" "$KM_STORE"; do
		db=$(echo "$u" | sed -n 's#^postgres[a-z]*://[^/]*/\([a-z0-9_]*\).*#\1#p')
		[ -n "$db" ] && psql -q "$EGCA_PG_URI" \
			-c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	done
	return 0
}
trap 'km_stop; serve_stop; drop_ca_db; cleanup' EXIT
if km_start; then pass "egca km serve on $KM_PORT"; else
	fail "egca km serve did not start"
	sed 's/^/    /' "$T/km.err"
	finish
fi
check "custodian 1 unseals" eg km unseal --dir "$k" --share "$S1"
check "custodian 2 unseals" eg km unseal --dir "$k" --share "$S2"

# The KM's security administrator puts the CA on the trust list.
otp=$(sed -n 's/^one-time password for secadmin.*: \([A-Z2-7]*\)$/\1/p' "$T/km.init")
printf '%s\n' "$otp" >"$T/kmsec.otp"
printf '%s\n' "$OP_PASSWORD" >"$T/kmsec.pw"
km_onboard() {
	local secret
	eg operator passwd --dir "$k" --operator secadmin --password-file "$T/kmsec.otp" \
		--new-password-file "$T/kmsec.pw" >/dev/null || return 1
	eg operator totp-enroll --dir "$k" --operator secadmin --password-file "$T/kmsec.pw" \
		--json >"$T/kmsec.enroll" || return 1
	secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$T/kmsec.enroll")
	eg operator totp-confirm --dir "$k" --operator secadmin --password-file "$T/kmsec.pw" \
		"$(oathtool --totp -b "$secret")" >/dev/null || return 1
	eg operator token create --dir "$k" --operator secadmin --password-file "$T/kmsec.pw" \
		--totp "$(oathtool --totp -b "$secret" --now "$(date -u -d @$(($(date +%s) + 30)) '+%Y-%m-%d %H:%M:%S UTC')")" \
		--ttl 1h --label it-dual >"$T/kmsec.tok"
}
check "the KM's secadmin is onboarded" km_onboard
check "the KM trusts the CA" eg km trust add --dir "$k" --token-file "$T/kmsec.tok" --cert "$T/ca.pem"

# ---- egca.conf "km": HTTPS with mutual TLS ----
python3 - "$d/egca.conf" "$T" "$k" "$KM_PORT" <<'PY'
import json, sys
p, t, k, port = sys.argv[1:]
c = json.load(open(p))
c["km"] = {"url": "https://127.0.0.1:" + port, "client_cert": t + "/cli.pem",
           "client_key": t + "/cli.key", "ca_bundle": t + "/tlsca.pem",
           "km_cert": k + "/km.pem"}
json.dump(c, open(p, "w"), indent=2)
PY
serve_start "$d" || finish
trap 'km_stop; serve_stop; drop_ca_db; cleanup' EXIT

# ---- people: a point, an operator, two reviewers, a subscriber ----
op_bootstrap "$d" && pass "CA security administrator" || { fail "bootstrap"; finish; }
op_new sysad sysadmin >/dev/null && pass "system administrator" || { fail "sysadmin"; finish; }
want "point hz" "$(api token:sysad POST /api/v1/points \
	'{"id":"hz","name":"杭州受理点","home_region":"330000"}')" 201
want "region 330106" "$(api token:sysad POST /api/v1/points/hz/regions '{"region":"330106"}')" 201
op_new opa ra-operator --point hz >/dev/null && pass "operator opa" || fail "operator opa"
op_new rva ra-reviewer --point hz >/dev/null && pass "reviewer rva" || fail "reviewer rva"
op_new rvb ra-reviewer --point hz >/dev/null && pass "reviewer rvb" || fail "reviewer rvb"
want "a government subscriber" "$(api token:opa POST /api/v1/subscribers \
	"$(json type government name "Hangzhou Bureau of Data" uscc "$(uscc 330106 MB1A2B3C)" \
		region 330106 department "Hangzhou Bureau of Data")")" 201
SUB=$(jf 'd["id"]')
[ -n "$SUB" ] || { fail "no subscriber: $(cat "$T/body")"; finish; }

# ---- a dual issuance ----
SUBJ="/C=CN/O=Hangzhou Bureau of Data/CN=Data Officer"
sm2_csr "$T/holder_sign.key" "$T/c1.csr" "$SUBJ" 2>/dev/null
c0=$(count_certs)
submit token:opa "$(json kind new subscriber "$SUB" profile gov-sign enc_profile gov-enc csr "@$T/c1.csr")"
want "dual: submitted" "$ST" 201
want "dual: approved and executed" "$(approve token:rva "$APP" "$DIGEST")" 200
A1=$APP
want "  ... executed" "$(jf 'd["state"]')" executed
jf 'd["certificate"]["pem"]' >"$T/sign.pem"
jf 'd["encryption_certificate"]["pem"]' >"$T/enc.pem"
SIGN=$(jf 'd["certificate"]["serial"]')
ENC=$(jf 'd["encryption_certificate"]["serial"]')
jf 'd["envelope"]' | base64 -d >"$T/resp-env.der"
jf 'd["envelope_skf"]' | base64 -d >"$T/resp-env.skf"
[ -n "$SIGN" ] && [ -n "$ENC" ] && [ "$SIGN" != "$ENC" ] && pass "  ... two certificates" ||
	fail "  ... serials '$SIGN' '$ENC'"
want "  ... two certificate rows" "$(count_certs)" $((c0 + 2))
want "  ... the SKF blob is 388 octets" "$(stat -c %s "$T/resp-env.skf")" 388
s1=$(openssl x509 -in "$T/sign.pem" -noout -subject -nameopt RFC2253)
s2=$(openssl x509 -in "$T/enc.pem" -noout -subject -nameopt RFC2253)
[ "$s1" = "$s2" ] && [ -n "$s1" ] && pass "  ... the same subject (RFC 2253): $s1" ||
	fail "  ... subjects '$s1' / '$s2'"
subject_der "$T/sign.pem" "$T/sign.subj" && subject_der "$T/enc.pem" "$T/enc.subj"
[ -s "$T/sign.subj" ] && cmp -s "$T/sign.subj" "$T/enc.subj" &&
	pass "  ... the subject DER is byte-identical (asn1parse offsets)" || fail "  ... subject DER differs"
openssl x509 -in "$T/enc.pem" -noout -ext keyUsage >"$T/ku.txt" 2>&1
grep -q critical "$T/ku.txt" && grep -q "Key Encipherment, Data Encipherment, Key Agreement" "$T/ku.txt" &&
	pass "  ... encryption keyUsage (critical)" || { fail "  ... keyUsage"; cat "$T/ku.txt"; }
openssl x509 -in "$T/sign.pem" -noout -ext keyUsage | grep -q "Digital Signature" &&
	pass "  ... signing keyUsage" || fail "  ... signing keyUsage"
[ "$(openssl x509 -in "$T/sign.pem" -noout -dates)" = "$(openssl x509 -in "$T/enc.pem" -noout -dates)" ] &&
	pass "  ... the same validity" || fail "  ... validity differs"
check "  ... BouncyCastle: the signing certificate verifies with the CA key" \
	bcverify cert "$T/sign.pem" "$T/ca.pem"
check "  ... BouncyCastle: the encryption certificate verifies with the CA key" \
	bcverify cert "$T/enc.pem" "$T/ca.pem"
want "  ... the KM escrowed one key" "$(keys)" 1
want "  ... under the encryption certificate's serial" \
	"$(sql "$k" "SELECT cert_no FROM escrowed_key" | tr A-F a-f | sed 's/^0*//')" "$(echo "$ENC" | sed 's/^0*//')"
want "  ... the pair is linked" "$(sql "$d" "SELECT sign_serial || ' ' || enc_serial FROM cert_pair")" "$SIGN $ENC"

want "envelope (DER) downloaded by the operator" "$(api token:opa GET "/api/v1/applications/$A1/envelope?format=der")" 200
cp "$T/body" "$T/env.der"
cmp -s "$T/env.der" "$T/resp-env.der" && pass "  ... the envelope of the approval's answer" || fail "  ... another envelope"
expect_exit 0 "egca envelope open with the holder's signing key and the enc certificate" \
	eg envelope open --key "$T/holder_sign.key" --in "$T/env.der" --cert "$T/enc.pem" --out "$T/enc.key"
openssl pkey -in "$T/enc.key" -pubout -out "$T/enc-from-key.pub" 2>/dev/null
openssl x509 -in "$T/enc.pem" -noout -pubkey >"$T/enc-from-cert.pub"
check "  ... openssl pkey: the key's public half is the certificate's" cmp "$T/enc-from-key.pub" "$T/enc-from-cert.pub"
D=$(priv_hex "$T/enc.key")
[ ${#D} = 64 ] && pass "  ... a 32-octet private scalar" || fail "  ... scalar '$D'"
if command -v javac >/dev/null && [ -f /usr/share/java/bcprov.jar ]; then
	openssl pkcs8 -topk8 -nocrypt -in "$T/holder_sign.key" -out "$T/holder_sign.p8" 2>/dev/null
	got=$(bcenvelope open "$T/env.der" "$T/holder_sign.p8" 2>&1)
	[ "$(echo "$got" | tr A-F a-f)" = "$D" ] && pass "  ... BouncyCastle opens it to the same key" ||
		fail "  ... BouncyCastle: $got"
else
	fail "BouncyCastle (javac, bcprov.jar) not available"
fi
want "envelope (SKF) downloaded" "$(api token:opa GET "/api/v1/applications/$A1/envelope?format=skf")" 200
cp "$T/body" "$T/env.skf"
cmp -s "$T/env.skf" "$T/resp-env.skf" && pass "  ... the SKF blob of the answer" || fail "  ... another SKF blob"
expect_exit 0 "  ... the SKF blob opens" eg envelope open --key "$T/holder_sign.key" --in "$T/env.skf" \
	--format skf --cert "$T/enc.pem" --out "$T/enc-skf.key"
[ "$(priv_hex "$T/enc-skf.key")" = "$D" ] && pass "  ... to the same key" || fail "  ... another key"
b=$(sql "$d" "SELECT count(*) FROM audit_event WHERE action = 'app.envelope' AND outcome = 'failure'")
want "envelope with a bad format: 400" "$(api token:opa GET "/api/v1/applications/$A1/envelope?format=pem")" 400
want "  ... audited" "$(sql "$d" "SELECT count(*) FROM audit_event WHERE action = 'app.envelope' AND outcome = 'failure'")" $((b + 1))
want "a reviewer may not download it: 403" "$(api token:rva GET "/api/v1/applications/$A1/envelope")" 403
want "  ... downloads audited" \
	"$(sql "$d" "SELECT count(*) FROM audit_event WHERE action = 'app.envelope' AND outcome = 'success'")" 2

# ---- user key recovery ----
sm2_csr "$T/holder_sign2.key" "$T/c2.csr" "/C=CN/O=Other/CN=Ignored" 2>/dev/null
want "recover naming the signing certificate: 400" "$(api token:opa POST /api/v1/applications \
	"$(json kind recover subscriber "$SUB" serial "$SIGN" csr "@$T/c2.csr")")" 400
want "  ... naming serial" "$(jf 'd["param"]')" serial
want "recover with the old signing key: 403" "$(api token:opa POST /api/v1/applications \
	"$(json kind recover subscriber "$SUB" serial "$ENC" csr "@$T/c1.csr")")" 403
submit token:opa "$(json kind recover subscriber "$SUB" serial "$ENC" csr "@$T/c2.csr")"
want "recover: submitted" "$ST" 201
R=$APP
want "  ... two approvals required" "$(jf 'd["required_approvals"]')" 2
c1=$(count_certs)
want "recover: first approval" "$(approve token:rva "$R" "$DIGEST")" 200
want "  ... not enough: still submitted" "$(jf 'd["state"]')" submitted
want "  ... no certificate yet" "$(count_certs)" "$c1"
want "  ... the same reviewer again: 409" "$(approve token:rva "$R" "$DIGEST")" 409
want "recover: second approval (another reviewer) executes" "$(approve token:rvb "$R" "$DIGEST")" 200
want "  ... executed" "$(jf 'd["state"]')" executed
jf 'd["certificate"]["pem"]' >"$T/sign2.pem"
SIGN2=$(jf 'd["certificate"]["serial"]')
want "  ... the old signing certificate superseded" "$(jf 'd["superseded"]')" "$SIGN"
want "  ... the encryption certificate named" "$(jf 'd["encryption_certificate"]["serial"]')" "$ENC"
want "  ... one new certificate" "$(count_certs)" $((c1 + 1))
subject_der "$T/sign2.pem" "$T/sign2.subj"
cmp -s "$T/sign2.subj" "$T/enc.subj" && pass "  ... the new signing certificate has the pair's subject DER" ||
	fail "  ... subject differs"
openssl x509 -in "$T/sign2.pem" -noout -pubkey >"$T/sign2.pub"
openssl pkey -in "$T/holder_sign2.key" -pubout >"$T/holder2.pub"
check "  ... for the new signing key" cmp "$T/sign2.pub" "$T/holder2.pub"
ocsp_is "  ... openssl ocsp: the old signing certificate revoked (superseded)" "$SIGN" revoked superseded
ocsp_is "  ... openssl ocsp: the new one good" "$SIGN2" good
ocsp_is "  ... openssl ocsp: the encryption certificate still good" "$ENC" good
want "  ... still one key at the KM" "$(keys)" 1
want "recovered envelope downloaded" "$(api token:opa GET "/api/v1/applications/$R/envelope")" 200
cp "$T/body" "$T/env2.der"
expect_exit 0 "  ... opens with the NEW signing key" eg envelope open --key "$T/holder_sign2.key" \
	--in "$T/env2.der" --cert "$T/enc.pem" --out "$T/enc2.key"
[ "$(priv_hex "$T/enc2.key")" = "$D" ] && pass "  ... to the SAME encryption private key" ||
	fail "  ... another key"
expect_exit 5 "  ... not with the old signing key" eg envelope open --key "$T/holder_sign.key" \
	--in "$T/env2.der" --out "$T/enc2-old.key"

# ---- revoke the encryption certificate: the KM archives its key ----
submit token:opa "$(json kind revoke subscriber "$SUB" serial "$ENC" reason keyCompromise)"
want "revoke enc: submitted" "$ST" 201
want "revoke enc: executed" "$(approve token:rva "$APP" "$DIGEST")" 200
want "  ... executed" "$(jf 'd["state"]')" executed
ocsp_is "  ... openssl ocsp: revoked" "$ENC" revoked keyCompromise
want "  ... the KM's key is revoked" "$(sql "$k" "SELECT state FROM escrowed_key")" revoked
want "  ... and kept (retention)" \
	"$(sql "$k" "SELECT count(*) FROM escrowed_key WHERE retain_until > revoked_at + 3000*86400 AND wrapped IS NOT NULL")" 1
want "a recovery of the revoked encryption certificate: refused" "$(api token:opa POST /api/v1/applications \
	"$(json kind recover subscriber "$SUB" serial "$ENC" csr "@$T/c2.csr")")" 409

# ---- the KM sealed, then down: nothing issued ----
check "the custodians' KM is sealed" eg km seal --dir "$k"
sm2_csr "$T/holder_sign3.key" "$T/c3.csr" "$SUBJ" 2>/dev/null
c2=$(count_certs)
k2=$(keys)
submit token:opa "$(json kind new subscriber "$SUB" profile gov-sign enc_profile gov-enc csr "@$T/c3.csr")"
want "dual while the KM is sealed: 409" "$(approve token:rva "$APP" "$DIGEST")" 409
grep -q "sealed" "$T/body" && pass "  ... saying the KM is sealed" || fail "  ... detail: $(cat "$T/body")"
want "  ... no certificate issued" "$(count_certs)" "$c2"
want "  ... no key generated" "$(keys)" "$k2"
api token:opa GET "/api/v1/applications/$APP" >/dev/null
want "  ... the application failed" "$(jf 'd["state"]')" failed
want "  ... no envelope for it: 404" "$(api token:opa GET "/api/v1/applications/$APP/envelope")" 404
check "the KM stops" km_stop
want "dual while the KM is down: 503" "$(api token:opa POST "/api/v1/applications/$APP/execute")" 503
grep -q "key management centre" "$T/body" && pass "  ... saying the KM cannot be reached" ||
	fail "  ... detail: $(cat "$T/body")"
want "  ... no certificate issued" "$(count_certs)" "$c2"
# The KM back (same port) and unsealed: the retry issues the pair.
if km_start "$KM_PORT"; then
	check "  ... custodian 1" eg km unseal --dir "$k" --share "$S1"
	check "  ... custodian 2" eg km unseal --dir "$k" --share "$S2"
	want "  ... the retry executes" "$(api token:opa POST "/api/v1/applications/$APP/execute")" 200
	want "  ... two certificates" "$(count_certs)" $((c2 + 2))
else
	fail "egca km serve did not restart on $KM_PORT"
fi

# ---- the single-node KM: in the CLI's process (egca app --km-share) ----
check "the KM service stops (the CLI opens its directory itself)" km_stop
python3 - "$d/egca.conf" "$k" <<'PY'
import json, sys
p, k = sys.argv[1:]
c = json.load(open(p))
c["km"] = {"dir": k}
json.dump(c, open(p, "w"), indent=2)
PY
sm2_csr "$T/holder_sign4.key" "$T/c4.csr" "$SUBJ" 2>/dev/null
submit token:opa "$(json kind new subscriber "$SUB" profile gov-sign enc_profile gov-enc csr "@$T/c4.csr")"
want "dual for the in-process KM: submitted" "$ST" 201
c3=$(count_certs)
CLI_AUTH="--dir $d --token-file $OPDIR/rva.token"
# shellcheck disable=SC2086
expect_exit 8 "egca app approve with one share of two: the KM stays sealed" \
	eg app approve "$APP" $CLI_AUTH --digest "$DIGEST" --passphrase-file "$PASSFILE" \
	--km-share "$S1" --km-passphrase-file "$PASSFILE"
expect_out "sealed" "  ... saying so"
want "  ... no certificate issued" "$(count_certs)" "$c3"
# shellcheck disable=SC2086
expect_exit 0 "egca app execute with two shares: both certificates" \
	eg app execute "$APP" $CLI_AUTH --passphrase-file "$PASSFILE" --km-share "$S1" \
	--km-share "$S2" --km-passphrase-file "$PASSFILE" --out "$T/sign4.pem" \
	--enc-out "$T/enc4.pem" --envelope-out "$T/env4.der" --json
cp "$T/out" "$T/exec4.json"
want "  ... executed" "$(jfield "$T/exec4.json" 'd["state"]')" executed
want "  ... two certificates" "$(count_certs)" $((c3 + 2))
subject_der "$T/sign4.pem" "$T/sign4.subj" && subject_der "$T/enc4.pem" "$T/enc4.subj"
cmp -s "$T/sign4.subj" "$T/enc4.subj" && pass "  ... the subject DER is byte-identical" ||
	fail "  ... subject DER differs"
expect_exit 0 "  ... the envelope opens with the holder's key" eg envelope open \
	--key "$T/holder_sign4.key" --in "$T/env4.der" --cert "$T/enc4.pem" --out "$T/enc4.key"
jfield "$T/exec4.json" 'd["envelope"]' | base64 -d >"$T/env4-json.der"
check "  ... the JSON's envelope is the same" cmp "$T/env4.der" "$T/env4-json.der"
expect_exit 0 "egca app envelope --format skf" eg app envelope "$APP" --dir "$d" \
	--token-file "$OPDIR/opa.token" --format skf --out "$T/env4.skf"
expect_exit 0 "  ... opens" eg envelope open --key "$T/holder_sign4.key" --in "$T/env4.skf" \
	--format skf --cert "$T/enc4.pem" --out "$T/enc4-skf.key"
[ "$(priv_hex "$T/enc4.key")" = "$(priv_hex "$T/enc4-skf.key")" ] && pass "  ... to the same key" ||
	fail "  ... another key"
expect_exit 2 "egca app envelope without --out" eg app envelope "$APP" --dir "$d" \
	--token-file "$OPDIR/opa.token"

# ---- egca.conf "km": refused when malformed, naming it ----
cp "$d/egca.conf" "$T/egca.conf.good"
bad_km() { # DESC JSON
	python3 - "$d/egca.conf" "$2" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["km"] = json.loads(sys.argv[2])
json.dump(c, open(p, "w"), indent=2)
PY
	expect_exit 3 "egca.conf km $1: refused" eg audit verify --dir "$d"
	expect_out "km" "  ... naming km"
	cp "$T/egca.conf.good" "$d/egca.conf"
}
bad_km "with both url and dir" '{"url": "https://127.0.0.1:1", "dir": "/tmp", "client_cert": "a", "client_key": "b", "ca_bundle": "c", "km_cert": "d"}'
bad_km "url without the TLS files" '{"url": "https://127.0.0.1:1"}'
bad_km "http:// url" '{"url": "http://127.0.0.1:1", "client_cert": "a", "client_key": "b", "ca_bundle": "c", "km_cert": "d"}'
bad_km "unknown member" '{"dir": "/tmp", "colour": "red"}'

check "the CA's audit chain verifies" eg audit verify --dir "$d"
check "the KM's audit chain verifies" eg audit verify --dir "$k"
finish
