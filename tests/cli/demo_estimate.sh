#!/usr/bin/env bash
# CLI test: scripts/demo.sh says how long training will take from a short measurement of this
# machine (`tinynmt bench`, a few steps), not from a constant: on the toy config it prints the
# planned steps, a measured per-step time, and an estimate in minutes.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINYNMT_DATA_DIR="$tmp/data" bash scripts/get_data.sh toy >/dev/null 2>&1 || fail "get_data.sh toy"
d="$tmp/data/toy"
out=$(TINYNMT_BIN="$bin" bash scripts/demo.sh --estimate configs/toy_copy.yaml --threads 1 \
  --set data.train.src="$d/train.src" --set data.train.tgt="$d/train.tgt" \
  --set data.dev.src="$d/dev.src" --set data.dev.tgt="$d/dev.tgt" \
  --set data.test.src="$d/test.src" --set data.test.tgt="$d/test.tgt" \
  --set training.max_steps=250 2>&1) || fail "demo.sh --estimate exited non-zero: $out"
grep -qE "^expected on this machine: about [0-9]+ min for 250 training steps \(measured [0-9]+\.[0-9]+ s a step over 3 steps\)" <<<"$out" \
  || fail "no estimate line: $out"
per_step=$(sed -nE 's/.*measured ([0-9.]+) s a step.*/\1/p' <<<"$out")
awk -v s="$per_step" 'BEGIN { exit !(s > 0) }' || fail "measured step time is not positive: $out"
echo "demo_estimate: ok"
