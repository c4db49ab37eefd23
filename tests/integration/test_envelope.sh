#!/bin/bash
# egca envelope: GM/T 0009 SM2EnvelopedKey and the SKF ENVELOPEDKEYBLOB,
# sealed and opened by egca, checked against the openssl command line
# (pkeyutl -decrypt of the SM2Cipher, enc -sm4-ecb of the private key)
# and against BouncyCastle (tests/tools/BcEnvelope.java) in both
# directions. Needs no data directory, so the backend does not matter.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1

# The independent implementation, compiled once per build like BcVerify.
BCE_CLASSES=${EGCA_BUILD_DIR:-$T}/bcenvelope-$(sha1sum "$SRC/tests/tools/BcEnvelope.java" | cut -c1-12)
bcenvelope() {
	if [ ! -f "$BCE_CLASSES/BcEnvelope.class" ]; then
		local tmp
		tmp=$(mktemp -d "$T/bce.XXXXXX")
		javac -nowarn -cp /usr/share/java/bcprov.jar -d "$tmp" \
			"$SRC/tests/tools/BcEnvelope.java" >/dev/null 2>&1
		mkdir -p "$(dirname "$BCE_CLASSES")"
		mv -T "$tmp" "$BCE_CLASSES" 2>/dev/null || true
	fi
	java -cp "/usr/share/java/bcprov.jar:$BCE_CLASSES" BcEnvelope "$@"
}

# The private scalar of an SM2 key file as 64 hex digits (openssl).
priv_hex() {
	openssl pkey -in "$1" -text -noout ${2:+-passin "file:$2"} |
		sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n' |
		sed 's/^00\(.\{64\}\)$/\1/'
}

# Offset of the n-th (1-based) depth-1 element of DER file $1 with
# tag text $2 ("cons: SEQUENCE", "prim: BIT STRING").
elem_off() {
	openssl asn1parse -inform DER -in "$1" |
		awk -v t="$2" -v n="$3" 'index($0, "d=1") && index($0, t) {
			if (++k == n) { sub(":.*", "", $1); print $1; exit } }'
}

mkcert() { # KEY CN OUT
	openssl req -x509 -new -key "$1" -sm3 -sigopt distid:1234567812345678 \
		-subj "/C=CN/O=egca test/CN=$2" -days 2 -out "$3" 2>/dev/null
}

