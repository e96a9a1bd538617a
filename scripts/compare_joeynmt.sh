#!/usr/bin/env bash
# Side-by-side decoding of one RNN run by tinynmt and by JoeyNMT 2.3 on the same weights
# (`tinynmt export --format joeynmt`: GRUs, luong-general attention, one decoder layer): BLEU
# (`tinynmt evaluate`) and sentences/s, greedy and beam 5, THREADS threads, batches of 64
# sentences in both. RNN models have no CTranslate2 path; this is their decoding comparison.
#   scripts/compare_joeynmt.sh RUN_DIR SRC REF [THREADS=2] [TINYNMT=build/tinynmt]
# Needs the peer: scripts/install_peers.sh joeynmt (or JOEY_PYTHON, a Python with joeynmt). Times
# are wall-clock seconds of the whole command (loading the model included) and, for JoeyNMT, of
# decoding alone (its predict(), scripts/joeynmt_translate.py). Both beam searches use the run's
# alpha with the GNMT length penalty. Greedy search is the same computation in both; the beam
# searches differ in one rule (JoeyNMT keeps finished hypotheses in the beam and stops when all
# have finished), so some lines differ: how many goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1 src=$2 ref=$3 threads=${4:-2} bin=${5:-build/tinynmt}
py=${JOEY_PYTHON:-.peers/bin/python}
"$py" -c "import joeynmt" 2>/dev/null ||
  { echo "compare_joeynmt.sh: $py has no joeynmt (scripts/install_peers.sh joeynmt)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
TINYNMT_PYTHON="$py" "$bin" export --format joeynmt --model "$run" --out "$out/joey" >/dev/null
alpha=$(sed -n 's/^ *alpha: *\([0-9.]*\).*/\1/p' "$run/config.yaml" | head -1)
n=$(wc -l <"$src")
export OMP_NUM_THREADS=$threads
source scripts/lib/decoding_table.sh
table_header
for beam in 1 5; do
  tinynmt_row tinynmt float32 "$beam" "$out/tinynmt.$beam.txt"
  peer_row joeynmt float32 "$beam" "$out/joey.$beam.txt" \
    "$py" scripts/joeynmt_translate.py "$out/joey" --threads "$threads" --beam "$beam" \
    --alpha "${alpha:-0.6}" --input "$src" --output "$out/joey.$beam.txt"
  echo "beam $beam: $(same_lines "$out/tinynmt.$beam.txt" "$out/joey.$beam.txt") of $n" \
    "lines identical (tinynmt vs joeynmt)" >&2
done
