#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
# cmocka unit tests, fuzz corpus replays and integration tests (the real
# egca binary against the openssl CLI and BouncyCastle), on SQLite and on
# a PostgreSQL server started in a temporary directory. Tests run on an
# ASan+UBSan build with -Werror; the hardened release build is compiled
# too, and the C sources must be clang-format clean.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh --test

echo "== format check"
bad=$(find src include tests bench -name '*.[ch]' -print0 |
	xargs -0 -r clang-format --dry-run 2>&1 | grep -c 'warning:' || true)
if [ "$bad" != "0" ]; then
	find src include tests bench -name '*.[ch]' -print0 |
		xargs -0 -r clang-format --dry-run 2>&1 | grep 'warning:' | head -20
	echo "clang-format: $bad places differ (run clang-format -i)"
	exit 1
fi

echo "== release build (-Werror, hardening flags)"
scripts/build.sh build

echo "== ASan+UBSan build (-Werror)"
scripts/build.sh build-asan -DEGCA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

echo "== PostgreSQL in a temporary directory"
pgdir=$(mktemp -d /tmp/egca-pg.XXXXXX)
cleanup() { bash "$root/tests/pg/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap cleanup EXIT
EGCA_PG_URI=$(bash tests/pg/pg.sh start "$pgdir")
export EGCA_PG_URI EGCA_PG_DIR=$pgdir
echo "postgres at $EGCA_PG_URI"

echo "== tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j2 --timeout 900
