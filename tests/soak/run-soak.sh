#!/usr/bin/env bash
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# Soak run (not part of CI): starts a test cluster of its own (testkit/qpsqlha-testcluster), runs
# qpsqlha-soak against it for DURATION seconds (mixed load on SOAK_THREADS threads with random
# faults; see tests/soak/qpsqlha-soak.cpp), and stops the cluster again, also on failure or Ctrl-C.
# Exit code: qpsqlha-soak's (0 when no acknowledged write was lost).
#
#   tests/soak/run-soak.sh [DURATION] [BUILD_DIR]      (default: 600 s, ./build)
#
# Environment (optional): SOAK_THREADS=8, SOAK_FAULT_EVERY=8 (mean seconds between faults),
# SOAK_WARMUP=20, SOAK_SEED, SOAK_STATE=/tmp/qpsqlha-soak-state (qpsqlha-testcluster state directory).
# Run it under `nice` on a shared machine: it keeps every CPU busy.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
DURATION=${1:-600}
BUILD_DIR=$(cd "${2:-$REPO/build}" && pwd)
SOAK=$BUILD_DIR/bin/qpsqlha-soak
CLUSTER=$REPO/testkit/qpsqlha-testcluster
STATE=${SOAK_STATE:-/tmp/qpsqlha-soak-state}

[[ -x "$SOAK" ]] || { echo "run-soak: $SOAK not found: build first" >&2; exit 1; }
export QT_PLUGIN_PATH=$BUILD_DIR/plugins
unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS

cleanup() { bash "$CLUSTER" stop "$STATE" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
# A cluster left over from an interrupted run goes first.
cleanup
bash "$CLUSTER" start "$STATE"

args=(--env "$STATE/cluster.env" --script "$CLUSTER" --duration "$DURATION"
      --threads "${SOAK_THREADS:-8}" --fault-every "${SOAK_FAULT_EVERY:-8}"
      --warmup "${SOAK_WARMUP:-20}")
[[ -n "${SOAK_SEED:-}" ]] && args+=(--seed "$SOAK_SEED")
# libpq prints server notices ("terminating connection due to administrator command") to
# stderr by the thousand under faults: they go to a log of their own.
log=$(mktemp /tmp/qpsqlha-soak-stderr.XXXXXX)
status=0
"$SOAK" "${args[@]}" 2>"$log" || status=$?
echo "run-soak: $(wc -l <"$log") lines of libpq notices and other stderr output in $log"
exit $status
