#!/usr/bin/env bash
# Checks that #include "FOLDER/..." lines only run downward in the folder order of
# scripts/layers.txt: a file in src/A (or models/) may include headers of A and of folders below A,
# never of a folder above it. Prints each offending `file -> include` and exits 1; exits 0 when
# there is none. A folder under src/ that layers.txt does not list is an error too.
# Usage: scripts/check_includes.sh [REPO_ROOT]   (default: the repository holding this script)
set -euo pipefail
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
layers_file="$root/scripts/layers.txt"
[ -f "$layers_file" ] || { echo "error: $layers_file: no such file" >&2; exit 2; }
read -r -a layers <<<"$(grep -v '^[[:space:]]*#' "$layers_file" | tr '\n' ' ')"
[ "${#layers[@]}" -gt 0 ] || { echo "error: $layers_file lists no folders" >&2; exit 2; }

declare -A rank=()
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done

bad=0
include_re='#[[:space:]]*include[[:space:]]*'  # as in: #include "folder/file.h"
for dir in "$root"/src/*/; do
  name=$(basename "$dir")
  if [ -z "${rank[$name]+x}" ]; then
    echo "src/$name: folder not listed in scripts/layers.txt"
    bad=1
  fi
done

# Every "#include "X/..." line of src/ and models/: file, the including folder, the include.
while IFS=: read -r file include; do
  rel=${file#"$root"/}
  case "$rel" in
    src/*) from=$(cut -d/ -f2 <<<"$rel") ;;
    models/*) from=models ;;
  esac
  to=${include%%/*}
  [ -n "${rank[$to]+x}" ] || continue  # not a project folder (e.g. a library's own header)
  [ -n "${rank[$from]+x}" ] || continue  # reported above
  if [ "${rank[$to]}" -lt "${rank[$from]}" ]; then
    echo "$rel -> $include"
    bad=1
  fi
done < <(grep -rHoE --include='*.h' --include='*.cpp' "^[[:space:]]*$include_re\"[^\"/]+/[^\"]*\"" \
           "$root/src" "$root/models" | sed -E "s/:[[:space:]]*$include_re\"([^\"]*)\"\$/:\\1/")

if [ "$bad" -ne 0 ]; then
  echo "include direction: FAILED (order: ${layers[*]})"
  exit 1
fi
echo "include direction: ok (order: ${layers[*]})"
