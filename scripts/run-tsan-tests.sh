#!/usr/bin/env bash
# Builds QPSQLHA with ThreadSanitizer (-DQPSQLHA_SANITIZE=thread) and runs the tests that use
# threads under it: any data race, lock-order inversion or thread leak reported in our code fails
# the test (halt_on_error). Debian's Qt, libpq and OpenSSL are not instrumented; the few reports
# that are entirely theirs are suppressed, each with its reason, in tests/tsan.supp.
# Usage: scripts/run-tsan-tests.sh [BUILD_DIR] [CTEST_REGEX]   (default: build-tsan, see below)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-tsan}
# Every test that runs statements or node state changes from more than one thread: the control
# server (its own thread), the C++ API from several threads, reads on several threads while
# readers die, the health checker's thread against the routing of the test's thread, and the
# fault suite when there is one.
tests=${2:-'^(tst_controlserver|tst_watchdog|tst_clusterstate|tst_api|tst_failover|tst_routing|tst_open|tst_topology|tst_hungnodes|tst_sessionstate|faults_.*)$'}

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQPSQLHA_SANITIZE=thread \
    -DQPSQLHA_BUILD_MONITOR=OFF -DQPSQLHA_BUILD_EXAMPLES=OFF >/dev/null
# Only what those tests need (CI time): their executables and the plugin they load.
# Test names are executables, except the fault suite's cases (faults_<case>, all in tst_faults).
mapfile -t targets < <(ctest --test-dir "$build" -N -R "$tests" | sed -n 's/^ *Test *#[0-9]*: //p' \
    | grep -v '^pgcluster_' | sed 's/^faults_.*/tst_faults/' | sort -u)
cmake --build "$build" --target qsqlpsqlha "${targets[@]}"
# Qt, glib, libpq and OpenSSL are not instrumented: TSan sees none of their memory accesses, and
# ignore_noninstrumented_modules also keeps it from judging the accesses its interceptors make
# for them (write(), free() ... called from inside those libraries), which it cannot relate to
# their own locking. Every access made by our code is still checked. QT_NO_GLIB: Qt's own event
# dispatcher instead of glib's, whose thread wake-ups TSan would see half of.
# die_after_fork=0: QProcess (the tests run qpsqlha-testcluster) forks a threaded process and the child
# only exec()s. second_deadlock_stack: both stacks of a lock-order inversion. history_size:
# longer memory of old accesses, so that a race report has both stacks even in long tests.
export QT_NO_GLIB=1
export TSAN_OPTIONS="halt_on_error=1:ignore_noninstrumented_modules=1:die_after_fork=0:second_deadlock_stack=1:history_size=4:suppressions=$root/tests/tsan.supp"
ctest --test-dir "$build" --output-on-failure --timeout 900 -R "$tests"
