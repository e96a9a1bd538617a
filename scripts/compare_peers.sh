#!/usr/bin/env bash
# Training speed of tinynmt and JoeyNMT side by side, in one run on this machine: Multi30k de→en,
# the shipped Transformer config (3+3 layers, d 256, 4 heads, ff 1024; MODEL=luong: the shipped
# GRU config with Luong attention, configs/multi30k_de_en_luong.yaml), the same SentencePiece
# model and vocabulary, THREADS threads each, batches of the same real target tokens. Figures:
# target tokens/s over steps 50..STEPS and peak RSS. Optionally the time each toolkit takes to
# validation BLEU 30 and 35 (Transformer), and the decoding table of a trained run on test2016:
# a Transformer against CTranslate2 (scripts/compare_ctranslate2.sh), an RNN against JoeyNMT on
# the same weights (scripts/compare_joeynmt.sh).
#
#   scripts/compare_peers.sh [OUT=runs/compare_peers] [DECODE_RUN]
#
# Environment: MODEL (transformer | luong), STEPS (250), THREADS (2), TINYNMT (build/tinynmt), JOEY_PYTHON (a Python with
# joeynmt; default .peers/bin/python), TINYNMT_PYTHON (the one with ctranslate2, for
# DECODE_RUN), SPEED (1; 0 skips the speed runs), TO_BLEU_MINUTES (0; above 0, each toolkit
# also trains with a greedy validation on val every 100 steps until BLEU 35 or that many minutes,
# timed by scripts/time_to_bleu.py; about 20 minutes for tinynmt, an hour or more for JoeyNMT).
# JoeyNMT needs PyTorch; `scripts/install_peers.sh joeynmt` pulls it (about 5 GB
# with its CUDA libraries) unless it goes into the torch2 line's venv, which has it:
# `TINYNMT_PEERS=.torch2 scripts/install_peers.sh joeynmt` then JOEY_PYTHON=.torch2/bin/python.
# Writes OUT/peers.md and OUT/peers.json (date, machine, versions, figures) and shows the JoeyNMT
# config it wrote (OUT/joeynmt/joeynmt.yaml). Takes about 15 minutes at the default STEPS.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/compare_peers} decode_run=${2:-}
steps=${STEPS:-250} threads=${THREADS:-2} bin=${TINYNMT:-build/tinynmt}
joey_py=${JOEY_PYTHON:-.peers/bin/python}
model=${MODEL:-transformer}
case "$model" in
  transformer | luong) config=configs/multi30k_de_en_$model.yaml ;;
  *) echo "compare_peers.sh: MODEL=$model: choose transformer or luong" >&2; exit 2 ;;
esac
[ -x "$bin" ] || { echo "compare_peers.sh: $bin not built" >&2; exit 1; }
"$joey_py" -c "import joeynmt.helpers" 2>/dev/null ||
  { echo "compare_peers.sh: $joey_py has no joeynmt (see the header for the install)" >&2; exit 1; }
[ "$steps" -gt 50 ] && [ $((steps % 50)) = 0 ] ||
  { echo "compare_peers.sh: STEPS must be a multiple of 50 above 50" >&2; exit 2; }
[ -f data/multi30k/train.de ] || scripts/get_data.sh multi30k
export OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
to_bleu=${TO_BLEU_MINUTES:-0} speed=${SPEED:-1}
[ "$speed" != 0 ] || [ "$to_bleu" != 0 ] || [ -n "$decode_run" ] ||
  { echo "compare_peers.sh: SPEED=0, no TO_BLEU_MINUTES and no DECODE_RUN: nothing to do" >&2; exit 2; }
[ "$to_bleu" = 0 ] || [ "$model" = transformer ] ||
  { echo "compare_peers.sh: TO_BLEU_MINUTES measures the Transformer only (MODEL=$model)" >&2; exit 2; }
mkdir -p "$out"
[ "$speed" = 0 ] || scripts/peers_speed.sh "$out" "$config" "$steps" "$threads" "$bin" "$joey_py"

[ "$to_bleu" = 0 ] || scripts/peers_time_to_bleu.sh "$out" "$to_bleu" "$threads" "$bin" "$joey_py"

if [ -n "$decode_run" ]; then
  peer=ctranslate2
  encoder=$(grep -A2 '^ *encoder:' "$decode_run/config.yaml" || true)
  grep -q 'type: *"\?rnn' <<<"$encoder" && peer=joeynmt
  echo "compare_peers: decoding against $peer on test2016 ($(date +%T))"
  JOEY_PYTHON="$joey_py" scripts/compare_$peer.sh "$decode_run" data/multi30k/test_2016_flickr.de \
    data/multi30k/test_2016_flickr.en "$threads" "$bin" | tee -a "$out/peers.md"
fi
