#!/usr/bin/env bash
# The validation curve of data-parallel training against one process, with the noise between
# two seeds of one process as the yardstick, in one run on this machine:
#   A: 1 process x T threads, run.seed S
#   B: T processes x 1 thread (`--nproc T`), run.seed S
#   C: 1 process x T threads, run.seed S+1
# Prints validation loss and BLEU at each validation of each run, and the largest |A-B| and
# |A-C| differences. B matches A "within noise" when |A-B| is of the size of |A-C|.
#
#   scripts/curve_distributed.sh [CONFIG] [STEPS] [EVERY] [DEV_SENTENCES] [T] [--set KEY=VALUE...]
#   defaults: configs/multi30k_de_en_transformer.yaml 200 50 300 2; the --set overrides go to
#   every run (e.g. a smaller training.batch_size for a shorter measurement). The curves are
#   those of the raw weights (training.ema_decay=0): a weight average would hide early differences
#
# Uses build/tinynmt (TINYNMT_BIN overrides). All runs share one SentencePiece model.
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:-configs/multi30k_de_en_transformer.yaml}"
steps="${2:-200}"
every="${3:-50}"
dev_n="${4:-300}"
t="${5:-2}"
shift $(($# < 5 ? $# : 5))
bin="${TINYNMT_BIN:-build/tinynmt}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seed=$(sed -n 's/^ *seed: *\([0-9]*\).*/\1/p' "$config" | head -1)
seed="${seed:-1}"
common=(train "$config" --set training.max_steps="$steps" --set training.max_minutes=0
  --set training.validate_every="$every" --set training.validate_max_sentences="$dev_n"
  --set training.keep_checkpoints=0 --set training.report_sentences=0
  --set training.early_stopping.patience=0 --set training.ema_decay=0 "$@")
"$bin" "${common[@]}" --set run.dir="$tmp/spm" --set training.max_steps=1 >/dev/null 2>&1

run() {  # run NAME ARGS...
  local name="$1"; shift
  rm -rf "$tmp/$name"; mkdir -p "$tmp/$name"; cp "$tmp"/spm/spm.* "$tmp/$name/"
  echo "$(date +%T) run $name: $*" >&2
  "$bin" "${common[@]}" --set run.dir="$tmp/$name" "$@" >"$tmp/$name.log" 2>&1 ||
    { cat "$tmp/$name.log"; exit 1; }
  grep '"type":"valid"' "$tmp/$name/metrics.jsonl" >"$tmp/$name.valid"
}
run A --threads "$t" --set run.seed="$seed"
run B --nproc "$t" --threads 1 --set run.seed="$seed"
run C --threads "$t" --set run.seed=$((seed + 1))

field() { grep -o "\"$1\":[0-9.e+-]*" "$2" | cut -d: -f2; }
echo "config $config, $steps steps, validation every $every on $dev_n dev sentences, $(nproc) cores"
echo "step  | loss A (1p, seed $seed) | loss B (${t}p, seed $seed) | loss C (1p, seed $((seed + 1))) | BLEU A | BLEU B | BLEU C"
paste <(field step "$tmp/A.valid") <(field loss "$tmp/A.valid") <(field loss "$tmp/B.valid") \
  <(field loss "$tmp/C.valid") <(field bleu "$tmp/A.valid") <(field bleu "$tmp/B.valid") \
  <(field bleu "$tmp/C.valid") | tee "$tmp/table" |
  awk '{printf "%5d | %8.4f | %8.4f | %8.4f | %6.2f | %6.2f | %6.2f\n", $1, $2, $3, $4, $5, $6, $7}'
awk '{ab = $2 - $3; ac = $2 - $4; bab = $5 - $6; bac = $5 - $7
  if (ab < 0) ab = -ab; if (ac < 0) ac = -ac; if (bab < 0) bab = -bab; if (bac < 0) bac = -bac
  if (ab > mab) mab = ab; if (ac > mac) mac = ac; if (bab > mbab) mbab = bab; if (bac > mbac) mbac = bac}
  END {printf "largest |A-B|: loss %.4f, BLEU %.2f;  largest |A-C| (seed noise): loss %.4f, BLEU %.2f\n", mab, mbab, mac, mbac}' "$tmp/table"
