#!/usr/bin/env bash
# The test-cluster kit as an application's tests use it: `cmake --install` into a scratch prefix,
# then tests/install/testkit-consumer (the README's *Testing your application* example, checked
# to be the same text) built against it with find_package(QPsqlHa), run by its own ctest
# (qpsqlha_add_cluster_fixture() starts and stops a cluster of one primary and one replica) and
# once more on its own (QPsqlHaTest::TestCluster starts a cluster itself and deletes it).
# Needs no running cluster: it makes its own.
# Usage: check-testkit.sh BUILD_DIR
set -euo pipefail
# A developer's shell may point the kit at some other cluster.
unset QPSQLHA_TEST_CLUSTER_DIR QPSQLHA_TEST_PORT QPSQLHA_TESTCLUSTER
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/qpsqlha-testkit.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-testkit: $*" >&2; exit 1; }

readme=$here/../../README.md
for file in CMakeLists.txt tst_app.cpp; do
    python3 - "$readme" "$here/testkit-consumer/$file" <<'PY' ||
import sys
readme, example = (open(path).read() for path in sys.argv[1:])
sys.exit(0 if example in readme else 1)
PY
        fail "the README's example differs from tests/install/testkit-consumer/$file"
done

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for file in bin/qpsqlha-testcluster share/qpsqlha/lib-cluster.sh include/qpsqlha/qpsqlhatestcluster.h; do
    [ -f "$work/prefix/$file" ] || fail "$file not installed"
done
plugin=$(find "$work/prefix" -name libqsqlpsqlha.so -path '*/sqldrivers/*' | head -n 1)
libdir=$(dirname "$(find "$work/prefix" -name 'libqpsqlhacore.so*' | head -n 1)")
export QT_PLUGIN_PATH LD_LIBRARY_PATH
QT_PLUGIN_PATH=$(dirname "$(dirname "$plugin")")
LD_LIBRARY_PATH=$libdir

cmake -S "$here/testkit-consumer" -B "$work/testkit" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/testkit" >/dev/null
ctest --test-dir "$work/testkit" --output-on-failure
ran=$(ctest --test-dir "$work/testkit" -N | sed -n 's/^Total Tests: //p')
[ "$ran" = 3 ] || fail "expected dbcluster_start, tst_app and dbcluster_stop; got $ran tests"
[ ! -e "$work/testkit/dbcluster.testcluster/cluster.env" ] || fail "the fixture's cluster was not stopped"

# On its own: no fixture, so TestCluster starts (and afterwards deletes) a cluster itself. Its
# state directory is a QTemporaryDir under TMPDIR, gone once the cluster is stopped.
mkdir "$work/tmp"
TMPDIR=$work/tmp "$work/testkit/tst_app"
[ -z "$(ls -A "$work/tmp")" ] || fail "TestCluster left $(ls "$work/tmp") behind"
echo "check-testkit: the kit's fixture and its RAII cluster both passed"
