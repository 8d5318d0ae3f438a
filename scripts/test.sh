#!/usr/bin/env bash
# test.sh -- installs what is missing (scripts/setup.sh), builds, and runs the whole test suite
# with ctest: cmocka unit tests, fixture plugins, pytest integration tests against the real
# daemon, and the SDK's out-of-tree build.
#
#   scripts/test.sh          normal build in build/
#   scripts/test.sh asan     AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
#   scripts/test.sh tsan     ThreadSanitizer build in build-tsan/
#   scripts/test.sh fuzz     libFuzzer targets (clang, ASan+UBSan) for a bounded number of runs
#
# Extra arguments after the variant go to ctest (e.g. -R integration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

variant=${1:-normal}
shift || true
jobs=$(nproc)
case $variant in
  normal) dir=build;      opts=() ;;
  asan)   dir=build-asan; opts=(-DHOOKD_SANITIZE=asan) ;;
  tsan)   dir=build-tsan; opts=(-DHOOKD_SANITIZE=tsan) ;;
  fuzz)   dir=build-fuzz; opts=(-DHOOKD_SANITIZE=asan -DHOOKD_FUZZ=ON -DCMAKE_C_COMPILER=clang
                                -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: scripts/test.sh [normal|asan|tsan|fuzz] [ctest args...]" >&2; exit 2 ;;
esac

# Sanitizer reports fail the run: unit tests exit non-zero, and the integration harness fails
# a test whose daemon's log contains one.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$PWD/tests/tsan.supp:second_deadlock_stack=1}

cmake -S . -B "$dir" "${opts[@]}" >/dev/null
cmake --build "$dir" -j"$jobs"
label=()
[[ $variant == fuzz ]] && label=(-L fuzz)
ctest --test-dir "$dir" --output-on-failure -j"$jobs" "${label[@]}" "$@"
