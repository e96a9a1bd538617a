#include "decode/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "models/special_ids.h"

namespace tinynmt::decode {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

[[noreturn]] void fail(const std::string& msg) {
  throw std::invalid_argument(fmt::format("src/decode/search.cpp: {}", msg));
}

// The sentences of a batch that have a non-empty source, trimmed to their longest length.
struct Prepared {
  std::vector<int64_t> lengths;  // real source length of every input sentence
  std::vector<int64_t> run_ids;  // input indices of the sentences that run through the model
  torch::Tensor src;             // [run, max_real_len] int64
  torch::Tensor mask;            // [run, max_real_len] bool
};

Prepared prepare(const torch::Tensor& src, const torch::Tensor& src_mask, const char* fn) {
  if (!src.defined() || src.dim() != 2)
    fail(fmt::format("{}: src must be [batch, src_len], got {} dims", fn,
                     src.defined() ? src.dim() : 0));
  if (!src_mask.defined() || src_mask.sizes() != src.sizes())
    fail(fmt::format("{}: src_mask must have the shape of src [{}, {}]", fn, src.size(0),
                     src.size(1)));
  Prepared p;
  p.lengths = source_lengths(src_mask);
  int64_t max_len = 0;
  for (size_t i = 0; i < p.lengths.size(); ++i) {
    if (p.lengths[i] > 0) p.run_ids.push_back(static_cast<int64_t>(i));
    max_len = std::max(max_len, p.lengths[i]);
  }
  if (p.run_ids.empty()) return p;
  torch::Tensor s = src, m = src_mask;
  if (static_cast<int64_t>(p.run_ids.size()) != src.size(0)) {
    auto idx = torch::tensor(p.run_ids, torch::kLong).to(src.device());
    s = s.index_select(0, idx);  // [run, src_len]
    m = m.index_select(0, idx);  // [run, src_len]
  }
  p.src = s.narrow(1, 0, max_len);                   // [run, max_real_len]
  p.mask = m.narrow(1, 0, max_len).to(torch::kBool);  // [run, max_real_len]
  return p;
}

// Ids a decoder must never output: PAD (it would end the sequence for every consumer) and BOS.
torch::Tensor banned_ids(const torch::Device& device) {
  return torch::tensor(std::vector<int64_t>{kPadId, kBosId}, torch::kLong).to(device);  // [2]
}

// [layers, heads, tgt_len, src_len] zeros: the attention of a hypothesis with no source or target.
torch::Tensor empty_attention(Seq2SeqImpl& model, int64_t tgt_len, int64_t src_len = 0,
                              int64_t layers = -1) {
  return torch::zeros({layers < 0 ? model.attention_layers() : layers, model.attention_heads(),
                       tgt_len, src_len});
}

// Gathers rows of the per-step attention ([rows_t, layers, heads, src_len] per step, stacked
// over steps) for every hypothesis at once and returns [layers, heads, len_h, src_len_h] each.
std::vector<torch::Tensor> gather_attention(const std::vector<torch::Tensor>& steps,
                                            const std::vector<std::vector<int64_t>>& rows,
                                            const std::vector<int64_t>& src_lens) {
  std::vector<torch::Tensor> out(rows.size());
  if (steps.empty()) return out;
  std::vector<int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  auto all = torch::cat(steps, 0);  // [sum rows_t, layers, heads, src_len]
  auto idx = torch::tensor(flat, torch::kLong).to(all.device());
  auto sel = all.index_select(0, idx).to(torch::kCPU, torch::kFloat);  // [n, L, H, S]
  int64_t off = 0;
  for (size_t h = 0; h < rows.size(); ++h) {
    auto len = static_cast<int64_t>(rows[h].size());
    out[h] = sel.narrow(0, off, len)               // [len, L, H, S]
                 .narrow(3, 0, src_lens[h])        // [len, L, H, src_len_h]
                 .permute({1, 2, 0, 3})            // [L, H, len, src_len_h]
                 .contiguous();
    off += len;
  }
  return out;
}

// A finished hypothesis: its last node, length (EOS included), score and normalised score.
struct Finished {
  int64_t node, length;
  double score, norm;
};
bool by_norm(const Finished& a, const Finished& b) { return a.norm > b.norm; }

// Whether beam search may stop a sentence after this step. It stops at its maximum length, when
// no live beam is left, or once n_best hypotheses have finished and either
//  - this step's best candidate chose EOS, so no live beam scores higher now (OpenNMT-py's rule;
//    scores only fall, so with alpha = 0 the best hypothesis is then exact; lower n-best
//    entries and alpha > 0 may still differ from an exhaustive search), or
//  - no live beam can still beat the n_best-th finished one: log-probs are <= 0, so a live beam
//    with score s can reach at most s / lp(max_len) (lp_max).
// It never stops because K hypotheses have finished: hypotheses that left the best path early
// often finish first (a copy that skips a piece ends one step sooner), and stopping on their
// count dropped the best live beam. Sorts the first n_best of `fin` by normalised score.
bool sentence_done(std::vector<Finished>& fin, double best_live_score, bool best_ends,
                   bool at_max, double lp_max, int64_t n_best) {
  if (at_max || best_live_score == kNegInf) return true;
  if (static_cast<int64_t>(fin.size()) < n_best) return false;
  if (best_ends) return true;
  std::partial_sort(fin.begin(), fin.begin() + n_best, fin.end(), by_norm);
  return best_live_score / lp_max <= fin[n_best - 1].norm;
}

}  // namespace

