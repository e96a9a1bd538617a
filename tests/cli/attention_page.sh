#!/usr/bin/env bash
# CLI test: a toy run writes RUN_DIR/report.html at each validation; a toy model's attention (an empty line and a one-word line among them) becomes one
# self-contained HTML page (`heatmap --format html`) whose embedded data holds every sentence;
# with gold links it carries each sentence's AER; --self-attention adds the Transformer's encoder
# and decoder self-attention (an RNN: a note, none); bad arguments are one error line and a non-zero exit.
# The page in a real browser: tests/browser/attention_page.py.
set -u
bin="$1"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bash scripts/get_data.sh toy >/dev/null || fail "get_data.sh toy"
"$bin" train configs/toy_copy.yaml --set run.dir="$tmp/run" training.max_steps=40 \
  training.validate_every=20 >"$tmp/train.log" 2>&1 || fail "toy training: $(tail -3 "$tmp/train.log")"

# The run's own page: the attention of the first 4 dev sentences at both validations, curves.
python3 - "$tmp/run/report.html" <<'PY' || fail "report.html"
import json, sys
html = open(sys.argv[1], encoding="utf-8").read()
start = html.index('id="tinynmt-data">') + len('id="tinynmt-data">')
data = json.loads(html[start:html.index("</script>", start)])
assert data["steps"] == [20, 40], data["steps"]
assert len(data["sentences"]) == 4, len(data["sentences"])
assert all(len(s["snapshots"]) == 2 for s in data["sentences"])
assert html.count("<polyline") >= 4, "curves"
PY
printf 'a b c d\n\nq\n' | "$bin" translate --model "$tmp/run" --attention "$tmp/a.jsonl" \
  >/dev/null 2>"$tmp/tr.log" || fail "translate --attention: $(cat "$tmp/tr.log")"
out=$("$bin" heatmap --format html --attention "$tmp/a.jsonl" --out "$tmp/page/p.html") ||
  fail "heatmap --format html exited non-zero: $out"
grep -q "wrote $tmp/page/p.html (3 sentences)" <<<"$out" || fail "unexpected message: $out"
python3 - "$tmp/page/p.html" <<'PY' || fail "page data"
import json, sys
html = open(sys.argv[1], encoding="utf-8").read()
start = html.index('id="tinynmt-data">') + len('id="tinynmt-data">')
data = json.loads(html[start:html.index("</script>", start)])
s = data["sentences"]
assert len(s) == 3, len(s)
assert s[0]["src_words"] == ["a", "b", "c", "d"], s[0]["src_words"]
assert s[1]["src_words"] == [], s[1]
assert s[2]["src_words"] == ["q"], s[2]
assert all(isinstance(x["subword"], str) and x["layers"] == 2 and x["heads"] == 4 for x in s)
assert "http" not in html.replace("http-equiv", ""), "the page names a network address"
PY

# Gold links (0-based): the page carries them; with an alignment in the records, an AER.
printf 'a b c d\n' >"$tmp/pair.txt"
"$bin" align --model "$tmp/run" --src "$tmp/pair.txt" --tgt "$tmp/pair.txt" --tokenized \
  --out "$tmp/al" >/dev/null 2>"$tmp/al.log" || fail "align: $(cat "$tmp/al.log")"
printf '0-0 1-1 2-2 3p3\n' >"$tmp/gold.txt"
out=$("$bin" heatmap --format html --attention "$tmp/al.jsonl" --gold "$tmp/gold.txt" \
  --out "$tmp/g.html") || fail "heatmap with --gold: $out"
grep -q "AER [0-9.]*%" <<<"$out" || fail "no AER in: $out"
grep -q '"sure":\[\[0,0\],\[1,1\],\[2,2\]\]' "$tmp/g.html" || fail "gold links not in the page"

# --self-attention: the Transformer's encoder and decoder self-attention join the records (rows
# sum to 1, the decoder's causal), the rest of each record and the translations stay as they
# were, and the page embeds them. An RNN model: one note on stderr, records without them.
printf 'a b c d\n\nq\n' | "$bin" translate --model "$tmp/run" --attention "$tmp/s.jsonl" \
  --self-attention >"$tmp/s.txt" 2>"$tmp/trs.log" || fail "translate --self-attention: $(cat "$tmp/trs.log")"
printf 'a b c d\n\nq\n' | "$bin" translate --model "$tmp/run" >"$tmp/plain.txt" 2>/dev/null
cmp -s "$tmp/s.txt" "$tmp/plain.txt" || fail "--self-attention changed the translations"
"$bin" align --model "$tmp/run" --src "$tmp/pair.txt" --tgt "$tmp/pair.txt" --tokenized \
  --self-attention --out "$tmp/als" >/dev/null 2>"$tmp/als.log" || fail "align --self-attention: $(cat "$tmp/als.log")"
