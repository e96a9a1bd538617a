#!/usr/bin/env bash
# Side-by-side decoding of one run by tinynmt and by CTranslate2 (float32 and int8) on the same
# weights: BLEU (`tinynmt evaluate`) and sentences/s, greedy and beam 5, on THREADS threads;
# tinynmt also with `--quantize int8`.
#   scripts/compare_ctranslate2.sh RUN_DIR SRC REF [THREADS=2] [TINYNMT=build/tinynmt]
# Needs the peer: scripts/install_peers.sh ctranslate2. Times are wall-clock seconds of the whole
# command (loading the model included) and, for CTranslate2, of decoding alone (its own report).
# Beam search: tinynmt's rows use the run's length penalty and alpha; CTranslate2 divides by
# length^alpha with the same alpha. The beam-5 row "tinynmt (average)" decodes with tinynmt's
# `--length-penalty average`, CTranslate2's penalty, so the two beam searches differ only in
# their stopping rules. Lines identical to CTranslate2 float32 go to stderr.
set -euo pipefail
run=$1 src=$2 ref=$3 threads=${4:-2} bin=${5:-build/tinynmt}
py=${TINYNMT_PYTHON:-}
[ -n "$py" ] || { [ -x .peers/bin/python ] && py=.peers/bin/python; } || py=python3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
TINYNMT_PYTHON="$py" "$bin" export --format ctranslate2 --model "$run" --out "$out/ct2" >/dev/null
alpha=$(sed -n 's/^ *alpha: *\([0-9.]*\).*/\1/p' "$run/config.yaml" | head -1)
n=$(wc -l <"$src")
source scripts/lib/decoding_table.sh
table_header
for beam in 1 5; do
  tinynmt_row tinynmt float32 "$beam" "$out/tinynmt.$beam.txt"
  tinynmt_row tinynmt int8 "$beam" "$out/tinynmt_int8.$beam.txt" --quantize int8
  [ "$beam" = 1 ] || tinynmt_row "tinynmt (average)" float32 "$beam" "$out/tinynmt_avg.$beam.txt" \
    --length-penalty average --alpha "${alpha:-0.6}"
  for ct in float32 int8; do
    peer_row ctranslate2 "$ct" "$beam" "$out/ct2.$ct.$beam.txt" \
      "$py" scripts/ctranslate2_translate.py "$out/ct2" --threads "$threads" --beam "$beam" \
      --alpha "${alpha:-0.6}" --compute-type "$ct" --input "$src" --output "$out/ct2.$ct.$beam.txt"
  done
  echo "beam $beam: $(same_lines "$out/tinynmt.$beam.txt" "$out/ct2.float32.$beam.txt") of $n" \
    "lines identical (tinynmt vs ctranslate2 float32)" >&2
  [ "$beam" = 1 ] || echo "beam $beam: $(same_lines "$out/tinynmt_avg.$beam.txt" \
    "$out/ct2.float32.$beam.txt") of $n lines identical (tinynmt average vs ctranslate2 float32)" >&2
done
