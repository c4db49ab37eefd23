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

# init_ca DIR [egca init options...]
init_ca() {
	local dir=$1
	shift
	"$EGCA" init --dir "$dir" --store "$(store_uri)" \
		--passphrase-file "$PASSFILE" "$@"
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
