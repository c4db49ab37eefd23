#!/usr/bin/env bash
# Loss reports (Art. 31) over REST against a real egca serve: a holder,
# without any login, reports a lost certificate with the revocation code
# given at issuance or with a signature made with the certificate's own
# SM2 key (openssl pkeyutl, SM3 with the GM/T user ID). The certificate
# is put on hold at once (openssl ocsp against the server: revoked,
# certificateHold, within 2 seconds); an RA officer confirms and it is
# revoked with keyCompromise. A wrong code or a signature by another
# key is 401, audited, and OCSP still says good.
. "$(dirname "$0")/lib.sh"

d=$T/loss
check "init" init_ca "$d" --alg sm2 --subject "C=CN,O=Loss Test CA,CN=Loss Test Root"
"$EGCA" ca export --dir "$d" --out "$T/ca.pem"
serve_start "$d" || finish

failures() {
	sql "$d" "SELECT count(*) FROM audit_event WHERE outcome = 'failure' AND action = '$1'"
}
ocsp() {
	openssl ocsp -issuer "$T/ca.pem" -serial "0x$1" -url "$U/ocsp" \
		-noverify -no_nonce >"$T/ocsp.txt" 2>&1
}
# ocsp_within SECONDS DESC SERIAL STATUS [REASON]: polls the server.
ocsp_within() {
	local n=$(($1 * 10)) desc=$2 serial=$3 st=$4 reason=${5:-} _
	for _ in $(seq 1 "$n"); do
		ocsp "$serial"
		if grep -q "^0x$serial: $st\$" "$T/ocsp.txt" &&
			{ [ -z "$reason" ] || grep -q "Reason: $reason" "$T/ocsp.txt"; }; then
			pass "$desc"
			return
		fi
		sleep 0.1
	done
	fail "$desc: wanted $st $reason"
	sed 's/^/    /' "$T/ocsp.txt" | head -6
}
ocsp_now() {
	ocsp "$2"
	grep -q "^0x$2: $3\$" "$T/ocsp.txt" && pass "$1" ||
		{ fail "$1: wanted $3"; sed 's/^/    /' "$T/ocsp.txt" | head -6; }
}
uscc() {
	python3 - "$1" "$2" <<'PY'
import sys
region, org = sys.argv[1], sys.argv[2]
al = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ow = [3, 7, 9, 10, 5, 8, 4, 2]
v = lambda c: int(c) if c.isdigit() else ord(c) - 55
c = 11 - sum(v(ch) * w for ch, w in zip(org, ow)) % 11
org += "X" if c == 10 else "0" if c == 11 else str(c)
body = "91" + region + org
w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
print(body + al[(31 - sum(al.index(ch) * x for ch, x in zip(body, w)) % 31) % 31])
PY
}
# issue NAME: a certificate for the subscriber through the RA; key in
# $T/NAME.key, PEM in $T/NAME.pem, serial in SERIAL, code in CODE.
issue() {
	local got app digest
	sm2_csr "$T/$1.key" "$T/$1.csr" "/C=CN/O=Loss Test Co Ltd/CN=$1" 2>/dev/null
	got=$(api token:opa POST /api/v1/applications \
		"$(json kind new subscriber "$SUB" profile org-sign csr "@$T/$1.csr")")
	app=$(jf 'd["id"]')
	digest=$(jf 'd["digest"]')
	[ "$got" = 201 ] || { fail "issue $1: submit HTTP $got"; return 1; }
	got=$(api token:rva POST "/api/v1/applications/$app/approve" "{\"digest\":\"$digest\"}")
	[ "$got" = 200 ] || { fail "issue $1: approve HTTP $got"; return 1; }
	jf 'd["certificate"]["pem"]' >"$T/$1.pem"
	SERIAL=$(jf 'd["certificate"]["serial"]')
	CODE=$(jf 'd["revocation_code"]')
	pass "certificate $1 issued through the RA (serial $SERIAL)"
}
# report JSON: POSTs a loss report without credentials; prints the status.
report() { api anon POST /api/v1/loss-reports "$1"; }
# sign_report KEY SERIAL TIME: base64 SM2 signature over the statement.
sign_report() {
	printf 'egca-loss-report\nroot\n%s\n%s\n' "$2" "$3" >"$T/msg"
	openssl pkeyutl -sign -rawin -digest sm3 -inkey "$1" -in "$T/msg" \
		-pkeyopt distid:1234567812345678 -out "$T/sig" && base64 -w0 "$T/sig"
}

# ---- the RA: point, operator, reviewers, a subscriber ----

op_bootstrap "$d" || { fail "bootstrap"; finish; }
op_new sysad sysadmin >/dev/null || { fail "sysadmin"; finish; }
api token:sysad POST /api/v1/points '{"id":"hz","name":"Hangzhou","home_region":"330000"}' >/dev/null
api token:sysad POST /api/v1/points/hz/regions '{"region":"330100"}' >/dev/null
api token:sysad POST /api/v1/points '{"id":"bj","name":"Beijing","home_region":"110000"}' >/dev/null
op_new opa ra-operator --point hz >/dev/null && op_new rva ra-reviewer --point hz >/dev/null &&
	op_new opz ra-operator --point bj >/dev/null && pass "operators and reviewer" ||
	{ fail "operators"; finish; }
want "subscriber" "$(api token:opa POST /api/v1/subscribers \
	"$(json type enterprise name "Loss Test Co Ltd" uscc "$(uscc 330106 MA2H7K1P)" region 330106)")" 201
SUB=$(jf 'd["id"]')

# ---- with the revocation code ----

