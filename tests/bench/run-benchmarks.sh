#!/usr/bin/env bash
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# QPSQLHA against plain QPSQL and pgpool-II, side by side, on one machine:
#
#   tests/bench/run-benchmarks.sh [BUILD_DIR]
#
# Starts the test cluster (primary + 2 streaming replicas, tests/cluster/pgcluster.sh), fills it
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
#   BENCH_STATE=/tmp/qpsqlha-bench-state   pgcluster.sh state directory
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
CLUSTER="$REPO/tests/cluster/pgcluster.sh"
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

# The plugin from the build tree, and nothing of the developer's shell steering libpq.
export QT_PLUGIN_PATH=$BUILD_DIR/plugins
unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS

note() { echo "run-benchmarks: $*" >&2; }
die() {
    echo "run-benchmarks: error: $*" >&2
    exit 1
}

[[ -x "$BENCH" ]] || die "$BENCH not found: build first (cmake --build $BUILD_DIR)"
[[ -f "$QT_PLUGIN_PATH/sqldrivers/libqsqlpsqlha.so" ]] || die "no QPSQLHA plugin in $QT_PLUGIN_PATH"

# --- packages ----------------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    if ((APT_UPDATED == 0)); then
        "${sudo[@]}" apt-get update -qq
        APT_UPDATED=1
    fi
    # Debian starts its own pgpool service on install where a service manager runs; ours is a
    # separate instance on a port of its own, so that one does not matter.
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}

need_command() {
    local command=$1 package=$2
    if ! command -v "$command" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$command" ]]; then
        note "installing $package"
        apt_install "$package"
    fi
}

need_command pgpool pgpool2
need_command gnuplot gnuplot-nox
need_command valgrind valgrind
PGPOOL=$(command -v pgpool || echo /usr/sbin/pgpool)
# The summary uses Debian's own python3 (standard library only).
PYTHON=/usr/bin/python3
[[ -x "$PYTHON" ]] || PYTHON=$(command -v python3) || die "python3 is needed"

# --- cleanup -----------------------------------------------------------------------------------

PGPOOL_DIR=""
WORK=$(mktemp -d /tmp/qpsqlha-bench.XXXXXX)

stop_pgpool() {
    [[ -n "$PGPOOL_DIR" && -f "$PGPOOL_DIR/pgpool.conf" ]] || return 0
    local pid=""
    # pgpool ends its pid file with a NUL byte: keep the digits only.
    [[ -f "$PGPOOL_DIR/pgpool.pid" ]] && pid=$(tr -dc '0-9' <"$PGPOOL_DIR/pgpool.pid" || true)
    as_server "$PGPOOL" -f "$PGPOOL_DIR/pgpool.conf" -m fast stop >/dev/null 2>&1 || true
    # Wait for the main process to be gone, then end whatever is left of its process group:
    # after a failover, pgpool children stuck on a lock can outlive a stopped main process.
    if [[ -n "$pid" ]]; then
        local i
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 -- "-$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f -- "$PGPOOL_DIR/pgpool.pid"
}

BENCH_PID=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    if [[ -n "$BENCH_PID" ]]; then
        kill "$BENCH_PID" 2>/dev/null || true
        wait "$BENCH_PID" 2>/dev/null || true
    fi
    stop_pgpool || true
    bash "$CLUSTER" stop "$STATE" || true
    rm -rf -- "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- cluster -----------------------------------------------------------------------------------

# pgcluster.sh applies these on every start, the failover case's restart included.
if [[ "$PIN_READERS" == 1 ]]; then
    cpus=$(nproc)
    if ((cpus >= 2)); then
        export PGHA_CPUS_READER1="0-$((cpus / 2 - 1))"
        export PGHA_CPUS_READER2="$((cpus / 2))-$((cpus - 1))"
        note "replicas pinned: reader1 to CPUs $PGHA_CPUS_READER1, reader2 to CPUs $PGHA_CPUS_READER2"
    fi
fi

note "starting the cluster in $STATE"
bash "$CLUSTER" start "$STATE"
ENV_FILE=$STATE/cluster.env
# shellcheck disable=SC1090
source "$ENV_FILE"

# Runs a command as the user the servers run as (pgpool refuses nothing as root, but its files
# live in the cluster's directory, owned by that user).
as_server() {
    if [[ $EUID -eq 0 && "$PGHA_SERVER_USER" != root ]]; then
        (cd / && runuser -u "$PGHA_SERVER_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

psql_node() { # PORT SQL...
    local port=$1
    shift
    PGPASSWORD=$PGHA_PASSWORD "$PGHA_BINDIR/psql" -X -q -At -h "$PGHA_HOST" -p "$port" \
        -U "$PGHA_USER" -d "$PGHA_DATABASE" "$@"
}

# Both replicas streaming and caught up with the primary: every run starts from the same state.
wait_for_replicas() {
    local deadline=$((SECONDS + 60)) lsn ok
    while ((SECONDS < deadline)); do
        ok=$(psql_node "$PGHA_PRIMARY_PORT" -c "SELECT count(*) FROM pg_stat_replication
            WHERE state = 'streaming' AND replay_lsn >= pg_current_wal_lsn()" 2>/dev/null || true)
        [[ "$ok" == 2 ]] && return 0
        sleep 0.2
    done
    lsn=$(psql_node "$PGHA_PRIMARY_PORT" -c "SELECT application_name, state FROM pg_stat_replication" || true)
    die "replicas not streaming/caught up after 60 s: $lsn"
}

note "filling the cluster: pgbench -i -s 10"
(cd / && PGPASSWORD=$PGHA_PASSWORD "$PGHA_BINDIR/pgbench" -i -s 10 -q -h "$PGHA_HOST" \
    -p "$PGHA_PRIMARY_PORT" -U "$PGHA_USER" "$PGHA_DATABASE") >"$WORK/pgbench.log" 2>&1 ||
    {
        cat "$WORK/pgbench.log" >&2
        die "pgbench -i failed"
    }
wait_for_replicas

# --- pgpool-II ---------------------------------------------------------------------------------

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 20000))
        port_in_use "$port" || {
            echo "$port"
            return 0
        }
    done
    die "no free port"
}

