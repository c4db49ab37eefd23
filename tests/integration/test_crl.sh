#!/usr/bin/env bash
# CRLs from the CLI, for each key algorithm: egca crl generate / show,
# checked with `openssl crl` (P-256, RSA) and BouncyCastle (SM2: OpenSSL
# 3.0 cannot verify SM2 CRLs with the GM/T user ID, gm-standards.md
# §5.3): entries and reasons, cRLNumber increasing, the delta CRL with
# deltaCRLIndicator, certificateHold, removeFromCRL after an unhold and
# the entry gone from the next full CRL; published files match the store.
. "$(dirname "$0")/lib.sh"

new_csr() { # alg key csr cn
	case $1 in
	sm2) sm2_csr "$2" "$3" "/C=CN/O=Test Bureau/CN=$4" ;;
	ecdsa-p256)
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$2" -subj "/C=CN/O=Test Bureau/CN=$4" -out "$3" 2>/dev/null ;;
	rsa-3072)
		openssl req -new -newkey rsa:2048 -nodes -keyout "$2" \
			-subj "/C=CN/O=Test Bureau/CN=$4" -out "$3" 2>/dev/null ;;
	esac
}

# crl_ok ALG CRL CA: the signature verifies.
crl_ok() {
	if [ "$1" = sm2 ]; then
		bcverify crl "$2" "$3"
	else
		openssl crl -in "$2" -CAfile "$3" -noout 2>&1 | grep -q "verify OK"
	fi
}

crl_number() { openssl crl -in "$1" -noout -crlnumber | cut -d= -f2; }

