#!/usr/bin/env bash
# The same numbers on both LibTorch lines (run by .ci/run after both builds; not part of ctest,
# which sees one build):
#   tests/lines/cross_line.sh build/tinynmt build-torch2/tinynmt
# 1. A toy run trained 20 steps by each line; each line resumes the other's checkpoint (it loads)
#    and trains step 21 on the same batch from the same weights: the two losses of that fixed
#    batch agree within 1e-5 (CPU, fp32, one thread); steps 22-30, which depend on the restored
#    Adam moments, within 1e-4.
# 2. Each line translates the dev set with both checkpoints (beam 5): the same lines.
# Prints "N passed, N failed".
set -u
a="$1"; b="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
check() {  # check NAME COMMAND...: counts a pass or a failure
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "ok: $name"
  else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
TINYNMT_DATA_DIR="$tmp/data" bash scripts/get_data.sh toy >/dev/null 2>&1 || { echo "FAIL: get_data.sh toy"; exit 1; }
d="$tmp/data/toy"
common=(--threads 1 --set data.train.src="$d/train.src" --set data.train.tgt="$d/train.tgt"
  --set data.dev.src="$d/dev.src" --set data.dev.tgt="$d/dev.tgt"
  --set data.test.src="$d/test.src" --set data.test.tgt="$d/test.tgt"
  --set training.log_every=1 --set training.validate_every=10 --set training.max_minutes=0)
for line in a b; do
  bin=${!line}
  "$bin" train configs/toy_copy.yaml "${common[@]}" --set run.dir="$tmp/$line" \
    --set training.max_steps=20 >"$tmp/$line.log" 2>&1 || { cat "$tmp/$line.log"; echo "FAIL: train ($bin)"; exit 1; }
done
# Each checkpoint continued by its own line and by the other one.
for src in a b; do
  for line in a b; do
    cp -r "$tmp/$src" "$tmp/$src.by.$line"
    if "${!line}" train --resume "$tmp/$src.by.$line" --threads 1 --set training.max_steps=30 \
      >"$tmp/$src.by.$line.log" 2>&1; then rc=0; else rc=$?; tail -3 "$tmp/$src.by.$line.log"; fi
    check "line $line resumes the checkpoint of line $src" test "$rc" -eq 0
  done
done
loss() {  # loss RUN STEP
  python3 -c "
import json, sys
for l in open('$1/metrics.jsonl'):
    r = json.loads(l)
    if r.get('type') == 'train' and r['step'] == $2: print(repr(r['loss'])); sys.exit()
print('float(\"nan\")')"
}
for src in a b; do
  la=$(loss "$tmp/$src.by.a" 21); lb=$(loss "$tmp/$src.by.b" 21)
  echo "step 21 from the checkpoint of line $src: loss $la (line a) vs $lb (line b)"
  check "same step-21 loss within 1e-5 (checkpoint of line $src)" \
    python3 -c "import sys; sys.exit(not abs($la - $lb) <= 1e-5)"
  check "steps 22-30 within 1e-4 (checkpoint of line $src: Adam's moments loaded alike)" python3 -c "
import json, sys
def losses(p): return {r['step']: r['loss'] for r in map(json.loads, open(p)) if r.get('type') == 'train' and r['step'] > 20}
x, y = losses('$tmp/$src.by.a/metrics.jsonl'), losses('$tmp/$src.by.b/metrics.jsonl')
d = max(abs(x[s] - y[s]) for s in x) if x and x.keys() == y.keys() else float('inf')
print('steps 21-30, checkpoint of line $src: max |loss a - loss b| = %.3g' % d)
sys.exit(not d <= 1e-4)"
done
for src in a b; do
  for line in a b; do
    "${!line}" translate --model "$tmp/$src" --checkpoint last --threads 1 --beam 5 \
      <"$d/dev.src" >"$tmp/$src.tr.$line" 2>/dev/null
  done
  check "both lines translate the checkpoint of line $src alike" cmp -s "$tmp/$src.tr.a" "$tmp/$src.tr.b"
done
echo "cross_line: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
