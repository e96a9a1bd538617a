#!/usr/bin/env bash
# Data-parallel throughput on this machine, side by side in one run: 1 process x T threads
# against T processes x 1 thread (`tinynmt train --nproc T`), alternating, ROUNDS rounds each.
# Prints the median tokens/s of each (the first log window, start-up, left out), the ratio, and
# the median all-reduce time and bytes per step of the multi-process runs.
#
#   scripts/bench_distributed.sh [CONFIG] [STEPS] [ROUNDS] [T]
#   defaults: configs/multi30k_de_en_transformer.yaml 12 2 2
#
# Uses build/tinynmt (TINYNMT_BIN overrides) and the config's data; validation runs on the first
# 20 dev pairs only (it is not what is measured).
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:-configs/multi30k_de_en_transformer.yaml}"
steps="${2:-12}"
rounds="${3:-2}"
t="${4:-2}"
bin="${TINYNMT_BIN:-build/tinynmt}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The config's dev files, cut to 20 pairs.
dev_src=$(sed -n 's/^ *dev: *{src: *\([^,]*\),.*/\1/p' "$config" | head -1)
dev_tgt=$(sed -n 's/^ *dev: *{.*tgt: *\([^}]*\)}.*/\1/p' "$config" | head -1 | tr -d ' ')
head -20 "$dev_src" >"$tmp/dev.src"
head -20 "$dev_tgt" >"$tmp/dev.tgt"
common=(train "$config" --set training.max_steps="$steps" --set training.max_minutes=0
  --set training.log_every=2 --set training.validate_every=100000 --set training.keep_checkpoints=0
  --set data.dev.src="$tmp/dev.src" --set data.dev.tgt="$tmp/dev.tgt")
# A shared SentencePiece model, trained once, so that no run times tokenizer training.
"$bin" "${common[@]}" --set run.dir="$tmp/spm" --set training.max_steps=1 >/dev/null 2>&1

run() {  # run NAME ARGS...
  local name="$1"; shift
  rm -rf "$tmp/$name"; mkdir -p "$tmp/$name"; cp "$tmp"/spm/spm.* "$tmp/$name/"
  "$bin" "${common[@]}" --set run.dir="$tmp/$name" "$@" >"$tmp/$name.log" 2>&1 ||
    { cat "$tmp/$name.log"; exit 1; }
  # Train records after the first: tokens/s (and all-reduce figures when present).
  grep '"type":"train"' "$tmp/$name/metrics.jsonl" | tail -n +2 >>"$tmp/$name.records"
}
for r in $(seq 1 "$rounds"); do
  run single --threads "$t"
  run multi --nproc "$t" --threads 1
done
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
field() { grep -o "\"$1\":[0-9.e+-]*" "$2" | cut -d: -f2; }
s=$(field tokens_per_s "$tmp/single.records" | median)
m=$(field tokens_per_s "$tmp/multi.records" | median)
ms=$(field allreduce_ms "$tmp/multi.records" | median)
bytes=$(field allreduce_bytes "$tmp/multi.records" | median)
echo "config $config, $steps steps x $rounds rounds, $(nproc) cores"
printf '1 process x %s threads : %8.0f tok/s (median of %s windows)\n' "$t" "$s" "$(wc -l <"$tmp/single.records")"
printf '%s processes x 1 thread: %8.0f tok/s (median of %s windows)\n' "$t" "$m" "$(wc -l <"$tmp/multi.records")"
awk -v s="$s" -v m="$m" 'BEGIN {printf "ratio                  : %8.2f\n", m / s}'
printf 'all-reduce per step    : %8.1f ms, %s bytes (%.1f MB)\n' "$ms" "$bytes" "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')"
echo "losses per step (single | multi, last round):"
paste <(field loss "$tmp/single/metrics.jsonl") <(field loss "$tmp/multi/metrics.jsonl") | sed -n 1,8p
