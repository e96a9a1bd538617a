#!/usr/bin/env bash
# CLI test: the demo path on the toy copy task, end to end, in a temporary directory:
#   get_data.sh toy -> train configs/toy_copy.yaml (short) -> translate (arguments, stdin pipe
#   with an empty line, --n-best, --attention under beam, --input/--output) -> align on the
#   test set -> evaluate BLEU -> evaluate --aer against the diagonal (the copy task's gold
#   alignment) -> heatmap PNG.
# Usage: bash tests/cli/demo_path.sh /path/to/tinynmt   (cwd = repository root)
# Environment: TINYNMT_DEMO_STEPS (training steps, default 400; at 300 the copy task sits on the
# edge where it clicks, and a change that only reorders float sums can flip the result);
# TINYNMT_DEMO_RUN=DIR skips training and uses that (toy copy) run directory instead (for
# debugging this script).
set -u
bin="$1"
steps="${TINYNMT_DEMO_STEPS:-400}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

# --- data and training --------------------------------------------------------------------------
TINYNMT_DATA_DIR="$tmp/data" bash scripts/get_data.sh toy 2>"$tmp/get_data.log" \
  || fail "get_data.sh toy: $(cat "$tmp/get_data.log")"
d="$tmp/data/toy"
[ -s "$d/train.src" ] && [ -s "$d/test.tgt" ] || fail "no toy data in $d"
run="${TINYNMT_DEMO_RUN:-$tmp/run}"
if [ -z "${TINYNMT_DEMO_RUN:-}" ]; then
  # No wall-clock budget: on a busy machine a time limit would stop training early, untrained.
  "$bin" train configs/toy_copy.yaml --set run.dir="$run" --set training.max_steps="$steps" \
    --set training.max_minutes=0 \
    --set data.train.src="$d/train.src" --set data.train.tgt="$d/train.tgt" \
    --set data.dev.src="$d/dev.src" --set data.dev.tgt="$d/dev.tgt" \
    --set data.test.src="$d/test.src" --set data.test.tgt="$d/test.tgt" \
    >"$tmp/train.log" 2>&1 || fail "train exited non-zero: $(tail -5 "$tmp/train.log")"
  [ -s "$run/best.ckpt" ] || [ -s "$run/last.ckpt" ] || fail "no checkpoint in $run"
  echo "demo_path: trained $steps steps in $((SECONDS - start)) s"
fi

# --- translate: arguments (greedy and beam) -----------------------------------------------------
sents=("a b c d e" "f g h i j k" "l m n o p q r")
out=$("$bin" translate --model "$run" --beam 1 "${sents[@]}" 2>"$tmp/err") \
  || fail "translate exited non-zero: $(cat "$tmp/err")"
[ "$(wc -l <<<"$out")" -eq 3 ] || fail "translate: expected 3 lines, got: $out"
copies=0
i=0
while IFS= read -r line; do
  [ "$line" = "${sents[$i]}" ] && copies=$((copies + 1))
  i=$((i + 1))
done <<<"$out"
[ "$copies" -ge 2 ] || fail "translate: only $copies of 3 outputs copy the input: $out"
echo "demo_path: $copies/3 sentences copied exactly"

# --- translate: stdin pipe, one line at a time, an empty line stays empty -----------------------
out=$(printf 'a b c d e\n\nf g h i j k\n' | "$bin" translate --model "$run" 2>"$tmp/err") \
  || fail "translate (stdin) exited non-zero: $(cat "$tmp/err")"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "translate (stdin): expected 3 lines: $out"
[ -z "$(sed -n 2p <<<"$out")" ] || fail "translate (stdin): empty input line gave: $(sed -n 2p <<<"$out")"

# --- translate: n-best with scores --------------------------------------------------------------
out=$("$bin" translate --model "$run" --beam 4 --n-best 3 "a b c d e" 2>"$tmp/err") \
  || fail "translate --n-best exited non-zero: $(cat "$tmp/err")"
[ "$(wc -l <<<"$out")" -ge 1 ] && [ "$(wc -l <<<"$out")" -le 3 ] || fail "n-best: line count: $out"
awk -F'\t' 'NF != 4 || $1 != 0 || $2 > 0 || (NR > 1 && $3 > prev) { bad = 1 } { prev = $3 }
            END { exit bad }' <<<"$out" || fail "n-best: not INDEX<TAB>SCORE<TAB>NORM<TAB>TEXT sorted: $out"

