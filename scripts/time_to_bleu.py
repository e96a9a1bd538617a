#!/usr/bin/env python3
"""Runs one training command and times it to validation BLEU targets, for scripts/compare_peers.sh.

    time_to_bleu.py --toolkit tinynmt|joeynmt --run-dir DIR --minutes M --targets 30 35 \
        --out OUT.json -- COMMAND ...

Starts COMMAND in its own process group and reads the toolkit's validation record every second:
tinynmt's DIR/metrics.jsonl ("type": "valid" rows), JoeyNMT's DIR/validations.txt (a line a validation:
"Steps: N", then tab-separated scores, "bleu: X" among them). The clock is this script's: seconds from starting COMMAND to first seeing the row,
so start-up, data loading and the validations themselves count, the same for both toolkits.
Stops the run (SIGINT to its process group, then SIGTERM and SIGKILL after 60 s each) once the highest target is
reached or after M minutes. Writes OUT.json: every validation (step, BLEU, seconds) and, per
target, the first validation at or above it (null where the run never reached it). A training
that fails (a non-zero exit status before the highest target) is an error: exit status 1, no
OUT.json.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path


def validations(toolkit, run_dir):
    """[(step, bleu)] in the order the toolkit wrote them; [] before the first one."""
    if toolkit == "tinynmt":
        path = run_dir / "metrics.jsonl"
        if not path.exists():
            return []
        rows = []
        for line in path.read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:  # a line being written
                continue
            if r.get("type") == "valid":
                rows.append((int(r["step"]), float(r["bleu"])))
        return rows
    path = run_dir / "validations.txt"
    if not path.exists():
        return []
    # "Steps: 100\tloss: 5.18811\tacc: 0.20328\tppl: 179.12899\tbleu: 0.01687\tLR: ..."
    return [(int(m.group(1)), float(m.group(2))) for m in
            re.finditer(r"^Steps: (\d+)\t.*?\bbleu: ([\d.]+)", path.read_text(), re.M)]


def stop(proc):
    """SIGINT to COMMAND's group (a training saves and exits), then SIGTERM and SIGKILL after 60 s
    each; whatever of the group outlives COMMAND itself is killed."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=60)
            break
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--toolkit", choices=["tinynmt", "joeynmt"], required=True)
    ap.add_argument("--run-dir", type=Path, required=True)
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--targets", type=float, nargs="+", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--log", type=Path, help="COMMAND's stdout and stderr (default: discarded)")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        sys.exit("time_to_bleu.py: no COMMAND after --")
    log = open(a.log, "w") if a.log else subprocess.DEVNULL
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    seen, reason = [], "time limit"
    while True:
        time.sleep(1)
        rows = validations(a.toolkit, a.run_dir)
        for step, bleu in rows[len(seen):]:
            seen.append({"step": step, "bleu": bleu, "seconds": round(time.monotonic() - start, 1)})
            print(f"time_to_bleu: {a.toolkit} step {step} BLEU {bleu:.2f} at "
                  f"{seen[-1]['seconds'] / 60:.1f} min", flush=True)
        if seen and seen[-1]["bleu"] >= max(a.targets):
            reason = f"reached BLEU {max(a.targets):g}"
            break
        if proc.poll() is not None:
            reason = f"training ended (exit status {proc.returncode})"
            break
        if time.monotonic() - start > a.minutes * 60:
            break
    stop(proc)
    if reason.startswith("training ended") and proc.returncode != 0 and \
            not (seen and seen[-1]["bleu"] >= max(a.targets)):
        sys.exit(f"time_to_bleu.py: {a.toolkit} training failed ({reason})"
                 + (f": see {a.log}" if a.log else ""))
    reached = {f"{t:g}": next((v for v in seen if v["bleu"] >= t), None) for t in a.targets}
    result = {"toolkit": a.toolkit, "stopped": reason, "minutes_limit": a.minutes,
              "validations": seen, "reached": reached}
    a.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"time_to_bleu: {a.toolkit} stopped: {reason}", flush=True)


if __name__ == "__main__":
    main()
