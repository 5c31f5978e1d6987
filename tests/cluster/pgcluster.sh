#!/usr/bin/env bash
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# A throw-away PostgreSQL cluster for the integration tests: one primary and two streaming
# replicas (reader1, reader2) on loopback ports picked at run time.
#
#   pgcluster.sh start STATE_DIR              fresh cluster; writes STATE_DIR/cluster.env
#   pgcluster.sh stop STATE_DIR               stop every node and delete all data
#   pgcluster.sh stop-node STATE_DIR NODE [fast|immediate]   (default immediate)
#   pgcluster.sh start-node STATE_DIR NODE    start a stopped node again on the same port
#   pgcluster.sh promote STATE_DIR NODE       promote a replica (pg_ctl promote, waits)
#   pgcluster.sh freeze STATE_DIR NODE        SIGSTOP every process of a node: it hangs, its
#                                             connections stay open (a frozen machine)
#   pgcluster.sh thaw STATE_DIR NODE          SIGCONT them again
#   pgcluster.sh status STATE_DIR             "name port running|stopped", one line per node
#   pgcluster.sh psql STATE_DIR NODE [args]   psql on a node as the test user
#
# NODE is one of: primary, reader1, reader2.
#
# PGHA_CPUS_PRIMARY, PGHA_CPUS_READER1, PGHA_CPUS_READER2 (optional, a taskset CPU list such as
# "0" or "0-1") confine that node's server processes to those CPUs whenever it is started; the
# benchmark uses them to give each replica a CPU of its own, as if it ran on its own machine.
#
# STATE_DIR only holds cluster.env (what the tests read) and `basedir` (where the cluster lives,
# written before anything is started so that a half-started cluster can still be cleaned up).
# Everything else lives in a fresh /tmp/qpsqlha-cluster.XXXXXX, because the server runs as
# `postgres` when we are root, and that user cannot enter /root or the checkout.

set -euo pipefail

readonly NODES=(primary reader1 reader2)
readonly HOST=127.0.0.1
readonly DATABASE=qpsqlha_test
readonly TEST_USER=qpsqlha
# Superuser created by initdb. Fixed, so that it is the same whether or not we run as root.
readonly SUPERUSER=postgres
readonly STREAM_TIMEOUT=60
readonly PORT_ATTEMPTS=5

# libpq and the server tools read these; a developer's shell must not redirect our commands.
unset PGDATA PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE \
    PGSERVICEFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS PGAPPNAME

die() {
    echo "pgcluster.sh: error: $*" >&2
    exit 1
}

# shellcheck source=tests/cluster/lib-cluster.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-cluster.sh"

note() {
    echo "pgcluster.sh: $*" >&2
}

usage() {
    echo "usage:" >&2
    sed -n '8,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# --- environment -------------------------------------------------------------------------------

find_bindir() {
    local dir
    # Newest installed major version; the tests do not care which one as long as it has streaming
    # replication, and hard-coding it breaks on the next distribution upgrade.
    # shellcheck disable=SC2012 # the glob only matches /usr/lib/postgresql/<version>/bin
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$dir" || ! -x "$dir/postgres" || ! -x "$dir/pg_ctl" ]]; then
        die "no PostgreSQL server binaries found under /usr/lib/postgresql/*/bin" \
            "(install the postgresql server package)"
    fi
    echo "$dir"
}



# Reads STATE_DIR/cluster.env into PGHA_* variables; fails unless a cluster was started.
load_env() {
    local env="$STATE_DIR/cluster.env"
    [[ -f "$env" ]] || die "no cluster recorded in $STATE_DIR (run: pgcluster.sh start $STATE_DIR)"
    # shellcheck disable=SC1090
    source "$env"
    BINDIR=$PGHA_BINDIR
    BASEDIR=$PGHA_BASEDIR
    SOCKETDIR=$PGHA_SOCKETDIR
    SERVER_USER=$PGHA_SERVER_USER
    [[ -d "$BASEDIR" ]] || die "cluster directory $BASEDIR is gone (run: pgcluster.sh start $STATE_DIR)"
}

check_node() {
    case "$1" in
    primary | reader1 | reader2) ;;
    *) die "unknown node '$1' (expected primary, reader1 or reader2)" ;;
    esac
}

node_port() {
    case "$1" in
    primary) echo "$PGHA_PRIMARY_PORT" ;;
    reader1) echo "$PGHA_READER1_PORT" ;;
    reader2) echo "$PGHA_READER2_PORT" ;;
    esac
}

