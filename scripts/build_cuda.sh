#!/usr/bin/env bash
# Builds tinynmt against a CUDA LibTorch 2.x (e.g. the one bundled with a machine's Python torch)
# on a machine without internet, with the other C++ libraries brought as Debian packages.
#
#   On a machine with Debian's apt (this repository's dev machine):
#     scripts/build_cuda.sh fetch            # downloads the .debs into .deps/debs (git-ignored)
#   On the GPU machine (the folder .deps travels with the working tree):
#     scripts/build_cuda.sh build            # unpacks them into .deps/prefix, builds build-cuda/
#     build-cuda/tinynmt train configs/multi30k_de_en_transformer.yaml --device cuda
#
# Status: not yet run on a GPU machine (none has been lent so far). scripts/build_torch2.sh is the
# line CI builds and tests; this script is for a GPU machine without internet.
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS=.deps
PKGS=(libsentencepiece-dev libsentencepiece0 libfmt-dev libfmt9 libspdlog-dev libspdlog1.10
      libyaml-cpp-dev libyaml-cpp0.7 libcli11-dev nlohmann-json3-dev libgtest-dev)

case "${1:-}" in
  fetch)
    mkdir -p "$DEPS/debs"
    (cd "$DEPS/debs" && apt-get download "${PKGS[@]}")
    ls -1 "$DEPS/debs"
    ;;
  build)
    prefix="$PWD/$DEPS/prefix"
    mkdir -p "$prefix"
    for f in "$DEPS"/debs/*.deb; do dpkg -x "$f" "$prefix"; done
    torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
    libdir="$prefix/usr/lib/x86_64-linux-gnu"
    export PKG_CONFIG_PATH="$libdir/pkgconfig:${PKG_CONFIG_PATH:-}"
    export LD_LIBRARY_PATH="$libdir:${LD_LIBRARY_PATH:-}"
    # cairo is taken from the machine when present (heatmaps); pkg-config must find it.
    cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr;$libdir/cmake;$prefix/usr/share/cmake" \
      -DCMAKE_CXX_FLAGS="-I$prefix/usr/include" -DTINYNMT_BUILD_TESTS=ON
    cmake --build build-cuda --parallel "$(nproc)"
    echo "built build-cuda/tinynmt; run with LD_LIBRARY_PATH=$libdir"
    ;;
  *)
    echo "usage: scripts/build_cuda.sh fetch|build" >&2
    exit 2
    ;;
esac
