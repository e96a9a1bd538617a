#!/usr/bin/env bash
# CLI test: `tinynmt export --format joeynmt`. Always: a Transformer run is refused with one error
# line naming model.encoder.type and exit 1, and --quantization is refused. Then, when the peer
# Python (TINYNMT_PYTHON, else .peers/bin/python, else python3) imports joeynmt
# (scripts/install_peers.sh joeynmt): a toy GRU model with luong-general attention and input
# feeding is exported, and JoeyNMT's translations of the toy test set
# (scripts/joeynmt_translate.py) must equal tinynmt's line for line under greedy search, and on at
# least 90% of the lines at beam 5 (the two beam searches stop differently; see below).
# Without joeynmt: exit 77 (skipped).
set -u
bin="$1"
source tests/cli/lib/toy_env.sh
source tests/cli/lib/peer_export.sh

"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/tf" "${toy_data[@]}" \
  --set training.max_steps=1 --set training.validate_every=1 >"$tmp/tf.log" 2>&1 ||
  fail "transformer training: $(tail -3 "$tmp/tf.log")"
expect_export_refused joeynmt "$tmp/tf" \
  "model.encoder.type: 'transformer' cannot be exported to JoeyNMT"
"$bin" export --format joeynmt --quantization int8 --model "$tmp/tf" --out "$tmp/x" >/dev/null \
  2>"$tmp/err" && fail "--quantization with --format joeynmt succeeded"
grep -q "only the CTranslate2 export quantizes" "$tmp/err" || fail "quantization: $(cat "$tmp/err")"

if ! "$py" -c "import joeynmt" 2>/dev/null; then
  echo "export_joeynmt: skipped: $py cannot import joeynmt (install it with" \
    "scripts/install_peers.sh joeynmt)"
  exit 77
fi

"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/rnn" "${toy_data[@]}" \
  --set model.encoder.type=rnn --set model.decoder.type=rnn \
  --set model.decoder.attention=luong-general --set model.encoder.layers=1 \
  --set model.decoder.layers=1 --set model.encoder.embedding_dim=32 \
  --set model.encoder.hidden_size=32 --set model.decoder.embedding_dim=32 \
  --set model.decoder.hidden_size=64 --set model.decoder.tie_embeddings=false \
  --set model.tie_all_embeddings=false --set training.max_steps=400 \
  --set training.validate_every=200 >"$tmp/rnn.log" 2>&1 ||
  fail "rnn training: $(tail -3 "$tmp/rnn.log")"
export_ok joeynmt "$tmp/rnn" "$tmp/joey" config.yaml vocab.txt model.ckpt spm.model
for beam in 1 5; do
  "$bin" translate --model "$tmp/rnn" --threads 1 --beam "$beam" --input "$d/test.src" \
    --output "$tmp/tinynmt.$beam.txt" 2>"$tmp/tr.log" || fail "translate: $(tail -3 "$tmp/tr.log")"
  grep -q "translated $(wc -l <"$d/test.src") sentences in [0-9.]* s ([0-9.]* sentences/s)" \
    "$tmp/tr.log" || fail "translate shows no decoding speed: $(tail -2 "$tmp/tr.log")"
  "$py" scripts/joeynmt_translate.py "$tmp/joey" --threads 1 --beam "$beam" --alpha 0.6 \
    --input "$d/test.src" --output "$tmp/joey.$beam.txt" 2>"$tmp/joey.log" ||
    fail "joeynmt_translate.py: $(tail -3 "$tmp/joey.log")"
  grep -q "sentences/s), beam $beam" "$tmp/joey.log" || fail "no speed line: $(tail -2 "$tmp/joey.log")"
  same=$(paste -d '\t' "$tmp/tinynmt.$beam.txt" "$tmp/joey.$beam.txt" | awk -F '\t' '$1 == $2' | wc -l)
  n=$(wc -l <"$d/test.src")
  [ "$(wc -l <"$tmp/joey.$beam.txt")" -eq "$n" ] || fail "beam $beam: JoeyNMT wrote a wrong line count"
  # Greedy search is one computation in both: every line. Beam search differs in one rule:
  # JoeyNMT keeps finished hypotheses in the beam (the beam shrinks) and stops when all K have
  # finished; tinynmt sets them aside and keeps K live ones. Most lines still agree.
  if [ "$beam" = 1 ]; then need=$n; else need=$((n * 9 / 10)); fi
  if [ "$same" -lt "$need" ]; then
    diff "$tmp/tinynmt.$beam.txt" "$tmp/joey.$beam.txt" | head -10
    fail "beam $beam: $same of $n lines identical, expected at least $need"
  fi
  echo "beam $beam: $same of $n lines identical"
done
# The model learnt something: outputs are not all the same line.
[ "$(sort -u "$tmp/joey.1.txt" | wc -l)" -gt 10 ] || fail "degenerate outputs: $(head -3 "$tmp/joey.1.txt")"
echo "export_joeynmt: ok"
