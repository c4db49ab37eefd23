#!/usr/bin/env bash
# The RA from the command line, end to end: the one-time password of
# `egca init`, password change, TOTP enrolment checked with oathtool (an
# independent RFC 6238 client), API tokens, operators and their roles,
# a registration point, a subscriber with checked identity numbers, an
# application with an SM2 CSR and a proof document, the reviewer's
# approval bound to the digest, the issued certificate checked with
# openssl and the repository, loss reports; and the refusals: the
# submitter approving (exit 4, audited), a wrong check digit (exit 3,
# nothing stored), a wrong password (exit 5, audited).
. "$(dirname "$0")/lib.sh"

d=$T/ca
eg() { "$EGCA" "$@" --dir "$d"; }
count() { sql "$d" "SELECT count(*) FROM $1"; }
# jcheck DESC PYTHON [ARGS...]: PYTHON checks the last command's output
# (a copy: check itself writes $T/out), given as sys.argv[1].
jcheck() {
	local desc=$1 code=$2
	shift 2
	cp "$T/out" "$T/last"
	check "$desc" python3 -c "$code" "$T/last" "$@"
}

# TOTP codes by oathtool. A code is accepted once per 30 s step, so a
# second login of the same operator uses the next step's code (the
# service accepts one step of drift).
totp_now() { oathtool --totp -b "$1"; }
totp_next() {
	oathtool --totp -b "$1" --now "$(date -u -d @$(($(date +%s) + 30)) '+%Y-%m-%d %H:%M:%S UTC')"
}

# GB 32100 unified social credit code for an enterprise in region $1
# with organisation code body $2 (8 characters), and a GB 11643
# resident identity number for birth date $2 in region $1: computed
# here, independently of egca's checker.
uscc() {
	python3 - "$1" "$2" <<'PY'
import sys
region, body = sys.argv[1], sys.argv[2]
val = lambda c: int(c) if c.isdigit() else ord(c) - 55
s = sum(val(c) * w for c, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2]))
c9 = 11 - s % 11
org = body + {10: 'X', 11: '0'}.get(c9, str(c9))
cs = "0123456789ABCDEFGHJKLMNPQRTUWXY"
code = "91" + region + org
t = sum(cs.index(c) * w for c, w in zip(code, [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]))
print(code + cs[(31 - t % 31) % 31])
PY
}
idcard() {
	python3 - "$1" "$2" <<'PY'
import sys
n = sys.argv[1] + sys.argv[2] + "123"
s = sum(int(c) * w for c, w in zip(n, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]))
print(n + "10X98765432"[s % 11])
PY
}

# ---- egca init: the first security administrator ----
expect_exit 0 "init creates the CA and the first secadmin" init_ca "$d"
expect_out "one-time password for secadmin \(shown once, change it at first login\): [A-Z2-7]{24}" \
	"init prints the one-time password once, clearly"
otp=$(sed -n 's/^one-time password for secadmin.*: \([A-Z2-7]*\)$/\1/p' "$T/out")
printf '%s\n' "$otp" >"$T/secadmin.otp"
[ "$(count operator)" = 1 ] && pass "one operator after init" || fail "operators after init: $(count operator)"
if [ "$EGCA_BACKEND" = sqlite ]; then
	if grep -aq "$otp" "$d/egca.db" "$d"/egca.db-wal 2>/dev/null; then
		fail "the one-time password is in the store in clear"
	else
		pass "the one-time password is not in the store in clear"
	fi
fi
expect_exit 0 "init --json (own SQLite directory)" "$EGCA" init --dir "$T/ca2" \
	--store sqlite:egca.db --passphrase-file "$PASSFILE" --admin alice --json
jcheck "init --json carries the admin and its one-time password" '
import json, re, sys
j = json.load(open(sys.argv[1]))
assert j["name"] == "root" and j["admin"]["name"] == "alice"
assert re.fullmatch("[A-Z2-7]{24}", j["admin"]["one_time_password"])'
expect_exit 2 "init --admin with a bad name" "$EGCA" init --dir "$T/ca3" \
	--store sqlite:egca.db --passphrase-file "$PASSFILE" --admin "Bad Name"
[ ! -e "$T/ca3/egca.conf" ] && pass "nothing made for a bad --admin" || fail "ca3 was made"

