#!/usr/bin/env bash
# Access control of egca serve (scenarios A1, A3, A4, A7, A8):
# - every route × method called as anonymous and as each role (API
#   tokens made by op_new), allowed ⇔ the policy table, which is read
#   from src/http/router.c and src/auth/policy.c by a small parser (not
#   from the server); every denial leaves an "auth.deny" audit row;
# - path variants and method-override headers reach no other route;
# - sessions: CSRF header required for changes, fixation (a new id at
#   every login, the old one dead), logout, idle timeout (libfaketime),
#   one-time password and second factor gates;
# - lockout after 5 failures (other accounts unaffected), unlock by the
#   security administrator and by time; token expiry and revocation;
# - TLS client certificates (serve --tls-client-ca);
# - fail closed: a failing audit write or credential lookup is 503,
#   never an answer; no secret in responses or logs.
. "$(dirname "$0")/lib.sh"

for t in curl python3 oathtool openssl; do
	command -v $t >/dev/null || { echo "skipped: $t missing"; exit 77; }
done
FAKELIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

want() { # DESC GOT WANTED...
	local desc=$1 got=$2 w
	shift 2
	for w in "$@"; do
		[ "$got" = "$w" ] && { pass "$desc"; return 0; }
	done
	fail "$desc: got '$got', wanted $*"
	sed 's/^/    /' "$T/body" 2>/dev/null | head -5
	return 1
}
code_of() { jfield "$T/body" 'd.get("code")'; }
audit_count() { # WHERE
	sql "$d" "SELECT count(*) FROM audit_event WHERE $1"
}

d=$T/ca
check "egca init" init_ca "$d"
# Two certificates of two departments (A3: a department viewer sees its
# own only). The department is the RA's (cert_index), set here directly.
for n in fin tax; do
	sm2_csr "$T/$n.key" "$T/$n.csr" "/C=CN/O=$n Bureau/CN=$n"
	check "issue $n" "$EGCA" cert issue --dir "$d" --csr "$T/$n.csr" --profile gov-sign \
		--region 330100 --uscc 91330100MA0000001X --passphrase-file "$PASSFILE" --out "$T/$n.pem"
	eval "${n}_serial=$(openssl x509 -in "$T/$n.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^\(00\)*//')"
done
sql "$d" "UPDATE cert_index SET department = 'Finance Bureau' WHERE serial = '$fin_serial'"
sql "$d" "UPDATE cert_index SET department = 'Tax Bureau' WHERE serial = '$tax_serial'"
serve_start "$d" || finish
check "bootstrap: the security administrator's first login, TOTP, token" op_bootstrap "$d"

# One operator per role, each with TOTP and an API token.
SUB=0123456789abcdef0123456789abcdef
check "sysadmin" op_new sys1 sysadmin
check "ra-operator" op_new rao1 ra-operator --point p1
check "ra-reviewer" op_new rar1 ra-reviewer --point p1
check "auditor" op_new aud1 auditor
check "km-officer" op_new kmo1 km-officer
check "dept-viewer" op_new dep1 dept-viewer --department "Finance Bureau"
check "applicant" op_new app1 applicant --subscriber $SUB

# ---- A1: the route × role matrix ----
#
# routes.txt: name method path; expected.txt: cred name allowed(0/1).
python3 - "$SRC" >"$T/matrix.txt" <<'PY'
import re, sys
src = sys.argv[1]
auth = open(src + "/include/egca/auth.h").read()
pol = open(src + "/src/auth/policy.c").read()
rt = open(src + "/src/http/router.c").read()
sym = {}
def defines(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S).replace("\\\n", " ")
    return re.findall(r"^#define\s+(\w+)\s+(.+)$", text, re.M)
def ev(expr):
    expr = re.sub(r"\b(0x[0-9a-fA-F]+|[0-9]+)u\b", r"\1", expr)
    return eval(re.sub(r"\b[A-Za-z_]\w*", lambda m: str(val(m.group(0))), expr))
raw = {}
def val(name):
    if name not in sym:
        sym[name] = ev(raw[name])
    return sym[name]
for m in re.finditer(r"(EGCA_ROLE_\w+)\s*=\s*1u\s*<<\s*(\d+)", auth):
    sym[m.group(1)] = 1 << int(m.group(2))
for k, v in defines(auth) + defines(pol):
    raw[k] = v
rules = {}
for m in re.finditer(r'\{"(\w+)",\s*([^,{}]+),\s*([^{}]+?)\}', pol):
    rules[m.group(1)] = (ev(m.group(2)), ev(m.group(3)))
