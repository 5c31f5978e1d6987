#!/usr/bin/env bash
# The QPSQLHA demo: builds everything, starts a local primary with two streaming replicas,
# and runs qpsqlha-demo (4 threads reading and writing through QPSQLHA). Halfway through it
# kills one reader and later restarts it: watch the reads move off it and back, with no failed
# read. The demo serves its node state on the control channel: with a display, the monitor
# (qpsqlha-monitor) opens beside it; from another terminal, `build/bin/qpsqlha-ctl list` shows
# the same, and `build/bin/qpsqlha-ctl offline demo HOST:PORT` takes a node out by hand.
# Everything is stopped on exit.
# Usage: scripts/demo.sh [SECONDS]   (default 30)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
seconds=${1:-30}

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target qsqlpsqlha qpsqlha-demo qpsqlha-ctl qpsqlha-monitor

state=$build/demo-cluster
cluster=$root/testkit/qpsqlha-testcluster
bash "$cluster" start "$state"
# Only the pids that were started: `kill 0` would signal this script's whole process group.
cleanup() {
    local pid
    for pid in ${killer:-} ${monitor:-}; do kill "$pid" 2>/dev/null || true; done
    bash "$cluster" stop "$state"
}
trap cleanup EXIT
# shellcheck source=/dev/null
. "$state/cluster.env"

# The failure script: a reader dies at 1/3 of the run and comes back at 2/3.
(
    sleep $((seconds / 3))
    echo ">>> demo: killing reader1 (port $PGHA_READER1_PORT)"
    bash "$cluster" stop-node "$state" reader1 immediate
    sleep $((seconds / 3))
    echo ">>> demo: restarting reader1"
    bash "$cluster" start-node "$state" reader1
) &
killer=$!

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    "$build/bin/qpsqlha-monitor" &
    monitor=$!
fi

QPSQLHA_CONTROL=1 PGPASSWORD=$PGHA_PASSWORD QT_PLUGIN_PATH=$build/plugins "$build/bin/qpsqlha-demo" \
    --host "$PGHA_HOST" --port "$PGHA_PRIMARY_PORT" \
    --readers "$PGHA_HOST:$PGHA_READER1_PORT,$PGHA_HOST:$PGHA_READER2_PORT" \
    --database "$PGHA_DATABASE" --user "$PGHA_USER" --seconds "$seconds"