double length_penalty(int64_t length, double alpha) {
  if (alpha < 0) fail(fmt::format("length penalty alpha must be >= 0, got {}", alpha));
  if (length < 0) fail(fmt::format("length penalty of a negative length {}", length));
  if (alpha == 0) return 1.0;
  return std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

std::vector<int64_t> source_lengths(const torch::Tensor& src_mask) {
  if (!src_mask.defined() || src_mask.dim() != 2)
    fail("source_lengths: src_mask must be [batch, src_len]");
  auto lens = src_mask.ne(0).sum(1).to(torch::kCPU, torch::kLong).contiguous();  // [batch]
  return std::vector<int64_t>(lens.data_ptr<int64_t>(), lens.data_ptr<int64_t>() + lens.numel());
}

std::vector<int64_t> max_target_lengths(const std::vector<int64_t>& src_lengths, double ratio,
                                        int64_t extra) {
  if (!(ratio >= 0)) fail(fmt::format("max_len_ratio must be >= 0, got {}", ratio));
  std::vector<int64_t> out;
  out.reserve(src_lengths.size());
  for (int64_t n : src_lengths) {
    auto m = static_cast<int64_t>(std::ceil(ratio * static_cast<double>(n))) + extra;
    if (m < 1)
      fail(fmt::format("max output length ceil({} * {}) + {} is < 1", ratio, n, extra));
    out.push_back(m);
  }
  return out;
}

std::vector<Hypothesis> greedy_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask, int64_t max_len,
                                      bool capture_attention, double alpha) {
  if (!src.defined() || src.dim() != 2) fail("greedy_search: src must be [batch, src_len]");
  return greedy_search(model, src, src_mask, std::vector<int64_t>(src.size(0), max_len),
                       capture_attention, alpha);
}

