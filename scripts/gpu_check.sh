#!/usr/bin/env bash
# The GPU check: builds tinynmt against a GPU machine's own LibTorch (its Python torch), runs the
# suite with the GPU tests, trains the Multi30k Transformer for 5 minutes, translates test2016
# (beam 5) and scores it, and benchmarks the three Multi30k configs in fp32 and bf16 against the
# GPU's own matrix-product peak, with a kernel profile. Everything lands in one folder.
#
#   On the development machine (apt, data):
#     scripts/gpu_check.sh prepare   # .deps/debs (scripts/build_cuda.sh fetch), data/multi30k
#   On the GPU machine (no internet; .deps and data/multi30k travel with the working tree):
#     scripts/gpu_check.sh part1     # build, start the 5-minute training (in the background,
#                                    # its own session), build and run the test suite
#     scripts/gpu_check.sh part2     # wait for the training, translate test2016 + BLEU, bench
#     scripts/gpu_check.sh all       # part1 then part2 (about 10 minutes on an H200)
#
# Two parts, because one command on a lent machine may run for at most 10 minutes; the training
# started by part1 runs on between them. Results: $OUT (the device tool's folder) or gpu_out/:
# part1.log, part2.log, summary.txt, results.tgz (logs, bench JSON, translations, metrics),
# traces.tgz (Chrome traces of 3 profiled training steps per config).
# The training runs on CPUs 0-3 and the test build and suite on the others (taskset), so that the
# suite does not starve the training's kernel launches.
# Environment: PYTHON (python3), TRAIN_MINUTES (5), BENCH_STEPS (20), BENCH_DECODE (500),
# BENCH_BATCHES ("16384"); for a dry run of part2 on a CPU: BIN, DEVICE, RUN.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu_out}
WORK=$PWD/runs/gpu_check  # intermediate files; runs/ is ignored and stays between calls
RUN=${RUN:-runs/gpu_transformer}
LIBDIR=$PWD/.deps/prefix/usr/lib/x86_64-linux-gnu
BIN=${BIN:-build-cuda/tinynmt}
DEVICE=${DEVICE:-cuda}
REST="4-$(($(nproc) - 1))"  # the CPUs the training leaves to the build and the suite
M30K=data/multi30k
mkdir -p "$OUT" "$WORK"

log() { echo "[gpu_check $(date -u +%H:%M:%S) ${SECONDS}s] $*"; }
# The unpacked Debian libraries serve tinynmt and its tests; Python runs without them.
export LD_LIBRARY_PATH="$LIBDIR:${LD_LIBRARY_PATH:-}"
python() { env -u LD_LIBRARY_PATH "${PYTHON:-python3}" "$@"; }
tinynmt() { "$BIN" "$@"; }
# pin CPUS COMMAND...: runs COMMAND on those CPUs where taskset exists and the machine has them.
pin() {
  local cpus=$1
  shift
  if command -v taskset >/dev/null && (($(nproc) >= 8)); then taskset -c "$cpus" "$@"; else "$@"; fi
}

prepare() {
  bash scripts/build_cuda.sh fetch
  rm -rf .deps/prefix  # unpacked on the GPU machine; only the .debs travel
  if [[ ! -s $M30K/train.de ]]; then bash scripts/get_data.sh multi30k; fi
  du -sh .deps/debs $M30K
}

machine() {
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv || true
  python -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda)'
  g++ --version | head -1
  cmake --version | head -1
  nproc
}

start_training() {
  rm -rf "$RUN"
  log "training $RUN for ${TRAIN_MINUTES:-5} minutes (background, its own session)"
  pin 0-3 setsid nohup "$BIN" train \
    configs/multi30k_de_en_transformer.yaml --device "$DEVICE" --threads 4 \
    --set run.dir=$RUN training.max_minutes="${TRAIN_MINUTES:-5}" training.max_steps=0 \
    training.max_epochs=0 training.validate_every=1000 \
    >"$WORK/train.log" 2>&1 </dev/null &
  echo $! >"$WORK/train.pid"
  sleep 45
  tail -3 "$WORK/train.log"
  kill -0 "$(cat "$WORK/train.pid")" 2>/dev/null || log "the training process has ended already"
}

