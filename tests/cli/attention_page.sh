#!/usr/bin/env bash
# CLI test: a toy run writes RUN_DIR/report.html at each validation; a toy model's attention (an empty line and a one-word line among them) becomes one
# self-contained HTML page (`heatmap --format html`) whose embedded data holds every sentence;
# with gold links it carries each sentence's AER; bad arguments are one error line and a non-zero exit.
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

# Bad input: one line naming the problem, a non-zero exit.
err=$("$bin" heatmap --format html --attention "$tmp/a.jsonl" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q -- "--out" <<<"$err" || fail "no --out: rc $rc: $err"
err=$("$bin" heatmap --format png --attention "$tmp/a.jsonl" --gold "$tmp/gold.txt" --out "$tmp/x" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && grep -q -- "--gold needs --format html" <<<"$err" || fail "gold with png: rc $rc: $err"
err=$("$bin" heatmap --format html --attention "$tmp/a.jsonl" --gold "$tmp/none.txt" --out "$tmp/y.html" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "none.txt" <<<"$err" || fail "missing gold: rc $rc: $err"
echo "attention_page: ok"
