#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds tests/install/consumer against it with
# find_package(QPsqlHa), and runs it against the test cluster with the installed plugin. Then
# the test-cluster kit as an application's tests use it: tests/install/testkit-consumer (the
# README's *Testing your application* example, checked to be the same text) built against the
# prefix, run by its own ctest (qpsqlha_add_cluster_fixture() starts and stops a cluster) and
# once more on its own (QPsqlHaTest::TestCluster starts a cluster of its own and deletes it).
# Usage: check-install.sh BUILD_DIR CLUSTER_ENV
set -euo pipefail
# A developer's shell may point the kit at some other cluster.
unset QPSQLHA_TEST_CLUSTER_DIR QPSQLHA_TEST_PORT QPSQLHA_TESTCLUSTER
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

# --- the test-cluster kit, as an application's tests use it
readme=$here/../../README.md
for file in CMakeLists.txt tst_app.cpp; do
    python3 - "$readme" "$here/testkit-consumer/$file" <<'PY' || { echo "check-install: README's example differs from testkit-consumer/$file" >&2; exit 1; }
import sys
readme, example = (open(path).read() for path in sys.argv[1:])
sys.exit(0 if example in readme else 1)
PY
done
for file in bin/qpsqlha-testcluster share/qpsqlha/lib-cluster.sh include/qpsqlha/qpsqlhatestcluster.h; do
    [ -f "$work/prefix/$file" ] || { echo "check-install: $file not installed" >&2; exit 1; }
done
cmake -S "$here/testkit-consumer" -B "$work/testkit" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/testkit" >/dev/null
export QT_PLUGIN_PATH LD_LIBRARY_PATH
QT_PLUGIN_PATH=$(dirname "$(dirname "$plugin")")
LD_LIBRARY_PATH=$libdir
ctest --test-dir "$work/testkit" --output-on-failure
ran=$(ctest --test-dir "$work/testkit" -N | sed -n 's/^Total Tests: //p')
[ "$ran" = 3 ] || { echo "check-install: expected dbcluster_start, tst_app, dbcluster_stop; got $ran tests" >&2; exit 1; }
[ ! -e "$work/testkit/dbcluster.testcluster/cluster.env" ] || {
    echo "check-install: the fixture's cluster was not stopped" >&2; exit 1; }

# On its own: no fixture, so TestCluster starts (and afterwards deletes) a cluster itself.
# Its state directory is a QTemporaryDir under TMPDIR, gone once the cluster is stopped.
mkdir "$work/tmp"
TMPDIR=$work/tmp "$work/testkit/tst_app"
[ -z "$(ls -A "$work/tmp")" ] || { echo "check-install: TestCluster left $(ls "$work/tmp") behind" >&2; exit 1; }
echo "check-install: consumer, kit fixture and kit RAII cluster all passed"
