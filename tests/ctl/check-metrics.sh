#!/usr/bin/env bash
# `qpsqlha-ctl metrics` end to end: the demo runs against the test cluster with the control
# channel on; its metrics, in both formats, go through check_metrics.py (a strict parser).
# XDG_RUNTIME_DIR is a directory of this test, so no other process's socket is seen.
# Usage: check-metrics.sh BUILD_DIR CLUSTER_STATE_DIR
set -euo pipefail
build=$1
state=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/qpsqlha-metrics.XXXXXX)
demo=""
trap '[ -n "$demo" ] && kill "$demo" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "check-metrics: $*" >&2; exit 1; }
export XDG_RUNTIME_DIR=$work
ctl=$build/bin/qpsqlha-ctl

# Usage errors: exit status 2.
for bad in "metrics --json" "metrics --format xml" "list --format prometheus" "metrics extra"; do
    rc=0
    # shellcheck disable=SC2086 # word splitting wanted
    "$ctl" $bad >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "'qpsqlha-ctl $bad' exited $rc, expected 2"
done
# No process: an empty but valid exposition.
"$ctl" metrics >"$work/empty.txt" 2>/dev/null
[ "$(tail -n 1 "$work/empty.txt")" = "# EOF" ] || fail "no '# EOF' without processes"

eval "$(bash "$build/bin/qpsqlha-testcluster" env "$state")"
QPSQLHA_CONTROL=1 PGPASSWORD=$QPSQLHA_TEST_PASSWORD QT_PLUGIN_PATH=$build/plugins \
    "$build/bin/qpsqlha-demo" --host "$QPSQLHA_TEST_HOST" --port "$QPSQLHA_TEST_PORT" \
    --readers "$QPSQLHA_TEST_READERS" --database "$QPSQLHA_TEST_DATABASE" \
    --user "$QPSQLHA_TEST_USER" --threads 2 --seconds 60 >/dev/null &
demo=$!
nodes=$(($(tr -cd ',' <<<"$QPSQLHA_TEST_READERS" | wc -c) + 2))

# Until the demo serves and its readers' lag has been measured. (Response times are measured
# only under QPSQLHA_POLICY=fastest, which the demo does not use: that family has no samples.)
for ((i = 0; i < 150; i++)); do
    if "$ctl" metrics --pid "$demo" >"$work/om.txt" 2>"$work/ctl.err" &&
        grep -q '^qpsqlha_node_replication_lag_bytes' "$work/om.txt"; then
        break
    fi
    sleep 0.2
done
cat "$work/ctl.err" >&2
/usr/bin/python3 "$here/check_metrics.py" openmetrics "$demo" "$nodes" <"$work/om.txt"
"$ctl" metrics --pid "$demo" --format prometheus >"$work/prom.txt"
! grep -q '^# EOF' "$work/prom.txt" || fail "'# EOF' in the Prometheus text format"
/usr/bin/python3 "$here/check_metrics.py" prometheus "$demo" "$nodes" <"$work/prom.txt"
grep '_queries_total' "$work/om.txt"