roles = {"anon": 0, "secadmin": sym["EGCA_ROLE_SECADMIN"], "sys1": sym["EGCA_ROLE_SYSADMIN"],
         "rao1": sym["EGCA_ROLE_RA_OPERATOR"], "rar1": sym["EGCA_ROLE_RA_REVIEWER"],
         "aud1": sym["EGCA_ROLE_AUDITOR"], "kmo1": sym["EGCA_ROLE_KM_OFFICER"],
         "dep1": sym["EGCA_ROLE_DEPT_VIEWER"], "app1": sym["EGCA_ROLE_APPLICANT"]}
PUB, MFA, ANY = sym["EGCA_POLICY_PUBLIC"], sym["EGCA_POLICY_MFA"], sym["EGCA_POLICY_ANY_USER"]
# Every operator here has changed its password and logged in with TOTP.
def allowed(cred, name):
    if name not in rules:
        return 0
    r, f = rules[name]
    if f & PUB:
        return 1
    return 1 if roles[cred] & r else 0
fill = {"/ocsp/": "MAMCAQA%3D", "/crl/": "root.crl", "/ca/": "root.crt",
        "/certs/": "01", "/api/v1/certificates/": "root/01"}
n = 0
for m in re.finditer(r'\{"(\w+)",\s*"(GET|POST)",\s*"([^"]+)"', rt):
    name, method, path = m.groups()
    path = fill.get(path, path) if path not in fill else path + fill[path]
    path = path.replace("*", "nosuch0123")
    for cred in roles:
        print(cred, name, method, path, allowed(cred, name))
    n += 1
if n < 40 or len(rules) < 40:
    sys.exit("parser found %d routes, %d rules" % (n, len(rules)))
# The parser itself, against a few rules read by a human.
for cred, name, want in (("anon", "operator_list", 0), ("secadmin", "operator_list", 1),
                         ("aud1", "operator_list", 0), ("aud1", "audit_list", 1),
                         ("app1", "api_certs", 0), ("dep1", "api_certs", 1),
                         ("anon", "ocsp_get", 1), ("rar1", "app_approve", 1),
                         ("rao1", "app_approve", 0), ("sys1", "point_create", 1)):
    if allowed(cred, name) != want:
        sys.exit("parser: %s %s is %d" % (cred, name, allowed(cred, name)))
PY
[ -s "$T/matrix.txt" ] && pass "matrix from router.c × policy.c ($(wc -l <"$T/matrix.txt") calls)" || fail "matrix parser"

# Logging out is called last: with a token it ends nothing, but keep
# the order obvious.
sort -s -k2,2 "$T/matrix.txt" | awk '$2 != "session_logout"' >"$T/m1"
awk '$2 == "session_logout"' "$T/matrix.txt" >>"$T/m1"
deny_before=$(audit_count "action = 'auth.deny'")
: >"$T/mismatch"
denials=0
while read -r cred name method path exp; do
	if [ "$cred" = anon ]; then c=anon; else c=token:$cred; fi
	got=$(api "$c" "$method" "$path")
	case $got in 401 | 403) ok=0 ;; *) ok=1 ;; esac
	[ "$ok" = 0 ] && denials=$((denials + 1))
	if [ "$ok" != "$exp" ]; then
		echo "$cred $method $path ($name): HTTP $got, policy says allowed=$exp: $(head -c 200 "$T/body")" >>"$T/mismatch"
	fi
	# A denial by the gate: the stable codes only.
	if [ "$ok" = 0 ] && ! grep -Eq '"code":"EGCA-(UNAUTHENTICATED|FORBIDDEN)"' "$T/body"; then
		echo "$cred $method $path: HTTP $got without a gate code: $(head -c 200 "$T/body")" >>"$T/mismatch"
	fi
done <"$T/m1"
if [ -s "$T/mismatch" ]; then
	fail "route × role matrix matches the policy table ($(wc -l <"$T/mismatch") mismatches)"
	sed 's/^/    /' "$T/mismatch" | head -30
else
	pass "route × role matrix matches the policy table ($(wc -l <"$T/m1") calls, $denials denied)"
fi
deny_after=$(audit_count "action = 'auth.deny'")
want "every denial left one auth.deny audit row" "$((deny_after - deny_before))" "$denials"
n=$(audit_count "action = 'auth.deny' AND seq > 0 AND details LIKE '%(from 127.0.0.1)%'")
[ "$n" -ge "$denials" ] && pass "auth.deny rows name the source address" || fail "auth.deny rows without source: $n < $denials"

