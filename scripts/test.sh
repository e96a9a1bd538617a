#!/usr/bin/env bash
# The README's test command: install dependencies, configure a Release build in build/, build,
# run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYNMT_BUILD_TESTS=ON
cmake --build build --parallel "$(nproc)"
cd build
ctest --output-on-failure --timeout 900 --parallel 1 "$@"
