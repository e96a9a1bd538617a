#!/usr/bin/env bash
# CLI test: how a training run says why it stopped.
#   - stopped by its time cap (training.max_minutes) before training.max_steps: the last log line
#     says so with the steps reached against those planned; metrics.jsonl ends with a "stop"
#     record (reason max_minutes, time_capped true, step, planned_steps);
#   - stopped by max_steps: the "stop" record says max_steps, time_capped false;
#   - an empty training corpus: one line naming data.train.src/tgt and their files, exit 1.
set -u
bin="$1"
source tests/cli/lib/toy_env.sh
last_record() { tail -n 1 "$1/metrics.jsonl"; }

# 0.005 minutes = 0.3 s: far fewer than 100000 steps.
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/capped" "${toy_data[@]}" \
  --set training.max_steps=100000 --set training.max_minutes=0.005 --set training.validate_every=1000 \
  >"$tmp/capped.log" 2>&1 || { cat "$tmp/capped.log"; fail "capped run exited non-zero"; }
tail -n 1 "$tmp/capped.log" | grep -qE "stopped by the time cap training.max_minutes = 0.005 at step [0-9]+ of the 100000 planned by training.max_steps" \
  || fail "last log line: $(tail -n 1 "$tmp/capped.log")"
rec=$(last_record "$tmp/capped")
for want in '"type":"stop"' '"reason":"max_minutes"' '"time_capped":true' '"planned_steps":100000'; do
  grep -qF "$want" <<<"$rec" || fail "capped run's last metrics record lacks $want: $rec"
done

"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/steps" "${toy_data[@]}" \
  --set training.max_steps=5 --set training.max_minutes=0 --set training.validate_every=5 \
  >"$tmp/steps.log" 2>&1 || { cat "$tmp/steps.log"; fail "5-step run exited non-zero"; }
rec=$(last_record "$tmp/steps")
for want in '"type":"stop"' '"reason":"max_steps"' '"time_capped":false' '"step":5' '"planned_steps":5'; do
  grep -qF "$want" <<<"$rec" || fail "5-step run's last metrics record lacks $want: $rec"
done

printf '\n\n' >"$tmp/empty.src"; printf '\n\n' >"$tmp/empty.tgt"
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/empty" "${toy_data[@]}" \
  --set data.train.src="$tmp/empty.src" --set data.train.tgt="$tmp/empty.tgt" \
  >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -ne 0 ] || fail "empty corpus exited 0"
grep -q "^error: .*data.train.src = '$tmp/empty.src', data.train.tgt = '$tmp/empty.tgt'" "$tmp/err" \
  || fail "empty corpus error does not name the keys and files: $(cat "$tmp/err")"
grep -q "spm.model" "$tmp/err" && fail "empty corpus error still names spm.model: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "empty corpus error is not one line: $(cat "$tmp/err")"
echo "train_stops: ok"
