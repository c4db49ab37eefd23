#!/usr/bin/env bash
# The audit log for people: the audit key made by egca init; list
# filters and paging; CSV and JSON exports parsed by python3 (csv, json)
# and the chain recomputed from the JSON export with hashlib's SM3;
# checkpoints signed by the CLI and by egca serve, one verified by
# `openssl pkeyutl` with the SM2 user ID; a forged checkpoint, another
# key and a truncated tail found by `egca audit verify` (exit 13); an
# audit log that cannot be written stops a revocation (exit 9, nothing
# changed: status, OCSP) and an HTTP change (503); the auditor's REST
# view (list, export, verify; other roles refused, the auditor changes
# nothing).
. "$(dirname "$0")/lib.sh"

d=$T/ca
me=cli:$(id -un)

# hexcol DIR TABLE COLUMN WHERE: a binary column as lower-case hex.
hexcol() {
	if [ "$EGCA_BACKEND" = postgres ]; then
		sql "$1" "SELECT encode($3, 'hex') FROM $2 WHERE $4"
	else
		sql "$1" "SELECT lower(hex($3)) FROM $2 WHERE $4"
	fi
}

# block_audit DIR / unblock_audit DIR: make every insert into
# audit_event fail (a full disk, a revoked grant, a broken replica).
block_audit() {
	if [ "$EGCA_BACKEND" = postgres ]; then
		sql "$1" "CREATE FUNCTION audit_block() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'blocked'; END \$\$; CREATE TRIGGER audit_block BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_block();" >/dev/null
	else
		sql "$1" "CREATE TRIGGER audit_block BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'blocked'); END;"
	fi
}
unblock_audit() {
	if [ "$EGCA_BACKEND" = postgres ]; then
		sql "$1" "DROP TRIGGER audit_block ON audit_event; DROP FUNCTION audit_block();" >/dev/null
	else
		sql "$1" "DROP TRIGGER audit_block;"
	fi
}

events() { sql "$d" "SELECT COUNT(*) FROM audit_event"; }

# ---- The audit key ----
check "egca init" init_ca "$d"
expect_out "audit key created \(sm2" "init creates the audit key"
if [ -f "$d/keys/audit.key" ] && [ "$(stat -c %a "$d/keys/audit.key")" = 600 ]; then
	pass "keys/audit.key, mode 0600"
else
	fail "keys/audit.key missing or not 0600"
