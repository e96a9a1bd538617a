#!/usr/bin/env bash
# Installs every Debian 12 package tinynmt needs. Idempotent: packages already present are skipped.
# Uses sudo when not run as root. Extra package names given as arguments are installed too (the
# sanitizer and fuzzing builds add clang and its runtimes: scripts/sanitize.sh, scripts/fuzz.sh).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev
  # c10d's ProcessGroupGloo headers (data-parallel training); the library is inside libtorch_cpu.
  libgloo-dev
  libsentencepiece-dev sentencepiece
  libfmt-dev libspdlog-dev libgtest-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  libcairo2-dev fonts-dejavu-core
  # Without an optimised BLAS, Debian's LibTorch falls back to reference BLAS and matrix
  # products run 15-28x slower.
  libopenblas0-openmp
  # The attention page's browser test: headless chromium driven through the DevTools protocol.
  chromium python3-websocket
  "$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
