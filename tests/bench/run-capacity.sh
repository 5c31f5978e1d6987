#!/usr/bin/env bash
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# Read capacity per node's CPU, client instructions per read and the 1-thread rate, end to end,
# in 4-5 minutes (6-7 with every case supported by the build):
#
#   tests/bench/run-capacity.sh [BUILD_DIR]
#
# On loopback every server shares the machine's cores, so "QPSQLHA vs direct" throughput mostly
# measures core contention. This script measures what each node's CPU pays instead, as the kernel
# counts it: each PostgreSQL node (its postmaster and so every process it forks) is put in a cgroup
# of its own (cgroup v1 cpuacct, else cgroup v2 cpu.stat). For each case, 8 client threads run
# prepared point reads on pgbench data (bench_ha read); bench_ha samples every node's cgroup CPU
# time at the instants that bound the statements it counts. Then
#
#   capacity = statements / CPU seconds of the busiest node
#
# the rate the cluster would reach if each node were a one-CPU machine of its own and the load were
# split as it was split here. Each case is reported as the ratio to QPSQL direct to the primary in
# the same round, the median over the rounds (every round is printed). The statements each node
# served (pg_stat_database.xact_commit, before and after the run, once the run's server processes
# have exited and so flushed their statistics) show how the load was split.
#
# Also: client instructions per prepared read on one connection (callgrind, the difference between
# a run of N and one of 2N statements, so that start-up cancels; main thread only, so that the
# health checker's probes, which run on a timer and not per statement, are left out), and the
# 1-thread loopback rate QPSQLHA/QPSQL. It prints a summary with PASS/FAIL lines, and writes
# BENCH_OUT_DIR/capacity-results.json and capacity-chart.png.
#
# Where no cgroup is writable (not root, read-only cgroupfs), the capacity cases are skipped and
# say so; nothing is estimated in their place.
#
# Environment (all optional):
#   CAPACITY_ROUNDS=3      rounds (cases interleaved within each round)
#   CAPACITY_DURATION=4    measured seconds per capacity run (after 1 s warm-up)
#   CAPACITY_CASES         the case list instead of the default one (below), "NAME|TARGET|QPSQLHA
#                          options" separated by spaces, options separated by ';'; TARGET is
#                          direct, ha or pgpool; the first case must be "direct|direct|"
#   CAPACITY_EXTRA_CASES   cases added to the list, same form; default: burst lengths 4, 8 and 16
#                          (QPSQLHA_READER_BURST). "" for none.
#   CAPACITY_CALLGRIND_STATEMENTS=2000   N of the callgrind runs (N and 2N); 0 skips them
#   CAPACITY_RATE_ROUNDS=5 rounds of the 1-thread rate (3 s each, direct and QPSQLHA interleaved);
#                          0 skips them
#   BENCH_STATE=/tmp/qpsqlha-capacity-state   qpsqlha-testcluster state directory
#   BENCH_OUT_DIR=<repo>/docs
#   BENCH_PIN_READERS=1    each replica on its own half of the CPUs (as run-benchmarks.sh)
#
# Cases whose option this build of the driver rejects (open() fails naming the option) are
# reported as "skipped: option not supported by this build", so the script runs on builds from
# before and after an option lands. Not part of ctest: a benchmark.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
BUILD_DIR=$(cd "${1:-$REPO/build}" && pwd)
BENCH=$BUILD_DIR/bin/bench_ha
CLUSTER="$REPO/testkit/qpsqlha-testcluster"
STATE=${BENCH_STATE:-/tmp/qpsqlha-capacity-state}
OUT_DIR=${BENCH_OUT_DIR:-$REPO/docs}
ROUNDS=${CAPACITY_ROUNDS:-3}
DURATION=${CAPACITY_DURATION:-4}
RATE_ROUNDS=${CAPACITY_RATE_ROUNDS:-5}
CALLGRIND_N=${CAPACITY_CALLGRIND_STATEMENTS:-2000}
PIN_READERS=${BENCH_PIN_READERS:-1}
WARMUP=1
THREADS=8
NODES=(primary reader1 reader2)

# NAME|TARGET|QPSQLHA options. direct must stay first: every ratio is to it. Targets: direct
# (QPSQL to the primary), ha (QPSQLHA, primary + both readers), pgpool (QPSQL through pgpool-II).
DEFAULT_CASES=(
    "direct|direct|"
    "defaults|ha|"
    "connection|ha|QPSQLHA_READER_AFFINITY=connection"
    "statement|ha|QPSQLHA_READER_AFFINITY=statement"
    "burst|ha|QPSQLHA_READER_AFFINITY=burst"
    "primary_reads|ha|QPSQLHA_PRIMARY_READS=1"
    "pgpool|pgpool|"
)
DEFAULT_EXTRA="burst4|ha|QPSQLHA_READER_AFFINITY=burst;QPSQLHA_READER_BURST=4"
DEFAULT_EXTRA+=" burst8|ha|QPSQLHA_READER_AFFINITY=burst;QPSQLHA_READER_BURST=8"
DEFAULT_EXTRA+=" burst16|ha|QPSQLHA_READER_AFFINITY=burst;QPSQLHA_READER_BURST=16"
if [[ -n "${CAPACITY_CASES:-}" ]]; then
    read -r -a CASES <<<"$CAPACITY_CASES"