std::vector<Hypothesis> greedy_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                      const torch::Tensor& src_mask,
                                      const std::vector<int64_t>& max_lens,
                                      bool capture_attention, double alpha) {
  torch::NoGradGuard no_grad;
  Prepared p = prepare(src, src_mask, "greedy_search");
  const auto batch = static_cast<int64_t>(p.lengths.size());
  if (static_cast<int64_t>(max_lens.size()) != batch)
    fail(fmt::format("greedy_search: {} max lengths for {} sentences", max_lens.size(), batch));
  for (int64_t m : max_lens)
    if (m < 1) fail(fmt::format("greedy_search: max length must be >= 1, got {}", m));
  length_penalty(0, alpha);  // validates alpha

  std::vector<Hypothesis> out(batch);
  if (capture_attention)
    for (auto& h : out) h.attention = empty_attention(model, 0);
  const auto n = static_cast<int64_t>(p.run_ids.size());
  if (n == 0) return out;
  const torch::Device device = src.device();

  EncoderOutput enc = model.encode(p.src, p.mask);
  DecoderState state = model.init_state(enc);

  std::vector<int64_t> alive(n);  // row i of the batch -> run index
  std::iota(alive.begin(), alive.end(), 0);
  std::vector<std::vector<int64_t>> tokens(n), att_rows(n);
  std::vector<double> scores(n, 0.0);
  std::vector<torch::Tensor> att_steps;
  int64_t att_offset = 0;

  auto prev = torch::full({n}, kBosId, torch::TensorOptions().dtype(torch::kLong).device(device));
  const auto banned = banned_ids(device);
  torch::Tensor cum;  // [rows] running log-prob in the model's dtype (same adds as beam search)
  while (!alive.empty()) {
    const auto rows = static_cast<int64_t>(alive.size());
    StepOutput step = model.decode_step(prev, state);
    step.log_probs.index_fill_(1, banned, -INFINITY);  // never emit PAD or BOS
    auto best = step.log_probs.max(1);        // ([rows], [rows])
    auto values = std::get<0>(best);          // [rows]
    auto next = std::get<1>(best);            // [rows] int64
    cum = cum.defined() ? cum + values : torch::zeros_like(values) + values;
    if (capture_attention) att_steps.push_back(step.attention);  // [rows, L, H, S]
    // One host transfer per step: the chosen ids and the running scores.
    auto host = torch::stack({next.to(torch::kDouble), cum.to(torch::kDouble)})
                    .to(torch::kCPU)
                    .contiguous();  // [2, rows]
    auto acc = host.accessor<double, 2>();
    std::vector<int64_t> keep;
    keep.reserve(rows);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t r = alive[i];
      const auto tok = static_cast<int64_t>(acc[0][i]);
      tokens[r].push_back(tok);
      att_rows[r].push_back(att_offset + i);
      if (tok == kEosId || static_cast<int64_t>(tokens[r].size()) >= max_lens[p.run_ids[r]])
        scores[r] = acc[1][i];
      else
        keep.push_back(i);
    }
    att_offset += rows;
    if (keep.empty()) break;
    if (static_cast<int64_t>(keep.size()) < rows) {
      auto idx = torch::tensor(keep, torch::kLong).to(device);  // [kept]
      state.select(idx);
      next = next.index_select(0, idx);
      cum = cum.index_select(0, idx);
      std::vector<int64_t> still;
      still.reserve(keep.size());
      for (int64_t i : keep) still.push_back(alive[i]);
      alive.swap(still);
    }
    prev = next;
  }

  std::vector<torch::Tensor> att;
  if (capture_attention) {
    std::vector<int64_t> src_lens(n);
    for (int64_t r = 0; r < n; ++r) src_lens[r] = p.lengths[p.run_ids[r]];
    att = gather_attention(att_steps, att_rows, src_lens);
  }
  for (int64_t r = 0; r < n; ++r) {
    Hypothesis& h = out[p.run_ids[r]];
    h.tokens = std::move(tokens[r]);
    h.score = scores[r];
    h.normalized_score =
        h.score / length_penalty(static_cast<int64_t>(h.tokens.size()), alpha);
    if (capture_attention) h.attention = att[r];
  }
  return out;
}

