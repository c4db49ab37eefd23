#!/usr/bin/env bash
# The key management centre end to end: the key ceremony (egca km init,
# M-of-N custodian shares), egca km serve sealed, requests refused while
# sealed, unsealing with 2 of 3 shares over the admin socket (a wrong
# share and a repeated one refused and audited), the KM's operators
# (secadmin, km-officers with TOTP from oathtool), the trust list, and a
# CA-side client (egca km client-test, signed with the CA's SM2 key)
# over HTTPS with mutual TLS: key application, the envelope opened with
# the holder's signing key (egca envelope open) and checked with
# openssl against the returned public key, restore to a new holder key,
# revoke; an untrusted CA refused; a TLS client without a certificate
# refused at the handshake; judicial recovery by M officers; the KM's
# audit chain; and no private key of a generated pair in the KM's
# store, log or backups. The KM store is on the chosen backend.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
k=$T/km
d=$T/ca
eg() { "$EGCA" "$@"; }
# jcheck DESC PYTHON: PYTHON checks the last command's output (a copy:
# check itself writes $T/out), given as sys.argv[1].
jcheck() {
	cp "$T/out" "$T/last"
	check "$1" python3 -c "$2" "$T/last"
}

# The private scalar of an SM2 key file as 64 hex digits (openssl).
priv_hex() {
	openssl pkey -in "$1" -text -noout |
		sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n' |
		sed 's/^00\(.\{64\}\)$/\1/'
}
totp_now() { oathtool --totp -b "$1"; }
totp_next() {
	oathtool --totp -b "$1" --now "$(date -u -d @$(($(date +%s) + 30)) '+%Y-%m-%d %H:%M:%S UTC')"
}

# ---- a CA (SQLite: the KM is the subject here) ----
check "a CA to talk to the KM" "$EGCA" init --dir "$d" --store sqlite:egca.db \
	--passphrase-file "$PASSFILE"
eg ca export --dir "$d" --out ca.pem
check "a second CA, never trusted by the KM" "$EGCA" init --dir "$T/ca2" \
	--store sqlite:egca.db --passphrase-file "$PASSFILE" \
	--subject "C=CN,O=egca test,CN=Untrusted SM2 CA"

# ---- the ceremony ----
expect_exit 2 "M = N is refused (one lost share would lock the KM)" \
	eg km init --dir "$T/kbad" --custodians 3 --threshold 3 \
	--share-dir "$T/sbad" --passphrase-file "$PASSFILE"
expect_exit 2 "M = 1 is refused (one custodian would suffice)" \
	eg km init --dir "$T/kbad" --custodians 3 --threshold 1 \
	--share-dir "$T/sbad" --passphrase-file "$PASSFILE"
[ ! -e "$T/kbad/km.conf" ] && pass "nothing made for a refused M-of-N" || fail "kbad was made"
KM_STORE=$(store_uri)
expect_exit 0 "km init: 2 of 3 custodians" eg km init --dir "$k" --store "$KM_STORE" \
	--custodians 3 --threshold 2 --share-dir "$T/shares" --passphrase-file "$PASSFILE"
