// The attention page's behaviour (tinynmt heatmap --format html). Plain JavaScript, no
// libraries, no network. Token text only ever reaches the page through textContent or canvas
// fillText, never as markup. The data: the JSON in #tinynmt-data (src/align/attention_page.h).
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("tinynmt-data").textContent);
  const sentences = data.sentences;
  const $ = (id) => document.getElementById(id);
  const state = { pos: 0, view: "cross", level: "word", layer: "last", head: "mean" };
  // What the map shows: the cross-attention (rows target, columns source) or a self-attention
  // (rows and columns the same side; row = the position attending, column = the one attended to).
  const VIEWS = {
    cross: { name: "cross-attention", part: (s) => s, rows: "tgt", cols: "src" },
    encoder: { name: "encoder self-attention", part: (s) => s.encoder_self, rows: "src", cols: "src" },
    decoder: { name: "decoder self-attention", part: (s) => s.decoder_self, rows: "tgt", cols: "tgt" },
  };
  let cache = { pos: -1, bytes: {} };

  // ---- data access --------------------------------------------------------------------------
  function decode(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  // The shown view's part of a sentence ({layers, heads, subword, word}), or null: none.
  function partOf(s) { return VIEWS[state.view].part(s) || null; }
  function hasLevel(p, level) { return !!p && typeof p[level] === "string"; }
  function levelOf(s) {
    const p = partOf(s);
    if (hasLevel(p, state.level)) return state.level;
    return hasLevel(p, "word") ? "word" : hasLevel(p, "subword") ? "subword" : null;
  }
  function sideTokens(s, side, level) {
    return level === "subword" ? s[`${side}_tokens`] : s[`${side}_words`];
  }
  // Matrix [rows][cols] of the shown view's weights for a layer and a head (numbers or "mean");
  // rowToks / colToks label its rows and columns.
  function matrix(s, level, layer, head) {
    if (cache.pos !== state.pos) cache = { pos: state.pos, bytes: {} };
    const p = partOf(s), v = VIEWS[state.view], key = `${state.view}:${level}`;
    if (!cache.bytes[key]) cache.bytes[key] = decode(p[level]);
    const q = cache.bytes[key];
    const rowToks = sideTokens(s, v.rows, level), colToks = sideTokens(s, v.cols, level);
    const rows = rowToks.length, cols = colToks.length, size = rows * cols;
    const layers = layer === "mean" ? [...Array(p.layers).keys()] : [layer];
    const heads = head === "mean" ? [...Array(p.heads).keys()] : [head];
    const m = new Float32Array(size);
    for (const l of layers)
      for (const h of heads) {
        const base = (l * p.heads + h) * size;
        for (let i = 0; i < size; i++) m[i] += q[base + i];
      }
    const scale = 1 / (255 * layers.length * heads.length);
    for (let i = 0; i < size; i++) m[i] *= scale;
    return { m, rows, cols, rowToks, colToks };
  }
  function layerIndex(p) {
    if (state.layer === "mean") return "mean";
    if (state.layer === "last") return p.layers - 1;
    return Math.min(Number(state.layer), p.layers - 1);
  }

  // ---- controls -----------------------------------------------------------------------------
  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }
  function fillSelectors(s) {
    const layer = $("layer"), head = $("head");
    const keepLayer = state.layer, keepHead = state.head;
    layer.textContent = "";
    head.textContent = "";
    option(layer, "last", "last");
    for (let l = 0; l < s.layers; l++) option(layer, String(l), String(l));
    option(layer, "mean", "mean");
    for (let h = 0; h < s.heads; h++) option(head, String(h), String(h));
    option(head, "mean", "mean");
    option(head, "grid", "all heads");
    layer.value = [...layer.options].some((o) => o.value === keepLayer) ? keepLayer : "last";
    head.value = [...head.options].some((o) => o.value === keepHead) ? keepHead : "mean";
    state.layer = layer.value;
    state.head = head.value;
  }
  function go(pos) {
    if (!sentences.length) return;
    state.pos = Math.max(0, Math.min(sentences.length - 1, pos));
    $("position").value = String(state.pos + 1);
    render();
  }

  // ---- drawing ------------------------------------------------------------------------------
  function colour(w) {
    const t = Math.max(0, Math.min(1, w));
    const r = Math.round(255 - 230 * t), g = Math.round(255 - 190 * t), b = Math.round(255 - 90 * t);
    return `rgb(${r},${g},${b})`;
  }
  function linkSet(links) {
    const set = new Set();
    for (const [s, t] of links || []) set.add(`${s}-${t}`);
    return set;
  }
  // Marks of the hard alignment and the gold links on a word-level map.
  function drawLinks(ctx, s, x0, y0, cell) {
    const pred = linkSet(s.alignment), sure = s.gold ? linkSet(s.gold.sure) : new Set();
    const possible = s.gold ? linkSet(s.gold.possible) : new Set();
    ctx.lineWidth = Math.max(1, cell / 10);
    for (const key of new Set([...sure, ...possible])) {
      const [i, j] = key.split("-").map(Number);
      ctx.strokeStyle = sure.has(key) ? "#06c" : "#8bd";
      ctx.setLineDash(sure.has(key) ? [] : [2, 2]);
      ctx.strokeRect(x0 + i * cell + 1, y0 + j * cell + 1, cell - 2, cell - 2);
    }
    ctx.setLineDash([]);
    for (const key of pred) {
      const [i, j] = key.split("-").map(Number);
      ctx.fillStyle = !s.gold ? "#c60" : sure.has(key) ? "#0a0" : possible.has(key) ? "#e90" : "#d00";
      ctx.beginPath();
      ctx.arc(x0 + (i + 0.5) * cell, y0 + (j + 0.5) * cell, Math.max(2, cell / 5), 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  function drawMap(s, level, layer, head, small) {
    const mat = matrix(s, level, layer, head);
    const fig = document.createElement("figure");
    fig.className = "map";
    const cap = document.createElement("figcaption");
    cap.textContent = `${VIEWS[state.view].name}, layer ${layer}, head ${head}`;
    const longest = Math.max(1, mat.rows, mat.cols);
    const cell = Math.max(3, Math.min(small ? 14 : 28, Math.floor((small ? 260 : 640) / longest)));
    const longestToken = Math.min(14, Math.max(1, ...mat.colToks.map((t) => t.length), ...mat.rowToks.map((t) => t.length)));
    const label = small ? 0 : Math.min(110, 14 + 7 * longestToken), font = Math.min(12, cell);
    const canvas = document.createElement("canvas");
    canvas.width = label + mat.cols * cell + 4;
    canvas.height = label + mat.rows * cell + 4;
    const ctx = canvas.getContext("2d");
    ctx.font = `${font}px sans-serif`;
    ctx.fillStyle = "#222";
    if (label && cell >= 8) {
      mat.colToks.forEach((t, i) => {
        ctx.save();
        ctx.translate(label + (i + 0.7) * cell, label - 4);
        ctx.rotate(-Math.PI / 3);
        ctx.fillText(t.slice(0, 14), 0, 0);
        ctx.restore();
      });
      ctx.textAlign = "right";
      mat.rowToks.forEach((t, j) => ctx.fillText(t.slice(0, 14), label - 4, label + (j + 0.75) * cell));
    }
    for (let j = 0; j < mat.rows; j++)
      for (let i = 0; i < mat.cols; i++) {
        ctx.fillStyle = colour(mat.m[j * mat.cols + i]);
        ctx.fillRect(label + i * cell, label + j * cell, cell, cell);
      }
    if (level === "word" && state.view === "cross") drawLinks(ctx, s, label, label, cell);
    canvas.addEventListener("mousemove", (e) => hoverCell(e, canvas, mat, label, cell));
    canvas.addEventListener("mouseleave", () => hoverCell(null));
    fig.append(canvas, cap);
    return fig;
  }
  function strip(el, toks, side) {
    el.textContent = "";
    toks.forEach((t, k) => {
      const span = document.createElement("span");
      span.className = "tok";
      span.textContent = t;
      span.dataset.k = String(k);
      span.addEventListener("mouseenter", () => shadeFrom(side, k));
      span.addEventListener("mouseleave", () => shadeFrom(null));
      el.appendChild(span);
    });
  }
  // Cross-attention: hovering target token k shades the source tokens by its row; a source
  // token, the targets by its column. Self-attention: a token shades the tokens of its own side
  // that it attends to (its row).
  function shadeFrom(side, k) {
    const s = sentences[state.pos], level = levelOf(s);
    const src = $("src-strip").children, tgt = $("tgt-strip").children;
    for (const e of [...src, ...tgt]) { e.style.background = ""; e.classList.remove("active"); }
    if (side === null || !level) return;
    const head = state.head === "grid" ? "mean" : Number.isNaN(+state.head) ? state.head : +state.head;
    const mat = matrix(s, level, layerIndex(partOf(s)), head);
    const cross = state.view === "cross";
    const own = side === "tgt" ? tgt : src, other = cross ? (side === "tgt" ? src : tgt) : own;
    if (!own[k]) return;
    own[k].classList.add("active");
    for (let o = 0; o < other.length; o++) {
      const w = !cross || side === "tgt" ? mat.m[k * mat.cols + o] : mat.m[o * mat.cols + k];
      other[o].style.background = colour(w);
      other[o].title = w.toFixed(3);
    }
  }
  function hoverCell(e, canvas, mat, label, cell) {
    const tip = $("tip");
    if (!e) { tip.hidden = true; return; }
    const r = canvas.getBoundingClientRect();
    const i = Math.floor((e.clientX - r.left - label) / cell), j = Math.floor((e.clientY - r.top - label) / cell);
    if (i < 0 || j < 0 || i >= mat.cols || j >= mat.rows) { tip.hidden = true; return; }
    tip.textContent = `${mat.rowToks[j]} \u2190 ${mat.colToks[i]}: ${mat.m[j * mat.cols + i].toFixed(4)} (\u00b10.002)`;
    tip.style.left = `${e.clientX + 12}px`;
    tip.style.top = `${e.clientY + 12}px`;
    tip.hidden = false;
  }

  // ---- one sentence -------------------------------------------------------------------------
  function summary(s, level) {
    const parts = [`sentence ${state.pos + 1} of ${sentences.length} (index ${s.index})`];
    if (level && level !== state.level) parts.push(`no ${state.level}-level matrices in this record: showing ${level}s`);
    if (s.aer !== null && s.aer !== undefined) parts.push(`AER ${(100 * s.aer).toFixed(1)}%`);
    if (data.set_aer !== null && data.set_aer !== undefined) parts.push(`set AER ${(100 * data.set_aer).toFixed(1)}%`);
    if (level === "subword" && state.view === "cross" && (s.alignment || s.gold)) parts.push("alignment marks are drawn at word level");
    $("summary").textContent = parts.join(" \u00b7 ");
  }
  function render() {
    const maps = $("maps");
    maps.textContent = "";
    if (!sentences.length) { $("summary").textContent = "no sentences in this file"; return; }
    const s = sentences[state.pos], part = partOf(s), v = VIEWS[state.view];
    fillSelectors(part || s);
    const level = levelOf(s);
    summary(s, level);
    const src = sideTokens(s, "src", level || "subword"), tgt = sideTokens(s, "tgt", level || "subword");
    strip($("src-strip"), src, "src");
    strip($("tgt-strip"), tgt, "tgt");
    $("src-row").hidden = state.view === "decoder";
    $("tgt-row").hidden = state.view === "encoder";
    $("legend").textContent = LEGENDS[state.view];
    const rows = v.rows === "src" ? src : tgt, cols = v.cols === "src" ? src : tgt;
    if (!level || !rows.length || !cols.length) {
      const p = document.createElement("p");
      p.textContent = !level
        ? (part ? "this record has no attention matrices" : `this record has no ${v.name}`)
        : "empty sentence: nothing to draw";
      maps.appendChild(p);
      return;
    }
    const layer = layerIndex(part);
    if (state.head === "grid") {
      for (let h = 0; h < part.heads; h++) maps.appendChild(drawMap(s, level, layer, h, true));
    } else {
      maps.appendChild(drawMap(s, level, layer, state.head === "mean" ? "mean" : +state.head, false));
    }
  }

  // ---- views: cross-attention, and self-attention where the records have it ------------------
  const LEGENDS = {
    cross: "Rows: target, columns: source; darker = more weight. Dots: the hard alignment " +
      "(with gold: green = sure, orange = possible, red = wrong); boxes: gold links (solid = " +
      "sure, dashed = possible).",
    encoder: "Rows and columns: source; row = the token attending, column = the token attended " +
      "to; darker = more weight. Hover a token to shade the tokens it attends to.",
    decoder: "Rows and columns: target; each step is labelled by the token it predicts (its " +
      "input is the token before) and attends only to itself and earlier steps, so the upper " +
      "triangle is empty. Hover a token to shade the tokens it attends to.",
  };
  function setupViews() {
    const has = { encoder: sentences.some((s) => s.encoder_self), decoder: sentences.some((s) => s.decoder_self) };
    for (const o of $("view").options) {
      if (o.value === "cross") continue;
      o.disabled = !has[o.value];
      if (o.disabled) o.textContent = `${VIEWS[o.value].name} (none)`;
    }
    $("view-note").textContent = !has.encoder && !has.decoder
      ? "No self-attention in this file: exported without --self-attention, or an RNN model " +
        "(RNNs have none)."
      : !has.decoder ? "No decoder self-attention: the model's decoder is an RNN."
      : !has.encoder ? "No encoder self-attention: the model's encoder is an RNN." : "";
    // A training run's report carries cross-attention only.
    if (Array.isArray(data.steps) && data.steps.length) $("view-control").hidden = true;
  }

  // ---- search -------------------------------------------------------------------------------
  function text(s) { return `${s.src_words.join(" ")} ${s.tgt_words.join(" ")}`.toLowerCase(); }
  function search(query) {
    const list = $("results");
    list.textContent = "";
    const q = query.trim().toLowerCase();
    if (!q) { list.hidden = true; return; }
    let shown = 0;
    for (let p = 0; p < sentences.length && shown < 50; p++) {
      if (!text(sentences[p]).includes(q)) continue;
      const li = document.createElement("li");
      li.value = p + 1;
      li.textContent = `${sentences[p].src_words.join(" ")} \u2192 ${sentences[p].tgt_words.join(" ")}`;
      li.addEventListener("click", () => go(p));
      list.appendChild(li);
      shown++;
    }
    if (!shown) { const li = document.createElement("li"); li.textContent = "no match"; list.appendChild(li); }
    list.hidden = false;
  }

  // ---- a training run's report: the attention at each validation --------------------------
  function showStep(k) {
    for (const s of sentences) {
      const snap = s.snapshots && s.snapshots[k];
      if (!snap) continue;
      s.subword = snap.subword;
      s.word = snap.word;
      s.alignment = snap.alignment;
    }
    cache = { pos: -1, bytes: {} };
    $("step").value = String(k);
    $("step-label").textContent = `step ${data.steps[k]} (${k + 1} of ${data.steps.length})`;
    render();
  }
  if (Array.isArray(data.steps) && data.steps.length) {
    $("step-control").hidden = false;
    $("step").max = String(data.steps.length - 1);
    $("step").addEventListener("input", (e) => showStep(Number(e.target.value)));
  }

  // ---- wiring -------------------------------------------------------------------------------
  $("title").textContent = data.title;
  $("note").textContent = data.rounding;
  $("count").textContent = `of ${sentences.length}`;
  setupViews();
  $("prev").addEventListener("click", () => go(state.pos - 1));
  $("next").addEventListener("click", () => go(state.pos + 1));
  $("position").addEventListener("change", (e) => go(Number(e.target.value) - 1));
  $("search").addEventListener("input", (e) => search(e.target.value));
  for (const id of ["view", "level", "layer", "head"])
    $(id).addEventListener("change", (e) => { state[id] = e.target.value; render(); });
  document.addEventListener("keydown", (e) => {
    const tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "SELECT") return;
    if (e.key === "ArrowLeft") go(state.pos - 1);
    if (e.key === "ArrowRight") go(state.pos + 1);
  });
  if (Array.isArray(data.steps) && data.steps.length) showStep(data.steps.length - 1);
  else render();
  window.tinynmtReadyMs = performance.now();
  document.body.dataset.ready = "1";
})();
