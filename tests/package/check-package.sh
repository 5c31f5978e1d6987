#!/usr/bin/env bash
# The Debian package end to end: `cpack -G DEB` from the build tree, the file list and the
# declared dependencies of the .deb, then the examples (a project of their own, examples/, with
# find_package(QPsqlHa) and plain QSqlDatabase code) built against the unpacked package
# (`dpkg -x` into a scratch root: the machine's own Qt is left alone) and run against the test
# cluster with the unpacked plugin. In two steps, so that only the second holds the test cluster:
#   check-package.sh build BUILD_DIR WORK_DIR    package, checks, examples built (no cluster)
#   check-package.sh run WORK_DIR CLUSTER_STATE_DIR   the examples against the test cluster
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root_src=$(cd "$here/../.." && pwd)
fail() { echo "check-package: $*" >&2; exit 1; }
plugins=$(qtpaths6 --query QT_INSTALL_PLUGINS)
libdir=$(dirname "$(qtpaths6 --query QT_INSTALL_LIBS)/x")

if [ "${1:-}" = run ]; then
    work=$2
    state=$3
    [ -x "$work/examples/threads/qpsqlha-example-threads" ] || fail "run the build step first"
    # The unpacked root is not where the loader and Qt look: point them there.
    export LD_LIBRARY_PATH=$work/root$libdir
    export QT_PLUGIN_PATH=$work/root$plugins
    export QT_QPA_PLATFORM=offscreen
    eval "$(bash "$work/root/usr/bin/qpsqlha-testcluster" env "$state")"
    "$work/examples/threads/qpsqlha-example-threads" 4 50
    "$work/examples/tablemodel/qpsqlha-example-tablemodel" --selftest
    echo "check-package: the examples built against the package passed"
    rm -rf "$work"
    exit 0
fi
[ "${1:-}" = build ] || fail "usage: check-package.sh build BUILD_DIR WORK_DIR | run WORK_DIR STATE_DIR"
build=$(cd "$2" && pwd)
work=$3
rm -rf "$work"
mkdir -p "$work"

for tool in cpack dpkg-deb dpkg-shlibdeps qtpaths6; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done

# --- build the package
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(find "$work/out" -maxdepth 1 -name 'qpsqlha_*.deb' | head -n 1)
[ -n "$deb" ] || fail "no qpsqlha_*.deb in $work/out"
echo "check-package: $(basename "$deb"), $(du -k "$deb" | cut -f1) kB"

# --- file list: the plugin where this machine's Qt looks for SQL drivers (so no
# QT_PLUGIN_PATH is needed once installed), and everything else users need.
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$work/files"
expect=(
    "$plugins/sqldrivers/libqsqlpsqlha.so"
    "$libdir/libqpsqlhacore.so.0"
    "$libdir/libqpsqlhacontrol.so.0"
    /usr/include/qpsqlha/qpsqlhaapi.h
    /usr/include/qpsqlha/qpsqlha.h
    /usr/include/qpsqlha/qpsqlhatestcluster.h
    "$libdir/cmake/QPsqlHa/QPsqlHaConfig.cmake"
    "$libdir/cmake/QPsqlHa/QPsqlHaTargets.cmake"
    "$libdir/cmake/QPsqlHa/QPsqlHaTesting.cmake"
    /usr/bin/qpsqlha-ctl
    /usr/bin/qpsqlha-monitor
    /usr/bin/qpsqlha-testcluster
    /usr/share/qpsqlha/lib-cluster.sh
    /usr/share/applications/qpsqlha-monitor.desktop
    /usr/share/icons/hicolor/scalable/apps/qpsqlha-monitor.svg
    /usr/share/man/man1/qpsqlha-ctl.1.gz
    /usr/share/man/man1/qpsqlha-monitor.1.gz
)
for file in "${expect[@]}"; do
    grep -qxF "$file" "$work/files" || { cat "$work/files" >&2; fail "$file is not in the package"; }
done
# Nothing of the build tree or of the tests.
! grep -E '/tst_|/bench_|/fuzz_|/build/' "$work/files" || fail "test or build files in the package"

# --- declared dependencies: the shared libraries the binaries link, and the QPSQL driver the
# plugin loads at run time.
depends=$(dpkg-deb -f "$deb" Depends)
echo "check-package: Depends: $depends"
for dependency in libqt6sql6-psql libqt6core6 libqt6sql6 libpq5 libqt6widgets6 libc6; do
    [[ ",$depends," =~ [,\ ]$dependency[\ ,\(] ]] || fail "Depends lacks $dependency"
done

# --- the man pages are the tools' help
dpkg -x "$deb" "$work/root"
zcat "$work/root/usr/share/man/man1/qpsqlha-ctl.1.gz" >"$work/qpsqlha-ctl.1"
grep -q 'offline CLUSTER HOST:PORT' "$work/qpsqlha-ctl.1" ||
    fail "qpsqlha-ctl.1 does not have the tool's --help"

# --- the examples as a separate project against the unpacked package
cmake -S "$root_src/examples" -B "$work/examples" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$work/root/usr" >"$work/examples.log" 2>&1 &&
    cmake --build "$work/examples" >>"$work/examples.log" 2>&1 ||
    { cat "$work/examples.log" >&2; fail "the examples did not build against the package"; }
grep -q "$work/root/usr/$(realpath --relative-to=/usr "$libdir")/cmake/QPsqlHa" \
    "$work/examples/CMakeCache.txt" || fail "the examples did not find the unpacked QPsqlHa"

echo "check-package: package built and checked, examples built against it"
