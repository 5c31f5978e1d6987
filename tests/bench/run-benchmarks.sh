#!/usr/bin/env bash
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# QPSQLHA against plain QPSQL and pgpool-II, side by side, on one machine:
#
#   tests/bench/run-benchmarks.sh [BUILD_DIR]
#
# Starts the test cluster (primary + 2 streaming replicas, testkit/qpsqlha-testcluster), fills it
# with `pgbench -i -s 10`, starts pgpool-II in streaming-replication mode with load balancing over
# the same three nodes, runs every case with bench_ha (built in BUILD_DIR, default ./build; use a
# Release or RelWithDebInfo build) for each target, interleaved (A B C ... A B C ...), and stops
# everything again, also on failure or Ctrl-C. Then it prints a table of medians and ratios and
# writes, into BENCH_OUT_DIR (default docs/ of the checkout):
#   benchmark-results.json   machine-readable medians, ratios, target checks and raw runs
#   benchmark-chart.png      chart made from that JSON (gnuplot)
#
# Environment (all optional):
#   BENCH_ROUNDS=7        rounds per case (medians are over these)
#   BENCH_DURATION=4      measured seconds per run of the throughput cases (after 1 s warm-up)
#   BENCH_STATE=/tmp/qpsqlha-bench-state   qpsqlha-testcluster state directory
#   BENCH_OUT_DIR=<repo>/docs
#   BENCH_PIN_READERS=1   give each replica its own half of the CPUs (taskset), as if each ran
#                         on its own machine; the primary, the clients and pgpool use every CPU.
#                         0: every process shares every CPU.
#
# Missing Debian packages (pgpool2, gnuplot-nox, valgrind) are installed with apt-get, through
# sudo when not root. Not part of ctest: a benchmark, and CI never depends on its timings.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
BUILD_DIR=$(cd "${1:-$REPO/build}" && pwd)
BENCH=$BUILD_DIR/bin/bench_ha
CLUSTER="$REPO/testkit/qpsqlha-testcluster"
STATE=${BENCH_STATE:-/tmp/qpsqlha-bench-state}
OUT_DIR=${BENCH_OUT_DIR:-$REPO/docs}
ROUNDS=${BENCH_ROUNDS:-7}
PIN_READERS=${BENCH_PIN_READERS:-1}
DURATION=${BENCH_DURATION:-4}
WARMUP=1
THREADS=8
# Failover runs: reader1 is killed at KILL_AT s and started again at RESTART_AT s of RUN s.
KILL_AT=3
RESTART_AT=7
FAILOVER_RUN=12

BENCH_NAME=run-benchmarks
# shellcheck source=lib-bench.sh
source "$SCRIPT_DIR/lib-bench.sh"

note "starting pgpool-II"
start_pgpool
note "pgpool-II on port $PGPOOL_PORT"

# --- runs --------------------------------------------------------------------------------------

RAW=$WORK/raw.jsonl
: >"$RAW"

# One run: CASE TARGET ROUND MODE [bench_ha options]; appends {"case","target","round","figures"}.
run() {
    local case_name=$1 target=$2 round=$3 mode=$4 figures
    shift 4
    # In the background and waited for, so that Ctrl-C or a TERM reaches the cleanup at once;
    # QPSQL's warnings about connections that died under it go to a log, not the screen.
    "$BENCH" "$mode" --env "$ENV_FILE" --target "$target" --pgpool-port "$PGPOOL_PORT" "$@" \
        >"$WORK/figures.json" 2>>"$WORK/bench_ha.log" &
    BENCH_PID=$!
    wait "$BENCH_PID" || {
        BENCH_PID=""
        tail -n 20 "$WORK/bench_ha.log" >&2
        die "bench_ha $mode --target $target failed ($case_name, round $round)"
    }
    BENCH_PID=""
    figures=$(cat "$WORK/figures.json")
    printf '{"case":"%s","target":"%s","round":%d,"figures":%s}\n' "$case_name" "$target" \
        "$round" "$figures" >>"$RAW"
    printf '  %-13s %-7s round %d: %s\n' "$case_name" "$target" "$round" \
        "$(cut -c1-110 <<<"$figures")" >&2
}

# `split` is a control, not a contender: plain QPSQL to both readers with the client picking one
# at random per read. It shows what spreading reads over two servers costs on this machine.
READ_TARGETS=(direct ha pgpool split)
LOAD=(--warmup "$WARMUP" --duration "$DURATION")

note "case 1: one thread, prepared point reads"
for ((r = 1; r <= ROUNDS; r++)); do
    for t in "${READ_TARGETS[@]}"; do run read1 "$t" "$r" read --threads 1 "${LOAD[@]}"; done
done

