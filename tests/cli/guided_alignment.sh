#!/usr/bin/env bash
# CLI test of guided alignment: the toy copy task trained 20 steps with anti-diagonal word links
# (data.train.alignment) logs a guided loss, and `tinynmt align` reads the supervised head by
# default; the full-context variant trains and aligns; with null_to_eos, align reads the head
# with argmax-null by default and refuses an unknown --method; a link file with the wrong line count
# and an RNN decoder are refused in one line; --reverse-model's soft symmetrisation keeps every
# link the two threshold read-outs share and none outside their union.
set -u
bin="$1"
source tests/cli/lib/toy_env.sh
awk '{ s = ""; for (i = 0; i < NF; i++) s = s (i ? " " : "") i "-" (NF - 1 - i); print s }' \
  "$d/train.src" >"$tmp/train.align"
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/run" "${toy_data[@]}" \
  --set data.train.alignment="$tmp/train.align" --set training.max_steps=20 \
  --set training.validate_every=20 --set training.log_every=10 >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; fail "guided training exited non-zero"; }
grep -q 'guided alignment: .* layer 0 head 0' "$tmp/log" || fail "no guided setup line: $(cat "$tmp/log")"
[ "$(grep -c '"guided_loss"' "$tmp/run/metrics.jsonl")" -eq 2 ] || fail "expected 2 guided_loss records"
head -3 "$d/test.src" >"$tmp/a.src"
"$bin" align --model "$tmp/run" --src "$tmp/a.src" --tgt "$tmp/a.src" --out "$tmp/al" \
  --threads 1 2>"$tmp/align.err" || fail "align: $(cat "$tmp/align.err")"
grep -q 'layer 0, head 0' "$tmp/align.err" || fail "align did not read the guided head: $(cat "$tmp/align.err")"
# full context: trains and aligns (the head read from the pass without the causal mask)
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/runf" "${toy_data[@]}" \
  --set data.train.alignment="$tmp/train.align" --set training.guided_alignment.full_context=true \
  --set training.max_steps=5 --set training.validate_every=5 >"$tmp/logf" 2>&1 ||
  { cat "$tmp/logf"; fail "full-context training exited non-zero"; }
"$bin" align --model "$tmp/runf" --src "$tmp/a.src" --tgt "$tmp/a.src" --out "$tmp/alf" \
  --threads 1 2>"$tmp/alignf.err" || fail "full-context align: $(cat "$tmp/alignf.err")"
[ "$(wc -l <"$tmp/alf.align")" -eq 3 ] || fail "full-context align: expected 3 lines"
# NULL: links of the even target words only; the others are supervised onto the source EOS, and
# align reads the head with argmax-null unless --method says otherwise
awk '{ s = ""; for (i = 0; i < NF; i += 2) s = s (i ? " " : "") (NF - 1 - i) "-" i; print s }' \
  "$d/train.src" >"$tmp/even.align"
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/runn" "${toy_data[@]}" \
  --set data.train.alignment="$tmp/even.align" --set training.guided_alignment.null_to_eos=true \
  --set training.max_steps=5 --set training.validate_every=5 >"$tmp/logn" 2>&1 ||
  { cat "$tmp/logn"; fail "null_to_eos training exited non-zero"; }
grep -q 'supervised target pieces (unlinked ones onto the source EOS)' "$tmp/logn" ||
  fail "no NULL setup line: $(cat "$tmp/logn")"
"$bin" align --model "$tmp/runn" --src "$tmp/a.src" --tgt "$tmp/a.src" --out "$tmp/aln" \
  --threads 1 2>"$tmp/alignn.err" || fail "null_to_eos align: $(cat "$tmp/alignn.err")"
grep -q 'layer 0, head 0, argmax-null)' "$tmp/alignn.err" ||
  fail "align did not default to argmax-null: $(cat "$tmp/alignn.err")"
"$bin" align --model "$tmp/runn" --src "$tmp/a.src" --tgt "$tmp/a.src" --out "$tmp/alm" \
  --threads 1 --method argmax 2>"$tmp/alignm.err" || fail "align --method argmax: $(cat "$tmp/alignm.err")"
grep -q 'layer 0, head 0, argmax)' "$tmp/alignm.err" || fail "--method argmax ignored: $(cat "$tmp/alignm.err")"
"$bin" align --model "$tmp/runn" --src "$tmp/a.src" --tgt "$tmp/a.src" --out "$tmp/alb" \
  --method grow-diag 2>"$tmp/alignb.err"
rc=$?
[ "$rc" -eq 2 ] || fail "align --method grow-diag exited $rc, expected 2"
grep -q "align: --method 'grow-diag' (choices: argmax, argmax-null, threshold)" "$tmp/alignb.err" ||
  fail "bad --method: $(cat "$tmp/alignb.err")"
