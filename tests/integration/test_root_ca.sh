#!/usr/bin/env bash
# A root CA from the CLI, for each key algorithm: init, issue from real
# openssl CSRs, check the certificates with the openssl CLI and with
# BouncyCastle, lifecycle (show, list, hold, unhold, revoke) and the
# audit chain.
. "$(dirname "$0")/lib.sh"

for alg in sm2 ecdsa-p256 rsa-3072; do
	d=$T/$alg
	check "$alg: egca init" init_ca "$d" --alg "$alg" \
		--subject "C=CN,O=Test Province CA,CN=Test $alg Root"
	check "$alg: ca export" "$EGCA" ca export --dir "$d" --out "$T/$alg-ca.pem"
	openssl x509 -in "$T/$alg-ca.pem" -noout -text >"$T/out" 2>&1
	expect_out "Certificate Sign, CRL Sign" "$alg: root keyUsage keyCertSign+cRLSign"
	expect_out "CA:TRUE" "$alg: root basicConstraints CA:TRUE"
	days=$(( ($(date -d "$(openssl x509 -in "$T/$alg-ca.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
	if [ "$days" -le 3653 ]; then pass "$alg: root validity $days days <= 3653"; else fail "$alg: root validity $days"; fi
	check "$alg: root self-signature (BouncyCastle)" bcverify cert "$T/$alg-ca.pem" "$T/$alg-ca.pem"

	# An applicant key of the same family.
	case $alg in
	sm2) sm2_csr "$T/$alg-ee.key" "$T/$alg-ee.csr" "/C=CN/O=Test Bureau/CN=Zhang San" ;;
	ecdsa-p256)
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$T/$alg-ee.key" -subj "/C=CN/O=Test Bureau/CN=Zhang San" \
			-out "$T/$alg-ee.csr" 2>/dev/null ;;
	rsa-3072)
		openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$alg-ee.key" \
			-subj "/C=CN/O=Test Bureau/CN=Zhang San" -out "$T/$alg-ee.csr" 2>/dev/null ;;
	esac
	check "$alg: cert issue tls-server" "$EGCA" cert issue --dir "$d" \
		--csr "$T/$alg-ee.csr" --profile tls-server --dns www.example.gov.cn \
		--passphrase-file "$PASSFILE" --out "$T/$alg-ee.pem"
	if [ "$alg" = sm2 ]; then
		check "$alg: openssl verify -vfyopt distid" openssl verify \
			-vfyopt distid:1234567812345678 -CAfile "$T/$alg-ca.pem" "$T/$alg-ee.pem"
	else
		check "$alg: openssl verify" openssl verify -CAfile "$T/$alg-ca.pem" "$T/$alg-ee.pem"
	fi
	check "$alg: leaf signature (BouncyCastle)" bcverify cert "$T/$alg-ee.pem" "$T/$alg-ca.pem"
	check "$alg: egca verify" "$EGCA" verify --chain "$T/$alg-ca.pem" "$T/$alg-ee.pem"
	openssl x509 -in "$T/$alg-ee.pem" -noout -text >"$T/out" 2>&1
	expect_out "DNS:www.example.gov.cn" "$alg: subjectAltName"
	expect_out "OCSP - URI:http://127.0.0.1:8080/ocsp" "$alg: AIA OCSP"
	expect_out "CA Issuers - URI:http://127.0.0.1:8080/ca/root.crt" "$alg: AIA caIssuers"
	expect_out "URI:http://127.0.0.1:8080/crl/root.crl" "$alg: CRL distribution point"
	expect_out "URI:http://127.0.0.1:8080/crl/root-delta.crl" "$alg: freshestCRL (delta CRLs on by default)"
done

# SM2 government-department signing and encryption certificates.
d=$T/sm2
sm2_csr "$T/gov.key" "$T/gov.csr" "/C=CN/ST=Zhejiang/O=Test Bureau/CN=Test Bureau"
check "gov-sign issue" "$EGCA" cert issue --dir "$d" --csr "$T/gov.csr" \
	--profile gov-sign --org-code 12345678-9 --uscc 91350100M000100Y43 \
	--passphrase-file "$PASSFILE" --out "$T/gov-sign.pem"
openssl x509 -in "$T/gov-sign.pem" -noout -text >"$T/out" 2>&1
expect_out "Digital Signature, Non Repudiation" "gov-sign keyUsage digitalSignature+nonRepudiation"
expect_out "X509v3 Key Usage: critical" "gov-sign keyUsage critical"
expect_out "SM2-with-SM3|sm2sign-with-sm3|1.2.156.10197.1.501" "gov-sign signed with SM2-with-SM3"
openssl x509 -in "$T/gov-sign.pem" -outform DER -out "$T/gov-sign.der"
# sm2-with-SM3 AlgorithmIdentifier without parameters: 30 0a 06 08 ...
if od -An -tx1 -v "$T/gov-sign.der" | tr -d ' \n' | grep -q '300a06082a811ccf55018375'; then
	pass "sm2-with-SM3 AlgorithmIdentifier has no parameters"
else
	fail "sm2-with-SM3 AlgorithmIdentifier encoding"
fi
check "gov-sign verifies (BouncyCastle)" bcverify cert "$T/gov-sign.pem" "$T/sm2-ca.pem"
check "gov-enc issue" "$EGCA" cert issue --dir "$d" --csr "$T/gov.csr" \
	--profile gov-enc --org-code 12345678-9 --uscc 91350100M000100Y43 \
	--passphrase-file "$PASSFILE" --out "$T/gov-enc.pem"
openssl x509 -in "$T/gov-enc.pem" -noout -text >"$T/out" 2>&1
expect_out "Key Encipherment, Data Encipherment, Key Agreement" "gov-enc keyUsage"

# Lifecycle.
serial=$(openssl x509 -in "$T/gov-sign.pem" -noout -serial | cut -d= -f2)
expect_exit 0 "cert show" "$EGCA" cert show --dir "$d" --json "$serial"
expect_out '"status": "good"' "new certificate is good"
expect_out '"audience": "government"' "gov profile gives government audience"
expect_exit 0 "cert hold" "$EGCA" cert hold --dir "$d" "$serial"
"$EGCA" cert show --dir "$d" --json "$serial" >"$T/out" 2>&1
expect_out '"status": "hold"' "held certificate shows hold"
expect_out '"reason": "certificateHold"' "hold reason certificateHold"
expect_exit 8 "hold twice refused" "$EGCA" cert hold --dir "$d" "$serial"
expect_exit 0 "cert unhold" "$EGCA" cert unhold --dir "$d" "$serial"
"$EGCA" cert show --dir "$d" --json "$serial" >"$T/out" 2>&1
expect_out '"status": "good"' "unheld certificate is good again"
expect_exit 2 "revoke with reason certificateHold refused" \
	"$EGCA" cert revoke --dir "$d" --reason certificateHold "$serial"
expect_exit 0 "cert revoke keyCompromise" "$EGCA" cert revoke --dir "$d" \
	--reason keyCompromise --invalidity-date 2026-01-01 "$serial"
"$EGCA" cert show --dir "$d" --json "$serial" >"$T/out" 2>&1
expect_out '"reason": "keyCompromise"' "revocation reason stored"
expect_out '"invalidity_date": "2026-01-01T00:00:00Z"' "invalidity date stored"
expect_exit 8 "revoke twice refused" "$EGCA" cert revoke --dir "$d" "$serial"
expect_exit 8 "unhold of a revoked certificate refused" "$EGCA" cert unhold --dir "$d" "$serial"
expect_exit 6 "unknown serial" "$EGCA" cert show --dir "$d" 0badc0de

expect_exit 0 "cert list --json" "$EGCA" cert list --dir "$d" --json
expect_out '"total": 3' "three certificates listed"
expect_exit 0 "list filtered by status" "$EGCA" cert list --dir "$d" --status revoked --json
expect_out '"total": 1' "one revoked"
expect_exit 0 "list filtered by profile" "$EGCA" cert list --dir "$d" --profile gov-enc --json
expect_out '"total": 1' "one gov-enc"
expect_exit 0 "list paging" "$EGCA" cert list --dir "$d" --limit 1 --offset 1 --json
if [ "$(grep -c '"serial"' "$T/out")" = 1 ]; then pass "page holds one"; else fail "paging"; fi
expect_exit 0 "list by subject" "$EGCA" cert list --dir "$d" --subject "Zhang San" --json
expect_out '"total": 1' "subject search"

# Audit: intact, then every kind of tampering is found.
expect_exit 0 "audit verify intact" "$EGCA" audit verify --dir "$d"
expect_out "audit chain intact" "audit chain reported intact"
n=$(sql "$d" "SELECT count(*) FROM audit_event")
if [ "$n" -ge 7 ]; then pass "audit has $n events"; else fail "audit has only $n events"; fi
cp -r "$d" "$T/tamper-base" 2>/dev/null || true
sql "$d" "UPDATE audit_event SET details = replace(details, 'keyCompromise', 'keyCompromisf') WHERE action = 'cert.revoke'"
expect_exit 13 "audit verify finds a changed byte" "$EGCA" audit verify --dir "$d" --json
expect_out '"first_bad_position": [1-9]' "position of the change reported"
sql "$d" "UPDATE audit_event SET details = replace(details, 'keyCompromisf', 'keyCompromise') WHERE action = 'cert.revoke'"
expect_exit 0 "restored chain verifies" "$EGCA" audit verify --dir "$d"
sql "$d" "DELETE FROM audit_event WHERE seq = 3"
expect_exit 13 "audit verify finds a deleted event" "$EGCA" audit verify --dir "$d" --json
expect_out '"first_bad_position": 3' "deletion reported at position 3"
finish