# --- translate: sampling, reproducible for a seed, attention exported ---------------------------
sample() { "$bin" translate --model "$run" --sample --seed "$1" --temperature 1.5 --top-p 0.95 \
  "a b c d e" "f g h i j k" "b b c" 2>"$tmp/err" || fail "translate --sample exited non-zero: $(cat "$tmp/err")"; }
sample 1 >"$tmp/s1"; sample 1 >"$tmp/s1b"
[ "$(wc -l <"$tmp/s1")" -eq 3 ] || fail "translate --sample: expected 3 lines, got: $(cat "$tmp/s1")"
cmp -s "$tmp/s1" "$tmp/s1b" || fail "translate --sample --seed 1 twice differs: $(paste "$tmp/s1" "$tmp/s1b")"
"$bin" translate --model "$run" --sample --seed 3 --top-k 5 "a b c d e" \
  --attention "$tmp/sample_att.jsonl" >/dev/null 2>"$tmp/err" \
  || fail "translate --sample --attention exited non-zero: $(cat "$tmp/err")"
grep -q '"subword"' "$tmp/sample_att.jsonl" || fail "translate --sample: no attention record"
"$bin" translate --model "$run" --top-k 5 "a b" >/dev/null 2>&1 && fail "--top-k without --sample accepted"

# --- translate: --attention under beam, --input/--output ----------------------------------------
head -n 5 "$d/test.src" >"$tmp/five.src"
"$bin" translate --model "$run" --beam 3 --input "$tmp/five.src" --output "$tmp/five.hyp" \
  --attention "$tmp/att.jsonl" 2>"$tmp/err" || fail "translate --attention exited non-zero: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/five.hyp")" -eq 5 ] || fail "translate --output: expected 5 lines"
[ "$(wc -l <"$tmp/att.jsonl")" -eq 5 ] || fail "translate --attention: expected 5 records"
grep -q '"subword"' "$tmp/att.jsonl" && grep -q '"src_words"' "$tmp/att.jsonl" \
  || fail "attention JSONL lacks matrices or words: $(head -c 300 "$tmp/att.jsonl")"

# --- translate the test set and score it --------------------------------------------------------
"$bin" translate --model "$run" --input "$d/test.src" --output "$tmp/test.hyp" 2>"$tmp/err" \
  || fail "translate test set exited non-zero: $(cat "$tmp/err")"
out=$("$bin" evaluate --ref "$d/test.tgt" --hyp "$tmp/test.hyp") || fail "evaluate exited non-zero"
grep -q '^BLEU = [0-9.]* ' <<<"$out" || fail "evaluate: no BLEU line: $out"
echo "demo_path: $(grep '^BLEU = ' <<<"$out")"

# --- align the test set (reference pairs) and score against the diagonal ------------------------
"$bin" align --model "$run" --src "$d/test.src" --tgt "$d/test.tgt" --tokenized --npy \
  --out "$tmp/al/test" 2>"$tmp/err" || fail "align exited non-zero: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/al/test.align")" -eq "$(wc -l <"$d/test.src")" ] || fail "align: line count"
[ "$(wc -l <"$tmp/al/test.jsonl")" -eq "$(wc -l <"$d/test.src")" ] || fail "align: record count"
[ -s "$tmp/al/test.0000.word.npy" ] || fail "align --npy: no $tmp/al/test.0000.word.npy"
[ "$(head -c 6 "$tmp/al/test.0000.subword.npy" | od -An -c | tr -d ' \n')" = '223NUMPY' ] \
  || fail "align --npy: not a .npy file"
awk '{ s = ""; for (i = 0; i < NF; i++) s = s (i ? " " : "") i "-" i; print s }' "$d/test.src" \
  >"$tmp/gold.txt"
out=$("$bin" evaluate --aer --gold "$tmp/gold.txt" --pred "$tmp/al/test.align") \
  || fail "evaluate --aer exited non-zero"
aer=$(sed -n 's/^AER = \([0-9.]*\) .*/\1/p' <<<"$out")
[ -n "$aer" ] || fail "evaluate --aer: no AER line: $out"
awk -v a="$aer" 'BEGIN { exit !(a < 0.3) }' || fail "AER $aer against the diagonal is not < 0.3"
echo "demo_path: AER vs diagonal = $aer"