# ---- the secadmin: password, TOTP, token ----
# Passwords must not contain the login name: OP_PASSWORD (lib.sh) fits
# every name used here.
printf '%s\n' "$OP_PASSWORD" >"$T/secadmin.pw"
expect_exit 4 "the one-time password allows nothing but a password change" \
	eg operator list --operator secadmin --password-file "$T/secadmin.otp"
expect_out "one-time password" "message says to change the one-time password"
printf 'short\n' >"$T/short.pw"
expect_exit 4 "a too short new password is refused" eg operator passwd \
	--operator secadmin --password-file "$T/secadmin.otp" --new-password-file "$T/short.pw"
expect_exit 0 "secadmin changes its one-time password" eg operator passwd \
	--operator secadmin --password-file "$T/secadmin.otp" --new-password-file "$T/secadmin.pw"
expect_exit 5 "the one-time password no longer logs in" eg operator totp-enroll \
	--operator secadmin --password-file "$T/secadmin.otp"
expect_exit 4 "without TOTP the secadmin may not create operators" eg operator create \
	--operator secadmin --password-file "$T/secadmin.pw" --name x1 --roles auditor
expect_out "second factor" "message names the second factor"

# onboard NAME OTPFILE: password change, TOTP enrolment and
# confirmation, then an API token in $T/NAME.tok for everything else.
onboard() {
	local n=$1 secret
	printf '%s\n' "$OP_PASSWORD" >"$T/$n.pw"
	if [ "$2" != "$T/$n.pw" ]; then
		"$EGCA" operator passwd --dir "$d" --operator "$n" --password-file "$2" \
			--new-password-file "$T/$n.pw" >/dev/null || return 1
	fi
	"$EGCA" operator totp-enroll --dir "$d" --operator "$n" \
		--password-file "$T/$n.pw" --json >"$T/$n.enroll" || return 1
	secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$T/$n.enroll")
	[ -n "$secret" ] || return 1
	echo "$secret" >"$T/$n.totp"
	"$EGCA" operator totp-confirm --dir "$d" --operator "$n" --password-file "$T/$n.pw" \
		"$(totp_now "$secret")" >/dev/null || return 1
	"$EGCA" operator token create --dir "$d" --operator "$n" --password-file "$T/$n.pw" \
		--totp "$(totp_next "$secret")" --ttl 1h --label it-"$n" >"$T/$n.tok" || return 1
	grep -q '^egca_' "$T/$n.tok"
}
check "secadmin enrols TOTP (oathtool codes) and makes an API token" onboard secadmin "$T/secadmin.pw"
check "the enrolment URI is an otpauth URI with the secret" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["otpauth_uri"].startswith("otpauth://totp/"), j
assert "secret=" + j["secret"] in j["otpauth_uri"], j' \
	"$T/secadmin.enroll"
expect_exit 5 "a wrong TOTP code is refused" eg operator token list --operator secadmin \
	--password-file "$T/secadmin.pw" --totp 000000
SEC="--token-file $T/secadmin.tok"

# create NAME ROLES [more]: the one-time password into $T/NAME.otp.
create() {
	local n=$1 r=$2
	shift 2
	# shellcheck disable=SC2086
	"$EGCA" operator create --dir "$d" $SEC --name "$n" --roles "$r" "$@" >"$T/create.out" || return $?
	sed -n "s/^one-time password for $n (shown once, change it at first login): \([A-Z2-7]*\)$/\1/p" \
		"$T/create.out" >"$T/$n.otp"
	[ -s "$T/$n.otp" ]
}
check "secadmin creates a sysadmin" create sys1 sysadmin --display-name "System Admin"
expect_exit 4 "three-officer separation: sysadmin+auditor refused" create bad1 sysadmin,auditor
check "the sysadmin is onboarded" onboard sys1 "$T/sys1.otp"
SYS="--token-file $T/sys1.tok"

# ---- registration point ----
# shellcheck disable=SC2086
expect_exit 0 "sysadmin creates a point" eg point create $SYS --id hz-01 \
	--name "杭州注册点" --home-region 330000
