#!/usr/bin/env bash
# The LibTorch 2.x line: builds tinynmt (and its tests) against the LibTorch inside the `torch`
# wheel from the Python package registry, a CUDA build that also runs on a CPU-only machine.
#
#   scripts/build_torch2.sh          # installs torch into .torch2/ (a venv), builds build-torch2/
#   build-torch2/tinynmt --version   # LibTorch 2.14.1, CUDA compiled in
#
# The version is pinned: torch 2.14.1 is the newest wheel built with CUDA 13.0 (cuda-toolkit
# 13.0.3), the toolkit this project's machines have (nvcc 13.0); 2.15 moved to CUDA 13.2, and
# 2.10 and older use CUDA 12. The other C++ libraries come from Debian (scripts/install_deps.sh).
# Environment: TINYNMT_TORCH2_VENV (default .torch2), TINYNMT_TORCH2_BUILD (default build-torch2).
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH2_VERSION=2.14.1
VENV=${TINYNMT_TORCH2_VENV:-.torch2}
BUILD=${TINYNMT_TORCH2_BUILD:-build-torch2}

bash scripts/install_deps.sh
source scripts/lib/disk_space.sh
have_torch() {
  "$VENV/bin/python" -c "import sys, torch; sys.exit(torch.__version__.split('+')[0] != '$TORCH2_VERSION')" \
    2>/dev/null
}
if ! have_torch; then
  # 6 GiB installed, and its wheels unpacked in the temporary folder on the way.
  need_disk 9 "$VENV" "installing torch $TORCH2_VERSION into $VENV"
  need_disk 3 "${TMPDIR:-/tmp}" "unpacking the torch wheels"
  echo "build_torch2: installing torch==$TORCH2_VERSION into $VENV (about 6 GB with its CUDA libraries)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "torch==$TORCH2_VERSION"
  have_torch || { echo "build_torch2: torch $TORCH2_VERSION did not install into $VENV" >&2; exit 1; }
fi
prefix=$("$VENV/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYNMT_BUILD_TESTS=ON \
  -DCMAKE_PREFIX_PATH="$prefix"
cmake --build "$BUILD" --parallel "$(nproc)"