openssl genpkey -algorithm SM2 -out sign.pem 2>/dev/null
openssl genpkey -algorithm SM2 -out enc.pem 2>/dev/null
openssl genpkey -algorithm SM2 -out other.pem 2>/dev/null
openssl pkey -in sign.pem -pubout -out sign.pub
mkcert sign.pem holder-sign sign.crt
mkcert enc.pem holder-enc enc.crt
D_ENC=$(priv_hex enc.pem)
[ ${#D_ENC} = 64 ] && pass "test keys made" || fail "test keys: d=$D_ENC"

# --- help and usage --------------------------------------------------
expect_exit 0 "egca envelope --help" "$EGCA" envelope --help
expect_out "open" "envelope help lists open"
expect_exit 0 "egca envelope open --help" "$EGCA" envelope open --help
expect_out "out-passphrase-file" "open help lists its options"
expect_exit 0 "egca envelope seal --help" "$EGCA" envelope seal --help
expect_out "--format der.skf" "seal help lists the formats"
expect_exit 2 "envelope without a verb" "$EGCA" envelope
expect_exit 2 "unknown verb" "$EGCA" envelope frobnicate
expect_exit 2 "open without --out" "$EGCA" envelope open --key sign.pem --in x
expect_exit 2 "bad --format" "$EGCA" envelope seal --to sign.crt \
	--key enc.pem --out x --format pkcs7

# --- seal and open with egca -----------------------------------------
check "seal to the signing certificate" \
	"$EGCA" envelope seal --to sign.crt --key enc.pem --out env.der
expect_exit 0 "open with the signing key" "$EGCA" envelope open \
	--key sign.pem --in env.der --cert enc.crt --out opened.pem
expect_out "warning: opened.pem holds the private key UNENCRYPTED" \
	"unencrypted output is warned about"
expect_out "matches the certificate" "the certificate check is reported"
[ "$(stat -c %a opened.pem)" = 600 ] && pass "opened key is mode 0600" ||
	fail "opened key mode $(stat -c %a opened.pem)"
if [ "$(openssl pkey -in opened.pem -text -noout)" = \
	"$(openssl pkey -in enc.pem -text -noout)" ]; then
	pass "openssl: the opened key is the enveloped key (d and public key)"
else
	fail "openssl: opened key differs"
fi

# --- the openssl command line opens egca's envelope --------------------
openssl asn1parse -inform DER -in env.der | grep -q ":sm4-ecb" &&
	pass "symAlgID is sm4-ecb" || fail "symAlgID is not sm4-ecb"
off_cipher=$(elem_off env.der "cons: SEQUENCE" 2)
off_d=$(elem_off env.der "prim: BIT STRING" 2)
openssl asn1parse -inform DER -in env.der -strparse "$off_cipher" -noout \
	-out sm2cipher.der
openssl asn1parse -inform DER -in env.der -strparse "$off_d" -noout \
	-out encd.bin 2>/dev/null
if openssl pkeyutl -decrypt -inkey sign.pem -in sm2cipher.der \
	-out sm4.key 2>"$T/out" && [ "$(stat -c %s sm4.key)" = 16 ]; then
	pass "openssl pkeyutl -decrypt: the SM2Cipher gives a 16-octet SM4 key"
else
	fail "openssl pkeyutl -decrypt of the SM2Cipher"
	cat "$T/out"
fi
[ "$(stat -c %s encd.bin)" = 32 ] && pass "sm2EncryptedPrivateKey is 32 octets" ||
	fail "sm2EncryptedPrivateKey is $(stat -c %s encd.bin) octets"
D_OSSL=$(openssl enc -d -sm4-ecb -nopad -K "$(xxd -p sm4.key)" -in encd.bin |
	xxd -p -c 64)
[ "$D_OSSL" = "$D_ENC" ] &&
	pass "openssl enc -sm4-ecb -nopad: d equals the key's d" ||
	fail "openssl d $D_OSSL != $D_ENC"

# --- BouncyCastle opens egca's envelope --------------------------------
if D_BC=$(bcenvelope open env.der sign.pem 2>"$T/out") &&
	[ "$D_BC" = "$D_ENC" ]; then
	pass "BouncyCastle: SM2Engine C1C3C2 + SM4/ECB/NoPadding give d, d*G matches"
else
	fail "BouncyCastle open: '$D_BC'"
	cat "$T/out"
fi
expect_exit 1 "BouncyCastle refuses the wrong holder key" \
	bcenvelope open env.der other.pem

# --- egca opens BouncyCastle's envelope (cross direction) --------------
check "BouncyCastle seals to the signing public key" \
	bcenvelope seal sign.pub enc.pem bcenv.der
expect_exit 0 "egca opens the BouncyCastle envelope" "$EGCA" envelope open \
	--key sign.pem --in bcenv.der --cert enc.crt --out bc-opened.pem
[ "$(priv_hex bc-opened.pem)" = "$D_ENC" ] &&
	pass "egca recovers d from BouncyCastle's SM2 ciphertext" ||
	fail "egca d from the BouncyCastle envelope differs"
head -c 100 /dev/urandom >m.bin
check "BouncyCastle SM2 encryption of 100 octets" \
	bcenvelope encrypt sign.crt m.bin bc-cipher.der
if openssl pkeyutl -decrypt -inkey sign.pem -in bc-cipher.der 2>/dev/null |
	cmp -s - m.bin; then
	pass "openssl decrypts BouncyCastle's SM2Cipher DER (same C1C3C2 form)"
else
	fail "openssl cannot decrypt BouncyCastle's SM2Cipher"
fi

# --- SKF ENVELOPEDKEYBLOB and PEM ------------------------------------
check "seal --format skf" "$EGCA" envelope seal --to sign.pub --key enc.pem \
	--out env.skf --format skf
[ "$(stat -c %s env.skf)" = 388 ] && pass "ENVELOPEDKEYBLOB is 388 octets" ||
	fail "ENVELOPEDKEYBLOB is $(stat -c %s env.skf) octets"
[ "$(head -c 12 env.skf | xxd -p)" = 010000000104000000010000 ] &&
	pass "Version 1, SGD_SM4_ECB, 256 bits, little-endian" ||
	fail "SKF header $(head -c 12 env.skf | xxd -p)"
[ "$(head -c 44 env.skf | tail -c 32 | tr -d '\0' | wc -c)" = 0 ] &&
	pass "cbEncryptedPriKey: 32-octet ciphertext right-aligned" ||
	fail "cbEncryptedPriKey first half is not zero"
expect_exit 0 "open --format skf" "$EGCA" envelope open --key sign.pem \
	--in env.skf --format skf --cert enc.crt --out skf-opened.pem
[ "$(priv_hex skf-opened.pem)" = "$D_ENC" ] && pass "SKF: d recovered" ||
	fail "SKF: d differs"
expect_exit 3 "a DER envelope read as SKF is malformed" "$EGCA" envelope open \
	--key sign.pem --in env.der --format skf --out x.pem
expect_out "ENVELOPEDKEYBLOB" "the error names the SKF blob"
check "seal --pem" "$EGCA" envelope seal --to sign.crt --key enc.pem \
	--out env.pem --pem
grep -q "BEGIN SM2 ENVELOPED KEY" env.pem && pass "PEM label" ||
	fail "no SM2 ENVELOPED KEY PEM block"
expect_exit 0 "open a PEM envelope" "$EGCA" envelope open --key sign.pem \
	--in env.pem --out pem-opened.pem
expect_exit 2 "--pem with --format skf is a usage error" "$EGCA" envelope \
	seal --to sign.crt --key enc.pem --out x --pem --format skf

# --- encrypted keys in and out ---------------------------------------
openssl pkcs8 -topk8 -v2 aes-256-cbc -in sign.pem -out sign-enc.pem \
	-passout "file:$PASSFILE"
printf 'not the passphrase\n' >wrongpass
expect_exit 0 "open with an encrypted signing key" "$EGCA" envelope open \
	--key sign-enc.pem --passphrase-file "$PASSFILE" --in env.der \
	--out enc-out.pem --out-passphrase-file "$PASSFILE"
grep -q "BEGIN ENCRYPTED PRIVATE KEY" enc-out.pem &&
	pass "--out-passphrase-file writes an encrypted PKCS#8 key" ||
	fail "output is not encrypted"
[ "$(priv_hex enc-out.pem "$PASSFILE")" = "$D_ENC" ] &&
	pass "openssl decrypts the output key with the passphrase: d matches" ||
	fail "encrypted output: d differs"
expect_exit 5 "wrong passphrase for the signing key" "$EGCA" envelope open \
	--key sign-enc.pem --passphrase-file wrongpass --in env.der --out w.pem
[ ! -e w.pem ] && pass "nothing written after a wrong passphrase" ||
	fail "w.pem written"
printf 'short\n' >shortpass
expect_exit 4 "a short output passphrase is refused" "$EGCA" envelope open \
	--key sign.pem --in env.der --out s.pem --out-passphrase-file shortpass
[ ! -e s.pem ] && pass "nothing written with a refused passphrase" ||
	fail "s.pem written"
expect_exit 0 "seal with an encrypted key to envelope" "$EGCA" envelope seal \
	--to sign.crt --key enc-out.pem --passphrase-file "$PASSFILE" \
	--out env2.der

# --- refusals: nothing written ----------------------------------------
expect_exit 7 "an existing output file is not overwritten" "$EGCA" envelope \
	open --key sign.pem --in env.der --out opened.pem
expect_exit 5 "the wrong holder key cannot open the envelope" "$EGCA" \
	envelope open --key other.pem --in env.der --out w1.pem
expect_out "symEncryptedKey" "the error names symEncryptedKey"
[ ! -e w1.pem ] && pass "nothing written for the wrong key" ||
	fail "w1.pem written"
expect_exit 13 "the wrong encryption certificate is an integrity failure" \
	"$EGCA" envelope open --key sign.pem --in env.der --cert sign.crt \
	--out w2.pem
expect_out "not the public key of sign.crt" "the error names the certificate"
[ ! -e w2.pem ] && pass "nothing written on certificate mismatch" ||
	fail "w2.pem written"

# Tampered: another valid point as sm2PublicKey -> 13.
off_pub=$(elem_off env.der "prim: BIT STRING" 1)
openssl pkey -in other.pem -pubout -outform DER -out other.pub.der
{
	head -c $((off_pub + 3)) env.der
	tail -c 65 other.pub.der
	tail -c +$((off_pub + 3 + 65 + 1)) env.der
} >tampered-pub.der
[ "$(stat -c %s tampered-pub.der)" = "$(stat -c %s env.der)" ] ||
	fail "tampered-pub.der has the wrong size"
expect_exit 13 "a substituted public key is an integrity failure" "$EGCA" \
	envelope open --key sign.pem --in tampered-pub.der --out w3.pem
expect_out "does not match sm2PublicKey" "the error says d*G does not match"
[ ! -e w3.pem ] && pass "nothing written for a tampered envelope" ||
	fail "w3.pem written"
# Tampered: one bit of the encrypted private key -> 13.
size=$(stat -c %s env.der)
cp env.der tampered-d.der
last=$(tail -c 1 env.der | od -An -tu1 | tr -d ' ')
# shellcheck disable=SC2059
printf "$(printf '\\%03o' $((last ^ 1)))" |
	dd of=tampered-d.der bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
cmp -s env.der tampered-d.der && fail "tampered-d.der equals env.der"
expect_exit 13 "an altered encrypted private key is an integrity failure" \
	"$EGCA" envelope open --key sign.pem --in tampered-d.der --out w4.pem
# Malformed: truncated, trailing byte, garbage.
head -c $((size - 1)) env.der >truncated.der
expect_exit 3 "a truncated envelope is malformed" "$EGCA" envelope open \
	--key sign.pem --in truncated.der --out w5.pem
{ cat env.der; printf '\0'; } >trailing.der
expect_exit 3 "trailing octets are refused" "$EGCA" envelope open \
	--key sign.pem --in trailing.der --out w5.pem
expect_out "trailing" "the error says trailing"
[ ! -e w5.pem ] && pass "nothing written for malformed envelopes" ||
	fail "w5.pem written"
# Keys of the wrong kind.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out p256.pem 2>/dev/null
expect_exit 3 "a P-256 holder key is refused" "$EGCA" envelope open \
	--key p256.pem --in env.der --out w6.pem
expect_out "not an SM2 key" "the error says not an SM2 key"
expect_exit 3 "sealing a P-256 key is refused" "$EGCA" envelope seal \
	--to sign.crt --key p256.pem --out w7.der
[ ! -e w7.der ] && pass "no envelope written for a refused key" ||
	fail "w7.der written"

finish