std::vector<std::vector<Hypothesis>> beam_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                                 const torch::Tensor& src_mask,
                                                 const BeamOptions& opt) {
  torch::NoGradGuard no_grad;
  const int64_t K = opt.beam;
  if (K < 1) fail(fmt::format("beam_search: beam must be >= 1, got {}", K));
  if (opt.n_best < 1 || opt.n_best > K)
    fail(fmt::format("beam_search: n_best must be in [1, beam={}], got {}", K, opt.n_best));
  length_penalty(0, opt.alpha);  // validates alpha
  Prepared p = prepare(src, src_mask, "beam_search");
  const auto batch = static_cast<int64_t>(p.lengths.size());
  std::vector<int64_t> max_lens = opt.max_lens;
  if (max_lens.empty()) {
    max_lens = max_target_lengths(p.lengths, opt.max_len_ratio, opt.max_len_extra);
  } else {
    if (static_cast<int64_t>(max_lens.size()) != batch)
      fail(fmt::format("beam_search: {} max lengths for {} sentences", max_lens.size(), batch));
    for (int64_t m : max_lens)
      if (m < 1) fail(fmt::format("beam_search: max length must be >= 1, got {}", m));
  }

  std::vector<std::vector<Hypothesis>> out(batch);
  for (int64_t b = 0; b < batch; ++b)
    if (p.lengths[b] == 0) {
      Hypothesis h;
      if (opt.capture_attention) h.attention = empty_attention(model, 0);
      out[b].push_back(std::move(h));
    }
  const auto n = static_cast<int64_t>(p.run_ids.size());
  if (n == 0) return out;
  const torch::Device device = src.device();

  // Hypothesis tree: every chosen token is a node with its parent and the row (in the stacked
  // per-step attention) of the step that produced it.
  struct Node {
    int64_t token, parent, att_row;
  };
  std::vector<Node> nodes;
  std::vector<std::vector<Finished>> finished(n);

  EncoderOutput enc = model.encode(p.src, p.mask);
  DecoderState state = model.init_state(enc);

  std::vector<int64_t> active(n);  // group g of the batch -> run index; rows g*k .. g*k+k-1
  std::iota(active.begin(), active.end(), 0);
  std::vector<int64_t> row_node(n, -1);  // node id of each row's last token (-1 = BOS)
  int64_t k_cur = 1;                     // rows per group: 1 at the first step, then K
  auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  auto prev = torch::full({n}, kBosId, long_opts);
  const auto banned = banned_ids(device);
  torch::Tensor cum;  // [rows] running log-prob
  std::vector<torch::Tensor> att_steps;
  int64_t att_offset = 0;

  for (int64_t t = 0; !active.empty(); ++t) {
    const auto groups = static_cast<int64_t>(active.size());
    StepOutput step = model.decode_step(prev, state);
    torch::Tensor& logp = step.log_probs;  // [groups*k_cur, V]
    const int64_t V = logp.size(1);
    logp.index_fill_(1, banned, -INFINITY);  // never emit PAD or BOS
    if (!cum.defined()) cum = torch::zeros({logp.size(0)}, logp.options());
    // Two-stage top-k, exact: a sentence's 2K best continuations are among the 2K best of
    // each of its rows (adding the row's running score keeps a row's order). This avoids
    // materialising the [rows, V] sum of running scores and log-probs.
    const int64_t n_row = std::min(2 * K, V);
    auto row_top = logp.topk(n_row, 1, /*largest=*/true, /*sorted=*/true);  // [rows, n_row]
    auto cand = (cum.unsqueeze(1) + std::get<0>(row_top))                  // [rows, n_row]
                    .view({groups, k_cur * n_row});                        // [groups, k_cur*n_row]
    const int64_t n_cand = std::min(2 * K, k_cur * n_row);
    auto top = cand.topk(n_cand, 1, /*largest=*/true, /*sorted=*/true);  // [groups, n_cand]
    auto top_tok = std::get<1>(row_top)
                       .view({groups, k_cur * n_row})
                       .gather(1, std::get<1>(top));                     // [groups, n_cand]
    if (opt.capture_attention) att_steps.push_back(step.attention);    // [rows, L, H, S]
    // One host transfer per step: scores, candidate positions and token ids (exact in double).
    auto host = torch::stack({std::get<0>(top).to(torch::kDouble),
                              std::get<1>(top).to(torch::kDouble), top_tok.to(torch::kDouble)})
                    .to(torch::kCPU)
                    .contiguous();  // [3, groups, n_cand]
    auto acc = host.accessor<double, 3>();

    std::vector<int64_t> next_rows, next_tok, next_node, next_active, next_old_group;
    std::vector<double> next_cum;
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t r = active[g];
      const int64_t max_len = max_lens[p.run_ids[r]];
      const bool at_max = t + 1 >= max_len;
      const double lp_len = length_penalty(t + 1, opt.alpha);
      struct Live {
        int64_t row, token, node;
        double score;
      };
      std::vector<Live> live;
      bool best_ends = false;  // the sentence's best candidate of this step chose EOS
      for (int64_t j = 0; j < n_cand; ++j) {
        const double v = acc[0][g][j];
        if (v == kNegInf || std::isnan(v)) break;  // sorted: the rest are impossible too
        const auto ci = static_cast<int64_t>(acc[1][g][j]);
        const int64_t row = g * k_cur + ci / n_row;
        const auto tok = static_cast<int64_t>(acc[2][g][j]);
        const bool ends = tok == kEosId || at_max;
        if (j == 0) best_ends = tok == kEosId;
        if (ends && j >= K) continue;  // only the first K candidates may finish
        if (!ends && static_cast<int64_t>(live.size()) >= K) continue;
        nodes.push_back({tok, row_node[row], att_offset + row});
        const auto node = static_cast<int64_t>(nodes.size()) - 1;
        if (ends)
          finished[r].push_back({node, t + 1, v, v / lp_len});
        else
          live.push_back({row, tok, node, v});
      }
      if (sentence_done(finished[r], live.empty() ? kNegInf : live.front().score, best_ends,
                        at_max, length_penalty(max_len, opt.alpha), opt.n_best))
        continue;
      next_active.push_back(r);
      next_old_group.push_back(g);
      for (int64_t k = 0; k < K; ++k) {
        // Fewer than K possible continuations: pad with impossible copies of the best one.
        const bool real = k < static_cast<int64_t>(live.size());
        const Live& l = real ? live[k] : live.front();
        next_rows.push_back(l.row);
        next_tok.push_back(l.token);
        next_node.push_back(l.node);
        next_cum.push_back(real ? l.score : kNegInf);
      }
    }
    att_offset += logp.size(0);
    if (next_active.empty()) break;
    auto idx = torch::tensor(next_rows, torch::kLong).to(device);  // [groups'*K]
    // Per-sentence constants (kStaticStatePrefix) are the same in every beam of a sentence:
    // reorder them only when the set of sentences or the rows per sentence change.
    const bool same_layout = k_cur == K && next_active.size() == active.size();
    torch::Tensor static_idx;
    for (auto& kv : state.tensors) {
      if (!kv.second.defined()) continue;
      if (kv.first.rfind(kStaticStatePrefix, 0) != 0) {
        kv.second = kv.second.index_select(0, idx);
      } else if (!same_layout) {
        if (!static_idx.defined()) {
          std::vector<int64_t> rows;
          rows.reserve(next_rows.size());
          for (int64_t g : next_old_group)
            for (int64_t k = 0; k < K; ++k) rows.push_back(g * k_cur + k % k_cur);
          static_idx = torch::tensor(rows, torch::kLong).to(device);  // [groups'*K]
        }
        kv.second = kv.second.index_select(0, static_idx);
      }
    }
    prev = torch::tensor(next_tok, torch::kLong).to(device);                    // [groups'*K]
    cum = torch::tensor(next_cum, torch::kDouble).to(logp.options());          // [groups'*K]
    row_node.swap(next_node);
    active.swap(next_active);
    k_cur = K;
  }

  // Sort, keep n_best, trace the back-pointers.
  std::vector<std::vector<int64_t>> att_rows;
  std::vector<int64_t> att_src_lens;
  std::vector<Hypothesis*> att_owner;
  for (int64_t r = 0; r < n; ++r) {
    auto& fin = finished[r];
    std::stable_sort(fin.begin(), fin.end(), by_norm);
    if (static_cast<int64_t>(fin.size()) > opt.n_best) fin.resize(opt.n_best);
    auto& hyps = out[p.run_ids[r]];
    hyps.resize(fin.size());
    for (size_t i = 0; i < fin.size(); ++i) {
      Hypothesis& h = hyps[i];
      h.score = fin[i].score;
      h.normalized_score = fin[i].norm;
      h.tokens.resize(fin[i].length);
      std::vector<int64_t> rows(fin[i].length);
      int64_t node = fin[i].node;
      for (int64_t pos = fin[i].length - 1; pos >= 0; --pos) {
        h.tokens[pos] = nodes[node].token;
        rows[pos] = nodes[node].att_row;
        node = nodes[node].parent;
      }
      if (opt.capture_attention) {
        att_rows.push_back(std::move(rows));
        att_src_lens.push_back(p.lengths[p.run_ids[r]]);
        att_owner.push_back(&h);
      }
    }
  }
  if (opt.capture_attention) {
    auto att = gather_attention(att_steps, att_rows, att_src_lens);
    for (size_t i = 0; i < att.size(); ++i) att_owner[i]->attention = att[i];
  }
  return out;
}

