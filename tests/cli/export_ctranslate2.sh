#!/usr/bin/env bash
# CLI test: `tinynmt export --format ctranslate2`. Always: an RNN run is refused with one error
# line naming model.encoder.type and exit 1, and an unknown --format is a usage error (exit 2).
# Then, when the peer Python (TINYNMT_PYTHON, else .peers/bin/python, else python3) imports
# ctranslate2 and sentencepiece (scripts/install_peers.sh ctranslate2): a toy Transformer is
# exported, and CTranslate2's greedy translations of the toy test set (scripts/ctranslate2_translate.py)
# must equal `tinynmt translate --beam 1`'s line for line. Without them: exit 77 (skipped).
set -u
bin="$1"
source tests/cli/lib/toy_env.sh
source tests/cli/lib/peer_export.sh

# --- refusals (no peer needed) ----------------------------------------------------------------
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/rnn" "${toy_data[@]}" \
  --set model.encoder.type=rnn --set model.decoder.type=rnn --set model.decoder.attention=bahdanau \
  --set model.encoder.embedding_dim=16 --set model.encoder.hidden_size=16 \
  --set model.decoder.embedding_dim=16 --set model.decoder.hidden_size=16 \
  --set training.max_steps=1 --set training.validate_every=1 >"$tmp/rnn.log" 2>&1 ||
  fail "rnn training: $(tail -3 "$tmp/rnn.log")"
expect_export_refused ctranslate2 "$tmp/rnn" \
  "model.encoder.type: 'rnn' cannot be exported to CTranslate2"
"$bin" export --format onnx --model "$tmp/rnn" --out "$tmp/x" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "--format onnx exited $rc, expected 2"

# --- the peer ---------------------------------------------------------------------------------
if ! "$py" -c "import ctranslate2, sentencepiece" 2>/dev/null; then
  echo "export_ctranslate2: skipped: $py cannot import ctranslate2 and sentencepiece" \
    "(install them with scripts/install_peers.sh ctranslate2)"
  exit 77
fi

"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/tf" "${toy_data[@]}" \
  --set training.max_steps=200 --set training.validate_every=100 >"$tmp/tf.log" 2>&1 ||
  fail "transformer training: $(tail -3 "$tmp/tf.log")"
export_ok ctranslate2 "$tmp/tf" "$tmp/ct2" model.bin config.json shared_vocabulary.json spm.model
"$bin" export --format ctranslate2 --model "$tmp/tf" --out "$tmp/ct2" >/dev/null 2>"$tmp/err" &&
  fail "exporting into a non-empty directory without --force succeeded"
grep -q -- "--force" "$tmp/err" || fail "non-empty --out: $(cat "$tmp/err")"

"$bin" translate --model "$tmp/tf" --threads 1 --beam 1 --max-len-ratio 1.5 --input "$d/test.src" \
  --output "$tmp/tinynmt.txt" 2>"$tmp/tr.log" || fail "translate: $(tail -3 "$tmp/tr.log")"
"$py" scripts/ctranslate2_translate.py "$tmp/ct2" --threads 1 --beam 1 --max-len-ratio 1.5 \
  --input "$d/test.src" --output "$tmp/ct2.txt" 2>"$tmp/ct2.log" ||
  fail "ctranslate2_translate.py: $(tail -3 "$tmp/ct2.log")"
[ "$(wc -l <"$tmp/ct2.txt")" -eq "$(wc -l <"$d/test.src")" ] || fail "ctranslate2: line count"
if ! cmp -s "$tmp/tinynmt.txt" "$tmp/ct2.txt"; then
  diff "$tmp/tinynmt.txt" "$tmp/ct2.txt" | head -10
  fail "greedy outputs differ on $(diff "$tmp/tinynmt.txt" "$tmp/ct2.txt" | grep -c '^<') lines"
fi
# The model learnt something: outputs are not all the same line.
[ "$(sort -u "$tmp/ct2.txt" | wc -l)" -gt 10 ] || fail "degenerate outputs: $(head -3 "$tmp/ct2.txt")"
echo "export_ctranslate2: ok ($(wc -l <"$tmp/ct2.txt") identical greedy lines)"
