#!/usr/bin/env bash
# Training speed of tinynmt and JoeyNMT side by side, in one run on this machine: Multi30k de→en,
# the shipped Transformer config (3+3 layers, d 256, 4 heads, ff 1024), the same SentencePiece
# model and vocabulary, THREADS threads each, batches of the same real target tokens. Figures:
# target tokens/s over steps 50..STEPS and peak RSS. Optionally the time each toolkit takes to
# validation BLEU 30 and 35, and the decoding table against CTranslate2 on a trained run
# (scripts/compare_ctranslate2.sh on test2016).
#
#   scripts/compare_peers.sh [OUT=runs/compare_peers] [DECODE_RUN]
#
# Environment: STEPS (250), THREADS (2), TINYNMT (build/tinynmt), JOEY_PYTHON (a Python with
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
config=configs/multi30k_de_en_transformer.yaml
[ -x "$bin" ] || { echo "compare_peers.sh: $bin not built" >&2; exit 1; }
"$joey_py" -c "import joeynmt.helpers" 2>/dev/null ||
  { echo "compare_peers.sh: $joey_py has no joeynmt (see the header for the install)" >&2; exit 1; }
[ "$steps" -gt 50 ] && [ $((steps % 50)) = 0 ] ||
  { echo "compare_peers.sh: STEPS must be a multiple of 50 above 50" >&2; exit 2; }
[ -f data/multi30k/train.de ] || scripts/get_data.sh multi30k
export OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
to_bleu=${TO_BLEU_MINUTES:-0}
if [ "${SPEED:-1}" = 0 ]; then
  [ "$to_bleu" != 0 ] || { echo "compare_peers.sh: SPEED=0 and no TO_BLEU_MINUTES: nothing to do" >&2; exit 2; }
  mkdir -p "$out"
  scripts/peers_time_to_bleu.sh "$out" "$to_bleu" "$threads" "$bin" "$joey_py"
  exit 0
fi
rm -rf "$out" && mkdir -p "$out"

echo "compare_peers: tinynmt, $steps steps ($(date +%T))"
/usr/bin/time -f %M -o "$out/tinynmt.rss_kb" "$bin" train "$config" --set run.dir="$out/tinynmt" \
  --set run.threads="$threads" --set training.max_steps="$steps" --set training.max_minutes=0 \
  --set training.validate_every="$((steps + 1))" --set training.log_every=50 \
  --set training.report_sentences=0 --set training.ema_decay=0 >"$out/tinynmt.log" 2>&1
# (no weight EMA: JoeyNMT's run keeps none, so both do the same work a step)
# tinynmt's figures: tokens and seconds between the log lines of step 50 and of the last step.
read -r tin_tps tin_batch < <(python3 - "$out/tinynmt/metrics.jsonl" "$steps" <<'EOF'
import json, sys
rows = {r["step"]: r for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "train"}
a, b = rows[50], rows[int(sys.argv[2])]
print((b["target_tokens"] - a["target_tokens"]) / (b["elapsed_s"] - a["elapsed_s"]),
      b["target_tokens"] / b["step"])
EOF
)

echo "compare_peers: JoeyNMT, $steps steps ($(date +%T))"
"$joey_py" scripts/joeynmt_config.py "$out/tinynmt" "$out/joeynmt" --steps "$steps" \
  --target-tokens "$tin_batch" | tee "$out/joeynmt.batch"
echo "--- JoeyNMT config ($out/joeynmt/joeynmt.yaml) ---" && cat "$out/joeynmt/joeynmt.yaml" && echo ---
/usr/bin/time -f %M -o "$out/joeynmt.rss_kb" "$joey_py" -m joeynmt train \
  "$out/joeynmt/joeynmt.yaml" --skip-test >"$out/joeynmt.log" 2>&1
# JoeyNMT logs tokens/s of each 50-step interval; steps 50..STEPS = the intervals ending at
# 100..STEPS; their harmonic mean is tokens over time when the intervals hold equal tokens.
joey_tps=$(python3 - "$out/joeynmt/model/train.log" "$steps" <<'EOF'
import re, sys
r = [float(m.group(2)) for m in re.finditer(r"Step:\s+(\d+),.*Tokens per Sec:\s+([\d.]+)",
     open(sys.argv[1]).read()) if 50 < int(m.group(1)) <= int(sys.argv[2])]
print(len(r) / sum(1 / x for x in r))
EOF
)

python3 - "$out" "$tin_tps" "$joey_tps" "$steps" "$threads" "$joey_py" "$bin" <<'EOF'
import datetime, json, os, platform, subprocess, sys
out, tin, joey, steps, threads, py, binary = sys.argv[1:]
flags = next((l.split(":")[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
ver = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.strip()  # noqa: E731
rss = lambda name: int(open(f"{out}/{name}.rss_kb").read().split()[-1]) / 1024  # noqa: E731
res = {"date": datetime.date.today().isoformat(), "cores": os.cpu_count(),
       "cpu": platform.processor() or platform.machine(),
       "cpu_flags": [f for f in flags if f.startswith(("avx", "fma", "amx"))],
       "tinynmt": ", ".join(ver([binary, "--version"]).splitlines()[:2]),
       "joeynmt": ver([py, "-c", "import joeynmt, torch; print(joeynmt.__version__, 'torch', torch.__version__)"]),
       "steps": f"50-{steps}", "threads": int(threads),
       "tinynmt_tokens_per_s": float(tin), "joeynmt_tokens_per_s": float(joey),
       "tinynmt_peak_rss_mb": rss("tinynmt"), "joeynmt_peak_rss_mb": rss("joeynmt")}
res["ratio"] = res["tinynmt_tokens_per_s"] / res["joeynmt_tokens_per_s"]
json.dump(res, open(f"{out}/peers.json", "w"), indent=1)
md = [f"{res['date']}, {res['cores']} cores, {' '.join(res['cpu_flags'])}; {res['tinynmt']}; "
      f"JoeyNMT {res['joeynmt']}; {threads} threads; steps {res['steps']}", "",
      "| toolkit | target tokens/s | peak RSS, MB |", "|---|---|---|",
      f"| tinynmt | {res['tinynmt_tokens_per_s']:.0f} | {res['tinynmt_peak_rss_mb']:.0f} |",
      f"| JoeyNMT | {res['joeynmt_tokens_per_s']:.0f} | {res['joeynmt_peak_rss_mb']:.0f} |", "",
      f"tinynmt / JoeyNMT: {res['ratio']:.2f}x"]
open(f"{out}/peers.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
EOF

[ "$to_bleu" = 0 ] || scripts/peers_time_to_bleu.sh "$out" "$to_bleu" "$threads" "$bin" "$joey_py"

if [ -n "$decode_run" ]; then
  echo "compare_peers: decoding against CTranslate2 on test2016 ($(date +%T))"
  scripts/compare_ctranslate2.sh "$decode_run" data/multi30k/test_2016_flickr.de \
    data/multi30k/test_2016_flickr.en "$threads" "$bin" | tee -a "$out/peers.md"
fi
