#!/usr/bin/env bash
# The RA over REST against a real egca serve, with real logins (password
# + TOTP, API tokens) for every person:
# - registration points and their regions (system administrator);
# - subscribers with checked identity numbers (USCC, ID card): a wrong
#   check character is 400 naming the member and adds no row;
#   Idempotency-Key replays give the same id and no second row, the same
#   key with other content is 409;
# - every application kind end to end with real CSRs (openssl req, SM2
#   with the GM/T user ID), results checked with the openssl CLI:
#   x509 -text, ocsp against the running server (good, revoked
#   superseded, on hold, good again, revoked keyCompromise), extend
#   keeps the key (x509 -pubkey), sign+enc pairs refused 409 while no
#   KM is configured, recover of a signing certificate refused 400
#   (test_dual.sh has both with a KM);
# - four eyes (the submitter may not approve), M of N (revoke needs 2
#   here), approvals bound to the digest (a material added since, a
#   forged digest: 409), one approval per person (409);
# - materials: too big 413, wrong magic 400, wrong type 400, wrong media
#   type 415; content and SM3 header as stored;
# - scope (IDOR): another point's operator and reviewer get 404 for this
#   point's subscriber, application and material; an applicant sees only
#   its own subscriber and applications;
# - every refusal of a change leaves an audit record.
. "$(dirname "$0")/lib.sh"

d=$T/ra
check "init" init_ca "$d" --alg sm2 --subject "C=CN,O=RA Test CA,CN=RA Test Root"
# Revocation needs two reviewers here (M of N).
python3 - "$d/egca.conf" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["ra"] = {"approvals": {"revoke": 2}}
json.dump(c, open(p, "w"), indent=2)
PY
"$EGCA" ca export --dir "$d" --out "$T/ca.pem"
serve_start "$d" || finish

# ---- helpers ----

