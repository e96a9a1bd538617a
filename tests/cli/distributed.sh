#!/usr/bin/env bash
# Data-parallel training through torchrun's variables on one machine: only rank 0 writes; ranks
# with different configs are refused; a bad variable or a busy port is one line; kill -9 of
# rank 1 makes rank 0 exit non-zero within run.c10d_timeout naming rank 1, with the last
# checkpoint intact, and a restart with 1 rank resumes; a second trainer on a run directory a
# live trainer holds is refused, and the lock of a trainer killed with -9 does not block; SIGTERM
# to rank 1 stops both ranks at one step, rank 0 saving.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
TINYNMT_DATA_DIR="$tmp/data" bash scripts/get_data.sh toy >/dev/null 2>&1 || fail "get_data.sh toy"
d="$tmp/data/toy"
common=(configs/toy_copy.yaml --threads 1 --set data.train.src="$d/train.src"
  --set data.train.tgt="$d/train.tgt" --set data.dev.src="$d/dev.src" --set data.dev.tgt="$d/dev.tgt"
  --set data.test.src="$d/test.src" --set data.test.tgt="$d/test.tgt"
  --set training.log_every=1 --set training.validate_every=3 --set training.max_minutes=2
  --set run.c10d_timeout=20)
port=$((20000 + RANDOM % 20000))
rank() {  # rank RANK PORT ARGS... : one rank of a world of 2, as torchrun would start it.
  # Through env, so that in the background $! is the trainer itself (kill -9 reaches it).
  local r="$1" p="$2"; shift 2
  env WORLD_SIZE=2 RANK="$r" LOCAL_RANK="$r" LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 \
    MASTER_PORT="$p" "$bin" train "${common[@]}" "$@"
}
wait_for() {  # wait_for FILE SECONDS
  for _ in $(seq 1 $(($2 * 10))); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}

start_pair() {  # start_pair DIR: ranks 0 and 1 (pids p0, p1) on a new port, training into
  # $tmp/DIR until its first checkpoint; through env, so that $! is the trainer (signals reach it).
  port=$((port + 1))
  local r
  for r in 0 1; do
    env WORLD_SIZE=2 RANK="$r" MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$bin" train \
      "${common[@]}" --set run.dir="$tmp/$1" --set training.max_steps=100000 >"$tmp/log$r" 2>&1 &
    pids+=("$!")
    eval "p$r=$!"
  done
  wait_for "$tmp/$1/last.ckpt" 120 || { cat "$tmp/log0"; fail "no checkpoint after 120 s"; }
}

# 1. Each rank with its own run.dir (two machines would have two disks): only rank 0's is written.
rank 1 "$port" --set run.dir="$tmp/r1" --set training.max_steps=4 >"$tmp/log1" 2>&1 &
p1=$!
rank 0 "$port" --set run.dir="$tmp/r0" --set training.max_steps=4 >"$tmp/log0" 2>&1
rc0=$?
wait "$p1"; rc1=$?
[ "$rc0" -eq 0 ] && [ "$rc1" -eq 0 ] || { cat "$tmp/log0" "$tmp/log1"; fail "ranks exited $rc0 $rc1"; }
[ ! -e "$tmp/r1" ] || fail "rank 1 wrote its run.dir: $(ls -A "$tmp/r1")"
for f in metrics.jsonl last.ckpt best.ckpt config.yaml spm.model; do
  [ -s "$tmp/r0/$f" ] || fail "rank 0 did not write $f"
done
steps=$(grep '"type":"train"' "$tmp/r0/metrics.jsonl" | grep -o '"step":[0-9]*' | tr '\n' ' ')
[ "$steps" = '"step":1 "step":2 "step":3 "step":4 ' ] || fail "train records: $steps"
grep -q '"allreduce_bytes"' "$tmp/r0/metrics.jsonl" || fail "no all-reduce figures in metrics"

# 2. Ranks started with different configs are refused at start, on both ranks.
port=$((port + 1))
rank 1 "$port" --set run.dir="$tmp/c1" --set training.lr=0.001 >"$tmp/log1" 2>&1 &
p1=$!
rank 0 "$port" --set run.dir="$tmp/c0" >"$tmp/log0" 2>&1; rc0=$?
wait "$p1"; rc1=$?
[ "$rc0" -ne 0 ] && [ "$rc1" -ne 0 ] || fail "different configs: ranks exited $rc0 $rc1"
grep -q "rank(s) 1 started with a config different from rank 0's" "$tmp/log0" ||
  fail "rank 0: $(cat "$tmp/log0")"

