#include "decode/forced_decode.h"

#include <fmt/format.h>

#include <algorithm>

#include "decode/search_parts.h"
#include "models/special_ids.h"

namespace tinynmt::decode {

using detail::fail;

std::vector<ForcedResult> forced_decode(Seq2SeqImpl& model, const torch::Tensor& src,
                                        const torch::Tensor& src_mask, const torch::Tensor& tgt_in,
                                        const torch::Tensor& tgt_out,
                                        const ForcedDecodeOptions& options) {
  torch::NoGradGuard no_grad;
  ExtraAttention* extra = options.extra;
  const GuidedHead* full_context = options.full_context;
  const bool self_attention = options.self_attention, scores = options.scores;
  detail::Prepared p = detail::prepare(src, src_mask, "forced_decode");
  const auto batch = static_cast<int64_t>(p.lengths.size());
  if (!tgt_in.defined() || tgt_in.dim() != 2 || tgt_in.size(0) != batch)
    fail(fmt::format("forced_decode: tgt_in must be [batch={}, tgt_len]", batch));
  if (!tgt_out.defined() || tgt_out.sizes() != tgt_in.sizes())
    fail("forced_decode: tgt_out must have the shape of tgt_in");
  auto tgt_lens_t = tgt_out.ne(kPadId).sum(1).to(torch::kCPU, torch::kLong).contiguous();
  std::vector<int64_t> tgt_lens(tgt_lens_t.data_ptr<int64_t>(),
                                tgt_lens_t.data_ptr<int64_t>() + batch);

  const int64_t layers = model.attention_layers() + (extra ? 1 : 0);
  std::vector<ForcedResult> out(batch);
  for (int64_t b = 0; b < batch; ++b)
    if (p.lengths[b] == 0) {
      out[b].attention = detail::empty_attention(model, tgt_lens[b], 0, layers);
      out[b].score = detail::kNegInf;
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
    for (int64_t r : p.run_ids)
      out[r].attention = detail::empty_attention(model, 0, p.lengths[r], layers);
    return out;
  }
  ti = ti.narrow(1, 0, max_t);  // [run, max_t]
  to = to.narrow(1, 0, max_t);  // [run, max_t]

  Seq2SeqOutput fw;
  if (extra || self_attention || !scores) {
    fw = self_attention ? model.forward_features_with_self_attention(p.src, ti)
                        : model.forward_features(p.src, ti);
    if (extra) {
      auto weights = extra->extra_weights(model, p.src, fw);  // [run, T, S]
      const int64_t heads = fw.attention.size(2);
      fw.attention = torch::cat(  // [run, L + 1, H, T, S]: the extra layer's head per head
          {fw.attention, weights.unsqueeze(1).unsqueeze(1).expand({-1, 1, heads, -1, -1})}, 1);
    }
    if (scores && !fw.logits.defined()) fw.logits = model.output_layer().logits(fw.features);
  } else {
    fw = model.forward(p.src, ti);
  }
  if (full_context) {  // the supervised head from the pass without the causal mask
    auto w = model.forward_features_guided(p.src, ti, *full_context).guided_log_attention.exp();
    fw.attention = fw.attention.clone();  // [run, L, H, T, S]
    fw.attention.select(1, full_context->layer).select(1, full_context->head).copy_(w);
  }
  torch::Tensor lp_host;  // [run, T] float64: log P of each tgt_out token
  if (scores) {
    auto logp = torch::log_softmax(fw.logits, -1);  // [run, T, V]
    lp_host =
        logp.gather(2, to.unsqueeze(2)).squeeze(2).to(torch::kCPU, torch::kDouble).contiguous();
  }
  auto att = fw.attention.to(torch::kCPU, torch::kFloat);  // [run, L, H, T, S]
  auto host = [](const torch::Tensor& t) {
    return t.defined() ? t.to(torch::kCPU, torch::kFloat) : t;
  };
  auto enc_self = host(fw.encoder_self_attention);  // [run, L_enc, H, S, S] or undefined
  auto dec_self = host(fw.decoder_self_attention);  // [run, L_dec, H, T, T] or undefined
  auto square = [](const torch::Tensor& t, int64_t i, int64_t n) {  // [L, H, n, n]
    return t.defined() ? t[i].narrow(2, 0, n).narrow(3, 0, n).contiguous() : t;
  };
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = p.run_ids[i];
    ForcedResult& res = out[b];
    res.score = 0.0;
    if (scores) {
      const auto acc = lp_host.accessor<double, 2>();
      res.token_log_probs.resize(tgt_lens[b]);
      for (int64_t t = 0; t < tgt_lens[b]; ++t) {
        res.token_log_probs[t] = acc[i][t];
        res.score += acc[i][t];
      }
    }
    res.attention = att[i]                           // [L, H, T, S]
                        .narrow(2, 0, tgt_lens[b])   // [L, H, tgt_len_b, S]
                        .narrow(3, 0, p.lengths[b])  // [L, H, tgt_len_b, src_len_b]
                        .contiguous();
    res.encoder_self_attention = square(enc_self, i, p.lengths[b]);  // [L_enc, H, S_b, S_b]
    res.decoder_self_attention = square(dec_self, i, tgt_lens[b]);   // [L_dec, H, T_b, T_b]
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
