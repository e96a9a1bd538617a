#!/usr/bin/env bash
# CLI smoke test of `tinynmt bench`: two tiny configs (a Transformer and a GRU with Bahdanau
# attention) whose data files do not exist, so synthetic batches are used; a few steps, a few
# decoded sentences, a small sgemm, --profile. Checks the exit code, the table and the JSON fields; then a
# missing config: exit 1, one clear error line, and an "error" entry in the JSON.
# Not a timing benchmark: the figures are not checked, only that they are there and sane.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/tiny_tf.yaml" <<YAML
run: {dir: $tmp/run_tf, seed: 1, device: cpu, threads: 1}
data:
  train: {src: $tmp/absent.src, tgt: $tmp/absent.tgt}
  dev: {src: $tmp/absent_dev.src, tgt: $tmp/absent_dev.tgt}
  tokenizer: {vocab_size: 64}
  max_length: 40
model:
  encoder: {type: transformer, layers: 1, d_model: 16, heads: 2, ff: 32, dropout: 0.1}
  decoder: {type: transformer, attention: multihead, layers: 1, d_model: 16, heads: 2, ff: 32,
            dropout: 0.1, tie_embeddings: true}
training: {max_steps: 10, batch_size: 200, label_smoothing: 0.1}
decoding: {beam: 5, batch_size: 4}
YAML
cat >"$tmp/tiny_rnn.yaml" <<YAML
run: {dir: $tmp/run_rnn, seed: 1, device: cpu, threads: 1}
data:
  train: {src: $tmp/absent.src, tgt: $tmp/absent.tgt}
  tokenizer: {vocab_size: 64}
model:
  encoder: {type: rnn, rnn_type: gru, layers: 1, embedding_dim: 8, hidden_size: 8}
  decoder: {type: rnn, rnn_type: gru, attention: bahdanau, layers: 1, embedding_dim: 8,
            hidden_size: 16}
training: {max_steps: 10, batch_size: 200, early_stopping: {patience: 0}}
decoding: {batch_size: 4}
YAML

out=$("$bin" bench "$tmp/tiny_tf.yaml" "$tmp/tiny_rnn.yaml" --steps 3 --warmup 1 \
      --decode-sentences 8 --threads 1 --sgemm-size 128 --json "$tmp/bench.json" \
      --profile "$tmp/prof" 2>"$tmp/err")
rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/err"; fail "bench exited $rc"; }
grep -q "GFLOP/s" <<<"$out" || fail "no GFLOP/s in the table: $out"
grep -q "tiny_tf" <<<"$out" || fail "table does not name tiny_tf"
grep -q "tiny_rnn" <<<"$out" || fail "table does not name tiny_rnn"
grep -q "untrained" <<<"$out" || fail "table does not say untrained"

python3 - "$tmp/bench.json" <<'PY' || fail "JSON check"
import json, sys
j = json.load(open(sys.argv[1]))
m = j["machine"]
assert m["threads"] == 1, m
assert m["threads_bound"] is False, m  # one thread: nothing to bind
assert m["sgemm_gflops"] > 0, m
assert len(j["configs"]) == 2, j["configs"]
for c in j["configs"]:
    assert "error" not in c, c
    t = c["training"]
    for k in ["tokens_per_s", "model_gflops", "pct_of_sgemm_peak", "padding_ratio",
              "peak_rss_mb", "steps"]:
        assert isinstance(t[k], (int, float)), (k, t)
    assert t["steps"] == 3, t
    assert t["data"] == "synthetic", t
    assert t["tokens_per_s"] > 0 and t["model_gflops"] > 0 and t["peak_rss_mb"] > 0, t
    assert abs(t["pct_of_sgemm_peak"] - 100 * t["model_gflops"] / m["sgemm_gflops"]) < 1e-6, t
    assert 0 <= t["padding_ratio"] < 1, t
    # Paired probes: one pair per timed step, and the figure is the median of the step ratios.
    sm, sg = t["step_model_gflops"], t["step_sgemm_gflops"]
    assert len(sm) == len(sg) == 3 and min(sg) > 0, t
    pct = sorted(100 * a / b for a, b in zip(sm, sg))[1]
    assert abs(t["pct_of_paired_sgemm"] - pct) < 1e-6, t
    assert abs(t["paired_sgemm_gflops"] - sorted(sg)[1]) < 1e-6, t
    assert t["last_loss"] > 0, t
    d = c["decoding"]
    assert d["weights"] == "untrained", d
    for s in ["greedy", "beam5"]:
        assert d[s]["sentences"] == 8, d
        assert d[s]["sentences_per_s"] > 0 and d[s]["tokens_per_s"] > 0, d
        assert d[s]["tokens"] >= 8, d
    assert c["training"]["profile"].endswith(".trace.json"), c
print("json ok")
PY
for n in tiny_tf tiny_rnn; do
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert len(e) > 0' \
    "$tmp/prof/$n.trace.json" || fail "profile $n.trace.json missing or not JSON"
done

# A missing config: measured configs still reported, exit 1, one error line, "error" in JSON.
"$bin" bench "$tmp/nope.yaml" --steps 1 --warmup 0 --decode-sentences 0 --threads 1 \
  --sgemm-size 64 --json "$tmp/missing.json" >"$tmp/out2" 2>"$tmp/err2"
rc=$?
[ "$rc" -eq 1 ] || fail "missing config: exit $rc, expected 1"
grep -q "nope.yaml: no such config file" "$tmp/err2" || fail "missing config: no clear error: $(cat "$tmp/err2")"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["configs"]; assert len(c)==1 and "no such config file" in c[0]["error"], c' \
  "$tmp/missing.json" || fail "missing config: JSON has no error entry"

# Bad options are usage errors (exit 2).
"$bin" bench "$tmp/tiny_tf.yaml" --steps 0 >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "--steps 0: exit $rc, expected 2"
echo "bench_smoke: ok"