else
    CASES=("${DEFAULT_CASES[@]}")
fi
read -r -a EXTRA <<<"${CAPACITY_EXTRA_CASES-$DEFAULT_EXTRA}"
CASES+=("${EXTRA[@]}")
[[ "${CASES[0]}" == direct\|direct\|* ]] || { echo "run-capacity: the first case must be direct|direct|" >&2; exit 2; }

# pgpool-II closes its backend connections when the client leaves (no connection cache), so that
# those server processes exit, flush their statistics and the per-node counts are complete. The
# statement path through pgpool-II is the same either way.
PGPOOL_EXTRA_CONFIG="connection_cache = off"

# The cgroups are removed once the servers are stopped (the lib's cleanup calls this).
CGROUP_BASE=""
bench_extra_cleanup() {
    [[ -n "$CGROUP_BASE" && -d "$CGROUP_BASE" ]] || return 0
    local node pid
    for node in "${NODES[@]}"; do
        [[ -d "$CGROUP_BASE/$node" ]] || continue
        # Anything still inside (a server that outlived the stop) goes back to the parent.
        while read -r pid; do
            if [[ -n "$pid" ]]; then echo "$pid" >"$CGROUP_BASE/../cgroup.procs" 2>/dev/null || true; fi
        done <"$CGROUP_BASE/$node/cgroup.procs"
        rmdir "$CGROUP_BASE/$node" 2>/dev/null || true
    done
    rmdir "$CGROUP_BASE" 2>/dev/null || true
}

# The primary uses every CPU unless BENCH_PIN_PRIMARY=1 (then it shares reader1's half). Pinned, it
# shares one core with the clients and costs more CPU per statement (145 against 66-92 us in a
# trial on this machine), which would flatter every ratio to QPSQL direct: floating is the
# conservative choice.
if [[ "${BENCH_PIN_PRIMARY:-0}" == 1 && "$PIN_READERS" == 1 && $(nproc) -ge 2 ]]; then
    export PGHA_CPUS_PRIMARY="0-$(($(nproc) / 2 - 1))"
fi

BENCH_NAME=run-capacity
# shellcheck source=lib-bench.sh
source "$SCRIPT_DIR/lib-bench.sh"

# pgpool-II runs only during its own runs (started fresh each time, as in run-benchmarks.sh's
# failover case): its health and streaming checks open a server connection every second on every
# node, CPU that would otherwise be charged to the nodes in every other case.
PGPOOL_PORT=0

# --- one cgroup per node -----------------------------------------------------------------------

CAPACITY_SKIPPED=""
CPU_FILE=""
cgroup_v2_mount() {
    awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts
}

make_cgroups() {
    local v1=/sys/fs/cgroup/cpuacct v2
    if [[ -f "$v1/cpuacct.usage" ]] && mkdir "$v1/qpsqlha-capacity-$$" 2>/dev/null; then
        CGROUP_BASE=$v1/qpsqlha-capacity-$$
        CPU_FILE=cpuacct.usage
        return 0
    fi
    v2=$(cgroup_v2_mount)
    if [[ -n "$v2" ]] && mkdir "$v2/qpsqlha-capacity-$$" 2>/dev/null; then
        CGROUP_BASE=$v2/qpsqlha-capacity-$$
        CPU_FILE=cpu.stat
        return 0
    fi
    CAPACITY_SKIPPED="no writable cgroup (cgroup v1 $v1 or cgroup v2 ${v2:-not mounted}; run as root)"
    return 1
}

# The postmaster first (what it forks from now on is born inside), then what it forked already.
# Each node's processes are then checked to be inside, none missing.
move_node_into_cgroup() {
    local node=$1 dir=$CGROUP_BASE/$1 pid child
    pid=$(head -n 1 "$PGHA_BASEDIR/$node/postmaster.pid")
    [[ "$pid" =~ ^[0-9]+$ ]] || die "$node: no postmaster pid"
    mkdir "$dir"
    echo "$pid" >"$dir/cgroup.procs"
    for child in $(pgrep -P "$pid"); do
        echo "$child" >"$dir/cgroup.procs" 2>/dev/null || true # a child may have exited
    done
    for child in "$pid" $(pgrep -P "$pid"); do
        grep -qx "$child" "$dir/cgroup.procs" || die "$node: process $child is not in $dir"
    done
}