std::vector<ForcedResult> forced_decode(Seq2SeqImpl& model, const torch::Tensor& src,
                                        const torch::Tensor& src_mask,
                                        const torch::Tensor& tgt_in,
                                        const torch::Tensor& tgt_out,
                                        AlignmentLayerImpl* alignment_layer) {
  torch::NoGradGuard no_grad;
  Prepared p = prepare(src, src_mask, "forced_decode");
  const auto batch = static_cast<int64_t>(p.lengths.size());
  if (!tgt_in.defined() || tgt_in.dim() != 2 || tgt_in.size(0) != batch)
    fail(fmt::format("forced_decode: tgt_in must be [batch={}, tgt_len]", batch));
  if (!tgt_out.defined() || tgt_out.sizes() != tgt_in.sizes())
    fail("forced_decode: tgt_out must have the shape of tgt_in");
  auto tgt_lens_t = tgt_out.ne(kPadId).sum(1).to(torch::kCPU, torch::kLong).contiguous();
  std::vector<int64_t> tgt_lens(tgt_lens_t.data_ptr<int64_t>(),
                                tgt_lens_t.data_ptr<int64_t>() + batch);

  const int64_t layers = model.attention_layers() + (alignment_layer ? 1 : 0);
  std::vector<ForcedResult> out(batch);
  for (int64_t b = 0; b < batch; ++b)
    if (p.lengths[b] == 0) {
      out[b].attention = empty_attention(model, tgt_lens[b], 0, layers);
      out[b].score = kNegInf;
    }
  const auto n = static_cast<int64_t>(p.run_ids.size());
  if (n == 0) return out;

  torch::Tensor ti = tgt_in, to = tgt_out;
  if (n != batch) {
    auto idx = torch::tensor(p.run_ids, torch::kLong).to(tgt_in.device());
    ti = ti.index_select(0, idx);  // [run, tgt_len]
    to = to.index_select(0, idx);  // [run, tgt_len]
  }
  int64_t max_t = 0;
  for (int64_t r : p.run_ids) max_t = std::max(max_t, tgt_lens[r]);
  if (max_t == 0) {
    for (int64_t r : p.run_ids) out[r].attention = empty_attention(model, 0, p.lengths[r], layers);
    return out;
  }
  ti = ti.narrow(1, 0, max_t);  // [run, max_t]
  to = to.narrow(1, 0, max_t);  // [run, max_t]

  Seq2SeqOutput fw;
  if (alignment_layer) {
    fw = model.forward_features(p.src, ti);
    auto a = alignment_layer->attend(model, p.src, fw);  // weights [run, T, S]
    fw.logits = model.output_layer().logits(fw.features);
    const int64_t heads = fw.attention.size(2);
    fw.attention = torch::cat(  // [run, L + 1, H, T, S]: the layer's one head repeated per head
        {fw.attention, a.weights.unsqueeze(1).unsqueeze(1).expand({-1, 1, heads, -1, -1})}, 1);
  } else {
    fw = model.forward(p.src, ti);
  }
  auto logp = torch::log_softmax(fw.logits, -1);              // [run, T, V]
  auto tok_lp = logp.gather(2, to.unsqueeze(2)).squeeze(2);  // [run, T]
  auto lp_host = tok_lp.to(torch::kCPU, torch::kDouble).contiguous();
  auto acc = lp_host.accessor<double, 2>();
  auto att = fw.attention.to(torch::kCPU, torch::kFloat);  // [run, L, H, T, S]
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = p.run_ids[i];
    ForcedResult& res = out[b];
    res.token_log_probs.resize(tgt_lens[b]);
    res.score = 0.0;
    for (int64_t t = 0; t < tgt_lens[b]; ++t) {
      res.token_log_probs[t] = acc[i][t];
      res.score += acc[i][t];
    }
    res.attention = att[i]                           // [L, H, T, S]
                        .narrow(2, 0, tgt_lens[b])   // [L, H, tgt_len_b, S]
                        .narrow(3, 0, p.lengths[b])  // [L, H, tgt_len_b, src_len_b]
                        .contiguous();
  }
  return out;
}

std::pair<torch::Tensor, torch::Tensor> teacher_forcing_batch(
    const std::vector<std::vector<int64_t>>& targets, const torch::Device& device) {
  size_t max_len = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].empty())
      fail(fmt::format("teacher_forcing_batch: target sequence {} is empty", i));
    max_len = std::max(max_len, targets[i].size());
  }
  const auto b = static_cast<int64_t>(targets.size());
  const auto t = static_cast<int64_t>(max_len);
  auto tin = torch::full({b, t}, kPadId, torch::kLong);   // [batch, max_len]
  auto tout = torch::full({b, t}, kPadId, torch::kLong);  // [batch, max_len]
  auto ain = tin.accessor<int64_t, 2>();
  auto aout = tout.accessor<int64_t, 2>();
  for (int64_t i = 0; i < b; ++i) {
    const auto& y = targets[i];
    for (size_t j = 0; j < y.size(); ++j) {
      ain[i][j] = j == 0 ? kBosId : y[j - 1];
      aout[i][j] = y[j];
    }
  }
  return {tin.to(device), tout.to(device)};
}

}  // namespace tinynmt::decode
