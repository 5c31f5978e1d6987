#!/usr/bin/env bash
# Helpers shared by qpsqlha-testcluster and tests/cluster/patronicluster.sh (sourced, not run): who runs the servers
# and which ports to draw from. Each script keeps what differs (binary lookup, port checks).

# Who runs the server: postgres (and Patroni) refuse to run as root, so root hands it to the
# `postgres` user.
default_server_user() {
    if [[ $EUID -eq 0 ]]; then
        id -u postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user"
        echo postgres
    else
        id -un
    fi
}

# Runs a server-side command as SERVER_USER. From / because the server user may not be able to
# enter our working directory, and pg_ctl/initdb chdir-check it.
as_server() {
    if [[ $EUID -eq 0 && "$SERVER_USER" != root ]]; then
        (cd / && runuser -u "$SERVER_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

# Port range to draw from. Below the kernel's ephemeral range when there is room, so that a
# client socket of some unrelated program cannot grab the port of a node that a test has stopped
# and wants to start again on the same port.
port_range() {
    local lo=20000 hi=60000 eph_lo _
    if read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null; then
        if ((eph_lo - 1 - lo >= 2000)); then
            hi=$((eph_lo - 1))
        fi
    fi
    echo "$lo $hi"
}
