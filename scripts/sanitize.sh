#!/usr/bin/env bash
# The unit suite (build-*/tinynmt_tests) under a sanitizer, built with Debian's clang:
#
#   scripts/sanitize.sh address [GTEST_FILTER]   # AddressSanitizer + UndefinedBehaviorSanitizer
#                                                # (LeakSanitizer included), build-asan/
#   scripts/sanitize.sh thread  [GTEST_FILTER]   # ThreadSanitizer, build-tsan/
#   scripts/sanitize.sh address --build-only     # build, run nothing (scripts/fuzz.sh)
#
# tinynmt's own code is instrumented; LibTorch, OpenBLAS and the other libraries are Debian's.
# Findings inside those libraries are suppressed in scripts/sanitizers/*.supp, one reason per
# entry; a finding in tinynmt's code is never suppressed. The address build also holds the
# libFuzzer targets (scripts/fuzz.sh). What runs, what is left out and why: docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-}"
case "$kind" in
  address) build="${TINYNMT_ASAN_BUILD:-build-asan}"; extra=(-DTINYNMT_BUILD_FUZZERS=ON) ;;
  thread) build="${TINYNMT_TSAN_BUILD:-build-tsan}"; extra=() ;;
  *) echo "usage: scripts/sanitize.sh address|thread [GTEST_FILTER]" >&2; exit 2 ;;
esac
filter="${2:-*}"
build_only=0
[ "$filter" = --build-only ] && build_only=1
bash scripts/install_deps.sh clang libclang-rt-14-dev libomp-14-dev
mkdir -p "$build"
# -O1 (quicker to build, still fast under the sanitizer) and no -DNDEBUG: assertions stay on.
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DTINYNMT_BUILD_TESTS=ON -DTINYNMT_SANITIZE="$kind" "${extra[@]}" > "$build/configure.log" ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" --parallel "$(nproc)"
[ "$build_only" = 1 ] && exit 0

supp="$PWD/scripts/sanitizers"
# Tests that cannot run meaningfully under the sanitizer; each with its reason in
# scripts/sanitizers/skipped-<kind>.txt (`Suite.Test  # reason`).
skipped=$(awk '!/^#/ && NF {print $1}' "$supp/skipped-$kind.txt" | paste -sd: -)
gtest_filter="$filter${skipped:+-$skipped}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
if [ "$kind" = address ]; then
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
else
  # Our OpenMP regions run on LLVM's libomp (clang -fopenmp); its Archer tool tells TSan about
  # OpenMP's barriers and tasks, so races inside tinynmt's parallel kernels are reported.
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$supp/tsan.supp"
  archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | head -1)
  [ -n "$archer" ] && export OMP_TOOL_LIBRARIES="$archer"
fi
echo "sanitize: $kind, gtest filter: $gtest_filter"
start=$(date +%s)
"$build/tinynmt_tests" --gtest_filter="$gtest_filter" --gtest_brief=1
echo "sanitize: $kind suite clean in $(( $(date +%s) - start )) s"
