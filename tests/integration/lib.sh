# Shared helpers for the integration tests (sourced). Each test runs the
# real egca binary ($EGCA) in a temporary data directory, on the backend
# named by $EGCA_BACKEND (sqlite or postgres; postgres needs
# $EGCA_PG_URI from tests/pg/pg.sh and gets a database of its own).
# Ends with "N passed, M failed"; exit status 1 when anything failed,
# 77 (skipped) when the backend is not available.
set -u
: "${EGCA:?EGCA must name the egca binary}"
: "${EGCA_SOURCE_DIR:?}"
EGCA_BACKEND=${EGCA_BACKEND:-sqlite}
SRC=$EGCA_SOURCE_DIR
T=$(mktemp -d "${TMPDIR:-/tmp}/egca-it.XXXXXX")
PASSED=0
FAILED=0
PG_DB=""

cleanup() {
	if [ -n "$PG_DB" ]; then
		psql -q "$EGCA_PG_URI" -c "DROP DATABASE IF EXISTS $PG_DB" \
			>/dev/null 2>&1 || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check DESC CMD...: passes when CMD exits 0.
check() {
	local desc=$1
	shift
	if "$@" >"$T/out" 2>&1; then
		pass "$desc"
	else
		fail "$desc (exit $?)"
		sed 's/^/    /' "$T/out" | head -20
	fi
}

# expect_exit CODE DESC CMD...: passes when CMD exits with CODE; the
# output is kept in $T/out for further checks.
expect_exit() {
	local want=$1 desc=$2 got
	shift 2
	"$@" >"$T/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		pass "$desc (exit $got)"
	else
		fail "$desc: exit $got, wanted $want"
		sed 's/^/    /' "$T/out" | head -20
	fi
}

# expect_out PATTERN DESC: the last command's output matches PATTERN.
expect_out() {
	if grep -Eq -- "$1" "$T/out"; then
		pass "$2"
	else
		fail "$2: output does not match /$1/"
		sed 's/^/    /' "$T/out" | head -20
	fi
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ] || exit 1
	exit 0
}

# The --store value for a new data directory on the chosen backend.
store_uri() {
	if [ "$EGCA_BACKEND" = postgres ]; then
		if [ -z "${EGCA_PG_URI:-}" ]; then
			echo "skipped: EGCA_PG_URI is not set" >&2
			exit 77
		fi
		PG_DB=it_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
		psql -q "$EGCA_PG_URI" -c "CREATE DATABASE $PG_DB" >/dev/null
		echo "$EGCA_PG_URI" | sed "s#^\(postgres[a-z]*://[^/]*/\)[^?]*#\1$PG_DB#"
	else
		echo "sqlite:egca.db"
	fi
}

# sql DIR QUERY: runs QUERY on DIR's store, prints rows (| separated).
sql() {
	local dir=$1 q=$2 uri
	uri=$(sed -n 's/.*"store": *"\(.*\)".*/\1/p' "$dir/egca.conf")
	case $uri in
	sqlite:*) sqlite3 "$dir/${uri#sqlite:}" "$q" ;;
	*) psql -qAt "$uri" -c "$q" ;;
	esac
}

PASSFILE=$T/pass
printf 'correct horse battery staple\n' >"$PASSFILE"
chmod 600 "$PASSFILE"

# init_ca DIR [egca init options...]: its output (with the first
# security administrator's one-time password) is also kept in
# $T/init.<basename of DIR> for op_bootstrap.
init_ca() {
	local dir=$1 rc
	shift
	"$EGCA" init --dir "$dir" --store "$(store_uri)" \
		--passphrase-file "$PASSFILE" "$@" >"$T/init.out.$$" 2>&1
	rc=$?
	cat "$T/init.out.$$"
	mv -f "$T/init.out.$$" "$T/init.$(basename "$dir")"
	return $rc
}