# ---- A3: a department viewer's scope ----
want "dept-viewer: search" "$(api token:dep1 GET /api/v1/certificates)" 200
want "... its department only" "$(jfield "$T/body" '[i["serial"] for i in d["items"]]')" "[\"$fin_serial\"]"
want "dept-viewer: another department's certificate is not found" "$(api token:dep1 GET "/api/v1/certificates/root/$tax_serial")" 404
want "dept-viewer: its own" "$(api token:dep1 GET "/api/v1/certificates/root/$fin_serial")" 200
want "dept-viewer: download of its department only" "$(curl -s -o "$T/dl.zip" -w '%{http_code}' -H "Authorization: Bearer $(cat "$OPDIR/dep1.token")" "$U/api/v1/downloads")" 200
want "... one certificate" "$(unzip -l "$T/dl.zip" 2>/dev/null | grep -c '\.der$')" 1
want "dept-viewer: statistics" "$(api token:dep1 GET /api/v1/statistics)" 200
want "... count its department only" "$(jfield "$T/body" 'd["totals"]["issued"]')" 1
want "auditor: every department" "$(api token:aud1 GET "/api/v1/certificates?per_page=10")" 200
want "... both and the OCSP signer" "$(jfield "$T/body" 'd["total"]')" 3

# HEAD is GET for the gate.
want "HEAD as anonymous on a protected route: 401" "$(api anon HEAD /api/v1/operators)" 401
want "HEAD as secadmin: 200" "$(api token:secadmin HEAD /api/v1/operators)" 200
grep -qi '^WWW-Authenticate: Bearer' "$T/headers" && fail "WWW-Authenticate on a 200" || pass "no WWW-Authenticate on a 200"
api anon GET /api/v1/tokens >/dev/null
grep -qi '^WWW-Authenticate: Bearer' "$T/headers" && pass "401 carries WWW-Authenticate: Bearer" || fail "401 without WWW-Authenticate"
want "unknown bearer token: 401" "$(api bearer:egca_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA GET /api/v1/session)" 401
grep -qi 'invalid_token' "$T/headers" && pass "bad token: error=\"invalid_token\"" || fail "bad token without invalid_token"
want "Basic credentials are not accepted" "$(apio -u secadmin:x -- anon GET /api/v1/session)" 401
want "bad bearer token on a public route: 401" "$(api bearer:nonsense GET /healthz)" 401
want "public route, no credentials: 200" "$(api anon GET /healthz)" 200

# ---- A1: path variants and method overrides ----
: >"$T/variants"
for v in /api/v1/operators/ /API/v1/operators /api/V1/operators /api/v1/%6fperators \
	/api/v1/%6Fperators /api/v1/./operators "/api/v1/x/../operators" /api/v1/%2e/operators \
	//api/v1/operators /api//v1/operators /./api/v1/operators "/api/v1/operators;" \
	/api/v1/operators%2f /api/v1/operators%00 /api/v1/operators/%2e%2e \
	"/api/v1/operators/.." "/certs/../api/v1/operators" "/api/v1/certificates/../../v1/operators" \
	/api/v1/operators/a%2Fb/roles; do
	# path-as-is: curl must not normalise the dot segments itself.
	got=$(apio --path-as-is -- token:aud1 GET "$v")
	case $got in 200) echo "auditor GET $v: 200 $(head -c 120 "$T/body")" >>"$T/variants" ;; esac
	grep -q '"items":\[{"name"' "$T/body" && echo "auditor GET $v: the operator list" >>"$T/variants"
	got=$(apio --path-as-is -- anon GET "$v")
	case $got in 2??) echo "anonymous GET $v: $got" >>"$T/variants" ;; esac
	got=$(apio --path-as-is -- token:secadmin GET "$v")
	# No variant is the operator list itself: 404, or another route's
	# answer (a prefix route such as /certs/ or /api/v1/certificates/).
	case $got in 2??) echo "secadmin GET $v: $got" >>"$T/variants" ;; esac
done
[ -s "$T/variants" ] && { fail "path variants reach no other route"; sed 's/^/    /' "$T/variants"; } ||
	pass "path variants: never the operator list (auditor, anonymous, secadmin)"
for h in X-HTTP-Method-Override X-HTTP-Method X-Method-Override; do
	want "$h: GET on a POST route stays POST (auditor denied)" \
		"$(apio -H "$h: GET" -- token:aud1 POST /api/v1/operators/aud1/disable)" 403
	want "$h: POST on a GET route stays GET" \
		"$(apio -H "$h: POST" -- token:secadmin GET /api/v1/operators '{"name":"ovr1","roles":["auditor"]}')" 200
	want "$h: DELETE is not a method here" \
		"$(apio -H "$h: DELETE" -- token:secadmin GET /api/v1/tokens)" 200