# --- ports -------------------------------------------------------------------------------------


# True if something accepts connections on the port, on either loopback address the server will
# listen on. A refused connect on loopback fails at once, so this never blocks.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    (exec 3<>"/dev/tcp/::1/$1") 2>/dev/null && return 0
    return 1
}

# A random free port, never one already given to another node of this cluster (those are not
# listening yet when the next one is picked).
USED_PORTS=" "
pick_port() {
    local lo hi port i
    read -r lo hi < <(port_range)
    for ((i = 0; i < 200; i++)); do
        port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
        [[ "$USED_PORTS" == *" $port "* ]] && continue
        port_in_use "$port" && continue
        echo "$port"
        return 0
    done
    die "could not find a free TCP port in $lo-$hi"
}

# --- nodes -------------------------------------------------------------------------------------

node_running() {
    as_server "$BINDIR/pg_ctl" status -D "$BASEDIR/$1" >/dev/null 2>&1
}

log_tail() {
    local node=$1 log="$BASEDIR/$1.log"
    if [[ -f "$log" ]]; then
        echo "--- last lines of $log ---" >&2
        tail -n 30 "$log" >&2 || true
    fi
}

# Starts one node's server and waits until it accepts connections. Port, socket directory and
# name go on the command line instead of postgresql.conf: the replicas are copies of the
# primary's directory, and the port may change between attempts.
#
# Returns 0 when the server runs, 1 when it did not start, 2 when the port was taken. The server
# only gives up when it can bind none of its listen addresses; if it got ::1 but somebody else
# holds 127.0.0.1 it runs happily and our clients would talk to the other program, so a partial
# bind counts as a taken port and the server is stopped again.
pg_start() {
    local node=$1 port=$2 log="$BASEDIR/$1.log" offset=0 started=0
    [[ -f "$log" ]] && offset=$(stat -c %s "$log")
    # pg_ctl's own complaints are kept for the caller's error message (PG_CTL_OUTPUT).
    local cpus_var="PGHA_CPUS_${node^^}" pin=()
    [[ -n "${!cpus_var:-}" ]] && pin=(taskset -c "${!cpus_var}")
    PG_CTL_OUTPUT=$(as_server "${pin[@]}" "$BINDIR/pg_ctl" start -D "$BASEDIR/$node" -l "$log" -w -t 60 \
        -o "-p $port -k $SOCKETDIR -c cluster_name=$node" 2>&1) || started=$?
    # Only what this start wrote: the log is appended to across restarts.
    if tail -c +$((offset + 1)) "$log" 2>/dev/null | grep -q 'could not bind'; then
        if ((started == 0)); then
            as_server "$BINDIR/pg_ctl" stop -D "$BASEDIR/$node" -m immediate -w -t 30 \
                >/dev/null 2>&1 || true
        fi
        return 2
    fi
    ((started == 0)) || return 1
}

# Starts a fresh node on a newly picked port, picking another one if somebody took the port
# between our probe and the server's bind(). Sets NODE_PORT.
start_with_free_port() {
    local node=$1 attempt port rc
    for ((attempt = 1; attempt <= PORT_ATTEMPTS; attempt++)); do
        port=$(pick_port)
        rc=0
        pg_start "$node" "$port" || rc=$?
        case $rc in
        0)
            USED_PORTS+="$port "
            NODE_PORT=$port
            return 0
            ;;
        2) note "port $port for $node was taken meanwhile, trying another one" ;;
        *)
            echo "$PG_CTL_OUTPUT" >&2
            log_tail "$node"
            die "$node did not start"
            ;;
        esac
    done
    log_tail "$node"
    die "$node did not start: $PORT_ATTEMPTS ports in a row were taken"
}

# psql as the bootstrap superuser over the socket (trust), for setup and monitoring.
admin_psql() {
    "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At -h "$SOCKETDIR" -p "$PGHA_PRIMARY_PORT" \
        -U "$SUPERUSER" -d postgres "$@"
}

# Waits until both replicas stream from the primary, so that the tests start from a cluster in
# which replication actually works.
wait_for_streaming() {
    local deadline=$((SECONDS + STREAM_TIMEOUT)) count=""
    while ((SECONDS < deadline)); do
        count=$(admin_psql -c \
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null ||
            true)
        [[ "$count" == 2 ]] && return 0
        sleep 0.1
    done
    local node
    for node in "${NODES[@]}"; do log_tail "$node"; done
    die "replicas not streaming after ${STREAM_TIMEOUT}s (streaming: ${count:-unknown} of 2)"
}

