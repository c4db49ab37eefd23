#!/bin/bash
# A throw-away PostgreSQL server for tests: a cluster in DIR/data that
# listens only on a unix socket in DIR, trust authentication, fsync on,
# with a database "egca".
#
#   pg.sh start DIR   start (or find running) and print the libpq URI
#   pg.sh stop DIR    stop the server (no-op when not running)
#   pg.sh status DIR  exit 0 when running
#   pg.sh uri DIR     print the URI only
#
# The URI goes to standard output alone, percent-encoded so that it
# needs no quoting:
#   postgresql://postgres@%2Ftmp%2Fegca-pg:54329/egca
# which is libpq's spelling of host=/tmp/egca-pg port=54329.
# Usage from a shell:
#   URI=$(bash tests/pg/pg.sh start /tmp/egca-pg-store)
#   EGCA_PG_URI=$URI ctest -R unit/store
#
# PostgreSQL refuses to run as root: as root the server runs as the
# "postgres" system user (runuser), so DIR and its parents must be
# traversable by that user (anything under /tmp is). Otherwise it runs
# as the invoking user. Needs the Debian "postgresql" package (any
# version under /usr/lib/postgresql/*/bin). Port: $EGCA_PG_PORT or
# 54329; it only names the socket file, so servers in different DIRs do
# not collide.
set -euo pipefail

PORT=${EGCA_PG_PORT:-54329}
DB=egca

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

pgbin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/pg_ctl" ] ||
		die "no PostgreSQL in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
	echo "$d"
}

# Runs a command as the server's user.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Percent-encodes everything but unreserved characters (RFC 3986).
urlencode() {
	local s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	echo "$out"
}

uri() {
	echo "postgresql://postgres@$(urlencode "$1"):$PORT/$DB"
}

running() {
	[ -f "$1/data/PG_VERSION" ] &&
		as_pg "$BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

start() {
	local dir=$1
	if running "$dir"; then
		uri "$dir"
		return 0
	fi
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "no postgres system user"
		mkdir -p "$dir"
		chown postgres: "$dir"
		# The socket lives here; the cluster in data/ stays 0700.
		chmod 0755 "$dir"
		runuser -u postgres -- test -x "$dir" -a -w "$dir" ||
			die "$dir is not reachable by the postgres user (a parent directory is not traversable); use a directory under /tmp"
	else
		mkdir -p "$dir"
		chmod 0755 "$dir"
	fi
	# sun_path holds 107 bytes.
	[ $((${#dir} + 16)) -lt 108 ] || die "$dir: path too long for a unix socket"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust \
			-E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
		# Written once into the cluster, so a plain pg_ctl start
		# gets the same settings.
		as_pg tee -a "$dir/data/postgresql.conf" >/dev/null <<-EOF
			# tests/pg/pg.sh
			listen_addresses = ''
			unix_socket_directories = '$dir'
			unix_socket_permissions = 0777
			port = $PORT
			fsync = on
			synchronous_commit = on
			full_page_writes = on
			max_connections = 50
			log_min_messages = warning
		EOF
	fi
	as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		start >/dev/null ||
		{ tail -n 20 "$dir/server.log" >&2; die "pg_ctl start failed"; }
	if ! as_pg "$BIN/psql" -h "$dir" -p "$PORT" -U postgres -d postgres \
		-tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" |
		grep -q 1; then
		as_pg "$BIN/createdb" -h "$dir" -p "$PORT" -U postgres "$DB" ||
			die "createdb $DB failed"
	fi
	uri "$dir"
}

stop() {
	local dir=$1
	running "$dir" || return 0
	as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

[ $# -eq 2 ] || die "usage: pg.sh start|stop|status|uri DIR"
cmd=$1
case $2 in
/*) dir=$2 ;;
*) dir=$PWD/$2 ;;
esac
dir=${dir%/}
BIN=$(pgbin)

case $cmd in
start) start "$dir" ;;
stop) stop "$dir" ;;
status) running "$dir" ;;
uri) uri "$dir" ;;
*) die "usage: pg.sh start|stop|status|uri DIR" ;;
esac