done
want "nothing was made by an override" "$(api token:secadmin GET /api/v1/operators/ovr1)" 404
want "DELETE: 405" "$(api token:secadmin DELETE /api/v1/operators/aud1)" 405
grep -qi '^Allow: GET, HEAD' "$T/headers" && pass "405 names Allow" || fail "405 without Allow"
head -c 3000000 /dev/zero >"$T/big"
want "anonymous 3 MB upload: refused (401) before the body is read" \
	"$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
		--data-binary @"$T/big" "$U/api/v1/applications/nosuch0123/materials")" 401
want "Idempotency-Key over 128 characters: 400" \
	"$(apio -H "Idempotency-Key: $(printf 'k%.0s' $(seq 1 129))" -- token:secadmin GET /api/v1/session)" 400

# ---- A4: sessions and CSRF ----
check "secadmin session" op_session secadmin "$OP_PASSWORD"
want "GET with the cookie, no CSRF header: 200" "$(api cookie:secadmin GET /api/v1/operators)" 200
nd=$(audit_count "action = 'auth.deny'")
want "POST with the cookie, no CSRF header: 403" \
	"$(api cookie:secadmin POST /api/v1/operators '{"name":"csrf1","roles":["auditor"]}')" 403
want "... code EGCA-CSRF" "$(code_of)" EGCA-CSRF
want "... nothing made" "$(api token:secadmin GET /api/v1/operators/csrf1)" 404
want "... audited" "$(audit_count "action = 'auth.deny' AND details LIKE '%CSRF%'")" 1
want "POST with a wrong CSRF header: 403" \
	"$(apio -H 'X-CSRF-Token: 0000' -- cookie:secadmin POST /api/v1/operators '{"name":"csrf1","roles":["auditor"]}')" 403
want "... nothing made" "$(api token:secadmin GET /api/v1/operators/csrf1)" 404
want "two denials, two audit rows" "$(($(audit_count "action = 'auth.deny'") - nd))" 2
want "POST with the CSRF header: 201" \
	"$(api session:secadmin POST /api/v1/operators '{"name":"csrf1","roles":["auditor"]}')" 201
grep -qi '^Cache-Control: no-store' "$T/headers" && pass "one-time password answer: no-store" || fail "no no-store on a secret"
CSRF1_OTP=$(jfield "$T/body" 'd["one_time_password"]')
want "a token needs no CSRF header" "$(api token:secadmin POST /api/v1/operators/csrf1/disable)" 204
want "... enable" "$(api token:secadmin POST /api/v1/operators/csrf1/enable)" 204

# Strict JSON bodies.
want "unknown member: 400" "$(api token:secadmin POST /api/v1/operators '{"name":"x1","roles":["auditor"],"admin":true}')" 400
want "... names it" "$(jfield "$T/body" 'd["param"]')" admin
want "wrong type: 400" "$(api token:secadmin POST /api/v1/operators '{"name":"x1","roles":"auditor"}')" 400
want "unknown role: 400" "$(api token:secadmin POST /api/v1/operators '{"name":"x1","roles":["root"]}')" 400
want "duplicate member: 400" "$(api token:secadmin POST /api/v1/operators '{"name":"x1","name":"x2","roles":["auditor"]}')" 400
want "three-officer conflict: 403 (separation of duties)" "$(api token:secadmin POST /api/v1/operators '{"name":"x1","roles":["auditor","sysadmin"]}')" 403
want "... nothing made" "$(api token:secadmin GET /api/v1/operators/x1)" 404
want "existing name: 409" "$(api token:secadmin POST /api/v1/operators '{"name":"aud1","roles":["auditor"]}')" 409

# Login answers and the cookie.
api anon POST /api/v1/session "{\"name\":\"csrf1\",\"password\":$(jstr "$CSRF1_OTP")}" >"$T/code"
want "first login with the one-time password: 201" "$(cat "$T/code")" 201
grep -i '^Set-Cookie: egca_session=' "$T/headers" | grep -qi 'HttpOnly' &&
	grep -i '^Set-Cookie: egca_session=' "$T/headers" | grep -qi 'SameSite=Strict' &&
	grep -i '^Set-Cookie: egca_session=' "$T/headers" | grep -qi 'Path=/' &&
	pass "cookie: HttpOnly, SameSite=Strict, Path=/" || fail "cookie attributes: $(grep -i set-cookie "$T/headers")"