# shellcheck disable=SC2086
expect_exit 0 "sysadmin adds a region in the home province" eg point add-region hz-01 $SYS --region 330100
expect_out "serving" "the region serves at once"
# shellcheck disable=SC2086
expect_exit 0 "a region outside the province stays pending" eg point add-region hz-01 $SYS --region 320100
expect_out "pending" "pending without an approval"
# shellcheck disable=SC2086
expect_exit 0 "point show --json" eg point show hz-01 $SYS --json
jcheck "the point lists its regions" '
import json, sys
j = json.load(open(sys.argv[1]))
st = {r["region"]: r["serving"] for r in j["regions"]}
assert st["330100"] is True and st["320100"] is False, st'

check "secadmin creates an ra-operator" create op1 ra-operator --point hz-01
check "secadmin creates reviewer 1" create rev1 ra-reviewer --point hz-01
check "secadmin creates reviewer 2" create rev2 ra-reviewer --point hz-01
check "secadmin creates an operator who also reviews" create dual ra-operator,ra-reviewer --point hz-01
for n in op1 rev1 rev2 dual; do
	check "$n is onboarded" onboard "$n" "$T/$n.otp"
done
OP="--token-file $T/op1.tok"
REV="--token-file $T/rev1.tok"
# shellcheck disable=SC2086
expect_exit 4 "an ra-operator may not create points" eg point create $OP --id x --name x --home-region 330000
# shellcheck disable=SC2086
expect_exit 0 "operator list --json (secadmin)" eg operator list $SEC --json
jcheck "the operators as created" '
import json, sys
ops = {o["name"]: o for o in json.load(open(sys.argv[1]))["operators"]}
assert ops["op1"]["roles"] == "ra-operator" and ops["op1"]["point"] == "hz-01"
assert ops["op1"]["totp_enrolled"] and not ops["op1"]["must_change"]
assert ops["sys1"]["display_name"] == "System Admin"'
if grep -q "$(cat "$T/op1.otp")" "$T/out"; then fail "operator list shows a one-time password"; else pass "no one-time password in operator list"; fi

# ---- operator administration ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls.key" \
	-subj "/CN=rev2" -days 30 -out "$T/tls.pem" 2>/dev/null
fp=$(openssl x509 -in "$T/tls.pem" -outform DER | sha256sum | cut -d' ' -f1)
# shellcheck disable=SC2086
expect_exit 0 "secadmin registers a TLS client certificate" eg operator set-cert rev2 $SEC --cert "$T/tls.pem"
# shellcheck disable=SC2086
expect_exit 0 "operator show --json" eg operator show rev2 $SEC --json
jcheck "the fingerprint is the certificate's SHA-256" '
import json, sys
assert json.load(open(sys.argv[1]))["cert_sha256"] == sys.argv[2]' "$fp"
# shellcheck disable=SC2086
expect_exit 0 "secadmin clears it" eg operator set-cert rev2 $SEC --clear
# shellcheck disable=SC2086
expect_exit 4 "a reviewer may not administer operators" eg operator set-cert rev1 $REV --clear
# shellcheck disable=SC2086
expect_exit 0 "secadmin disables rev2" eg operator disable rev2 $SEC
expect_exit 5 "a disabled operator's token no longer works" eg app list --token-file "$T/rev2.tok"
# shellcheck disable=SC2086
expect_exit 0 "secadmin enables rev2" eg operator enable rev2 $SEC
check "the token works again" eg app list --token-file "$T/rev2.tok"
# shellcheck disable=SC2086
expect_exit 0 "secadmin replaces the roles of sys1" eg operator roles sys1 $SEC --roles sysadmin
# shellcheck disable=SC2086
expect_exit 4 "roles keep the three-officer separation" eg operator roles sys1 $SEC --roles sysadmin,secadmin
# shellcheck disable=SC2086
expect_exit 6 "an unknown operator" eg operator show nobody $SEC

# ---- subscriber ----
USCC=$(uscc 330106 MA2H7K1P)
BAD_USCC=${USCC%?}$([ "${USCC: -1}" = 0 ] && echo 1 || echo 0)
subs_before=$(count subscriber)
audit_before=$(sql "$d" "SELECT max(seq) FROM audit_event")
# shellcheck disable=SC2086
expect_exit 3 "a USCC with a wrong check character" eg subscriber create $OP --type enterprise \
	--name "示例科技有限公司" --uscc "$BAD_USCC" --region 330106
expect_out "uscc" "the message names the field"
[ "$(count subscriber)" = "$subs_before" ] && pass "no subscriber row for a wrong check digit" ||
	fail "a subscriber was stored"
