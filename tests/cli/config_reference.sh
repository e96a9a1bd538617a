#!/usr/bin/env bash
# CLI test: docs/config.md is the current output of `tinynmt config --reference` (generated from
# the field table that parses configs), and every key the table knows appears in it.
# Regenerate: build/tinynmt config --reference > docs/config.md
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$bin" config --reference >"$tmp/config.md" || fail "config --reference exited non-zero"
grep -q '^| `training.max_steps` | integer | `0` |' "$tmp/config.md" \
  || fail "the reference has no row for training.max_steps with its default"
[ "$(grep -c '^| `' "$tmp/config.md")" -ge 60 ] || fail "the reference has fewer than 60 keys"
diff -u docs/config.md "$tmp/config.md" >"$tmp/diff" \
  || fail "docs/config.md is stale; regenerate it with: $bin config --reference > docs/config.md
$(head -20 "$tmp/diff")"
"$bin" config >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] || fail "config without --reference exited $rc, expected 2"
echo "config_reference: ok"
