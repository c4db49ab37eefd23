#!/usr/bin/env bash
# OCSP from the CLI: requests made by `openssl ocsp`, answered by
# `egca ocsp respond`, checked by `openssl ocsp -respin` (P-256, RSA:
# full verification against the CA; SM2: OpenSSL 3.0 cannot verify SM2
# with the user ID, so BouncyCastle does) through issue, revoke, hold,
# unhold; unknown serials, other CAs, garbage, nonces, SHA-256 CertIDs.
. "$(dirname "$0")/lib.sh"

# respond DIR REQ OUT: egca ocsp respond with the test passphrase.
respond() {
	"$EGCA" ocsp respond --dir "$1" --request "$2" --out "$3" \
		--passphrase-file "$PASSFILE" --json
}

# status_of RESP: the first "Cert Status" of a response.
status_of() {
	openssl ocsp -respin "$1" -resp_text -noverify 2>/dev/null |
		sed -n 's/^ *Cert Status: //p' | head -1
}

# signer_of RESP OUT: the delegated signer certificate in the response.
signer_of() {
	openssl ocsp -respin "$1" -resp_text -noverify 2>/dev/null |
		sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' >"$2"
}

for alg in sm2 ecdsa-p256 rsa-3072; do
	d=$T/$alg
	check "$alg: egca init" init_ca "$d" --alg "$alg" \
		--subject "C=CN,O=Test OCSP CA,CN=Test $alg OCSP Root"
	"$EGCA" ca export --dir "$d" --out "$T/$alg-ca.pem" >/dev/null
	case $alg in
	sm2) sm2_csr "$T/$alg-ee.key" "$T/$alg-ee.csr" "/C=CN/O=T/CN=Li Si" ;;
	*)
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout "$T/$alg-ee.key" -subj "/C=CN/O=T/CN=Li Si" \
			-out "$T/$alg-ee.csr" 2>/dev/null ;;
	esac
	check "$alg: issue" "$EGCA" cert issue --dir "$d" --csr "$T/$alg-ee.csr" \
		--profile tls-server --dns ocsp.example.gov.cn \
		--passphrase-file "$PASSFILE" --out "$T/$alg-ee.pem"
	serial=$(openssl x509 -in "$T/$alg-ee.pem" -noout -serial | cut -d= -f2 |
		tr 'A-F' 'a-f' | sed 's/^\(00\)*//')
	n=$(sql "$d" "SELECT COUNT(*) FROM ocsp_response WHERE serial = '$serial' AND stale = 0 AND der IS NOT NULL")
	if [ "$n" = 1 ]; then pass "$alg: response pre-signed at issuance"; else fail "$alg: no pre-signed response ($n)"; fi

	# One SHA-1 CertID without nonce: the pre-signed response.
	openssl ocsp -issuer "$T/$alg-ca.pem" -cert "$T/$alg-ee.pem" \
		-reqout "$T/$alg-req.der" -no_nonce >/dev/null 2>&1
	expect_exit 0 "$alg: respond" respond "$d" "$T/$alg-req.der" "$T/$alg-resp.der"
	expect_out '"presigned": true' "$alg: answered from the pre-signed response"
	if [ "$(status_of "$T/$alg-resp.der")" = good ]; then pass "$alg: good"; else fail "$alg: not good"; fi
	signer_of "$T/$alg-resp.der" "$T/$alg-signer.pem"
	openssl x509 -in "$T/$alg-signer.pem" -noout -text >"$T/out" 2>&1
	expect_out "OCSP Signing" "$alg: delegated signer has id-kp-OCSPSigning"
	expect_out "OCSP No Check" "$alg: delegated signer has id-pkix-ocsp-nocheck"
	if [ "$alg" = sm2 ]; then
		check "$alg: BouncyCastle verifies the response" \
			bcverify ocsp "$T/$alg-resp.der" "$T/$alg-signer.pem"
		check "$alg: BouncyCastle verifies the signer" \
			bcverify cert "$T/$alg-signer.pem" "$T/$alg-ca.pem"
	else
		check "$alg: openssl ocsp verifies against the CA" openssl ocsp \
			-respin "$T/$alg-resp.der" -CAfile "$T/$alg-ca.pem" \
			-issuer "$T/$alg-ca.pem" -cert "$T/$alg-ee.pem" \
			-reqin "$T/$alg-req.der"
		openssl ocsp -respin "$T/$alg-resp.der" -CAfile "$T/$alg-ca.pem" \
			-issuer "$T/$alg-ca.pem" -cert "$T/$alg-ee.pem" >"$T/out" 2>&1
		expect_out "Response verify OK" "$alg: Response verify OK"
	fi

	# A nonce: signed live, echoed.
	openssl ocsp -issuer "$T/$alg-ca.pem" -cert "$T/$alg-ee.pem" \
		-reqout "$T/$alg-nreq.der" >/dev/null 2>&1
	expect_exit 0 "$alg: respond with nonce" respond "$d" "$T/$alg-nreq.der" "$T/$alg-nresp.der"
	expect_out '"presigned": false' "$alg: nonce signed live"
	if [ "$alg" != sm2 ]; then
		# -reqin alone: with -cert openssl would make a new nonce.
		check "$alg: nonce verified by openssl" openssl ocsp \
			-respin "$T/$alg-nresp.der" -CAfile "$T/$alg-ca.pem" \
			-reqin "$T/$alg-nreq.der"
	else
		check "$alg: live response verifies (BouncyCastle)" \
			bcverify ocsp "$T/$alg-nresp.der" "$T/$alg-signer.pem"
	fi

	# SHA-256 CertIDs and a serial the CA never issued.
	openssl ocsp -sha256 -issuer "$T/$alg-ca.pem" -cert "$T/$alg-ee.pem" \
		-serial 0x5a5a5a5a5a5a5a5a5a5a -reqout "$T/$alg-two.der" -no_nonce >/dev/null 2>&1
	expect_exit 0 "$alg: two SHA-256 CertIDs" respond "$d" "$T/$alg-two.der" "$T/$alg-two.resp"
	expect_out '"good": 1, "revoked": 0, "unknown": 1' "$alg: issued good, unassigned unknown"
	openssl ocsp -respin "$T/$alg-two.resp" -resp_text -noverify >"$T/out" 2>&1
	expect_out "Cert Status: unknown" "$alg: unassigned serial is unknown"
	expect_out "Hash Algorithm: sha256" "$alg: SHA-256 CertID echoed"

	# Revoke: stale at once, re-signed when the service opens.
	check "$alg: revoke" "$EGCA" cert revoke --dir "$d" --reason keyCompromise "$serial"
	n=$(sql "$d" "SELECT stale FROM ocsp_response WHERE serial = '$serial'")
	if [ "$n" = 1 ]; then pass "$alg: revocation marks the response stale"; else fail "$alg: stale=$n"; fi
	expect_exit 0 "$alg: respond after revoke" respond "$d" "$T/$alg-req.der" "$T/$alg-rresp.der"
	openssl ocsp -respin "$T/$alg-rresp.der" -resp_text -noverify >"$T/out" 2>&1
	expect_out "Cert Status: revoked" "$alg: revoked"
	expect_out "Revocation Reason: keyCompromise" "$alg: reason keyCompromise"
