#!/usr/bin/env bash
# Configures and builds egca into build/ (Release-ish, hardened, -Werror).
# Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${1:-build}
shift || true
cmake -S . -B "$bdir" -DEGCA_WERROR=ON "$@" >/dev/null
cmake --build "$bdir" -j"$(nproc)"
