#!/usr/bin/env bash
# Installs what QPSQLHA needs to build and test on Debian bookworm; does nothing if it is all
# there already. Uses sudo when not run as root.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    qt6-base-dev qt6-base-private-dev libqt6sql6-psql libpq-dev
    postgresql-common openssl
    patroni etcd-server etcd-client curl
    xvfb xauth
    # The package test (cpack -G DEB, dpkg-shlibdeps, man pages) and the metrics test's
    # strict OpenMetrics parser.
    dpkg-dev file help2man python3-prometheus-client
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
# The server binaries, whatever the version (the tests find /usr/lib/postgresql/<version>/bin).
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}"
# The tests start clusters of their own; Debian's default cluster on port 5432 is not needed.
"${sudo[@]}" mkdir -p /etc/postgresql-common
if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
    echo "create_main_cluster = false" | "${sudo[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
