#!/usr/bin/env bash
# The main job in one command, on a bare Debian 12 machine:
#   1. installs the dependencies, 2. builds, 3. prepares Multi30k,
#   4. measures this machine's speed on a few training steps and says how long training will
#      take, then trains configs/multi30k_de_en_transformer.yaml (3,494 steps: 51 minutes on
#      the 2-core development machine),
#   5. translates three German sentences, 6. draws word-level heatmaps of their attention,
#   7. prints test2016 BLEU (beam 5) with its sacreBLEU-style signature.
#
#   scripts/demo.sh           # the full run
#   scripts/demo.sh --quick   # the same path in a few minutes (120 steps, weak model)
#   scripts/demo.sh --estimate CONFIG [--set k=v ...]   # only say how long CONFIG would train
#
# A finished run is reused (training resumes or says it has finished); delete RUN_DIR to start over.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
config=configs/multi30k_de_en_transformer.yaml
run_dir=runs/multi30k_de_en_transformer
train_args=()
if [[ $quick -eq 1 ]]; then
  run_dir=runs/demo_quick
  # ema_decay 0: an average with decay 0.999 remembers ~1,000 steps, so after 120 steps it would
  # still be mostly the initial weights; the quick run validates and translates the raw weights.
  train_args=(--set run.dir=$run_dir --set training.max_steps=120 --set training.validate_every=60
              --set training.validate_max_sentences=200 --set training.warmup=100
              --set training.ema_decay=0)
fi

step() { printf '\n== %s\n' "$*"; }

# Says how long training will take here: `tinynmt bench` times a few steps of the config on this
# machine (SentencePiece trained on its corpus, untrained weights), times the planned steps.
# Validations and the test2016 decoding come on top.
estimate_training() {
  local cfg=$1; shift
  "$bin" bench "$cfg" "$@" --steps 3 --warmup 1 --decode-sentences 0 --sgemm-probes 0 \
    --json "$out/bench.json" >"$out/bench.log" 2>&1 || true
  local per_step planned
  per_step=$(grep -o '"step_seconds": *[0-9.eE+-]*' "$out/bench.json" 2>/dev/null | head -1 | cut -d: -f2 | tr -d ' ')
  planned=$(awk '/^training:/ {t=1} t && /^  max_steps:/ {print $2; exit}' "$cfg")
  for a in "$@"; do [[ $a == training.max_steps=* ]] && planned=${a#training.max_steps=}; done
  if [[ -z "$per_step" || -z "$planned" || "$planned" -eq 0 ]]; then
    echo "(no estimate: the speed measurement failed, see $out/bench.log; training follows)"
    return 0
  fi
  awk -v s="$per_step" -v n="$planned" 'BEGIN {
    printf "expected on this machine: about %.0f min for %d training steps (measured %.3f s a step over 3 steps), plus validations\n", s * n / 60, n, s }'
}

# `scripts/demo.sh --estimate CONFIG [--set k=v ...]`: only the estimate, with build/tinynmt (or
# $TINYNMT_BIN), for any config (the test suite runs it on the toy config).
if [[ "${1:-}" == "--estimate" ]]; then
  shift
  bin=${TINYNMT_BIN:-build/tinynmt}
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
  estimate_training "$@"
  exit 0
fi

step "1/7 dependencies"
bash scripts/install_deps.sh
step "2/7 build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYNMT_BUILD_TESTS=OFF >/dev/null
cmake --build build --parallel "$(nproc)"
bin=build/tinynmt
out=$run_dir/demo
mkdir -p "$out"
step "3/7 data"
bash scripts/get_data.sh multi30k
step "4/7 training ($config -> $run_dir)"
estimate_training "$config" "${train_args[@]}"
$bin train "$config" "${train_args[@]}"

step "5/7 translating three sentences"
$bin translate --model "$run_dir" --beam 5 --attention "$out/attention.jsonl" \
  "Ein Mann fährt mit dem Fahrrad über eine Brücke." \
  "Zwei Hunde spielen im Schnee." \
  "Eine Frau in einem roten Kleid singt auf einer Bühne." | tee "$out/translations.txt"
step "6/7 heatmaps"
$bin heatmap --attention "$out/attention.jsonl" --sentence all --level word --head mean \
  --format png --out "$out/heatmaps"
step "7/7 test2016 BLEU (beam 5)"
$bin translate --model "$run_dir" --beam 5 --input data/multi30k/test_2016_flickr.de \
  --output "$out/test_2016_flickr.hyp.en"
$bin evaluate --ref data/multi30k/test_2016_flickr.en --hyp "$out/test_2016_flickr.hyp.en" \
  | tee "$out/test_2016_flickr.scores.txt"

cat <<MSG

Outputs:
  model and checkpoints   $run_dir/{best,last}.ckpt (resolved config: $run_dir/config.yaml)
  training log            $run_dir/metrics.jsonl, curves: $run_dir/curves.png
  translations            $out/translations.txt
  attention (JSON Lines)  $out/attention.jsonl
  heatmaps (PNG)          $out/heatmaps/
  test2016 output         $out/test_2016_flickr.hyp.en
  test2016 BLEU / chrF    $out/test_2016_flickr.scores.txt
MSG
