#!/usr/bin/env bash
# CLI test: `evaluate` prints BLEU/chrF with signatures and AER; `heatmap` renders a small
# attention JSONL to PNG/SVG/text; bad input is one error line naming the file and line.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- evaluate: BLEU and chrF ------------------------------------------------------------------
printf 'A man rides a horse .\nTwo dogs play in the snow .\n' >"$tmp/ref.txt"
cp "$tmp/ref.txt" "$tmp/hyp_same.txt"
out=$("$bin" evaluate --ref "$tmp/ref.txt" --hyp "$tmp/hyp_same.txt") || fail "evaluate exited non-zero"
grep -q '^BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 14 ref_len = 14)$' <<<"$out" \
  || fail "identical files: unexpected BLEU line: $out"
grep -q '^BLEU signature: nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:' <<<"$out" || fail "BLEU signature"
grep -q '^chrF2 = 100.00$' <<<"$out" || fail "chrF line: $out"
grep -q '^chrF2 signature: nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:' <<<"$out" || fail "chrF signature"

# A shorter hypothesis: BP < 1 and BLEU below 100.
printf 'A man rides a horse .\nTwo dogs play .\n' >"$tmp/hyp_short.txt"
out=$("$bin" evaluate --ref "$tmp/ref.txt" --hyp "$tmp/hyp_short.txt") || fail "evaluate (short) exited non-zero"
bleu=$(sed -n 's/^BLEU = \([0-9.]*\) .*/\1/p' <<<"$out")
[ -n "$bleu" ] || fail "no BLEU line: $out"
awk -v b="$bleu" 'BEGIN { exit !(b > 0 && b < 100) }' || fail "BLEU $bleu not in (0, 100)"
grep -q 'hyp_len = 11 ref_len = 14' <<<"$out" || fail "lengths: $out"

# Line-count mismatch: exit 1, one error line naming the file.
printf 'only one line\n' >"$tmp/hyp_one.txt"
err=$("$bin" evaluate --ref "$tmp/ref.txt" --hyp "$tmp/hyp_one.txt" 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 1 ] || fail "mismatch: exit $rc"
[ "$(wc -l <<<"$err")" -eq 1 ] || fail "mismatch: more than one error line: $err"
grep -q "hyp_one.txt" <<<"$err" || fail "mismatch error does not name the file: $err"

# --- evaluate --aer ---------------------------------------------------------------------------
# Gold (1-based): S = {1-1, 2-2}, P adds 2p3. Predictions (0-based): 0-0 1-2 2-2
# -> |A|=3 |S|=2 |A∩S|=1 |A∩P|=2 -> AER = 0.4, precision 0.6667, recall 0.5.
printf '1-1 2-2 2p3\n' >"$tmp/gold.txt"
printf '0-0 1-2 2-2\n' >"$tmp/pred.align"
out=$("$bin" evaluate --aer --gold "$tmp/gold.txt" --one-based --pred "$tmp/pred.align") || fail "aer exited non-zero"
grep -q '^AER = 0.4000 precision = 0.6667 recall = 0.5000$' <<<"$out" || fail "AER line: $out"
printf '0-0 1-x\n' >"$tmp/bad.align"
err=$("$bin" evaluate --aer --gold "$tmp/gold.txt" --one-based --pred "$tmp/bad.align" 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 1 ] || fail "bad pred: exit $rc"
grep -q "bad.align:1" <<<"$err" || fail "bad pred error does not name file:line: $err"

# --- heatmap ----------------------------------------------------------------------------------
cat >"$tmp/att.jsonl" <<'EOF'
{"index": 0, "model": "toy", "src_tokens": ["▁Ein", "▁Mäd", "chen", "</s>"], "tgt_tokens": ["▁A", "▁girl", "</s>"], "src_words": ["Ein", "Mädchen"], "tgt_words": ["A", "girl"], "src_word_of_token": [0, 1, 1, -1], "tgt_word_of_token": [0, 1, -1], "layers": 1, "heads": 2, "subword": [[[[0.8, 0.1, 0.05, 0.05], [0.1, 0.5, 0.3, 0.1], [0.1, 0.1, 0.1, 0.7]], [[0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]]]], "special_tokens": "EOS excluded at word level"}
EOF
"$bin" heatmap --attention "$tmp/att.jsonl" --sentence 0 --head 0 --format png --out "$tmp/figs" >/dev/null \
  || fail "heatmap png exited non-zero"
png="$tmp/figs/sent0000_word_L0_H0.png"
[ -s "$png" ] || fail "no PNG at $png: $(ls "$tmp/figs")"
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"
"$bin" heatmap --attention "$tmp/att.jsonl" --head grid --level subword --format svg --out "$tmp/figs" >/dev/null \
  || fail "heatmap svg grid exited non-zero"
head -c 5 "$tmp/figs/sent0000_subword_L0_grid.svg" | grep -q '<?xml' || fail "grid SVG missing"
out=$("$bin" heatmap --attention "$tmp/att.jsonl" --format text) || fail "heatmap text exited non-zero"
grep -q 'Mädchen' <<<"$out" || fail "text heatmap lacks the source words: $out"

# A broken JSONL line: exit 1, error names file:line.
printf '{"index": 0,\n' >"$tmp/bad.jsonl"
err=$("$bin" heatmap --attention "$tmp/bad.jsonl" --out "$tmp/figs" 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 1 ] || fail "bad jsonl: exit $rc"
grep -q "bad.jsonl:1" <<<"$err" || fail "bad jsonl error does not name file:line: $err"
# An unknown sentence is a usage error (exit 2).
"$bin" heatmap --attention "$tmp/att.jsonl" --sentence 5 --out "$tmp/figs" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "unknown sentence: exit $rc"
echo "evaluate_heatmap: ok"
