#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds tests/install/consumer against it with
# find_package(QPsqlHa), and runs it against the test cluster with the installed plugin.
# Usage: check-install.sh BUILD_DIR CLUSTER_ENV
set -euo pipefail
build=$1
env_file=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/qpsqlha-install.XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
plugin=$(find "$work/prefix" -name libqsqlpsqlha.so -path '*/sqldrivers/*' | head -n 1)
[ -n "$plugin" ] || { echo "check-install: no plugin under $work/prefix" >&2; exit 1; }
[ -f "$(find "$work/prefix" -name QPsqlHaConfig.cmake | head -n 1)" ] || {
    echo "check-install: no QPsqlHaConfig.cmake installed" >&2; exit 1; }
[ -f "$(find "$work/prefix" -name qpsqlhaapi.h | head -n 1)" ] || {
    echo "check-install: headers not installed" >&2; exit 1; }

cmake -S "$here/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null

# shellcheck source=/dev/null
. "$env_file"
libdir=$(dirname "$(find "$work/prefix" -name 'libqpsqlhacore.so*' | head -n 1)")
PGPASSWORD=$PGHA_PASSWORD \
QPSQLHA_TEST_READERS="$PGHA_HOST:$PGHA_READER1_PORT,$PGHA_HOST:$PGHA_READER2_PORT" \
QT_PLUGIN_PATH=$(dirname "$(dirname "$plugin")") \
LD_LIBRARY_PATH=$libdir \
    "$work/consumer/consumer" "$PGHA_HOST" "$PGHA_PRIMARY_PORT" "$PGHA_DATABASE" "$PGHA_USER"
