#!/usr/bin/env bash
# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# A throw-away Patroni cluster for the tests: one etcd (v3 API) and three PostgreSQL members
# m0, m1, m2 managed by Patroni, everything on loopback ports picked at run time.
#
#   patronicluster.sh start STATE_DIR            fresh cluster; writes STATE_DIR/patroni.env
#   patronicluster.sh stop STATE_DIR             stop everything and delete all data
#   patronicluster.sh status STATE_DIR           `patronictl list`, then "name pid running|stopped"
#   patronicluster.sh env STATE_DIR              print patroni.env
#   patronicluster.sh switchover STATE_DIR [CANDIDATE]   planned switchover; prints the new leader
#   patronicluster.sh kill-leader STATE_DIR      SIGKILL the leader's Patroni and PostgreSQL (a
#                                                crashed machine); prints its name
#   patronicluster.sh start-member STATE_DIR NAME   start a killed member's Patroni again
#   patronicluster.sh add-member STATE_DIR [NAME]   a new replica (default: the next mN); prints it
#   patronicluster.sh remove-member STATE_DIR NAME  stop a member, wait until Patroni forgets it
#   patronicluster.sh set-tag STATE_DIR NAME TAG VALUE   tags.TAG = VALUE (YAML: true, 5, ...)
#                                                in the member's config, then `patronictl reload`
#   patronicluster.sh psql STATE_DIR NAME [args] psql on a member as the test user
#
# Where patroni, patronictl or etcd is not installed, `start` writes STATE_DIR/patroni.skip (the
# reason, which the tests print when they skip) and exits with 77, CTest's SKIP_RETURN_CODE here.
#
# STATE_DIR only holds patroni.env (what the tests read), `basedir` (where the cluster lives,
# written before anything is started so that a half-started cluster can still be cleaned up)
# and patroni.skip. Everything else lives in a fresh /tmp/qpsqlha-patroni.XXXXXX, because the
# servers run as `postgres` when we are root, and that user cannot enter /root or the checkout.

set -euo pipefail

readonly INITIAL_MEMBERS=(m0 m1 m2)
readonly HOST=127.0.0.1
readonly SCOPE=qpsqlha-test
readonly NAMESPACE=/qpsqlha/
readonly DATABASE=qpsqlha_test
readonly TEST_USER=qpsqlha
readonly SUPERUSER=postgres
readonly REPLICATION_USER=replicator
# How long a member may take to bootstrap, join or change role.
readonly MEMBER_TIMEOUT=90
readonly SKIP_CODE=77

# libpq and the server tools read these; a developer's shell must not redirect our commands.
unset PGDATA PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE \
    PGSERVICEFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS PGAPPNAME
# Patroni takes any PATRONI_* variable as configuration, and etcd any ETCD_*; neither may come
# from the shell that runs us.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(PATRONI|ETCD|ETCDCTL)_' || true)

die() {
    echo "patronicluster.sh: error: $*" >&2
    exit 1
}

# The same helpers as the test-cluster kit (testkit/qpsqlha-testcluster).
# shellcheck source=testkit/lib-cluster.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../testkit/lib-cluster.sh"

note() {
    echo "patronicluster.sh: $*" >&2
}

