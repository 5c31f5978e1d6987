#!/usr/bin/env bash
# Runs every example against the test cluster, as its README paragraph says to run it: the
# settings from `qpsqlha-testcluster env`, the plugin from the build tree.
# Usage: run-examples.sh BUILD_DIR CLUSTER_STATE_DIR
set -euo pipefail
build=$1
state=$2
fail() { echo "run-examples: $*" >&2; exit 1; }
eval "$(bash "$build/bin/qpsqlha-testcluster" env "$state")"
export QT_PLUGIN_PATH=$build/plugins QT_QPA_PLATFORM=offscreen

echo "--- qpsqlha-demo (3 s)"
PGPASSWORD=$QPSQLHA_TEST_PASSWORD "$build/bin/qpsqlha-demo" --host "$QPSQLHA_TEST_HOST" \
    --port "$QPSQLHA_TEST_PORT" --readers "$QPSQLHA_TEST_READERS" \
    --database "$QPSQLHA_TEST_DATABASE" --user "$QPSQLHA_TEST_USER" --seconds 3 | tail -n 5 ||
    fail "qpsqlha-demo failed"

echo "--- qpsqlha-example-threads"
out=$("$build/bin/qpsqlha-example-threads" 4 100) || { echo "$out"; fail "threads example failed"; }
echo "$out"
grep -q '^4 threads x 100 statements, 0 failed$' <<<"$out" || fail "threads: unexpected summary"
# Reads reached the readers: some reader line has a non-zero count.
grep -E ' reader +[1-9][0-9]* statements$' <<<"$out" >/dev/null || fail "threads: no reader served"

if [ -x "$build/bin/qpsqlha-example-tablemodel" ]; then
    echo "--- qpsqlha-example-tablemodel --selftest"
    "$build/bin/qpsqlha-example-tablemodel" --selftest || fail "tablemodel selftest failed"
fi
