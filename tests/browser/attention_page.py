#!/usr/bin/env python3
"""The attention page (`tinynmt heatmap --format html`) in a real browser: Debian's chromium,
headless, driven through the DevTools protocol with Debian's python3-websocket.

Checks: the page loads with no console errors and no network requests; the arrow keys, the layer
and the head selectors change what is drawn (the canvas pixels differ); hovering a cell shows its
weight and hovering a token shades the other side; a token holding <script> shows as text and
runs nothing; an empty line, a one-token and a 200-token sentence and a record without
word-level matrices load; the view selector switches to the encoder and decoder self-attention
(other pixels, both axes labelled with the source / target words, hover shades the same side)
and is disabled, with the reason, for a file without it; gold links give an AER; a 1,000-sentence page is ready in under 2 s;
a toy training run's RUN_DIR/report.html draws its curves and its validation slider changes the
attention drawn.

Usage: attention_page.py TINYNMT_BINARY. Exit 77 (ctest: skipped) when chromium or
python3-websocket is missing (scripts/install_deps.sh installs both)."""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


try:
    import websocket
except ImportError:  # another python3 first on the PATH: take Debian's package (pure Python)
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import websocket
    except ImportError:
        skip("python3-websocket is not installed (scripts/install_deps.sh installs it)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    skip("chromium is not installed (scripts/install_deps.sh installs Debian's chromium)")

FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


# ---- attention records (the JSON Lines format of src/align/attention_io.h) ----------------------
def softmax_rows(rng, rows, cols):
    out = []
    for _ in range(rows):
        w = [rng.random() ** 3 for _ in range(cols)]
        s = sum(w) or 1.0
        out.append([round(x / s, 4) for x in w])
    return out


def causal_rows(rng, n):
    out = []
    for t in range(n):
        row = softmax_rows(rng, 1, t + 1)[0]
        out.append(row + [0.0] * (n - t - 1))
    return out


def self_attention(rng, n, layers, heads, causal):
    """A self-attention field, subword level only (the reader makes the word level)."""
    rows = (lambda: causal_rows(rng, n)) if causal else (lambda: softmax_rows(rng, n, n))
    return {"layers": layers, "heads": heads,
            "subword": [[rows() for _ in range(heads)] for _ in range(layers)]}


def record(rng, index, src_words, tgt_words, layers=3, heads=4, word_level=True, self_att=False):
    src_tokens = ["\u2581" + w for w in src_words] + ["</s>"]
    tgt_tokens = ["\u2581" + w for w in tgt_words] + ["</s>"]
    r = {
        "index": index, "model": "browser-test",
        "src_tokens": src_tokens, "tgt_tokens": tgt_tokens,
        "src_words": src_words, "tgt_words": tgt_words,
        "src_word_of_token": list(range(len(src_words))) + [-1],
        "tgt_word_of_token": list(range(len(tgt_words))) + [-1],
        "layers": layers, "heads": heads,
        "subword": [[softmax_rows(rng, len(tgt_tokens), len(src_tokens)) for _ in range(heads)]
                    for _ in range(layers)],
        "alignment": " ".join(f"{min(j, len(src_words) - 1)}-{j}" for j in range(len(tgt_words)))
        if src_words and tgt_words else "",
    }
    if word_level:
        r["word"] = [[softmax_rows(rng, len(tgt_words), len(src_words)) for _ in range(heads)]
                     for _ in range(layers)]
    if self_att:
        r["encoder_self_attention"] = self_attention(rng, len(src_tokens), layers, heads, False)
        r["decoder_self_attention"] = self_attention(rng, len(tgt_tokens), layers, heads, True)
    return r


def write_jsonl(path, records):
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def shapes(rng):
    words = "a man rides a horse on the beach".split()
    return [
        record(rng, 0, words, "ein mann reitet ein pferd am strand".split(), self_att=True),
        record(rng, 1, ["<script>alert(1)</script>", "b"], ["c", "d"]),
        record(rng, 2, [], []),                                     # an empty line
        record(rng, 3, ["x"], ["y"]),                               # one token
        record(rng, 4, [f"w{i}" for i in range(200)], [f"v{i}" for i in range(200)], 1, 2),
        record(rng, 5, ["no", "word", "level"], ["kein", "wort"], word_level=False),
    ]


# ---- the browser ------------------------------------------------------------------------------
class Browser:
    def __init__(self, tmp):
        profile = os.path.join(tmp, "profile")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-sync",
             "--disable-background-networking", "--disable-component-update",
             "--window-size=1400,1000",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = open(port_file).read().split("\n")[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.events = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def eval(self, expression):
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def open(self, path):
        self.events.clear()
        self.send("Page.navigate", url="file://" + path)
        deadline = time.time() + 30
        while self.eval("document.readyState === 'complete' && document.body && "
                        "document.body.dataset.ready === '1'") is not True:
            if time.time() > deadline:
                return False
            time.sleep(0.05)
        return True

    def problems(self, page_url):
        """Console errors, uncaught exceptions, dialogs and requests to anything but the page."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(f"console.error: {p.get('args')}")
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log: {p['entry'].get('text')}")
            elif m == "Page.javascriptDialogOpening":
                out.append(f"dialog: {p.get('message')}")
            elif m == "Network.requestWillBeSent" and p["request"]["url"] != page_url:
                out.append(f"request: {p['request']['url']}")
        return out

    def key(self, key, code):
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=code, nativeVirtualKeyCode=code)

    def close(self):
        try:
            self.ws.close()
        finally:
            # The whole process group: chromium's helper processes (renderer, utility,
            # crashpad) outlive a kill of the main one and keep writing the profile folder.
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()
            deadline = time.time() + 10
            while time.time() < deadline and subprocess.run(
                    ["pgrep", "-g", str(self.proc.pid)], stdout=subprocess.DEVNULL).returncode == 0:
                time.sleep(0.1)


CANVAS = "(() => { const c = document.querySelector('#maps canvas'); return c ? c.toDataURL() : ''; })()"


def select(b, sel, value):
    b.eval(f"(() => {{ const s = document.getElementById('{sel}'); s.value = '{value}'; "
           f"s.dispatchEvent(new Event('change')); }})()")


def check_interaction(b):
    before = b.eval(CANVAS)
    b.key("ArrowRight", 39)
    check(b.eval("document.getElementById('position').value") == "2", "ArrowRight goes to sentence 2")
    check(b.eval(CANVAS) != before, "another sentence draws another picture")
    b.key("ArrowLeft", 37)
    check(b.eval(CANVAS) == before, "ArrowLeft comes back to the same picture")
    select(b, "layer", "0")
    layer0 = b.eval(CANVAS)
    check(layer0 != before, "layer 0 draws another picture than the last layer")
    select(b, "head", "1")
    check(b.eval(CANVAS) != layer0, "head 1 draws another picture than the mean of heads")
    select(b, "head", "grid")
    check(b.eval("document.querySelectorAll('#maps canvas').length") == 4, "grid: one map per head")
    select(b, "head", "mean")
    select(b, "level", "subword")
    check(b.eval(CANVAS) != layer0, "subword level draws another picture")
    select(b, "level", "word")


def check_hover(b):
    box = b.eval("(() => { const r = document.querySelector('#maps canvas').getBoundingClientRect();"
                 " return [r.left, r.top, r.width, r.height]; })()")
    b.send("Input.dispatchMouseEvent", type="mouseMoved", x=box[0] + box[2] - 10, y=box[1] + box[3] - 10)
    tip = b.eval("(() => { const t = document.getElementById('tip'); return t.hidden ? '' : t.textContent; })()")
    check(":" in tip and "0." in tip, f"hovering a cell shows its weight ({tip!r})")
    tok = b.eval("(() => { const r = document.querySelector('#tgt-strip .tok').getBoundingClientRect();"
                 " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
    b.send("Input.dispatchMouseEvent", type="mouseMoved", x=tok[0], y=tok[1])
    shaded = b.eval("[...document.querySelectorAll('#src-strip .tok')].filter(e => e.style.background).length")
    check(shaded == 8, f"hovering a target token shades the 8 source words ({shaded})")


def check_shapes(b):
    b.eval("document.getElementById('position').value = '2'; "
           "document.getElementById('position').dispatchEvent(new Event('change'))")
    text = b.eval("document.querySelector('#src-strip .tok').textContent")
    check(text == "<script>alert(1)</script>", "a <script> token shows as text")
    check(b.eval("document.querySelectorAll('script').length") == 2, "no script element was added")
    for pos, want in ((3, "empty sentence"), (4, None), (5, None), (6, None)):
        select(b, "position", str(pos))
        maps = b.eval("document.getElementById('maps').textContent")
        canvases = b.eval("document.querySelectorAll('#maps canvas').length")
        if want:
            check(want in maps and canvases == 0, f"sentence {pos}: says '{want}'")
        else:
            check(canvases == 1, f"sentence {pos}: one map drawn")
    check("AER" in b.eval("document.getElementById('summary').textContent"), "gold links give an AER")


# The labels drawn on the map's canvas (fillText calls), in order.
LABELS = ("(() => { const c = CanvasRenderingContext2D.prototype; if (!c.__orig) {"
          " c.__orig = c.fillText; c.fillText = function (t, ...a) {"
          " (window.__labels = window.__labels || []).push(String(t));"
          " return c.__orig.call(this, t, ...a); }; } window.__labels = []; })()")


def check_self_attention(b):
    """Sentence 1 has encoder and decoder self-attention; the others none."""
    select(b, "position", "1")
    select(b, "level", "word")
    select(b, "layer", "last")
    select(b, "head", "mean")
    src = b.eval("[...document.querySelectorAll('#src-strip .tok')].map(e => e.textContent)")
    tgt = b.eval("[...document.querySelectorAll('#tgt-strip .tok')].map(e => e.textContent)")
    cross = b.eval(CANVAS)
    check(b.eval("document.getElementById('view-control').hidden") is False and
          b.eval("document.querySelector('#view option[value=encoder]').disabled") is False,
          "the view selector offers the self-attention")
    b.eval(LABELS)
    select(b, "view", "encoder")
    enc = b.eval(CANVAS)
    check(enc != cross, "encoder self-attention draws another picture than the cross-attention")
    labels = b.eval("window.__labels")
    check(sorted(labels) == sorted(src + src),
          f"encoder self-attention: both axes are labelled with the source words ({labels})")
    check(b.eval("document.getElementById('tgt-row').hidden") is True,
          "encoder self-attention: only the source strip is shown")
    tok = b.eval("(() => { const r = document.querySelectorAll('#src-strip .tok')[2]"
                 ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
    b.send("Input.dispatchMouseEvent", type="mouseMoved", x=tok[0], y=tok[1])
    shaded = b.eval("[...document.querySelectorAll('#src-strip .tok')].filter(e => e.style.background).length")
    check(shaded == len(src), f"hovering a source token shades the {len(src)} source words it attends to ({shaded})")
    b.send("Input.dispatchMouseEvent", type="mouseMoved", x=1, y=1)
    select(b, "layer", "0")
    check(b.eval(CANVAS) != enc, "encoder self-attention: layer 0 draws another picture")
    select(b, "head", "grid")
    check(b.eval("document.querySelectorAll('#maps canvas').length") == 4, "encoder self-attention: grid of 4 heads")
    select(b, "head", "mean")
    b.eval("window.__labels = []")
    select(b, "view", "decoder")
    labels = b.eval("window.__labels")
    check(sorted(labels) == sorted(tgt + tgt),
          f"decoder self-attention: both axes are labelled with the target words ({labels})")
    select(b, "position", "2")
    check("no decoder self-attention" in b.eval("document.getElementById('maps').textContent"),
          "a record without self-attention says so in that view")
    select(b, "view", "cross")
    select(b, "position", "1")


def check_no_self_attention(b):
    """A file without self-attention: the self views are disabled and the page says why."""
    check(b.eval("document.querySelector('#view option[value=encoder]').disabled") is True and
          b.eval("document.querySelector('#view option[value=decoder]').disabled") is True,
          "without self-attention the self views are disabled")
    note = b.eval("document.getElementById('view-note').textContent")
    check("--self-attention" in note and "RNN" in note, f"and the page says why ({note!r})")


def make_page(binary, tmp, name, records, gold=None):
    jsonl, html = os.path.join(tmp, name + ".jsonl"), os.path.join(tmp, name + ".html")
    write_jsonl(jsonl, records)
    cmd = [binary, "heatmap", "--format", "html", "--attention", jsonl, "--out", html]
    if gold:
        gpath = os.path.join(tmp, name + ".gold")
        with open(gpath, "w") as f:
            f.write("\n".join(gold) + "\n")
        cmd += ["--gold", gpath]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        raise SystemExit(f"FAIL: tinynmt heatmap --format html exited {r.returncode}")
    return html


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def train_toy_run(binary, tmp):
    """A 40-step toy run validated at steps 20 and 40: its RUN_DIR/report.html."""
    subprocess.run(["bash", "scripts/get_data.sh", "toy"], cwd=REPO, check=True,
                   capture_output=True)
    run = os.path.join(tmp, "run")
    r = subprocess.run([binary, "train", "configs/toy_copy.yaml", "--set", f"run.dir={run}",
                        "training.max_steps=40", "training.validate_every=20"],
                       cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout[-2000:], r.stderr[-2000:])
        raise SystemExit(f"FAIL: toy training exited {r.returncode}")
    return os.path.join(run, "report.html")


def check_report(b, page):
    check(b.open(page), "the run's report page loads")
    check(b.eval("document.querySelectorAll('#curves svg polyline').length") >= 4,
          "the report draws the training curves")
    check(b.eval("document.getElementById('step-label').textContent").startswith("step 40"),
          "the report opens at the last validation")
    last = b.eval(CANVAS)
    b.eval("(() => { const s = document.getElementById('step'); s.value = '0'; "
           "s.dispatchEvent(new Event('input')); })()")
    check(b.eval("document.getElementById('step-label').textContent").startswith("step 20"),
          "the slider goes to the first validation")
    check(b.eval(CANVAS) != last, "the first validation's attention draws another picture")
    check(not b.problems("file://" + page), "the report: no errors or requests")


def main():
    binary = sys.argv[1]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        gold = ["0-0 1-1 2p2", "", "", "", "", ""]
        small = make_page(binary, tmp, "shapes", shapes(rng), gold)
        big_records = [record(rng, i, [f"w{k}" for k in range(13)], [f"v{k}" for k in range(13)])
                       for i in range(1000)]
        big = make_page(binary, tmp, "big", big_records)
        size = os.path.getsize(big)
        check(size < 20e6, f"1,000 sentences x 3 layers x 4 heads: {size / 1e6:.1f} MB < 20 MB")
        b = Browser(tmp)
        try:
            check(b.open(small), "the page loads and says it is ready")
            check_interaction(b)
            check_hover(b)
            check_shapes(b)
            check_self_attention(b)
            problems = b.problems("file://" + small)
            check(not problems, f"no console errors, dialogs or requests {problems}")
            check(b.open(big), "the 1,000-sentence page loads")
            ready = b.eval("window.tinynmtReadyMs")
            check(ready < 2000, f"the 1,000-sentence page is ready in {ready:.0f} ms < 2 s")
            check(not b.problems("file://" + big), "the big page: no errors or requests")
            check_no_self_attention(b)
            check_report(b, train_toy_run(binary, tmp))
        finally:
            b.close()
    if FAILURES:
        print(f"{len(FAILURES)} failed")
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