refused=$(sql "$d" "SELECT count(*) FROM audit_event WHERE seq > $audit_before AND action = 'subscriber.create' AND outcome = 'failure' AND details LIKE '%uscc%'")
[ "$refused" = 1 ] && pass "the refusal is audited, naming the field" || fail "subscriber.create failures: $refused"
ID=$(idcard 330106 19800101)
BAD_ID=${ID%?}$([ "${ID: -1}" = 1 ] && echo 2 || echo 1)
# shellcheck disable=SC2086
expect_exit 3 "a resident ID with a wrong check character" eg subscriber create $OP --type individual \
	--name "张三" --id-card "$BAD_ID" --region 330106
expect_out "id.card" "the message names the field"
# shellcheck disable=SC2086
expect_exit 4 "a region outside the point's scope" eg subscriber create $OP --type enterprise \
	--name "北京某公司" --uscc "$(uscc 110105 MA01ABCD)" --region 110105
[ "$(count subscriber)" = "$subs_before" ] && pass "still no subscriber row" || fail "a subscriber was stored"
# shellcheck disable=SC2086
expect_exit 0 "ra-operator registers an enterprise" eg subscriber create $OP --type enterprise \
	--name "示例科技有限公司" --uscc "$USCC" --region 330106 --email pki@example.cn \
	--phone 057100000000 --idempotency-key sub-1
sid=$(tail -1 "$T/out")
# shellcheck disable=SC2086
expect_exit 0 "the same create with the same key" eg subscriber create $OP --type enterprise \
	--name "示例科技有限公司" --uscc "$USCC" --region 330106 --email pki@example.cn \
	--phone 057100000000 --idempotency-key sub-1
[ "$(tail -1 "$T/out")" = "$sid" ] && pass "idempotent: the same id" || fail "a second id: $(tail -1 "$T/out")"
# shellcheck disable=SC2086
expect_exit 14 "the same key with other content" eg subscriber create $OP --type enterprise \
	--name "其他公司" --uscc "$USCC" --region 330106 --idempotency-key sub-1
[ "$(count subscriber)" = $((subs_before + 1)) ] && pass "one subscriber row" || fail "subscribers: $(count subscriber)"
# shellcheck disable=SC2086
expect_exit 0 "subscriber show" eg subscriber show "$sid" $REV
expect_out "$USCC" "the subscriber carries its USCC"
# shellcheck disable=SC2086
expect_exit 6 "an unknown subscriber" eg subscriber show 0123456789abcdef0123456789abcdef $OP

# ---- application ----
# sm2_csr with -utf8: the subject is Chinese.
sm2_csr_utf8() {
	openssl genpkey -algorithm SM2 -out "$1" 2>/dev/null &&
		openssl req -new -utf8 -key "$1" -sm3 -sigopt distid:1234567812345678 \
			-subj "$3" -out "$2"
}
sm2_csr_utf8 "$T/holder.key" "$T/holder.csr" "/C=CN/O=示例科技有限公司/CN=示例科技有限公司"
# shellcheck disable=SC2086
expect_exit 0 "ra-operator submits a new application with an SM2 CSR" eg app submit $OP \
	--kind new --subscriber "$sid" --profile org-sign --csr "$T/holder.csr" --note "第一次申请"
app=$(sed -n 's/^id  *//p' "$T/out")
digest0=$(sed -n 's/^digest  *//p' "$T/out")
[ ${#app} = 32 ] && [ ${#digest0} = 64 ] && pass "submit prints the id and the digest" ||
	fail "submit output: $(cat "$T/out")"
python3 -c 'import sys,zlib,struct
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) + \
      chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)' "$T/licence.png"
# shellcheck disable=SC2086
expect_exit 0 "a proof document (media type from the extension)" eg app material add "$app" $OP \
	--type business-licence --file "$T/licence.png"
mid=$(tail -1 "$T/out")
# shellcheck disable=SC2086
expect_exit 3 "a document whose content is not its media type" eg app material add "$app" $OP \
	--type other --file "$T/holder.csr" --media application/pdf