want "... must_change" "$(jfield "$T/body" 'd["must_change"]')" true
grep -qi '^Cache-Control: no-store' "$T/headers" && pass "login answer: no-store" || fail "login answer cacheable"
sed -n 's/^Set-Cookie: egca_session=\([0-9a-f]*\);.*/\1/Ip' "$T/headers" | tr -d '\r' >"$T/c1"
printf '127.0.0.1\tFALSE\t/\tFALSE\t0\tegca_session\t%s\n' "$(cat "$T/c1")" >"$OPDIR/csrf1.jar"
jfield "$T/body" 'd["csrf_token"]' >"$OPDIR/csrf1.csrf"
want "one-time password: who am I works" "$(api session:csrf1 GET /api/v1/session)" 200
want "one-time password: tokens refused until changed" "$(api session:csrf1 GET /api/v1/tokens)" 403
want "one-time password: token creation refused" "$(api session:csrf1 POST /api/v1/tokens '{"ttl_seconds":60}')" 403
want "short new password: 422" "$(api session:csrf1 POST /api/v1/me/password "{\"old_password\":$(jstr "$CSRF1_OTP"),\"new_password\":\"short\"}")" 422
want "... code EGCA-PASSWORD-POLICY" "$(code_of)" EGCA-PASSWORD-POLICY
want "wrong old password: 403" "$(api session:csrf1 POST /api/v1/me/password "{\"old_password\":\"not the one time pw\",\"new_password\":$(jstr "$OP_PASSWORD")}")" 403

# Login failures: one answer for every cause.
for body in '{"name":"nobody1","password":"Correct-Horse-Battery-Staple-2026!"}' \
	'{"name":"aud1","password":"wrong password here"}' \
	'{"name":"secadmin","password":"Correct-Horse-Battery-Staple-2026!"}' \
	'{"name":"secadmin","password":"Correct-Horse-Battery-Staple-2026!","totp":"000000"}'; do
	want "login failure ($(echo "$body" | cut -c1-40)…): 401 EGCA-LOGIN-FAILED" "$(api anon POST /api/v1/session "$body")/$(code_of)" 401/EGCA-LOGIN-FAILED
	jfield "$T/body" 'd["detail"]' >>"$T/details"
done
want "one message for all causes" "$(sort -u "$T/details" | wc -l)" 1
want "login body with an unknown member: 400" "$(api anon POST /api/v1/session '{"name":"aud1","password":"x","remember":true}')" 400
want "login body too deep: 400" "$(api anon POST /api/v1/session '{"name":[[[[[[[[[["x"]]]]]]]]]]}')" 400
want "login as text/plain: 415" "$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary '{}' "$U/api/v1/session")" 415

# Session fixation: an operator without TOTP (an auditor).
check "operator without TOTP" op_new fix1 auditor --no-totp
echo "planted-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >/dev/null
PLANT=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
printf '127.0.0.1\tFALSE\t/\tFALSE\t0\tegca_session\t%s\n' "$PLANT" >"$OPDIR/fix1.jar"
check "login with a planted cookie" op_session fix1 "$OP_PASSWORD"
new=$(awk '$6 == "egca_session" {print $7}' "$OPDIR/fix1.jar")
[ -n "$new" ] && [ "$new" != "$PLANT" ] && pass "the planted id is not adopted" || fail "session id after login: '$new'"
cp "$OPDIR/fix1.jar" "$T/old.jar"
cp "$OPDIR/fix1.csrf" "$T/old.csrf"
check "login again with the current cookie" op_session fix1 "$OP_PASSWORD"
new2=$(awk '$6 == "egca_session" {print $7}' "$OPDIR/fix1.jar")
[ -n "$new2" ] && [ "$new2" != "$new" ] && pass "a new id at every login" || fail "session id did not rotate"
want "the old session is dead" "$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/old.jar" "$U/api/v1/session")" 401
want "the new one works" "$(api cookie:fix1 GET /api/v1/session)" 200
want "... via session" "$(jfield "$T/body" 'd["via"]')" session
want "logout without CSRF: 403" "$(api cookie:fix1 POST /api/v1/session/logout)" 403
want "logout: 204" "$(api session:fix1 POST /api/v1/session/logout)" 204
grep -i '^Set-Cookie: egca_session=;' "$T/headers" | grep -qi 'Max-Age=0' && pass "logout expires the cookie" || fail "logout cookie: $(grep -i set-cookie "$T/headers")"
printf '127.0.0.1\tFALSE\t/\tFALSE\t0\tegca_session\t%s\n' "$new2" >"$T/dead.jar"
want "a logged-out session is dead" "$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/dead.jar" "$U/api/v1/session")" 401
want "a stale cookie does not stop public reads" "$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/dead.jar" "$U/ca/root.crt")" 200
want "two session cookies: 401" "$(curl -s -o "$T/body" -w '%{http_code}' -H "Cookie: egca_session=$new2; egca_session=$PLANT" "$U/api/v1/session")" 401

