#!/usr/bin/env bash
# AER of a trained en→fr model's attention on the Hansards en-fr gold alignments (Mihalcea &
# Pedersen 2003; ../shared/data/align-gold/en-fr-hansards), by decoder layer with the mean over
# heads, both as computed (the attention of the step that predicts target word t) and with
# shift-att (Chen et al. 2020: the step whose decoder input is word t), next to a diagonal baseline.
# With a fr→en model too (REVERSE_RUN_DIR, when it exists), also that model's alignments and
# both directions symmetrised (`tinynmt symmetrize`: intersection, grow-diag, grow-diag-final-and).
#
#   scripts/eval_alignment.sh [RUN_DIR [REVERSE_RUN_DIR]]
#     # defaults runs/tatoeba_en_fr_transformer, runs/tatoeba_fr_en_transformer
#
# Writes RUN_DIR/hansards/: the split text, one .jsonl/.align pair per layer, and aer.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir=${1:-runs/tatoeba_en_fr_transformer}
rev_dir=${2:-runs/tatoeba_fr_en_transformer}
bin=${TINYNMT_BIN:-build/tinynmt}
gold_dir=${TINYNMT_ALIGN_GOLD:-../shared/data/align-gold/en-fr-hansards}
[[ -f $gold_dir/enfr.src-tgt ]] || { echo "error: $gold_dir/enfr.src-tgt not found" >&2; exit 1; }
out=$run_dir/hansards
mkdir -p "$out"

# `english ||| french`, tokenised: split into two files, runs of spaces squeezed.
awk -F' \\|\\|\\| ' '{ gsub(/^ +| +$/, "", $1); gsub(/^ +| +$/, "", $2); gsub(/ +/, " ", $1);
  gsub(/ +/, " ", $2); print $1 > "'"$out"'/en.txt"; print $2 > "'"$out"'/fr.txt" }' \
  "$gold_dir/enfr.src-tgt"

# Diagonal baseline: target word j links to source word round(j * I / J) (AER 54.1%).
awk 'NR == FNR { ne[FNR] = NF; next } {
  I = ne[FNR]; J = NF; line = "";
  for (j = 0; j < J; j++) { i = int(j * I / J + 0.5); if (i >= I) i = I - 1;
    line = line (j ? " " : "") i "-" j }
  print line }' "$out/en.txt" "$out/fr.txt" > "$out/diagonal.align"

{
  printf 'Hansards en-fr, %s sentence pairs, model %s\n' "$(wc -l < "$out/en.txt")" "$run_dir"
  printf '%-32s %s\n' "diagonal baseline" \
    "$("$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based --pred "$out/diagonal.align" | head -1)"
  layers=$(grep -m1 -o '"layers":[0-9]*' < <("$bin" align --model "$run_dir" --src <(head -1 "$out/en.txt") \
    --tgt <(head -1 "$out/fr.txt") --tokenized --out "$out/probe" >/dev/null && cat "$out/probe.jsonl") | cut -d: -f2)
  for shift in "" --shift; do
    for layer in $(seq 0 $((layers - 1))) mean; do
      name=layer_$layer${shift:+_shift}
      "$bin" align --model "$run_dir" --src "$out/en.txt" --tgt "$out/fr.txt" --tokenized \
        --layer "$layer" --head mean $shift --out "$out/$name" >/dev/null
      printf '%-32s %s\n' "layer $layer, mean heads${shift:+, shift-att}" \
        "$("$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based --pred "$out/$name.align" | head -1)"
    done
  done
  printf 'by source length: diagonal, then layer mean (no shift)\n'
  for name in diagonal layer_mean; do
    "$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based --pred "$out/$name.align" \
      --by-length "$out/en.txt" | tail -n +3
  done
  if [[ -d $rev_dir ]]; then
    printf 'reverse model %s (fr→en), symmetrised with the rows above (no shift)\n' "$rev_dir"
    for layer in $(seq 0 $((layers - 1))) mean; do
      "$bin" align --model "$rev_dir" --src "$out/fr.txt" --tgt "$out/en.txt" --tokenized \
        --layer "$layer" --head mean --out "$out/reverse_layer_$layer" >/dev/null
      printf '%-32s %s\n' "layer $layer, fr→en alone" \
        "$("$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based --swap-pred \
          --pred "$out/reverse_layer_$layer.align" | head -1)"
      for method in intersection grow-diag grow-diag-final-and; do
        "$bin" symmetrize --forward "$out/layer_$layer.align" --method "$method" \
          --reverse "$out/reverse_layer_$layer.align" --out "$out/sym_layer_${layer}_$method.align" 2>/dev/null
        printf '%-32s %s\n' "layer $layer, $method" \
          "$("$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based \
            --pred "$out/sym_layer_${layer}_$method.align" | head -1)"
      done
    done
    printf 'by source length: layer mean, grow-diag-final-and\n'
    "$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based --by-length "$out/en.txt" \
      --pred "$out/sym_layer_mean_grow-diag-final-and.align" | tail -n +3
  fi
} | tee "$out/aer.txt"
