# Sourced by scripts/compare_ctranslate2.sh and scripts/compare_joeynmt.sh: one Markdown row per
# decoding of SRC, with its BLEU against REF and its speed. Needs: bin (tinynmt), run (the run
# directory), src, ref, threads, n (lines of src).

# bleu HYP: sacreBLEU-compatible corpus BLEU of HYP against REF (`tinynmt evaluate`).
bleu() { "$bin" evaluate --ref "$ref" --hyp "$1" | sed -n 's/^BLEU = \([0-9.]*\) .*/\1/p'; }

# target_tokens HYP: the target tokens of HYP, as the models count them: the run's target
# SentencePiece pieces (spm_encode, Debian's sentencepiece) plus one </s> a line.
target_tokens() {
  local model=$run/spm.model
  [ -f "$model" ] || model=$run/spm.tgt.model
  echo $(($(spm_encode --model="$model" <"$1" | wc -w) + $(wc -l <"$1")))
}

# row ENGINE WEIGHTS BEAM HYP SECONDS ALONE: a table row. Sentences/s from the seconds of the whole
# command; ALONE, sentences/s of decoding alone ("-" when unknown), also as target tokens/s.
row() {
  local alone=$6 tokens="-"
  [ "$alone" = - ] || tokens=$(printf '%.0f' "$(echo "$alone * $(target_tokens "$4") / $n" | bc -l)")
  printf '| %s | %s | %s | %s | %.1f | %s | %s |\n' "$1" "$2" "$3" "$(bleu "$4")" \
    "$(echo "$n / $5" | bc -l)" "$alone" "$tokens"
}

table_header() {
  echo "| engine | weights | beam | BLEU | sentences/s (whole command) | decoding alone: sentences/s | target tokens/s |"
  echo "|---|---|---|---|---|---|---|"
}

# same_lines A B: "all" when the files are equal, else how many lines are equal.
same_lines() {
  if cmp -s "$1" "$2"; then echo all; else
    paste -d '\t' "$1" "$2" | awk -F '\t' '$1 == $2' | wc -l
  fi
}

# peer_row ENGINE WEIGHTS BEAM HYP COMMAND...: runs the command (which writes HYP, and on stderr a
# line with "(X sentences/s)" for decoding alone), and its row.
peer_row() {
  local engine=$1 weights=$2 beam=$3 hyp=$4 t0 t
  shift 4
  t0=$(date +%s.%N)
  "$@" 2>"$hyp.log" || { echo "$engine failed: $(tail -3 "$hyp.log")" >&2; return 1; }
  t=$(echo "$(date +%s.%N) - $t0" | bc -l)
  row "$engine" "$weights" "$beam" "$hyp" "$t" \
    "$(sed -n 's/.*(\([0-9.]*\) sentences\/s).*/\1/p' "$hyp.log" | tail -1)"
}

# tinynmt_row LABEL WEIGHTS BEAM HYP [translate options]: tinynmt translates SRC into HYP, and
# its row (decoding alone: translate's "translated N sentences in T s (X sentences/s)" line).
tinynmt_row() {
  local label=$1 weights=$2 beam=$3 hyp=$4
  shift 4
  peer_row "$label" "$weights" "$beam" "$hyp" "$bin" translate --model "$run" \
    --threads "$threads" --beam "$beam" --input "$src" --output "$hyp" "$@"
}
