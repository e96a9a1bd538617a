// Batched beam search (decode/search.h beam_search), in four parts: candidate selection (the
// exact two-stage top-k), the per-sentence bookkeeping with its stopping rule, reordering the
// decoder state, and tracing the back-pointers of the finished hypotheses.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "decode/row_topk.h"
#include "decode/search.h"
#include "decode/search_parts.h"
#include "models/special_ids.h"

namespace tinynmt::decode {
namespace {

using detail::fail;
using detail::kNegInf;

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
bool sentence_done(std::vector<Finished>& fin, double best_live_score, bool best_ends, bool at_max,
                   double lp_max, int64_t n_best) {
  if (at_max || best_live_score == kNegInf) return true;
  if (static_cast<int64_t>(fin.size()) < n_best) return false;
  if (best_ends) return true;
  std::partial_sort(fin.begin(), fin.begin() + n_best, fin.end(), by_norm);
  return best_live_score / lp_max <= fin[n_best - 1].norm;
}

// One step's candidates on the host: [3, groups, n_cand] doubles (scores, positions among a
// group's k_cur * n_row row candidates, token ids), each group's sorted best first.
struct Candidates {
  torch::Tensor host;
  int64_t n_row = 0, n_cand = 0;
};

// Two-stage top-k, exact: a sentence's 2K best continuations are among the 2K best of each of
// its rows (adding the row's running score keeps a row's order). This avoids materialising the
// [rows, V] sum of running scores and log-probs. One host transfer.
Candidates select_candidates(const torch::Tensor& logp, const torch::Tensor& cum, int64_t groups,
                             int64_t k_cur, int64_t K) {
  Candidates c;
  c.n_row = std::min(2 * K, logp.size(1));
  auto row_top = detail::row_topk(logp, c.n_row);        // [rows, n_row] values and token ids
  auto cand = (cum.unsqueeze(1) + std::get<0>(row_top))  // [rows, n_row]
                  .view({groups, k_cur * c.n_row});      // [groups, k_cur*n_row]
  c.n_cand = std::min(2 * K, k_cur * c.n_row);
  auto top = cand.topk(c.n_cand, 1, /*largest=*/true, /*sorted=*/true);  // [groups, n_cand]
  auto top_tok = std::get<1>(row_top)
                     .view({groups, k_cur * c.n_row})
                     .gather(1, std::get<1>(top));  // [groups, n_cand]
  // Scores, candidate positions and token ids (exact in double).
  c.host = torch::stack({std::get<0>(top).to(torch::kDouble), std::get<1>(top).to(torch::kDouble),
                         top_tok.to(torch::kDouble)})
               .to(torch::kCPU)
               .contiguous();  // [3, groups, n_cand]
  return c;
}

// The rows of the next step, K per live sentence.
struct NextBeams {
  std::vector<int64_t> rows, tokens, nodes, active, old_group;
  std::vector<double> cum;
};

class BeamSearch {
 public:
  BeamSearch(Seq2SeqImpl& model, const detail::Prepared& p, std::vector<int64_t> max_lens,
             const SearchOptions& opt)
      : model_(model),
        p_(p),
        max_lens_(std::move(max_lens)),
        opt_(opt),
        K_(opt.beam),
        finished_(p.run_ids.size()) {}

  void run();
  // Sorts each sentence's finished hypotheses, keeps n_best, traces their back-pointers.
  void collect(std::vector<std::vector<Hypothesis>>& out);

 private:
  // Every chosen token is a node with its parent and the row (in the stacked per-step
  // attention) of the step that produced it.
  struct Node {
    int64_t token, parent, att_row;
  };
  // Settles group g of step t: finished candidates set aside, the K best live ones appended to
  // `next`, unless the sentence stops.
  void settle(at::TensorAccessor<double, 3> acc, const Candidates& c, int64_t g, int64_t t,
              NextBeams& next);
  // Reorders the decoder state for `next`: its rows always, its per-sentence constants only when
  // the sentences or the rows per sentence change.
  void reorder(DecoderState& state, const NextBeams& next, const torch::Device& device) const;

