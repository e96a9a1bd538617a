# Sourced by scripts/compare_ctranslate2.sh and scripts/compare_joeynmt.sh: one Markdown row per
# decoding of SRC, with its BLEU against REF and its speed. Needs: bin (tinynmt), run (the run
# directory), src, ref, threads, n (lines of src).

# bleu HYP: sacreBLEU-compatible corpus BLEU of HYP against REF (`tinynmt evaluate`).
bleu() { "$bin" evaluate --ref "$ref" --hyp "$1" | sed -n 's/^BLEU = \([0-9.]*\) .*/\1/p'; }

# row ENGINE WEIGHTS BEAM HYP SECONDS DECODING_ALONE: a table row; sentences/s from the seconds of
# the whole command.
row() {
  printf '| %s | %s | %s | %s | %.1f | %s |\n' "$1" "$2" "$3" "$(bleu "$4")" \
    "$(echo "$n / $5" | bc -l)" "$6"
}

table_header() {
  echo "| engine | weights | beam | BLEU | sentences/s (whole command) | decoding alone |"
  echo "|---|---|---|---|---|---|"
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
