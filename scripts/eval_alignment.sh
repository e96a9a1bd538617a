#!/usr/bin/env bash
# AER of a trained en→fr model's attention on the Hansards en-fr gold alignments (Mihalcea &
# Pedersen 2003; ../shared/data/align-gold/en-fr-hansards), by decoder layer with the mean over
# heads, both as computed (the attention of the step that predicts target word t) and with
# shift-att (Chen et al. 2020: the step whose decoder input is word t), next to a diagonal baseline.
#
#   scripts/eval_alignment.sh [RUN_DIR]   # default runs/tatoeba_en_fr_transformer
#
# Writes RUN_DIR/hansards/: the split text, one .jsonl/.align pair per layer, and aer.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir=${1:-runs/tatoeba_en_fr_transformer}
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
} | tee "$out/aer.txt"