usage() {
    echo "usage:" >&2
    sed -n '8,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# --- environment -------------------------------------------------------------------------------

find_bindir() {
    local dir
    # Newest installed major version, as qpsqlha-testcluster does.
    # shellcheck disable=SC2012 # the glob only matches /usr/lib/postgresql/<version>/bin
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$dir" || ! -x "$dir/postgres" || ! -x "$dir/pg_ctl" ]]; then
        die "no PostgreSQL server binaries found under /usr/lib/postgresql/*/bin" \
            "(install the postgresql server package)"
    fi
    echo "$dir"
}

# Empty if every tool is there, else what is missing (for the skip message).
missing_tools() {
    local tool missing=()
    for tool in patroni patronictl etcd curl; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    echo "${missing[*]}"
}



# Starts a long-running program as SERVER_USER, detached from us: its own session, no terminal,
# and none of our file descriptors (CTest waits until the fixture's output pipes close). The
# program's own pid (not runuser's) goes to PIDFILE.
spawn_server() {
    local pidfile=$1 log=$2
    shift 2
    rm -f -- "$pidfile"
    # shellcheck disable=SC2016 # $$ and "$@" are expanded by the inner shell
    as_server setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
        </dev/null >>"$log" 2>&1 &
    disown
    local deadline=$((SECONDS + 10))
    until [[ -s "$pidfile" ]]; do
        ((SECONDS < deadline)) || die "could not start $1"
        sleep 0.05
    done
}

pid_alive() {
    local pidfile=$1 pid
    [[ -f "$pidfile" ]] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# --- ports -------------------------------------------------------------------------------------


port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    return 1
}

# A random free port, never one already given out to this cluster (those may not be listening
# yet, or belong to a member that is down). Sets PICKED_PORT: command substitution would run in
# a subshell and lose USED_PORTS.
pick_port() {
    local lo hi port i
    read -r lo hi < <(port_range)
    for ((i = 0; i < 200; i++)); do
        port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
        [[ "$USED_PORTS" == *" $port "* ]] && continue
        port_in_use "$port" && continue
        USED_PORTS+="$port "
        PICKED_PORT=$port
        return 0
    done
    die "could not find a free TCP port in $lo-$hi"
}

# --- state -------------------------------------------------------------------------------------

# BASEDIR/members/NAME holds "PG_PORT REST_PORT" for every member that belongs to the cluster;
# patroni.env is generated from it.
member_names() {
    local file
    for file in "$BASEDIR"/members/*; do
        [[ -f "$file" ]] && basename "$file"
    done | sort -V
}

member_ports() {
    [[ -f "$BASEDIR/members/$1" ]] || die "no member '$1' in this cluster (members: $(member_names | xargs))"
    cat "$BASEDIR/members/$1"
}

member_pg_port() {
    local pg _
    read -r pg _ < <(member_ports "$1")
    echo "$pg"
}

member_rest_url() {
    local _ rest
    read -r _ rest < <(member_ports "$1")
    echo "http://$HOST:$rest"
}

load_env() {
    local env="$STATE_DIR/patroni.env"
    [[ -f "$env" ]] || die "no Patroni cluster recorded in $STATE_DIR" \
        "(run: patronicluster.sh start $STATE_DIR)"
    # shellcheck disable=SC1090
    source "$env"
    BINDIR=$PGHA_PATRONI_BINDIR
    BASEDIR=$PGHA_PATRONI_BASEDIR
    SERVER_USER=$PGHA_PATRONI_SERVER_USER
    ETCD_PORT=$PGHA_PATRONI_ETCD_PORT
    PASSWORD=$PGHA_PATRONI_PASSWORD
    [[ -d "$BASEDIR" ]] || die "cluster directory $BASEDIR is gone (run: patronicluster.sh start $STATE_DIR)"
    USED_PORTS=" $(cat "$BASEDIR/used-ports") "
}

# Written atomically: a patroni.env that exists describes a working cluster.
write_env() {
    local name pg rest names=() urls=()
    {
        echo "PGHA_PATRONI_BINDIR=$BINDIR"
        echo "PGHA_PATRONI_BASEDIR=$BASEDIR"
        echo "PGHA_PATRONI_SERVER_USER=$SERVER_USER"
        echo "PGHA_PATRONI_SCOPE=$SCOPE"
        echo "PGHA_PATRONI_NAMESPACE=$NAMESPACE"
        echo "PGHA_PATRONI_HOST=$HOST"
        echo "PGHA_PATRONI_DATABASE=$DATABASE"
        echo "PGHA_PATRONI_USER=$TEST_USER"
        echo "PGHA_PATRONI_PASSWORD=$PASSWORD"
        echo "PGHA_PATRONI_ETCD_PORT=$ETCD_PORT"
        while read -r name; do
            read -r pg rest <"$BASEDIR/members/$name"
            names+=("$name")
            urls+=("http://$HOST:$rest")
            echo "PGHA_PATRONI_${name^^}_PORT=$pg"
            echo "PGHA_PATRONI_${name^^}_REST=http://$HOST:$rest"
            echo "PGHA_PATRONI_${name^^}_CONFIG=$BASEDIR/$name.yml"
        done < <(member_names)
        echo "PGHA_PATRONI_MEMBERS=$(
            IFS=,
            echo "${names[*]}"
        )"
        # Every member's REST API, as QPSQLHA_PATRONI wants them.
        echo "PGHA_PATRONI_URLS=$(
            IFS=,
            echo "${urls[*]}"
        )"
    } >"$STATE_DIR/patroni.env.tmp"
    mv -f -- "$STATE_DIR/patroni.env.tmp" "$STATE_DIR/patroni.env"
    echo "$USED_PORTS" >"$BASEDIR/used-ports"
}

# --- REST API ----------------------------------------------------------------------------------

# GET from a member's REST API: the body on stdout, fails on anything but 200.
rest_get() {
    curl -fsS --max-time 3 "$1$2" 2>/dev/null
}

# The status code only (000 when nothing answers).
rest_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1$2" 2>/dev/null || true
}

# GET /cluster from the first member that answers.
cluster_json() {
    local name
    while read -r name; do
        rest_get "$(member_rest_url "$name")" /cluster && return 0
    done < <(member_names)
    return 1
}

# Reads /cluster on stdin; prints "name role state" per member.
members_from_json() {
    /usr/bin/python3 -c '
import json, sys
for m in json.load(sys.stdin).get("members", []):
    print(m.get("name", "?"), m.get("role", "?"), m.get("state", "?"))'
}

current_leader() {
    local json
    json=$(cluster_json) || return 1
    members_from_json <<<"$json" | awk '$2 == "leader" { print $1; exit }'
}

# --- members -----------------------------------------------------------------------------------

log_tail() {
    local log="$BASEDIR/$1.log"
    if [[ -f "$log" ]]; then
        echo "--- last lines of $log ---" >&2
        tail -n 30 "$log" >&2 || true
    fi
}

write_member_config() {
    local name=$1 pg=$2 rest=$3
    as_server mkdir -p "$BASEDIR/$name"
    as_server tee "$BASEDIR/$name.yml" >/dev/null <<EOF
# Written by patronicluster.sh; set-tag edits the tags at the end.
scope: $SCOPE
namespace: $NAMESPACE
name: $name
log:
  level: INFO
restapi:
  listen: $HOST:$rest
  connect_address: $HOST:$rest
etcd3:
  hosts: $HOST:$ETCD_PORT
bootstrap:
  # Short timings keep failover in the tests to seconds.
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      remove_data_directory_on_rewind_failure: true
      remove_data_directory_on_diverged_timelines: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        hot_standby_feedback: 'on'
        wal_log_hints: 'on'
        max_connections: 200
        max_wal_senders: 10
        wal_keep_size: 256MB
        wal_retrieve_retry_interval: 500ms
        fsync: 'off'
  initdb:
  - encoding: UTF8
  - no-locale
  - no-sync
  - auth: trust
  pg_hba:
  - local all all trust
  - host replication all 127.0.0.1/32 trust
  - host all $SUPERUSER 127.0.0.1/32 trust
  - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: $HOST:$pg
  connect_address: $HOST:$pg
  data_dir: $BASEDIR/$name/data
  bin_dir: $BINDIR
  pgpass: $BASEDIR/$name/pgpass
  # A replica is cloned at once, not after a spread checkpoint.
  basebackup:
  - checkpoint: fast
  - no-sync
  parameters:
    unix_socket_directories: '$BASEDIR/sockets'
    log_line_prefix: '%m [%p] %q%u@%d '
  authentication:
    superuser:
      username: $SUPERUSER
      password: $PASSWORD
    replication:
      username: $REPLICATION_USER
      password: $PASSWORD
    rewind:
      username: $SUPERUSER
      password: $PASSWORD
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
}

start_patroni() {
    local name=$1
    pid_alive "$BASEDIR/$name.pid" && return 0
    spawn_server "$BASEDIR/$name.pid" "$BASEDIR/$name.log" patroni "$BASEDIR/$name.yml"
}

# Waits until GET PATH on the member answers 200.
wait_rest() {
    local name=$1 path=$2 what=$3 timeout=${4:-$MEMBER_TIMEOUT} url deadline
    url=$(member_rest_url "$name")
    deadline=$((SECONDS + timeout))
    until [[ "$(rest_status "$url" "$path")" == 200 ]]; do
        if ((SECONDS >= deadline)); then
            log_tail "$name"
            die "$name is not $what after ${timeout}s"
        fi
        pid_alive "$BASEDIR/$name.pid" || {
            log_tail "$name"
            die "Patroni of $name exited"
        }
        sleep 0.2
    done
}

# A replica that streams from the leader: /replica says running; pg_stat_wal_receiver says
# streaming.
wait_streaming() {
    local name=$1 deadline status=""
    wait_rest "$name" /replica "a running replica"
    deadline=$((SECONDS + MEMBER_TIMEOUT))
    while ((SECONDS < deadline)); do
        status=$("$BINDIR/psql" -X -At -h "$BASEDIR/sockets" -p "$(member_pg_port "$name")" \
            -U "$SUPERUSER" -d postgres -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null ||
            true)
        [[ "$status" == streaming ]] && return 0
        sleep 0.2
    done
    log_tail "$name"
    die "$name does not stream from the leader (wal receiver: ${status:-none})"
}

stop_pidfile() {
    local pidfile=$1 signal=${2:-TERM} timeout=${3:-30} pid deadline
    pid_alive "$pidfile" || {
        rm -f -- "$pidfile"
        return 0
    }
    pid=$(cat "$pidfile")
    kill "-$signal" "$pid" 2>/dev/null || true
    deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    rm -f -- "$pidfile"
}

# SIGKILL the member's postmaster and its children, whoever runs them.
kill_postgres() {
    local name=$1 pid
    pid=$(head -n 1 "$BASEDIR/$name/data/postmaster.pid" 2>/dev/null) || return 0
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    # shellcheck disable=SC2046 # one pid per word
    kill -KILL "$pid" $(pgrep -P "$pid" || true) 2>/dev/null || true
}

# --- teardown ----------------------------------------------------------------------------------

# Stops everything of one cluster directory and deletes it; tolerates any leftover state.
destroy_cluster() {
    local basedir=$1 pidfile
    [[ -n "$basedir" && -d "$basedir" ]] || return 0
    # Never delete anything that is not one of our own temp directories.
    [[ "$basedir" == /tmp/qpsqlha-patroni.* ]] || die "refusing to delete unexpected $basedir"
    # Patroni first, politely: a Patroni killed outright leaves its PostgreSQL running. All at
    # once: one by one, each replica would first try to take over from the leader stopped before.
    for pidfile in "$basedir"/m*.pid; do
        pid_alive "$pidfile" && kill -TERM "$(cat "$pidfile")" 2>/dev/null
    done
    for pidfile in "$basedir"/m*.pid; do
        [[ -f "$pidfile" ]] && stop_pidfile "$pidfile" TERM 30
    done
    local data pid
    for data in "$basedir"/m*/data; do
        pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || continue
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true # immediate shutdown
        fi
    done
    [[ -f "$basedir/etcd.pid" ]] && stop_pidfile "$basedir/etcd.pid" TERM 10
    rm -rf -- "$basedir"
}

# Tears down whatever a previous run left in STATE_DIR, whether it finished starting or not.
destroy_recorded_cluster() {
    local basedir="" env="$STATE_DIR/patroni.env" pointer="$STATE_DIR/basedir"
    if [[ -f "$env" ]]; then
        basedir=$(sed -n 's/^PGHA_PATRONI_BASEDIR=//p' "$env")
        destroy_cluster "$basedir"
    fi
    if [[ -f "$pointer" ]]; then
        destroy_cluster "$(cat "$pointer")"
    fi
    rm -f -- "$env" "$pointer"
}

# --- commands ----------------------------------------------------------------------------------

start_etcd() {
    local peer deadline
    pick_port
    ETCD_PORT=$PICKED_PORT
    pick_port
    peer=$PICKED_PORT
    spawn_server "$BASEDIR/etcd.pid" "$BASEDIR/etcd.log" etcd --name etcd0 \
        --data-dir "$BASEDIR/etcd" \
        --listen-client-urls "http://$HOST:$ETCD_PORT" \
        --advertise-client-urls "http://$HOST:$ETCD_PORT" \
        --listen-peer-urls "http://$HOST:$peer" \
        --initial-advertise-peer-urls "http://$HOST:$peer" \
        --initial-cluster "etcd0=http://$HOST:$peer" \
        --initial-cluster-state new
    deadline=$((SECONDS + 30))
    until curl -fsS --max-time 2 "http://$HOST:$ETCD_PORT/health" 2>/dev/null | grep -q '"true"'; do
        if ((SECONDS >= deadline)) || ! pid_alive "$BASEDIR/etcd.pid"; then
            tail -n 30 "$BASEDIR/etcd.log" >&2 || true
            die "etcd did not start"
        fi
        sleep 0.1
    done
}

# Registers a member with fresh ports, writes its config and starts its Patroni.
create_member() {
    local name=$1 pg rest
    pick_port
    pg=$PICKED_PORT
    pick_port
    rest=$PICKED_PORT
    echo "$pg $rest" >"$BASEDIR/members/$name"
    write_member_config "$name" "$pg" "$rest"
    start_patroni "$name"
}

admin_psql() {
    local name=$1
    shift
    "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At -h "$BASEDIR/sockets" \
        -p "$(member_pg_port "$name")" -U "$SUPERUSER" -d postgres "$@"
}

cmd_start() {
    local t0=$SECONDS missing
    mkdir -p -- "$STATE_DIR"
    STATE_DIR=$(cd "$STATE_DIR" && pwd)
    rm -f -- "$STATE_DIR/patroni.skip"
    missing=$(missing_tools)
    if [[ -n "$missing" ]]; then
        echo "Patroni cluster not available: $missing not installed" \
            "(scripts/install-deps.sh installs patroni, etcd-server, etcd-client)" \
            >"$STATE_DIR/patroni.skip"
        note "$(cat "$STATE_DIR/patroni.skip")"
        exit "$SKIP_CODE"
    fi
    BINDIR=$(find_bindir)
    SERVER_USER=$(default_server_user)

    destroy_recorded_cluster

    BASEDIR=$(mktemp -d /tmp/qpsqlha-patroni.XXXXXX)
    echo "$BASEDIR" >"$STATE_DIR/basedir"
    # If anything below fails, leave nothing running and no directory behind. Signals go
    # through exit so that the cleanup also runs when ctest kills us for taking too long.
    trap 'status=$?; if ((status != 0)); then destroy_cluster "$BASEDIR"; \
        rm -f -- "$STATE_DIR/basedir"; fi' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP

    mkdir -p -- "$BASEDIR/members" "$BASEDIR/sockets"
    # Readable by everybody so that tests running as another user can look at the logs.
    chmod 755 "$BASEDIR" "$BASEDIR/sockets"
    if [[ $EUID -eq 0 ]]; then
        chown -R "$SERVER_USER": "$BASEDIR"
    fi
    USED_PORTS=" "

    PASSWORD=""
    while ((${#PASSWORD} < 16)); do
        PASSWORD+=$(head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9')
    done
    PASSWORD=${PASSWORD:0:16}

    start_etcd

    # The first member bootstraps the cluster; the others are cloned from it once it leads.
    local first=${INITIAL_MEMBERS[0]} name
    create_member "$first"
    wait_rest "$first" /primary "the leader"
    admin_psql "$first" <<EOF
CREATE ROLE $TEST_USER LOGIN SUPERUSER PASSWORD '$PASSWORD';
CREATE DATABASE $DATABASE OWNER $TEST_USER;
EOF
    for name in "${INITIAL_MEMBERS[@]:1}"; do
        create_member "$name"
    done
    for name in "${INITIAL_MEMBERS[@]:1}"; do
        wait_streaming "$name"
    done

    write_env
    trap - EXIT INT TERM HUP
    note "Patroni cluster up in $((SECONDS - t0))s: $(
        while read -r name; do echo -n "$name $(member_pg_port "$name")/$(member_rest_url "$name") "; done \
            < <(member_names)
    )etcd $ETCD_PORT ($BASEDIR)"
}

cmd_stop() {
    rm -f -- "$STATE_DIR/patroni.skip"
    if [[ ! -f "$STATE_DIR/patroni.env" && ! -f "$STATE_DIR/basedir" ]]; then
        note "no Patroni cluster recorded in $STATE_DIR, nothing to stop"
        return 0
    fi
    destroy_recorded_cluster
}

cmd_status() {
    load_env
    patronictl -c "$BASEDIR/${INITIAL_MEMBERS[0]}.yml" list 2>&1 ||
        patronictl -c "$BASEDIR/$(member_names | head -n 1).yml" list 2>&1 || true
    local name state
    while read -r name; do
        if pid_alive "$BASEDIR/$name.pid"; then state=running; else state=stopped; fi
        echo "$name $(member_pg_port "$name") $(member_rest_url "$name") $state"
    done < <(member_names)
}

cmd_switchover() {
    local candidate=${1:-} leader deadline t0=$SECONDS
    load_env
    leader=$(current_leader) || die "no member answers GET /cluster"
    [[ -n "$leader" ]] || die "the cluster has no leader"
    if [[ -z "$candidate" ]]; then
        candidate=$(cluster_json | members_from_json |
            awk -v l="$leader" '$1 != l && $3 ~ /running|streaming/ { print $1; exit }')
        [[ -n "$candidate" ]] || die "no running replica to switch over to"
    fi
    [[ "$candidate" != "$leader" ]] || die "$candidate already is the leader"
    member_ports "$candidate" >/dev/null
    patronictl -c "$BASEDIR/$leader.yml" switchover "$SCOPE" --leader "$leader" \
        --candidate "$candidate" --force >"$BASEDIR/switchover.log" 2>&1 || {
        cat "$BASEDIR/switchover.log" >&2
        die "patronictl switchover failed"
    }
    # patronictl returns once Patroni accepted it; wait until the candidate leads.
    wait_rest "$candidate" /primary "the leader"
    deadline=$((SECONDS + MEMBER_TIMEOUT))
    until [[ "$(current_leader || true)" == "$candidate" ]]; do
        ((SECONDS < deadline)) || die "/cluster does not show $candidate as the leader"
        sleep 0.2
    done
    note "switchover $leader -> $candidate in $((SECONDS - t0))s"
    echo "$candidate"
}

cmd_kill_leader() {
    local leader
    load_env
    leader=$(current_leader) || die "no member answers GET /cluster"
    [[ -n "$leader" ]] || die "the cluster has no leader"
    # Patroni first, so that it cannot restart its PostgreSQL.
    stop_pidfile "$BASEDIR/$leader.pid" KILL 10
    kill_postgres "$leader"
    note "killed $leader (Patroni and PostgreSQL)"
    echo "$leader"
}

cmd_start_member() {
    local name=$1
    load_env
    member_ports "$name" >/dev/null
    start_patroni "$name"
    wait_rest "$name" /health "running"
}

cmd_add_member() {
    local name=${1:-} i
    load_env
    if [[ -z "$name" ]]; then
        for ((i = 0; ; i++)); do
            [[ -e "$BASEDIR/members/m$i" || -e "$BASEDIR/m$i" ]] || break
        done
        name=m$i
    fi
    [[ "$name" =~ ^[a-z][a-z0-9]*$ ]] || die "member names are lower-case letters and digits: '$name'"
    [[ ! -e "$BASEDIR/members/$name" ]] || die "member $name already exists"
    # A removed member's directory is gone; a name is never reused while its data lives.
    [[ ! -e "$BASEDIR/$name" ]] || die "$BASEDIR/$name is in the way"
    create_member "$name"
    wait_streaming "$name"
    write_env
    note "added $name on $(member_pg_port "$name"), REST $(member_rest_url "$name")"
    echo "$name"
}

cmd_remove_member() {
    local name=$1 deadline
    load_env
    member_ports "$name" >/dev/null
    [[ "$(current_leader || true)" != "$name" ]] || die "$name is the leader: switch over first"
    stop_pidfile "$BASEDIR/$name.pid" TERM 60
    kill_postgres "$name" # in case Patroni was killed before and left it behind
    # Patroni deletes its member key on a clean shutdown; wait until /cluster agrees.
    rm -f -- "$BASEDIR/members/$name"
    deadline=$((SECONDS + 30))
    while cluster_json | members_from_json | awk '{ print $1 }' | grep -qx "$name"; do
        ((SECONDS < deadline)) || die "$name is still listed by /cluster after 30s"
        sleep 0.2
    done
    rm -rf -- "${BASEDIR:?}/$name" "$BASEDIR/$name.yml"
    write_env
    note "removed $name"
}

cmd_set_tag() {
    local name=$1 tag=$2 value=$3 deadline config
    load_env
    member_ports "$name" >/dev/null
    [[ "$tag" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad tag name '$tag'"
    [[ "$value" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad tag value '$value' (letters, digits, _ . -)"
    config=$BASEDIR/$name.yml
    # Tags are the last section of the file (see write_member_config).
    if grep -q "^  $tag:" "$config"; then
        as_server sed -i "s/^  $tag:.*/  $tag: $value/" "$config"
    else
        echo "  $tag: $value" | as_server tee -a "$config" >/dev/null
    fi
    patronictl -c "$config" reload "$SCOPE" "$name" --force >"$BASEDIR/reload.log" 2>&1 || {
        cat "$BASEDIR/reload.log" >&2
        die "patronictl reload failed"
    }
    # Done when /cluster reports the new value: that is what QPSQLHA reads. Patroni leaves
    # false tags out.
    deadline=$((SECONDS + 30))
    until cluster_json | /usr/bin/python3 -c '
import json, sys, yaml
name, tag, want = sys.argv[1], sys.argv[2], yaml.safe_load(sys.argv[3])
for m in json.load(sys.stdin).get("members", []):
    if m.get("name") == name:
        tags = m.get("tags", {})
        sys.exit(0 if tags.get(tag) == want or (want is False and tag not in tags) else 1)
sys.exit(1)' "$name" "$tag" "$value" 2>/dev/null; do
        ((SECONDS < deadline)) || die "/cluster does not show tag $tag=$value on $name after 30s"
        sleep 0.2
    done
    note "$name: tags.$tag = $value"
}

cmd_psql() {
    local name=$1
    shift
    load_env
    PGPASSWORD=$PASSWORD exec "$BINDIR/psql" -X -h "$HOST" -p "$(member_pg_port "$name")" \
        -U "$TEST_USER" -d "$DATABASE" "$@"
}

# --- main --------------------------------------------------------------------------------------

(($# >= 2)) || usage
COMMAND=$1
STATE_DIR=$2
shift 2
[[ -n "$STATE_DIR" ]] || usage
if [[ "$COMMAND" != start && -d "$STATE_DIR" ]]; then
    STATE_DIR=$(cd "$STATE_DIR" && pwd)
fi

case "$COMMAND" in
start)
    (($# == 0)) || usage
    cmd_start
    ;;
stop)
    (($# == 0)) || usage
    cmd_stop
    ;;
status)
    (($# == 0)) || usage
    cmd_status
    ;;
env)
    (($# == 0)) || usage
    load_env
    cat "$STATE_DIR/patroni.env"
    ;;
switchover)
    (($# <= 1)) || usage
    cmd_switchover "$@"
    ;;
kill-leader)
    (($# == 0)) || usage
    cmd_kill_leader
    ;;
start-member)
    (($# == 1)) || usage
    cmd_start_member "$@"
    ;;
add-member)
    (($# <= 1)) || usage
    cmd_add_member "$@"
    ;;
remove-member)
    (($# == 1)) || usage
    cmd_remove_member "$@"
    ;;
set-tag)
    (($# == 3)) || usage
    cmd_set_tag "$@"
    ;;
psql)
    (($# >= 1)) || usage
    cmd_psql "$@"
    ;;
*) usage ;;
esac
