#!/usr/bin/env bash
# scripts/lib/disk_space.sh, the check .ci/run and scripts/build_torch2.sh make before a long job:
# enough space passes silently, too little exits 1 with one line naming what needs it and where,
# and a folder not made yet is measured on its nearest existing parent. Run from the source root.
set -u
fail() { echo "FAIL: $*"; exit 1; }
check() { bash -c 'source scripts/lib/disk_space.sh; need_disk "$@"' need_disk "$@"; }

out=$(check 0 . "nothing" 2>&1) || fail "0 GiB refused: $out"
[[ -z $out ]] || fail "a check that passes printed: $out"
out=$(check 1000000 . "a million GiB" 2>&1) && fail "a million GiB was not refused"
[[ $(wc -l <<<"$out") == 1 ]] || fail "more than one line: $out"
[[ $out == *"a million GiB needs about 1000000 GiB free on the disk of ., which has "*" GiB" ]] ||
  fail "unexpected message: $out"
out=$(check 1000000 "$PWD/no/such/folder" "later" 2>&1) && fail "a missing folder passed"
[[ $out == *"on the disk of $PWD, which has"* ]] || fail "missing folder not measured on its parent: $out"
echo "OK"
