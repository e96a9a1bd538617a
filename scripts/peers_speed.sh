#!/usr/bin/env bash
# The training-speed stage of scripts/compare_peers.sh (run it through that script):
#
#   scripts/peers_speed.sh OUT CONFIG STEPS THREADS TINYNMT JOEY_PYTHON
#
# tinynmt trains CONFIG for STEPS steps without the weight EMA (JoeyNMT keeps none) and no
# validation, then JoeyNMT the same network (scripts/joeynmt_config.py) with batches of as many
# real target tokens a step. Figures: target tokens/s over steps 50..STEPS, peak RSS. Writes
# OUT/peers.md and OUT/peers.json (date, machine, versions, figures) and shows the JoeyNMT config
# (OUT/joeynmt/joeynmt.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 config=$2 steps=$3 threads=$4 bin=$5 joey_py=$6
rm -rf "$out/tinynmt" "$out/joeynmt" "$out/peers.md" "$out/peers.json" && mkdir -p "$out"

echo "compare_peers: tinynmt, $steps steps ($(date +%T))"
/usr/bin/time -f %M -o "$out/tinynmt.rss_kb" "$bin" train "$config" --set run.dir="$out/tinynmt" \
  --set run.threads="$threads" --set training.max_steps="$steps" --set training.max_minutes=0 \
  --set training.validate_every="$((steps + 1))" --set training.log_every=50 \
  --set training.report_sentences=0 --set training.ema_decay=0 >"$out/tinynmt.log" 2>&1
# (no weight EMA: JoeyNMT's run keeps none, so both do the same work a step)
# tinynmt's figures: tokens and seconds between the log lines of step 50 and of the last step.
tin_tps=$(python3 - "$out/tinynmt/metrics.jsonl" "$steps" <<'EOF'
import json, sys
rows = {r["step"]: r for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "train"}
a, b = rows[50], rows[int(sys.argv[2])]
print((b["target_tokens"] - a["target_tokens"]) / (b["elapsed_s"] - a["elapsed_s"]))
EOF
)

echo "compare_peers: JoeyNMT, $steps steps ($(date +%T))"
"$joey_py" scripts/joeynmt_config.py "$out/tinynmt" "$out/joeynmt" --steps "$steps" |
  tee "$out/joeynmt.batch"
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

python3 - "$out" "$tin_tps" "$joey_tps" "$steps" "$threads" "$joey_py" "$bin" "$config" <<'EOF'
import datetime, json, os, platform, subprocess, sys
out, tin, joey, steps, threads, py, binary, config = sys.argv[1:]
flags = next((l.split(":")[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
ver = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.strip()  # noqa: E731
rss = lambda name: int(open(f"{out}/{name}.rss_kb").read().split()[-1]) / 1024  # noqa: E731
res = {"date": datetime.date.today().isoformat(), "cores": os.cpu_count(),
       "cpu": platform.processor() or platform.machine(),
       "cpu_flags": [f for f in flags if f.startswith(("avx", "fma", "amx"))],
       "tinynmt": ", ".join(ver([binary, "--version"]).splitlines()[:2]),
       "joeynmt": ver([py, "-c", "import joeynmt, torch; print(joeynmt.__version__, 'torch', torch.__version__)"]),
       "config": config, "steps": f"50-{steps}", "threads": int(threads),
       "tinynmt_tokens_per_s": float(tin), "joeynmt_tokens_per_s": float(joey),
       "tinynmt_peak_rss_mb": rss("tinynmt"), "joeynmt_peak_rss_mb": rss("joeynmt")}
res["ratio"] = res["tinynmt_tokens_per_s"] / res["joeynmt_tokens_per_s"]
json.dump(res, open(f"{out}/peers.json", "w"), indent=1)
md = [f"{res['date']}, {res['cores']} cores, {' '.join(res['cpu_flags'])}; {res['tinynmt']}; "
      f"JoeyNMT {res['joeynmt']}; {config}; {threads} threads; steps {res['steps']}", "",
      "| toolkit | target tokens/s | peak RSS, MB |", "|---|---|---|",
      f"| tinynmt | {res['tinynmt_tokens_per_s']:.0f} | {res['tinynmt_peak_rss_mb']:.0f} |",
      f"| JoeyNMT | {res['joeynmt_tokens_per_s']:.0f} | {res['joeynmt_peak_rss_mb']:.0f} |", "",
      f"tinynmt / JoeyNMT: {res['ratio']:.2f}x"]
open(f"{out}/peers.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
EOF