# The second factor: an RA operator without TOTP acts on nothing.
check "ra-operator without TOTP" op_new nomfa1 ra-operator --point p1 --no-totp
want "ra-operator without TOTP: who am I" "$(api session:nomfa1 GET /api/v1/session)" 200
want "... mfa false" "$(jfield "$T/body" 'd["mfa"]')" false
want "ra-operator without TOTP: subscribers refused" "$(api session:nomfa1 GET /api/v1/subscribers)" 403
want "ra-operator without TOTP: token refused" "$(api session:nomfa1 POST /api/v1/tokens '{"ttl_seconds":60}')" 403

# ---- A4: tokens ----
check "auditor session" op_session aud1 "$OP_PASSWORD"
want "token with a role the owner lacks: refused" "$(api session:aud1 POST /api/v1/tokens '{"ttl_seconds":600,"roles":["secadmin"]}')" 403
want "token ttl over a year: 400" "$(api session:aud1 POST /api/v1/tokens '{"ttl_seconds":99999999}')" 400
want "short token: 201" "$(api session:aud1 POST /api/v1/tokens '{"ttl_seconds":120,"label":"short"}')" 201
grep -qi '^Cache-Control: no-store' "$T/headers" && pass "token answer: no-store" || fail "token answer cacheable"
jfield "$T/body" 'd["token"]' >"$OPDIR/short.token"
SHORT_ID=$(jfield "$T/body" 'd["id"]')
want "revocable token: 201" "$(api session:aud1 POST /api/v1/tokens '{"ttl_seconds":3600,"label":"rev"}')" 201
jfield "$T/body" 'd["token"]' >"$OPDIR/rev.token"
REV_ID=$(jfield "$T/body" 'd["id"]')
want "the new token works" "$(api token:rev GET /api/v1/audit)" 200
api token:aud1 GET /api/v1/tokens >/dev/null
grep -q "$(cat "$OPDIR/rev.token")" "$T/body" && fail "token list shows token text" || pass "token list shows no token text"
grep -q "$REV_ID" "$T/body" && pass "token list shows the id" || fail "token list without the id"
want "someone else's token: not revoked by a non-owner" "$(api token:dep1 POST "/api/v1/tokens/$REV_ID/revoke")" 403 404
want "... still works" "$(api token:rev GET /api/v1/audit)" 200
want "the owner revokes it: 204" "$(api session:aud1 POST "/api/v1/tokens/$REV_ID/revoke")" 204
want "a revoked token: 401" "$(api token:rev GET /api/v1/audit)" 401
want "listing others' tokens: only the security administrator" "$(api token:aud1 GET '/api/v1/tokens?owner=*')" 403
want "the security administrator lists all" "$(api token:secadmin GET '/api/v1/tokens?owner=*')" 200
grep -q "$SHORT_ID" "$T/body" && pass "... including the auditor's" || fail "secadmin token list"

# ---- A4: lockout ----
check "lockout victim" op_new lock1 auditor --no-totp
for i in 1 2 3 4 5; do
	api anon POST /api/v1/session '{"name":"lock1","password":"wrong password!!"}' >/dev/null
done
want "after 5 failures the right password is refused: locked" \
	"$(api anon POST /api/v1/session "{\"name\":\"lock1\",\"password\":$(jstr "$OP_PASSWORD")}")/$(code_of)" 403/EGCA-LOCKED
grep -qi '^Retry-After: [0-9]' "$T/headers" && pass "locked: Retry-After" || fail "locked without Retry-After"
want "other accounts still log in" "$(op_session fix1 "$OP_PASSWORD" && echo ok)" ok
want "failures audited" "$(audit_count "action = 'auth.login' AND outcome = 'failure' AND object = 'operator/lock1'")" 6 5
want "the security administrator unlocks: 204" "$(api token:secadmin POST /api/v1/operators/lock1/unlock)" 204
want "unlocked: login works" "$(op_session lock1 "$OP_PASSWORD" && echo ok)" ok
for i in 1 2 3 4 5; do
	api anon POST /api/v1/session '{"name":"lock1","password":"wrong password!!"}' >/dev/null
