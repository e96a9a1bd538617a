#!/usr/bin/env bash
# Seed inputs for the libFuzzer targets (scripts/fuzz.sh), all from the repository's own examples:
#
#   scripts/fuzz_seeds.sh TINYNMT SEEDS_DIR
#
# TINYNMT (the instrumented build's binary) trains the toy copy config for 30 steps and writes
# that run's checkpoint, attention records, .npy arrays and alignments; so seeding is also a run
# of train, translate and align under the sanitizers. Writes SEEDS_DIR/fuzz_*/ (kept when present).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:?usage: scripts/fuzz_seeds.sh TINYNMT SEEDS_DIR}"
seeds="${2:?usage: scripts/fuzz_seeds.sh TINYNMT SEEDS_DIR}"
if [ -f "$seeds/done" ]; then exit 0; fi
rm -rf "$seeds"
mkdir -p "$seeds"/fuzz_{config,corpus,attention_jsonl,alignment,npy,checkpoint}
bash scripts/get_data.sh toy > /dev/null

# Config: each shipped config behind an override line (fuzz/fuzz_config.cpp's input format).
n=0
for f in configs/*.yaml; do
  for set in training.lr=0.001 model.decoder.attention=general data.max_length=80; do
    n=$((n + 1))
    { echo "$set"; cat "$f"; } > "$seeds/fuzz_config/$n.txt"
  done
done

# Corpus: source NUL target (two files), and TSV.
{ head -40 data/toy/train.src; printf '\0'; head -40 data/toy/train.tgt; } > "$seeds/fuzz_corpus/toy"
# sed, not head: head exits after 40 lines and paste would die of SIGPIPE (pipefail).
paste data/toy/dev.src data/toy/dev.tgt | sed -n 1,40p > "$seeds/fuzz_corpus/toy.tsv"
m30k=../shared/data/multi30k
if [ -f "$m30k/val.de" ]; then
  { head -30 "$m30k/val.de"; printf '\0'; head -30 "$m30k/val.en"; } > "$seeds/fuzz_corpus/multi30k"
fi

# A 30-step toy run, then its checkpoint, attention records, arrays and alignments.
run="$seeds/toy_run"
"$bin" train configs/toy_copy.yaml --set run.dir="$run" --set training.max_steps=30 \
  --set training.validate_every=30 --set training.log_every=10 --threads 1 > "$seeds/train.log" 2>&1 ||
  { cat "$seeds/train.log"; exit 1; }
cp "$run/last.ckpt" "$seeds/fuzz_checkpoint/toy.ckpt"
head -5 data/toy/test.src > "$seeds/src.txt"
head -5 data/toy/test.tgt > "$seeds/tgt.txt"
"$bin" align --model "$run" --checkpoint last --src "$seeds/src.txt" --tgt "$seeds/tgt.txt" \
  --out "$seeds/toy" --npy --self-attention --threads 1 > "$seeds/align.log" 2>&1 ||
  { cat "$seeds/align.log"; exit 1; }
head -2 "$seeds/toy.jsonl" > "$seeds/fuzz_attention_jsonl/two.jsonl"
head -1 "$seeds/toy.jsonl" > "$seeds/fuzz_attention_jsonl/one.jsonl"
cp "$seeds"/toy.0000.*.npy "$seeds/fuzz_npy/"
cp "$seeds/toy.align" "$seeds/fuzz_alignment/toy.align"
gold=../shared/data/align-gold/en-fr-hansards/enfr.gold
if [ -f "$gold" ]; then
  head -20 "$gold" > "$seeds/fuzz_alignment/hansards.gold"
fi
touch "$seeds/done"
echo "fuzz_seeds: $(find "$seeds"/fuzz_* -type f | wc -l) seeds in $seeds"
