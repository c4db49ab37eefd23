#!/usr/bin/env bash
# Status agreement and abuse, against a real egca serve:
# - for every issued serial and 10,000 random unassigned ones,
#   OCSP = CRL = store (tests/tools/status_agree, OpenSSL-built requests);
#   never "good" for a serial the CA did not issue;
# - a revocation made while serving reaches OCSP within seconds and the
#   CRL within the configured delay;
# - responses and CRLs fetched over HTTP verify (OpenSSL for P-256 with
#   -CAfile and -VAfile, BouncyCastle with the SM2 user ID for SM2);
# - garbage, truncated and oversized requests, 1,000 CertIDs, bad base64,
#   unknown paths, slow clients, 10,000 idle connections and connections
#   closed without a request: clear statuses, the service keeps answering.
. "$(dirname "$0")/lib.sh"
AGREE=${EGCA_BUILD_DIR:?}/status_agree

for alg in sm2 ecdsa-p256; do
	d=$T/$alg
	check "$alg: init" init_ca "$d" --alg "$alg" \
		--subject "C=CN,O=Status Test CA,CN=Status $alg CA"
	# Fast CRL regeneration so the test sees it.
	python3 - "$d/egca.conf" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["status"] = {"crl_delay_seconds": 1}
json.dump(c, open(p, "w"), indent=2)
PY
	"$EGCA" ca export --dir "$d" --out "$T/$alg-ca.pem"
	case $alg in
	sm2) sm2_csr "$T/$alg.key" "$T/$alg.csr" "/C=CN/O=Status/CN=holder" ;;
	*) openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$alg.key" -subj "/C=CN/O=Status/CN=holder" -out "$T/$alg.csr" 2>/dev/null ;;
	esac
	n=0
	for i in $(seq 1 24); do
		"$EGCA" cert issue --dir "$d" --csr "$T/$alg.csr" --profile tls-server \
			--dns "h$i.example.gov.cn" --passphrase-file "$PASSFILE" \
			--out "$T/$alg-$i.pem" 2>/dev/null && n=$((n + 1))
	done
	[ $n = 24 ] && pass "$alg: 24 certificates issued" || fail "$alg: issued $n of 24"
	ser() { openssl x509 -in "$T/$alg-$1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f; }
	for i in 1 2 3 4; do "$EGCA" cert revoke --dir "$d" --reason keyCompromise "$(ser $i)" >/dev/null; done
	for i in 5 6 7; do "$EGCA" cert hold --dir "$d" "$(ser $i)" >/dev/null; done
	"$EGCA" cert unhold --dir "$d" "$(ser 7)" >/dev/null
	"$EGCA" cert revoke --dir "$d" --reason superseded "$(ser 6)" >/dev/null
	"$EGCA" crl generate --dir "$d" --passphrase-file "$PASSFILE" >/dev/null

	serve_start "$d" || finish
	curl -s -o "$T/$alg.crl" "$U/crl/root.crl"
	"$EGCA" cert list --dir "$d" --limit 10000 --json >"$T/list.json"
	python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["certificates"]:
    print(c["serial"], c["status"])' "$T/list.json" >"$T/expect.txt"
	check "$alg: OCSP = CRL = store for 24 issued and 10,000 unassigned serials" \
		"$AGREE" 127.0.0.1 "${U##*:}" "$T/$alg-ca.pem" "$T/$alg.crl" "$T/expect.txt" 10000
	tail -1 "$T/out"

	# Responses and CRLs over HTTP verify: OpenSSL for P-256 (the delegated
	# signer chains to the CA), BouncyCastle with the SM2 user ID for SM2.
	openssl ocsp -issuer "$T/$alg-ca.pem" -cert "$T/$alg-9.pem" -url "$U/ocsp" \
		-no_nonce -noverify -respout "$T/resp.der" >/dev/null 2>&1
	openssl ocsp -respin "$T/resp.der" -resp_text -noverify 2>/dev/null |
		sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' >"$T/signer.pem"
	if [ "$alg" = sm2 ]; then
		check "$alg: OCSP response over HTTP verifies (BouncyCastle, SM2 user ID)" \
			bcverify ocsp "$T/resp.der" "$T/signer.pem"
		check "$alg: delegated signer chains to the CA (BouncyCastle)" \
			bcverify cert "$T/signer.pem" "$T/$alg-ca.pem"
		check "$alg: CRL over HTTP verifies (BouncyCastle, SM2 user ID)" \
			bcverify crl "$T/$alg.crl" "$T/$alg-ca.pem"
	else
		openssl ocsp -issuer "$T/$alg-ca.pem" -cert "$T/$alg-9.pem" -url "$U/ocsp" \
			-CAfile "$T/$alg-ca.pem" >"$T/out" 2>&1
		expect_out "Response verify OK" "$alg: OCSP response over HTTP verifies (openssl, -CAfile)"
		openssl ocsp -issuer "$T/$alg-ca.pem" -cert "$T/$alg-9.pem" -url "$U/ocsp" \
			-VAfile "$T/signer.pem" >"$T/out" 2>&1
		expect_out "Response verify OK" "$alg: OCSP response verifies with -VAfile (the delegated signer)"
		check "$alg: CRL over HTTP verifies (openssl crl -CAfile)" \
			openssl crl -inform DER -in "$T/$alg.crl" -CAfile "$T/$alg-ca.pem" -noout
	fi
	code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
	openssl ocsp -issuer "$T/$alg-ca.pem" -cert "$T/$alg-9.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	b64=$(base64 -w0 "$T/req.der" | sed 's#+#%2B#g; s#/#%2F#g; s#=#%3D#g')
	curl -s -D "$T/headers" -o "$T/get.der" "$U/ocsp/$b64"
	grep -qi '^Cache-Control: .*max-age=[1-9]' "$T/headers" && grep -qi '^ETag:' "$T/headers" &&
		grep -qi '^Last-Modified:' "$T/headers" &&
		pass "$alg: GET answer carries Cache-Control max-age, ETag, Last-Modified" ||
		{ fail "$alg: GET caching headers"; cat "$T/headers"; }

	# A revocation while serving: OCSP at once (next tick), CRL after the delay.
	s8=$(ser 8)
	"$EGCA" cert revoke --dir "$d" --reason affiliationChanged "$s8" >/dev/null
	ok=""
	for _ in $(seq 1 50); do
		openssl ocsp -issuer "$T/$alg-ca.pem" -serial "0x$s8" -url "$U/ocsp" \
			-noverify -no_nonce >"$T/ocsp.txt" 2>&1
		grep -q ': revoked' "$T/ocsp.txt" && { ok=1; break; }
		sleep 0.2
	done
	[ -n "$ok" ] && pass "$alg: OCSP answers revoked within 10 s of a CLI revocation" \
		|| { fail "$alg: OCSP still not revoked"; cat "$T/ocsp.txt"; }
	ok=""
	for _ in $(seq 1 60); do
		curl -s -o "$T/crl2.der" "$U/crl/root.crl"
		openssl crl -inform DER -in "$T/crl2.der" -noout -text 2>/dev/null |
			grep -qi "Serial Number: $s8" && { ok=1; break; }
		sleep 0.25
	done
	[ -n "$ok" ] && pass "$alg: CRL lists it within the configured delay" \
		|| fail "$alg: CRL does not list $s8"

	# Bad input: a clear status, and the service keeps answering.
	c=$(code -X POST -H 'Content-Type: application/ocsp-request' --data-binary 'garbage' "$U/ocsp")
	if [ "$c" = 200 ] && [ "$(od -An -tx1 "$T/body" | tr -d ' \n')" = 30030a0101 ]; then
		pass "$alg: garbage OCSP request -> malformedRequest"
	else fail "$alg: garbage OCSP request -> $c $(od -An -tx1 "$T/body" | head -1)"; fi
	openssl ocsp -issuer "$T/$alg-ca.pem" -cert "$T/$alg-9.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	head -c 20 "$T/req.der" >"$T/req-trunc.der"
	c=$(code -X POST -H 'Content-Type: application/ocsp-request' --data-binary @"$T/req-trunc.der" "$U/ocsp")
	[ "$c" = 200 ] && [ "$(od -An -tx1 "$T/body" | tr -d ' \n')" = 30030a0101 ] &&
		pass "$alg: truncated OCSP request -> malformedRequest" || fail "$alg: truncated -> $c"
	args=""
	for i in $(seq 1 1000); do args="$args -serial $i"; done
	# shellcheck disable=SC2086
	openssl ocsp -issuer "$T/$alg-ca.pem" $args -no_nonce -reqout "$T/req1000.der" >/dev/null 2>&1
	c=$(code -X POST -H 'Content-Type: application/ocsp-request' --data-binary @"$T/req1000.der" "$U/ocsp")
	[ "$c" = 200 ] && [ "$(od -An -tx1 "$T/body" | tr -d ' \n')" = 30030a0101 ] &&
		pass "$alg: 1,000 CertIDs -> malformedRequest" || fail "$alg: 1,000 CertIDs -> $c"
	head -c 2000000 /dev/zero >"$T/big"
	c=$(code -X POST -H 'Content-Type: application/ocsp-request' --data-binary @"$T/big" "$U/ocsp")
	[ "$c" = 413 ] && pass "$alg: 2 MB body -> 413" || fail "$alg: 2 MB body -> $c"
	c=$(code "$U/ocsp/%%%not-base64%%%")
	[ "$c" = 400 ] && pass "$alg: bad base64 GET -> 400" || fail "$alg: bad base64 GET -> $c"
	c=$(code "$U/no/such/path")
	[ "$c" = 404 ] && pass "$alg: unknown path -> 404" || fail "$alg: unknown path -> $c"
	# Slow clients, idle connections, and connections closed without a
	# request (one such wedges openssl ocsp -port), from another loopback
	# address so the per-IP limit does not count the real client.
	python3 - "${U##*:}" >"$T/abuse.txt" 2>&1 <<'PY' &
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
port = int(sys.argv[1])
for _ in range(300):
    s = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0)); s.close()
idle = []
for _ in range(10000):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=("127.0.0.2", 0))
        s.send(b"POST /ocsp HTTP/1.1\r\nHost: x\r\n")  # never finished
        idle.append(s)
    except OSError:
        break
print("held", len(idle))
time.sleep(4)
PY
	abuser=$!
	sleep 1
	ok=0
	for _ in 1 2 3 4 5; do
		openssl ocsp -issuer "$T/$alg-ca.pem" -cert "$T/$alg-10.pem" -url "$U/ocsp" \
			-noverify -no_nonce 2>/dev/null | grep -q ': good' && ok=$((ok + 1))
	done
	[ $ok = 5 ] && pass "$alg: answers other clients during slow and idle connections" \
		|| fail "$alg: only $ok of 5 answered under abuse"
	wait $abuser
	echo "# abuse: $(tr '\n' ' ' <"$T/abuse.txt") (per-IP limit 256, connection limit 1024)"
	check "$alg: healthz after abuse" curl -sf "$U/healthz"
	check "$alg: egca serve exits 0 on SIGTERM" serve_stop
done
finish
