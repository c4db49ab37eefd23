#!/usr/bin/env bash
# egca serve over HTTPS (--tls-cert/--tls-key; libmicrohttpd with GnuTLS,
# so the TLS key is ECDSA or RSA: GnuTLS has no SM2): OCSP, CRL and the
# REST API answer over TLS with a certificate curl and openssl trust.
. "$(dirname "$0")/lib.sh"

d=$T/ca
check "init" init_ca "$d"
"$EGCA" ca export --dir "$d" --out "$T/ca.pem"
sm2_csr "$T/l.key" "$T/l.csr" "/C=CN/O=TLS/CN=leaf"
check "issue" "$EGCA" cert issue --dir "$d" --csr "$T/l.csr" --profile gov-sign \
	--passphrase-file "$PASSFILE" --out "$T/leaf.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/tls.key" -out "$T/tls.pem" -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -days 2 2>/dev/null
serve_start "$d" --tls-cert "$T/tls.pem" --tls-key "$T/tls.key" || finish
case $U in https://*) pass "listening on $U" ;; *) fail "not HTTPS: $U" ;; esac
check "healthz over TLS (certificate verified)" curl -sf --cacert "$T/tls.pem" "$U/healthz"
check "bootstrap the security administrator over TLS" op_bootstrap "$d"
check "a certificate reader with a token over TLS" op_new rdr1 auditor
check "REST API over TLS" curl -sf --cacert "$T/tls.pem" \
	-H "Authorization: Bearer $(cat "$OPDIR/rdr1.token" 2>/dev/null)" "$U/api/v1/certificates"
expect_exit 22 "REST API over TLS without a credential: 401" \
	curl -sf --cacert "$T/tls.pem" "$U/api/v1/certificates"
check "CRL over TLS" curl -sf --cacert "$T/tls.pem" -o "$T/c.der" "$U/crl/root.crl"
openssl ocsp -issuer "$T/ca.pem" -cert "$T/leaf.pem" -url "$U/ocsp" \
	-CAfile "$T/tls.pem" -noverify -no_nonce >"$T/out" 2>&1
expect_out "leaf.pem: good" "OCSP over TLS with openssl ocsp"
expect_exit 60 "a client that does not trust the certificate is refused" \
	curl -s "$U/healthz"
check "egca serve exits 0 on SIGTERM" serve_stop
finish