# Config in the cluster's own temp directory (deleted with the cluster). Same nodes as QPSQLHA,
# reads balanced over the two standbys only (weight 0 on the primary, like QPSQLHA), health and
# streaming checks every second, failed standbys detached and attached again automatically.
PGPOOL_DIR=$PGHA_BASEDIR/pgpool
write_pgpool_config() {
    local port=$1 pcp_port=$2
    mkdir -p "$PGPOOL_DIR"
    cat >"$PGPOOL_DIR/pgpool.conf" <<EOF
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PGPOOL_DIR'
pcp_listen_addresses = ''
pcp_port = $pcp_port
pcp_socket_dir = '$PGPOOL_DIR'
backend_hostname0 = '$PGHA_HOST'
backend_port0 = $PGHA_PRIMARY_PORT
backend_weight0 = 0
backend_flag0 = 'ALLOW_TO_FAILOVER'
backend_application_name0 = 'primary'
backend_hostname1 = '$PGHA_HOST'
backend_port1 = $PGHA_READER1_PORT
backend_weight1 = 1
backend_flag1 = 'ALLOW_TO_FAILOVER'
backend_application_name1 = 'reader1'
backend_hostname2 = '$PGHA_HOST'
backend_port2 = $PGHA_READER2_PORT
backend_weight2 = 1
backend_flag2 = 'ALLOW_TO_FAILOVER'
backend_application_name2 = 'reader2'
enable_pool_hba = off
pool_passwd = 'pool_passwd'
allow_clear_text_frontend_auth = off
num_init_children = 32
max_pool = 4
load_balance_mode = on
sr_check_period = 1
sr_check_user = '$PGHA_USER'
sr_check_password = '$PGHA_PASSWORD'
sr_check_database = '$PGHA_DATABASE'
health_check_period = 1
health_check_timeout = 5
health_check_user = '$PGHA_USER'
health_check_password = '$PGHA_PASSWORD'
health_check_database = '$PGHA_DATABASE'
failover_on_backend_error = on
auto_failback = on
auto_failback_interval = 1
logdir = '$PGPOOL_DIR'
pid_file_name = '$PGPOOL_DIR/pgpool.pid'
log_destination = 'stderr'
logging_collector = off
log_min_messages = warning
EOF
    # The servers use scram-sha-256: pgpool answers the client's authentication itself and logs
    # in to every backend with this password (TEXT prefix: stored in clear, only readable by the
    # server user, in a directory that is deleted with the cluster).
    echo "$PGHA_USER:TEXT$PGHA_PASSWORD" >"$PGPOOL_DIR/pool_passwd"
    : >"$PGPOOL_DIR/pcp.conf"
    : >"$PGPOOL_DIR/pool_hba.conf"
    chmod 600 "$PGPOOL_DIR/pool_passwd"
    if [[ $EUID -eq 0 && "$PGHA_SERVER_USER" != root ]]; then
        chown -R "$PGHA_SERVER_USER": "$PGPOOL_DIR"
    fi
}

# Starts a fresh pgpool (-D: forget node states of earlier runs) and waits until it answers
# with all three nodes up.
start_pgpool() {
    local attempt deadline up
    for ((attempt = 1; attempt <= 5; attempt++)); do
        PGPOOL_PORT=$(free_port)
        write_pgpool_config "$PGPOOL_PORT" "$(free_port)"
        # setsid: pgpool and all its children form a process group of their own (its id is
        # the main pid), so that children that outlive the main process can be found and ended.
        as_server setsid "$PGPOOL" -n -D -f "$PGPOOL_DIR/pgpool.conf" -F "$PGPOOL_DIR/pcp.conf" \
            -a "$PGPOOL_DIR/pool_hba.conf" >>"$WORK/pgpool.log" 2>&1 &
        deadline=$((SECONDS + 30))
        while ((SECONDS < deadline)); do
            up=$(psql_node "$PGPOOL_PORT" -c "SHOW pool_nodes" 2>/dev/null |
                awk -F'|' '$4 == "up"' | wc -l || true)
            [[ "$up" == 3 ]] && return 0
            sleep 0.2
        done
        note "pgpool did not come up on port $PGPOOL_PORT, trying again"
        stop_pgpool
    done
    tail -n 30 "$WORK/pgpool.log" >&2 || true
    die "pgpool-II did not start"
}

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