issue one || finish
S1=$SERIAL
CODE1=$CODE
[ ${#CODE1} -ge 16 ] && pass "a revocation code was given once" || fail "revocation code '$CODE1'"
ocsp_now "openssl ocsp: good after issuance" "$S1" good

before=$(failures loss.report)
want "a wrong code: 401" "$(report "$(json serial "$S1" revocation_code "not-the-code-0000")")" 401
[ "$(failures loss.report)" -gt "$before" ] && pass "  ... audited" || fail "  ... not audited"
grep -q "not-the-code" "$T/body" && fail "  ... the code echoed" || pass "  ... the code not echoed"
grep -q "not-the-code" "$d/egca.db" 2>/dev/null && fail "  ... the code stored" || true
want "  ... no report stored" "$(sql "$d" "SELECT count(*) FROM loss_report")" 0
sleep 1.5
ocsp_now "  ... openssl ocsp: still good" "$S1" good
want "a report with an unknown member: 400" "$(report "$(json serial "$S1" revocation_code "$CODE1" colour red)")" 400
want "  ... naming it" "$(jf 'd["param"]')" colour
want "code and signature both: 400" "$(report "$(json serial "$S1" revocation_code "$CODE1" signature AAAA time "#1")")" 400
want "a report for an unknown certificate: 401 (no oracle)" \
	"$(report "$(json serial 0123456789abcdef revocation_code "$CODE1")")" 401

want "the holder reports with the code (no login): 202" \
	"$(report "$(json serial "$S1" revocation_code "$CODE1" statement "lost on the metro")")" 202
R1=$(jf 'd["report"]')
want "  ... held" "$(jf 'd["state"]')" held
ocsp_within 2 "  ... openssl ocsp: on hold within 2 s" "$S1" revoked certificateHold
want "reports listed (reviewer)" "$(api token:rva GET '/api/v1/loss-reports?state=held')" 200
want "  ... the report, held, by code" "$(jf '[(i["id"], i["state"], i["method"]) for i in d["items"]]')" \
	"[[\"$R1\", \"held\", \"code\"]]"
want "  ... with the holder's statement" "$(jf 'd["items"][0]["statement"]')" "lost on the metro"
want "reports of another point: none" "$(api token:opz GET /api/v1/loss-reports)" 200
want "  ... empty" "$(jf 'len(d["items"])')" 0
want "reports listed without a login: 401" "$(api anon GET /api/v1/loss-reports)" 401
want "another point's operator confirms: 404" "$(api token:opz POST "/api/v1/loss-reports/$R1/confirm")" 404
want "the reviewer confirms: 200" "$(api token:rva POST "/api/v1/loss-reports/$R1/confirm")" 200
want "  ... confirmed" "$(jf 'd["state"]')" confirmed
ocsp_within 10 "  ... openssl ocsp: revoked, keyCompromise" "$S1" revoked keyCompromise
want "confirming again: 409" "$(api token:rva POST "/api/v1/loss-reports/$R1/confirm")" 409
want "reporting a revoked certificate: 409" "$(report "$(json serial "$S1" revocation_code "$CODE1")")" 409

# ---- with a signature by the certificate's key ----

issue two || finish
S2=$SERIAL
sm2_csr "$T/other.key" "$T/other.csr" "/CN=other" 2>/dev/null
now=$(date +%s)
sig=$(sign_report "$T/other.key" "$S2" "$now")
before=$(failures loss.report)
want "signed by another key: 401" "$(report "$(json serial "$S2" signature "$sig" time "#$now")")" 401
[ "$(failures loss.report)" -gt "$before" ] && pass "  ... audited" || fail "  ... not audited"
sig=$(sign_report "$T/two.key" "$S2" $((now - 1000)))
want "signed 1000 s ago: 401" "$(report "$(json serial "$S2" signature "$sig" time "#$((now - 1000))")")" 401
sig=$(sign_report "$T/two.key" "$S2" "$now")
want "a signature for another time than stated: 401" \
	"$(report "$(json serial "$S2" signature "$sig" time "#$((now + 1))")")" 401
want "a signature that is not base64: 400" "$(report "$(json serial "$S2" signature "%%%" time "#$now")")" 400
want "  ... naming signature" "$(jf 'd["param"]')" signature
want "a signature without its time: 400" "$(report "$(json serial "$S2" signature "$sig")")" 400
want "  ... naming time" "$(jf 'd["param"]')" time
ocsp_now "  ... openssl ocsp: still good" "$S2" good
openssl x509 -in "$T/two.pem" -noout -pubkey >"$T/two.pub"
printf 'egca-loss-report\nroot\n%s\n%s\n' "$S2" "$now" >"$T/msg"
base64 -d <<<"$sig" >"$T/sig.bin"
check "the signature verifies with the certificate's key (openssl pkeyutl)" \
	openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey "$T/two.pub" -in "$T/msg" \
	-sigfile "$T/sig.bin" -pkeyopt distid:1234567812345678
want "signed with the certificate's SM2 key: 202" "$(report "$(json serial "$S2" signature "$sig" time "#$now")")" 202
R2=$(jf 'd["report"]')
ocsp_within 2 "  ... openssl ocsp: on hold within 2 s" "$S2" revoked certificateHold
api token:opa GET /api/v1/loss-reports >/dev/null
want "  ... listed, by signature" "$(jf "[i['method'] for i in d['items'] if i['id'] == '$R2']")" '["signature"]'
want "the operator confirms" "$(api token:opa POST "/api/v1/loss-reports/$R2/confirm")" 200
ocsp_within 10 "  ... openssl ocsp: revoked, keyCompromise" "$S2" revoked keyCompromise

"$EGCA" audit verify --dir "$d" >"$T/out" 2>&1 && pass "audit chain verifies" ||
	{ fail "audit verify"; head "$T/out"; }
finish