# Stops every node recorded for a cluster and deletes its directory; tolerates any leftover
# state (half-started cluster, directory already gone, servers already dead).
destroy_cluster() {
    local basedir=$1 node
    [[ -n "$basedir" && -d "$basedir" ]] || return 0
    # Never delete anything that is not one of our own temp directories.
    [[ "$basedir" == /tmp/qpsqlha-cluster.* ]] || die "refusing to delete unexpected $basedir"
    for node in "${NODES[@]}"; do
        if [[ -f "$basedir/$node/postmaster.pid" ]]; then
            as_server "$BINDIR/pg_ctl" stop -D "$basedir/$node" -m immediate \
                -w -t 30 >/dev/null 2>&1 || true
        fi
    done
    rm -rf -- "$basedir"
}

# Tears down whatever a previous run left in STATE_DIR, whether it finished starting or not.
destroy_recorded_cluster() {
    local basedir="" env="$STATE_DIR/cluster.env" pointer="$STATE_DIR/basedir"
    local saved_user=${SERVER_USER:-}
    if [[ -f "$env" ]]; then
        basedir=$(sed -n 's/^PGHA_BASEDIR=//p' "$env")
        SERVER_USER=$(sed -n 's/^PGHA_SERVER_USER=//p' "$env")
        destroy_cluster "$basedir"
    fi
    if [[ -f "$pointer" ]]; then
        # The pointer is written before anything starts, with the same server user as now.
        SERVER_USER=$saved_user
        [[ -n "$SERVER_USER" ]] || SERVER_USER=$(default_server_user)
        destroy_cluster "$(cat "$pointer")"
    fi
    SERVER_USER=$saved_user
    rm -f -- "$env" "$pointer"
}

# --- commands ----------------------------------------------------------------------------------

