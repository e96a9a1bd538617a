#include "models/rnn_decoder.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "models/attention/registry.h"
#include "models/gru_cell.h"

namespace tinynmt {

RnnDecoderImpl::RnnDecoderImpl(const DecoderConfig& cfg, int64_t input_dim, int64_t enc_dim)
    : cfg_(cfg) {
  namespace nn = torch::nn;
  if (cfg_.rnn_type != "gru" && cfg_.rnn_type != "lstm")
    throw std::invalid_argument("model.decoder.rnn_type: unknown '" + cfg_.rnn_type +
                                "' (choices: gru, lstm)");
  const auto& pl = cfg_.attention_placement;
  if (pl != "auto" && pl != "bahdanau" && pl != "luong")
    throw std::invalid_argument("model.decoder.attention_placement: unknown '" + pl +
                                "' (choices: auto, bahdanau, luong)");
  if (cfg_.layers < 1) throw std::invalid_argument("model.decoder.layers: must be >= 1");
  lstm_ = cfg_.rnn_type == "lstm";
  gates_ = lstm_ ? 4 : 3;
  bahdanau_ = pl == "bahdanau" || (pl == "auto" && cfg_.attention == "bahdanau");
  feeding_ = !bahdanau_ && cfg_.input_feeding;
  const int64_t H = cfg_.hidden_size;

  attention_ =
      register_module("attention", make_attention(cross_attention_config(cfg_, H, enc_dim)));
  const int64_t ctx = attention_->output_dim();

  const double bound = 1.0 / std::sqrt(static_cast<double>(H));
  auto uniform = [&](std::vector<int64_t> shape) {
    return torch::empty(shape).uniform_(-bound, bound);
  };
  for (int64_t l = 0; l < cfg_.layers; ++l) {
    const std::string s = std::to_string(l);
    const int64_t in = l == 0 ? input_dim : H;
    w_ih_.push_back(register_parameter("w_ih_l" + s, uniform({gates_ * H, in})));
    w_hh_.push_back(register_parameter("w_hh_l" + s, uniform({gates_ * H, H})));
    b_ih_.push_back(register_parameter("b_ih_l" + s, uniform({gates_ * H})));
    b_hh_.push_back(register_parameter("b_hh_l" + s, uniform({gates_ * H})));
  }
  if (bahdanau_) w_extra_ = register_parameter("w_ctx", uniform({gates_ * H, ctx}));
  if (feeding_) w_extra_ = register_parameter("w_feed", uniform({gates_ * H, H}));
  bridge_h_ = register_module("bridge_h", nn::Linear(enc_dim, cfg_.layers * H));
  if (lstm_) bridge_c_ = register_module("bridge_c", nn::Linear(enc_dim, cfg_.layers * H));
  readout_ = register_module("readout", nn::Linear(bahdanau_ ? H + ctx + input_dim : ctx + H, H));
  dropout_ = register_module("dropout", Dropout(cfg_.dropout));
}

void RnnDecoderImpl::bridge(const EncoderOutput& enc, Recurrent& r) {
  const int64_t b = enc.states.size(0), enc_dim = enc.states.size(2), L = cfg_.layers;
  auto summary = [&](const torch::Tensor& final) -> torch::Tensor {
    if (final.defined()) {
      const int64_t dirs = enc_dim / final.size(2);
      return final.slice(1, final.size(1) - dirs).reshape({b, enc_dim});  // [batch, enc_dim]
    }
    auto m = enc.src_mask.unsqueeze(-1).to(enc.states.scalar_type());  // [batch, src_len, 1]
    return (enc.states * m).sum(1) / m.sum(1).clamp_min(1.0);          // [batch, enc_dim]
  };
  auto h0 = torch::tanh(bridge_h_(summary(enc.final))).view({b, L, -1});  // [batch, L, hidden]
  r.h = h0.unbind(1);
  if (lstm_) {
    auto f = enc.final_c.defined() ? enc.final_c : enc.final;
    auto c0 = torch::tanh(bridge_c_(summary(f))).view({b, L, -1});  // [batch, L, hidden]
    r.c = c0.unbind(1);
  }
  if (feeding_) r.feed = torch::zeros_like(r.h[0]);  // [batch, hidden]
}

torch::Tensor RnnDecoderImpl::cell(const torch::Tensor& gx, int64_t l, Recurrent& r) {
  auto gh = torch::addmm(b_hh_[l], r.h[l], w_hh_[l].t());  // [batch, gates*hidden]
  if (lstm_) {
    auto g = (gx + gh).chunk(4, 1);  // i, f, g, o: [batch, hidden] each
    auto c = torch::sigmoid(g[1]) * r.c[l] + torch::sigmoid(g[0]) * torch::tanh(g[2]);
    r.c[l] = c;
    r.h[l] = torch::sigmoid(g[3]) * torch::tanh(c);
  } else {
    r.h[l] = gru_cell(gx, gh, r.h[l]);  // [batch, hidden], models/gru_cell.h
  }
  return r.h[l];
}

void RnnDecoderImpl::advance(torch::Tensor gx, Recurrent& r) {
  for (int64_t l = 0; l < cfg_.layers; ++l) {
    auto h = cell(gx, l, r);  // [batch, hidden]
    if (l + 1 < cfg_.layers)
      gx = torch::addmm(b_ih_[l + 1], dropout_(h), w_ih_[l + 1].t());  // [batch, gates*hidden]
  }
}

std::pair<torch::Tensor, torch::Tensor> RnnDecoderImpl::run_step(
    const torch::Tensor& gx_emb, const torch::Tensor& emb_t, Recurrent& r,
    const AttentionCache& cache, const torch::Tensor& mask, int64_t t) {
  AttentionExtras extras;
  extras.positions = torch::full({1}, t, torch::TensorOptions().dtype(torch::kInt64));
  if (bahdanau_) {
    auto q = r.h.back().unsqueeze(1);  // [batch, 1, hidden]: s_{i-1}
    auto a = attention_->attend(q, cache, mask, extras);
    auto ctx = a.context.squeeze(1);  // [batch, ctx]
    advance(torch::addmm(gx_emb, ctx, w_extra_.t()), r);
    auto o = torch::tanh(readout_(torch::cat({r.h.back(), ctx, emb_t}, 1)));  // [batch, hidden]
    return {dropout_(o), a.weights.squeeze(2)};  // weights [batch, heads, src_len]
  }
  advance(feeding_ ? torch::addmm(gx_emb, r.feed, w_extra_.t()) : gx_emb, r);
  auto a = attention_->attend(r.h.back().unsqueeze(1), cache, mask, extras);
  auto ht = torch::tanh(readout_(torch::cat({a.context.squeeze(1), r.h.back()}, 1)));  // [b, H]
  if (feeding_) r.feed = ht;
  return {dropout_(ht), a.weights.squeeze(2)};
}

DecoderOutput RnnDecoderImpl::forward(const torch::Tensor& emb, const EncoderOutput& enc) {
  const int64_t T = emb.size(1);
  auto cache = attention_->precompute(enc.states, enc.states);
  auto mask = enc.src_mask.unsqueeze(1);  // [batch, 1, src_len]
  Recurrent r;
  bridge(enc, r);
  auto gx_all = torch::matmul(emb, w_ih_[0].t()) + b_ih_[0];  // [batch, tgt_len, gates*hidden]
  // Per-step slices by one unbind: select's backward would write a zero-filled gradient of the
  // whole tensor for every step (O(tgt_len²) memory traffic); unbind's stacks them once.
  const auto gx = gx_all.unbind(1);  // tgt_len × [batch, gates*hidden]

  std::vector<torch::Tensor> feats, weights;
  if (!bahdanau_ && !feeding_) {
    // Luong without input feeding: the recurrence does not depend on attention, so attend to all
    // steps at once afterwards.
    std::vector<torch::Tensor> tops;
    for (int64_t t = 0; t < T; ++t) {
      advance(gx[t], r);
      tops.push_back(r.h.back());
    }
    auto h = torch::stack(tops, 1);                                  // [batch, tgt_len, hidden]
    auto a = attention_->attend(h, cache, mask);                     // positions 0..T-1
    auto ht = torch::tanh(readout_(torch::cat({a.context, h}, 2)));  // [batch, tgt_len, hidden]
    return {dropout_(ht), a.weights.unsqueeze(1)};  // [batch, 1, heads, tgt_len, src_len]
  }
  feats.reserve(T);
  weights.reserve(T);
  if (bahdanau_) {
    // The readout does not feed back into the recurrence: compute it for all steps at once.
    std::vector<torch::Tensor> tops, ctxs;
    AttentionExtras extras;
    for (int64_t t = 0; t < T; ++t) {
      extras.positions = torch::full({1}, t, torch::TensorOptions().dtype(torch::kInt64));
      auto a = attention_->attend(r.h.back().unsqueeze(1), cache, mask, extras);  // s_{i-1}
      auto ctx = a.context.squeeze(1);                                            // [batch, ctx]
      advance(torch::addmm(gx[t], ctx, w_extra_.t()), r);
      tops.push_back(r.h.back());
      ctxs.push_back(ctx);
      weights.push_back(a.weights.squeeze(2));  // [batch, heads, src_len]
    }
    auto o = torch::tanh(readout_(
        torch::cat({torch::stack(tops, 1), torch::stack(ctxs, 1), emb}, 2)));  // [b, T, hidden]
    return {dropout_(o), torch::stack(weights, 2).unsqueeze(1)};  // attn [b, 1, heads, T, S]
  }
  const auto emb_t = emb.unbind(1);  // tgt_len × [batch, input_dim]
  for (int64_t t = 0; t < T; ++t) {
    auto fw = run_step(gx[t], emb_t[t], r, cache, mask, t);
    feats.push_back(fw.first);
    weights.push_back(fw.second);
  }
  return {torch::stack(feats, 1),                  // [batch, tgt_len, hidden]
          torch::stack(weights, 2).unsqueeze(1)};  // [batch, 1, heads, tgt_len, src_len]
}

DecoderState RnnDecoderImpl::init_state(const EncoderOutput& enc) {
  DecoderState s;
  s.caches.push_back(attention_->precompute(enc.states, enc.states));
  s.constants["mask"] = enc.src_mask.unsqueeze(1);  // [batch, 1, src_len]
  Recurrent r;
  bridge(enc, r);
  s.rows["h"] = torch::stack(r.h, 1);  // [batch, layers, hidden]
  if (lstm_) s.rows["c"] = torch::stack(r.c, 1);
  if (feeding_) s.rows["feed"] = r.feed;
  return s;
}

DecoderOutput RnnDecoderImpl::step(const torch::Tensor& emb, DecoderState& state) {
  Recurrent r;
  r.h = state.rows["h"].unbind(1);
  if (lstm_) r.c = state.rows["c"].unbind(1);
  if (feeding_) r.feed = state.rows["feed"];
  auto e = emb.squeeze(1);                            // [batch, input_dim]
  auto gx = torch::addmm(b_ih_[0], e, w_ih_[0].t());  // [batch, gates*hidden]
  const AttentionCache& c = state.caches.front();
  AttentionCache cache{c.keys, c.values};  // as before: without a packed buffer
  auto fw = run_step(gx, e, r, cache, state.constants["mask"], state.step);
  state.rows["h"] = torch::stack(r.h, 1);
  if (lstm_) state.rows["c"] = torch::stack(r.c, 1);
  if (feeding_) state.rows["feed"] = r.feed;
  return {fw.first.unsqueeze(1),                 // [batch, 1, hidden]
          fw.second.unsqueeze(1).unsqueeze(3)};  // [batch, 1, heads, 1, src_len]
}

}  // namespace tinynmt