# shellcheck disable=SC2086
expect_exit 0 "the reviewer reads the document back" eg app material get "$app" "$mid" $REV --out "$T/got.png"
cmp -s "$T/licence.png" "$T/got.png" && pass "the document comes back byte for byte" || fail "document differs"
# shellcheck disable=SC2086
expect_exit 0 "app show --json" eg app show "$app" $REV --json
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$T/out")
[ "$digest" != "$digest0" ] && pass "the material changed the digest" || fail "digest unchanged"

# The submitter (no reviewer role) may not approve: refused by the
# policy table, audited.
deny_before=$(sql "$d" "SELECT count(*) FROM audit_event WHERE action = 'auth.deny'")
# shellcheck disable=SC2086
expect_exit 4 "the submitter (ra-operator) may not approve" eg app approve "$app" $OP \
	--digest "$digest" --passphrase-file "$PASSFILE"
deny_after=$(sql "$d" "SELECT count(*) FROM audit_event WHERE action = 'auth.deny'")
[ "$deny_after" = $((deny_before + 1)) ] && pass "the refusal is audited (auth.deny)" ||
	fail "auth.deny rows: $deny_before -> $deny_after"
[ "$(sql "$d" "SELECT state FROM application WHERE id = '$app'")" = submitted ] &&
	pass "the application is still submitted" || fail "application state changed"

# An operator who also reviews still may not approve its own
# application (four eyes, the RA service's rule).
# shellcheck disable=SC2086
expect_exit 0 "dual submits an application" eg app submit --token-file "$T/dual.tok" \
	--kind new --subscriber "$sid" --profile org-sign --csr "$T/holder.csr"
app2=$(sed -n 's/^id  *//p' "$T/out")
digest2=$(sed -n 's/^digest  *//p' "$T/out")
expect_exit 4 "the submitter may not approve its own application" eg app approve "$app2" \
	--token-file "$T/dual.tok" --digest "$digest2" --passphrase-file "$PASSFILE"
# shellcheck disable=SC2086
expect_exit 0 "reviewer rejects it with a reason" eg app reject "$app2" $REV --digest "$digest2" \
	--reason "同一密钥重复申请"
[ "$(sql "$d" "SELECT state FROM application WHERE id = '$app2'")" = rejected ] &&
	pass "the application is rejected" || fail "not rejected"

certs_before=$(count certificate)
# shellcheck disable=SC2086
expect_exit 14 "an approval of a stale digest" eg app approve "$app" $REV --digest "$digest0" \
	--passphrase-file "$PASSFILE"
[ "$(count certificate)" = "$certs_before" ] && pass "no certificate for a stale approval" || fail "a certificate was issued"
# shellcheck disable=SC2086
expect_exit 5 "approval with a wrong CA passphrase" eg app approve "$app" $REV --digest "$digest" \
	--passphrase-file "$T/short.pw"
# shellcheck disable=SC2086
expect_exit 0 "the reviewer approves: the certificate is issued" eg app approve "$app" $REV \
	--digest "$digest" --passphrase-file "$PASSFILE" --out "$T/holder.pem"
serial=$(sed -n 's/^certificate serial //p' "$T/out")
code=$(sed -n 's/^revocation code.*(shown once): //p' "$T/out")
[ -n "$serial" ] && [ -n "$code" ] && pass "serial and revocation code printed" || fail "no serial or code"
check "openssl reads the certificate" openssl x509 -in "$T/holder.pem" -noout -text
[ "$(openssl x509 -in "$T/holder.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)" = "$serial" ] &&
	pass "the certificate's serial is the one printed" || fail "serial differs"
openssl x509 -in "$T/holder.pem" -noout -subject -nameopt utf8,sep_comma_plus >"$T/subj"
grep -q "示例科技有限公司" "$T/subj" && pass "the subject is the CSR's" || fail "subject: $(cat "$T/subj")"
[ "$(openssl x509 -in "$T/holder.pem" -noout -pubkey)" = "$(openssl pkey -in "$T/holder.key" -pubout)" ] &&
	pass "the certificate carries the CSR's key" || fail "key differs"
check "the repository holds the same certificate" sh -c \
	"\"$EGCA\" cert show '$serial' --dir '$d' --pem | cmp -s - '$T/holder.pem'"
if serve_start "$d"; then
	curl -s -o "$T/repo.pem" "$U/certs/$serial.pem"
	cmp -s "$T/repo.pem" "$T/holder.pem" && pass "the HTTP repository serves the same certificate" ||
		fail "repository /certs/$serial.pem differs"
	serve_stop
