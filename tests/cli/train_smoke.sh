#!/usr/bin/env bash
# CLI smoke test: train the toy config for 30 steps and check metrics.jsonl, the checkpoints and
# the resolved config; a typo'd key fails with a message naming it.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TINYNMT_DATA_DIR="$tmp/data" bash scripts/get_data.sh toy >/dev/null 2>&1 || fail "get_data.sh toy"
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/run" \
  --set data.train.src="$tmp/data/toy/train.src" --set data.train.tgt="$tmp/data/toy/train.tgt" \
  --set data.dev.src="$tmp/data/toy/dev.src" --set data.dev.tgt="$tmp/data/toy/dev.tgt" \
  --set data.test.src="$tmp/data/toy/test.src" --set data.test.tgt="$tmp/data/toy/test.tgt" \
  --set training.max_steps=30 --set training.validate_every=30 --set training.log_every=10 \
  >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "train exited non-zero"; }
for f in metrics.jsonl last.ckpt best.ckpt config.yaml; do
  [ -s "$tmp/run/$f" ] || fail "missing $f"
done
[ "$(grep -c '"type":"train"' "$tmp/run/metrics.jsonl")" -eq 3 ] || fail "expected 3 train records"
grep -q '"type":"valid"' "$tmp/run/metrics.jsonl" || fail "no validation record"
grep -q 'max_steps: 30' "$tmp/run/config.yaml" || fail "resolved config lacks the override"
printf 'model:\n  decoder:\n    atention: bahdanau\n' > "$tmp/typo.yaml"
"$bin" train "$tmp/typo.yaml" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] || fail "typo config exited $rc, expected 2"
grep -q "did you mean 'model.decoder.attention'" "$tmp/err" || fail "no suggestion: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "error is not one line"
echo "train_smoke: ok"