for alg in sm2 ecdsa-p256 rsa-3072; do
	d=$T/$alg
	check "$alg: egca init" init_ca "$d" --alg "$alg" \
		--subject "C=CN,O=Test Province CA,CN=Test $alg CRL Root"
	"$EGCA" ca export --dir "$d" --out "$T/$alg-ca.pem"
	for i in 1 2 3; do
		new_csr "$alg" "$T/$alg-$i.key" "$T/$alg-$i.csr" "User $i"
		"$EGCA" cert issue --dir "$d" --csr "$T/$alg-$i.csr" \
			--profile tls-server --dns "u$i.example.gov.cn" \
			--passphrase-file "$PASSFILE" --out "$T/$alg-$i.pem" >/dev/null 2>&1
	done
	s1=$(openssl x509 -in "$T/$alg-1.pem" -noout -serial | cut -d= -f2)
	s2=$(openssl x509 -in "$T/$alg-2.pem" -noout -serial | cut -d= -f2)
	check "$alg: revoke keyCompromise" "$EGCA" cert revoke --dir "$d" \
		--reason keyCompromise --invalidity-date 2026-01-01 "$s1"
	check "$alg: hold" "$EGCA" cert hold --dir "$d" "$s2"

	expect_exit 0 "$alg: crl generate" "$EGCA" crl generate --dir "$d" \
		--passphrase-file "$PASSFILE"
	expect_out "root: CRL number 1, 2 entries; delta CRL number 2 \(base 1\)" \
		"$alg: number and entry count printed"
	if [ -s "$d/crl/root.crl" ] && [ -s "$d/crl/root-delta.crl" ]; then
		pass "$alg: root.crl and root-delta.crl published"
	else
		fail "$alg: published files missing"
	fi
	check "$alg: crl show" "$EGCA" crl show --dir "$d" --out "$T/$alg-full1.pem"
	check "$alg: crl show --delta" "$EGCA" crl show --dir "$d" --delta \
		--out "$T/$alg-delta1.pem"
	"$EGCA" crl show --dir "$d" --der >"$T/$alg-full1.der"
	check "$alg: published file = crl show --der" cmp "$T/$alg-full1.der" "$d/crl/root.crl"
	openssl crl -inform DER -in "$d/crl/root-delta.crl" -out "$T/$alg-pub-delta.pem"
	check "$alg: published delta = crl show --delta" cmp "$T/$alg-pub-delta.pem" "$T/$alg-delta1.pem"
	check "$alg: full CRL signature" crl_ok "$alg" "$T/$alg-full1.pem" "$T/$alg-ca.pem"
	check "$alg: delta CRL signature" crl_ok "$alg" "$T/$alg-delta1.pem" "$T/$alg-ca.pem"

	openssl crl -in "$T/$alg-full1.pem" -noout -text >"$T/out" 2>&1
	expect_out "Version 2" "$alg: v2 CRL"
	expect_out "Serial Number: $s1" "$alg: revoked certificate listed"
	expect_out "Key Compromise" "$alg: reason keyCompromise"
	expect_out "Invalidity Date" "$alg: invalidity date"
	expect_out "Serial Number: $s2" "$alg: held certificate listed"
	expect_out "Certificate Hold" "$alg: reason certificateHold"
	expect_out "X509v3 Authority Key Identifier" "$alg: AKI"
	expect_out "X509v3 CRL Number" "$alg: cRLNumber"
	if grep -q "Delta CRL Indicator" "$T/out"; then
		fail "$alg: full CRL carries a deltaCRLIndicator"
	else
		pass "$alg: no deltaCRLIndicator in the full CRL"
	fi
	if [ "$alg" = sm2 ]; then
		expect_out "SM2-with-SM3|sm2sign-with-sm3|1.2.156.10197.1.501" \
			"$alg: signed with SM2-with-SM3"
	fi
	openssl crl -in "$T/$alg-delta1.pem" -noout -text >"$T/out" 2>&1
	expect_out "X509v3 Delta CRL Indicator: critical" "$alg: delta has a critical deltaCRLIndicator"

	# Unhold: removeFromCRL in the next delta, gone from the next full.
	check "$alg: unhold" "$EGCA" cert unhold --dir "$d" "$s2"
	expect_exit 0 "$alg: crl generate again" "$EGCA" crl generate --dir "$d" \
		--ca root --passphrase-file "$PASSFILE"
	expect_out "root: CRL number 3, 1 entries; delta CRL number 4 \(base 1\)" \
		"$alg: second generation numbers"
	"$EGCA" crl show --dir "$d" --out "$T/$alg-full2.pem"
	"$EGCA" crl show --dir "$d" --delta --out "$T/$alg-delta2.pem"
	n1=$(crl_number "$T/$alg-full1.pem")
	n2=$(crl_number "$T/$alg-full2.pem")
	if [ $((n2)) -gt $((n1)) ]; then
		pass "$alg: cRLNumber increases ($n1 -> $n2)"
	else
		fail "$alg: cRLNumber $n1 -> $n2"
	fi
	check "$alg: second full CRL signature" crl_ok "$alg" "$T/$alg-full2.pem" "$T/$alg-ca.pem"
	check "$alg: second delta CRL signature" crl_ok "$alg" "$T/$alg-delta2.pem" "$T/$alg-ca.pem"
	openssl crl -in "$T/$alg-full2.pem" -noout -text >"$T/out" 2>&1
	if grep -q "Serial Number: $s2" "$T/out"; then
		fail "$alg: released certificate still in the full CRL"
	else
		pass "$alg: released certificate gone from the full CRL"
	fi
	expect_out "Serial Number: $s1" "$alg: revoked certificate still listed"
	openssl crl -in "$T/$alg-delta2.pem" -noout -text >"$T/out" 2>&1
	expect_out "Serial Number: $s2" "$alg: released certificate in the delta"
	expect_out "Remove From CRL" "$alg: removeFromCRL in the delta"
	expect_out "Delta CRL Indicator: critical" "$alg: second delta indicator"
done

# Refusals.
d=$T/sm2
expect_exit 6 "crl show of an unknown CA" "$EGCA" crl show --dir "$d" --ca ghost
expect_exit 2 "unknown crl verb" "$EGCA" crl frob --dir "$d"
expect_exit 2 "bad --validity-hours" "$EGCA" crl generate --dir "$d" --validity-hours 500
printf 'wrong passphrase\n' >"$T/wrong"
chmod 600 "$T/wrong"
expect_exit 5 "crl generate with a wrong passphrase" "$EGCA" crl generate \
	--dir "$d" --passphrase-file "$T/wrong"
expect_exit 0 "crl generate --no-delta" "$EGCA" crl generate --dir "$d" \
	--no-delta --passphrase-file "$PASSFILE"
n=$(sql "$d" "SELECT count(*) FROM crl WHERE ca = 'root'")
if [ "$n" = 5 ]; then pass "five CRLs stored"; else fail "$n CRLs stored, wanted 5"; fi
finish
