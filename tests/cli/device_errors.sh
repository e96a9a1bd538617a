#!/usr/bin/env bash
# --device cuda that cannot be had: one line that says which case it is (a build without CUDA,
# or CUDA compiled in on a machine without a GPU), exit code 2. --version says which build this is.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$bin" --version >"$tmp/version" || fail "--version exited non-zero"
grep -q "^tinynmt " "$tmp/version" || fail "--version lacks tinynmt's version: $(cat "$tmp/version")"
grep -q "^LibTorch [0-9]" "$tmp/version" || fail "--version lacks the LibTorch version"
grep -q "^CUDA: " "$tmp/version" || fail "--version lacks the CUDA line"
if grep -q "CUDA: compiled in" "$tmp/version"; then
  if grep -q " 0 device(s)" "$tmp/version"; then expect="this machine has no CUDA GPU"; spec=cuda
  else expect="CUDA device(s) present"; spec=cuda:99; fi
else
  expect="built without CUDA"; spec=cuda
fi
for cmd in "translate --model $tmp/none x" "align --model $tmp/none --src x --tgt x --out y" "train configs/toy_copy.yaml" "bench configs/toy_copy.yaml"; do
  # shellcheck disable=SC2086
  "$bin" $cmd --device "$spec" 2>"$tmp/err" >/dev/null; rc=$?
  [ "$rc" -eq 2 ] || fail "$cmd --device $spec exited $rc, expected 2: $(cat "$tmp/err")"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$cmd: the error is not one line: $(cat "$tmp/err")"
  grep -q "$expect" "$tmp/err" || fail "$cmd: the error does not say '$expect': $(cat "$tmp/err")"
done
echo "device_errors: ok ($expect)"