done
want "locked again" "$(api anon POST /api/v1/session "{\"name\":\"lock1\",\"password\":$(jstr "$OP_PASSWORD")}")" 403
api token:secadmin GET /api/v1/operators/lock1 >/dev/null
want "operator record shows the lock" "$(jfield "$T/body" 'd["locked"]')" true
grep -Eq 'argon2|password_hash|totp_sealed|token_hash' "$T/body" && fail "operator record holds a secret" || pass "operator record holds no hash or seed"
want "disabling ends its sessions and tokens" "$(api token:secadmin POST /api/v1/operators/fix1/disable)" 204
want "... session refused" "$(api cookie:fix1 GET /api/v1/session)" 401
want "... login refused" "$(api anon POST /api/v1/session "{\"name\":\"fix1\",\"password\":$(jstr "$OP_PASSWORD")}")" 401 403
api token:secadmin POST /api/v1/operators/fix1/enable >/dev/null
want "reset: a new one-time password" "$(api token:secadmin POST /api/v1/operators/nomfa1/reset)" 200
grep -qi '^Cache-Control: no-store' "$T/headers" && pass "reset answer: no-store" || fail "reset answer cacheable"
want "... the old session ended" "$(api cookie:nomfa1 GET /api/v1/session)" 401

# ---- A4: idle timeout, token expiry, unlock by time (libfaketime) ----
if [ -n "$FAKELIB" ]; then
	check "a session to leave idle" op_session dep1 "$OP_PASSWORD"
	serve_stop
	# 16 minutes later: past the idle limit (15 min), the 2-minute
	# token's expiry and the 15-minute lock.
	SERVE_ENV="LD_PRELOAD=$FAKELIB FAKETIME=+16m FAKETIME_DONT_FAKE_MONOTONIC=1"
	serve_start "$d" || finish
	SERVE_ENV=""
	TOTP_OFFSET=960
	want "+16 min: the idle session is dead" "$(api cookie:dep1 GET /api/v1/session)" 401
	want "+16 min: the 2-minute token expired" "$(api token:short GET /api/v1/audit)" 401
	want "+16 min: a day's token still works" "$(api token:aud1 GET /api/v1/audit)" 200
	want "+16 min: the lock ran out" "$(op_session lock1 "$OP_PASSWORD" && echo ok)" ok
	want "+16 min: TOTP at the server's time" "$(op_session dep1 "$OP_PASSWORD" && echo ok)" ok
	serve_stop
	TOTP_OFFSET=0
	serve_start "$d" || finish
else
	echo "# libfaketime missing: idle timeout, expiry and unlock by time not run"
fi

# ---- A7: fail closed ----
# An audit write that fails (a trigger, as Boulder's tests do): a denial
# cannot be recorded, so it is not answered as 401/403 but 503.
if [ "$EGCA_BACKEND" = postgres ]; then
	sql "$d" "CREATE FUNCTION egca_fail() RETURNS trigger AS \$\$ BEGIN RAISE EXCEPTION 'injected'; END \$\$ LANGUAGE plpgsql;
		CREATE TRIGGER audit_fail BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION egca_fail();" >/dev/null
else
	sql "$d" "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'injected'); END;"
fi
nd=$(audit_count "action = 'auth.deny'")
want "audit write failing: anonymous on a protected route is 503" "$(api anon GET /api/v1/operators)" 503
want "... no internals in the body" "$(grep -Eci 'injected|trigger|sql|audit_event' "$T/body")" 0
want "audit write failing: a role denial is 503" "$(api token:aud1 GET /api/v1/operators)" 503
want "audit write failing: an allowed read still works" "$(api token:secadmin GET /api/v1/operators)" 200
want "audit write failing: a change that must be audited is refused" \
	"$(api token:secadmin POST /api/v1/operators '{"name":"fail1","roles":["auditor"]}')" 503 500
want "... and not made" "$(sql "$d" "SELECT count(*) FROM operator WHERE name = 'fail1'")" 0
want "audit write failing: public OCSP/CRL still served" "$(api anon GET /crl/root.crl)" 200
if [ "$EGCA_BACKEND" = postgres ]; then
	sql "$d" "DROP TRIGGER audit_fail ON audit_event; DROP FUNCTION egca_fail();" >/dev/null
else
	sql "$d" "DROP TRIGGER audit_fail;"