# CA, server certificate (127.0.0.1, ::1, localhost) and an unrelated CA under $BASEDIR/tls.
make_certificates() {
    local tls="$BASEDIR/tls"
    command -v openssl >/dev/null || die "openssl is needed for the test cluster's TLS"
    mkdir -p "$tls"
    {
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=qpsqlha test CA" \
            -keyout "$tls/ca.key" -out "$tls/ca.crt"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=unrelated CA" \
            -keyout "$tls/other-ca.key" -out "$tls/other-ca.crt"
        openssl req -new -newkey rsa:2048 -nodes -subj "/CN=localhost" \
            -keyout "$tls/server.key" -out "$tls/server.csr"
        printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n' >"$tls/san.ext"
        openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
            -CAcreateserial -days 2 -extfile "$tls/san.ext" -out "$tls/server.crt"
    } >"$BASEDIR/tls.log" 2>&1 || {
        cat "$BASEDIR/tls.log" >&2
        die "creating the test certificates failed"
    }
    chmod 644 "$tls"/*.crt
    if [[ $EUID -eq 0 ]]; then
        chown -R "$SERVER_USER": "$tls"
    fi
}

cmd_start() {
    local t0=$SECONDS
    BINDIR=$(find_bindir)
    SERVER_USER=$(default_server_user)
    mkdir -p -- "$STATE_DIR"
    STATE_DIR=$(cd "$STATE_DIR" && pwd)

    destroy_recorded_cluster
    # Private clusters of tests (TestCluster::startPrivate(): STATE_DIR-private-PID) whose test
    # process is gone: a crashed test must not leave servers behind for ever.
    local private pid
    for private in "$STATE_DIR"-private-*; do
        [[ -d "$private" ]] || continue
        pid=${private##*-}
        if [[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then
            bash "${BASH_SOURCE[0]}" stop "$private" >/dev/null 2>&1 || true
            rm -rf -- "$private"
        fi
    done

    BASEDIR=$(mktemp -d /tmp/qpsqlha-cluster.XXXXXX)
    SOCKETDIR=$BASEDIR/sockets
    echo "$BASEDIR" >"$STATE_DIR/basedir"
    # If anything below fails, leave nothing running and no directory behind. Signals go
    # through exit so that the cleanup also runs when ctest kills us for taking too long.
    trap 'status=$?; if ((status != 0)); then destroy_cluster "$BASEDIR"; \
        rm -f -- "$STATE_DIR/basedir"; fi' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP

    mkdir -p -- "$SOCKETDIR"
    # Readable by everybody so that tests running as another user can look at the logs.
    chmod 755 "$BASEDIR" "$SOCKETDIR"
    if [[ $EUID -eq 0 ]]; then
        chown -R "$SERVER_USER": "$BASEDIR"
    fi

    local password="" node
    while ((${#password} < 16)); do
        password+=$(head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9')
    done
    password=${password:0:16}

    # --- primary
    as_server "$BINDIR/initdb" -D "$BASEDIR/primary" -U "$SUPERUSER" -A trust -E UTF8 \
        --no-locale --no-sync >"$BASEDIR/initdb.log" 2>&1 ||
        {
            cat "$BASEDIR/initdb.log" >&2
            die "initdb failed"
        }

    # TLS: a throw-away CA and a server certificate valid for the loopback addresses, so that
    # sslmode=verify-full can be tested; a second, unrelated CA for the must-fail case. The
    # certificate lives in the primary's data directory, so pg_basebackup gives the replicas
    # the same one.
    make_certificates
    as_server cp "$BASEDIR/tls/server.crt" "$BASEDIR/tls/server.key" "$BASEDIR/primary/"
    as_server chmod 600 "$BASEDIR/primary/server.key"

    # wal_retrieve_retry_interval: replicas retry a lost primary every 0.5 s instead of 5 s, so a
    # test that restarts the primary sees streaming again quickly.
    as_server tee -a "$BASEDIR/primary/postgresql.conf" >/dev/null <<EOF

# --- qpsqlha test cluster
listen_addresses = '127.0.0.1,::1'
unix_socket_directories = '$SOCKETDIR'
max_connections = 200
wal_level = replica
max_wal_senders = 10
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
wal_retrieve_retry_interval = 500ms
fsync = off
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
EOF
    as_server tee "$BASEDIR/primary/pg_hba.conf" >/dev/null <<EOF
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   scram-sha-256
host    all          all   ::1/128        scram-sha-256
host    replication  all   127.0.0.1/32   trust
EOF

    start_with_free_port primary
    PGHA_PRIMARY_PORT=$NODE_PORT

    admin_psql <<EOF
CREATE ROLE $TEST_USER LOGIN SUPERUSER PASSWORD '$password';
CREATE DATABASE $DATABASE OWNER $TEST_USER;
EOF

    # --- replicas: copies of the primary made after the test user exists, so they have it too.
    for node in reader1 reader2; do
        as_server "$BINDIR/pg_basebackup" -h "$HOST" -p "$PGHA_PRIMARY_PORT" -U "$SUPERUSER" \
            -D "$BASEDIR/$node" -R -X stream --checkpoint=fast --no-sync \
            >"$BASEDIR/$node.basebackup.log" 2>&1 ||
            {
                cat "$BASEDIR/$node.basebackup.log" >&2
                die "pg_basebackup for $node failed"
            }
    done
    start_with_free_port reader1
    PGHA_READER1_PORT=$NODE_PORT
    start_with_free_port reader2
    PGHA_READER2_PORT=$NODE_PORT

    wait_for_streaming

    # Written last and atomically: a cluster.env that exists describes a working cluster.
    cat >"$STATE_DIR/cluster.env.tmp" <<EOF
PGHA_BINDIR=$BINDIR
PGHA_BASEDIR=$BASEDIR
PGHA_SOCKETDIR=$SOCKETDIR
PGHA_HOST=$HOST
PGHA_PRIMARY_PORT=$PGHA_PRIMARY_PORT
PGHA_READER1_PORT=$PGHA_READER1_PORT
PGHA_READER2_PORT=$PGHA_READER2_PORT
PGHA_DATABASE=$DATABASE
PGHA_USER=$TEST_USER
PGHA_PASSWORD=$password
PGHA_SERVER_USER=$SERVER_USER
PGHA_SSL_CA=$BASEDIR/tls/ca.crt
PGHA_SSL_OTHER_CA=$BASEDIR/tls/other-ca.crt
EOF
    mv -f -- "$STATE_DIR/cluster.env.tmp" "$STATE_DIR/cluster.env"
    trap - EXIT INT TERM HUP
    note "cluster up in $((SECONDS - t0))s: primary $PGHA_PRIMARY_PORT," \
        "reader1 $PGHA_READER1_PORT, reader2 $PGHA_READER2_PORT ($BASEDIR)"
}

cmd_stop() {
    BINDIR=$(find_bindir)
    SERVER_USER=$(default_server_user)
    if [[ ! -f "$STATE_DIR/cluster.env" && ! -f "$STATE_DIR/basedir" ]]; then
        note "no cluster recorded in $STATE_DIR, nothing to stop"
        return 0
    fi
    # Prefer the binaries the cluster was started with.
    if [[ -f "$STATE_DIR/cluster.env" ]]; then
        local recorded
        recorded=$(sed -n 's/^PGHA_BINDIR=//p' "$STATE_DIR/cluster.env")
        [[ -x "$recorded/pg_ctl" ]] && BINDIR=$recorded
    fi
    destroy_recorded_cluster
}

cmd_stop_node() {
    local node=$1 mode=${2:-immediate}
    check_node "$node"
    case "$mode" in
    fast | immediate) ;;
    *) die "unknown stop mode '$mode' (expected fast or immediate)" ;;
    esac
    load_env
    if ! node_running "$node"; then
        return 0
    fi
    as_server "$BINDIR/pg_ctl" stop -D "$BASEDIR/$node" -m "$mode" -w -t 60 >/dev/null ||
        {
            log_tail "$node"
            die "could not stop $node"
        }
}

cmd_start_node() {
    local node=$1 port deadline
    check_node "$node"
    load_env
    port=$(node_port "$node")
    if node_running "$node"; then
        # Already up (maybe still starting): only wait until it accepts connections.
        deadline=$((SECONDS + 60))
        until "$BINDIR/pg_isready" -q -h "$SOCKETDIR" -p "$port" -d postgres; do
            ((SECONDS < deadline)) || die "$node is running but does not accept connections"
            sleep 0.1
        done
        return 0
    fi
    # Same port as before: the tests and the driver under test keep the address they were given.
    local rc=0
    pg_start "$node" "$port" || rc=$?
    case $rc in
    0) ;;
    2) die "could not start $node: port $port is now used by another program" ;;
    *)
        echo "$PG_CTL_OUTPUT" >&2
        log_tail "$node"
        die "could not start $node on port $port"
        ;;
    esac
}

cmd_promote() {
    local node=$1
    check_node "$node"
    load_env
    as_server "$BINDIR/pg_ctl" promote -D "$BASEDIR/$node" -w -t 60 >/dev/null ||
        {
            log_tail "$node"
            die "could not promote $node"
        }
}

# The postmaster and its children: stopping only the postmaster would leave backends answering.
signal_node() {
    local node=$1 signal=$2 pid
    check_node "$node"
    load_env
    pid=$(head -n 1 "$BASEDIR/$node/postmaster.pid" 2>/dev/null) || die "$node is not running"
    [[ "$pid" =~ ^[0-9]+$ ]] || die "$node has no postmaster pid"
    kill "-$signal" "$pid" $(pgrep -P "$pid") || die "could not send SIG$signal to $node"
}

cmd_status() {
    load_env
    local node state
    for node in "${NODES[@]}"; do
        if node_running "$node"; then state=running; else state=stopped; fi
        echo "$node $(node_port "$node") $state"
    done
}

cmd_psql() {
    local node=$1
    shift
    check_node "$node"
    load_env
    PGPASSWORD=$PGHA_PASSWORD exec "$BINDIR/psql" -X -h "$PGHA_HOST" -p "$(node_port "$node")" \
        -U "$PGHA_USER" -d "$PGHA_DATABASE" "$@"
}

# --- main --------------------------------------------------------------------------------------

(($# >= 2)) || usage
COMMAND=$1
STATE_DIR=$2
shift 2
[[ -n "$STATE_DIR" ]] || usage

case "$COMMAND" in
start)
    (($# == 0)) || usage
    cmd_start
    ;;
stop)
    (($# == 0)) || usage
    cmd_stop
    ;;
stop-node)
    (($# == 1 || $# == 2)) || usage
    cmd_stop_node "$@"
    ;;
start-node)
    (($# == 1)) || usage
    cmd_start_node "$@"
    ;;
promote)
    (($# == 1)) || usage
    cmd_promote "$@"
    ;;
freeze)
    (($# == 1)) || usage
    signal_node "$1" STOP
    ;;
thaw)
    (($# == 1)) || usage
    signal_node "$1" CONT
    ;;
status)
    (($# == 0)) || usage
    cmd_status
    ;;
psql)
    (($# >= 1)) || usage
    cmd_psql "$@"
    ;;
*) usage ;;
esac
