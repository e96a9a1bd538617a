#!/usr/bin/env bash
# CLI test: scripts/demo.sh says how long training will take from a short measurement of this
# machine (`tinynmt bench`, a few steps), not from a constant: on the toy config it prints the
# planned steps, a measured per-step time, and an estimate in minutes.
set -u
bin="$1"
source tests/cli/lib/toy_env.sh
out=$(TINYNMT_BIN="$bin" bash scripts/demo.sh --estimate configs/toy_copy.yaml --threads 1 \
  "${toy_data[@]}" --set training.max_steps=250 2>&1) || fail "demo.sh --estimate exited non-zero: $out"
grep -qE "^expected on this machine: about [0-9]+ min for 250 training steps \(measured [0-9]+\.[0-9]+ s a step over 3 steps\)" <<<"$out" \
  || fail "no estimate line: $out"
per_step=$(sed -nE 's/.*measured ([0-9.]+) s a step.*/\1/p' <<<"$out")
awk -v s="$per_step" 'BEGIN { exit !(s > 0) }' || fail "measured step time is not positive: $out"
echo "demo_estimate: ok"
