# shellcheck shell=bash
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# Sourced by run-benchmarks.sh and run-capacity.sh (not run on its own): the packages, the test
# cluster filled by pgbench, pgpool-II in front of the same three nodes, and the cleanup that stops
# all of it again, also on failure or Ctrl-C.
#
# The caller sets, before sourcing: SCRIPT_DIR, BUILD_DIR, BENCH, CLUSTER, STATE, PIN_READERS and
# BENCH_NAME (prefix of messages). It may define bench_extra_cleanup(), which the cleanup runs
# once the servers are stopped.
# PGPOOL_EXTRA_CONFIG (optional) is appended to the generated pgpool.conf.

# The plugin from the build tree, and nothing of the developer's shell steering libpq.
export QT_PLUGIN_PATH=$BUILD_DIR/plugins
unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS

note() { echo "$BENCH_NAME: $*" >&2; }
die() {
    echo "$BENCH_NAME: error: $*" >&2
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
    if declare -F bench_extra_cleanup >/dev/null; then bench_extra_cleanup || true; fi
    rm -rf -- "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- cluster -----------------------------------------------------------------------------------

# qpsqlha-testcluster applies these on every start, the failover case's restart included.
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
${PGPOOL_EXTRA_CONFIG:-}
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
