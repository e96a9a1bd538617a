#!/usr/bin/env bash
# CLI test: `symmetrize` combines a forward and a reverse Pharaoh file (the reverse inverted on
# reading), scores with `evaluate --aer` (and --by-length); bad input is one error line and a
# non-zero exit.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Pair 1: forward 0-0 1-1; the reverse model (target->source) wrote 0-0 3-0 2-3, i.e. source-
# target 0-0 0-3 3-2 (the hand-worked case of tests/test_align.cpp). Pair 2: both agree on 0-1.
printf '0-0 1-1\n0-1\n' >"$tmp/fwd.align"
printf '0-0 3-0 2-3\n1-0\n' >"$tmp/rev.align"
"$bin" symmetrize --forward "$tmp/fwd.align" --reverse "$tmp/rev.align" --out "$tmp/gdfa.align" \
  2>"$tmp/log" || fail "symmetrize exited non-zero: $(cat "$tmp/log")"
[ "$(cat "$tmp/gdfa.align")" = "$(printf '0-0 1-1 3-2\n0-1')" ] || fail "gdfa: $(cat "$tmp/gdfa.align")"
"$bin" symmetrize --forward "$tmp/fwd.align" --reverse "$tmp/rev.align" --method intersection \
  --out "$tmp/int.align" 2>/dev/null || fail "intersection exited non-zero"
[ "$(cat "$tmp/int.align")" = "$(printf '0-0\n0-1')" ] || fail "intersection: $(cat "$tmp/int.align")"

# The symmetrised file scores with evaluate --aer (gold 1-based: S = 1-1 2-2 4-3; 1-2).
printf '1-1 2-2 4-3\n1-2\n' >"$tmp/gold.txt"
out=$("$bin" evaluate --aer --gold "$tmp/gold.txt" --one-based --pred "$tmp/gdfa.align") || fail "aer"
grep -q '^AER = 0.0000 ' <<<"$out" || fail "AER of the symmetrised links: $out"

# --by-length: per source-length bucket; the intersection misses two sure links of pair 1
# (4 words: AER 1 - 2/4 = 0.5) and none of pair 2 (10 words: AER 0).
printf 'a b c d\n1 2 3 4 5 6 7 8 9 10\n' >"$tmp/src.txt"
out=$("$bin" evaluate --aer --gold "$tmp/gold.txt" --one-based --pred "$tmp/int.align" \
  --by-length "$tmp/src.txt") || fail "aer --by-length"
grep -q '^source words   1-8:    1 sentences AER = 0.5000 ' <<<"$out" || fail "bucket 1-8: $out"
grep -q '^source words  9-16:    1 sentences AER = 0.0000 ' <<<"$out" || fail "bucket 9-16: $out"
[ "$(grep -c '^source words' <<<"$out")" -eq 2 ] || fail "empty buckets printed: $out"

# Errors: unknown method (usage, exit 2), line-count mismatch (exit 1), each one line.
err=$("$bin" symmetrize --forward "$tmp/fwd.align" --reverse "$tmp/rev.align" --method gdfa \
  --out "$tmp/x.align" 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] || fail "bad method: exit $rc"
grep -q "grow-diag-final-and" <<<"$err" || fail "bad method error does not list the choices: $err"
printf '0-0\n' >"$tmp/one.align"
err=$("$bin" symmetrize --forward "$tmp/fwd.align" --reverse "$tmp/one.align" --out "$tmp/x.align" \
  2>&1 >/dev/null); rc=$?
[ "$rc" -eq 1 ] || fail "mismatch: exit $rc"
[ "$(wc -l <<<"$err")" -eq 1 ] || fail "mismatch: more than one error line: $err"
grep -q "one.align" <<<"$err" || fail "mismatch error does not name the file: $err"
echo "ok"