fi
eg ca export --out "$T/ca.pem" >/dev/null
check "egca verify: the chain (SM2 with the ID at every level)" "$EGCA" verify --chain "$T/ca.pem" "$T/holder.pem"
check "openssl verify (SM2 with the ID)" openssl verify -CAfile "$T/ca.pem" \
	-vfyopt distid:1234567812345678 "$T/holder.pem"
[ "$(sql "$d" "SELECT state FROM application WHERE id = '$app'")" = executed ] &&
	pass "the application is executed" || fail "application state"
# shellcheck disable=SC2086
expect_exit 8 "a second approval of an executed application" eg app approve "$app" \
	--token-file "$T/rev2.tok" --digest "$digest" --passphrase-file "$PASSFILE"
# shellcheck disable=SC2086
expect_exit 0 "app list --state executed --json" eg app list $OP --state executed --json
jcheck "the executed application is listed with its certificate" '
import json, sys
apps = json.load(open(sys.argv[1]))["applications"]
assert [a["result_serial"] for a in apps] == [sys.argv[2]], apps' "$serial"

# ---- loss reports ----
expect_exit 5 "a loss report with a wrong code" eg loss report --serial "$serial" --code WRONGCODE
[ "$(sql "$d" "SELECT status FROM certificate WHERE serial = '$serial'")" = good ] &&
	pass "a wrong code changes nothing" || fail "status changed"
openssl genpkey -algorithm SM2 -out "$T/other.key" 2>/dev/null
expect_exit 5 "a loss report signed with another key" eg loss report --serial "$serial" --key "$T/other.key"
expect_exit 0 "the holder reports loss, signed with the certificate's key (SM2 with the ID)" \
	eg loss report --serial "$serial" --key "$T/holder.key" --statement "密钥丢失"
report=$(sed -n 's/^loss report \([0-9a-f]*\):.*/\1/p' "$T/out")
[ "$(sql "$d" "SELECT status FROM certificate WHERE serial = '$serial'")" = hold ] &&
	pass "the certificate is held at once" || fail "not held"
expect_exit 5 "loss list needs an operator" eg loss list
# shellcheck disable=SC2086
expect_exit 0 "loss list" eg loss list $OP --json
jcheck "the report is listed as held, by signature" '
import json, sys
r = json.load(open(sys.argv[1]))["reports"]
assert [(x["id"], x["state"], x["method"]) for x in r] == [(sys.argv[2], "held", "signature")], r' "$report"
# shellcheck disable=SC2086
expect_exit 0 "the ra-operator confirms: revoked" eg loss confirm "$report" $OP
[ "$(sql "$d" "SELECT status FROM certificate WHERE serial = '$serial'")" = revoked ] &&
	pass "the certificate is revoked" || fail "not revoked"

# The revocation code path, on a second certificate.
sm2_csr_utf8 "$T/holder2.key" "$T/holder2.csr" "/C=CN/O=示例科技有限公司/CN=签章 2"
# shellcheck disable=SC2086
eg app submit $OP --kind new --subscriber "$sid" --profile org-sign --csr "$T/holder2.csr" >"$T/sub3"
app3=$(sed -n 's/^id  *//p' "$T/sub3")
digest3=$(sed -n 's/^digest  *//p' "$T/sub3")
expect_exit 0 "reviewer 2 approves a second application (JSON)" eg app approve "$app3" \
	--token-file "$T/rev2.tok" --digest "$digest3" --passphrase-file "$PASSFILE" --json
serial3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$T/out")
code3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["revocation_code"])' "$T/out")
expect_exit 5 "the first certificate's code does not fit the second" eg loss report \
	--serial "$serial3" --code "$code"
expect_exit 0 "the holder reports loss with the revocation code" eg loss report \
	--serial "$serial3" --code "$code3"
[ "$(sql "$d" "SELECT status FROM certificate WHERE serial = '$serial3'")" = hold ] &&
	pass "the second certificate is held" || fail "not held"

# ---- wrong password, tokens, audit ----
printf 'not the password\n' >"$T/wrong.pw"
fails_before=$(sql "$d" "SELECT count(*) FROM audit_event WHERE action = 'auth.login' AND outcome = 'failure'")
expect_exit 5 "a wrong password" eg subscriber list --operator op1 --password-file "$T/wrong.pw" \
	--totp "$(totp_now "$(cat "$T/op1.totp")")"
