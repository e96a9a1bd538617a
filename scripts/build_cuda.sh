#!/usr/bin/env bash
# Builds tinynmt against a CUDA LibTorch 2.x (the one bundled with a machine's Python torch) on a
# machine without internet, with the other C++ libraries brought as Debian packages.
#
#   On a machine with Debian's apt (this repository's dev machine):
#     scripts/build_cuda.sh fetch            # downloads the .debs into .deps/debs (git-ignored)
#   On the GPU machine (the folder .deps travels with the working tree):
#     scripts/build_cuda.sh build [TARGET]   # unpacks them into .deps/prefix, builds build-cuda/
#     LD_LIBRARY_PATH=.deps/prefix/usr/lib/x86_64-linux-gnu \
#       build-cuda/tinynmt train configs/multi30k_de_en_transformer.yaml --device cuda
#
# The packages are unpacked, not installed: nothing outside .deps changes. pkg-config is not
# needed (CMake finds SentencePiece and cairo in .deps/prefix directly). `-include cstdint`:
# Debian 12's library headers predate GCC 13, whose standard headers stopped including
# <cstdint> along the way (a GPU machine's compiler may be newer than Debian's). scripts/gpu_check.sh
# drives this on a lent GPU machine. Environment: PYTHON (default python3, the one with torch).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEPS=.deps
PKGS=(libsentencepiece-dev libsentencepiece0 libfmt-dev libfmt9 libspdlog-dev libspdlog1.10
      libyaml-cpp-dev libyaml-cpp0.7 libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev
      libcairo2-dev libcairo2 libpixman-1-0 libfontconfig1 libfreetype6 libpng16-16 libx11-6
      libxcb-render0 libxcb-shm0 libxcb1 libxext6 libxrender1 libxau6 libxdmcp6 libbsd0 libmd0
      libexpat1 libbrotli1 fontconfig-config)
prefix="$PWD/$DEPS/prefix"
libdir="$prefix/usr/lib/x86_64-linux-gnu"

case "${1:-}" in
  fetch)
    mkdir -p "$DEPS/debs"
    (cd "$DEPS/debs" && apt-get download "${PKGS[@]}")
    du -sh "$DEPS/debs"
    ;;
  build)
    target=${2:-all}
    if [[ ! -d "$prefix/usr" ]]; then
      mkdir -p "$prefix"
      for f in "$DEPS"/debs/*.deb; do dpkg -x "$f" "$prefix"; done
    fi
    torch_prefix=$(env -u LD_LIBRARY_PATH "${PYTHON:-python3}" -c 'import torch; print(torch.utils.cmake_prefix_path)')
    export LD_LIBRARY_PATH="$libdir:${LD_LIBRARY_PATH:-}"  # the linker follows it for cairo's needs
    cmake -S . -B "${BUILD:-build-cuda}" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYNMT_BUILD_TESTS=ON \
      -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DCMAKE_CXX_FLAGS="-include cstdint" \
      -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr;$libdir/cmake;$prefix/usr/share/cmake"
    [[ "${CONFIGURE_ONLY:-0}" == 1 ]] && exit 0
    cmake --build "${BUILD:-build-cuda}" --parallel "$(nproc)" --target "$target"
    echo "built build-cuda ($target); run with LD_LIBRARY_PATH=$libdir"
    ;;
  *)
    echo "usage: scripts/build_cuda.sh fetch|build [TARGET]" >&2
    exit 2
    ;;
esac
