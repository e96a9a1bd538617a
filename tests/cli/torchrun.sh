#!/usr/bin/env bash
# Launched by torchrun itself (torchrun --standalone --nproc-per-node 2 --no-python tinynmt
# train ...), as docs/distributed.md shows:
# - with TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 rank 0 serves the store on MASTER_PORT: trains
#   with 2 ranks whatever torchrun's PyTorch version;
# - by default torchrun's agent serves the store (TORCHELASTIC_USE_AGENT_STORE=True) and every
#   rank connects to it: trains when torchrun's PyTorch has this binary's LibTorch version, and
#   otherwise stops within seconds with one line that names the variable to set.
# Skipped (77) when no torchrun is found: TINYNMT_TORCHRUN, .torch2/bin/torchrun, or PATH.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
torchrun="${TINYNMT_TORCHRUN:-}"
[ -n "$torchrun" ] || { [ -x .torch2/bin/torchrun ] && torchrun=.torch2/bin/torchrun; }
[ -n "$torchrun" ] || torchrun=$(command -v torchrun || true)
[ -n "$torchrun" ] || { echo "SKIP: no torchrun (scripts/build_torch2.sh installs one in .torch2/)"; exit 77; }
python=$(head -1 "$torchrun" | sed 's/^#! *//')
torch_v=$("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null | cut -d. -f1,2)
lib_v=$("$bin" --version | sed -n 's/^LibTorch \([0-9]*\.[0-9]*\).*/\1/p')
[ -n "$torch_v" ] && [ -n "$lib_v" ] || fail "versions: torchrun's torch '$torch_v', tinynmt's LibTorch '$lib_v'"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TINYNMT_DATA_DIR="$tmp/data" bash scripts/get_data.sh toy >/dev/null 2>&1 || fail "get_data.sh toy"
d="$tmp/data/toy"
args=(train configs/toy_copy.yaml --threads 1 --set data.train.src="$d/train.src"
  --set data.train.tgt="$d/train.tgt" --set data.dev.src="$d/dev.src" --set data.dev.tgt="$d/dev.tgt"
  --set data.test.src="$d/test.src" --set data.test.tgt="$d/test.tgt" --set training.log_every=1
  --set training.max_steps=4 --set run.c10d_timeout=30)
launch() {  # launch RUN_DIR [VAR=VALUE...]: torchrun with 2 local ranks; returns its exit status
  local dir="$1"; shift
  env "$@" timeout 120 "$torchrun" --standalone --nproc-per-node 2 --no-python "$bin" "${args[@]}" \
    --set run.dir="$dir" >"$dir.log" 2>&1
}
trained() {  # trained RUN_DIR: 2 ranks, train records of steps 1-4 from rank 0 alone
  grep -q "2 ranks" "$1.log" || return 1
  [ "$(grep '"type":"train"' "$1/metrics.jsonl" | grep -o '"step":[0-9]*' | tr '\n' ' ')" = \
    '"step":1 "step":2 "step":3 "step":4 ' ]
}

launch "$tmp/own" TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 || { cat "$tmp/own.log"; fail "rank 0's store: exit $?"; }
trained "$tmp/own" || { cat "$tmp/own.log"; fail "rank 0's store: not trained by 2 ranks"; }
echo "torchrun (torch $torch_v), rank 0 serving the store: 2 ranks trained 4 steps"

start=$(date +%s)
launch "$tmp/agent"; rc=$?
took=$(($(date +%s) - start))
if [ "$torch_v" = "$lib_v" ]; then
  [ "$rc" -eq 0 ] && trained "$tmp/agent" || { cat "$tmp/agent.log"; fail "agent store: exit $rc"; }
  echo "torchrun (torch $torch_v), its agent serving the store: 2 ranks trained 4 steps"
else
  [ "$rc" -ne 0 ] || fail "agent store of torch $torch_v with LibTorch $lib_v: exit 0"
  grep -q "^error: rank [0-9]*: torchrun's store .* TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1" "$tmp/agent.log" ||
    { cat "$tmp/agent.log"; fail "agent store of another version: no clear line"; }
  [ "$took" -le 60 ] || fail "agent store of another version: took $took s"
  echo "torchrun (torch $torch_v) against LibTorch $lib_v, its agent serving the store: refused in $took s:"
  grep -m1 "^error: rank" "$tmp/agent.log"
fi
echo "torchrun: ok"
