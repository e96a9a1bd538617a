#!/usr/bin/env bash
# The README's test command: install dependencies, configure a Release build in build/, build,
# run the test suite.
#
#   scripts/test.sh            # the Debian line: LibTorch 1.13 (CPU) from Debian's packages
#   scripts/test.sh --torch2   # the same suite on the LibTorch 2.x line (scripts/build_torch2.sh,
#                              # build-torch2/), on the CPU; its GPU tests are skipped without a GPU
#   scripts/test.sh [--torch2] -R Beam   # extra arguments go to ctest, which runs what they
#                              # select, each test in a process of its own
#
# Without extra arguments the unit suite (tinynmt_tests) runs in one process, as
# scripts/sanitize.sh runs it: one process per test costs LibTorch's start-up every time (about
# 0.5 s of the 0.6 s most tests take through ctest). The script tests (tests/cli/, the browser
# test) then run through ctest. `ctest` in the build folder still runs everything one by one.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ "${1:-}" = "--torch2" ]; then
  shift
  bash scripts/build_torch2.sh
  build="${TINYNMT_TORCH2_BUILD:-build-torch2}"
else
  bash scripts/install_deps.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYNMT_BUILD_TESTS=ON
  cmake --build build --parallel "$(nproc)"
fi
if [ $# -gt 0 ]; then
  cd "$build"
  exec ctest --output-on-failure --timeout 900 --parallel 1 "$@"
fi
# The unit suite, from the repository root (ctest's working directory for it); a hang is stopped
# after 40 minutes.
start=$(date +%s)
timeout --signal=KILL 2400 "$build/tinynmt_tests" --gtest_brief=1
echo "test: unit suite passed in $(($(date +%s) - start)) s"
cd "$build"
# Every other test (tests/cli/, the browser test): all that does not carry the unit suite's label.
ctest --output-on-failure --timeout 900 --parallel 1 --label-exclude '^unit$'
