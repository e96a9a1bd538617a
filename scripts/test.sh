#!/usr/bin/env bash
# The README's test command: install dependencies, configure a Release build in build/, build,
# run the test suite. Extra arguments go to ctest.
#
#   scripts/test.sh            # the Debian line: LibTorch 1.13 (CPU) from Debian's packages
#   scripts/test.sh --torch2   # the same suite on the LibTorch 2.x line (scripts/build_torch2.sh,
#                              # build-torch2/), on the CPU; its GPU tests are skipped without a GPU
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--torch2" ]; then
  shift
  bash scripts/build_torch2.sh
  cd "${TINYNMT_TORCH2_BUILD:-build-torch2}"
  exec ctest --output-on-failure --timeout 900 --parallel 1 "$@"
fi
bash scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYNMT_BUILD_TESTS=ON
cmake --build build --parallel "$(nproc)"
cd build
ctest --output-on-failure --timeout 900 --parallel 1 "$@"
