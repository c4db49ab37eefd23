#!/usr/bin/env bash
# egca serve on 127.0.0.1 (a free port), driven by curl, openssl ocsp,
# unzip and python3: repository, REST API (search, paging, detail,
# status, statistics, ZIP download), OpenAPI, problem+json, limits (413
# before the body, 431, slowloris, 200 idle connections), OCSP GET and
# POST with caching headers, metrics, and a clean exit on SIGTERM.
. "$(dirname "$0")/lib.sh"

for t in curl unzip python3; do
	command -v $t >/dev/null || { echo "skipped: $t missing"; exit 77; }
done

d=$T/ca
check "egca init" init_ca "$d" --subject "C=CN,O=Test Province CA,CN=Test SM2 Root"
"$EGCA" ca export --dir "$d" --out "$T/ca.pem" >/dev/null 2>&1

# Five certificates: three government (two regions), one organisation,
# one that gets revoked.
issue() { # NAME SUBJECT PROFILE REGION ID-OPTION ID
	sm2_csr "$T/$1.key" "$T/$1.csr" "$2" &&
		"$EGCA" cert issue --dir "$d" --csr "$T/$1.csr" --profile "$3" \
			--region "$4" "$5" "$6" --passphrase-file "$PASSFILE" \
			--out "$T/$1.pem"
}
check "issue gov1" issue gov1 "/C=CN/O=Hangzhou Bureau/CN=Zhang San" gov-sign 330100 --uscc 91330100MA0000001X
check "issue gov2" issue gov2 "/C=CN/O=Hangzhou Bureau/CN=Li Si" gov-sign 330100 --uscc 91330100MA0000001X
check "issue gov3" issue gov3 "/C=CN/O=Ningbo Bureau/CN=Wang Wu" gov-sign 330200 --uscc 91330200MA0000002Y
check "issue org1" issue org1 "/C=CN/O=Example Co/CN=Example Co" org-sign 110000 --uscc 91110000MA00000031
check "issue rev1" issue rev1 "/C=CN/O=Hangzhou Bureau/CN=Zhao Liu" gov-sign 330100 --uscc 91330100MA0000001X
expect_exit 3 "issue with a bad region is refused" issue bad "/C=CN/O=X/CN=Y" gov-sign 33010 --uscc 91330100MA0000001X
ser() { openssl x509 -in "$T/$1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^\(00\)*//'; }
rev_serial=$(ser rev1)
gov1_serial=$(ser gov1)
check "revoke rev1" "$EGCA" cert revoke --dir "$d" "$rev_serial" --reason keyCompromise

# Start the server on a free port.
serve_start "$d" || finish
port=${U##*:}
# The REST API needs a credential: an auditor's API token (a reader of
# issued certificates), made by the first security administrator.
check "bootstrap the security administrator" op_bootstrap "$d"
check "a certificate reader (auditor) with a token" op_new rdr1 auditor
AUTH="Authorization: Bearer $(cat "$OPDIR/rdr1.token" 2>/dev/null)"
code() { curl -s -o "$T/body" -w '%{http_code}' -H "$AUTH" "$@"; }
json() { python3 -c "import json,sys; d=json.load(open('$T/body')); print($1)"; }
want() { # DESC GOT WANTED
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', wanted '$3'"; fi
}

want "/healthz ready" "$(code $U/healthz)" 200
grep -q ready "$T/body" && pass "/healthz says ready" || fail "/healthz body"

# Repository.
want "/ca/root.crt" "$(code $U/ca/root.crt)" 200
openssl x509 -inform DER -in "$T/body" -noout 2>/dev/null && pass "/ca/root.crt is DER" || fail "/ca/root.crt DER"
cmp -s <(openssl x509 -inform DER -in "$T/body") <(openssl x509 -in "$T/ca.pem") && pass "/ca/root.crt is the CA certificate" || fail "/ca/root.crt content"
curl -s -o /dev/null -w '%{content_type}' $U/ca/root.crt | grep -q application/pkix-cert && pass "/ca/root.crt content type" || fail "/ca/root.crt content type"
want "/ca/root.pem" "$(code $U/ca/root.pem)" 200
grep -q "BEGIN CERTIFICATE" "$T/body" && pass "/ca/root.pem is PEM" || fail "/ca/root.pem"
want "/certs/<serial> DER" "$(code $U/certs/$gov1_serial)" 200
cmp -s <(openssl x509 -inform DER -in "$T/body") <(openssl x509 -in "$T/gov1.pem") && pass "/certs/<serial> is the certificate" || fail "/certs/<serial> content"
want "/certs/<SERIAL>.pem (upper case)" "$(code $U/certs/$(echo $gov1_serial | tr a-f A-F).pem)" 200
grep -q "BEGIN CERTIFICATE" "$T/body" && pass "/certs/<serial>.pem is PEM" || fail "/certs/.pem"
want "/certs/<unknown> 404" "$(code $U/certs/0102030405)" 404
want "/ca/nosuch.crt 404" "$(code $U/ca/nosuch.crt)" 404

# REST: search.
for p in certificates statistics downloads "certificates/root/$gov1_serial"; do
	want "anonymous /api/v1/$p: 401" "$(curl -s -o "$T/body" -w '%{http_code}' "$U/api/v1/$p")" 401
done
want "search all" "$(code "$U/api/v1/certificates")" 200
want "search total (5 + the OCSP signer)" "$(json "d['total']")" 6
want "search by region 330100" "$(code "$U/api/v1/certificates?region=330100")" 200
want "region 330100 count" "$(json "d['total']")" 3
code "$U/api/v1/certificates?region=33" >/dev/null
want "region prefix 33 count" "$(json "d['total']")" 4
code "$U/api/v1/certificates?organization=hangzhou&status=good" >/dev/null
want "organization substring + status" "$(json "d['total']")" 2
code "$U/api/v1/certificates?identity_code=91330200MA0000002Y" >/dev/null
want "identity_code" "$(json "d['items'][0]['subject']")" "C=CN, O=Ningbo Bureau, CN=Wang Wu"
code "$U/api/v1/certificates?subscriber_type=organization" >/dev/null
want "subscriber_type" "$(json "d['total']")" 1
code "$U/api/v1/certificates?status=revoked" >/dev/null
want "status=revoked" "$(json "d['items'][0]['serial']")" "$rev_serial"
want "revoked reason" "$(json "d['items'][0]['reason']")" keyCompromise
code "$U/api/v1/certificates?serial=$gov1_serial" >/dev/null
want "serial" "$(json "d['total']")" 1
code "$U/api/v1/certificates?subject=zhang%20san" >/dev/null
want "subject (percent-encoded, case-insensitive)" "$(json "d['total']")" 1
code "$U/api/v1/certificates?subject=Zhang+San" >/dev/null
want "subject ('+' as space)" "$(json "d['total']")" 1
today=$(date -u +%Y-%m-%d)
code "$U/api/v1/certificates?issued_from=$today&issued_to=$today&profile=gov-sign" >/dev/null
want "issued_from/to + profile" "$(json "d['total']")" 4
code "$U/api/v1/certificates?not_after_to=2000-01-01" >/dev/null
want "not_after_to in the past" "$(json "d['total']")" 0
code "$U/api/v1/certificates?per_page=2&page=2&sort=-issued_at" >/dev/null
want "paging: per_page" "$(json "len(d['items'])")" 2
want "paging: page echoed" "$(json "d['page']")" 2
code "$U/api/v1/certificates?per_page=2&page=4" >/dev/null
want "paging: past the end" "$(json "len(d['items'])")" 0
code "$U/api/v1/certificates?sort=serial" >/dev/null
python3 -c "import json; d=json.load(open('$T/body')); s=[i['serial'] for i in d['items']]; assert s==sorted(s)" && pass "sort=serial" || fail "sort=serial"

# REST: errors are problem+json with a stable code and the parameter.
problem() { # DESC URL STATUS CODE [PARAM]
	local got
	got=$(curl -s -o "$T/body" -w '%{http_code} %{content_type}' -H "$AUTH" "$2")
	want "$1: status" "${got%% *}" "$3"
	want "$1: problem+json" "${got#* }" "application/problem+json"
	want "$1: code" "$(json "d['code']")" "$4"
	[ -n "${5:-}" ] && want "$1: param" "$(json "d.get('param')")" "$5"
}
problem "unknown parameter" "$U/api/v1/certificates?colour=red" 400 EGCA-BAD-PARAM colour
problem "duplicate parameter" "$U/api/v1/certificates?status=good&status=hold" 400 EGCA-BAD-PARAM status
problem "bad date" "$U/api/v1/certificates?issued_from=2026-02-30" 400 EGCA-BAD-PARAM issued_from
problem "bad int" "$U/api/v1/certificates?page=-1" 400 EGCA-BAD-PARAM page
problem "per_page too big" "$U/api/v1/certificates?per_page=1001" 400 EGCA-BAD-PARAM per_page
problem "bad status" "$U/api/v1/certificates?status=bad" 400 EGCA-BAD-PARAM status
problem "bad region" "$U/api/v1/certificates?region=3301x" 400 EGCA-BAD-PARAM region
problem "bad sort" "$U/api/v1/certificates?sort=subject" 400 EGCA-BAD-PARAM sort
problem "bad percent-escape" "$U/api/v1/certificates?subject=%zz" 400 EGCA-BAD-PARAM subject
problem "NUL escape" "$U/api/v1/certificates?subject=a%00b" 400 EGCA-BAD-PARAM subject
problem "not UTF-8" "$U/api/v1/certificates?subject=%ff" 400 EGCA-BAD-PARAM subject
problem "unknown path" "$U/api/v1/nothing" 404 EGCA-NOT-FOUND
problem "unknown certificate" "$U/api/v1/certificates/root/0badc0de" 404 EGCA-NOT-FOUND
problem "bad group_by" "$U/api/v1/statistics?group_by=colour" 400 EGCA-BAD-PARAM group_by
got=$(curl -s -o "$T/body" -w '%{http_code}' -H "$AUTH" -X DELETE "$U/api/v1/certificates")
want "DELETE is 405" "$got" 405
curl -s -D - -o /dev/null -X PUT "$U/healthz" | grep -qi "^allow: GET, HEAD" && pass "405 names Allow" || fail "405 Allow header"

# REST: detail and status.
want "detail" "$(code "$U/api/v1/certificates/root/$gov1_serial")" 200
json "d['pem']" | openssl x509 -noout 2>/dev/null && pass "detail carries the PEM" || fail "detail PEM"
want "detail region" "$(json "d['region']")" 330100
want "status" "$(code "$U/api/v1/certificates/root/$rev_serial/status")" 200
want "status says revoked" "$(json "d['status']")" revoked

# REST: statistics.
want "statistics by region" "$(code "$U/api/v1/statistics?group_by=region")" 200
want "region 330100 issued" "$(json "[g['issued'] for g in d['groups'] if g['key']=='330100'][0]")" 3
want "region 330100 revoked" "$(json "[g['revoked'] for g in d['groups'] if g['key']=='330100'][0]")" 1
code "$U/api/v1/statistics?group_by=month&ca=root" >/dev/null
want "statistics by month total" "$(json "d['totals']['issued']")" 6
code "$U/api/v1/statistics?group_by=profile&from=2000-01-01&to=2000-12-31" >/dev/null
want "statistics, empty range" "$(json "d['totals']['issued']")" 0

# REST: ZIP download.
got=$(curl -s -o "$T/dl.zip" -w '%{http_code} %{content_type}' -H "$AUTH" "$U/api/v1/downloads?region=330100")
want "download" "$got" "200 application/zip"
check "download passes unzip -t" unzip -t "$T/dl.zip"
unzip -o -q "$T/dl.zip" -d "$T/dl"
n_der=$(find "$T/dl/certs" -name '*.der' | wc -l)
want "download holds 3 DER" "$n_der" 3
want "download holds 3 PEM" "$(find "$T/dl/certs" -name '*.pem' | wc -l)" 3
want "manifest.csv rows" "$(($(wc -l <"$T/dl/manifest.csv") - 1))" 3
want "manifest.json entries" "$(python3 -c "import json; print(len(json.load(open('$T/dl/manifest.json'))))")" 3
cmp -s "$T/dl/certs/root/$gov1_serial.pem" <(openssl x509 -in "$T/gov1.pem") && pass "downloaded PEM is the certificate" || fail "downloaded PEM"
problem "download bad parameter" "$U/api/v1/downloads?per_page=10001" 400 EGCA-BAD-PARAM per_page

# OpenAPI.
want "openapi.json" "$(code "$U/api/v1/openapi.json")" 200
python3 -m json.tool "$T/body" >/dev/null && pass "openapi.json parses" || fail "openapi.json parse"
for p in /api/v1/certificates /api/v1/statistics /api/v1/downloads /ocsp "/crl/{ca}.crl" "/ca/{name}.crt"; do
	json "'$p' in d['paths']" | grep -q True && pass "openapi describes $p" || fail "openapi lacks $p"
done

# Limits: 413 from Content-Length before the body is read.
exec 3<>/dev/tcp/127.0.0.1/$port
printf 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 10000000\r\n\r\n' >&3
status_line=$(timeout 5 head -n1 <&3 | tr -d '\r')
exec 3<&- 3>&-
want "413 before reading the body" "$status_line" "HTTP/1.1 413 Content Too Large"
head -c 100000 /dev/zero >"$T/big"
want "413 with curl" "$(code -H 'Content-Type: application/ocsp-request' --data-binary @"$T/big" $U/ocsp)" 413
want "431 on huge headers" "$(code -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' a)" $U/healthz)" 431
want "415 on a wrong content type" "$(code -H 'Content-Type: text/plain' --data-binary x $U/ocsp)" 415

# Slowloris: a connection that sends nothing blocks nobody.
exec 4<>/dev/tcp/127.0.0.1/$port
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&4
exec 5<>/dev/tcp/127.0.0.1/$port
start=$(date +%s%N)
want "answer beside a slow client" "$(code --max-time 5 $U/healthz)" 200
ms=$((($(date +%s%N) - start) / 1000000))
[ $ms -lt 2000 ] && pass "answered in ${ms} ms" || fail "slow answer: ${ms} ms"
exec 4<&- 4>&- 5<&- 5>&-

# 200 idle connections, then a real request.
fds=()
for i in $(seq 1 200); do
	exec {fd}<>/dev/tcp/127.0.0.1/$port && fds+=("$fd")
done
want "200 idle connections opened" "${#fds[@]}" 200
want "a request beside 200 idle connections" "$(code --max-time 5 "$U/api/v1/certificates?per_page=1")" 200
for fd in "${fds[@]}"; do exec {fd}<&-; done

# OCSP (status service: src/status).
out=$(timeout 20 openssl ocsp -issuer "$T/ca.pem" -cert "$T/gov1.pem" -url $U/ocsp -resp_text -noverify 2>&1)
echo "$out" | grep -q "gov1.pem: good" && pass "openssl ocsp POST (nonce: live signing on a worker): good" || { fail "openssl ocsp POST"; echo "$out" | head -20 | sed 's/^/    /'; }
out=$(timeout 20 openssl ocsp -issuer "$T/ca.pem" -cert "$T/rev1.pem" -url $U/ocsp -no_nonce -resp_text -noverify 2>&1)
echo "$out" | grep -q "rev1.pem: revoked" && pass "openssl ocsp POST: revoked" || { fail "openssl ocsp revoked"; echo "$out" | head -20 | sed 's/^/    /'; }
openssl ocsp -issuer "$T/ca.pem" -cert "$T/gov1.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
b64=$(base64 -w0 "$T/req.der")
enc=$(printf %s "$b64" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
curl -s -D "$T/hdr" -o "$T/resp.der" "$U/ocsp/$enc"
grep -q "^HTTP/1.1 200" "$T/hdr" && pass "OCSP GET (percent-encoded)" || fail "OCSP GET"
grep -qi "^content-type: application/ocsp-response" "$T/hdr" && pass "OCSP GET content type" || fail "OCSP GET content type"
grep -qi "^cache-control: max-age=[0-9]*, public, no-transform, must-revalidate" "$T/hdr" && pass "OCSP GET Cache-Control" || fail "OCSP GET Cache-Control"
grep -qi "^etag: " "$T/hdr" && pass "OCSP GET ETag" || fail "OCSP GET ETag"
grep -qi "^last-modified: " "$T/hdr" && grep -qi "^expires: " "$T/hdr" && pass "OCSP GET Last-Modified, Expires" || fail "OCSP GET Last-Modified/Expires"
openssl ocsp -respin "$T/resp.der" -resp_text -noverify 2>/dev/null | grep -q "Cert Status: good" && pass "OCSP GET answer is good" || fail "OCSP GET answer"
curl -s -o /dev/null -w '%{http_code}' "$U/ocsp/$b64" >"$T/out"
want "OCSP GET with raw base64 ('/' and '+' unescaped)" "$(cat "$T/out")" 200
etag=$(grep -i "^etag: " "$T/hdr" | cut -d' ' -f2- | tr -d '\r')
want "OCSP GET If-None-Match: 304" "$(code -H "If-None-Match: $etag" "$U/ocsp/$enc")" 304
want "OCSP GET bad base64: 400" "$(code "$U/ocsp/%%%")" 400
want "OCSP GET non-canonical base64: 400" "$(code "$U/ocsp/QR==")" 400
want "OCSP GET garbage DER: 200 (malformedRequest)" "$(code "$U/ocsp/AAAA")" 200
openssl ocsp -respin "$T/body" -resp_text -noverify 2>&1 | grep -q "malformedrequest\|malformedRequest" && pass "garbage DER gets malformedRequest" || fail "malformedRequest"

# CRLs.
got=$(curl -s -o "$T/root.crl" -w '%{http_code}' $U/crl/root.crl)
if [ "$got" = 200 ]; then
	pass "/crl/root.crl"
	openssl crl -inform DER -in "$T/root.crl" -noout -text 2>/dev/null | grep -qi "$rev_serial" && pass "CRL lists the revoked serial" || fail "CRL content"
	curl -s -D - -o /dev/null $U/crl/root.crl | grep -qi "^cache-control: max-age" && pass "CRL Cache-Control" || fail "CRL Cache-Control"
else
	fail "/crl/root.crl: $got"
fi

# Metrics and the access log.
want "/metrics" "$(code $U/metrics)" 200
grep -q 'egca_http_requests_total{route="api_certs",code="200"}' "$T/body" && pass "metrics: requests by route and code" || fail "metrics requests"
grep -q 'egca_http_request_duration_seconds_bucket{le="+Inf"}' "$T/body" && pass "metrics: latency histogram" || fail "metrics histogram"
grep -q 'egca_ocsp_certificates_total{status="good"} [1-9]' "$T/body" && pass "metrics: OCSP by certificate status" || fail "metrics OCSP"
grep -q 'egca_crl_age_seconds' "$T/body" && pass "metrics: CRL age" || fail "metrics CRL age"
grep -q 'egca_status_sign_errors_total' "$T/body" && pass "metrics: signing errors" || fail "metrics sign errors"
grep -q 'rid=.* remote=127.0.0.1 method=GET path="/api/v1/certificates" route=api_certs status=200 bytes=[0-9]* duration_us=[0-9]*' "$T/access.log" && pass "access log line" || fail "access log"

# SIGTERM: clean exit.
check "egca serve exits 0 on SIGTERM" serve_stop
finish