done

# Hold and unhold (SM2).
d=$T/sm2
sm2_csr "$T/h.key" "$T/h.csr" "/C=CN/O=T/CN=Wang Wu"
"$EGCA" cert issue --dir "$d" --csr "$T/h.csr" --profile tls-server \
	--dns h.example.gov.cn --passphrase-file "$PASSFILE" --out "$T/h.pem" >/dev/null 2>&1
hs=$(openssl x509 -in "$T/h.pem" -noout -serial | cut -d= -f2)
openssl ocsp -issuer "$T/sm2-ca.pem" -cert "$T/h.pem" -reqout "$T/h.req" -no_nonce >/dev/null 2>&1
"$EGCA" cert hold --dir "$d" "$hs" >/dev/null 2>&1
respond "$d" "$T/h.req" "$T/h.resp" >/dev/null 2>&1
openssl ocsp -respin "$T/h.resp" -resp_text -noverify >"$T/out" 2>&1
expect_out "Revocation Reason: certificateHold" "held: revoked with certificateHold"
"$EGCA" cert unhold --dir "$d" "$hs" >/dev/null 2>&1
respond "$d" "$T/h.req" "$T/h.resp" >/dev/null 2>&1
if [ "$(status_of "$T/h.resp")" = good ]; then pass "unheld: good again"; else fail "unheld: $(status_of "$T/h.resp")"; fi

# Refusals: still an OCSPResponse, exit 0.
head -c 200 /dev/urandom >"$T/junk.der"
expect_exit 0 "garbage answered" respond "$d" "$T/junk.der" "$T/junk.resp"
expect_out '"status": "malformedRequest"' "garbage: malformedRequest"
openssl ocsp -respin "$T/junk.resp" -resp_text -noverify >"$T/out" 2>&1
expect_out "malformedrequest" "openssl reads malformedRequest"
expect_exit 0 "other CA answered" respond "$T/ecdsa-p256" "$T/sm2-req.der" "$T/other.resp"
expect_out '"status": "unauthorized"' "another CA's certificate: unauthorized"
args=()
for i in $(seq 1 30); do args+=(-serial "0x$i"); done
openssl ocsp -issuer "$T/sm2-ca.pem" "${args[@]}" -reqout "$T/many.der" -no_nonce >/dev/null 2>&1
expect_exit 0 "30 CertIDs answered" respond "$d" "$T/many.der" "$T/many.resp"
expect_out '"status": "malformedRequest"' "more than 20 CertIDs: malformedRequest"
n=$(sql "$d" "SELECT COUNT(*) FROM ocsp_signer WHERE active = 1")
if [ "$n" = 1 ]; then pass "one active delegated signer"; else fail "active signers: $n"; fi
ls "$d"/keys/*-ocsp-*.key >/dev/null 2>&1 && pass "signer key saved under keys/" || fail "no signer key file"

finish
