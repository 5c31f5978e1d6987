#!/usr/bin/env bash
# Builds QPSQLHA and runs the whole test suite: unit tests and integration tests against a
# primary and two streaming replicas that the tests start on free loopback ports.
# Usage: scripts/run-tests.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}

bash "$root/scripts/install-deps.sh"
# QPSQLHA_WERROR=ON (set by .ci/run): a compiler warning fails the build.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQPSQLHA_WERROR="${QPSQLHA_WERROR:-OFF}"
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure --timeout 600 -j 2
