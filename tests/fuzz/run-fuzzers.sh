#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang, AddressSanitizer and UndefinedBehaviorSanitizer,
# and runs each one for SECONDS (default 60) from the seed corpus in tests/fuzz/corpus.
# A crash, a hang (over 10 s on one input) or a sanitizer report fails the run; the input that
# did it is left in the work directory printed at the end.
# Usage: tests/fuzz/run-fuzzers.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
# Absolute: the harnesses run from their work directory.
build=$(realpath -m "${2:-$root/build-fuzz}")

bash "$root/scripts/install-deps.sh"
# clang (with libFuzzer's runtime) is only needed here, so it is installed here.
if ! command -v clang++ >/dev/null; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "run-fuzzers: installing clang"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        clang >/dev/null
fi
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQPSQLHA_BUILD_FUZZERS=ON -DQPSQLHA_SANITIZE=ON -DQPSQLHA_BUILD_MONITOR=OFF \
    -DQPSQLHA_BUILD_TESTS=OFF -DQPSQLHA_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target fuzz_classifier fuzz_connectoptions fuzz_controlprotocol \
    fuzz_patronitopology

work=$(mktemp -d /tmp/qpsqlha-fuzz.XXXXXX)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for harness in classifier connectoptions controlprotocol patronitopology; do
    # libFuzzer writes new inputs into the first corpus directory: keep the seeds untouched.
    mkdir -p "$work/$harness"
    echo "run-fuzzers: fuzz_$harness for ${seconds}s"
    if ! (cd "$work" && "$build/bin/fuzz_$harness" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 "$work/$harness" \
            "$root/tests/fuzz/corpus/$harness" >"$work/$harness.log" 2>&1); then
        echo "run-fuzzers: fuzz_$harness FAILED; see $work/$harness.log:" >&2
        tail -40 "$work/$harness.log" >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|Done" "$work/$harness.log" | tail -2
    fi
done
[ $status -eq 0 ] && rm -rf "$work"
exit $status
