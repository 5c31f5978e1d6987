#!/usr/bin/env bash
# Builds QPSQLHA with AddressSanitizer + UndefinedBehaviorSanitizer and runs the unit and
# integration tests under them (any report fails the test). The monitor is left out (Qt Widgets'
# own allocations are not ours to judge), and so are install_consumer and install_testkit, which
# build uninstrumented applications against the instrumented library, and the examples and the
# test-cluster script's own test (scripts, run by the main build).
# Usage: scripts/run-sanitized-tests.sh [BUILD_DIR]   (default: build-asan)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-asan}

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQPSQLHA_SANITIZE=ON \
    -DQPSQLHA_BUILD_MONITOR=OFF
cmake --build "$build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0 \
    ctest --test-dir "$build" --output-on-failure --timeout 600 -j 2 -E '^(install_consumer|install_testkit|examples|testcluster_script)$'