# The independent verifier (BouncyCastle), compiled once per build.
# Keyed by the source's digest, so an edited BcVerify.java is rebuilt.
BC_CLASSES=${EGCA_BUILD_DIR:-$T}/bcverify-$(sha1sum "$SRC/tests/tools/BcVerify.java" | cut -c1-12)
bcverify() {
	if [ ! -f "$BC_CLASSES/BcVerify.class" ]; then
		# Compiled aside and renamed: tests may run in parallel.
		local tmp
		tmp=$(mktemp -d "$T/bc.XXXXXX")
		javac -nowarn -cp /usr/share/java/bcprov.jar -d "$tmp" \
			"$SRC/tests/tools/BcVerify.java" >/dev/null 2>&1
		mkdir -p "$(dirname "$BC_CLASSES")"
		mv -T "$tmp" "$BC_CLASSES" 2>/dev/null || true
	fi
	java -cp "/usr/share/java/bcprov.jar:$BC_CLASSES" BcVerify "$@"
}

# sm2_csr KEYOUT CSROUT SUBJECT: an SM2 CSR signed with the GM/T user ID.
sm2_csr() {
	openssl genpkey -algorithm SM2 -out "$1" 2>/dev/null &&
		openssl req -new -key "$1" -sm3 -sigopt distid:1234567812345678 \
			-subj "$3" -out "$2"
}

# serve_start DIR [egca serve options...]: starts egca serve on a free
# port of 127.0.0.1, waits for /healthz, sets U (base URL) and
# SERVE_PID; the server is stopped with SIGTERM at exit.
SERVE_PID=""
serve_start() {
	local dir=$1 port="" _
	shift
	: >"$T/serve.err"
	# SERVE_ENV: extra environment (e.g. libfaketime); env execs, so
	# $! is egca's own pid.
	# shellcheck disable=SC2086
	env ${SERVE_ENV:-} "$EGCA" serve --dir "$dir" --listen 127.0.0.1:0 \
		--passphrase-file "$PASSFILE" --access-log "$T/access.log" \
		"$@" 2>"$T/serve.err" &
	SERVE_PID=$!
	trap 'serve_stop; cleanup' EXIT
	for _ in $(seq 1 200); do
		port=$(sed -n 's#.*listening on https\{0,1\}://127.0.0.1:\([0-9]*\).*#\1#p' "$T/serve.err")
		[ -n "$port" ] && break
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		fail "egca serve did not start"
		sed 's/^/    /' "$T/serve.err"
		return 1
	fi
	U=$(sed -n 's#.*listening on \(https\{0,1\}://127.0.0.1:[0-9]*\).*#\1#p' "$T/serve.err")
	for _ in $(seq 1 200); do
		[ "$(curl -s -k -o /dev/null -w '%{http_code}' "$U/healthz")" = 200 ] && return 0
		sleep 0.1
	done
	fail "egca serve never became ready"
	curl -s "$U/healthz"
	return 1
}

# serve_stop: SIGTERM, then the exit status of egca serve.
serve_stop() {
	local rc=0
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null || rc=$?
	SERVE_PID=""
	return $rc
}

# ---- Operators over the REST API (egca serve must be running: $U) ----
#
# Credentials live in files under $T/op/: NAME.pw (password), NAME.totp
# (base32 TOTP secret), NAME.step (last TOTP step used: a code is
# accepted once, so the next login needs a newer step), NAME.jar and
# NAME.csrf (web session), NAME.token (API token).
# TOTP_OFFSET: seconds the server's clock is ahead (libfaketime).
OPDIR=$T/op
mkdir -p "$OPDIR"
TOTP_OFFSET=${TOTP_OFFSET:-0}
# The password every helper-made operator ends up with (it must not
# contain the login name: pick names that are not in it).
OP_PASSWORD="Correct-Horse-Battery-Staple-2026!"

# jfield FILE EXPR: python3 expression over the JSON document d.
jfield() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=$2; print('' if v is None else (json.dumps(v) if isinstance(v,(list,dict,bool)) else v))" "$1" 2>/dev/null
}

# jstr VALUE: VALUE as a JSON string literal.
jstr() {
	python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"
}

# totp_code NAME: a TOTP code for NAME's secret at a step newer than
# the last one used; waits for the next 30-s step when both the current
# and the next step (the server allows one step of drift) are used up.
totp_code() {
	local name=$1 secret now step last
	secret=$(cat "$OPDIR/$name.totp")
	last=$(cat "$OPDIR/$name.step" 2>/dev/null || echo 0)
	for _ in $(seq 1 40); do
		now=$(($(date +%s) + TOTP_OFFSET))
		step=$((now / 30))
		[ "$step" -gt "$last" ] && break
		if [ $((step + 1)) -gt "$last" ]; then
			step=$((step + 1))
			break
		fi
		sleep 1
	done
	echo "$step" >"$OPDIR/$name.step"
	oathtool --totp -b "$secret" -N "@$((step * 30))"
}

