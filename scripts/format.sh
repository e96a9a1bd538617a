#!/usr/bin/env bash
# Formats the C++ sources with the repository's .clang-format (Google base, 100 columns).
#   scripts/format.sh           rewrites the files that are not formatted, in place
#   scripts/format.sh --check   changes nothing; lists each file that is not formatted and exits 1
# Uses clang-format 14 (Debian 12's `clang-format`); another version may format a few constructs
# differently, so the check names the version it ran.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format.sh: clang-format not found (apt install clang-format)"; exit 2; }
mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.h' 'models/*.cpp' 'models/*.h' 'tests/*.cpp' 'tests/*.h')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
      echo "format.sh: $f is not formatted (run scripts/format.sh)"
      bad=1
    fi
  done
  if [ "$bad" -ne 0 ]; then
    echo "format.sh: $(clang-format --version | head -1)"
    exit 1
  fi
  echo "format.sh: ${#files[@]} files formatted"
else
  # Only the files that change: `clang-format -i` rewrites (and re-dates) every file it is given,
  # which makes the next build recompile everything.
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || { clang-format -i "$f"; echo "format.sh: formatted $f"; }
  done
fi
