#!/usr/bin/env bash
# AER of a trained en→fr model's attention on the Hansards en-fr gold alignments (Mihalcea &
# Pedersen 2003; ../shared/data/align-gold/en-fr-hansards), by decoder layer with the mean over
# heads, both as computed (the attention of the step that predicts target word t) and with
# shift-att (Chen et al. 2020: the step whose decoder input is word t), next to a diagonal baseline.
# With a fr→en model too (REVERSE_RUN_DIR, when it exists), also that model's alignments and
# both directions symmetrised (`tinynmt symmetrize`: intersection, grow-diag, grow-diag-final-and).
# Where a run has an alignment layer (`tinynmt train-alignment-layer --model RUN_DIR`, Zenkel et
# al. 2019), its rows too, and, with one in both runs, the two alignment layers symmetrised; the
# same for RUN_DIR/alignment_layer_hansards.ckpt, that layer trained on further on the text of the
# 447 pairs (see README, "Word alignment"). A run trained with guided alignment (Garg et al. 2019)
# also gets the rows of its supervised head, `tinynmt align`'s default read-out for it, read by
# argmax and by threshold 0.5; with a guided reverse run, the two heads symmetrised too, both by
# the heuristics and softly (their weights averaged, then the threshold: align --reverse-model).
# REVERSE_RUN_DIR may be a folder that does not exist (e.g. none): en→fr rows only.
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
# The threshold read-out of a supervised head: half its mass on one source word (fixed, not tuned
# on this gold; docs/alignment.md has the sweep).
threshold=0.5
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

# One table row: LABEL, then the AER line of PRED (extra arguments go to `evaluate`).
row() {
  local label=$1 pred=$2
  shift 2
  printf '%-32s %s\n' "$label" \
    "$("$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based --pred "$pred" "$@" | head -1)"
}
# en→fr alignment NAME from `tinynmt align` options, and its row.
align_row() {
  local label=$1 name=$2
  shift 2
  "$bin" align --model "$run_dir" --src "$out/en.txt" --tgt "$out/fr.txt" --tokenized \
    --out "$out/$name" "$@" >/dev/null
  row "$label" "$out/$name.align"
}
# The fr→en model's alignment reverse_NAME (align options follow), its row, and NAME
# symmetrised with it.
reverse_rows() {
  local label=$1 name=$2
  shift 2
  "$bin" align --model "$rev_dir" --src "$out/fr.txt" --tgt "$out/en.txt" --tokenized \
    --out "$out/reverse_$name" "$@" >/dev/null
  row "$label, fr→en alone" "$out/reverse_$name.align" --swap-pred
  for method in intersection grow-diag grow-diag-final-and; do
    "$bin" symmetrize --forward "$out/$name.align" --method "$method" \
      --reverse "$out/reverse_$name.align" --out "$out/sym_${name}_$method.align" 2>/dev/null
    row "$label, $method" "$out/sym_${name}_$method.align"
  done
}
# `tinynmt align`'s default read-out for RUN_DIR (SRC and TGT files of one pair), as its closing
# line reports it: "layer L, head H", the head that guided alignment training (Garg et al. 2019)
# supervised, or "layer mean, head mean" for a model trained without. Also writes
# $out/probe.jsonl (the record says the model's layer count).
readout() {
  "$bin" align --model "$1" --src "$2" --tgt "$3" --tokenized --out "$out/probe" \
    2>&1 >/dev/null | grep -o 'layer [^,]*, head [^,]*' | tail -1
}
guided() { [[ $1 != "layer mean, head mean" ]]; }
# Row label of an alignment-layer checkpoint name: alignment_layer[_hansards].
layer_label() {
  local l=${1//_/ }
  echo "${l/ hansards/, + Hansards text}"
}

{
  printf 'Hansards en-fr, %s sentence pairs, model %s\n' "$(wc -l < "$out/en.txt")" "$run_dir"
  row "diagonal baseline" "$out/diagonal.align"
  head -1 "$out/en.txt" >"$out/probe.en"
  head -1 "$out/fr.txt" >"$out/probe.fr"
  fwd_readout=$(readout "$run_dir" "$out/probe.en" "$out/probe.fr")
  layers=$(grep -m1 -o '"layers":[0-9]*' "$out/probe.jsonl" | cut -d: -f2)
  for shift in "" --shift; do
    for layer in $(seq 0 $((layers - 1))) mean; do
      align_row "layer $layer, mean heads${shift:+, shift-att}" "layer_$layer${shift:+_shift}" \
        --layer "$layer" --head mean $shift
    done
  done
  names="diagonal layer_mean"
  # A model trained with guided alignment (data.train.alignment, Garg et al. 2019): align's
  # default read-out, the head that training.guided_alignment supervised.
  if guided "$fwd_readout"; then
    align_row "supervised head ($fwd_readout)" supervised
    # The same head read with a threshold instead of argmax: a target word links to every source
    # word that holds at least half of its attention, and to none when the head is spread out.
    align_row "supervised head, threshold $threshold" supervised_t05 --method threshold \
      --threshold "$threshold"
    names="$names supervised supervised_t05"
  fi
  # The alignment layer (Zenkel et al. 2019), when `tinynmt train-alignment-layer` wrote one, and
  # the same layer trained on further on the text of these very pairs (no gold links:
  # transductive, as statistical aligners are trained on the corpus they align).
  ckpts=""
  for ckpt in alignment_layer alignment_layer_hansards; do
    [[ -f $run_dir/$ckpt.ckpt ]] || continue
    align_row "$(layer_label "$ckpt")" "$ckpt" --alignment-layer-file "$run_dir/$ckpt.ckpt"
    names="$names $ckpt"
    [[ -f $rev_dir/$ckpt.ckpt ]] && ckpts="$ckpts $ckpt"
  done
  printf 'by source length: %s (no shift)\n' "${names// /, }"
  for name in $names; do
    "$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based --pred "$out/$name.align" \
      --by-length "$out/en.txt" | tail -n +3
  done
  if [[ -d $rev_dir ]]; then
    printf 'reverse model %s (fr→en), symmetrised with the rows above (no shift)\n' "$rev_dir"
    for layer in $(seq 0 $((layers - 1))) mean; do
      reverse_rows "layer $layer" "layer_$layer" --layer "$layer" --head mean
    done
    if guided "$fwd_readout" && guided "$(readout "$rev_dir" "$out/probe.fr" "$out/probe.en")"; then
      reverse_rows "supervised heads" supervised
      reverse_rows "supervised heads, threshold $threshold" supervised_t05 --method threshold \
        --threshold "$threshold"
      # Soft symmetrisation: the two supervised heads' weights averaged, links where the mean is
      # at least the same fixed threshold (align --reverse-model).
      align_row "supervised heads, mean of both >= $threshold" supervised_soft \
        --reverse-model "$rev_dir" --threshold "$threshold"
    fi
    for ckpt in $ckpts; do
      reverse_rows "$(layer_label "$ckpt")" "$ckpt" --alignment-layer-file "$rev_dir/$ckpt.ckpt"
    done
    printf 'by source length: layer mean, grow-diag-final-and\n'
    "$bin" evaluate --aer --gold "$gold_dir/enfr.gold" --one-based --by-length "$out/en.txt" \
      --pred "$out/sym_layer_mean_grow-diag-final-and.align" | tail -n +3
  fi
} | tee "$out/aer.txt"
