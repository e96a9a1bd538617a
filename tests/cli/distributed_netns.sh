#!/usr/bin/env bash
# Two machines for real: two network namespaces joined by a veth pair, one rank in each, the
# rendezvous at rank 0's veth address. Rank 1 reaches rank 0 only over the veth link (its own
# loopback is its own). Skipped (exit 77) where the machine forbids namespaces.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
command -v ip >/dev/null || skip "no ip command (iproute2)"
tmp=$(mktemp -d)
ns0="tnmt0_$$"; ns1="tnmt1_$$"; v0="tnv0_$$"; v1="tnv1_$$"
cleanup() { ip netns del "$ns0" 2>/dev/null; ip netns del "$ns1" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$ns0" 2>"$tmp/err" || skip "ip netns add refused: $(head -1 "$tmp/err")"
ip netns add "$ns1" 2>"$tmp/err" || skip "ip netns add refused: $(head -1 "$tmp/err")"
ip link add "$v0" type veth peer name "$v1" 2>"$tmp/err" ||
  skip "veth pair refused: $(head -1 "$tmp/err")"
ip link set "$v0" netns "$ns0" && ip link set "$v1" netns "$ns1" || fail "moving the veth ends"
ip -n "$ns0" addr add 10.77.0.1/24 dev "$v0" && ip -n "$ns0" link set "$v0" up &&
  ip -n "$ns0" link set lo up || fail "configuring $ns0"
ip -n "$ns1" addr add 10.77.0.2/24 dev "$v1" && ip -n "$ns1" link set "$v1" up &&
  ip -n "$ns1" link set lo up || fail "configuring $ns1"

TINYNMT_DATA_DIR="$tmp/data" bash scripts/get_data.sh toy >/dev/null 2>&1 || fail "get_data.sh toy"
d="$tmp/data/toy"
run_rank() {  # run_rank NAMESPACE RANK RUN_DIR
  ip netns exec "$1" env WORLD_SIZE=2 RANK="$2" LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 \
    MASTER_ADDR=10.77.0.1 MASTER_PORT=29500 \
    "$bin" train configs/toy_copy.yaml --threads 1 --set run.dir="$3" \
    --set data.train.src="$d/train.src" --set data.train.tgt="$d/train.tgt" \
    --set data.dev.src="$d/dev.src" --set data.dev.tgt="$d/dev.tgt" \
    --set data.test.src="$d/test.src" --set data.test.tgt="$d/test.tgt" \
    --set training.max_steps=4 --set training.validate_every=4 --set training.log_every=1 \
    --set run.c10d_timeout=30
}
run_rank "$ns1" 1 "$tmp/m1" >"$tmp/log1" 2>&1 &
p1=$!
run_rank "$ns0" 0 "$tmp/m0" >"$tmp/log0" 2>&1; rc0=$?
wait "$p1"; rc1=$?
[ "$rc0" -eq 0 ] && [ "$rc1" -eq 0 ] || { cat "$tmp/log0" "$tmp/log1"; fail "ranks exited $rc0 $rc1"; }
[ -s "$tmp/m0/last.ckpt" ] || fail "rank 0 wrote no checkpoint"
[ ! -e "$tmp/m1" ] || fail "rank 1 wrote its run.dir"
[ "$(grep -c '"world_size":2' "$tmp/m0/metrics.jsonl")" -eq 4 ] || fail "expected 4 records of 2 ranks"
echo "distributed_netns: ok"
