#!/usr/bin/env bash
# Word-aligns a parallel corpus with tinynmt alone, as a user of fast_align or eflomal would:
# Pharaoh links (0-based src-tgt word pairs), one line per sentence pair. No external aligner:
#   1-2  a first Transformer in each direction, plain;
#   3    both align the corpus (the cross-attention of decoder layer LAYER, mean over heads,
#        argmax source word per target word; shift-att with SHIFT=--shift, Chen et al. 2020),
#        and the two directions are symmetrised (GUIDE_METHOD) into word links;
#   4-5  a second Transformer in each direction, trained with guided alignment (Garg et al.
#        2019) on those links;
#   6    both align the corpus with their supervised heads, symmetrised by METHOD into OUT.
#
#   scripts/align_corpus.sh SRC TGT OUT
#     SRC, TGT  line-aligned text, tokenised into space-separated words (the words the links
#               number); tinynmt's SentencePiece model splits them further on its own.
#
# Environment:
#   CONFIG        the Transformer config of all four models (default
#                 configs/hansards_en_fr_transformer.yaml: 3+3 layers, d 256, 2,000 steps, about
#                 27 minutes each on a 2-core CPU); its data.train/dev/test are replaced.
#   SET           more `--set key=value` overrides for all four, space-separated
#                 (e.g. "training.max_steps=1000 run.threads=4")
#   GUIDED_SET    more overrides for the two guided models only, after SET (e.g.
#                 "training.guided_alignment.weight=1.0 training.guided_alignment.full_context=true",
#                 the settings of the best eflomal-guided Hansards models, docs/alignment.md)
#   DEV_SRC, DEV_TGT  validation pairs (default: the first 500 pairs of the corpus)
#   WORK          the four run folders, links and logs (default OUT.work); a stage whose
#                 WORK/NAME.done exists is not run again, so an interrupted job goes on
#   LAYER         decoder layer the first models align with (default -2, the penultimate,
#                 the layer guided training supervises; a negative index counts from the end)
#   SHIFT         --shift: read the first models with shift-att (default: without)
#   GUIDE_METHOD  symmetrisation of the first models' links (default grow-diag)
#   METHOD        symmetrisation of the output (default grow-diag-final-and; or intersection,
#                 grow-diag, or mean: the two supervised heads' weights averaged and linked
#                 where the mean is >= 0.5, `tinynmt align --reverse-model`; the best of these
#                 for guided models trained with training.guided_alignment.null_to_eos)
#   TINYNMT_BIN   the binary (default build/tinynmt)
# Each stage prints a line with the time taken; training shows its progress lines. The
# models' full logs are WORK/NAME.log.
set -euo pipefail
[[ $# -eq 3 ]] || { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
src=$1 tgt=$2 out=$3
bin=${TINYNMT_BIN:-build/tinynmt}
config=${CONFIG:-configs/hansards_en_fr_transformer.yaml}
work=${WORK:-$out.work}
layer=${LAYER:--2}
guide_method=${GUIDE_METHOD:-grow-diag}
method=${METHOD:-grow-diag-final-and}
die() { echo "align_corpus: error: $*" >&2; exit 1; }
t_start=$SECONDS
elapsed() { printf '%dm%02ds' $(((SECONDS - $1) / 60)) $(((SECONDS - $1) % 60)); }
say() { echo "align_corpus [$(date +%H:%M:%S), $(elapsed "$t_start")]: $*" >&2; }

[[ -x $bin ]] || die "$bin not found (build tinynmt, or set TINYNMT_BIN)"
[[ -f $config ]] || die "CONFIG $config not found"
for f in "$src" "$tgt"; do [[ -s $f ]] || die "$f not found or empty"; done
n=$(wc -l <"$src")
[[ $n == "$(wc -l <"$tgt")" ]] || die "$tgt has $(wc -l <"$tgt") lines, but $src has $n"
mkdir -p "$work"
if [[ -z ${DEV_SRC:-} ]]; then
  head -n 500 "$src" >"$work/dev.src"
  head -n 500 "$tgt" >"$work/dev.tgt"
  DEV_SRC=$work/dev.src DEV_TGT=$work/dev.tgt
fi
sets=()
for kv in ${SET:-}; do sets+=(--set "$kv"); done
guided_sets=()
for kv in ${GUIDED_SET:-}; do guided_sets+=(--set "$kv"); done

# train NAME FROM TO DEV_FROM DEV_TO [--set ...]: one model into WORK/NAME (skipped when done).
train() {
  local name=$1 from=$2 to=$3 dev_from=$4 dev_to=$5 t0=$SECONDS
  shift 5
  if [[ -f $work/$name.done ]]; then say "$name: trained before ($work/$name)"; return; fi
  say "$name: training ($work/$name.log)"
  "$bin" train "$config" --set run.dir="$work/$name" --set data.train.src="$from" \
    --set data.train.tgt="$to" --set data.dev.src="$dev_from" --set data.dev.tgt="$dev_to" \
    --set data.test.src="$dev_from" --set data.test.tgt="$dev_to" "${sets[@]}" "$@" 2>&1 |
    tee "$work/$name.log" | { grep --line-buffered -E ' step [0-9]+ | valid|error' >&2 || true; } ||
    die "training $name failed: see $work/$name.log"
  touch "$work/$name.done"
  say "$name: trained in $(elapsed "$t0")"
}
# align NAME FWD_RUN REV_RUN SYM_METHOD [align options]: the corpus aligned by both runs
# (WORK/NAME.fwd.align; WORK/NAME.tgt-src.align, as the reverse run writes it: target-source
# links, which `symmetrize --reverse` inverts itself) and symmetrised into WORK/NAME.align.
align() {
  local name=$1 fwd=$2 rev=$3 sym=$4 t0=$SECONDS
  shift 4
  say "$name: aligning $n pairs with $fwd and $rev"
  if [[ $sym == mean ]]; then  # soft: both runs' weights averaged, then thresholded at 0.5
    "$bin" align --model "$fwd" --reverse-model "$rev" --src "$src" --tgt "$tgt" --tokenized \
      --pharaoh-only --out "$work/$name" "$@" || die "align with $fwd and $rev failed"
    say "$name: aligned and symmetrised (mean) in $(elapsed "$t0")"
    return
  fi
  "$bin" align --model "$fwd" --src "$src" --tgt "$tgt" --tokenized --pharaoh-only \
    --out "$work/$name.fwd" "$@" || die "align with $fwd failed"
  "$bin" align --model "$rev" --src "$tgt" --tgt "$src" --tokenized --pharaoh-only \
    --out "$work/$name.tgt-src" "$@" || die "align with $rev failed"
  "$bin" symmetrize --forward "$work/$name.fwd.align" --reverse "$work/$name.tgt-src.align" \
    --method "$sym" --out "$work/$name.align" || die "symmetrize failed"
  say "$name: aligned and symmetrised ($sym) in $(elapsed "$t0")"
}
# Pharaoh links i-j read as j-i.
swap() { awk '{ for (k = 1; k <= NF; k++) { split($k, p, "-"); $k = p[2] "-" p[1] } print }'; }

say "$n pairs; four models from $config; work in $work"
train first_fwd "$src" "$tgt" "$DEV_SRC" "$DEV_TGT"
train first_rev "$tgt" "$src" "$DEV_TGT" "$DEV_SRC"
if [[ ! -f $work/first_links.done ]]; then
  align first_links "$work/first_fwd" "$work/first_rev" "$guide_method" --layer "$layer" \
    --head mean ${SHIFT:+--shift}
  touch "$work/first_links.done"
fi
swap <"$work/first_links.align" >"$work/first_links.swapped.align"  # target-source: guided_rev
train guided_fwd "$src" "$tgt" "$DEV_SRC" "$DEV_TGT" \
  --set data.train.alignment="$work/first_links.align" "${guided_sets[@]}"
train guided_rev "$tgt" "$src" "$DEV_TGT" "$DEV_SRC" \
  --set data.train.alignment="$work/first_links.swapped.align" "${guided_sets[@]}"
align guided_links "$work/guided_fwd" "$work/guided_rev" "$method"
cp "$work/guided_links.align" "$out"
say "done: $out ($n lines, $method of the two guided models) in $(elapsed "$t_start")"
