#!/usr/bin/env bash
# The time-to-BLEU stage of scripts/compare_peers.sh (run it through that script):
#
#   scripts/peers_time_to_bleu.sh OUT MINUTES THREADS TINYNMT JOEY_PYTHON
#
# tinynmt trains the shipped Multi30k de→en Transformer config without the weight EMA (JoeyNMT
# keeps none), then JoeyNMT trains the same network with the same schedule, batches, pieces and
# threads (scripts/joeynmt_config.py). Both validate greedily on the whole val set every 100
# steps; scripts/time_to_bleu.py times each from its start to the first validation at BLEU >= 30
# and >= 35, stopping it at 35 or after MINUTES. Appends a table to OUT/peers.md and writes
# OUT/time_to_bleu.json. A toolkit's run that finished before (OUT/NAME_bleu.json) is not run
# again: delete that file to measure it anew.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 minutes=$2 threads=$3 bin=$4 joey_py=$5
config=configs/multi30k_de_en_transformer.yaml
every=100

# timed NAME TOOLKIT RUN_DIR COMMAND...: COMMAND timed to BLEU 35 by time_to_bleu.py into
# OUT/NAME_bleu.json (log OUT/NAME_bleu.log).
timed() {
  local name=$1 toolkit=$2 run_dir=$3
  shift 3
  python3 scripts/time_to_bleu.py --toolkit "$toolkit" --run-dir "$run_dir" \
    --minutes "$minutes" --targets 30 35 --out "$out/${name}_bleu.json" \
    --log "$out/${name}_bleu.log" -- "$@"
}
# done_before NAME: whether OUT/NAME_bleu.json exists (then the half is not run again).
done_before() {
  [ -f "$out/$1_bleu.json" ] || return 1
  echo "compare_peers: $1's time to BLEU measured before ($out/$1_bleu.json)"
}

rm -f "$out/time_to_bleu.json"
if ! done_before tinynmt; then
  echo "compare_peers: tinynmt to val BLEU 35, at most $minutes min ($(date +%T))"
  rm -rf "$out/tinynmt_bleu"
  timed tinynmt tinynmt "$out/tinynmt_bleu" "$bin" train "$config" \
    --set run.dir="$out/tinynmt_bleu" --set run.threads="$threads" --set training.max_minutes=0 \
    --set training.max_steps=100000 --set training.validate_every="$every" \
    --set training.report_sentences=0 --set training.ema_decay=0 \
    --set training.early_stopping.patience=0
fi
if ! done_before joeynmt; then
  echo "compare_peers: JoeyNMT to val BLEU 35, at most $minutes min ($(date +%T))"
  rm -rf "$out/joeynmt_bleu"
  "$joey_py" scripts/joeynmt_config.py "$out/tinynmt_bleu" "$out/joeynmt_bleu" --steps 100000 \
    --validate-every "$every"
  echo "--- JoeyNMT config ($out/joeynmt_bleu/joeynmt.yaml) ---"
  cat "$out/joeynmt_bleu/joeynmt.yaml" && echo ---
  timed joeynmt joeynmt "$out/joeynmt_bleu/model" "$joey_py" -m joeynmt train \
    "$out/joeynmt_bleu/joeynmt.yaml" --skip-test
fi

python3 - "$out" "$minutes" <<'EOF'
import json, sys
out, minutes = sys.argv[1], float(sys.argv[2])
runs = {t: json.load(open(f"{out}/{t}_bleu.json")) for t in ("tinynmt", "joeynmt")}
cell = lambda r: (f"{r['seconds'] / 60:.1f} min (step {r['step']}, {r['bleu']:.2f})"  # noqa: E731
                  if r else f"not within {minutes:g} min")
md = ["", f"Time to validation BLEU (greedy, whole val set, every 100 steps; at most {minutes:g} "
      "min each; the same network, schedule and batches):", "",
      "| toolkit | to BLEU 30 | to BLEU 35 | last validation |", "|---|---|---|---|"]
for name, label in (("tinynmt", "tinynmt"), ("joeynmt", "JoeyNMT")):
    r = runs[name]
    last = r["validations"][-1] if r["validations"] else None
    md.append(f"| {label} | {cell(r['reached']['30'])} | {cell(r['reached']['35'])} | "
              f"{cell(last) if last else 'none'} |")
for t in ("30", "35"):
    a, b = runs["tinynmt"]["reached"][t], runs["joeynmt"]["reached"][t]
    if a and b:
        md.append(f"\ntinynmt / JoeyNMT time to BLEU {t}: {a['seconds'] / b['seconds']:.2f}")
    elif a:
        md.append(f"\ntinynmt / JoeyNMT time to BLEU {t}: below {a['seconds'] / 60 / minutes:.2f}"
                  " (JoeyNMT did not reach it)")
json.dump(runs, open(f"{out}/time_to_bleu.json", "w"), indent=1)
open(f"{out}/peers.md", "a").write("\n".join(md) + "\n")
print("\n".join(md))
EOF