# api CRED METHOD PATH [JSON]: prints the HTTP status; the body is in
# $T/body, the headers in $T/headers. CRED: "anon", "token:NAME"
# (NAME's API token), "session:NAME" (cookie jar and CSRF token),
# "cookie:NAME" (the cookie without the CSRF header), "bearer:TEXT".
# Extra curl options in API_OPTS (an array).
api() {
	local cred=$1 method=$2 path=$3 body=${4:-}
	local -a a=(-s -o "$T/body" -D "$T/headers" -w '%{http_code}' -k)
	if [ "$method" = HEAD ]; then a+=(-I); else a+=(-X "$method"); fi
	case $cred in
	anon) ;;
	token:*) a+=(-H "Authorization: Bearer $(cat "$OPDIR/${cred#token:}.token")") ;;
	bearer:*) a+=(-H "Authorization: Bearer ${cred#bearer:}") ;;
	session:*)
		a+=(-b "$OPDIR/${cred#session:}.jar" -c "$OPDIR/${cred#session:}.jar"
			-H "X-CSRF-Token: $(cat "$OPDIR/${cred#session:}.csrf")") ;;
	cookie:*) a+=(-b "$OPDIR/${cred#cookie:}.jar") ;;
	*) echo "api: bad credential $cred" >&2; return 1 ;;
	esac
	if [ -n "$body" ]; then
		a+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	curl "${a[@]}" ${API_OPTS[@]+"${API_OPTS[@]}"} "$U$path"
}

API_OPTS=()
# apio CURL-OPTION... -- CRED METHOD PATH [JSON]: api with extra curl
# options (headers, --path-as-is, client certificates).
apio() {
	local -a o=()
	local rc
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		o+=("$1")
		shift
	done
	shift
	API_OPTS=("${o[@]}")
	api "$@"
	rc=$?
	API_OPTS=()
	return $rc
}