part1() {
  machine
  log "build tinynmt"
  bash scripts/build_cuda.sh build tinynmt >"$WORK/build.log" 2>&1 ||
    { tail -40 "$WORK/build.log"; log "build failed"; return 1; }
  tinynmt --version
  start_training
  log "build the tests"
  pin "$REST" nice bash scripts/build_cuda.sh build all >>"$WORK/build.log" 2>&1 ||
    { tail -40 "$WORK/build.log"; log "test build failed"; return 1; }
  log "GPU tests"
  (cd build-cuda && pin "$REST" ctest -R 'Cuda\.' --output-on-failure --timeout 300) 2>&1 |
    tee "$WORK/ctest_gpu.log"
  # The suite gets what is left of the command's 10 minutes (ctest's --stop-time is a clock time).
  local budget=$((560 - SECONDS))
  ((budget < 30)) && budget=30
  log "the whole suite (4 at a time, failures rerun one at a time), ${budget} s at most"
  (cd build-cuda && pin "$REST" nice timeout "$budget" ctest --timeout 300 --parallel 4 \
    >"$WORK/ctest.log" 2>&1 ||
    pin "$REST" timeout 60 ctest --rerun-failed --output-on-failure --timeout 300 \
      >>"$WORK/ctest.log" 2>&1)
  grep -E "tests passed|tests failed|Skipped|\*\*\*Failed|Not Run" "$WORK/ctest.log" | tail -20
  log "part1 done"
}

wait_training() {
  local pid
  pid=$(cat "$WORK/train.pid" 2>/dev/null) || { log "no training was started"; return 1; }
  while kill -0 "$pid" 2>/dev/null; do sleep 5; done
  log "training ended"
  tail -5 "$WORK/train.log" || true
}

translate_test() {
  for beam in 5 1; do
    local t0=$SECONDS
    tinynmt translate --model $RUN --input $M30K/test_2016_flickr.de --beam $beam --device "$DEVICE" \
      --output "$WORK/test2016.beam$beam.en" 2>"$WORK/translate.beam$beam.log"
    log "test2016 beam $beam: $((SECONDS - t0)) s (the command: load, tokenise, decode, write)"
    tinynmt evaluate --ref $M30K/test_2016_flickr.en --hyp "$WORK/test2016.beam$beam.en" |
      tee "$WORK/bleu.beam$beam.txt"
  done
  python -m sacrebleu $M30K/test_2016_flickr.en -i "$WORK/test2016.beam5.en" -m bleu \
    -b 2>/dev/null | sed 's/^/sacrebleu (python) beam 5: /' | tee "$WORK/sacrebleu.txt" || true
}

bench_all() {
  local cfgs=(configs/multi30k_de_en_transformer.yaml configs/multi30k_de_en_luong.yaml
    configs/multi30k_de_en_bahdanau.yaml)
  local common=(--device "$DEVICE" --steps "${BENCH_STEPS:-20}" --warmup 5 --set run.dir=$RUN)
  log "bench fp32 (decoding with the trained Transformer's weights where they fit)"
  tinynmt bench "${cfgs[@]}" "${common[@]}" --decode-sentences "${BENCH_DECODE:-500}" \
    --json "$WORK/bench_fp32.json" --profile "$WORK/profile_fp32" 2>&1 | tee "$WORK/bench_fp32.log"
  log "bench bf16 (training only)"
  tinynmt bench "${cfgs[@]}" "${common[@]}" training.precision=bf16 --decode-sentences 0 \
    --json "$WORK/bench_bf16.json" --profile "$WORK/profile_bf16" 2>&1 | tee "$WORK/bench_bf16.log"
  log "bench: the Transformer at 4x and 16x the batch (launch-bound or not)"
  for b in ${BENCH_BATCHES-16384}; do
    tinynmt bench configs/multi30k_de_en_transformer.yaml "${common[@]}" training.batch_size=$b \
      --decode-sentences 0 --json "$WORK/bench_fp32_batch$b.json" 2>&1 | tail -4
  done
}

pack() {
  cp "$RUN/metrics.jsonl" "$RUN/config.yaml" "$WORK/" 2>/dev/null
  python scripts/gpu_summary.py "$WORK" | tee "$OUT/summary.txt"
  tar -C "$WORK" -czf "$OUT/results.tgz" --exclude='profile_*' .
  tar -C "$WORK" -czf "$OUT/traces.tgz" profile_fp32 profile_bf16 2>/dev/null
  ls -la "$OUT"
}

part2() {
  wait_training && translate_test
  bench_all
  pack
  log "part2 done"
}

case "${1:-}" in
  prepare) prepare ;;
  part1) part1 2>&1 | tee "$OUT/part1.log" ;;
  part2) part2 2>&1 | tee "$OUT/part2.log" ;;
  all) (part1 && part2) 2>&1 | tee "$OUT/all.log" ;;
  *)
    echo "usage: scripts/gpu_check.sh prepare|part1|part2|all" >&2
    exit 2
    ;;
esac
