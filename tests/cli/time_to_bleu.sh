#!/usr/bin/env bash
# CLI test: scripts/time_to_bleu.py (compare_peers.sh's time-to-BLEU stage) reads each toolkit's
# validation record, stops the training at the highest target, kills its whole process group,
# and reports the first validation at or above each target (null for a target never reached); a
# training that fails is an error.
# Stand-in trainings write a validation row every 0.3 s; no model is trained.
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=scripts/time_to_bleu.py
# watch NAME TOOLKIT: time_to_bleu.py on the stand-in $tmp/NAME.sh writing into $tmp/NAME, then
# the Python assertions on standard input run against its $tmp/NAME.json.
watch() {
  python3 "$py" --toolkit "$2" --run-dir "$tmp/$1" --minutes 1 --targets 30 35 \
    --out "$tmp/$1.json" -- bash "$tmp/$1.sh" "$tmp/$1" >"$tmp/$1.out" 2>&1 ||
    fail "time_to_bleu.py ($2) exited non-zero: $(cat "$tmp/$1.out")"
  python3 -c "import json, sys; r = json.load(open(sys.argv[1])); exec(sys.stdin.read())" \
    "$tmp/$1.json" || fail "$2 result wrong: $(cat "$tmp/$1.json")"
}

# tinynmt's metrics.jsonl: BLEU 10, 31, 33, 36, 40, ... (and train rows that must be ignored).
# The stand-in starts a child that would outlive it: the stop must reach the whole group.
cat >"$tmp/t.sh" <<'EOF'
dir=$1; mkdir -p "$dir"; sleep 300 & echo $! >"$dir/child.pid"
step=0
for b in 10 31 33 36 40 41 42 43 44 45; do
  step=$((step + 100))
  echo "{\"type\":\"train\",\"step\":$step,\"bleu\":99}" >>"$dir/metrics.jsonl"
  echo "{\"type\":\"valid\",\"step\":$step,\"bleu\":$b}" >>"$dir/metrics.jsonl"
  sleep 0.3
done
sleep 300
EOF
watch t tinynmt <<'EOF'
assert r["stopped"] == "reached BLEU 35", r["stopped"]
assert [v["step"] for v in r["validations"]] == [100, 200, 300, 400], r["validations"]
assert r["reached"]["30"]["step"] == 200 and r["reached"]["35"]["step"] == 400
assert r["reached"]["30"]["seconds"] <= r["reached"]["35"]["seconds"] < 30
EOF
child=$(cat "$tmp/t/child.pid")
alive() { ps -o stat= -p "$1" 2>/dev/null | grep -qv Z; }  # a zombie awaits its reaper: dead
for _ in 1 2 3 4 5 6 7 8 9 10; do alive "$child" || break; sleep 0.3; done
! alive "$child" || fail "the training's child process $child survived the stop"

# JoeyNMT's validations.txt, in JoeyNMT 2.3's format (bleu after loss, acc, ppl); this run
# ends (exit 0) before reaching 35.
cat >"$tmp/j.sh" <<'EOF'
dir=$1; mkdir -p "$dir"
for s in 100 200 300; do
  printf 'Steps: %d\tloss: 3.0\tacc: 0.3\tppl: 20.1\tbleu: %s\tLR: 0.00080000\t\n' "$s" "2$((s / 100)).5" >>"$dir/validations.txt"
  sleep 0.3
done
printf 'Steps: 400\tloss: 2.0\tacc: 0.5\tppl: 7.4\tbleu: 31.25000\tLR: 0.00070000\t*\n' >>"$dir/validations.txt"
sleep 1.5
EOF
watch j joeynmt <<'EOF'
assert r["stopped"] == "training ended (exit status 0)", r["stopped"]
assert [(v["step"], v["bleu"]) for v in r["validations"]] == \
    [(100, 21.5), (200, 22.5), (300, 23.5), (400, 31.25)], r["validations"]
assert r["reached"]["30"]["step"] == 400 and r["reached"]["35"] is None
EOF
# A training that fails before the target is an error, not "not reached": no result is written.
python3 "$py" --toolkit joeynmt --run-dir "$tmp/f" --minutes 1 --targets 30 35 \
  --out "$tmp/f.json" -- bash -c 'echo "KeyError: bleu" >&2; exit 1' >"$tmp/f.out" 2>&1 &&
  fail "time_to_bleu.py exited 0 for a failed training: $(cat "$tmp/f.out")"
grep -q "joeynmt training failed (training ended (exit status 1))" "$tmp/f.out" ||
  fail "no failure line: $(cat "$tmp/f.out")"
[ ! -e "$tmp/f.json" ] || fail "a failed training wrote $tmp/f.json"
echo "time_to_bleu: ok"
