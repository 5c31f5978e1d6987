#!/usr/bin/env bash
# qpsqlha-testcluster's options on a cluster of its own: --replicas 0 (primary only) on a port
# given with --port, what `status` and `env` print for it, and the usage errors.
# Usage: check-testcluster.sh PATH_OF_QPSQLHA_TESTCLUSTER
set -euo pipefail
script=$1
work=$(mktemp -d /tmp/qpsqlha-kitcheck.XXXXXX)
trap 'bash "$script" stop "$work/state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
fail() { echo "check-testcluster: $*" >&2; exit 1; }

expect_failure() {
    local rc=0
    bash "$script" "$@" >/dev/null 2>&1 || rc=$?
    ((rc != 0)) || fail "'qpsqlha-testcluster $*' succeeded, expected it to fail"
}
expect_failure start "$work/x" --replicas many
expect_failure start "$work/x" --replicas 17
expect_failure start "$work/x" --port 80
expect_failure stop "$work/x" --replicas 1
expect_failure start
expect_failure env "$work/nothing-here"

# A port nobody uses right now, from the kernel.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash "$script" start "$work/state" --replicas 0 --port "$port"
status=$(bash "$script" status "$work/state")
[ "$status" = "primary $port running" ] || fail "status: '$status'"
env=$(bash "$script" env "$work/state")
echo "$env" | grep -v PASSWORD
grep -qx "export QPSQLHA_TEST_PORT='$port'" <<<"$env" || fail "env: no QPSQLHA_TEST_PORT=$port"
grep -qx "export QPSQLHA_TEST_READERS=''" <<<"$env" || fail "env: readers not empty"
grep -qx "export QPSQLHA_TEST_OPTIONS='QPSQLHA_READERS='" <<<"$env" || fail "env: options"
# What it prints is shell: evaluated, it sets the variables, and they reach the server.
(
    eval "$env"
    PGPASSWORD=$QPSQLHA_TEST_PASSWORD psql -X -At -h "$QPSQLHA_TEST_HOST" -p "$QPSQLHA_TEST_PORT" \
        -U "$QPSQLHA_TEST_USER" -d "$QPSQLHA_TEST_DATABASE" -c 'SELECT 42'
) | grep -qx 42 || fail "could not query the cluster with the env settings"
expect_failure stop-node "$work/state" reader1
bash "$script" stop "$work/state"
expect_failure status "$work/state"
echo "check-testcluster: passed"