# --- heatmap ------------------------------------------------------------------------------------
# Alignment layer (Zenkel et al. 2019): missing file, then trained on the frozen toy model; its
# loss must fall and its alignment must match the copy task's diagonal.
err=$("$bin" align --model "$run" --src "$d/test.src" --tgt "$d/test.tgt" --tokenized \
  --alignment-layer --out "$tmp/al/none" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && grep -q 'alignment_layer.ckpt' <<<"$err" \
  || fail "align --alignment-layer without one: exit $rc ($err)"
"$bin" train-alignment-layer --model "$run" --steps 300 --log-every 100 >"$tmp/al_train.log" 2>&1 \
  || fail "train-alignment-layer exited non-zero: $(tail -3 "$tmp/al_train.log")"
[ -s "$run/alignment_layer.ckpt" ] || fail "train-alignment-layer: no $run/alignment_layer.ckpt"
read -r first last < <(sed -n 's/.*loss \([0-9.]*\) -> \([0-9.]*\)).*/\1 \2/p' "$tmp/al_train.log")
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' \
  || fail "train-alignment-layer: loss did not fall ($first -> $last)"
"$bin" align --model "$run" --src "$d/test.src" --tgt "$d/test.tgt" --tokenized --alignment-layer \
  --out "$tmp/al/layer" 2>"$tmp/err" || fail "align --alignment-layer exited non-zero: $(cat "$tmp/err")"
grep -q '"layers":3' "$tmp/al/layer.jsonl" || fail "align --alignment-layer: expected 2 + 1 layers"
out=$("$bin" evaluate --aer --gold "$tmp/gold.txt" --pred "$tmp/al/layer.align")
aer=$(sed -n 's/^AER = \([0-9.]*\) .*/\1/p' <<<"$out")
awk -v a="$aer" 'BEGIN { exit !(a != "" && a < 0.3) }' || fail "alignment layer AER $aer is not < 0.3"
echo "demo_path: alignment layer loss $first -> $last, AER vs diagonal = $aer"
# Continued on given pairs (--src/--tgt --tokenized), into a copy: the step count goes on.
cp "$run/alignment_layer.ckpt" "$tmp/al_more.ckpt"
"$bin" train-alignment-layer --model "$run" --src "$d/test.src" --tgt "$d/test.tgt" --tokenized \
  --resume --out "$tmp/al_more.ckpt" --steps 5 --log-every 5 >"$tmp/al_more.log" 2>&1 \
  || fail "train-alignment-layer --resume exited non-zero: $(tail -3 "$tmp/al_more.log")"
grep -q "$(wc -l <"$d/test.src") training pairs" "$tmp/al_more.log" \
  || fail "train-alignment-layer --src: not trained on the given pairs: $(head -3 "$tmp/al_more.log")"
grep -q 'wrote .*al_more.ckpt (305 steps' "$tmp/al_more.log" \
  || fail "train-alignment-layer --resume: step count did not go on: $(tail -1 "$tmp/al_more.log")"
"$bin" align --model "$run" --src "$d/test.src" --tgt "$d/test.tgt" --tokenized \
  --alignment-layer-file "$tmp/al_more.ckpt" --out "$tmp/al/more" 2>"$tmp/err" \
  || fail "align --alignment-layer-file exited non-zero: $(cat "$tmp/err")"

"$bin" heatmap --attention "$tmp/att.jsonl" --sentence 0 --format png --out "$tmp/figs" \
  >"$tmp/heatmap.out" 2>"$tmp/err" || fail "heatmap exited non-zero: $(cat "$tmp/err")"
png=$(head -n 1 "$tmp/heatmap.out")
[ -s "$png" ] || fail "heatmap: no PNG ($(cat "$tmp/heatmap.out"))"
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"

# --- usage errors: one line, exit 2 -------------------------------------------------------------
err=$("$bin" align --model "$run" --src "$d/test.src" --tgt "$d/test.tgt" --layer 9 \
  --out "$tmp/bad" 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] || fail "align --layer 9: exit $rc ($err)"
grep -q 'layer' <<<"$err" || fail "align --layer 9: message does not name the option: $err"

echo "demo_path: ok in $((SECONDS - start)) s"
