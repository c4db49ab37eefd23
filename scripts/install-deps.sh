#!/usr/bin/env bash
# Installs the Debian 12 packages egca builds, runs and tests with.
# Idempotent: installs only what is missing. Run as root (or with sudo).
set -euo pipefail

build_pkgs="build-essential cmake pkg-config libssl-dev openssl libsqlite3-dev
 sqlite3 libpq-dev libjansson-dev libmicrohttpd-dev zlib1g-dev libargon2-dev
 liboath-dev libgfshare-dev"
test_pkgs="libcmocka-dev postgresql libbcprov-java default-jdk-headless
 faketime clang libclang-rt-14-dev clang-format curl unzip python3
 oathtool"

want="$build_pkgs"
if [ "${1:-}" = "--test" ]; then
	want="$build_pkgs $test_pkgs"
fi

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# A JDK from elsewhere is fine for the BouncyCastle verifier.
if command -v javac >/dev/null 2>&1; then
	missing=$(echo "$missing" | sed 's/default-jdk-headless//')
fi
missing=$(echo $missing)
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