# Soft symmetrisation with the same run both ways (the copy task's two sides are alike): every
# link both directions' threshold read-outs share is kept, and no link outside their union.
t=0.15  # a 5-step toy model spreads its attention: 9, 23 and 31 links in the three files
"$bin" align --model "$tmp/runn" --reverse-model "$tmp/runn" --src "$tmp/a.src" --tgt "$tmp/a.src" \
  --out "$tmp/soft" --threshold $t --threads 1 2>"$tmp/soft.err" || fail "soft: $(cat "$tmp/soft.err")"
grep -q "their mean >= $t" "$tmp/soft.err" || fail "soft: no read-out line: $(cat "$tmp/soft.err")"
"$bin" align --model "$tmp/runn" --src "$tmp/a.src" --tgt "$tmp/a.src" --out "$tmp/thr" \
  --method threshold --threshold $t --threads 1 2>/dev/null || fail "align --method threshold"
for m in intersection union; do
  "$bin" symmetrize --forward "$tmp/thr.align" --reverse "$tmp/thr.align" --method $m \
    --out "$tmp/thr.$m" 2>/dev/null || fail "symmetrize $m"
done
# subset A B: every link of each line of A is on the same line of B
subset() { paste -d'|' "$1" "$2" | awk -F'|' '{ n = split($2, b, " "); delete in_b
  for (k = 1; k <= n; k++) in_b[b[k]] = 1; m = split($1, a, " ")
  for (k = 1; k <= m; k++) if (!(a[k] in in_b)) { print "line " NR ": " a[k]; exit 1 } }'; }
subset "$tmp/thr.intersection" "$tmp/soft.align" || fail "soft lacks a link both directions have"
subset "$tmp/soft.align" "$tmp/thr.union" || fail "soft has a link neither direction has"
[ "$(wc -w <"$tmp/soft.align")" -gt 0 ] || fail "soft: no links at all"
[ "$(wc -l <"$tmp/soft.align")" -eq 3 ] || fail "soft: expected 3 lines"
# checkpoint files: the reverse run's is named on its own (a file of the forward run is refused)
"$bin" align --model "$tmp/runn" --reverse-model "$tmp/runn" --src "$tmp/a.src" --tgt "$tmp/a.src" \
  --out "$tmp/softc" --threshold $t --threads 1 --checkpoint "$tmp/runn/last.ckpt" \
  --reverse-checkpoint "$tmp/runn/last.ckpt" 2>"$tmp/softc.err" || fail "soft: $(cat "$tmp/softc.err")"
cmp -s "$tmp/softc.align" "$tmp/soft.align" || fail "soft from last.ckpt differs from best (both step 5)"
"$bin" align --model "$tmp/runn" --reverse-model "$tmp/runn" --src "$tmp/a.src" --tgt "$tmp/a.src" \
  --out "$tmp/softc" --checkpoint "$tmp/runn/last.ckpt" 2>"$tmp/softc.err"
rc=$?
[ "$rc" -eq 2 ] || fail "--checkpoint FILE with --reverse-model exited $rc, expected 2"
grep -q "name the reverse run's with --reverse-checkpoint" "$tmp/softc.err" || fail "$(cat "$tmp/softc.err")"
"$bin" align --model "$tmp/runn" --reverse-model "$tmp/runn" --src "$tmp/a.src" --tgt "$tmp/a.src" \
  --out "$tmp/softm" --method argmax 2>"$tmp/softm.err"
rc=$?
[ "$rc" -eq 2 ] || fail "--reverse-model with --method exited $rc, expected 2"
grep -q "align: --method does not apply with --reverse-model" "$tmp/softm.err" || fail "$(cat "$tmp/softm.err")"
head -5 "$tmp/train.align" >"$tmp/short.align"
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/run2" "${toy_data[@]}" \
  --set data.train.alignment="$tmp/short.align" --set training.max_steps=2 >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] || fail "a short link file was accepted"
grep -q "short.align: 5 lines, but .*train.src has [0-9]* lines" "$tmp/err" || fail "$(cat "$tmp/err")"
"$bin" train configs/toy_copy.yaml --set run.dir="$tmp/run3" "${toy_data[@]}" \
  --set data.train.alignment="$tmp/train.align" --set model.decoder.type=rnn 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "rnn decoder with links exited $rc, expected 2"
grep -q "data.train.alignment: guided alignment needs model.decoder.type: transformer" "$tmp/err" ||
  fail "$(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "error is not one line: $(cat "$tmp/err")"
echo "guided_alignment: ok"
