#!/usr/bin/env bash
# Installs peer NMT tools into a Python virtual environment in .peers/ (git-ignored), for
# side-by-side comparisons with tinynmt. Peers are NEVER dependencies of tinynmt itself: the
# build, the unit tests and CI pass without them, and the tests that use one skip (exit 77)
# when it is missing.
#
#   scripts/install_peers.sh                 # every peer below
#   scripts/install_peers.sh ctranslate2     # only the named ones
#
# Peers: ctranslate2 (4.x, for `tinynmt export --format ctranslate2`), joeynmt, eflomal,
# sacrebleu. Uses `python3` on PATH (override with PYTHON=...). Idempotent: the venv is made
# once, and a peer whose module already imports is not installed again.
# TINYNMT_PEERS names another venv folder.
# After it: .peers/bin/python is the interpreter tinynmt uses for peers (override with
# TINYNMT_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(ctranslate2 joeynmt eflomal sacrebleu)
peers=("$@")
[ ${#peers[@]} -gt 0 ] || peers=("${ALL[@]}")

# pip requirement and import name of each peer.
requirement() {
  case "$1" in
    ctranslate2) echo "ctranslate2>=4,<5 sentencepiece" ;;  # sentencepiece: tokenizing for it
    # joeynmt 2.3 imports importlib_metadata without declaring it, and calls
    # SentencePieceProcessor.SetVocabulary, which sentencepiece 0.2.3 no longer has.
    joeynmt) echo "joeynmt importlib_metadata sentencepiece<0.2.1" ;;
    eflomal) echo "eflomal" ;;
    sacrebleu) echo "sacrebleu" ;;
    *) return 1 ;;
  esac
}
module() {
  case "$1" in
    ctranslate2) echo "ctranslate2, sentencepiece" ;;
    joeynmt) echo "joeynmt.helpers" ;;  # imports what `import joeynmt` alone does not
    *) echo "$1" ;;
  esac
}

for p in "${peers[@]}"; do
  requirement "$p" >/dev/null ||
    { echo "install_peers.sh: unknown peer '$p' (choices: ${ALL[*]})" >&2; exit 2; }
done

venv=${TINYNMT_PEERS:-.peers}  # another folder for the venv, e.g. outside the repository
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  echo "install_peers.sh: creating $venv with $($python --version 2>&1)"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
for p in "${peers[@]}"; do
  if "$venv/bin/python" -c "import $(module "$p")" 2>/dev/null; then
    echo "install_peers.sh: $p already installed"
    continue
  fi
  echo "install_peers.sh: installing $(requirement "$p")"
  # shellcheck disable=SC2046  # one requirement may name several packages
  "$venv/bin/python" -m pip install --quiet $(requirement "$p")
done
echo "install_peers.sh: done; interpreter: $venv/bin/python"