expect_exit 5 "an unknown operator (same answer)" eg subscriber list --operator nobody \
	--password-file "$T/wrong.pw"
fails_after=$(sql "$d" "SELECT count(*) FROM audit_event WHERE action = 'auth.login' AND outcome = 'failure'")
[ "$fails_after" -ge $((fails_before + 2)) ] && pass "failed logins are audited" ||
	fail "auth.login failures: $fails_before -> $fails_after"
expect_exit 0 "egca audit list --action auth.login --outcome failure" "$EGCA" audit list --dir "$d" \
	--action auth.login --outcome failure --json
jcheck "audit list shows the failed logins of op1 and nobody" '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert all(e["action"] == "auth.login" and e["outcome"] == "failure" for e in ev)
text = json.dumps(ev)
assert "op1" in text and "nobody" in text, text'
"$EGCA" audit export --dir "$d" --format json >"$T/audit.json"
if grep -qF -e "not the password" -e "$OP_PASSWORD" -e "$otp" "$T/audit.json"; then
	fail "a password in the audit log"
else
	pass "no password (nor the one-time password) in the audit log"
fi
expect_exit 5 "no credentials at all" eg subscriber list
# shellcheck disable=SC2086
expect_exit 0 "token list" eg operator token list $OP --json
tid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens"][0]["id"])' "$T/out")
# shellcheck disable=SC2086
expect_exit 0 "the owner revokes its token" eg operator token revoke "$tid" $OP
# shellcheck disable=SC2086
expect_exit 5 "a revoked token" eg subscriber list $OP
check "the token also works from \$EGCA_TOKEN" env EGCA_TOKEN="$(cat "$T/rev1.tok")" \
	"$EGCA" subscriber list --dir "$d"
check "audit chain intact" "$EGCA" audit verify --dir "$d"

# ---- lockout, unlock, reset (an auditor: no TOTP needed) ----
check "secadmin creates an auditor" create aud1 auditor
for _ in 1 2 3 4 5; do
	eg operator passwd --operator aud1 --password-file "$T/wrong.pw" \
		--new-password-file "$T/secadmin.pw" >/dev/null 2>&1
done
expect_exit 8 "locked after five failed logins, even with the right password" eg operator passwd \
	--operator aud1 --password-file "$T/aud1.otp" --new-password-file "$T/secadmin.pw"
expect_out "locked" "the message says locked"
# shellcheck disable=SC2086
expect_exit 0 "secadmin unlocks" eg operator unlock aud1 $SEC
# shellcheck disable=SC2086
expect_exit 0 "secadmin resets: a new one-time password" eg operator reset aud1 $SEC --json
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["one_time_password"])' "$T/out" >"$T/aud1.otp2"
expect_exit 5 "the first one-time password is void" eg operator passwd --operator aud1 \
	--password-file "$T/aud1.otp" --new-password-file "$T/secadmin.pw"
expect_exit 0 "the new one-time password changes the password" eg operator passwd --operator aud1 \
	--password-file "$T/aud1.otp2" --new-password-file "$T/secadmin.pw"

# ---- help: every option of every verb, and an example ----
for c in operator point subscriber app loss; do
	expect_exit 0 "egca $c --help" "$EGCA" $c --help
	expect_out "^examples?:" "egca $c --help has an example"
	cp "$T/out" "$T/help.$c"
	missing=""
	for o in $(sed -n 's/^[[:space:]]*{"\([a-z-]*\)", \(required\|no\)_argument.*/\1/p' \
		"$SRC/src/cli/cmd_$c.c") operator password-file totp totp-file token-file; do
		grep -q -- "--$o\b" "$T/help.$c" || missing="$missing --$o"
	done
	[ -z "$missing" ] && pass "egca $c --help lists every option" || fail "egca $c --help lacks$missing"
done
expect_exit 2 "egca app without a verb" "$EGCA" app
expect_exit 2 "egca operator with an unknown verb" "$EGCA" operator frobnicate --dir "$d"
expect_exit 2 "egca app approve without --digest" "$EGCA" app approve "$app" --dir "$d" $REV

finish
