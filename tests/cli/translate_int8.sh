#!/usr/bin/env bash
# CLI test of `translate --quantize int8`: a toy run translates a file with int8 weights and says
# what it quantised; the output has one line per input line; an unknown --quantize value is
# refused in one line with exit 2. (That int8 weights still copy is tests/test_int8.cpp.)
set -u
bin="$1"
source tests/cli/lib/toy_env.sh
"$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$tmp/run" "${toy_data[@]}" \
  --set training.max_steps=10 --set training.validate_every=10 >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; fail "training exited non-zero"; }
head -20 "$d/test.src" >"$tmp/in.txt"
"$bin" translate --model "$tmp/run" --input "$tmp/in.txt" --output "$tmp/out.txt" --threads 1 \
  --quantize int8 2>"$tmp/tr.log"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "without a quantized engine" "$tmp/tr.log"; then
  echo "SKIP: $(cat "$tmp/tr.log")"
  exit 77
fi
[ "$rc" -eq 0 ] || fail "translate --quantize int8 exited $rc: $(cat "$tmp/tr.log")"
grep -q "int8 weights: 0 of [0-9]* products (output layer and decoder) in int8, those with >= 524288 weights" "$tmp/tr.log" ||
  fail "no int8 line: $(cat "$tmp/tr.log")"
[ "$(wc -l <"$tmp/out.txt")" -eq 20 ] || fail "expected 20 output lines"
"$bin" translate --model "$tmp/run" --quantize int4 a b >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "--quantize int4 exited $rc, expected 2"
grep -q -- "--quantize" "$tmp/err" || fail "the error does not name --quantize: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "error is not one line: $(cat "$tmp/err")"
echo "translate_int8: ok"