count() { sql "$d" "SELECT count(*) FROM $1"; }
failures() {
	sql "$d" "SELECT count(*) FROM audit_event WHERE outcome = 'failure' AND action = '$1'"
}
# refused DESC STATUS ACTION API-ARGS...: the status as wanted, and one
# more failure record of ACTION in the audit log. API-ARGS are api's, or
# apio's (curl options first, then --).
refused() {
	local desc=$1 st=$2 action=$3 before got
	shift 3
	before=$(failures "$action")
	case $1 in
	-*) got=$(apio "$@") ;;
	*) got=$(api "$@") ;;
	esac
	want "$desc" "$got" "$st"
	if [ "$(failures "$action")" -gt "$before" ]; then
		pass "$desc: audited ($action, failure)"
	else
		fail "$desc: no $action failure in the audit log"
	fi
}
# upload CRED APP TYPE MEDIA FILE [FILENAME]: POST a material.
upload() {
	curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' \
		-H "Authorization: Bearer $(cat "$OPDIR/${1#token:}.token")" \
		-H "Content-Type: $4" --data-binary @"$5" \
		"$U/api/v1/applications/$2/materials?type=$3&filename=${6:-file}"
}
# ocsp SERIAL: the openssl ocsp answer from the running server.
ocsp() {
	openssl ocsp -issuer "$T/ca.pem" -serial "0x$1" -url "$U/ocsp" \
		-noverify -no_nonce >"$T/ocsp.txt" 2>&1
	cat "$T/ocsp.txt"
}
# ocsp_is DESC SERIAL STATUS [REASON]: the answer is STATUS (with
# REASON) within 10 s. The change is in the store at once; the server's
# pre-signed answers follow within its next tick (about a second).
ocsp_is() {
	local out _
	for _ in $(seq 1 50); do
		out=$(ocsp "$2")
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
# approve CRED APP DIGEST: prints the status.
approve() { api "$1" POST "/api/v1/applications/$2/approve" "{\"digest\":\"$3\"}"; }
# submit CRED JSON: submits; ST (the status), APP and DIGEST.
submit() {
	ST=$(api "$1" POST /api/v1/applications "$2")
	APP=$(jf 'd["id"]')
	DIGEST=$(jf 'd["digest"]')
}
# cert_of NAME: the certificate PEM of the last execution into $T/NAME.pem
cert_of() { jf 'd["certificate"]["pem"]' >"$T/$1.pem"; jf 'd["certificate"]["serial"]'; }

# Identity numbers with correct check characters (GB 32100, GB 11643).
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
idcard() {
	python3 - "$1" <<'PY'
import sys
b = sys.argv[1]
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(b + "10X98765432"[sum(int(c) * x for c, x in zip(b, w)) % 11])
PY
}
# flip: the last character changed (a wrong check character).
flip() { local s=$1; echo "${s%?}$([ "${s: -1}" = 0 ] && echo 1 || echo 0)"; }

# ---- people and points ----

op_bootstrap "$d" && pass "security administrator logged in" || { fail "bootstrap"; finish; }
op_new sysad sysadmin >/dev/null && pass "system administrator" || { fail "sysadmin"; finish; }

want "point hz created" "$(api token:sysad POST /api/v1/points \
	'{"id":"hz","name":"杭州受理点","home_region":"330000"}')" 201
want "point: Location" "$(tr -d '\r' <"$T/headers" | sed -n 's/^Location: //Ip')" /api/v1/points/hz
want "point bj created" "$(api token:sysad POST /api/v1/points \
	'{"id":"bj","name":"北京受理点","home_region":"110000"}')" 201
want "duplicate point: 409" "$(api token:sysad POST /api/v1/points \
	'{"id":"hz","name":"again","home_region":"330000"}')" 409
refused "point with an unknown member: 400" 400 point.create token:sysad POST /api/v1/points \
	'{"id":"x1","name":"x","home_region":"330000","colour":"red"}'
want "  ... naming it" "$(jf 'd["param"]')" colour
want "region 330100 for hz" "$(api token:sysad POST /api/v1/points/hz/regions '{"region":"330100"}')" 201
want "  ... served at once (home province)" \
	"$(jf '[r["serving"] for r in d["regions"] if r["region"]=="330100"][0]')" true
want "region 320100 for hz without approval" \
	"$(api token:sysad POST /api/v1/points/hz/regions '{"region":"320100"}')" 201
want "  ... pending (outside the home province)" \
	"$(jf '[r["serving"] for r in d["regions"] if r["region"]=="320100"][0]')" false
want "region 110105 for bj" "$(api token:sysad POST /api/v1/points/bj/regions '{"region":"110105"}')" 201
want "points listed" "$(api token:sysad GET /api/v1/points)" 200
want "  ... both" "$(jf 'len(d["items"])')" 2

op_new opa ra-operator --point hz >/dev/null && pass "operator opa at hz" || fail "operator opa"
op_new rva ra-reviewer --point hz >/dev/null && pass "reviewer rva at hz" || fail "reviewer rva"
op_new rvb ra-reviewer --point hz >/dev/null && pass "reviewer rvb at hz" || fail "reviewer rvb"
op_new opr ra-operator,ra-reviewer --point hz >/dev/null && pass "operator+reviewer opr at hz" ||
	fail "operator opr"
op_new opz ra-operator --point bj >/dev/null && pass "operator opz at bj" || fail "operator opz"
op_new rvz ra-reviewer --point bj >/dev/null && pass "reviewer rvz at bj" || fail "reviewer rvz"

# ---- subscribers ----

USCC=$(uscc 330106 MA2H7K1P)
IDC=$(idcard 33010619800101123)
n0=$(count subscriber)
refused "enterprise with a wrong USCC check character: 400" 400 subscriber.create \
	token:opa POST /api/v1/subscribers \
	"$(json type enterprise name "Example Tech Co Ltd" uscc "$(flip "$USCC")" region 330106)"
want "  ... naming uscc" "$(jf 'd["param"]')" uscc
refused "individual with a wrong ID-card check character: 400" 400 subscriber.create \
	token:opa POST /api/v1/subscribers \
	"$(json type individual name "Zhang San" id_card "$(flip "$IDC")" region 330106)"
want "  ... naming id_card" "$(jf 'd["param"]')" id_card
refused "subscriber with a number for a name: 400" 400 subscriber.create \
	token:opa POST /api/v1/subscribers '{"type":"individual","name":5,"region":"330106"}'
want "  ... naming name" "$(jf 'd["param"]')" name
want "no subscriber row added by the refusals" "$(count subscriber)" "$n0"

ENT_BODY=$(json type enterprise name "Example Tech Co Ltd" uscc "$USCC" region 330106)
want "enterprise registered" "$(apio -H 'Idempotency-Key: ent-1' -- token:opa POST /api/v1/subscribers "$ENT_BODY")" 201
ENT=$(jf 'd["id"]')
want "  ... at the operator's point" "$(jf 'd["point"]')" hz
n1=$(count subscriber)
want "replay with the same Idempotency-Key: 201" \
	"$(apio -H 'Idempotency-Key: ent-1' -- token:opa POST /api/v1/subscribers "$ENT_BODY")" 201
want "  ... the same id" "$(jf 'd["id"]')" "$ENT"
want "  ... no second row" "$(count subscriber)" "$n1"
refused "same Idempotency-Key, other content: 409" 409 subscriber.create \
	-H 'Idempotency-Key: ent-1' -- token:opa POST /api/v1/subscribers \
	"$(json type enterprise name "Other Co Ltd" uscc "$USCC" region 330106)"
grep -q "Idempotency-Key" "$T/body" && pass "  ... saying why" || fail "  ... detail: $(cat "$T/body")"
want "  ... no row added" "$(count subscriber)" "$n1"
want "individual registered" "$(api token:opa POST /api/v1/subscribers \
	"$(json type individual name "Zhang San" id_card "$IDC" region 330106)")" 201
IND=$(jf 'd["id"]')
refused "subscriber in a region the point does not serve: 403" 403 subscriber.create \
	token:opa POST /api/v1/subscribers \
	"$(json type enterprise name "Nanjing Co" uscc "$(uscc 320102 MA1X2Y3K)" region 320102)"
want "subscribers listed (operator)" "$(api token:opa GET '/api/v1/subscribers?type=enterprise&per_page=5')" 200
want "  ... the enterprise only" "$(jf '[i["id"] for i in d["items"]]')" "[\"$ENT\"]"
want "subscriber list, unknown parameter: 400" "$(api token:opa GET '/api/v1/subscribers?colour=1')" 400

op_new appl applicant --subscriber "$ENT" >/dev/null && pass "applicant appl for the enterprise" ||
	fail "applicant appl"

# ---- a new certificate, materials, four eyes, the digest ----

sm2_csr "$T/k1.pem" "$T/c1.csr" "/C=CN/O=Example Tech Co Ltd/CN=Signer One" 2>/dev/null
sm2_csr "$T/k2.pem" "$T/c2.csr" "/C=CN/O=Example Tech Co Ltd/CN=Signer One" 2>/dev/null
n0=$(count application)
want "new: submitted" "$(apio -H 'Idempotency-Key: new-1' -- token:opa POST /api/v1/applications \
	"$(json kind new subscriber "$ENT" profile org-sign csr "@$T/c1.csr")")" 201
A1=$(jf 'd["id"]')
D1=$(jf 'd["digest"]')
want "  ... state submitted" "$(jf 'd["state"]')" submitted
want "  ... one approval required" "$(jf 'd["required_approvals"]')" 1
want "  ... a 64-hex digest" "$(jf 'len(d["digest"])')" 64
n1=$(count application)
want "application replay (same key): 201" "$(apio -H 'Idempotency-Key: new-1' -- token:opa POST \
	/api/v1/applications "$(json kind new subscriber "$ENT" profile org-sign csr "@$T/c1.csr")")" 201
want "  ... same id" "$(jf 'd["id"]')" "$A1"
want "  ... no second row" "$(count application)" "$n1"
want "one row for the application" "$((n1 - n0))" 1
cat "$T/c1.csr" "$T/c2.csr" >"$T/two.csr"
refused "application with two CSRs: 400" 400 app.submit token:opa POST /api/v1/applications \
	"$(json kind new subscriber "$ENT" profile org-sign csr "@$T/two.csr")"
want "  ... naming csr" "$(jf 'd["param"]')" csr
refused "application with an unknown profile: 400" 400 app.submit token:opa POST /api/v1/applications \
	"$(json kind new subscriber "$ENT" profile no-such csr "@$T/c1.csr")"
want "  ... naming profile" "$(jf 'd["param"]')" profile

# Materials.
printf '%%PDF-1.4\n%% egca test licence\n1 0 obj << /Type /Catalog >> endobj\n%%%%EOF\n' >"$T/lic.pdf"
printf '\211PNG\r\n\032\n0000IHDR' >"$T/id.png"
head -c $((5 * 1024 * 1024)) /dev/zero >"$T/big.pdf"
refused "material with wrong magic bytes: 400" 400 app.material \
	-H 'Content-Type: application/pdf' --data-binary @"$T/id.png" -- token:opa POST \
	"/api/v1/applications/$A1/materials?type=business-licence"
before=$(failures app.material)
want "material of an unknown type: 400" "$(upload token:opa "$A1" passport application/pdf "$T/lic.pdf")" 400
want "material of a text type: 415" "$(upload token:opa "$A1" other text/plain "$T/lic.pdf")" 415
want "material over 4 MiB: 413" "$(upload token:opa "$A1" other application/pdf "$T/big.pdf")" 413
[ "$(failures app.material)" -ge $((before + 2)) ] && pass "  ... the 400 and 415 audited" ||
	fail "  ... refusals of materials not audited"
want "material added (PDF)" "$(upload token:opa "$A1" business-licence application/pdf "$T/lic.pdf" licence.pdf)" 201
M1=$(jf 'd["id"]')
D2=$(jf 'd["digest"]')
want "  ... SM3 of the content" "$(jf 'd["sm3"]')" \
	"$(openssl dgst -sm3 -r "$T/lic.pdf" | cut -d' ' -f1)"
[ "$D2" != "$D1" ] && pass "  ... the application's digest changed" || fail "digest unchanged by a material"
want "material fetched" "$(api token:rva GET "/api/v1/applications/$A1/materials/$M1")" 200
cmp -s "$T/body" "$T/lic.pdf" && pass "  ... the same bytes" || fail "  ... other bytes"
want "  ... X-Content-SM3" "$(tr -d '\r' <"$T/headers" | sed -n 's/^X-Content-SM3: //Ip')" \
	"$(openssl dgst -sm3 -r "$T/lic.pdf" | cut -d' ' -f1)"
grep -qi '^Content-Type: application/pdf' "$T/headers" && pass "  ... Content-Type application/pdf" ||
	fail "  ... Content-Type"
head -c 70000 /dev/zero >"$T/pad"
cat "$T/lic.pdf" "$T/pad" >"$T/lic70k.pdf"
want "a 70 KiB material (over the server's 64 KiB default)" \
	"$(upload token:opa "$A1" application-form application/pdf "$T/lic70k.pdf")" 201
api token:rva GET "/api/v1/applications/$A1" >/dev/null
D2=$(jf 'd["digest"]')
want "materials listed" "$(api token:rva GET "/api/v1/applications/$A1/materials")" 200

# Four eyes and the digest.
submit token:opr "$(json kind new subscriber "$ENT" profile org-sign csr "@$T/c2.csr")"
want "opr submits" "$ST" 201
A0=$APP
refused "the submitter approves its own application: 403" 403 app.approve \
	token:opr POST "/api/v1/applications/$A0/approve" "{\"digest\":\"$DIGEST\"}"
refused "approval naming the digest before the material: 409" 409 app.approve \
	token:rva POST "/api/v1/applications/$A1/approve" "{\"digest\":\"$D1\"}"
refused "approval with a forged digest: 409" 409 app.approve \
	token:rva POST "/api/v1/applications/$A1/approve" "{\"digest\":\"$(printf '0%.0s' $(seq 64))\"}"
grep -q "not the current one" "$T/body" && pass "  ... saying the digest is not the current one" ||
	fail "  ... detail: $(cat "$T/body")"
refused "approval without a digest: 400" 400 app.approve \
	token:rva POST "/api/v1/applications/$A1/approve" '{}'
want "  ... naming digest" "$(jf 'd["param"]')" digest
want "the other point's reviewer approves: 404" "$(approve token:rvz "$A1" "$D2")" 404
want "approval with the current digest: 200" "$(approve token:rva "$A1" "$D2")" 200
want "  ... executed" "$(jf 'd["state"]')" executed
grep -qi '^Cache-Control: no-store' "$T/headers" && pass "  ... Cache-Control: no-store" ||
	fail "  ... no no-store"
CODE1=$(jf 'd["revocation_code"]')
[ -n "$CODE1" ] && pass "  ... a revocation code, once" || fail "  ... no revocation code"
S1=$(cert_of s1)
openssl x509 -in "$T/s1.pem" -noout -text >"$T/x509.txt" 2>&1 &&
	grep -q "Subject: .*CN *= *Signer One" "$T/x509.txt" &&
	grep -q "Issuer: .*CN *= *RA Test Root" "$T/x509.txt" &&
	pass "  ... openssl x509 -text: subject and issuer" ||
	{ fail "  ... openssl x509 -text"; head -20 "$T/x509.txt"; }
[ "$(openssl x509 -in "$T/s1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')" = "$(echo "$S1" | sed 's/^0*//')" ] &&
	pass "  ... serial as answered" || fail "  ... serial differs"
ocsp_is "  ... openssl ocsp: good" "$S1" good
want "approving again once executed: 409" "$(approve token:rvb "$A1" "$D2")" 409
want "the application shows the result" "$(api token:opa GET "/api/v1/applications/$A1")" 200
want "  ... result serial" "$(jf 'd["result"]["serial"]')" "$S1"
grep -q "$CODE1" "$T/body" && fail "  ... the revocation code shown again" ||
	pass "  ... the revocation code not shown again"

# ---- scope (IDOR) ----

want "other point's operator: GET subscriber 404" "$(api token:opz GET "/api/v1/subscribers/$ENT")" 404
want "other point's operator: GET application 404" "$(api token:opz GET "/api/v1/applications/$A1")" 404
want "other point's operator: GET materials 404" "$(api token:opz GET "/api/v1/applications/$A1/materials")" 404
want "other point's operator: GET material 404" \
	"$(api token:opz GET "/api/v1/applications/$A1/materials/$M1")" 404
refused "other point's operator: POST material 404" 404 app.material \
	-H 'Content-Type: application/pdf' --data-binary @"$T/lic.pdf" -- token:opz POST \
	"/api/v1/applications/$A0/materials?type=other"
want "other point's operator: list holds none of hz" \
	"$(api token:opz GET '/api/v1/applications?per_page=100')" 200
want "  ... empty" "$(jf 'len(d["items"])')" 0
want "an unknown id: 404" "$(api token:opa GET /api/v1/applications/0123456789abcdef0123456789abcdef)" 404
want "a malformed id: 404" "$(api token:opa GET /api/v1/applications/zz)" 404
want "applicant: own subscriber" "$(api token:appl GET "/api/v1/subscribers/$ENT")" 200
want "applicant: another subscriber 404" "$(api token:appl GET "/api/v1/subscribers/$IND")" 404
want "applicant: applications listed" "$(api token:appl GET /api/v1/applications)" 200
want "  ... only its own subscriber's" "$(jf 'sorted(set(i["subscriber"] for i in d["items"]))')" "[\"$ENT\"]"
submit token:opa \
	"$(json kind new subscriber "$IND" profile individual-sign csr "@$T/c2.csr")"
want "operator: an application for the individual" "$ST" 201
AIND=$APP
want "applicant: that application 404" "$(api token:appl GET "/api/v1/applications/$AIND")" 404
want "reviewer rejects it (reason)" "$(api token:rva POST "/api/v1/applications/$AIND/reject" \
	"{\"digest\":\"$DIGEST\",\"reason\":\"wrong applicant\"}")" 200
want "  ... rejected" "$(jf 'd["state"]')" rejected
submit token:appl \
	"$(json kind new subscriber "$ENT" profile org-sign csr "@$T/c2.csr")"
want "applicant submits for itself" "$ST" 201
refused "applicant submits for another subscriber: 404" 404 app.submit token:appl POST /api/v1/applications \
	"$(json kind new subscriber "$IND" profile individual-sign csr "@$T/c2.csr")"

# ---- update, extend, hold, unhold, revoke (M of N), recover, pairs ----

sm2_csr "$T/k3.pem" "$T/c3.csr" "/C=CN/O=Example Tech Co Ltd/CN=Signer One" 2>/dev/null
submit token:opa \
	"$(json kind update subscriber "$ENT" serial "$S1" profile org-sign csr "@$T/c3.csr")"
want "update: submitted" "$ST" 201
want "update: approved and executed" "$(approve token:rva "$APP" "$DIGEST")" 200
S2=$(cert_of s2)
[ -n "$S2" ] && [ "$S2" != "$S1" ] && pass "  ... a new certificate" || fail "  ... no new certificate"
ocsp_is "  ... openssl ocsp: the old one revoked, superseded" "$S1" revoked superseded
ocsp_is "  ... openssl ocsp: the new one good" "$S2" good
refused "update with the same key: refused" 403 app.submit token:opa POST /api/v1/applications \
	"$(json kind update subscriber "$ENT" serial "$S2" profile org-sign csr "@$T/c3.csr")"

sm2_csr_same() { openssl req -new -key "$1" -sm3 -sigopt distid:1234567812345678 -subj "$3" -out "$2"; }
sm2_csr_same "$T/k3.pem" "$T/c3b.csr" "/C=CN/O=Example Tech Co Ltd/CN=Signer One"
submit token:opa \
	"$(json kind extend subscriber "$ENT" serial "$S2" csr "@$T/c3b.csr" validity_days "#400")"
want "extend (same key): submitted" "$ST" 201
want "extend: executed" "$(approve token:rvb "$APP" "$DIGEST")" 200
S3=$(cert_of s3)
[ "$(openssl x509 -in "$T/s3.pem" -noout -pubkey)" = "$(openssl x509 -in "$T/s2.pem" -noout -pubkey)" ] &&
	pass "  ... openssl x509 -pubkey: the same key" || fail "  ... another key"
[ "$S3" != "$S2" ] && pass "  ... a new serial" || fail "  ... same serial"
refused "extend with another key: refused" 403 app.submit token:opa POST /api/v1/applications \
	"$(json kind extend subscriber "$ENT" serial "$S3" csr "@$T/c2.csr")"

submit token:opa "$(json kind hold subscriber "$ENT" serial "$S3")"
want "hold: submitted" "$ST" 201
want "hold: executed" "$(approve token:rva "$APP" "$DIGEST")" 200
want "  ... state executed" "$(jf 'd["state"]')" executed
ocsp_is "  ... openssl ocsp: on hold" "$S3" revoked certificateHold
submit token:opa "$(json kind unhold subscriber "$ENT" serial "$S3")"
want "unhold: submitted" "$ST" 201
want "unhold: executed" "$(approve token:rva "$APP" "$DIGEST")" 200
ocsp_is "  ... openssl ocsp: good again" "$S3" good

sm2_csr "$T/k4.pem" "$T/c4.csr" "/C=CN/O=Example Tech Co Ltd/CN=Signer One" 2>/dev/null
n0=$(count application)
refused "recover naming a signing certificate: 400 (it names the encryption one)" 400 \
	app.submit token:opa POST /api/v1/applications \
	"$(json kind recover subscriber "$ENT" serial "$S3" csr "@$T/c4.csr")"
want "  ... naming serial" "$(jf 'd["param"]')" serial
grep -q "encryption certificate" "$T/body" && pass "  ... saying why" ||
	fail "  ... detail: $(cat "$T/body")"
want "  ... no application row" "$(count application)" "$n0"
# Recovery end to end (with a KM, two approvals): test_dual.sh.

submit token:opa \
	"$(json kind revoke subscriber "$ENT" serial "$S3" reason keyCompromise)"
want "revoke: submitted" "$ST" 201
AR=$APP
DR=$DIGEST
want "  ... two approvals required (egca.conf ra)" "$(jf 'd["required_approvals"]')" 2
want "revoke: first approval" "$(approve token:rva "$AR" "$DR")" 200
want "  ... still waiting" "$(jf 'd["state"]')" submitted
want "  ... one of two" "$(jf '[d["approvals"], d["required"]]')" "[1, 2]"
ocsp_is "  ... openssl ocsp: still good" "$S3" good
refused "the same reviewer approves twice: 409" 409 app.approve \
	token:rva POST "/api/v1/applications/$AR/approve" "{\"digest\":\"$DR\"}"
want "the other point's reviewer: 404" "$(approve token:rvz "$AR" "$DR")" 404
want "revoke: second approval executes" "$(approve token:rvb "$AR" "$DR")" 200
want "  ... executed" "$(jf 'd["state"]')" executed
ocsp_is "  ... openssl ocsp: revoked, keyCompromise" "$S3" revoked keyCompromise


submit token:opa \
	"$(json kind new subscriber "$ENT" profile org-sign enc_profile org-enc csr "@$T/c4.csr")"
want "new sign+enc pair: submitted" "$ST" 201
want "new sign+enc pair: refused at execution (409, KM)" "$(approve token:rva "$APP" "$DIGEST")" 409
grep -q "KM" "$T/body" && pass "  ... naming the KM" || fail "  ... no KM in '$(cat "$T/body")'"
want "execute again: still 409" "$(api token:opa POST "/api/v1/applications/$APP/execute")" 409

# ---- lists, bad parameters ----

want "applications by state" "$(api token:rva GET '/api/v1/applications?state=executed&per_page=100')" 200
want "  ... executed ones only" "$(jf 'sorted(set(i["state"] for i in d["items"]))')" '["executed"]'
want "applications: a bad state 400" "$(api token:rva GET '/api/v1/applications?state=odd')" 400
want "  ... naming state" "$(jf 'd["param"]')" state
want "applications: per_page 0 400" "$(api token:rva GET '/api/v1/applications?per_page=0')" 400

# ---- audit ----

"$EGCA" audit verify --dir "$d" >"$T/out" 2>&1 && pass "audit chain verifies" ||
	{ fail "audit verify"; head "$T/out"; }

finish