if make_cgroups; then
    for node in "${NODES[@]}"; do move_node_into_cgroup "$node"; done
    note "each node in its own cgroup under $CGROUP_BASE ($CPU_FILE)"
else
    note "capacity skipped: $CAPACITY_SKIPPED"
fi

node_port() {
    case $1 in
    primary) echo "$PGHA_PRIMARY_PORT" ;;
    reader1) echo "$PGHA_READER1_PORT" ;;
    reader2) echo "$PGHA_READER2_PORT" ;;
    esac
}

# {"primary":N,...}: transactions committed on each node so far (each read is one).
node_commits() {
    local node sep="" out="{"
    for node in "${NODES[@]}"; do
        out+="$sep\"$node\":$(psql_node "$(node_port "$node")" -c \
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")"
        sep=","
    done
    echo "$out}"
}

# A server process flushes its statistics when it exits: wait until no process that ran the
# benchmark's statements is left on any node (they exit right after their client disconnects).
wait_for_run_backends_to_exit() {
    local deadline=$((SECONDS + 15)) node left
    while ((SECONDS < deadline)); do
        left=0
        for node in "${NODES[@]}"; do
            left=$((left + $(psql_node "$(node_port "$node")" -c "SELECT count(*) FROM
                pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%pgbench_accounts%'")))
        done
        ((left == 0)) && return 0
        sleep 0.1
    done
    note "warning: server processes of the last run still there after 15 s; counts may be short"
}

# --- runs --------------------------------------------------------------------------------------

RAW=$WORK/raw.jsonl
: >"$RAW"
BENCH_PID=""

# bench_ha in the background, waited for (Ctrl-C reaches the cleanup at once); its JSON on stdout.
bench() {
    "$BENCH" "$@" --env "$ENV_FILE" --pgpool-port "$PGPOOL_PORT" >"$WORK/figures.json" \
        2>>"$WORK/bench_ha.log" &
    BENCH_PID=$!
    wait "$BENCH_PID" || {
        BENCH_PID=""
        tail -n 20 "$WORK/bench_ha.log" >&2
        die "bench_ha $* failed"
    }
    BENCH_PID=""
    cat "$WORK/figures.json"
}

# The machine's load average goes with every run: this VM is shared, and a busy neighbour makes
# every server's CPU per statement higher (caches).
record() { # KIND CASE TARGET ROUND OPTIONS FIGURES [EXTRA JSON FIELDS]
    printf '{"kind":"%s","case":"%s","target":"%s","round":%d,"options":"%s","loadavg":%s,"figures":%s%s}\n' \
        "$1" "$2" "$3" "$4" "$5" "$(cut -d' ' -f1 /proc/loadavg)" "$6" "${7:-}" >>"$RAW"
}

capacity_run() { # CASE TARGET OPTIONS ROUND
    local name=$1 target=$2 options=$3 round=$4 figures before after node
    local args=(read --target "$target" --threads "$THREADS" --warmup "$WARMUP"
        --duration "$DURATION")
    [[ -n "$options" ]] && args+=(--ha-options "$options")
    for node in "${NODES[@]}"; do args+=(--cpuacct "$node=$CGROUP_BASE/$node/$CPU_FILE"); done
    if [[ "$target" == pgpool ]]; then start_pgpool; fi
    before=$(node_commits)
    figures=$(bench "${args[@]}")
    if [[ "$figures" == *'"skipped"'* ]]; then
        record capacity "$name" "$target" "$round" "$options" "$figures"
        note "  $name round $round: skipped ($(sed -n 's/.*"skipped":"\([^"]*\)".*/\1/p' <<<"$figures"))"
        return 0
    fi
    wait_for_run_backends_to_exit
    after=$(node_commits)
    if [[ "$target" == pgpool ]]; then stop_pgpool; fi
    record capacity "$name" "$target" "$round" "$options" "$figures" \
        ",\"commits_before\":$before,\"commits_after\":$after"
    "$PYTHON" "$SCRIPT_DIR/capacity.py" --line "$(tail -n 1 "$RAW")" >&2
}

if [[ -z "$CAPACITY_SKIPPED" ]]; then
    # Not recorded: the first reads after pgbench -i find cold caches and unset hint bits on every
    # node (in trials the first round's direct run cost up to 40 % more CPU per statement).
    note "warm-up: direct and QPSQLHA, 3 s each, not counted"
    bench read --target direct --threads "$THREADS" --warmup 0 --duration 3 >/dev/null
    bench read --target ha --threads "$THREADS" --warmup 0 --duration 3 >/dev/null
    note "capacity: $THREADS threads of prepared point reads, ${DURATION} s per run, $ROUNDS rounds"
    for ((r = 1; r <= ROUNDS; r++)); do
        for entry in "${CASES[@]}"; do
            IFS='|' read -r name target options <<<"$entry"
            capacity_run "$name" "$target" "$options" "$r"
        done
    done
fi

note "1-thread loopback rate, prepared point reads, $RATE_ROUNDS rounds of 3 s"
for ((r = 1; r <= RATE_ROUNDS; r++)); do
    for t in direct ha; do
        figures=$(bench read --target "$t" --threads 1 --warmup 1 --duration 3)
        record rate1 "read1" "$t" "$r" "" "$figures"
        note "  $t round $r: $(sed -n 's/.*"rate":\([0-9]*\).*/\1/p' <<<"$figures") reads/s"
    done
done

# Instructions on the client: N and 2N statements after 200 of warm-up, only the loop
# instrumented, one output per thread; the difference divided by N is one statement.
note "callgrind: client instructions per prepared read (N = $CALLGRIND_N and 2N)"
callgrind_totals() { # TARGET N [KIND] -> "MAIN_THREAD ALL_THREADS"
    local target=$1 n=$2 kind=${3:-prepared} out=$WORK/callgrind-$1-$2-${3:-prepared}.out main all
    rm -f "$out"*
    valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
        --callgrind-out-file="$out" "$BENCH" profile --env "$ENV_FILE" --target "$target" \
        --kind "$kind" --statements "$n" >/dev/null 2>"$WORK/valgrind.log" || {
        cat "$WORK/valgrind.log" >&2
        die "callgrind run failed ($target, $n statements)"
    }
    main=$(sed -n 's/^totals: *//p' "$out-01" | head -n 1)
    # shellcheck disable=SC2016
    all=$(cat "$out"-* | sed -n 's/^totals: *//p' | awk '{s += $1} END {print s}')
    echo "$main $all"
}
for t in direct ha; do
    ((CALLGRIND_N > 0)) || break
    totals=$(callgrind_totals "$t" "$CALLGRIND_N")
    read -r main1 all1 <<<"$totals"
    totals=$(callgrind_totals "$t" "$((2 * CALLGRIND_N))")
    read -r main2 all2 <<<"$totals"
    record instructions prepared_read "$t" 1 "" "{\"n\":$CALLGRIND_N,\"main_n\":$main1,\"main_2n\":$main2,\"all_n\":$all1,\"all_2n\":$all2,\"per_statement\":$(((main2 - main1) / CALLGRIND_N))}"
    note "  $t: $(((main2 - main1) / CALLGRIND_N)) instructions per statement (main thread)"
done
# A streamed row: prepared forward-only reads of 1000 rows of three columns, every value read;
# (I(2M) - I(M)) / 1000M with M = N / 40.
ROWS_N=$((CALLGRIND_N / 40))
((ROWS_N > 0)) && note "callgrind: client instructions per streamed row (M = $ROWS_N reads of 1000 rows, and 2M)"
for t in direct ha; do
    ((ROWS_N > 0)) || break
    totals=$(callgrind_totals "$t" "$ROWS_N" rows)
    read -r main1 all1 <<<"$totals"
    totals=$(callgrind_totals "$t" "$((2 * ROWS_N))" rows)
    read -r main2 all2 <<<"$totals"
    record row_instructions streamed_row "$t" 1 "" "{\"m\":$ROWS_N,\"main_m\":$main1,\"main_2m\":$main2,\"per_row\":$(((main2 - main1) / (ROWS_N * 1000)))}"
    note "  $t: $(((main2 - main1) / (ROWS_N * 1000))) instructions per streamed row (main thread)"
done

# --- report ------------------------------------------------------------------------------------

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
  "commit": "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo +changes)",
  "rounds": $ROUNDS,
  "duration_s": $DURATION,
  "warmup_s": $WARMUP,
  "threads": $THREADS,
  "cgroup": "${CGROUP_BASE:+${CPU_FILE}}",
  "capacity_skipped": "$CAPACITY_SKIPPED",
  "readers_pinned": "${PGHA_CPUS_READER1:-no}/${PGHA_CPUS_READER2:-no}",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF

mkdir -p "$OUT_DIR"
"$PYTHON" "$SCRIPT_DIR/capacity.py" "$RAW" "$WORK/machine.json" "$OUT_DIR/capacity-results.json"
"$PYTHON" "$SCRIPT_DIR/capacity.py" --chart-data "$OUT_DIR/capacity-results.json" "$WORK/chart.dat"
gnuplot -e "datafile='$WORK/chart.dat'; outfile='$OUT_DIR/capacity-chart.png'" \
    "$SCRIPT_DIR/plot-capacity.gp"
note "wrote $OUT_DIR/capacity-results.json and $OUT_DIR/capacity-chart.png"