fi
grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$d/keys/audit.key" && pass "audit key encrypted (PKCS#8)" || fail "audit key not encrypted"
openssl pkey -pubin -in "$d/keys/audit.pub" -noout -text >"$T/out" 2>&1
expect_out "SM2" "keys/audit.pub is an SM2 public key"
kid=$(openssl pkey -pubin -in "$d/keys/audit.pub" -outform DER | openssl dgst -sm3 -r | cut -d' ' -f1)
if [ "$(sql "$d" "SELECT id FROM audit_key")" = "$kid" ]; then
	pass "audit_key holds the key of audit.pub (id = SM3 of its SPKI)"
else
	fail "audit_key id differs from SM3(audit.pub)"
fi
[ "$(sql "$d" "SELECT COUNT(*) FROM audit_event WHERE action = 'audit.key.create'")" = 1 ] &&
	pass "audit key creation is audited" || fail "no audit.key.create event"
expect_exit 7 "audit key create refuses a second key" "$EGCA" audit key create \
	--dir "$d" --passphrase-file "$PASSFILE"
printf 'another passphrase\n' >"$T/wrongpass"
expect_exit 5 "checkpoint with the wrong passphrase" "$EGCA" audit checkpoint \
	--dir "$d" --passphrase-file "$T/wrongpass"

# ---- Events to look at ----
"$EGCA" ca export --dir "$d" --out "$T/ca.pem" >/dev/null
for i in 1 2 3; do
	sm2_csr "$T/ee$i.key" "$T/ee$i.csr" "/C=CN/O=Audit Test/CN=Holder $i"
	"$EGCA" cert issue --dir "$d" --csr "$T/ee$i.csr" --profile tls-server \
		--dns "h$i.example.gov.cn" --passphrase-file "$PASSFILE" \
		--out "$T/ee$i.pem" >/dev/null 2>&1 || fail "issue $i"
done
serial() {
	openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^\(00\)*//'
}
s1=$(serial "$T/ee1.pem")
s2=$(serial "$T/ee2.pem")
# A refused request (no such profile) is audited as a failure.
"$EGCA" cert issue --dir "$d" --csr "$T/ee1.csr" --profile no-such-profile \
	--passphrase-file "$PASSFILE" --out "$T/x.pem" >/dev/null 2>&1
check "revoke one" "$EGCA" cert revoke --dir "$d" --reason keyCompromise "$s1"
n=$(events)

# ---- list ----
"$EGCA" audit list --dir "$d" --json >"$T/list.json"
if [ "$(jfield "$T/list.json" 'len(d["events"])')" = "$n" ] &&
	[ "$(jfield "$T/list.json" '[e["seq"] for e in d["events"]] == list(range(1, len(d["events"]) + 1))')" = true ]; then
	pass "list: all $n events in seq order"
else
	fail "list: not all events in order"
fi
"$EGCA" audit list --dir "$d" --action cert. --json >"$T/l.json"
want=$(sql "$d" "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'cert.%'")
if [ "$(jfield "$T/l.json" 'len(d["events"])')" = "$want" ] && [ "$want" -ge 5 ] &&
	[ "$(jfield "$T/l.json" 'all(e["action"].startswith("cert.") for e in d["events"])')" = true ]; then
	pass "list --action cert. (prefix): $want events"
else
	fail "list --action cert."
fi
"$EGCA" audit list --dir "$d" --action cert.revoke --outcome success --json >"$T/l.json"
if [ "$(jfield "$T/l.json" '[e["object"].endswith("'"$s1"'") for e in d["events"]]')" = "[true]" ]; then
	pass "list --action cert.revoke --outcome success: the one revocation"
else
	fail "list: revocation not found"
fi
"$EGCA" audit list --dir "$d" --outcome failure --json >"$T/l.json"
if [ "$(jfield "$T/l.json" 'len(d["events"]) >= 1 and all(e["outcome"] == "failure" and e["action"] == "cert.issue" for e in d["events"])')" = true ]; then
	pass "list --outcome failure: the refused issue"
else
	fail "list --outcome failure"
fi
"$EGCA" audit list --dir "$d" --actor "$me" --json >"$T/l.json"
[ "$(jfield "$T/l.json" 'len(d["events"])')" = "$n" ] && pass "list --actor $me" || fail "list --actor"
"$EGCA" audit list --dir "$d" --actor "${me}x" --json >"$T/l.json"
[ "$(jfield "$T/l.json" 'len(d["events"])')" = 0 ] && pass "list --actor is exact" || fail "list --actor matched a prefix"
"$EGCA" audit list --dir "$d" --limit 2 --json >"$T/l.json"
if [ "$(jfield "$T/l.json" '[e["seq"] for e in d["events"]]')" = "[1, 2]" ] &&
	[ "$(jfield "$T/l.json" 'd["next_after"]')" = 2 ]; then
	pass "list --limit 2: seq 1, 2 and next_after 2"
else
	fail "list --limit 2"
fi
"$EGCA" audit list --dir "$d" --after 2 --limit 2 --json >"$T/l.json"
[ "$(jfield "$T/l.json" '[e["seq"] for e in d["events"]]')" = "[3, 4]" ] &&
	pass "list --after 2 --limit 2: seq 3, 4" || fail "list --after"
"$EGCA" audit list --dir "$d" --from 2099-01-01 --json >"$T/l.json"
[ "$(jfield "$T/l.json" 'len(d["events"])')" = 0 ] && pass "list --from the future: none" || fail "list --from"
"$EGCA" audit list --dir "$d" --to "$(date -u +%Y-%m-%d)" --json >"$T/l.json"
[ "$(jfield "$T/l.json" 'len(d["events"])')" = "$n" ] && pass "list --to today (the whole day)" || fail "list --to today"
expect_exit 2 "list --outcome maybe refused" "$EGCA" audit list --dir "$d" --outcome maybe
expect_out "success or failure" "the refusal names the values"
expect_exit 2 "list takes no --format" "$EGCA" audit list --dir "$d" --format csv
expect_exit 2 "list --from garbage refused" "$EGCA" audit list --dir "$d" --from yesterday
[ "$(events)" = "$n" ] && pass "browsing wrote nothing" || fail "browsing changed the log"

# ---- export ----
check "export csv" "$EGCA" audit export --dir "$d" --format csv --out "$T/a.csv"
check "export json" "$EGCA" audit export --dir "$d" --format json --out "$T/a.json"
cat >"$T/csvcheck.py" <<'EOF'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
js = json.load(open(sys.argv[2]))
assert rows[0] == ["seq", "ts", "time", "actor", "action", "object",
                   "outcome", "details", "hash"], rows[0]
data = rows[1:]
assert len(data) == int(sys.argv[3]), (len(data), sys.argv[3])
assert [int(r[0]) for r in data] == list(range(1, len(data) + 1))
for r, e in zip(data, js):
    assert int(r[0]) == e["seq"] and int(r[1]) == e["ts"]
    assert r[3:] == [e["actor"], e["action"], e["object"], e["outcome"],
                     e["details"], e["hash"]], (r, e)
    json.loads(r[7])  # details are JSON text
print("ok", len(data))
EOF
check "export csv parses (python csv), matches the JSON export" \
	python3 "$T/csvcheck.py" "$T/a.csv" "$T/a.json" "$n"
if head -c 200 "$T/a.csv" | od -c | grep -q '\\r  \\n'; then pass "CSV lines end with CRLF"; else fail "CSV without CRLF"; fi
cat >"$T/chain.py" <<'EOF'
import hashlib, json, struct, sys
prev = bytes(32)
for e in json.load(open(sys.argv[1])):
    assert e["prev_hash"] == (prev.hex() if e["seq"] > 1 else ""), e["seq"]
    m = prev + struct.pack(">QQ", e["seq"], e["ts"])
    for k in ("actor", "action", "object", "outcome", "details"):
        b = e[k].encode()
        m += struct.pack(">I", len(b)) + b
    h = hashlib.new("sm3", m).digest()
    assert h.hex() == e["hash"], e["seq"]
    prev = h
print(prev.hex())
EOF
head=$(python3 "$T/chain.py" "$T/a.json" 2>"$T/out")
"$EGCA" audit verify --dir "$d" --json >"$T/v.json"
if [ -n "$head" ] && [ "$(jfield "$T/v.json" 'd["head_hash"]')" = "$head" ]; then
	pass "the chain recomputed from the JSON export (python hashlib SM3) ends at egca's head"
else
	fail "independent chain check: '$head'"
	sed 's/^/    /' "$T/out"
fi
"$EGCA" audit export --dir "$d" --format csv --action cert.revoke >"$T/r.csv"
[ "$(python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))))' "$T/r.csv")" = 2 ] &&
	pass "export --action cert.revoke: header and one row (stdout)" || fail "export with a filter"
expect_exit 2 "export without --format" "$EGCA" audit export --dir "$d"
expect_exit 2 "export --format xml" "$EGCA" audit export --dir "$d" --format xml
expect_exit 2 "export takes no --limit" "$EGCA" audit export --dir "$d" --format csv --limit 3

# ---- checkpoints ----
expect_exit 0 "audit checkpoint" "$EGCA" audit checkpoint --dir "$d" --passphrase-file "$PASSFILE"
expect_out "head seq $n signed" "checkpoint of head seq $n"
expect_exit 0 "audit verify" "$EGCA" audit verify --dir "$d"
expect_out "checkpoints: 1 checked \(signatures verified\), newest at seq $n" "verify checks the checkpoint"
# The signature, checked by openssl alone: the message is
# str("egca-audit-checkpoint") || u64 seq || 32-byte head || u64 ts.
cts=$(sql "$d" "SELECT ts FROM audit_checkpoint WHERE seq = $n")
chead=$(sql "$d" "SELECT head_hash FROM audit_checkpoint WHERE seq = $n")
hexcol "$d" audit_checkpoint signature "seq = $n" | xxd -r -p >"$T/cp.sig"
python3 -c 'import struct,sys; t=b"egca-audit-checkpoint"; sys.stdout.buffer.write(struct.pack(">I",len(t))+t+struct.pack(">Q",int(sys.argv[1]))+bytes.fromhex(sys.argv[2])+struct.pack(">Q",int(sys.argv[3])))' \
	"$n" "$chead" "$cts" >"$T/cp.msg"
check "checkpoint signature verifies with openssl pkeyutl (SM3, distid)" \
	openssl pkeyutl -verify -pubin -inkey "$d/keys/audit.pub" -rawin \
	-digest sm3 -pkeyopt distid:1234567812345678 -in "$T/cp.msg" -sigfile "$T/cp.sig"
# A checkpoint signed by another key in its place.
openssl genpkey -algorithm SM2 -out "$T/other.key" 2>/dev/null
openssl pkey -in "$T/other.key" -pubout -out "$T/other.pub"
openssl pkeyutl -sign -inkey "$T/other.key" -rawin -digest sm3 \
	-pkeyopt distid:1234567812345678 -in "$T/cp.msg" -out "$T/forged.sig"
good=$(xxd -p "$T/cp.sig" | tr -d '\n')
setsig() {
	if [ "$EGCA_BACKEND" = postgres ]; then
		sql "$d" "UPDATE audit_checkpoint SET signature = decode('$1', 'hex') WHERE seq = $n" >/dev/null
	else
		sql "$d" "UPDATE audit_checkpoint SET signature = X'$1' WHERE seq = $n"
	fi
}
setsig "$(xxd -p "$T/forged.sig" | tr -d '\n')"
expect_exit 13 "a forged checkpoint is found" "$EGCA" audit verify --dir "$d"
expect_out "checkpoint at seq $n .*signature does not verify" "verify names the forged checkpoint"
setsig "$good"
expect_exit 0 "the original signature verifies again" "$EGCA" audit verify --dir "$d"
expect_exit 13 "verify with another key (--audit-pubkey)" "$EGCA" audit verify \
	--dir "$d" --audit-pubkey "$T/other.pub"
expect_out "not the one registered" "verify warns: the store's audit key differs"
"$EGCA" audit verify --dir "$d" --json --audit-pubkey "$T/other.pub" >"$T/v.json"
if [ "$(jfield "$T/v.json" 'd["intact"]')" = false ] &&
	[ "$(jfield "$T/v.json" 'd["checkpoints"]["bad_seq"]')" = "$n" ]; then
	pass "verify --json: intact false, checkpoints.bad_seq $n"
else
	fail "verify --json with another key"
fi

# ---- No audit record, no change (exit 9 / 503) ----
openssl ocsp -issuer "$T/ca.pem" -cert "$T/ee2.pem" -reqout "$T/req2.der" -no_nonce >/dev/null 2>&1
ocsp_status() {
	"$EGCA" ocsp respond --dir "$d" --request "$T/req2.der" --out "$T/resp2.der" \
		--passphrase-file "$PASSFILE" >/dev/null 2>&1 &&
		openssl ocsp -respin "$T/resp2.der" -resp_text -noverify 2>/dev/null |
		sed -n 's/^ *Cert Status: //p' | head -1
}
[ "$(ocsp_status)" = good ] && pass "OCSP: good before" || fail "OCSP not good before"
der_before=$(hexcol "$d" ocsp_response der "serial = '$s2'" | sha256sum)
n=$(events)
block_audit "$d"
expect_exit 9 "revoke fails when its audit record cannot be written" \
	"$EGCA" cert revoke --dir "$d" --reason keyCompromise "$s2"
expect_out "audit record could not be written" "the error says why"
"$EGCA" cert show --dir "$d" --json "$s2" >"$T/out" 2>&1
expect_out '"status": "good"' "the certificate is still good"
[ "$(sql "$d" "SELECT stale FROM ocsp_response WHERE serial = '$s2'")" = 0 ] &&
	pass "its OCSP response was not marked stale" || fail "OCSP response marked stale"
[ "$(hexcol "$d" ocsp_response der "serial = '$s2'" | sha256sum)" = "$der_before" ] &&
	pass "its OCSP response is unchanged" || fail "OCSP response changed"
[ "$(ocsp_status)" = good ] && pass "OCSP still answers good" || fail "OCSP changed"
[ "$(events)" = "$n" ] && pass "no event was written" || fail "events written while blocked"
unblock_audit "$d"
expect_exit 0 "with the audit log writable the revocation goes through" \
	"$EGCA" cert revoke --dir "$d" --reason keyCompromise "$s2"
[ "$(ocsp_status)" = revoked ] && pass "OCSP: revoked" || fail "OCSP not revoked"
check "chain intact after the failed attempt" "$EGCA" audit verify --dir "$d"

# ---- egca serve: periodic checkpoints and the auditor's REST view ----
python3 - "$d/egca.conf" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["audit"] = {"checkpoint_events": 2, "checkpoint_minutes": 60}
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
"$EGCA" cert issue --dir "$d" --csr "$T/ee3.csr" --profile tls-server \
	--dns h4.example.gov.cn --passphrase-file "$PASSFILE" --out "$T/ee4.pem" >/dev/null 2>&1
cps=$(sql "$d" "SELECT COUNT(*) FROM audit_checkpoint")
if serve_start "$d"; then
	for _ in $(seq 1 100); do
		[ "$(sql "$d" "SELECT COUNT(*) FROM audit_checkpoint")" -gt "$cps" ] && break
		sleep 0.2
	done
	[ "$(sql "$d" "SELECT COUNT(*) FROM audit_checkpoint")" -gt "$cps" ] &&
		pass "serve signs a checkpoint (events since the last >= checkpoint_events)" ||
		fail "serve made no checkpoint"
	grep -q "no audit checkpoints" "$T/serve.err" && fail "serve: $(cat "$T/serve.err")" || pass "serve opened the audit key"

	# The first administrator comes from egca init (its one-time
	# password in the output); without one the REST part cannot run.
	if ! grep -q "^one-time password for" "$T/init.$(basename "$d")"; then
		echo "skip - the auditor's REST view: egca init made no administrator"
	elif op_bootstrap "$d" && op_new aud auditor >/dev/null; then
		pass "an auditor with an API token"
		got=$(api token:aud GET "/api/v1/audit?limit=2")
		if [ "$got" = 200 ] && [ "$(jfield "$T/body" '[e["seq"] for e in d["events"]]')" = "[1, 2]" ] &&
			[ "$(jfield "$T/body" 'd["next_after"]')" = 2 ]; then
			pass "GET /api/v1/audit?limit=2: seq 1, 2, next_after 2"
		else
			fail "GET /api/v1/audit?limit=2: $got $(head -c 300 "$T/body")"
		fi
		got=$(api token:aud GET "/api/v1/audit?action=cert.revoke&outcome=success&after=1")
		[ "$got" = 200 ] && [ "$(jfield "$T/body" 'len(d["events"])')" = 2 ] &&
			[ "$(jfield "$T/body" 'd["next_after"]')" = "" ] &&
			pass "GET /api/v1/audit with filters: the two revocations" ||
			fail "GET /api/v1/audit filters: $got $(head -c 300 "$T/body")"
		got=$(api token:aud GET "/api/v1/audit?from=2099-01-01")
		[ "$got" = 200 ] && [ "$(jfield "$T/body" 'len(d["events"])')" = 0 ] &&
			pass "GET /api/v1/audit?from=future: none" || fail "from: $got"
		got=$(api token:aud GET "/api/v1/audit?outcome=maybe")
		[ "$got" = 400 ] && [ "$(jfield "$T/body" 'd["param"]')" = outcome ] &&
			pass "outcome=maybe: 400 naming the parameter" || fail "outcome=maybe: $got $(cat "$T/body")"
		got=$(api token:aud GET "/api/v1/audit?limit=0")
		[ "$got" = 400 ] && pass "limit=0: 400" || fail "limit=0: $got"
		got=$(api token:aud GET "/api/v1/audit?sort=seq")
		[ "$got" = 400 ] && pass "unknown parameter: 400" || fail "unknown parameter: $got"
		n=$(events)
		got=$(api token:aud GET "/api/v1/audit/export?format=csv")
		cp "$T/body" "$T/h.csv"
		if [ "$got" = 200 ] && grep -qi '^content-disposition: attachment; filename="egca-audit-.*\.csv"' "$T/headers" &&
			grep -qi '^content-type: text/csv' "$T/headers" &&
			[ "$(python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); print(len(r) - 1)' "$T/h.csv")" = "$n" ]; then
			pass "GET /api/v1/audit/export?format=csv: attachment with all $n events"
		else
			fail "export csv: $got $(head -c 300 "$T/headers")"
		fi
		[ "$(sql "$d" "SELECT COUNT(*) FROM audit_event WHERE action = 'audit.export' AND actor LIKE 'token:aud/%'")" = 1 ] &&
			pass "the export is itself audited (audit.export by the auditor's token)" ||
			fail "export not audited"
		got=$(api token:aud GET "/api/v1/audit/export?format=json&actor=$me")
		[ "$got" = 200 ] && [ "$(jfield "$T/body" 'all(e["actor"] == "'"$me"'" for e in d) and len(d) > 3')" = true ] &&
			pass "export json with actor=$me" || fail "export json: $got"
		got=$(api token:aud GET "/api/v1/audit/export?format=xml")
		[ "$got" = 400 ] && pass "format=xml: 400" || fail "format=xml: $got"
		got=$(api token:aud GET /api/v1/audit/verify)
		if [ "$got" = 200 ] && [ "$(jfield "$T/body" 'd["intact"]')" = true ] &&
			[ "$(jfield "$T/body" 'd["checkpoints"]["checked"] >= 2 and d["checkpoints"]["signatures_checked"]')" = true ] &&
			[ "$(jfield "$T/body" 'd["checkpoints"]["audit_key_id"]')" = "$kid" ]; then
			pass "GET /api/v1/audit/verify: intact, checkpoints checked with the audit key"
		else
			fail "verify over HTTP: $got $(head -c 400 "$T/body")"
		fi
		# Only the auditor reads the log; the auditor changes nothing.
		got=$(api token:secadmin GET /api/v1/audit)
		[ "$got" = 403 ] && pass "secadmin: 403 on /api/v1/audit" || fail "secadmin read the audit log: $got"
		got=$(api anon GET /api/v1/audit/export)
		[ "$got" = 401 ] && pass "anonymous: 401 on /api/v1/audit/export" || fail "anonymous export: $got"
		ops=$(sql "$d" "SELECT COUNT(*) FROM operator")
		got=$(api token:aud POST /api/v1/operators '{"name":"mallory","roles":["auditor"]}')
		[ "$got" = 403 ] && [ "$(sql "$d" "SELECT COUNT(*) FROM operator")" = "$ops" ] &&
			pass "the auditor cannot make an operator (403, nothing changed)" || fail "auditor changed something: $got"
		# An HTTP change without its audit record: 503, nothing done.
		block_audit "$d"
		got=$(api token:secadmin POST /api/v1/operators '{"name":"sys1","roles":["sysadmin"]}')
		[ "$got" = 503 ] && pass "HTTP change while the audit log cannot be written: 503" ||
			fail "HTTP change while blocked: $got $(cat "$T/body")"
		grep -q "audit record\|blocked\|sqlite\|postgres" "$T/body" && fail "the 503 shows internals" || pass "the 503 shows no internals"
		[ "$(sql "$d" "SELECT COUNT(*) FROM operator WHERE name = 'sys1'")" = 0 ] &&
			pass "no operator was made" || fail "operator made without its audit record"
		got=$(api token:aud GET "/api/v1/audit/export?format=json")
		[ "$got" = 503 ] && pass "an export that cannot be recorded is refused (503)" || fail "unrecorded export: $got"
		unblock_audit "$d"
		got=$(api token:secadmin POST /api/v1/operators '{"name":"sys1","roles":["sysadmin"]}')
		[ "$got" = 201 ] && pass "writable again: the operator is made (201)" || fail "after unblock: $got"
	else
		fail "operator helpers (op_bootstrap, op_new)"
	fi
	serve_stop || fail "serve exit status"
fi
check "chain and checkpoints intact after serve" "$EGCA" audit verify --dir "$d"

# egca.conf "audit" is checked strictly.
cp "$d/egca.conf" "$T/egca.conf.good"
setconf() {
	python3 - "$d/egca.conf" "$1" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["audit"] = json.loads(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
}
setconf '{"checkpoint_events": 0}'
expect_exit 3 "audit.checkpoint_events 0 refused" "$EGCA" audit list --dir "$d"
expect_out "audit.checkpoint_events must be from 1 to 1000000" "the error names the setting"
setconf '{"checkpoint_minutes": 1441}'
expect_exit 3 "audit.checkpoint_minutes 1441 refused" "$EGCA" audit list --dir "$d"
setconf '{"checkpoint_every": 5}'
expect_exit 3 "an unknown audit setting refused" "$EGCA" audit list --dir "$d"
expect_out "checkpoint_every" "the error names the unknown key"
cp "$T/egca.conf.good" "$d/egca.conf"

# ---- A truncated tail ----
expect_exit 0 "checkpoint" "$EGCA" audit checkpoint --dir "$d" --passphrase-file "$PASSFILE"
n=$(events)
sql "$d" "DELETE FROM audit_event WHERE seq > $((n - 2))" >/dev/null
expect_exit 13 "the newest two events removed: verify fails" "$EGCA" audit verify --dir "$d"
expect_out "log ends at seq $((n - 2)) but checkpoint [0-9]+ .*covers seq $n" "verify names the truncation"
"$EGCA" audit verify --dir "$d" --json >"$T/v.json"
if [ "$(jfield "$T/v.json" 'd["intact"]')" = false ] &&
	[ "$(jfield "$T/v.json" 'd["first_bad_position"]')" = "$((n - 1))" ]; then
	pass "verify --json: first_bad_position $((n - 1))"
else
	fail "verify --json after truncation: $(cat "$T/v.json")"
fi

# ---- Cells a spreadsheet would run are defused ----
sql "$d" "INSERT INTO audit_event (seq, ts, actor, action, object, outcome, details, prev_hash, hash) VALUES (100000, 1, '=HYPERLINK(\"http://x\")', '+1+2', '-3', 'failure', '@SUM(A1)', 'x', 'y')" >/dev/null
"$EGCA" audit export --dir "$d" --format csv --after 99999 --out "$T/f.csv"
if [ "$(python3 -c 'import csv,sys; print(list(csv.reader(open(sys.argv[1], newline="")))[1][3:8])' "$T/f.csv")" = \
	"['\\'=HYPERLINK(\"http://x\")', \"'+1+2\", \"'-3\", 'failure', \"'@SUM(A1)\"]" ]; then
	pass "CSV: = + - @ cells get a leading '"
else
	fail "CSV formula cells: $(cat "$T/f.csv")"
fi

finish