cmp -s "$tmp/al.align" "$tmp/als.align" || fail "--self-attention changed the hard alignment"
out=$("$bin" heatmap --format html --attention "$tmp/s.jsonl" --out "$tmp/s.html") ||
  fail "heatmap of self-attention records: $out"
python3 - "$tmp/a.jsonl" "$tmp/s.jsonl" "$tmp/al.jsonl" "$tmp/als.jsonl" "$tmp/s.html" <<'PY' || fail "self-attention records"
import json, sys
a, s, al, als, page = sys.argv[1:]
keys = ("encoder_self_attention", "decoder_self_attention")
recs = lambda p: [json.loads(line) for line in open(p, encoding="utf-8")]
for plain_path, self_path in ((a, s), (al, als)):
    plain, withs = recs(plain_path), recs(self_path)
    assert len(plain) == len(withs) and not any(k in r for r in plain for k in keys)
    for p, w in zip(plain, withs):
        e, d = w["encoder_self_attention"], w["decoder_self_attention"]
        assert (e["layers"], e["heads"], d["layers"], d["heads"]) == (2, 4, 2, 4), (e["layers"], d["heads"])
        ns, nt = len(w["src_tokens"]), len(w["tgt_tokens"])
        for part, n in ((e, ns), (d, nt)):
            for head in (m for layer in part["subword"] for m in layer):
                assert len(head) == n and all(len(row) == n for row in head), (len(head), n)
                assert all(abs(sum(row) - 1) < 2e-3 for row in head), "a row does not sum to 1"
        assert all(m[t][u] == 0 for layer in d["subword"] for m in layer
                   for t in range(nt) for u in range(t + 1, nt)), "decoder attends ahead"
        assert len(e["word"][0][0]) == len(w["src_words"]), "encoder word level"
        for k in keys:
            del w[k]
        assert p == w, "the rest of the record changed"
html = open(page, encoding="utf-8").read()
start = html.index('id="tinynmt-data">') + len('id="tinynmt-data">')
sent = json.loads(html[start:html.index("</script>", start)])["sentences"]
assert isinstance(sent[0]["encoder_self"]["subword"], str), sent[0].keys()
assert sent[0]["decoder_self"]["heads"] == 4
PY
"$bin" train configs/toy_copy.yaml --set run.dir="$tmp/rnn" model.encoder.type=rnn \
  model.encoder.embedding_dim=16 model.encoder.hidden_size=16 model.decoder.type=rnn \
  model.decoder.attention=bahdanau model.decoder.embedding_dim=16 model.decoder.hidden_size=16 \
  training.max_steps=2 >"$tmp/rnn.log" 2>&1 || fail "RNN toy training: $(tail -3 "$tmp/rnn.log")"
printf 'a b\n' | "$bin" translate --model "$tmp/rnn" --attention "$tmp/r.jsonl" --self-attention \
  >/dev/null 2>"$tmp/r.log" || fail "RNN translate --self-attention: $(cat "$tmp/r.log")"
[ "$(grep -c 'RNN models have no self-attention' "$tmp/r.log")" -eq 1 ] || fail "no RNN note: $(cat "$tmp/r.log")"
grep -q self_attention "$tmp/r.jsonl" && fail "RNN records carry self-attention"
"$bin" align --model "$tmp/rnn" --src "$tmp/pair.txt" --tgt "$tmp/pair.txt" --self-attention \
  --out "$tmp/ral" >/dev/null 2>"$tmp/ral.log" || fail "RNN align --self-attention: $(cat "$tmp/ral.log")"
grep -q 'RNN models have no self-attention' "$tmp/ral.log" || fail "no RNN note from align"
"$bin" heatmap --format html --attention "$tmp/r.jsonl" --out "$tmp/r.html" >/dev/null ||
  fail "heatmap of RNN records"
err=$("$bin" translate --model "$tmp/run" --self-attention a 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q -- "--attention" <<<"$err" ||
  fail "--self-attention without --attention: rc $rc: $err"

# Bad input: one line naming the problem, a non-zero exit.
err=$("$bin" heatmap --format html --attention "$tmp/a.jsonl" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q -- "--out" <<<"$err" || fail "no --out: rc $rc: $err"
err=$("$bin" heatmap --format png --attention "$tmp/a.jsonl" --gold "$tmp/gold.txt" --out "$tmp/x" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && grep -q -- "--gold needs --format html" <<<"$err" || fail "gold with png: rc $rc: $err"
err=$("$bin" heatmap --format html --attention "$tmp/a.jsonl" --gold "$tmp/none.txt" --out "$tmp/y.html" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "none.txt" <<<"$err" || fail "missing gold: rc $rc: $err"
echo "attention_page: ok"