# op_session NAME PASSWORD [TOTP_SECRET]: logs NAME in (with a TOTP code
# when a secret is given or NAME has one on file); keeps the cookie jar
# and the CSRF token. Returns 0 on 201.
op_session() {
	local name=$1 pw=$2 code="" body got
	[ $# -ge 3 ] && echo "$3" >"$OPDIR/$name.totp"
	[ -s "$OPDIR/$name.totp" ] && code=$(totp_code "$name")
	body="{\"name\":$(jstr "$name"),\"password\":$(jstr "$pw")"
	[ -n "$code" ] && body="$body,\"totp\":\"$code\""
	body="$body}"
	# A previous cookie is sent along (it is ended: no fixation).
	touch "$OPDIR/$name.jar"
	got=$(curl -s -k -o "$T/body" -D "$T/headers" -w '%{http_code}' \
		-b "$OPDIR/$name.jar" -c "$OPDIR/$name.jar" \
		-H 'Content-Type: application/json' --data-binary "$body" \
		"$U/api/v1/session")
	if [ "$got" != 201 ]; then
		echo "op_session $name: HTTP $got: $(cat "$T/body")" >&2
		return 1
	fi
	jfield "$T/body" 'd["csrf_token"]' >"$OPDIR/$name.csrf"
}

# op_first_login NAME ONE_TIME_PASSWORD [--no-totp]: first login with
# the one-time password, change it to OP_PASSWORD, enrol and
# confirm TOTP (unless --no-totp), log in again.
op_first_login() {
	local name=$1 otp=$2 totp=${3:-yes} pw got
	pw=$OP_PASSWORD
	rm -f "$OPDIR/$name.totp" "$OPDIR/$name.step"
	op_session "$name" "$otp" || return 1
	got=$(api "session:$name" POST /api/v1/me/password \
		"{\"old_password\":$(jstr "$otp"),\"new_password\":$(jstr "$pw")}")
	[ "$got" = 204 ] || { echo "op_first_login $name: password change: HTTP $got: $(cat "$T/body")" >&2; return 1; }
	echo "$pw" >"$OPDIR/$name.pw"
	if [ "$totp" != --no-totp ]; then
		got=$(api "session:$name" POST /api/v1/me/totp)
		[ "$got" = 201 ] || { echo "op_first_login $name: TOTP enrol: HTTP $got: $(cat "$T/body")" >&2; return 1; }
		jfield "$T/body" 'd["secret"]' >"$OPDIR/$name.totp"
		got=$(api "session:$name" POST /api/v1/me/totp/confirm \
			"{\"code\":\"$(totp_code "$name")\"}")
		[ "$got" = 204 ] || { echo "op_first_login $name: TOTP confirm: HTTP $got: $(cat "$T/body")" >&2; return 1; }
	fi
	op_session "$name" "$pw"
}

# op_token NAME [TTL]: an API token for NAME's session (all its roles),
# kept in NAME.token and printed.
op_token() {
	local name=$1 ttl=${2:-86400} got
	got=$(api "session:$name" POST /api/v1/tokens \
		"{\"ttl_seconds\":$ttl,\"label\":\"integration test\"}")
	[ "$got" = 201 ] || { echo "op_token $name: HTTP $got: $(cat "$T/body")" >&2; return 1; }
	jfield "$T/body" 'd["token"]' >"$OPDIR/$name.token"
	cat "$OPDIR/$name.token"
}

# op_bootstrap DIR [NAME]: the first security administrator (made by
# egca init, one-time password in its output) logs in, changes the
# password, enrols TOTP, logs in with it and gets an API token.
op_bootstrap() {
	local dir=$1 name=${2:-secadmin} otp
	otp=$(sed -n 's/^one-time password for [^ ]* ([^)]*): *//p' "$T/init.$(basename "$dir")" | head -1)
	if [ -z "$otp" ]; then
		echo "op_bootstrap: no one-time password in the egca init output" >&2
		return 1
	fi
	op_first_login "$name" "$otp" && op_token "$name" >/dev/null
}

# op_new NAME ROLES [--point P] [--department D] [--subscriber S]
#   [--no-totp]: the security administrator (op_bootstrap first) makes
# the operator over REST; it logs in, changes its password, enrols
# TOTP and gets an API token, which is printed (with --no-totp: no TOTP
# and no token, a session only).
op_new() {
	local name=$1 roles=$2 totp=yes extra="" got otp
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--point) extra="$extra,\"point\":$(jstr "$2")"; shift 2 ;;
		--department) extra="$extra,\"department\":$(jstr "$2")"; shift 2 ;;
		--subscriber) extra="$extra,\"subscriber\":$(jstr "$2")"; shift 2 ;;
		--no-totp) totp=--no-totp; shift ;;
		*) echo "op_new: unknown option $1" >&2; return 1 ;;
		esac
	done
	roles=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1].split(",")))' "$roles")
	got=$(api token:secadmin POST /api/v1/operators \
		"{\"name\":$(jstr "$name"),\"roles\":$roles$extra}")
	[ "$got" = 201 ] || { echo "op_new $name: HTTP $got: $(cat "$T/body")" >&2; return 1; }
	otp=$(jfield "$T/body" 'd["one_time_password"]')
	op_first_login "$name" "$otp" "$totp" || return 1
	# Roles able to cause issuance get no token without a second factor.
	[ "$totp" = --no-totp ] || op_token "$name"
}

# ---- Assertions and JSON for the REST tests ----

# want DESC GOT WANTED: passes when GOT equals WANTED; shows the last
# response body otherwise.
want() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$2', wanted '$3'"
		head -c 600 "$T/body" | sed 's/^/    /'
		echo
	fi
}
# jf EXPR: a python3 expression over the last response body (d).
jf() { jfield "$T/body" "$1"; }
# json KEY VALUE...: a JSON object; "@FILE" is the file's text, "#N" an
# integer, anything else a string.
json() {
	python3 - "$@" <<'PY'
import json, sys
a = sys.argv[1:]
d = {}
for k, v in zip(a[::2], a[1::2]):
    if v.startswith("@"):
        v = open(v[1:]).read()
    elif v.startswith("#"):
        v = int(v[1:])
    d[k] = v
print(json.dumps(d, ensure_ascii=False))
PY
}