note "case 2: $THREADS threads, prepared point reads"
for ((r = 1; r <= ROUNDS; r++)); do
    for t in "${READ_TARGETS[@]}"; do run read8 "$t" "$r" read --threads "$THREADS" "${LOAD[@]}"; done
done

note "case 2b: $THREADS threads, point reads as plain statements (no prepare)"
for ((r = 1; r <= ROUNDS; r++)); do
    for t in "${READ_TARGETS[@]}"; do
        run read8_simple "$t" "$r" read --threads "$THREADS" --simple "${LOAD[@]}"
    done
done

note "case 3: $THREADS threads, 90 % reads / 10 % updates"
for ((r = 1; r <= ROUNDS; r++)); do
    for t in "${READ_TARGETS[@]}"; do
        run mixed "$t" "$r" read --threads "$THREADS" --write-percent 10 "${LOAD[@]}"
    done
    # The updates leave the replicas a little behind: every round starts caught up.
    wait_for_replicas
done

note "case 4: failover, reader1 killed at ${KILL_AT}s and restarted at ${RESTART_AT}s"
# pgpool-II runs only during its own failover runs: its reaction to the kill (detaching the node,
# restarting its children) would otherwise take CPU from the other targets' clients, and each of
# its runs starts from a fresh pgpool with all nodes attached.
stop_pgpool
for ((r = 1; r <= ROUNDS; r++)); do
    for t in direct ha pgpool; do
        if [[ "$t" == pgpool ]]; then start_pgpool; fi
        run failover "$t" "$r" failover --threads "$THREADS" --duration "$FAILOVER_RUN" \
            --kill-at "$KILL_AT" --restart-at "$RESTART_AT" --cluster-script "$CLUSTER" \
            --state "$STATE"
        if [[ "$t" == pgpool ]]; then stop_pgpool; fi
        wait_for_replicas
    done
done
start_pgpool

note "case 5: statement classification"
for ((r = 1; r <= ROUNDS; r++)); do
    run classify ha "$r" classify --duration 1
done

note "case 6: resident memory of a process with $THREADS open connections"
for ((r = 1; r <= ROUNDS; r++)); do
    for t in direct ha pgpool; do run memory "$t" "$r" memory --connections "$THREADS"; done
done

# Instructions per statement on the client (callgrind counts them exactly: no noise), for the
# prepared point read and the same read as a plain statement.
note "callgrind: client instructions per statement"
for kind in prepared simple; do
    for t in direct ha; do
        out=$WORK/callgrind-$t-$kind.out
        valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
            "$BENCH" profile --env "$ENV_FILE" --target "$t" --kind "$kind" --statements 2000 \
            >/dev/null 2>"$WORK/valgrind.log" || {
            cat "$WORK/valgrind.log" >&2
            die "callgrind run failed"
        }
        total=$(sed -n 's/^totals: *//p' "$out" | head -n 1)
        printf '{"case":"callgrind_%s","target":"%s","round":1,"figures":{"instructions":%s}}\n' \
            "$kind" "$t" "$((total / 2000))" >>"$RAW"
        note "  $kind $t: $((total / 2000)) instructions per statement"
    done
done

# --- report ------------------------------------------------------------------------------------

# The machine and versions, for the report.
cat >"$WORK/machine.json" <<EOF
{
  "cpu": "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)",
  "cores": $(nproc),
  "memory_gb": $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo),
  "kernel": "$(uname -r)",
  "os": "$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)",
  "postgresql": "$("$PGHA_BINDIR/postgres" --version | awk '{print $3}')",
  "pgpool": "$("$PGPOOL" --version 2>&1 | awk '{print $3}')",
  "qt": "$(dpkg-query -W -f='${Version}' libqt6sql6 2>/dev/null || echo unknown)",
  "rounds": $ROUNDS,
  "duration_s": $DURATION,
  "warmup_s": $WARMUP,
  "threads": $THREADS,
  "readers_pinned": "${PGHA_CPUS_READER1:-no}/${PGHA_CPUS_READER2:-no}",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF

mkdir -p "$OUT_DIR"
"$PYTHON" "$SCRIPT_DIR/summarize.py" "$RAW" "$WORK/machine.json" "$OUT_DIR/benchmark-results.json"
# The chart is drawn from the JSON just written.
"$PYTHON" "$SCRIPT_DIR/summarize.py" --chart-data "$OUT_DIR/benchmark-results.json" "$WORK/chart.dat"
gnuplot -e "datafile='$WORK/chart.dat'; outfile='$OUT_DIR/benchmark-chart.png'" \
    "$SCRIPT_DIR/plot.gp"
note "wrote $OUT_DIR/benchmark-results.json and $OUT_DIR/benchmark-chart.png"
