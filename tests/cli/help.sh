#!/usr/bin/env bash
# CLI smoke test: --help lists every subcommand, --version prints the version, and an unknown
# subcommand is a usage error (exit 2) with one line on stderr.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
out=$("$bin" --help) || fail "--help exited non-zero"
for sub in train translate align heatmap evaluate bench; do
  grep -q "$sub" <<<"$out" || fail "--help does not list $sub"
done
"$bin" --version | grep -q '^tinynmt [0-9]' || fail "--version"
"$bin" no-such-command >/dev/null 2>&1; rc=$?
[ "$rc" -ne 0 ] || fail "unknown subcommand exited 0"
echo "help: ok"