  Seq2SeqImpl& model_;
  const detail::Prepared& p_;
  const std::vector<int64_t> max_lens_;
  const SearchOptions& opt_;
  const int64_t K_;
  std::vector<Node> nodes_;
  std::vector<std::vector<Finished>> finished_;  // per run index
  std::vector<int64_t> active_;    // group g of the batch -> run index; rows g*k .. g*k+k-1
  std::vector<int64_t> row_node_;  // node id of each row's last token (-1 = BOS)
  int64_t k_cur_ = 1;              // rows per group: 1 at the first step, then K
  int64_t att_offset_ = 0;
  std::vector<torch::Tensor> att_steps_;
};

void BeamSearch::run() {
  const auto n = static_cast<int64_t>(p_.run_ids.size());
  const torch::Device device = p_.src.device();
  EncoderOutput enc = model_.encode(p_.src, p_.mask);
  DecoderState state = model_.init_state(enc);
  active_.resize(n);
  std::iota(active_.begin(), active_.end(), 0);
  row_node_.assign(n, -1);
  auto prev = torch::full({n}, kBosId, torch::TensorOptions().dtype(torch::kLong).device(device));
  const auto banned = detail::banned_ids(device);
  torch::Tensor cum;  // [rows] running log-prob
  for (int64_t t = 0; !active_.empty(); ++t) {
    const auto groups = static_cast<int64_t>(active_.size());
    StepOutput step = model_.decode_step(prev, state);
    torch::Tensor& logp = step.log_probs;    // [groups*k_cur, V]
    logp.index_fill_(1, banned, -INFINITY);  // never emit PAD or BOS
    if (!cum.defined()) cum = torch::zeros({logp.size(0)}, logp.options());
    const Candidates c = select_candidates(logp, cum, groups, k_cur_, K_);
    if (opt_.capture_attention) att_steps_.push_back(step.attention);  // [rows, L, H, S]
    auto acc = c.host.accessor<double, 3>();
    NextBeams next;
    for (int64_t g = 0; g < groups; ++g) settle(acc, c, g, t, next);
    att_offset_ += logp.size(0);
    if (next.active.empty()) break;
    reorder(state, next, device);
    prev = torch::tensor(next.tokens, torch::kLong).to(device);        // [groups'*K]
    cum = torch::tensor(next.cum, torch::kDouble).to(logp.options());  // [groups'*K]
    row_node_.swap(next.nodes);
    active_.swap(next.active);
    k_cur_ = K_;
  }
}

void BeamSearch::settle(at::TensorAccessor<double, 3> acc, const Candidates& c, int64_t g,
                        int64_t t, NextBeams& next) {
  const int64_t r = active_[g];
  const int64_t max_len = max_lens_[p_.run_ids[r]];
  const bool at_max = t + 1 >= max_len;
  const double lp_eos = length_penalty(t + 1, opt_.alpha, opt_.length_penalty, true);
  const double lp_cut = length_penalty(t + 1, opt_.alpha, opt_.length_penalty, false);
  struct Live {
    int64_t row, token, node;
    double score;
  };
  std::vector<Live> live;
  bool best_ends = false;  // the sentence's best candidate of this step chose EOS
  for (int64_t j = 0; j < c.n_cand; ++j) {
    const double v = acc[0][g][j];
    if (v == kNegInf || std::isnan(v)) break;  // sorted: the rest are impossible too
    const auto ci = static_cast<int64_t>(acc[1][g][j]);
    const int64_t row = g * k_cur_ + ci / c.n_row;
    const auto tok = static_cast<int64_t>(acc[2][g][j]);
    const bool ends = tok == kEosId || at_max;
    if (j == 0) best_ends = tok == kEosId;
    if (ends && j >= K_) continue;  // only the first K candidates may finish
    if (!ends && static_cast<int64_t>(live.size()) >= K_) continue;
    nodes_.push_back({tok, row_node_[row], att_offset_ + row});
    const auto node = static_cast<int64_t>(nodes_.size()) - 1;
    if (ends)
      finished_[r].push_back({node, t + 1, v, v / (tok == kEosId ? lp_eos : lp_cut)});
    else
      live.push_back({row, tok, node, v});
  }
  if (sentence_done(finished_[r], live.empty() ? kNegInf : live.front().score, best_ends, at_max,
                    length_penalty(max_len, opt_.alpha, opt_.length_penalty, false), opt_.n_best))
    return;
  next.active.push_back(r);
  next.old_group.push_back(g);
  for (int64_t k = 0; k < K_; ++k) {
    // Fewer than K possible continuations: pad with impossible copies of the best one.
    const bool real = k < static_cast<int64_t>(live.size());
    const Live& l = real ? live[k] : live.front();
    next.rows.push_back(l.row);
    next.tokens.push_back(l.token);
    next.nodes.push_back(l.node);
    next.cum.push_back(real ? l.score : kNegInf);
  }
}

void BeamSearch::reorder(DecoderState& state, const NextBeams& next,
                         const torch::Device& device) const {
  auto idx = torch::tensor(next.rows, torch::kLong).to(device);  // [groups'*K]
  // Per-sentence constants are the same in every beam of a sentence: reorder them only when the
  // set of sentences or the rows per sentence change.
  torch::Tensor sentence_idx;
  if (!(k_cur_ == K_ && next.active.size() == active_.size())) {
    std::vector<int64_t> rows;
    rows.reserve(next.rows.size());
    for (int64_t g : next.old_group)
      for (int64_t k = 0; k < K_; ++k) rows.push_back(g * k_cur_ + k % k_cur_);
    sentence_idx = torch::tensor(rows, torch::kLong).to(device);  // [groups'*K]
  }
  state.reorder(idx, sentence_idx);
}

void BeamSearch::collect(std::vector<std::vector<Hypothesis>>& out) {
  std::vector<std::vector<int64_t>> att_rows;
  std::vector<int64_t> att_src_lens;
  std::vector<Hypothesis*> att_owner;
  for (size_t r = 0; r < finished_.size(); ++r) {
    auto& fin = finished_[r];
    std::stable_sort(fin.begin(), fin.end(), by_norm);
    if (static_cast<int64_t>(fin.size()) > opt_.n_best) fin.resize(opt_.n_best);
    auto& hyps = out[p_.run_ids[r]];
    hyps.resize(fin.size());
    for (size_t i = 0; i < fin.size(); ++i) {
      Hypothesis& h = hyps[i];
      h.score = fin[i].score;
      h.normalized_score = fin[i].norm;
      h.tokens.resize(fin[i].length);
      std::vector<int64_t> rows(fin[i].length);
      int64_t node = fin[i].node;
      for (int64_t pos = fin[i].length - 1; pos >= 0; --pos) {
        h.tokens[pos] = nodes_[node].token;
        rows[pos] = nodes_[node].att_row;
        node = nodes_[node].parent;
      }
      if (opt_.capture_attention) {
        att_rows.push_back(std::move(rows));
        att_src_lens.push_back(p_.lengths[p_.run_ids[r]]);
        att_owner.push_back(&h);
      }
    }
  }
  if (opt_.capture_attention) {
    auto att = detail::gather_attention(att_steps_, att_rows, att_src_lens);
    for (size_t i = 0; i < att.size(); ++i) att_owner[i]->attention = att[i];
  }
}

}  // namespace

std::vector<std::vector<Hypothesis>> beam_search(Seq2SeqImpl& model, const torch::Tensor& src,
                                                 const torch::Tensor& src_mask,
                                                 const SearchOptions& opt) {
  torch::NoGradGuard no_grad;
  const int64_t K = opt.beam;
  if (K < 1) fail(fmt::format("beam_search: beam must be >= 1, got {}", K));
  if (opt.n_best < 1 || opt.n_best > K)
    fail(fmt::format("beam_search: n_best must be in [1, beam={}], got {}", K, opt.n_best));
  length_penalty(1, opt.alpha, opt.length_penalty);  // validates alpha
  detail::Prepared p = detail::prepare(src, src_mask, "beam_search");
  const auto batch = static_cast<int64_t>(p.lengths.size());
  std::vector<int64_t> max_lens = opt.max_lens;
  if (max_lens.empty())
    max_lens = max_target_lengths(p.lengths, opt.max_len_ratio, opt.max_len_extra);
  else
    detail::check_max_lens(max_lens, batch, "beam_search");

  std::vector<std::vector<Hypothesis>> out(batch);
  for (int64_t b = 0; b < batch; ++b)
    if (p.lengths[b] == 0) {
      Hypothesis h;
      if (opt.capture_attention) h.attention = detail::empty_attention(model, 0);
      out[b].push_back(std::move(h));
    }
  if (p.run_ids.empty()) return out;
  BeamSearch beam(model, p, std::move(max_lens), opt);
  beam.run();
  beam.collect(out);
  return out;
}

}  // namespace tinynmt::decode
