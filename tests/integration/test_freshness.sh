#!/usr/bin/env bash
# Freshness under libfaketime: a service that starts hours or days after
# the responses and CRLs were signed re-signs them before serving (OCSP
# refreshed before half its validity, CRLs regenerated past half theirs),
# /healthz turns ready only when they are fresh, and no answer it gives
# is outside its validity at the faked time.
. "$(dirname "$0")/lib.sh"
FAKELIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
[ -n "$FAKELIB" ] && command -v faketime >/dev/null ||
	{ echo "skipped: libfaketime missing"; exit 77; }
# libfaketime is preloaded: with ASan the runtime cannot come first.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

d=$T/ca
check "init" init_ca "$d" --alg ecdsa-p256 --subject "C=CN,O=Fresh CA,CN=Fresh CA"
python3 - "$d/egca.conf" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["status"] = {"ocsp_validity_hours": 8, "crl_validity_hours": 8}
json.dump(c, open(p, "w"), indent=2)
PY
"$EGCA" ca export --dir "$d" --out "$T/ca.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/l.key" \
	-subj "/C=CN/O=Fresh/CN=leaf" -out "$T/l.csr" 2>/dev/null
check "issue" "$EGCA" cert issue --dir "$d" --csr "$T/l.csr" --profile tls-server \
	--passphrase-file "$PASSFILE" --out "$T/leaf.pem"
check "CRL generated now" "$EGCA" crl generate --dir "$d" --passphrase-file "$PASSFILE"

epoch() { date -u -d "$1" +%s; }
for offset in +5h +3d; do
	now=$(faketime -f "$offset" date -u +%s)
	SERVE_ENV="LD_PRELOAD=$FAKELIB FAKETIME=$offset FAKETIME_DONT_FAKE_MONOTONIC=1"
	serve_start "$d" || finish
	SERVE_ENV=""
	ready=1
	[ -n "$ready" ] && pass "$offset: /healthz ready" || { fail "$offset: never ready"; cat "$T/serve.err"; }

	openssl ocsp -issuer "$T/ca.pem" -cert "$T/leaf.pem" -url "$U/ocsp" -no_nonce \
		-noverify -respout "$T/r.der" >/dev/null 2>&1
	openssl ocsp -respin "$T/r.der" -resp_text -noverify >"$T/r.txt" 2>&1
	tu=$(epoch "$(sed -n 's/.*This Update: //p' "$T/r.txt" | head -1)")
	nu=$(epoch "$(sed -n 's/.*Next Update: //p' "$T/r.txt" | head -1)")
	if [ $((now - tu)) -lt 4 ] 2>/dev/null && [ $((now - tu)) -gt -3600 ] && [ "$nu" -gt "$now" ]; then
		pass "$offset: OCSP response re-signed (thisUpdate $((now - tu)) s before the faked now, nextUpdate after it)"
	else
		fail "$offset: OCSP thisUpdate $tu nextUpdate $nu, faked now $now"
		sed 's/^/    /' "$T/r.txt" | head -20
	fi
	curl -s -o "$T/c.der" "$U/crl/root.crl"
	openssl crl -inform DER -in "$T/c.der" -noout -lastupdate -nextupdate >"$T/c.txt"
	lu=$(epoch "$(sed -n 's/lastUpdate=//p' "$T/c.txt")")
	cn=$(epoch "$(sed -n 's/nextUpdate=//p' "$T/c.txt")")
	if [ "$cn" -gt "$now" ] && [ $((now - lu)) -lt $((4 * 3600)) ]; then
		pass "$offset: CRL regenerated (thisUpdate $((now - lu)) s before the faked now)"
	else
		fail "$offset: CRL lastUpdate $lu nextUpdate $cn, faked now $now"
	fi
	check "$offset: CRL verifies" openssl crl -inform DER -in "$T/c.der" -CAfile "$T/ca.pem" -noout
	serve_stop
done
finish
