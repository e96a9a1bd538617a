#!/usr/bin/env bash
# CLI test of scripts/align_corpus.sh on a toy task (the 2,000 toy training lines; the target is
# the source behind one extra word, so source word i translates to target word i + 1, and an
# alignment read the wrong way round would link i with i - 1; four models of 300 steps each,
# about a minute of one core): the output has one Pharaoh line per pair with every link inside
# its sentence; the first models' symmetrised links find most of the i-(i+1) pairs and the guided
# models' at least as many; GUIDED_SET reaches the guided models only; a second call with the
# same work folder trains nothing again and writes the same links; corpora of different lengths
# are refused in one line naming both files.
set -u
bin="$1"
source tests/cli/lib/toy_env.sh
run() {
  TINYNMT_BIN="$bin" CONFIG=configs/toy_copy.yaml WORK="$tmp/work" \
    SET="training.max_steps=300 training.validate_every=300 run.threads=1" \
    GUIDED_SET="training.guided_alignment.weight=0.5" \
    bash scripts/align_corpus.sh "$@"
}
awk '{ print "x " $0 }' "$d/train.src" >"$tmp/train.tgt"
run "$d/train.src" "$tmp/train.tgt" "$tmp/out.align" >"$tmp/log" 2>&1 || fail "exited non-zero: $(tail -5 "$tmp/log")"
[ "$(wc -l <"$tmp/out.align")" -eq "$(wc -l <"$d/train.src")" ] || fail "not one line per pair"
# every link i-j: 0 <= i < words of the source line, 0 <= j < words of the target line
bad=$(awk 'NR == FNR { ns[FNR] = NF; next } FILENAME == ARGV[2] { nt[FNR] = NF; next }
  { for (k = 1; k <= NF; k++) { if (split($k, p, "-") != 2 || p[1] < 0 || p[1] >= ns[FNR] ||
    p[2] < 0 || p[2] >= nt[FNR]) { print FNR ": " $k; exit } } }' \
  "$d/train.src" "$tmp/train.tgt" "$tmp/out.align")
[ -z "$bad" ] || fail "link outside its sentence at line $bad"
# links i-(i+1) found, as a share of the source words (the recall of the true alignment)
found() { awk -v words="$(wc -w <"$d/train.src")" '{ for (k = 1; k <= NF; k++) {
  split($k, p, "-"); d += p[2] == p[1] + 1 } } END { printf "%d", 100 * d / words }' "$1"; }
first=$(found "$tmp/work/first_links.align") final=$(found "$tmp/out.align")
[ "$first" -ge 60 ] || fail "first models' links find only $first% of the i-(i+1) pairs"
[ "$final" -ge 85 ] && [ "$final" -ge "$first" ] || fail "guided links find $final% (first $first%)"
grep -q 'done: .*out.align (2000 lines' "$tmp/log" || fail "no closing line: $(tail -2 "$tmp/log")"
# GUIDED_SET reaches the guided models and no other
weight() { sed -n '/guided_alignment:/,/weight:/s/^ *weight: *//p' "$tmp/work/$1/config.yaml"; }
[ "$(weight guided_fwd)" = 0.5 ] && [ "$(weight guided_rev)" = 0.5 ] || fail "GUIDED_SET not applied"
[ "$(weight first_fwd)" != 0.5 ] || fail "GUIDED_SET applied to a first model"
cp "$tmp/out.align" "$tmp/out1.align"
run "$d/train.src" "$tmp/train.tgt" "$tmp/out.align" >"$tmp/log2" 2>&1 || fail "second call: $(tail -5 "$tmp/log2")"
[ "$(grep -c 'trained before' "$tmp/log2")" -eq 4 ] || fail "second call trained again: $(cat "$tmp/log2")"
cmp -s "$tmp/out.align" "$tmp/out1.align" || fail "second call wrote other links"
head -5 "$d/train.tgt" >"$tmp/short.tgt"
run "$d/train.src" "$tmp/short.tgt" "$tmp/x.align" >/dev/null 2>"$tmp/err" && fail "a short TGT was accepted"
grep -q "short.tgt has 5 lines, but .*train.src has 2000" "$tmp/err" || fail "$(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "error is not one line: $(cat "$tmp/err")"
echo "align_corpus: ok (first models' links find ${first}% of the i-(i+1) pairs, guided ${final}%)"