fi
want "no denial row was written meanwhile" "$(audit_count "action = 'auth.deny'")" "$nd"
# The credential lookup failing: 503, never anonymous or allowed.
sql "$d" "ALTER TABLE api_token RENAME TO api_token_x" >/dev/null
want "token lookup failing: 503" "$(api token:secadmin GET /api/v1/operators)" 503
want "... no internals in the body" "$(grep -Eci 'api_token|sql|no such' "$T/body")" 0
want "token lookup failing: public routes unaffected" "$(api anon GET /healthz)" 200
sql "$d" "ALTER TABLE api_token_x RENAME TO api_token" >/dev/null
want "store back: the token works again" "$(api token:secadmin GET /api/v1/operators)" 200

# ---- TLS client certificates ----
serve_stop
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls.key" \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" -days 2 -out "$T/tls.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/cca.key" \
	-subj "/CN=Operator CA" -days 2 -out "$T/cca.pem" 2>/dev/null
client() { # NAME CA-KEY CA-CERT
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-subj "/CN=$1" -out "$T/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$T/$1.csr" -CA "$3" -CAkey "$2" -CAcreateserial -days 1 \
			-extfile <(printf 'extendedKeyUsage=clientAuth\n') -out "$T/$1.crt" 2>/dev/null
}
client kmocert "$T/cca.key" "$T/cca.pem"
client nobody "$T/cca.key" "$T/cca.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/rogue.key" \
	-subj "/CN=Rogue CA" -days 2 -out "$T/rogue.pem" 2>/dev/null
client roguecert "$T/rogue.key" "$T/rogue.pem"
fp=$(openssl x509 -in "$T/kmocert.crt" -outform DER | sha256sum | cut -c1-64)
sql "$d" "UPDATE operator SET cert_sha256 = '$fp' WHERE name = 'kmo1'" >/dev/null
serve_start "$d" --tls-cert "$T/tls.pem" --tls-key "$T/tls.key" --tls-client-ca "$T/cca.pem" || finish
tls() { curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' --cacert "$T/tls.pem" "$@"; }
want "TLS: a registered client certificate logs its operator in" \
	"$(tls --cert "$T/kmocert.crt" --key "$T/kmocert.key" "$U/api/v1/session")" 200
want "... as kmo1" "$(jfield "$T/body" 'd["operator"]')" kmo1
want "... via certificate" "$(jfield "$T/body" 'd["via"]')" certificate
want "TLS: an unregistered certificate: 401" "$(tls --cert "$T/nobody.crt" --key "$T/nobody.key" "$U/api/v1/session")" 401
want "TLS: a certificate from another CA: 401 or no handshake" \
	"$(tls --cert "$T/roguecert.crt" --key "$T/roguecert.key" "$U/api/v1/session")" 401 000
want "TLS: no certificate: 401" "$(tls "$U/api/v1/session")" 401
want "TLS: no certificate, public route: 200" "$(tls "$U/healthz")" 200
want "TLS: a token still works" "$(tls -H "Authorization: Bearer $(cat "$OPDIR/secadmin.token")" "$U/api/v1/operators")" 200
curl -s -o "$T/body" -D "$T/headers" --cacert "$T/tls.pem" -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"aud1\",\"password\":$(jstr "$OP_PASSWORD"),\"totp\":\"$(totp_code aud1)\"}" "$U/api/v1/session"
grep -i '^Set-Cookie: egca_session=' "$T/headers" | grep -qi 'Secure' && pass "TLS: the session cookie is Secure" || fail "TLS cookie: $(grep -i set-cookie "$T/headers")"
sql "$d" "UPDATE operator SET cert_sha256 = NULL WHERE name = 'kmo1'" >/dev/null
want "TLS: a withdrawn certificate is refused at the next request" \
	"$(tls --cert "$T/kmocert.crt" --key "$T/kmocert.key" "$U/api/v1/session")" 401
serve_stop

# ---- A8: no secret in logs or denial records ----
: >"$T/secrets"
for f in "$OPDIR"/*.token; do cat "$f" >>"$T/secrets"; echo >>"$T/secrets"; done
echo "$OP_PASSWORD" >>"$T/secrets"
echo "$CSRF1_OTP" >>"$T/secrets"
cat "$OPDIR"/*.totp >>"$T/secrets"
sql "$d" "SELECT actor, action, object, details FROM audit_event" >"$T/audit.txt"
leaks=$(grep -F -c -f <(grep -v '^$' "$T/secrets") "$T/access.log" "$T/serve.err" "$T/audit.txt" | awk -F: '{s += $2} END {print s}')
want "no password, token or TOTP secret in the access log, server log or audit log" "$leaks" 0

finish
