#!/usr/bin/env bash
# The statistical aligner's bar on the Hansards en-fr gold: eflomal (Östling & Tiedemann 2016,
# Bayesian IBM1 + HMM + fertility, Gibbs sampling) aligns the training text with the 447 test
# pairs appended, in both directions; the last 447 lines are scored with tinynmt's own AER
# scorer, alone and symmetrised by `tinynmt symmetrize` (intersection, grow-diag,
# grow-diag-final-and). Unsupervised: the gold links are only used for scoring.
#
#   scripts/eflomal_baseline.sh [PAIRS [PREFIX]]
#     PAIRS   training pairs to use, the first ones of PREFIX (default: all)
#     PREFIX  PREFIX.{en,fr} = training pairs then the 447 test pairs, tokenised as the gold
#             (default data/hansards/train+test, from `scripts/get_data.sh hansards`)
#
# eflomal comes from pip into the git-ignored venv .peers/ (made on first use; TINYNMT_PEERS
# names another). Writes runs/eflomal_hansards_PAIRS/ (EFLOMAL_OUT names another): the text
# aligned, eflomal's links for all of it (all.{fwd,rev}.align) and for the test pairs
# ({fwd,rev}.align, sym_METHOD.align), aer.txt, and the training pairs' links symmetrised by
# grow-diag (train.grow-diag.align, one line per training pair): the supervision of a guided
# tinynmt model (`data.train.alignment`; GUIDE_METHOD names another heuristic).
# Environment: TINYNMT_BIN (default build/tinynmt), EFLOMAL_ARGS (extra eflomal-align options),
# FAST_ALIGN=1: also fast_align (Dyer et al. 2013; -d -o -v) through pip's systran-align, whose
# Aligner returns one alignment with the two directions already combined inside the library.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-all}
prefix=${2:-data/hansards/train+test}
bin=${TINYNMT_BIN:-build/tinynmt}
peers=${TINYNMT_PEERS:-.peers}
gold=data/hansards/test.gold
n_test=447
log() { echo "eflomal_baseline: $*" >&2; }
die() { echo "eflomal_baseline: error: $*" >&2; exit 1; }

[[ -x $bin ]] || die "$bin not found (build tinynmt, or set TINYNMT_BIN)"
if [[ ! -s $prefix.en || ! -s $gold ]]; then
  [[ $prefix == data/hansards/train+test ]] || die "$prefix.en or $gold not found"
  scripts/get_data.sh hansards
fi
[[ -s $prefix.fr ]] || die "$prefix.fr not found"
if [[ ! -x $peers/bin/eflomal-align ]]; then
  log "installing eflomal from pip into $peers/"
  TINYNMT_PEERS=$peers bash scripts/install_peers.sh eflomal || die "installing eflomal failed"
fi

total=$(wc -l <"$prefix.en")
[[ $total == "$(wc -l <"$prefix.fr")" ]] || die "$prefix.en and $prefix.fr differ in lines"
n_train=$((total - n_test))
[[ $pairs == all ]] && pairs=$n_train
((pairs <= n_train)) || die "PAIRS $pairs > the $n_train training pairs in $prefix.en"
out=${EFLOMAL_OUT:-runs/eflomal_hansards_$pairs}
mkdir -p "$out"
for l in en fr; do
  { head -n "$pairs" "$prefix.$l"; tail -n "$n_test" "$prefix.$l"; } >"$out/text.$l"
done
# the test lines must be the gold's text: compare with data/hansards/test.{en,fr}
for l in en fr; do
  cmp -s <(tail -n "$n_test" "$out/text.$l") "data/hansards/test.$l" \
    || die "the last $n_test lines of $prefix.$l are not data/hansards/test.$l"
done

log "aligning $pairs + $n_test pairs in both directions (eflomal-align, model 3) ..."
start=$(date +%s)
# shellcheck disable=SC2086  # EFLOMAL_ARGS is a list of options
"$peers/bin/eflomal-align" --overwrite -s "$out/text.en" -t "$out/text.fr" \
  -f "$out/all.fwd.align" -r "$out/all.rev.align" ${EFLOMAL_ARGS:-} 2>"$out/eflomal.log" \
  || die "eflomal-align failed: see $out/eflomal.log"
secs=$(($(date +%s) - start))
log "done in ${secs} s"
tail -n "$n_test" "$out/all.fwd.align" >"$out/fwd.align"
tail -n "$n_test" "$out/all.rev.align" >"$out/rev.align"

# eflomal writes both directions as 0-based source-target (English-French) Pharaoh links.
row() {
  local label=$1 pred=$2
  printf '%-24s %s\n' "$label" \
    "$("$bin" evaluate --aer --gold "$gold" --one-based --pred "$pred" | head -1)"
}
# fast_align's row: systran-align trains on the same text and aligns the test pairs.
fast_align_row() {
  "$peers/bin/python" -c 'import systran_align' 2>/dev/null \
    || "$peers/bin/pip" install -q systran-align >&2 || die "pip install systran-align failed"
  paste -d '\t' "$out/text.en" "$out/text.fr" | sed 's/\t/ ||| /' >"$out/text.en-fr"
  local t0
  t0=$(date +%s)
  "$peers/bin/python" - "$out" "$n_test" <<'PY' >&2 || die "systran-align failed"
import sys, systran_align as sa
out, n_test = sys.argv[1], int(sys.argv[2])
sa.generate_alignment_probabilities(f"{out}/text.en-fr", f"{out}/fa.fwd.probs",
    f"{out}/fa.bwd.probs", favor_diagonal=True, optimize_tension=True, variational_bayes=True)
aligner = sa.Aligner(f"{out}/fa.fwd.probs", f"{out}/fa.bwd.probs")
lines = open(f"{out}/text.en-fr", encoding="utf-8").read().splitlines()[-n_test:]
with open(f"{out}/fast_align.align", "w") as f:
    for line in lines:
        src, tgt = line.split(" ||| ")
        links = aligner.align(src.split(), tgt.split())["alignments"]
        f.write(" ".join(f"{i}-{j}" for i, j in links) + "\n")
PY
  row "fast_align, combined" "$out/fast_align.align"
  echo "fast_align: $(($(date +%s) - t0)) s"
}

{
  printf 'eflomal on %s + %s Hansards pairs (%s), %s s\n' "$pairs" "$n_test" "$prefix" "$secs"
  row "en->fr" "$out/fwd.align"
  row "fr->en" "$out/rev.align"
  for method in intersection grow-diag grow-diag-final-and; do
    "$bin" symmetrize --forward "$out/fwd.align" --reverse "$out/rev.align" --same-orientation \
      --method "$method" --out "$out/sym_$method.align" 2>/dev/null
    row "$method" "$out/sym_$method.align"
  done
  if [[ ${FAST_ALIGN:-0} == 1 ]]; then fast_align_row; fi
} | tee "$out/aer.txt"

# The training pairs' links, symmetrised, for guided alignment training.
guide=${GUIDE_METHOD:-grow-diag}
"$bin" symmetrize --forward "$out/all.fwd.align" --reverse "$out/all.rev.align" --same-orientation \
  --method "$guide" --out "$out/all.$guide.align" 2>/dev/null
head -n "$pairs" "$out/all.$guide.align" >"$out/train.$guide.align"
log "training pairs' links ($guide): $out/train.$guide.align"