# 3. A bad variable, and a port already in use: one line each.
RANK=x WORLD_SIZE=2 "$bin" train "${common[@]}" --set run.dir="$tmp/x" 2>"$tmp/err"; rc=$?
[ "$rc" -ne 0 ] && grep -q "RANK='x'" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
  fail "bad RANK: rc $rc, $(cat "$tmp/err")"
port=$((port + 1))
env WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$bin" train "${common[@]}" \
  --set run.dir="$tmp/p0" >"$tmp/log0" 2>&1 &  # waits for a rank 1
p0=$!; pids+=("$p0")
sleep 5
rank 0 "$port" --set run.dir="$tmp/p1" 2>"$tmp/err" >/dev/null; rc=$?
kill -9 "$p0" 2>/dev/null
[ "$rc" -ne 0 ] && grep -q "MASTER_PORT $port is already in use" "$tmp/err" ||
  fail "busy port: rc $rc, $(cat "$tmp/err")"
[ "$(grep -c . "$tmp/err")" -eq 1 ] || fail "busy port: not one line: $(cat "$tmp/err")"

# 4. kill -9 of rank 1: rank 0 exits non-zero within the timeout naming rank 1; last.ckpt stays
# loadable and a restart with one rank resumes from it.
start_pair k
kill -9 "$p1"
start=$(date +%s)
wait "$p0"; rc0=$?
took=$(($(date +%s) - start))
[ "$rc0" -ne 0 ] || fail "rank 0 exited 0 after rank 1 was killed"
[ "$took" -le 25 ] || fail "rank 0 took $took s to exit (run.c10d_timeout 20)"
grep -q "lost rank 1" "$tmp/log0" || fail "rank 0 did not name rank 1: $(tail -3 "$tmp/log0")"
echo "after kill -9 of rank 1 (${took} s): $(grep "lost rank 1" "$tmp/log0")"
saved=$(grep '"type":"valid"' "$tmp/k/metrics.jsonl" | tail -1 | grep -o '"step":[0-9]*' | cut -d: -f2)
"$bin" train --resume "$tmp/k" --threads 1 --set training.max_steps=$((saved + 2)) >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; fail "restart with 1 rank failed"; }
grep -q "resuming from .*last.ckpt at step $saved" "$tmp/log" || fail "no resume: $(cat "$tmp/log")"

# 5. The run directory's lock: a second trainer is refused while the first lives; after kill -9
# of the first, a restart is not blocked.
"$bin" train "${common[@]}" --set run.dir="$tmp/l" --set training.max_steps=100000 >"$tmp/logA" 2>&1 &
pa=$!; pids+=("$pa")
wait_for "$tmp/l/metrics.jsonl" 120 || { cat "$tmp/logA"; fail "first trainer did not start"; }
"$bin" train "${common[@]}" --set run.dir="$tmp/l" --set training.max_steps=3 2>"$tmp/err" >/dev/null
rc=$?
[ "$rc" -ne 0 ] && grep -q "is in use by another trainer (process $pa)" "$tmp/err" ||
  fail "second trainer: rc $rc, $(cat "$tmp/err")"
kill -9 "$pa"; wait "$pa" 2>/dev/null
"$bin" train "${common[@]}" --set run.dir="$tmp/l" --set training.max_steps=3 >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; fail "restart after kill -9 blocked"; }
# 6. SIGTERM to rank 1 alone: both ranks stop at the same step with exit 130; rank 0 saves and
# says so, rank 1 does not claim a save; the run resumes from that step.
start_pair s
kill -TERM "$p1"
wait "$p0"; rc0=$?
wait "$p1"; rc1=$?
[ "$rc0" -eq 130 ] && [ "$rc1" -eq 130 ] || { cat "$tmp/log0" "$tmp/log1"; fail "SIGTERM: ranks exited $rc0 $rc1"; }
at=$(grep -o "interrupted by SIGTERM at step [0-9]*: saved" "$tmp/log0" | grep -o "[0-9]*")
[ -n "$at" ] || fail "rank 0 did not report the save: $(tail -3 "$tmp/log0")"
grep -q ": saved " "$tmp/log1" && fail "rank 1 claims a save: $(tail -3 "$tmp/log1")"
grep -q "rank 1: stopped by SIGTERM at step $at with the group" "$tmp/log1" ||
  fail "rank 1 did not stop at rank 0's step $at: $(tail -3 "$tmp/log1")"
"$bin" train --resume "$tmp/s" --threads 1 --set training.max_steps=$((at + 1)) >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; fail "resume after SIGTERM failed"; }
grep -q "resuming from .*last.ckpt at step $at" "$tmp/log" || fail "no resume: $(cat "$tmp/log")"
echo "SIGTERM to rank 1: both ranks stopped at step $at"
echo "distributed: ok"