cp "$T/out" "$T/km.init"
otp=$(sed -n 's/^one-time password for secadmin.*: \([A-Z2-7]*\)$/\1/p' "$T/km.init")
[ ${#otp} = 24 ] && pass "the KM's first secadmin has a one-time password" || fail "no OTP: $otp"
n=$(ls "$T/shares" | wc -l)
[ "$n" = 3 ] && pass "three share files" || fail "share files: $n"
modes=$(stat -c %a "$T"/shares/* | sort -u | tr '\n' ' ')
[ "$modes" = "600 " ] && pass "share files are 0600" || fail "share modes: $modes"
[ "$(stat -c %a "$k/keys/km.key")" = 600 ] && pass "km.key is 0600" || fail "km.key mode"
grep -q "ENCRYPTED PRIVATE KEY" "$k/keys/km.key" && pass "km.key is encrypted" || fail "km.key not encrypted"
S1=$(ls "$T"/shares/*-1-of-3.txt)
S2=$(ls "$T"/shares/*-2-of-3.txt)
S3=$(ls "$T"/shares/*-3-of-3.txt)
kcv=$(sql "$k" "SELECT kcv FROM km_master")
grep -q "master-kcv: $kcv" "$S1" && pass "the share carries the stored key check value" \
	|| fail "kcv $kcv not in the share"
[ "$(sql "$k" "SELECT count(*) FROM km_share_check")" = 3 ] && pass "three share check values stored" \
	|| fail "share checks"
# The shares are the only way to the master key: none is in the store.
if [ "$EGCA_BACKEND" = sqlite ]; then
	found=0
	for s in "$S1" "$S2" "$S3"; do
		h=$(sed -n 's/^share: //p' "$s")
		grep -aqi "$h" "$k"/egca.db* && found=1
	done
	[ $found = 0 ] && pass "no share in the KM store" || fail "a share is in the KM store"
fi
expect_exit 7 "km init twice is refused" eg km init --dir "$k" --custodians 3 \
	--threshold 2 --share-dir "$T/shares2" --passphrase-file "$PASSFILE"

# ---- TLS material (GnuTLS: ECDSA; the messages are SM2-signed) ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tlsca.key \
	-out tlsca.pem -subj /CN=km-tls-test-ca -days 2 2>/dev/null
tls_cert() { # NAME CN [SAN]
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=$2" 2>/dev/null &&
		openssl x509 -req -in "$1.csr" -CA tlsca.pem -CAkey tlsca.key -CAcreateserial \
			-out "$1.pem" -days 2 ${3:+-extfile <(printf 'subjectAltName=%s\n' "$3")} 2>/dev/null
}
tls_cert srv 127.0.0.1 IP:127.0.0.1
tls_cert cli "egca CA client"
# A client certificate from an issuer the KM does not trust.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key \
	-out rogue.pem -subj /CN=rogue -days 2 2>/dev/null

# ---- egca km serve, sealed ----
KM_PID=""
km_stop() {
	local rc=0
	[ -n "$KM_PID" ] || return 0
	kill -TERM "$KM_PID" 2>/dev/null
	wait "$KM_PID" 2>/dev/null || rc=$?
	KM_PID=""
	return $rc
}
trap 'km_stop; cleanup' EXIT
"$EGCA" km serve --dir "$k" --listen 127.0.0.1 --port 0 --tls-cert srv.pem \
	--tls-key srv.key --tls-client-ca tlsca.pem --passphrase-file "$PASSFILE" \
	2>"$T/km.err" &
KM_PID=$!
port=""
for _ in $(seq 1 100); do
	port=$(sed -n 's#.*listening on https://127.0.0.1:\([0-9]*\).*#\1#p' "$T/km.err")
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -z "$port" ]; then
	fail "egca km serve did not start"
	sed 's/^/    /' "$T/km.err"
	finish
fi
pass "egca km serve listens on $port"
U=https://127.0.0.1:$port
[ "$(stat -c %a "$k/run/admin.sock")" = 600 ] && pass "the admin socket is 0600" || fail "admin socket mode"
[ "$(awk '/^Max core file size/ {print $5}' /proc/$KM_PID/limits)" = 0 ] &&
	pass "no core files for the KM process (RLIMIT_CORE 0)" || fail "RLIMIT_CORE of the KM"
expect_exit 0 "km status" eg km status --dir "$k" --json
jcheck "sealed at start" 'import json,sys; j=json.load(open(sys.argv[1])); assert j["sealed"] and j["entered"] == 0 and j["threshold"] == 2'

# ---- mutual TLS ----
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert tlsca.pem -X POST --data-binary x "$U/km/v1/request")
[ "$code" = 000 ] && pass "no client certificate: refused at TLS (no HTTP answer)" || fail "no client certificate: HTTP $code"
expect_exit 35 "no client certificate over TLS 1.2: the handshake fails" \
	curl -s --tls-max 1.2 --cacert tlsca.pem -X POST --data-binary x "$U/km/v1/request"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert tlsca.pem --cert rogue.pem --key rogue.key \
	-X POST --data-binary x "$U/km/v1/request")
[ "$code" = 000 ] && pass "a client certificate of an untrusted issuer: refused at TLS" || fail "rogue client: HTTP $code"
code=$(curl -s -o "$T/body" -w '%{http_code}' --cacert tlsca.pem --cert cli.pem --key cli.key \
	-X POST --data-binary 'not DER' "$U/km/v1/request")
[ "$code" = 400 ] && pass "garbage over mutual TLS: 400" || fail "garbage: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert tlsca.pem --cert cli.pem --key cli.key "$U/km/v1/request")
[ "$code" = 405 ] && pass "GET: 405" || fail "GET: HTTP $code"

# ---- the KM's operators ----
printf '%s\n' "$otp" >"$T/secadmin.otp"
onboard() { # NAME OTPFILE: password, TOTP, an API token in $T/NAME.tok
	local n=$1 secret
	printf '%s\n' "$OP_PASSWORD" >"$T/$n.pw"
	eg operator passwd --dir "$k" --operator "$n" --password-file "$2" \
		--new-password-file "$T/$n.pw" >/dev/null || return 1
	eg operator totp-enroll --dir "$k" --operator "$n" --password-file "$T/$n.pw" \
		--json >"$T/$n.enroll" || return 1
	secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$T/$n.enroll")
	eg operator totp-confirm --dir "$k" --operator "$n" --password-file "$T/$n.pw" \
		"$(totp_now "$secret")" >/dev/null || return 1
	eg operator token create --dir "$k" --operator "$n" --password-file "$T/$n.pw" \
		--totp "$(totp_next "$secret")" --ttl 1h --label it-"$n" >"$T/$n.tok"
}
check "the KM's secadmin is onboarded" onboard secadmin "$T/secadmin.otp"
SEC="--token-file $T/secadmin.tok"
for n in off1 off2 off3; do
	# shellcheck disable=SC2086
	eg operator create --dir "$k" $SEC --name "$n" --roles km-officer >"$T/create.out"
	sed -n "s/^one-time password for $n .*: \([A-Z2-7]*\)$/\1/p" "$T/create.out" >"$T/$n.otp"
	check "km-officer $n is onboarded" onboard "$n" "$T/$n.otp"
done

# ---- trust list ----
# shellcheck disable=SC2086
expect_exit 4 "a km-officer may not add to the trust list" eg km trust add --dir "$k" \
	--token-file "$T/off1.tok" --cert ca.pem
# shellcheck disable=SC2086
expect_exit 0 "secadmin trusts the CA" eg km trust add --dir "$k" $SEC --cert ca.pem
# shellcheck disable=SC2086
expect_exit 0 "trust list" eg km trust list --dir "$k" $SEC --json
jcheck "the CA is trusted" 'import json,sys; t=json.load(open(sys.argv[1]))["trust"]; assert len(t) == 1 and t[0]["state"] == "active" and "root CA" in t[0]["subject"]'

# ---- requests ----
openssl genpkey -algorithm SM2 -out holder.key 2>/dev/null
openssl pkey -in holder.key -pubout -out holder.pub
openssl genpkey -algorithm SM2 -out holder2.key 2>/dev/null
openssl pkey -in holder2.key -pubout -out holder2.pub
TLS="--km-url $U --tls-cert cli.pem --tls-key cli.key --tls-ca tlsca.pem --km-cert $k/km.pem"
CA="--ca-dir $d --passphrase-file $PASSFILE"
keys() { sql "$k" "SELECT count(*) FROM escrowed_key"; }
failures() { sql "$k" "SELECT count(*) FROM audit_event WHERE action = 'km.request' AND outcome = 'failure'"; }

f0=$(failures)
# shellcheck disable=SC2086
expect_exit 8 "sealed: a key application is refused" eg km client-test apply $CA $TLS \
	--cert-no 0a01 --holder-pub holder.pub --out-envelope e0.der --out-pub p0.pem
expect_out "KM is sealed" "the answer says the KM is sealed"
[ "$(keys)" = 0 ] && pass "no key generated while sealed" || fail "keys while sealed: $(keys)"
[ "$(failures)" = $((f0 + 1)) ] && pass "the refusal is audited" || fail "refusals audited: $(failures)"

# ---- unseal ----
python3 - "$S2" <<'PY' >wrong-share.txt
import sys
for line in open(sys.argv[1]):
    if line.startswith("share: "):
        c = line[7]
        line = "share: " + ("0" if c != "0" else "1") + line[8:]
    sys.stdout.write(line)
PY
cmp -s wrong-share.txt "$S2" && fail "the wrong share is not different"
expect_exit 5 "a wrong share is refused" eg km unseal --dir "$k" --share wrong-share.txt
expect_out "wrong" "the refusal names a wrong share"
expect_exit 0 "share 1 entered" eg km unseal --dir "$k" --share "$S1"
expect_out "sealed, 1 of 2" "one of two shares"
expect_exit 7 "share 1 again is refused" eg km unseal --dir "$k" --share "$S1"
expect_exit 0 "share 3 unseals" eg km unseal --dir "$k" --share "$S3" --json
jcheck "unsealed" 'import json,sys; assert not json.load(open(sys.argv[1]))["sealed"]'
n=$(sql "$k" "SELECT count(*) FROM audit_event WHERE action = 'km.unseal.share' AND outcome = 'failure'")
[ "$n" = 2 ] && pass "both share refusals are audited" || fail "share refusals audited: $n"
if grep -q "$(sed -n 's/^share: //p' "$S1")" "$T/km.err"; then
	fail "a share is in the KM's log"
else
	pass "no share in the KM's log"
fi

# ---- key application over mutual TLS ----
# shellcheck disable=SC2086
expect_exit 0 "apply for an encryption key pair" eg km client-test apply $CA $TLS \
	--cert-no 0a01 --holder-pub holder.pub --subject "C=CN,O=egca test,CN=holder" \
	--out-envelope env.der --out-pub enc.pub
[ "$(keys)" = 1 ] && pass "one key escrowed" || fail "keys: $(keys)"
expect_exit 0 "egca envelope open with the holder's signing key" eg envelope open \
	--key holder.key --in env.der --out enc.key
openssl pkey -in enc.key -pubout -out enc-from-key.pub 2>/dev/null
check "openssl: the recovered key pair has the returned public key" cmp enc-from-key.pub enc.pub
D=$(priv_hex enc.key)
[ ${#D} = 64 ] && pass "the private scalar read by openssl" || fail "scalar: $D"
expect_exit 5 "the envelope does not open with another key" eg envelope open \
	--key holder2.key --in env.der --out x.key
# shellcheck disable=SC2086
expect_exit 7 "the same userCertNO twice is refused" eg km client-test apply $CA $TLS \
	--cert-no 0a01 --holder-pub holder.pub --out-envelope e1.der --out-pub p1.pem
# shellcheck disable=SC2086
expect_exit 5 "an untrusted CA is refused" eg km client-test apply --ca-dir "$T/ca2" \
	--passphrase-file "$PASSFILE" $TLS --cert-no 0a02 --holder-pub holder.pub \
	--out-envelope e2.der --out-pub p2.pem
expect_out "trust list" "the refusal names the trust list"
[ "$(keys)" = 1 ] && pass "refused requests generated no key" || fail "keys: $(keys)"

# ---- restore to a new signing key, revoke ----
# shellcheck disable=SC2086
expect_exit 0 "restore the key to a new holder key" eg km client-test restore $CA $TLS \
	--cert-no 0a01 --holder-pub holder2.pub --out-envelope env2.der --out-pub enc2.pub
check "the same public key" cmp enc.pub enc2.pub
expect_exit 0 "the restored envelope opens with the new key" eg envelope open \
	--key holder2.key --in env2.der --out enc2.key
[ "$(priv_hex enc2.key)" = "$D" ] && pass "the same private key" || fail "restored another key"
# shellcheck disable=SC2086
expect_exit 0 "revoke the key" eg km client-test revoke $CA $TLS --cert-no 0a01
[ "$(sql "$k" "SELECT state FROM escrowed_key")" = revoked ] && pass "archived as revoked" || fail "state"
[ "$(sql "$k" "SELECT count(*) FROM escrowed_key WHERE retain_until >= not_after + 3653*86400")" = 1 ] &&
	pass "kept until its retention ends" || fail "retain_until"
# shellcheck disable=SC2086
expect_exit 4 "a revoked key is not restored through the CA" eg km client-test restore $CA $TLS \
	--cert-no 0a01 --holder-pub holder2.pub --out-envelope env3.der --out-pub enc3.pub

# ---- judicial recovery ----
openssl genpkey -algorithm SM2 -out court.key 2>/dev/null
openssl req -x509 -new -key court.key -sm3 -sigopt distid:1234567812345678 \
	-subj "/C=CN/O=Court/CN=Judicial Authority" -days 2 -out court.pem 2>/dev/null
KEY_ID=$(sql "$k" "SELECT id FROM escrowed_key")
expect_exit 0 "an officer files a judicial request" eg km judicial request --dir "$k" \
	--token-file "$T/off1.tok" --case "(2026)京01刑初1号" --key "$KEY_ID" \
	--recipient-cert court.pem --json
JID=$(jfield "$T/out" 'd["id"]')
JDG=$(jfield "$T/out" 'd["digest"]')
[ ${#JID} = 32 ] && [ ${#JDG} = 64 ] && pass "request id and digest" || fail "id $JID digest $JDG"
expect_exit 4 "the requester may not approve" eg km judicial approve "$JID" --dir "$k" \
	--token-file "$T/off1.tok" --digest "$JDG"
expect_exit 14 "an approval naming another digest is refused" eg km judicial approve "$JID" \
	--dir "$k" --token-file "$T/off2.tok" --digest "$(echo "$JDG" | tr 0-9a-f 1-9a-f0)"
expect_exit 0 "officer 2 approves" eg km judicial approve "$JID" --dir "$k" \
	--token-file "$T/off2.tok" --digest "$JDG"
expect_exit 4 "one approval of two: no release" eg km judicial release "$JID" --dir "$k" \
	--token-file "$T/off2.tok" --share "$S1" --share "$S2" --out court-env.der
[ ! -e court-env.der ] && pass "nothing written" || fail "court-env.der written"
expect_exit 0 "officer 3 approves" eg km judicial approve "$JID" --dir "$k" \
	--token-file "$T/off3.tok" --digest "$JDG"
expect_exit 5 "a release with a wrong share is refused" eg km judicial release "$JID" --dir "$k" \
	--token-file "$T/off2.tok" --share "$S1" --share wrong-share.txt --out court-env.der
expect_exit 0 "released with two custodians' shares" eg km judicial release "$JID" --dir "$k" \
	--token-file "$T/off2.tok" --share "$S1" --share "$S2" --out court-env.der
[ "$(stat -c %a court-env.der)" = 600 ] && pass "the released envelope is 0600" || fail "mode"
expect_exit 0 "the authority opens it" eg envelope open --key court.key --in court-env.der \
	--out court-enc.key
[ "$(priv_hex court-enc.key)" = "$D" ] && pass "the authority has the escrowed key" || fail "judicial key differs"
expect_exit 0 "judicial show" eg km judicial show "$JID" --dir "$k" --token-file "$T/off3.tok" --json
jcheck "released, approved by off2 and off3" '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "released" and j["approvers"] == ["off2", "off3"], j'
expect_exit 8 "released once" eg km judicial release "$JID" --dir "$k" \
	--token-file "$T/off2.tok" --share "$S1" --share "$S2" --out court-env2.der
for a in km.judicial.request km.judicial.approve km.judicial.release; do
	n=$(sql "$k" "SELECT count(*) FROM audit_event WHERE action = '$a' AND outcome = 'success'")
	[ "$n" -ge 1 ] && pass "$a on the KM's audit chain" || fail "$a not audited"
done

# ---- the KM's audit chain; nothing secret anywhere ----
expect_exit 0 "the KM's audit chain verifies" eg audit verify --dir "$k"
check "seal over the admin socket" eg km seal --dir "$k"
expect_exit 0 "km status" eg km status --dir "$k"
expect_out "sealed" "sealed again"
check "egca km serve exits 0 on SIGTERM" km_stop
[ ! -e "$k/run/admin.sock" ] && pass "the admin socket is removed" || fail "admin socket left"
# A backup of the KM without the shares (the store and the directory).
tar -C "$T" -cf km-backup.tar km 2>/dev/null
if [ "$EGCA_BACKEND" = postgres ]; then
	pg_dump "$KM_STORE" >km-backup.sql 2>/dev/null
else
	sqlite3 "$k/egca.db" ".backup $T/km-backup.db"
fi
printf '%s' "$D" | xxd -r -p >d.bin
found=""
for f in "$k"/egca.db* km-backup.* "$T/km.err"; do
	[ -e "$f" ] || continue
	grep -aqi "$D" "$f" && found="$found $f"
	python3 -c 'import sys; sys.exit(0 if open(sys.argv[2],"rb").read() in open(sys.argv[1],"rb").read() else 1)' \
		"$f" d.bin && found="$found $f(raw)"
done
[ -z "$found" ] && pass "the private key is in no store file, log or backup" || fail "private key found in:$found"
# The search itself works: it finds the scalar where it is.
openssl pkey -in enc.key -outform DER -out enc-key.der 2>/dev/null
python3 -c 'import sys; sys.exit(0 if open(sys.argv[2],"rb").read() in open(sys.argv[1],"rb").read() else 1)' \
	enc-key.der d.bin && pass "control: the search finds the scalar in the key file" || fail "control search"
finish
